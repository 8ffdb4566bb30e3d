#!/bin/sh
# smac_figures.sh — the SMAC simulator's reference figures: env-steps/s on the
# six maps (one thread and all threads), and random vs focus-fire statistics.
# Usage: sh dev/smac_figures.sh [EPISODES] [SECONDS]   (after `make`)
bin=${GRSN_BIN:-build/grsn}
episodes=${1:-200}
seconds=${2:-2}
for m in 8m 2s3z 8m_vs_9m 3s_vs_5z 27m_vs_30m MMM2; do
    "$bin" bench smac "$m" --seconds "$seconds"
done
for m in 8m 2s3z 8m_vs_9m 3s_vs_5z 27m_vs_30m MMM2; do
    for p in random heuristic; do
        echo "== $m $p"
        "$bin" smac play "$m" --policy "$p" --episodes "$episodes" --seed 1 | tail -n 3
    done
done
