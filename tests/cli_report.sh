#!/bin/sh
# cli_report.sh — `grsn report` and `grsn sweep` from the command line:
# the report of the hand-made run tree tests/fixtures/runs_tiny (tables,
# flags, SVG files), one-line errors for bad input; a tiny sweep that trains
# its grid N at a time, skips finished runs on a second call, trains a
# stopped run again, carries on past a failing job (exit 1), stops its jobs
# on SIGTERM, refuses to skip a finished run made with other flags (but not
# one made by another build), and writes the summary (also alone, with
# --summary-only), keeps the rows of recorded runs whose directories are
# gone, and results/lib.sh copies only the curves of the others; the report
# of the sweep's runs draws spike rasters.
# Ends with "cli_report: N passed, N failed".
. "$(dirname "$0")/lib_cli.sh"

OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}; export OMP_WAIT_POLICY
# Tiny nets, a few hundred steps: a run takes about a second.
tiny="--steps 300 --hidden 8 --head-hidden 8 --emb-o 8 --batch 8 --seq-len 16 --eval-interval 100 --eval-episodes 2 --warmup-episodes 2"

# --- grsn report
expect_error "report without RUNS_DIR" 2 "name the runs directory" report
expect_error "report of a missing directory" 1 "cannot open" report "$tmp/nothing"
mkdir -p "$tmp/empty"
expect_error "report of a directory without runs" 1 "no run directories" report "$tmp/empty"

"$bin" report tests/fixtures/runs_tiny --out "$tmp/rep" >"$tmp/out" 2>&1; rc=$?
check "report of the fixture tree" \
    '[ $rc -eq 0 ] && grep -q "13 run directories (10 finished, 3 partial) in 7 methods; 4 curve plots" "$tmp/out"'
check "index.md: mean ± std across seeds beside the paper" \
    'grep -q "| TD3-GRSN | TAP | 190.0 ± 8.16 (n=3) | 200.0 ± 0.00 |" "$tmp/rep/index.md"'
check "index.md: QMIX reward and win rate" \
    'grep -q "20.0 ± 0.50 (n=2) | 20.0 ± 0.12 | 95.0 ± 5.00 (n=2) | 99.4 ± 1.48" "$tmp/rep/index.md"'
check "index.md: partial runs flagged and listed, not averaged" \
    'grep -q "198.0 ± 2.00 (n=2 ⚠)" "$tmp/rep/index.md" && grep -q "gru/s2\`: no result" "$tmp/rep/index.md"'
check "SVG curves with a viewBox, closed" \
    'for f in "$tmp"/rep/curves_*.svg; do grep -q "viewBox=" "$f" && [ "$(tail -n 1 "$f")" = "</svg>" ] || exit 1; done'

# --- grsn sweep: bad input
expect_error "sweep: unknown env lists the envs" 2 "valid envs: cartpole-f" sweep --envs cartpole-x
expect_error "sweep: unknown map lists the maps" 2 "valid maps: " sweep --envs smac:9m
expect_error "sweep: unknown net lists the nets" 2 "valid nets: grsn, lif, gru, mlp" sweep --envs cartpole-v --nets grsn,rnn
expect_error "sweep: unknown algo lists the choices" 2 "valid choices: auto|td3|sacd|qmix" sweep --envs cartpole-v --algo ppo
expect_error "sweep: td3 on a discrete task" 2 "td3" sweep --envs cartpole-v --algo td3
expect_error "sweep: qmix on a control task" 2 "does not fit" sweep --envs pendulum-p --algo qmix
expect_error "sweep: bad seed range" 2 "seeds" sweep --envs cartpole-v --seeds 3-1
expect_error "sweep: flags it sets itself" 2 "set by the sweep" sweep --envs cartpole-v -- --seed 3
expect_error "sweep: --jobs 0" 2 "jobs" sweep --envs cartpole-v --jobs 0

