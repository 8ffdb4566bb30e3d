#!/bin/sh
# cli_train.sh — `grsn train` and `grsn eval`: flags and their paper
# defaults, the resolved config, one-line errors on bad input (exit 2), a
# short CartPole-V run (its directory, the same progress.csv for the same
# seed and for 1 and 2 threads), evaluation of its checkpoints (grsn eval and
# examples/embed_agent, which must play the same episodes), and
# one-line errors for missing, empty, truncated, corrupt, foreign and
# wrong-version checkpoints (exit 1), and --resume of a killed run (the files
# of an uninterrupted run) and its errors. Ends with "cli_train: N passed, N failed".
#
# Learning hook: GRSN_CLI_LEARN_STEPS=N also trains the paper's CartPole-V
# setup for N env steps and prints its final evaluation.
. "$(dirname "$0")/lib_cli.sh"
. "$(dirname "$0")/lib_train.sh"

# Tiny nets and short windows: a run of a few hundred steps takes a second.
tiny="--hidden 16 --head-hidden 16 --emb-o 8 --batch 8 --seq-len 16 --eval-interval 200 --eval-episodes 3"

# --- Help and the resolved config.
"$bin" train --help >"$tmp/help"
check "train --help lists the flags with paper defaults" \
    'grep -q -- "--gamma X.*\[0.9\]" "$tmp/help" && grep -q -- "--tau X.*\[0.005\]" "$tmp/help" &&
     grep -q -- "--lr X.*\[3e-4\]" "$tmp/help" && grep -q -- "--batch N.*\[32\]" "$tmp/help" &&
     grep -q -- "--seq-len N.*\[64\]" "$tmp/help" && grep -q -- "--hidden N.*\[128\]" "$tmp/help" &&
     grep -q -- "--target-entropy-scale X.*\[0.7\]" "$tmp/help" && grep -q -- "--substeps N.*\[4\]" "$tmp/help" &&
     grep -q -- "--compat 0|1.*\[0\]" "$tmp/help"'
"$bin" train --env pendulum-p --print-config >"$tmp/c1"
check "pendulum defaults: td3, 51000 steps" \
    'grep -qx "algo=td3" "$tmp/c1" && grep -qx "steps=51000" "$tmp/c1" && grep -qx "gamma=0.899999976" "$tmp/c1" &&
     grep -qx "cell.beta_mode=layer" "$tmp/c1" && grep -qx "cell.substeps=1" "$tmp/c1" && grep -qx "compat=0" "$tmp/c1"'
"$bin" train --env CartPole-V-v0 --print-config >"$tmp/c2"
check "cartpole defaults: sacd, 11000 steps, canonical name" \
    'grep -qx "algo=sacd" "$tmp/c2" && grep -qx "steps=11000" "$tmp/c2" && grep -qx "env=cartpole-v" "$tmp/c2"'
"$bin" train --env pendulum-v --net lif --compat --no-tap --print-config >"$tmp/c3"
check "--compat --no-tap: the authors' neuron, 4 substeps" \
    'grep -qx "compat=1" "$tmp/c3" && grep -qx "cell.reset=soft" "$tmp/c3" && grep -qx "cell.substeps=4" "$tmp/c3" &&
     grep -qx "net=lif" "$tmp/c3"'
"$bin" train --env pendulum-v --tap 0 --substeps 8 --beta-mode neuron --lif-reset soft --gamma 0.99 --print-config >"$tmp/c4"
check "flags override the defaults" \
    'grep -qx "cell.substeps=8" "$tmp/c4" && grep -qx "cell.beta_mode=neuron" "$tmp/c4" && grep -qx "gamma=0.99000001" "$tmp/c4"'

