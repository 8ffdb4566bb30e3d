#!/bin/sh
# cli_env.sh — `grsn env`: the CSV trace (header, columns, resets, the
# 200-step cap, determinism per seed) and its one-line errors on bad input.
# Ends with "cli_env: N passed, N failed".
. "$(dirname "$0")/lib_cli.sh"

# Expect a non-zero exit and exactly one line on stderr that contains $3.
expect_error() {
    name=$1; shift; want=$1; shift
    "$bin" env "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -ne 0 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "$want" "$tmp/err"; then ok "$name"
    else bad "$name (exit $rc: $(cat "$tmp/err"))"; fi
}

# --- Pendulum: 450 random steps cross the cap twice; timeouts are not terminal.
"$bin" env pendulum-p --seed 3 --policy random --steps 450 >"$tmp/p.csv" 2>"$tmp/err"
check "pendulum trace runs" '[ $? -eq 0 ] && [ ! -s "$tmp/err" ]'
check "pendulum-p header" '[ "$(head -n 1 "$tmp/p.csv")" = "step,cos_theta,sin_theta,action,reward,terminated,truncated" ]'
check "450 rows of 7 columns" '[ "$(awk -F, "NR > 1 && NF == 7" "$tmp/p.csv" | wc -l)" -eq 450 ]'
check "truncated exactly at steps 199 and 399" \
    '[ "$(awk -F, "NR > 1 && \$7 == 1 { printf \"%s \", \$1 }" "$tmp/p.csv")" = "199 399 " ]'
check "never terminated" '[ "$(awk -F, "NR > 1 && \$6 != 0" "$tmp/p.csv" | wc -l)" -eq 0 ]'
check "rewards in [-16.2736, 0], actions in [-1, 1]" \
    '[ "$(awk -F, "NR > 1 && (\$5 > 0 || \$5 < -16.2737 || \$4 < -1 || \$4 > 1)" "$tmp/p.csv" | wc -l)" -eq 0 ]'
check "full float precision" 'awk -F, "NR == 2" "$tmp/p.csv" | grep -Eq "^0,-?[0-9.]{9,}"'

# --- Determinism per seed.
"$bin" env pendulum-p --seed 3 --policy random --steps 450 >"$tmp/p2.csv"
"$bin" env pendulum-p --seed 4 --policy random --steps 450 >"$tmp/p3.csv"
check "same seed, same trace" 'cmp -s "$tmp/p.csv" "$tmp/p2.csv"'
check "other seed, other trace" '! cmp -s "$tmp/p.csv" "$tmp/p3.csv"'

# --- CartPole: random pushes end episodes by falling; the next row is a reset.
"$bin" env CartPole-F --seed 1 --policy random --steps 300 >"$tmp/c.csv"
check "cartpole-f header" '[ "$(head -n 1 "$tmp/c.csv")" = "step,x,x_dot,theta,theta_dot,action,reward,terminated,truncated" ]'
check "falls are terminated, not truncated" \
    '[ "$(awk -F, "NR > 1 && \$8 == 1" "$tmp/c.csv" | wc -l)" -ge 5 ] && [ "$(awk -F, "NR > 1 && \$9 == 1" "$tmp/c.csv" | wc -l)" -eq 0 ]'
check "a reset follows every fall" \
    '[ "$(awk -F, "NR > 2 && prev == 1 && (\$2 > 0.05 || \$2 < -0.05 || \$4 > 0.05 || \$4 < -0.05) { n++ } { prev = \$8 } END { print n + 0 }" "$tmp/c.csv")" -eq 0 ]'
check "actions are 0 or 1, rewards 1" '[ "$(awk -F, "NR > 1 && ((\$6 != 0 && \$6 != 1) || \$7 != 1)" "$tmp/c.csv" | wc -l)" -eq 0 ]'

# --- Actions from a file: blank lines and comments are skipped; --steps defaults to all.
printf '# pushes\n1\n1\n\n0\n1\n' >"$tmp/a.txt"
"$bin" env cartpole-v --seed 0 --actions "$tmp/a.txt" >"$tmp/a.csv"
check "cartpole-v trace from a file" '[ "$(sed -n 1p "$tmp/a.csv")" = "step,x_dot,theta_dot,action,reward,terminated,truncated" ] && [ "$(awk -F, "NR > 1 { printf \"%s\", \$4 }" "$tmp/a.csv")" = "1101" ]'
printf '0.5\n-3\n1e-9\n' >"$tmp/p.txt"
"$bin" env pendulum-v --actions "$tmp/p.txt" --steps 2 >"$tmp/pv.csv"
check "pendulum-v actions as given, --steps 2" '[ "$(awk -F, "NR > 1 { printf \"%s;\", \$3 }" "$tmp/pv.csv")" = "0.5;-3;" ]'

# --- A given start state: one push right from rest (values from the equations of §4.2).
printf '1\n0\n' >"$tmp/r.txt"
"$bin" env cartpole-f --init-state 0,0,0,0 --actions "$tmp/r.txt" >"$tmp/r.csv"
check "--init-state starts there" '[ "$(sed -n 2p "$tmp/r.csv")" = "0,0,0,0,0,1,1,0,0" ] && [ "$(sed -n 3p "$tmp/r.csv")" = "1,0,0.195121944,0,-0.292682916,0,1,0,0" ]'

# --- Bad input: one line, non-zero exit.
expect_error "unknown env lists the names" "cartpole-p, cartpole-v, pendulum-f" mountaincar --policy random
expect_error "missing env name" "name an environment" --policy random
expect_error "unreadable actions file" "cannot open actions file" cartpole-p --actions "$tmp/none.txt"
printf '1\n2\n' >"$tmp/bad1.txt"
expect_error "cartpole action out of range" "bad1.txt:2: bad action '2'" cartpole-p --actions "$tmp/bad1.txt"
printf '0.1\nnan\n' >"$tmp/bad2.txt"
expect_error "non-finite pendulum action" "bad2.txt:2: bad action 'nan'" pendulum-p --actions "$tmp/bad2.txt"
printf '0\n1.5\n' >"$tmp/bad3.txt"
expect_error "fractional cartpole action" "bad action '1.5'" cartpole-v --actions "$tmp/bad3.txt"
expect_error "too few actions for --steps" "holds 4 actions" cartpole-v --actions "$tmp/a.txt" --steps 10 --seed 1
expect_error "no action source" "exactly one of" pendulum-p
expect_error "two action sources" "exactly one of" pendulum-p --policy random --actions "$tmp/p.txt"
expect_error "unknown policy" "valid choices: random" pendulum-p --policy greedy
expect_error "bad --init-state" "needs 2 comma-separated" pendulum-p --policy random --init-state 0.5
expect_error "unknown flag" "unknown flag" pendulum-p --policy random --bogus 1

finish cli_env
