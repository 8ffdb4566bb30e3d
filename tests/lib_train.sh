# lib_train.sh — the checks that cli_train.sh and cli_train_qmix.sh both run
# on `grsn train` (sourced after lib_cli.sh): reruns of a short run, the
# evaluation of its checkpoints, damaged checkpoints, and a non-finite loss.
# Each script sets $tiny, the flags of its small runs.

# Threads wait passively: on a busy machine, spinning OpenMP threads make
# these tiny updates many times slower (the results are the same either way).
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}; export OMP_WAIT_POLICY

# check_reruns ENV STEPS: the run in $tmp/r1 (--env ENV --seed 3 --steps STEPS
# --threads 1 $tiny) against reruns with the same seed, 2 threads and
# another seed; a second run into $tmp/r1 is refused unless --force.
check_reruns() {
    env=$1; steps=$2
    "$bin" train --env "$env" --seed 3 --steps "$steps" --threads 1 $tiny --out "$tmp/r2" >/dev/null 2>&1
    "$bin" train --env "$env" --seed 3 --steps "$steps" --threads 2 $tiny --out "$tmp/r3" >/dev/null 2>&1
    "$bin" train --env "$env" --seed 4 --steps "$steps" --threads 1 $tiny --out "$tmp/r4" >/dev/null 2>&1
    check "same seed, same progress.csv" 'cmp -s "$tmp/r1/progress.csv" "$tmp/r2/progress.csv"'
    check "1 and 2 threads, same progress.csv" 'cmp -s "$tmp/r1/progress.csv" "$tmp/r3/progress.csv"'
    check "another seed, another progress.csv" '! cmp -s "$tmp/r1/progress.csv" "$tmp/r4/progress.csv"'
    expect_error "an --out that holds a run is refused" 2 "already holds a run" \
        train --env "$env" --steps 100 $tiny --out "$tmp/r1"
    "$bin" train --env "$env" --seed 3 --steps "$steps" --threads 1 $tiny --out "$tmp/r1" --force >/dev/null 2>&1
    check "--force reruns into it, with the same result" '[ $? -eq 0 ] && cmp -s "$tmp/r1/progress.csv" "$tmp/r2/progress.csv"'
}

# check_eval_reruns EPISODES: grsn eval of $tmp/r1/final.grsn gives $tmp/e1
# again with the same seed and not with another; the periodic checkpoint
# evaluates too.
check_eval_reruns() {
    "$bin" eval --checkpoint "$tmp/r1/final.grsn" --episodes "$1" >"$tmp/e2"
    "$bin" eval --checkpoint "$tmp/r1/final.grsn" --episodes "$1" --seed 9 >"$tmp/e3"
    check "eval is deterministic per seed" 'cmp -s "$tmp/e1" "$tmp/e2" && ! cmp -s "$tmp/e1" "$tmp/e3"'
    ck=$(ls "$tmp/r1"/ckpt_*.grsn)
    "$bin" eval --checkpoint "$ck" --episodes 2 >/dev/null 2>&1
    check "the periodic checkpoint evaluates too" '[ $? -eq 0 ]'
}

# check_damaged TRUNCATED_NAME CORRUPT_NAME: $tmp/r1/final.grsn cut in half
# and with a flipped byte: exit 1, one line naming the file and the problem.
check_damaged() {
    f="$tmp/r1/final.grsn"
    size=$(wc -c <"$f")
    head -c $((size / 2)) "$f" >"$tmp/half.grsn"
    expect_error "$1" 1 "half.grsn: truncated" eval --checkpoint "$tmp/half.grsn"
    cp "$f" "$tmp/flip.grsn"
    printf '\377' | dd of="$tmp/flip.grsn" bs=1 seek=$((size - 100)) conv=notrunc 2>/dev/null
    expect_error "$2" 1 "flip.grsn: corrupt: checksum mismatch" eval --checkpoint "$tmp/flip.grsn"
}

# check_nan_stop ARGS...: `grsn train ARGS --lr 1e29 --out $tmp/nan` stops on
# a non-finite loss with one line and exit 1; its last checkpoint stays and
# evaluates.
check_nan_stop() {
    "$bin" train "$@" --lr 1e29 --out "$tmp/nan" >"$tmp/nan.out" 2>"$tmp/nan.err"; rc=$?
    check "non-finite loss: exit 1 and one line" \
        '[ $rc -eq 1 ] && [ "$(wc -l <"$tmp/nan.err")" -eq 1 ] &&
         grep -q "non-finite.*the run stopped.*last good checkpoint: $tmp/nan/ckpt_" "$tmp/nan.err"'
    last=$(sed 's/.*last good checkpoint: //' "$tmp/nan.err")
    check "the last good checkpoint evaluates" \
        '[ ! -e "$tmp/nan/final.grsn" ] && "$bin" eval --checkpoint "$last" --episodes 1 >/dev/null 2>&1'
}
