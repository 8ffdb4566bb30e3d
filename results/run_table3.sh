#!/bin/sh
# run_table3.sh — trains the runs behind Table 3, the TAP ablation (paper
# §5.3), with `grsn sweep`, writes their final scores to results/table3.csv
# and the report of all runs (its Table 3 beside the paper's) to
# report/table3/index.md.
#
#   sh results/run_table3.sh [ENVS] [SEEDS] [JOBS]
#   sh results/run_table3.sh "smac:8m pendulum-p" "0 1 2 3 4" 1
#
# Cells: LIF and GRSN, with TAP (one neuron update per decision) and without
# it (`--no-tap 1`: 4 substeps of repeated input, rate decoding), on
# Pendulum-P (51k steps, the paper's setup) and SMAC 8m (1 M steps, as Table
# 2 here; the paper trains 10 M on SC2). The with-TAP Pendulum-P runs are
# Table 1's (GRSN and LIF under runs/table1), so one run serves both tables.
# The 8m runs with TAP go to runs/table3/tap, every w/o-TAP run to
# runs/table3/wotap. (Until session 16 GRSN on 8m with TAP was Table 2's run;
# Table 2's 8m is now trained with the fixed game loop, and this table's 8m
# block keeps the old loop throughout, so its GRSN runs moved here.) Finished
# runs are skipped and stopped ones carried on (grsn sweep). The 300k-step 8m
# runs of session 2 are kept apart in runs/table3_300k and
# results/table3_300k.csv.
# SUMMARY_ONLY=1 writes the summary and report as they stand, training
# nothing; THREADS sets the threads per run (default: cores / JOBS).
bin=${GRSN_BIN:-build/grsn}
. "$(dirname "$0")/lib.sh"
envs=${1:-"smac:8m pendulum-p"}
seeds=$(echo "${2:-0 1 2 3 4}" | tr ' ' ',')
jobs=${3:-1}
summary=${SUMMARY:-results/table3.csv}
out=${REPORT:-report/table3}
steps_8m=${STEPS_8m:-1000000}
# The 8m rows come from the simulator's game loop before session 15, which
# pushed crowded units apart before they fired; --push-first 1 reproduces it.
# SMAC_FLAGS="" trains with today's loop.
smac_flags=${SMAC_FLAGS-"--push-first 1"}
rc=0
# Each sweep updates the summary in place: rows of the other cells, and of
# envs or seeds outside this call, stay (`grsn sweep --help`).
sweep() {   # sweep RUNS ENV NETS -- FLAGS...
    runs=$1 env=$2 nets=$3
    shift 4
    # shellcheck disable=SC2086
    "$bin" sweep ${SUMMARY_ONLY:+--summary-only 1} --envs "$env" --nets "$nets" --seeds "$seeds" --jobs "$jobs" \
        ${THREADS:+--threads "$THREADS"} --runs "$runs" --summary "$summary" -- "$@" || rc=1
}
for env in $envs; do
    case $env in
        smac:*)
            # shellcheck disable=SC2086
            sweep runs/table3/wotap "$env" lif,grsn -- --steps "$steps_8m" --no-tap 1 $smac_flags
            # shellcheck disable=SC2086
            sweep runs/table3/tap "$env" lif,grsn -- --steps "$steps_8m" $smac_flags ;;
        *)
            sweep runs/table3/wotap "$env" lif,grsn -- --no-tap 1
            sweep runs/table1 "$env" lif,grsn -- ;;
    esac
done
if fresh_report runs "$out"; then
    copy_curves "$summary" "${CURVES:-results/curves/table3}" "$out"/curves_8m.svg "$out"/curves_8m_win.svg \
        "$out"/curves_pendulum-p.svg || rc=1
else
    rc=1
fi
exit $rc
