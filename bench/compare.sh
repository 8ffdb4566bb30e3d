#!/bin/sh
# compare.sh — grsn beside its PyTorch reference on this machine, at the same
# thread count, as Markdown tables with the ratio. Each pair is measured
# alternately (grsn, PyTorch, grsn, PyTorch, ...) so that a machine whose
# speed drifts treats both alike; the ratio is of the means over the rounds.
#
#   sh bench/compare.sh [THREADS...]          default: 1 2
#
# Environment: GRSN_BIN (build/grsn), PYTHON (the first of /usr/bin/python3
# and python3 that imports torch), MIN_TIME seconds per measurement (4),
# ROUNDS per pair (2). Run it on an otherwise idle machine: absolute figures
# drift on a shared one, ratios much less.
#
# What is compared (dev/bench_update.py and dev/bench_cells.py compute the
# same as the C benchmarks; see their headers):
#   updates/s at the paper's batch (32 windows of 64): TD3-GRSN and TD3-GRU on
#   Pendulum-P, SAC-discrete-GRSN on CartPole-V (`grsn bench update`);
#   one cell's forward + backward over a window (`grsn bench cells`);
#   QMIX learner updates/s on 8m, batch 128 episodes (`grsn bench qmix`'s
#   update line; dev/bench_qmix.py at the T of grsn's batches).
bin=${GRSN_BIN:-build/grsn}
min_time=${MIN_TIME:-4}
rounds=${ROUNDS:-2}
threads=${*:-1 2}
[ -x "$bin" ] || { echo "compare.sh: $bin not found (make first, or set GRSN_BIN)" >&2; exit 1; }
py=${PYTHON:-}
if [ -z "$py" ]; then
    for p in /usr/bin/python3 python3; do
        if "$p" -c "import torch" 2>/dev/null; then py=$p; break; fi
    done
fi
[ -n "$py" ] || { echo "compare.sh: no python with torch (set PYTHON; Debian: apt install python3-torch)" >&2; exit 1; }
dir=$(dirname "$0")/..

# The number after `key` on the last line that has it.
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) v = $(i + 1) } END { print v }'; }
# Mean of the arguments: two decimals, four below 1 (PyTorch's QMIX updates/s
# are about 0.05, and a ratio of means rounded to 0.05 would be off by 10%).
mean() { echo "$@" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; m = s / NF; printf (m < 1 ? "%.4f" : "%.2f"), m }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

echo "$("$bin" --version | head -1) beside $("$py" -c 'import torch; print("torch", torch.__version__)')"\
     "($("$py" "$dir/dev/bench_update.py" --iters 1 --threads 1 | sed -n 's/^BLAS: //p')), $(nproc) cores,"\
     "MIN_TIME $min_time s, $rounds rounds"
echo
echo "| update (updates/s) | threads | grsn | PyTorch | grsn / PyTorch |"
echo "|---|---:|---:|---:|---:|"
for t in $threads; do
    for case in "td3 grsn pendulum-p" "td3 gru pendulum-p" "sacd grsn cartpole-v"; do
        set -- $case
        g="" p=""
        r=0
        while [ $r -lt "$rounds" ]; do
            g="$g $("$bin" bench update --env "$3" --algo "$1" --net "$2" --threads "$t" --min-time "$min_time" |
                    field updates/s)"
            p="$p $("$py" "$dir/dev/bench_update.py" --algo "$1" --net "$2" --threads "$t" --min-time "$min_time" |
                    field updates/s)"
            r=$((r + 1))
        done
        gm=$(mean $g) pm=$(mean $p)
        echo "| $(echo "$1" | tr a-z A-Z)-$(echo "$2" | tr a-z A-Z), $3 | $t | $gm ($(echo $g | tr ' ' '/')) |"\
             "$pm ($(echo $p | tr ' ' '/')) | $(ratio "$gm" "$pm")× |"
    done
done
echo
echo "| cell, forward + backward (ms; T 65, batch 32, input 48, hidden 128) | threads | grsn | PyTorch | PyTorch / grsn |"
echo "|---|---:|---:|---:|---:|"
for t in $threads; do
    out_g=$("$bin" bench cells --threads "$t" --min-time "$min_time")
    out_p=$("$py" "$dir/dev/bench_cells.py" --threads "$t" --min-time "$min_time")
    for cell in grsn lif gru; do
        g=$(echo "$out_g" | awk -F'|' -v c="$cell" '$2 ~ "^ *" c " *$" { gsub(/ /, "", $3); print $3 }')
        p=$(echo "$out_p" | awk -F'|' -v c="$cell" '$2 ~ "^ *" c " *$" { gsub(/ /, "", $3); print $3 }')
        echo "| $(echo "$cell" | tr a-z A-Z) | $t | $g | $p | $(ratio "$p" "$g")× |"
    done
done
echo
echo "| QMIX update, 8m, batch 128 (updates/s) | threads | grsn | PyTorch (pymarl2's learner) | grsn / PyTorch |"
echo "|---|---:|---:|---:|---:|"
for t in $threads; do
    for net in grsn gru; do
        g="" p=""
        r=0
        while [ $r -lt "$rounds" ]; do
            out=$("$bin" bench qmix --map 8m --net "$net" --threads "$t" --seconds "$min_time" | grep '^update')
            steps=$(echo "$out" | awk '{ for (i = 1; i < NF; i++) if ($i == "x") printf "%d", $(i + 1) + 0.5 }')
            g="$g $(echo "$out" | awk '{ print $2 }')"
            p="$p $("$py" "$dir/dev/bench_qmix.py" --map 8m --net "$net" --threads "$t" --steps "$steps" \
                    --min-time "$min_time" | awk '$1 == "update" { print $2 }')"
            r=$((r + 1))
        done
        gm=$(mean $g) pm=$(mean $p)
        echo "| $(echo "$net" | tr a-z A-Z) agents, T $steps | $t | $gm ($(echo $g | tr ' ' '/')) |"\
             "$pm ($(echo $p | tr ' ' '/')) | $(ratio "$gm" "$pm")× |"
    done
done
