#!/bin/sh
# cli_smac.sh — `grsn smac` and `grsn bench smac` from the outside: sizes,
# play statistics, replay files, and the bad-input paths (unknown map,
# forbidden action, unknown flag or value). Run by tests/run.sh.
. "$(dirname "$0")/lib_cli.sh"

# expect NAME WANTED_EXIT_STATUS COMMAND...: stdout+stderr in $tmp/out
expect() {
    name=$1; want=$2; shift 2
    "$@" >"$tmp/out" 2>&1; rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; else bad "$name: exit $rc, wanted $want"; cat "$tmp/out"; fi
}
contains() { if grep -q -- "$2" "$tmp/out"; then ok "$1"; else bad "$1: no '$2' in:"; cat "$tmp/out"; fi; }

expect "info 8m" 0 "$bin" smac info 8m
contains "8m obs_dim 80" "obs_dim       80"
contains "8m state_dim 168" "state_dim     168"
contains "8m 14 actions" "actions       14"
expect "info 27m_vs_30m" 0 "$bin" smac info 27m_vs_30m
contains "27m_vs_30m sizes" "obs_dim       285"
contains "27m_vs_30m state" "state_dim     1170"
contains "27m_vs_30m step bytes" "step bytes    2344 as a snapshot (36432 as observations, state and masks)"
expect "info MMM2 without last actions" 0 "$bin" smac info MMM2 --state-last-action 0
contains "MMM2 state_dim 142" "state_dim     142"

expect "play 3m heuristic" 0 "$bin" smac play 3m --policy heuristic --episodes 5 --seed 1
contains "play prints a win rate" "win rate"
contains "play prints a mean return" "mean return"
contains "play prints an episode length" "mean episode length"
expect "play 3s_vs_5z kite" 0 "$bin" smac play 3s_vs_5z --policy kite --episodes 5 --seed 1
contains "kiting wins 3s_vs_5z" "win rate 100.0% (won 5, lost 0"
"$bin" smac play 8m --policy random --episodes 3 --seed 4 >"$tmp/a" 2>&1
"$bin" smac play 8m --policy random --episodes 3 --seed 4 >"$tmp/b" 2>&1
if cmp -s "$tmp/a" "$tmp/b"; then ok "same seed, same output"; else bad "same seed gave different output"; fi

expect "replay" 0 "$bin" smac play 2s3z --episodes 2 --seed 2 --replay "$tmp/r.jsonl"
n=$(wc -l <"$tmp/r.jsonl")
steps=$(grep -c '"type":"step"' "$tmp/r.jsonl")
if [ "$(head -n 1 "$tmp/r.jsonl" | grep -c '"type":"header"')" -eq 1 ] && [ "$n" -eq $((steps + 1)) ] && [ "$steps" -gt 2 ]; then
    ok "replay: a header and $steps step lines"
else bad "replay has $n lines, $steps steps"; fi
if tail -n 1 "$tmp/r.jsonl" | grep -q '"terminated":1' && grep -q '"health":' "$tmp/r.jsonl" \
   && grep -q '"shield":' "$tmp/r.jsonl" && grep -q '"action":' "$tmp/r.jsonl"; then
    ok "replay lines carry position, health, shield and action"
else bad "replay lines lack fields"; fi

expect "unknown map" 1 "$bin" smac play 9m
contains "unknown map lists the maps" "the maps are: 3m, 8m, 2s3z, 8m_vs_9m, 3s_vs_5z, 27m_vs_30m, MMM2"
expect "forbidden action" 1 "$bin" smac play 3m --actions "1,1,1;0,1,1"
contains "forbidden action names agent and action" "agent 0 (marine, alive): action 0 (no-op) is not available"
expect "attack out of range" 1 "$bin" smac play 3m --actions "6,1,1"
contains "attack out of range named" "action 6 (attack enemy 0)"
expect "unknown flag" 2 "$bin" smac play 3m --episode 3
contains "unknown flag lists flags" "unknown flag '--episode'"
if [ "$(wc -l <"$tmp/out")" -eq 1 ]; then ok "unknown flag: one line"; else bad "unknown flag: more than one line"; fi
expect "bad policy value" 2 "$bin" smac play 3m --policy greedy
contains "bad policy lists choices" "random|heuristic|kite"
expect "bad --push-first" 2 "$bin" smac play 3m --push-first 2
contains "bad --push-first named" "--push-first must be 0 or 1, got 2"
# The simulator order reaches the game: focus-firing stalkers on 3s_vs_5z die
# sooner once the crowding zealots strike from where they stepped.
"$bin" smac play 3s_vs_5z --episodes 20 --seed 1 >"$tmp/pf0"
"$bin" smac play 3s_vs_5z --episodes 20 --seed 1 --push-first 1 >"$tmp/pf1"
len0=$(sed -n 's/^mean episode length //p' "$tmp/pf0"); len1=$(sed -n 's/^mean episode length //p' "$tmp/pf1")
if [ -n "$len0" ] && [ -n "$len1" ] && awk -v a="$len0" -v b="$len1" 'BEGIN { exit !(a + 5 < b) }'; then
    ok "--push-first 1: the old order, longer 3s_vs_5z fights ($len1 against $len0 steps)"
else bad "--push-first: episode lengths '$len0' (0) and '$len1' (1)"; fi
expect "bad subcommand" 2 "$bin" smac fly 3m
expect "bench smac" 0 "$bin" bench smac 3m --seconds 0.1 --envs 2 --threads 2
contains "bench reports env-steps/s" "env-steps/s"
expect "bench unknown map" 1 "$bin" bench smac 4m --seconds 0.1

finish cli_smac