# --- Bad input: exit 2, one line naming the culprit and the choices.
expect_error "unknown env lists the envs" 2 "cartpole-f, cartpole-p, cartpole-v, pendulum-f" train --env mountaincar
expect_error "missing --env" 2 "name a task with --env" train
expect_error "unknown algo lists the algos" 2 "unknown algo 'ppo'; valid algos: td3, sacd" train --env cartpole-p --algo ppo
expect_error "unknown net lists the nets" 2 "unknown net 'lstm'; valid nets: grsn, lif, gru, mlp" train --env cartpole-p --net lstm
expect_error "td3 on cartpole" 2 "td3 needs continuous actions, but cartpole-p is discrete" train --env cartpole-p --algo td3
expect_error "sacd on pendulum" 2 "sacd needs discrete actions, but pendulum-v is continuous" train --env pendulum-v --algo sacd
expect_error "non-numeric gamma" 2 "--gamma expects a finite number, got 'abc'" train --env pendulum-p --gamma abc
expect_error "gamma out of range" 2 "gamma = 1.5 is outside" train --env pendulum-p --gamma 1.5
expect_error "zero batch" 2 "batch = 0 is outside" train --env pendulum-p --batch 0
expect_error "fractional steps" 2 "--steps expects an integer, got '1.5'" train --env pendulum-p --steps 1.5
expect_error "negative seed" 2 "--seed -1 must be >= 0" train --env pendulum-p --seed -1
expect_error "bad beta mode" 2 "valid choices: auto|layer|neuron|fixed" train --env pendulum-p --beta-mode global
expect_error "w/o TAP with 1 substep" 2 "needs at least 2" train --env pendulum-p --no-tap --substeps 1
expect_error "unknown flag" 2 "unknown flag '--gama'" train --env pendulum-p --gama 0.9
expect_error "gates on spikes need a GRSN core" 2 "cell.gates = spikes is a GRSN option; net lif has no gates" \
    train --env pendulum-p --net lif --gates spikes
expect_error "gates on spikes need TAP" 2 "cell.gates = spikes needs one neuron update per step (TAP)" \
    train --env pendulum-p --gates spikes --no-tap 1
expect_error "unknown gate source" 2 "valid choices: input|spikes" train --env smac:8m --algo qmix --gates x_t
"$bin" train --env smac:8m --algo qmix --gates spikes --print-config >"$tmp/c5"
check "--gates spikes reaches the config" 'grep -qx "cell.gates=spikes" "$tmp/c5"'
expect_error "membrane readout needs a spiking core" 2 "cell.readout = membrane needs a spiking core (grsn, lif), not gru" \
    train --env smac:8m --algo qmix --net gru --readout membrane
expect_error "membrane readout with gates on spikes" 2 "cell.readout = membrane needs cell.gates = input" \
    train --env pendulum-p --gates spikes --readout membrane
expect_error "unknown readout" 2 "valid choices: spikes|membrane" train --env pendulum-p --readout rate
"$bin" train --env smac:8m --algo qmix --readout membrane --print-config >"$tmp/c6"
check "--readout membrane reaches the config" 'grep -qx "cell.readout=membrane" "$tmp/c6"'

# --- A short run.
"$bin" train --env cartpole-v --seed 3 --steps 500 --threads 1 $tiny --out "$tmp/r1" >"$tmp/r1.out" 2>"$tmp/r1.err"
check "short run succeeds quietly on stderr" '[ $? -eq 0 ] && [ ! -s "$tmp/r1.err" ]'
check "one line per evaluation and the final score" \
    '[ "$(grep -c "^steps " "$tmp/r1.out")" -eq 3 ] && grep -q "^final evaluation (3 episodes): .* ± .*paper" "$tmp/r1.out"'
check "run directory" \
    'for f in config progress.csv timing.csv result final.grsn; do [ -s "$tmp/r1/$f" ] || exit 1; done;
     [ "$(ls "$tmp/r1" | grep -c "^ckpt_[0-9]\{8\}\.grsn$")" -eq 1 ] && grep -q "^eval_return_mean=" "$tmp/r1/result"'
check "progress.csv: header and 3 rows of 11 columns" \
    '[ "$(head -n 1 "$tmp/r1/progress.csv")" = "env_steps,episodes,updates,train_return,eval_return,eval_return_std,q_loss,pi_loss,alpha,entropy,firing_rate" ] &&
     [ "$(awk -F, "NR > 1 && NF == 11" "$tmp/r1/progress.csv" | wc -l)" -eq 3 ]'
check_reruns cartpole-v 500

# --- Evaluation of its checkpoints.
"$bin" eval --checkpoint "$tmp/r1/final.grsn" --episodes 4 >"$tmp/e1" 2>"$tmp/e1.err"
check "eval prints each episode and mean ± std" \
    '[ $? -eq 0 ] && [ "$(grep -c "^episode [0-9]*: " "$tmp/e1")" -eq 4 ] && grep -q "^mean ± std over 4 episodes" "$tmp/e1"'
check_eval_reruns 4

