# lib_cli.sh — what every tests/cli_*.sh script shares: the binary under test,
# a scratch directory removed on exit, and the pass/fail bookkeeping.
#
#   . "$(dirname "$0")/lib_cli.sh"
#   check "name" 'shell condition'
#   expect_error "name" 2 "part of the message" train --env mountaincar
#   finish cli_name        # prints "cli_name: N passed, N failed"; exit status
bin=${GRSN_BIN:-build/grsn}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/grsn_cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok()    { pass=$((pass + 1)); echo "  ok   $1"; }
bad()   { fail=$((fail + 1)); echo "  FAIL $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
finish() { echo "$1: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; }

# grsn train with the arguments after $1 into run directory $1, killed
# (SIGKILL) as soon as the directory holds a complete replay file, i.e. its
# first resume pair. killed=1 if the run had not finished by then. grsn is
# the background job itself (not a subshell), so that $! is its pid.
train_killed_after_first_pair() {
    dir=$1; shift
    "$bin" train "$@" --out "$dir" >/dev/null 2>&1 &
    pid=$!
    i=0
    while ! ls "$dir" 2>/dev/null | grep -q "^replay_[0-9]*\.grsn$" && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    killed=0; [ -e "$dir/result" ] || killed=1
}

# grsn with the arguments after $3: exit status $2 and exactly one line on
# stderr containing $3.
expect_error() {
    name=$1; want_rc=$2; want=$3; shift 3
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -eq "$want_rc" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "$want" "$tmp/err"; then ok "$name"
    else bad "$name (exit $rc: $(cat "$tmp/err"))"; fi
}
