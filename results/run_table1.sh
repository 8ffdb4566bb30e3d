#!/bin/sh
# run_table1.sh — trains the runs behind Table 1 (paper §5.1) with
# `grsn sweep`, writes their final scores to results/table1.csv and the
# report of the whole tree (tables beside the paper's, curves, rasters,
# Table 4) to report/table1/index.md.
#
#   sh results/run_table1.sh [ENVS] [NETS] [SEEDS] [JOBS]
#   sh results/run_table1.sh "cartpole-v cartpole-p" "grsn" "0 1 2 3 4" 2
#
# Each run is `grsn train --env ENV --algo ALGO --net NET --seed S --out
# runs/table1/ENV/NET/sS` with the paper's defaults (TD3 on Pendulum,
# SAC-discrete on CartPole). A run whose directory already holds a `result`
# file is skipped, so the script resumes; a run stopped half-way carries on
# from its last checkpoint pair (`grsn train --resume`). JOBS runs go at a time, each with cores / JOBS threads. Run
# directories and the report stay out of git; the CSV is the committed
# summary (one row per run of the grid, with its exact command).
# RUNS, SUMMARY and REPORT override the three locations; SUMMARY_ONLY=1 writes
# the summary and the report of the runs as they stand and trains nothing;
# THREADS sets the threads per run (default: cores / JOBS).
bin=${GRSN_BIN:-build/grsn}
. "$(dirname "$0")/lib.sh"
envs=${1:-"cartpole-v cartpole-p pendulum-v pendulum-p"}
nets=${2:-"grsn lif gru mlp"}
seeds=${3:-"0 1 2 3 4"}
jobs=${4:-1}
root=${RUNS:-runs/table1}
summary=${SUMMARY:-results/table1.csv}
out=${REPORT:-report/table1}
list() { echo $1 | tr ' ' ','; }
# TRAIN_FLAGS (e.g. "--steps 300 --hidden 8" for a smoke test) go to every run.
# The sweep updates the summary in place: rows of envs, nets or seeds outside
# this grid stay (`grsn sweep --help`).
# shellcheck disable=SC2086
"$bin" sweep ${SUMMARY_ONLY:+--summary-only 1} --envs "$(list "$envs")" --nets "$(list "$nets")" --seeds "$(list "$seeds")" --jobs "$jobs" \
    ${THREADS:+--threads "$THREADS"} --runs "$root" --summary "$summary" -- ${TRAIN_FLAGS:-}
rc=$?
if fresh_report "$root" "$out"; then
    copy_curves "$summary" "${CURVES:-results/curves/table1}" "$out"/curves_*.svg || rc=1
else
    rc=1
fi
exit $rc