# The task's own algorithm for an env name written as grsn_env_make reads it
# (any case), and --threads among the pass-through flags named in the banner
# and kept for a resumed run's command.
"$bin" sweep --envs CartPole-p --nets grsn --seeds 0 --runs "$tmp/dry" --dry-run 1 -- --threads 1 >"$tmp/dry.out" 2>&1; rc=$?
check "sweep: CartPole-p resolves to sacd, the user's --threads in the banner" \
    '[ $rc -eq 0 ] && grep -q "1 threads each" "$tmp/dry.out" && grep -q "run  grsn train --env CartPole-p --algo sacd" "$tmp/dry.out"'

# --- grsn sweep: a grid, then the same grid again
runs="$tmp/runs"
# shellcheck disable=SC2086
"$bin" sweep --envs cartpole-v,pendulum-p --nets grsn --seeds 0-1 --jobs 2 --runs "$runs" -- $tiny >"$tmp/s1" 2>&1; rc=$?
check "sweep trains the grid 2 at a time" \
    '[ $rc -eq 0 ] && grep -q "4 to train; 2 at a time" "$tmp/s1" && grep -q "4 trained, 0 failed" "$tmp/s1"'
check "summary: every run finished, with its score and command" \
    '[ "$(grep -c ",finished," "$runs/summary.csv")" -eq 4 ] &&
     grep -q "^pendulum-p,td3,grsn,1,finished,-[0-9.]*,.*\"grsn train --env pendulum-p --algo td3 --net grsn --seed 1 --out $runs/pendulum-p/grsn/s1 --threads 1 --steps 300" "$runs/summary.csv"'
# shellcheck disable=SC2086
"$bin" sweep --envs cartpole-v,pendulum-p --nets grsn --seeds 0-1 --jobs 2 --runs "$runs" -- $tiny >"$tmp/s2" 2>&1; rc=$?
check "a second call skips the finished runs" \
    '[ $rc -eq 0 ] && grep -q "4 finished earlier, 0 to train" "$tmp/s2" && [ "$(grep -c "^skip" "$tmp/s2")" -eq 4 ] &&
     [ "$(grep -c "finished (earlier)" "$runs/summary.csv")" -eq 4 ]'

# A run made by another build of grsn (another grsn_build) is the same run.
sed -i 's/^grsn_build=.*/grsn_build=0000000-another-build/' "$runs/pendulum-p/grsn/s0/config"
# shellcheck disable=SC2086
"$bin" sweep --envs pendulum-p --nets grsn --seeds 0 --runs "$runs" --summary "$tmp/sumb.csv" -- $tiny >"$tmp/s2c" 2>&1; rc=$?
check "a run of another build is skipped as finished" \
    '[ $rc -eq 0 ] && grep -q "1 finished earlier, 0 to train" "$tmp/s2c" && grep -q "finished (earlier)" "$tmp/sumb.csv"'
# An older build did not write the keys added since: they take their defaults.
sed -i '/^cell.gates=/d; /^cell.decode=/d' "$runs/pendulum-p/grsn/s0/config"
# shellcheck disable=SC2086
"$bin" sweep --envs pendulum-p --nets grsn --seeds 0 --runs "$runs" --summary "$tmp/sumb2.csv" -- $tiny >"$tmp/s2e" 2>&1; rc=$?
check "a config without the keys added since is the same config" \
    '[ $rc -eq 0 ] && grep -q "1 finished earlier, 0 to train" "$tmp/s2e" && grep -q "finished (earlier)" "$tmp/sumb2.csv"'
# --summary-only: the grid's summary as it stands, nothing trained.
# shellcheck disable=SC2086
"$bin" sweep --envs cartpole-v,pendulum-p --nets grsn --seeds 0-2 --runs "$runs" --summary "$tmp/sumo.csv" --summary-only 1 \
    -- $tiny >"$tmp/s2d" 2>&1; rc=$?
