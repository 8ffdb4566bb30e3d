# lib.sh — what the run_table*.sh scripts share (sourced, not run).

# start_part SUMMARY PART: a sweep writing one part of a table's summary
# starts from the summary so far, so that runs recorded there as finished
# keep their rows while their directories are absent (`grsn sweep --help`).
start_part() {
    if [ -f "$1" ]; then cp "$1" "$2"; fi
}

# copy_curves SUMMARY CURVES SVG...: the learning curves go to results/ too
# (small SVGs, committed beside the summary; the scripts' CURVES overrides the
# folder), so that the README can show them. A curve is drawn from the run
# directories that are here; for an environment with rows "finished
# (recorded)" in the summary (runs whose directories are not here, as in a
# fresh clone) it would replace the committed plot with a partial one, so
# those curves are left alone and the others are copied. A curve file is
# curves_ENV.svg or curves_ENV_win.svg; its summary rows start with ENV or
# smac:ENV.
copy_curves() {
    _summary=$1 _curves=$2
    shift 2
    mkdir -p "$_curves" || return 1
    for _svg in "$@"; do
        [ -f "$_svg" ] || continue
        _env=$(basename "$_svg" .svg)
        _env=${_env#curves_}
        _env=${_env%_win}
        if grep -q -e "^$_env,.*,finished (recorded)," -e "^smac:$_env,.*,finished (recorded)," "$_summary"; then
            echo "$(basename "$_svg") not copied to $_curves: runs of $_env recorded in $_summary are not in the run directories"
        else
            cp "$_svg" "$_curves"/ || return 1
        fi
    done
}

# merge_summary SUMMARY PART...: writes the parts' rows into SUMMARY. A row
# replaces the summary's row of the same run directory (field 11) where it
# stands; rows of runs new to the summary follow at the end, and the
# summary's other rows stay. So a script run on part of a table's grid (one
# map, one net, some seeds) updates that part and loses no other row, and
# copy_curves still sees the recorded rows of the runs it did not train. A
# full regeneration gives the rows in the order they had.
merge_summary() {
    _summary=$1
    shift
    [ -f "$_summary" ] || : >"$_summary" || return 1
    awk -F, -v old="$_summary" '
        FNR == 1 { if (!header++) print; next }
        FILENAME != old { if (!($11 in part)) keys[++n] = $11; part[$11] = $0; next }
        $11 in part { print part[$11]; done[$11] = 1; next }
        { print }
        END { for (i = 1; i <= n; i++) if (!(keys[i] in done)) print part[keys[i]] }
    ' "$@" "$_summary" >"$_summary.tmp" && mv "$_summary.tmp" "$_summary"
}
