# lib.sh — what the run_table*.sh scripts share (sourced, not run).

# fresh_report ROOT OUT: `grsn report ROOT --out OUT` ($bin) after removing
# OUT's old curves, so that a curve whose runs are gone is not copied on; its
# status is the report's (copy the curves only when it succeeded).
fresh_report() {
    rm -f "$2"/curves_*.svg
    "$bin" report "$1" --out "$2"
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