check "--summary-only writes the summary and trains nothing" \
    '[ $rc -eq 0 ] && [ "$(grep -c "finished (earlier)" "$tmp/sumo.csv")" -eq 4 ] &&
     [ "$(grep -c ",not run," "$tmp/sumo.csv")" -eq 2 ] && [ ! -e "$runs/pendulum-p/grsn/s2" ]'

# A run recorded as finished in the summary keeps its row while its directory
# is gone (a fresh clone has results/*.csv but no runs), threads aside; a
# row of other flags, or a new summary, does not keep it.
cp "$tmp/sumo.csv" "$tmp/sumr.csv"
cp "$tmp/sumo.csv" "$tmp/sumr2.csv"
mv "$runs/cartpole-v/grsn/s1" "$tmp/away.s1"
# shellcheck disable=SC2086
"$bin" sweep --envs cartpole-v,pendulum-p --nets grsn --seeds 0-2 --runs "$runs" --summary "$tmp/sumr.csv" --summary-only 1 \
    --threads 2 -- $tiny >"$tmp/sr" 2>&1; rc=$?
# shellcheck disable=SC2086
"$bin" sweep --envs cartpole-v --nets grsn --seeds 1 --runs "$runs" --summary "$tmp/sumr2.csv" --summary-only 1 \
    -- $tiny --gamma 0.5 >/dev/null 2>&1
# shellcheck disable=SC2086
"$bin" sweep --envs cartpole-v --nets grsn --seeds 1 --runs "$runs" --summary "$tmp/sumr3.csv" --summary-only 1 \
    -- $tiny >/dev/null 2>&1
before=$(grep "^cartpole-v,sacd,grsn,1," "$tmp/sumo.csv" | cut -d, -f6-11)
check "a run recorded as finished keeps its row while its directory is gone" \
    '[ $rc -eq 0 ] && [ "$(grep "^cartpole-v,sacd,grsn,1,finished (recorded)," "$tmp/sumr.csv" | cut -d, -f6-11)" = "$before" ] &&
     [ "$(grep -c "finished (earlier)" "$tmp/sumr.csv")" -eq 3 ] && [ "$(grep -c ",not run," "$tmp/sumr.csv")" -eq 2 ] &&
     grep -q "^cartpole-v,sacd,grsn,1,not run," "$tmp/sumr2.csv" && grep -q "^cartpole-v,sacd,grsn,1,not run," "$tmp/sumr3.csv" &&
     grep -q "summary of 6 runs (3 finished, 1 recorded, 2 not finished)" "$tmp/sr"'
mv "$tmp/away.s1" "$runs/cartpole-v/grsn/s1"

# The results scripts copy an environment's curves to results/ only when none
# of its runs is a recorded row (results/lib.sh): here cartpole-v has one.
mkdir -p "$tmp/svg"
for f in curves_cartpole-v curves_pendulum-p curves_pendulum-p_win; do echo "<svg/>" >"$tmp/svg/$f.svg"; done
(. results/lib.sh && copy_curves "$tmp/sumr.csv" "$tmp/copied" "$tmp"/svg/curves_*.svg) >"$tmp/cc" 2>&1; rc=$?
check "curves of recorded runs are not copied, the others are" \
    '[ $rc -eq 0 ] && [ "$(ls "$tmp/copied" | tr "\n" " ")" = "curves_pendulum-p.svg curves_pendulum-p_win.svg " ] &&
     grep -q "curves_cartpole-v.svg not copied" "$tmp/cc"'

# A sweep over part of a summary's grid updates the summary in place: its
# rows replace those of the same run directory where they stand, its new runs
# follow, and every other row stays as it was, here one row of a run no grid
# of this test has. (The results scripts rely on this: one map, one net or
# some seeds at a time.)
{ head -n 2 "$tmp/sumr.csv"
  echo 'cartpole-v,sacd,gru,9,finished,1,0,,300,1,"runs/other/s9","grsn train --env cartpole-v --out runs/other/s9"'
  tail -n +3 "$tmp/sumr.csv" | sed 's/^\(pendulum-p,td3,grsn,1\),finished (earlier),/\1,partial,/'; } >"$tmp/part.csv"
