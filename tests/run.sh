#!/bin/sh
# Runs every test program in $GRSN_TESTS and every tests/*.sh script, then
# prints the total as "N passed, N failed". Exit status 1 if anything failed.
here=$(dirname "$0")
pass=0; fail=0; broken=""
for t in "$GRSN_TESTS"/test_* "$here"/cli_*.sh; do
    [ -e "$t" ] || continue
    case "$t" in *.d) continue;; esac
    name=$(basename "$t")
    echo "== $name"
    out=$( if [ "${t%.sh}" != "$t" ]; then sh "$t"; else "$t"; fi 2>&1 ); rc=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '^[A-Za-z0-9_.]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$line" ]; then
        echo "  FAIL $name: no summary line (exit $rc)"; fail=$((fail + 1)); broken="$broken $name"; continue
    fi
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
    pass=$((pass + p)); fail=$((fail + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "  FAIL $name: exit status $rc"; fail=$((fail + 1)); broken="$broken $name"
    fi
done
[ -n "$broken" ] && echo "broken:$broken"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
