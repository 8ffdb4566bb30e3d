# lib.sh — what the run_table*.sh scripts share (sourced, not run).

# start_part SUMMARY PART: a sweep writing one part of a table's summary
# starts from the summary so far, so that runs recorded there as finished
# keep their rows while their directories are absent (`grsn sweep --help`).
start_part() {
    if [ -f "$1" ]; then cp "$1" "$2"; fi
}

# copy_curves SUMMARY CURVES SVG...: the learning curves go to results/ too
# (small SVGs, committed beside the summary; the scripts' CURVES overrides the
# folder), so that the README can show them. Curves drawn without some of the summary's runs (rows "finished
# (recorded)": their directories are not here, as in a fresh clone) would
# replace the committed ones with partial plots, so they are then left alone.
copy_curves() {
    _summary=$1 _curves=$2
    shift 2
    if grep -q "finished (recorded)" "$_summary"; then
        echo "curves not copied to $_curves: runs recorded in $_summary are not in the run directories"
        return 0
    fi
    mkdir -p "$_curves" && cp "$@" "$_curves"/
}