cp "$tmp/part.csv" "$tmp/merged.csv"
# shellcheck disable=SC2086
"$bin" sweep --envs pendulum-p --nets grsn --seeds 1,3 --runs "$runs" --summary "$tmp/merged.csv" --summary-only 1 \
    -- $tiny >"$tmp/ms" 2>&1; rc=$?
check "a sweep over part of the grid updates the summary in place, losing no row" \
    '[ $rc -eq 0 ] && [ "$(wc -l <"$tmp/merged.csv")" -eq $(($(wc -l <"$tmp/part.csv") + 1)) ] &&
     [ "$(grep -n "^pendulum-p,td3,grsn,1,finished (earlier)," "$tmp/merged.csv" | cut -d: -f1)" = \
       "$(grep -n "^pendulum-p,td3,grsn,1,partial," "$tmp/part.csv" | cut -d: -f1)" ] &&
     tail -n 1 "$tmp/merged.csv" | grep -q "^pendulum-p,td3,grsn,3,not run," &&
     [ "$(grep -v "^pendulum-p,td3,grsn,[13]," "$tmp/merged.csv")" = "$(grep -v "^pendulum-p,td3,grsn,1," "$tmp/part.csv")" ] &&
     grep -q "and 6 rows of other runs kept" "$tmp/ms"'
# A --summary that is not a sweep summary, or has a row cut short, stops the
# sweep before it trains anything, and the file is left as it was.
echo "name,value" >"$tmp/foreign.csv"
# shellcheck disable=SC2086
expect_error "sweep: a foreign --summary file is refused before training" 1 "foreign.csv is not a grsn sweep summary" \
    sweep --envs cartpole-v --nets grsn --seeds 7 --runs "$runs" --summary "$tmp/foreign.csv" -- $tiny
{ head -n 1 "$tmp/sumr.csv"; echo 'cartpole-v,sacd,grsn,0,finished,200'; } >"$tmp/cut.csv"
cp "$tmp/cut.csv" "$tmp/cut.before"
# shellcheck disable=SC2086
expect_error "sweep: a summary row cut short is refused, naming its line" 1 "cut.csv, line 2: 6 fields, a summary row has 12" \
    sweep --envs cartpole-v --nets grsn --seeds 7 --runs "$runs" --summary "$tmp/cut.csv" -- $tiny
check "a refused summary is left as it was and nothing is trained" \
    '[ "$(cat "$tmp/foreign.csv")" = "name,value" ] && cmp -s "$tmp/cut.csv" "$tmp/cut.before" && [ ! -e "$runs/cartpole-v/grsn/s7" ]'

# A finished run with other flags in the same directory is reported, never overwritten.
cp "$runs/cartpole-v/grsn/s0/result" "$tmp/result.before"
# shellcheck disable=SC2086
"$bin" sweep --envs cartpole-v --nets grsn --seeds 0 --runs "$runs" --summary "$tmp/sum0.csv" -- $tiny --gamma 0.5 \
    >"$tmp/s2b" 2>"$tmp/e2b"; rc=$?
check "a finished run with another config is reported, kept, exit 1" \
    '[ $rc -eq 1 ] && grep -q "another configuration (the run has .gamma=0.899999976., this sweep .gamma=0.5.)" "$tmp/e2b" &&
     cmp -s "$runs/cartpole-v/grsn/s0/result" "$tmp/result.before" && grep -q ",finished with another config," "$tmp/sum0.csv"'

