#!/bin/sh
# cli_core.sh — the `grsn` command itself: help, version, the cells demo and
# benchmark, and one-line errors with exit status 2 for every kind of bad
# usage. Ends with "cli_core: N passed, N failed".
. "$(dirname "$0")/lib_cli.sh"

# Exit status 2 and exactly one line on stderr containing $2.
usage_error() {
    name=$1; want=$2; shift 2
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "$want" "$tmp/err"; then ok "$name"
    else bad "$name (exit $rc: $(cat "$tmp/err"))"; fi
}

"$bin" --help >"$tmp/help"; rc=$?
check "grsn --help lists the commands" '[ $rc -eq 0 ] && grep -q "cells" "$tmp/help" && grep -q "bench" "$tmp/help"'
check "grsn --version" '"$bin" --version | grep -q "^grsn [0-9]"'
"$bin" cells --help >"$tmp/h2"
check "cells --help lists every flag with its default" \
    'grep -q -- "--cell CHOICE.*\[grsn\]" "$tmp/h2" && grep -q -- "--delay N.*\[10\]" "$tmp/h2" && grep -q -- "--lr X.*\[0.003\]" "$tmp/h2"'
"$bin" bench cells --help >"$tmp/h3"
check "bench cells --help lists its flags" 'grep -q -- "--T N.*\[65\]" "$tmp/h3" && grep -q -- "--hidden N.*\[128\]" "$tmp/h3"'

usage_error "unknown command" "unknown command 'trian'; valid commands:" trian
usage_error "unknown flag names the valid flags" "unknown flag '--dealy'; valid flags:" cells --dealy 3
usage_error "unknown choice lists the choices" "unknown value 'lstm' for --cell; valid choices: grsn|lif|gru" cells --cell lstm
usage_error "non-integer value" "--steps expects an integer, got 'ten'" cells --steps ten
usage_error "non-finite value" "--lr expects a finite number, got 'nan'" cells --lr nan
usage_error "missing value" "--seed needs a value" cells --seed
usage_error "out-of-range value" "--delay 0 must lie in 1..1000" cells --delay 0
usage_error "unknown bench target" "unknown target 'cels'; valid targets:" bench cels
usage_error "unknown cell in bench" "unknown cell 'lstm'" bench cells --cells grsn,lstm

# The demo learns: GRSN keeps a cue across 5 steps, LIF with fixed decay cannot.
"$bin" cells --cell grsn --delay 5 --steps 400 --threads 1 >"$tmp/g" 2>&1
check "grsn learns delayed recall (delay 5)" 'grep -Eq "final accuracy (9[5-9]|100)\." "$tmp/g"'
"$bin" cells --cell lif --delay 5 --steps 400 --threads 1 >"$tmp/l" 2>&1
check "lif stays near chance (delay 5)" 'grep -Eq "final accuracy (4[0-9]|5[0-9])\." "$tmp/l"'
"$bin" cells --cell grsn --delay 5 --steps 400 --threads 2 >"$tmp/g2" 2>&1
check "1 and 2 threads print the same run" '[ "$(tail -n +2 "$tmp/g")" = "$(tail -n +2 "$tmp/g2")" ]'

"$bin" bench cells --T 8 --batch 4 --iters 2 >"$tmp/b" 2>&1
check "bench cells prints a table" '[ "$(grep -c "^| [a-z]" "$tmp/b")" -eq 4 ]'

finish cli_core