# A run whose only evaluation is the final one plays the eval env's first
# episodes; grsn eval of final.grsn with the run's seed must play the same.
"$bin" train --env pendulum-p --seed 2 --steps 400 --warmup-episodes 1 --updates-per-step 0.25 --threads 1 $tiny --eval-interval 100000 --out "$tmp/r5" >/dev/null 2>&1
"$bin" eval --checkpoint "$tmp/r5/final.grsn" --episodes 3 >"$tmp/e5"
check "save, load, evaluate: the run's own final returns" \
    '[ "$(sed -n "s/^eval_returns=//p" "$tmp/r5/result" | tr , "\n" | awk "{ printf \"%.4f;\", \$1 }")" = \
       "$(sed -n "s/^episode [0-9]*: //p" "$tmp/e5" | awk "{ printf \"%.4f;\", \$1 }")" ] && [ -s "$tmp/e5" ]'

# examples/embed_agent.c acts through the public API alone; on the same seed it
# must play the episodes grsn eval plays, for a TD3 and a SAC-discrete agent.
ex=${GRSN_EXAMPLES:-build/examples}
embed_plays_eval() {   # $1: run directory name
    "$bin" eval --checkpoint "$tmp/$1/final.grsn" --episodes 3 --seed 7 >"$tmp/ev_$1" &&
    "$ex"/embed_agent "$tmp/$1/final.grsn" 3 7 >"$tmp/em_$1" &&
    [ "$(grep -c "^episode [0-9]*: " "$tmp/ev_$1")" -eq 3 ] &&
    [ "$(grep "^episode" "$tmp/ev_$1")" = "$(sed -n "s/^\(episode [0-9]*: [-0-9.]*\) (.*/\1/p" "$tmp/em_$1")" ]
}
check "examples/embed_agent plays what grsn eval plays (TD3, SAC-discrete)" 'embed_plays_eval r5 && embed_plays_eval r1'
check "examples/embed_agent counts the GRSN core's spikes" \
    '[ "$(grep -c "(200 decisions, [0-9.]* of 16 core neurons spiking per decision)$" "$tmp/em_r5")" -eq 3 ]'
"$ex"/embed_agent "$tmp/r1/progress.csv" >/dev/null 2>"$tmp/em_err"
check "examples/embed_agent: a foreign file is one line, exit 1" \
    '[ $? -eq 1 ] && [ "$(wc -l <"$tmp/em_err")" -eq 1 ] && grep -q "progress.csv: not a grsn checkpoint" "$tmp/em_err"'

# TD3 on 1 and 2 threads: the same run.
for t in 1 2; do
    "$bin" train --env pendulum-p --seed 3 --steps 400 --warmup-episodes 1 --threads $t $tiny --out "$tmp/p$t" >/dev/null 2>&1
done
check "TD3: 1 and 2 threads, same progress.csv" \
    '[ "$(awk -F, "NR > 1" "$tmp/p1/progress.csv" | wc -l)" -eq 2 ] && cmp -s "$tmp/p1/progress.csv" "$tmp/p2/progress.csv"'

# grsn bench update times a trained agent's update; the checkpoint fixes the
# task and the net, so those flags beside it are an error.
"$bin" bench update --checkpoint "$tmp/r5/final.grsn" --iters 2 --threads 1 >"$tmp/b5" 2>&1
check "bench update of a checkpoint's agent" \
    '[ $? -eq 0 ] && grep -q "pendulum-p td3 grsn, .*trained agent of" "$tmp/b5" && grep -q "^updates/s [0-9]" "$tmp/b5"'
expect_error "bench update: --net beside --checkpoint" 2 "--net cannot be given with --checkpoint" \
    bench update --checkpoint "$tmp/r5/final.grsn" --net gru
expect_error "bench update: --hidden=N before --checkpoint" 2 "--hidden cannot be given with --checkpoint" \
    bench update --hidden=64 --checkpoint "$tmp/r5/final.grsn"
expect_error "bench update: missing checkpoint" 1 "none.grsn: cannot open checkpoint" \
    bench update --checkpoint "$tmp/none.grsn"

# grsn bench act times a decision of a trained agent (the time is not checked).
"$bin" bench act --checkpoint "$tmp/r5/final.grsn" --min-time 0.05 >"$tmp/ba" 2>&1
check "bench act of a checkpoint's agent" \
    '[ $? -eq 0 ] && grep -q "pendulum-p td3 grsn, hidden 16, 1 thread, trained agent of" "$tmp/ba" &&
     grep -q "^decisions/s [0-9]* *([0-9.]* us per decision, [0-9]* decisions)  firing rate [0-9.]*$" "$tmp/ba"'
expect_error "bench act: --net beside --checkpoint" 2 "--net cannot be given with --checkpoint" \
    bench act --checkpoint "$tmp/r5/final.grsn" --net gru
expect_error "bench act: --min-time 0" 2 "--min-time 0 must lie in (0, 3600]" bench act --min-time 0
expect_error "bench act: unknown env" 2 "cartpole-f, cartpole-p" bench act --env mountaincar

# --- Bad checkpoints: exit 1, one line naming the file and the problem.
f="$tmp/r1/final.grsn"
expect_error "missing checkpoint" 1 "$tmp/none.grsn: cannot open checkpoint" eval --checkpoint "$tmp/none.grsn"
: >"$tmp/empty.grsn"
expect_error "empty checkpoint" 1 "empty.grsn: empty file" eval --checkpoint "$tmp/empty.grsn"
check_damaged "truncated checkpoint" "corrupt data"
head -c 100 "$f" >"$tmp/head.grsn"
expect_error "checkpoint cut inside its header" 1 "head.grsn: truncated" eval --checkpoint "$tmp/head.grsn"
expect_error "foreign file" 1 "progress.csv: not a grsn checkpoint" eval --checkpoint "$tmp/r1/progress.csv"
cp "$f" "$tmp/version.grsn"
printf '\007' | dd of="$tmp/version.grsn" bs=1 seek=4 conv=notrunc 2>/dev/null
expect_error "wrong version" 1 "version.grsn: checkpoint version 7" eval --checkpoint "$tmp/version.grsn"
cp "$f" "$tmp/header.grsn"
printf '\377\377' | dd of="$tmp/header.grsn" bs=1 seek=12 conv=notrunc 2>/dev/null
expect_error "corrupt header" 1 "header.grsn: corrupt header" eval --checkpoint "$tmp/header.grsn"
expect_error "eval without --checkpoint" 2 "name a checkpoint" eval
expect_error "eval with 0 episodes" 2 "--episodes 0 must lie" eval --checkpoint "$f" --episodes 0

# --- A non-finite loss stops the run: one line, exit 1, the last checkpoint stays.
check_nan_stop --env cartpole-v --steps 400 --threads 1 $tiny --eval-interval 50

# --- Resuming: a run killed (SIGKILL) after its first checkpoint pair and
# carried on with --resume ends as the uninterrupted run did; a resume that
# cannot be is a one-line error.
k="--env pendulum-p --seed 3 --steps 4000 --warmup-episodes 1 --updates-per-step 0.25 --threads 1 $tiny"
"$bin" train $k --out "$tmp/k1" >/dev/null 2>&1
# shellcheck disable=SC2086
train_killed_after_first_pair "$tmp/k2" $k
"$bin" train --resume "$tmp/k2" --threads 1 >"$tmp/k2.out" 2>&1
check "a killed run carried on with --resume ends as the uninterrupted one" \
    '[ $killed -eq 1 ] && grep -q "^grsn train: resuming" "$tmp/k2.out" && cmp -s "$tmp/k1/progress.csv" "$tmp/k2/progress.csv" &&
     cmp -s "$tmp/k1/ckpt_00004000.grsn" "$tmp/k2/ckpt_00004000.grsn" && [ -s "$tmp/k2/result" ] &&
     [ "$(ls "$tmp/k2" | grep -c "^replay_[0-9]\{8\}\.grsn$")" -eq 1 ]'
mkdir -p "$tmp/q" && printf 'grsn_version=0.1.0\nalgo=qmix\nenv=smac:3m\nnet=grsn\n' >"$tmp/q/config"
expect_error "resume: no run there" 1 "cannot resume $tmp/none: cannot read $tmp/none/config" train --resume "$tmp/none"
expect_error "resume: a QMIX run goes to the QMIX resume" 1 "cannot resume $tmp/q: no checkpoint with its resume state" \
    train --resume "$tmp/q"
expect_error "resume: --steps below the run" 1 "it has run 4000 env steps" train --resume "$tmp/k1" --steps 400
mkdir -p "$tmp/k3" && cp "$tmp/k1/config" "$tmp/k1/progress.csv" "$tmp/k1/timing.csv" "$tmp/k3/"
expect_error "resume: no checkpoint pair" 1 "no checkpoint with its replay state" train --resume "$tmp/k3"

# --- Optional: a real CartPole-V run of N steps (the learning test's hook).
if [ -n "$GRSN_CLI_LEARN_STEPS" ]; then
    "$bin" train --env cartpole-v --seed 0 --steps "$GRSN_CLI_LEARN_STEPS" --out "$tmp/learn" | tail -n 3
fi

finish cli_train