# A stopped run (config, no result) is carried on from its last resume pair
# (here the pair of its final evaluation: the run just finishes, as it did
# before), or trained again from the start when it has none.
cp "$runs/cartpole-v/grsn/s1/progress.csv" "$tmp/progress.s1"
cp "$runs/pendulum-p/grsn/s1/progress.csv" "$tmp/progress.p1"
rm "$runs/cartpole-v/grsn/s1/result" "$runs/pendulum-p/grsn/s1/result" "$runs/pendulum-p/grsn/s1/"replay_*
# shellcheck disable=SC2086
"$bin" sweep --envs cartpole-v,pendulum-p --nets grsn --seeds 0-1 --jobs 2 --runs "$runs" -- $tiny >"$tmp/s3" 2>&1; rc=$?
check "a stopped run with a resume pair is carried on, one without is trained again" \
    '[ $rc -eq 0 ] && grep -q "2 finished earlier, 2 to train" "$tmp/s3" &&
     grep -q "^resume grsn train --env cartpole-v .*(from its last resume pair in $runs/cartpole-v/grsn/s1)" "$tmp/s3" &&
     grep -q "^start  grsn train --env pendulum-p .*--seed 1 " "$tmp/s3" &&
     [ -f "$runs/cartpole-v/grsn/s1/result" ] && [ -f "$runs/pendulum-p/grsn/s1/result" ] &&
     cmp -s "$runs/cartpole-v/grsn/s1/progress.csv" "$tmp/progress.s1" &&
     cmp -s "$runs/pendulum-p/grsn/s1/progress.csv" "$tmp/progress.p1" &&
     grep -q "^cartpole-v,sacd,grsn,1,finished," "$runs/summary.csv"'

# A failing job (its config path is taken by a directory) is reported; the others run.
mkdir -p "$runs/cartpole-v/grsn/s2/config"
# shellcheck disable=SC2086
"$bin" sweep --envs cartpole-v --nets grsn --seeds 0-3 --runs "$runs" --summary "$tmp/sum.csv" -- $tiny >"$tmp/s4" 2>"$tmp/e4"; rc=$?
check "a failing job is reported, the others continue, exit 1" \
    '[ $rc -eq 1 ] && grep -q "FAILED cartpole-v grsn seed 2 (exit 1" "$tmp/e4" && [ -f "$runs/cartpole-v/grsn/s3/result" ] &&
     grep -q "^cartpole-v,sacd,grsn,2,failed," "$tmp/sum.csv" && grep -q "^cartpole-v,sacd,grsn,3,finished," "$tmp/sum.csv"'

# SIGTERM stops the sweep's own job; the directory stays partial for the next call.
# shellcheck disable=SC2086
"$bin" sweep --envs pendulum-v --nets grsn --seeds 0 --runs "$tmp/runs2" -- $tiny --steps 100000 >"$tmp/s5" 2>"$tmp/e5" &
pid=$!
i=0; while [ ! -f "$tmp/runs2/pendulum-v/grsn/s0/config" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$pid"; wait "$pid"; rc=$?
check "SIGTERM stops the jobs, writes the summary, exit 1" \
    '[ $rc -eq 1 ] && grep -q "run the same command again to resume" "$tmp/e5" &&
     grep -q "^pendulum-v,td3,grsn,0,partial," "$tmp/runs2/summary.csv" && [ ! -f "$tmp/runs2/pendulum-v/grsn/s0/result" ]'

# --- The report of the sweep: curves and spike rasters of the trained agents.
rm -rf "$runs/cartpole-v/grsn/s2"
"$bin" report "$runs" --out "$tmp/rep2" --samples 64 >"$tmp/out" 2>&1; rc=$?
# The tiny agents are not the paper's: a method of their own, named by their
# settings, drawn, but in none of Tables 1-4.
check "report of the sweep draws the rasters, keeps the tiny agents out of the paper's tables" \
    '[ $rc -eq 0 ] && grep -q "2 curve plots, 2 spike rasters, 0 Table 4 rows" "$tmp/out" &&
     grep -q "viewBox=" "$tmp/rep2/raster_cartpole-v.svg" && grep -q "viewBox=" "$tmp/rep2/raster_pendulum-p.svg" &&
     grep -q "| pendulum-p | td3 | GRSN (warmup_episodes=2 emb_o=8 hidden=8 head_hidden=8 seq_len=16 batch=8) | TAP |" "$tmp/rep2/index.md"'

finish cli_report
