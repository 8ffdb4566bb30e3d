#!/bin/sh
# cli_train_qmix.sh — `grsn train --env smac:MAP --algo qmix` and `grsn eval`
# of QMIX checkpoints: flags and their pymarl2 defaults, the resolved config,
# one-line errors on bad input (exit 2), a short 3m run (its directory and
# test schedule, the same progress.csv for the same seed and for 1 and 2
# threads), evaluation of its checkpoints (the run's own final test
# replayed), the trained agents played by `grsn smac play --checkpoint`
# (episode 0 = eval's first test episode, replay, errors) and by
# examples/embed_qmix (the same episodes and spikes), checkpoints of
# another map, net or kind told apart (exit 1),
# a non-finite loss stopping the run, and --resume of a killed run (the
# files of an uninterrupted run) and its errors. Ends with
# "cli_train_qmix: N passed, N failed".
. "$(dirname "$0")/lib_cli.sh"
. "$(dirname "$0")/lib_train.sh"

# Tiny batches: a run of a few hundred env steps takes well under a second.
tiny="--n-envs 2 --batch 4 --buffer 16 --test-interval 200 --test-episodes 4"

# --- Help and the resolved config.
"$bin" train --env smac:8m --help >"$tmp/help"
check "train --env smac:MAP --help lists the pymarl2 defaults" \
    'grep -q -- "--steps N.*\[10050000\]" "$tmp/help" && grep -q -- "--n-envs N.*\[8\]" "$tmp/help" &&
     grep -q -- "--batch N.*\[128\]" "$tmp/help" && grep -q -- "--buffer N.*\[5000\]" "$tmp/help" &&
     grep -q -- "--lr X.*\[1e-3\]" "$tmp/help" && grep -q -- "--gamma X.*\[0.99\]" "$tmp/help" &&
     grep -q -- "--td-lambda X.*\[0.6\]" "$tmp/help" && grep -q -- "--grad-clip X.*\[10\]" "$tmp/help" &&
     grep -q -- "--eps-anneal N.*\[100000\]" "$tmp/help" && grep -q -- "--target-update N.*\[200\]" "$tmp/help" &&
     grep -q -- "--hidden N.*\[64\]" "$tmp/help" && grep -q -- "--mixer-embed N.*\[32\]" "$tmp/help" &&
     grep -q -- "--hypernet-embed N.*\[64\]" "$tmp/help" && grep -q -- "--test-interval N.*\[10000\]" "$tmp/help" &&
     grep -q -- "--test-episodes N.*\[32\]" "$tmp/help" && grep -q -- "--units .*\[liberty\]" "$tmp/help" &&
     grep -q -- "--substeps N.*\[4\]" "$tmp/help" && grep -q -- "--resume-interval N.*\[100000\]" "$tmp/help"'
"$bin" train --help >"$tmp/help2"
check "the control-task help points to QMIX" 'grep -q "smac:MAP --algo qmix" "$tmp/help2"'
"$bin" train --env smac:8m --algo qmix --print-config >"$tmp/c1"
check "8m defaults: pymarl2's t_max, batch, buffer, sizes, map dims" \
    'grep -qx "algo=qmix" "$tmp/c1" && grep -qx "env=smac:8m" "$tmp/c1" && grep -qx "net=grsn" "$tmp/c1" &&
     grep -qx "steps=10050000" "$tmp/c1" && grep -qx "n_envs=8" "$tmp/c1" && grep -qx "batch=128" "$tmp/c1" &&
     grep -qx "buffer=5000" "$tmp/c1" && grep -qx "eps_anneal=100000" "$tmp/c1" && grep -qx "n_agents=8" "$tmp/c1" &&
     grep -qx "target_update_episodes=200" "$tmp/c1" && grep -qx "cell.substeps=1" "$tmp/c1" &&
     grep -qx "cell.beta_mode=layer" "$tmp/c1" && grep -qx "resume_interval=100000" "$tmp/c1"'
"$bin" train --env smac:3m --net lif --no-tap --substeps 4 --units lotv --beta-mode neuron --lr 5e-4 \
    --state-last-action 0 --print-config >"$tmp/c2"
check "flags override the defaults" \
    'grep -qx "net=lif" "$tmp/c2" && grep -qx "cell.substeps=4" "$tmp/c2" && grep -qx "units=lotv" "$tmp/c2" &&
     grep -qx "cell.beta_mode=neuron" "$tmp/c2" && grep -qx "lr=0.000500000024" "$tmp/c2" &&
     grep -qx "state_last_action=0" "$tmp/c2" && grep -qx "cell.reset=hard" "$tmp/c2"'
"$bin" train --algo qmix --env=smac:2s3z --print-config >"$tmp/c3"
check "--algo qmix with --env=smac:MAP" 'grep -qx "env=smac:2s3z" "$tmp/c3"'
check "pymarl2's Adam by default" 'grep -qx "optimizer=adam" "$tmp/c1" && grep -qx "td_lambda=0.600000024" "$tmp/c1"'
"$bin" train --env smac:8m --preset pymarl --batch 64 --print-config >"$tmp/c4"
check "--preset pymarl: RMSprop, 1-step, one env; a flag beside it wins" \
    'grep -qx "optimizer=rmsprop" "$tmp/c4" && grep -qx "lr=0.000500000024" "$tmp/c4" &&
     grep -qx "optim_alpha=0.99000001" "$tmp/c4" && grep -qx "td_lambda=0" "$tmp/c4" && grep -qx "n_envs=1" "$tmp/c4" &&
     grep -qx "eps_anneal=50000" "$tmp/c4" && grep -qx "batch=64" "$tmp/c4" && grep -qx "buffer=5000" "$tmp/c4"'

# --- Bad input: exit 2, one line naming the culprit and the choices.
expect_error "unknown map lists the maps" 2 "unknown SMAC map '9z'; the maps are: 3m, 8m, 2s3z" train --env smac:9z
expect_error "mlp is refused, the QMIX nets listed" 2 "net 'mlp' is not supported by qmix.*valid nets: grsn, lif, gru" \
    train --env smac:8m --net mlp
expect_error "unknown net lists the QMIX nets" 2 "unknown net 'lstm'; valid nets for qmix: grsn, lif, gru" \
    train --env smac:8m --net lstm
expect_error "td3 on a SMAC map" 2 "algo td3 is for the control tasks, not SMAC map smac:8m" train --env smac:8m --algo td3
expect_error "sacd on a SMAC map" 2 "algo sacd is for the control tasks" train --env smac:3m --algo sacd
expect_error "qmix on a control task" 2 "algo qmix runs on a SMAC map (--env smac:MAP), not on cartpole-v" \
    train --env cartpole-v --algo qmix
expect_error "qmix without a map" 2 "qmix needs a SMAC map" train --algo qmix
expect_error "a control-task flag" 2 "unknown flag '--tau'" train --env smac:3m --tau 0.1
expect_error "a buffer smaller than a batch" 2 "buffer = 8 episodes must hold a batch (16)" \
    train --env smac:3m --batch 16 --buffer 8
expect_error "gamma out of range" 2 "gamma = 1.5 is outside" train --env smac:3m --gamma 1.5
expect_error "w/o TAP on gru" 2 "applies to the spiking nets" train --env smac:3m --net gru --no-tap
expect_error "w/o TAP with 1 substep" 2 "needs at least 2" train --env smac:3m --no-tap --substeps 1
expect_error "bad unit table" 2 "valid choices: liberty|lotv" train --env smac:3m --units hots
expect_error "unknown optimizer" 2 "unknown value 'sgd' for --optimizer; valid choices: adam|rmsprop" \
    train --env smac:3m --optimizer sgd
expect_error "unknown preset" 2 "valid choices: pymarl2|pymarl" train --env smac:3m --preset epymarl
expect_error "RMSprop alpha out of range" 2 "optim_alpha = 1 is outside" train --env smac:3m --optim-alpha 1
expect_error "leaky outputs that do not leak" 2 "q_leak = 1 is outside" train --env smac:3m --q-leak 1
expect_error "an own-cooldown switch that is not 0 or 1" 2 "obs_own_cooldown = 2 is outside" train --env smac:3m --obs-own-cooldown 2
expect_error "a readout anneal of negative length" 2 "readout_anneal = -5 is outside" train --env smac:3m --readout-anneal -5
expect_error "a readout anneal on a GRU core" 2 "a readout anneal needs a spiking core (grsn, lif), not gru" \
    train --env smac:3m --net gru --readout-anneal 1000
expect_error "a readout anneal from the membrane readout" 2 "a readout anneal needs cell.gates = input and cell.readout = spikes" \
    train --env smac:3m --readout membrane --readout-anneal 1000
expect_error "a readout anneal that starts at its end" 2 "readout_anneal_start = 900 must come before readout_anneal = 900" \
    train --env smac:3m --readout-anneal 900 --readout-anneal-start 900
expect_error "a SMAC map without its prefix" 2 "8m is a SMAC map: train QMIX on it with --env smac:8m --algo qmix" \
    train --env 8m
expect_error "control tasks keep their errors" 2 "unknown algo 'ppo'; valid algos: td3, sacd" \
    train --env cartpole-p --algo ppo

# --- A short run: files, schedule, determinism.
"$bin" train --env smac:3m --seed 3 --steps 600 --threads 1 $tiny --out "$tmp/r1" >"$tmp/r1.out" 2>"$tmp/r1.err"
check "short run succeeds quietly on stderr" '[ $? -eq 0 ] && [ ! -s "$tmp/r1.err" ]'
check "run directory" \
    'for f in config progress.csv timing.csv result final.grsn; do [ -s "$tmp/r1/$f" ] || exit 1; done;
     [ "$(ls "$tmp/r1" | grep -c "^ckpt_[0-9]\{8\}\.grsn$")" -eq 1 ] && [ "$(ls "$tmp/r1" | grep -c "^replay_")" -eq 0 ] &&
     grep -q "^test_win_rate=" "$tmp/r1/result" &&
     grep -q "^test_return_mean=" "$tmp/r1/result" && grep -qx "env=smac:3m" "$tmp/r1/config"'
check "progress.csv: header and rows of 12 columns" \
    '[ "$(head -n 1 "$tmp/r1/progress.csv")" = "env_steps,episodes,updates,train_win_rate,train_return,test_win_rate,test_return,test_return_std,test_length,loss,epsilon,firing_rate" ] &&
     [ "$(awk -F, "NR > 1 && NF == 12" "$tmp/r1/progress.csv" | wc -l)" -eq "$(($(wc -l <"$tmp/r1/progress.csv") - 1))" ]'
# Tests: after the first rollout, at the first boundary past each multiple of
# 200 env steps, and at the end (env steps >= 600).
check "test schedule: first rollout, every 200 env steps, the end" \
    'awk -F, "NR == 2 && \$2 != 2 { exit 1 } NR > 2 { if (int(\$1 / 200) <= int(prev / 200)) exit 1 } NR > 1 { prev = \$1; n++ }
              END { if (prev < 600 || n < 4) exit 1 }" "$tmp/r1/progress.csv"'
check "timing.csv: one row per test with env-steps/s and updates/s" \
    '[ "$(head -n 1 "$tmp/r1/timing.csv")" = "env_steps,wall_s,env_steps_per_s,updates_per_s" ] &&
     [ "$(wc -l <"$tmp/r1/timing.csv")" -eq "$(wc -l <"$tmp/r1/progress.csv")" ]'
check "one stdout line per test row and the final test" \
    '[ "$(grep -c "^steps " "$tmp/r1.out")" -eq "$(($(wc -l <"$tmp/r1/progress.csv") - 1))" ] &&
     grep -q "^final test (4 greedy episodes): win rate" "$tmp/r1.out"'
check_reruns smac:3m 600

# --- Evaluation of its checkpoints.
"$bin" eval --checkpoint "$tmp/r1/final.grsn" --episodes 6 >"$tmp/e1" 2>"$tmp/e1.err"
check "eval of a QMIX checkpoint: win rate and return" \
    '[ $? -eq 0 ] && [ ! -s "$tmp/e1.err" ] && grep -q "^checkpoint .*: smac:3m (3 agents), qmix, grsn agents" "$tmp/e1" &&
     grep -q "^greedy test over 6 episodes (test seed 3): win rate [0-9.]*% ([0-9]* of 6), return .* ± " "$tmp/e1"'
check_eval_reruns 6
# A run of one rollout tests once, on fresh test environments: grsn eval of
# final.grsn with the run's seed must play the same episodes.
"$bin" train --env smac:3m --seed 5 --steps 1 --n-envs 2 --batch 2 --buffer 4 --test-episodes 5 --threads 1 \
    --out "$tmp/r5" >/dev/null 2>&1
"$bin" eval --checkpoint "$tmp/r5/final.grsn" >"$tmp/e5"
check "save, load, test: the run's own final test (its 5 episodes by default)" \
    '[ "$(awk -F= "/^test_return_mean=/ { printf \"%.4f\", \$2 }" "$tmp/r5/result")" = \
       "$(sed -n "s/^greedy test over 5 episodes.*return \([-0-9.]*\) ± .*/\1/p" "$tmp/e5")" ] &&
     grep -q "^updates=1$" "$tmp/r5/result"'

# --- Checkpoints of another map, net or kind: exit 1, one line naming the mismatch.
expect_error "another map" 1 "final.grsn: trained on map 3m, the learner is for map 8m" \
    eval --checkpoint "$tmp/r1/final.grsn" --env smac:8m
expect_error "another net" 1 "final.grsn: trained with net grsn, the learner has net gru" \
    eval --checkpoint "$tmp/r1/final.grsn" --net gru
expect_error "a QMIX checkpoint asked for a control task" 1 "a QMIX checkpoint of smac:3m, not a cartpole-v one" \
    eval --checkpoint "$tmp/r1/final.grsn" --env cartpole-v
"$bin" train --env cartpole-v --seed 1 --steps 200 --threads 1 --hidden 16 --head-hidden 16 --emb-o 8 --batch 8 \
    --seq-len 16 --eval-episodes 2 --eval-interval 1000 --out "$tmp/c" >/dev/null 2>&1
expect_error "a control checkpoint asked for a SMAC map" 1 "a sacd checkpoint of the control task cartpole-v, not a QMIX one" \
    eval --checkpoint "$tmp/c/final.grsn" --env smac:3m
"$bin" eval --checkpoint "$tmp/c/final.grsn" --episodes 2 >"$tmp/ec"
check "a control checkpoint still evaluates as before" '[ $? -eq 0 ] && grep -q "^mean ± std over 2 episodes" "$tmp/ec"'
check_damaged "truncated QMIX checkpoint" "corrupt QMIX checkpoint"

# --- The trained agents in the simulator: grsn smac play MAP --checkpoint F.
"$bin" smac play 3m --checkpoint "$tmp/r1/final.grsn" --episodes 4 --seed 7 --verbose 1 --replay "$tmp/p.jsonl" \
    >"$tmp/p1" 2>"$tmp/p1.err"
check "smac play --checkpoint: the agents play, one line per episode, deaths and firing rate" \
    '[ $? -eq 0 ] && [ ! -s "$tmp/p1.err" ] && grep -q "^map 3m, policy agent, 4 episodes, seed 7$" "$tmp/p1" &&
     [ "$(grep -c "^episode [0-3]: " "$tmp/p1")" -eq 4 ] && grep -q "^mean dead at the end: .* of 3 allies, .* of 3 enemies$" "$tmp/p1" &&
     grep -q "^firing rate [0-9.]* (spikes per neuron and substep" "$tmp/p1"'
# Its first episode is the first greedy test episode of grsn eval with that seed.
"$bin" eval --checkpoint "$tmp/r1/final.grsn" --episodes 1 --seed 7 >"$tmp/p1e"
check "smac play --checkpoint: episode 0 is grsn eval's first test episode (same seed)" \
    '[ -n "$(sed -n "s/^greedy test over 1 episodes.*return \([-0-9.]*\) ± .*/\1/p" "$tmp/p1e")" ] &&
     [ "$(sed -n "s/^greedy test over 1 episodes.*return \([-0-9.]*\) ± .*/\1/p" "$tmp/p1e")" = \
       "$(sed -n "s/^episode 0: .*, return \([-0-9.]*\), length.*/\1/p" "$tmp/p1")" ]'
"$bin" smac play 3m --checkpoint "$tmp/r1/final.grsn" --episodes 4 --seed 7 --verbose 1 --replay "$tmp/p2.jsonl" >"$tmp/p2"
check "smac play --checkpoint: the same seed plays the same episodes and replay" \
    'sed "s/p2\.jsonl/p.jsonl/" "$tmp/p2" | cmp -s "$tmp/p1" - && cmp -s "$tmp/p.jsonl" "$tmp/p2.jsonl"'
check "smac play --checkpoint --replay: header, the reset state, one line per step of episode 0" \
    'len=$(sed -n "s/^episode 0: .*, length \([0-9]*\),.*/\1/p" "$tmp/p1");
     head -n 1 "$tmp/p.jsonl" | grep -q "^{\"type\":\"header\",\"map\":\"3m\"" &&
     [ "$(grep -c "^{\"type\":\"step\"" "$tmp/p.jsonl")" -eq $((len + 1)) ] &&
     tail -n 1 "$tmp/p.jsonl" | grep -q "\"terminated\":1"'
# examples/embed_qmix.c runs the agents through the public API alone
# (grsn_qmix_act) in a simulator it owns; on the same seed it must play the
# episodes grsn smac play --checkpoint plays, with the same spikes. Agents
# whose cores fire (threshold 0.3) and whose episodes differ with the seed.
ex=${GRSN_EXAMPLES:-build/examples}
"$bin" train --env smac:3m --seed 3 --steps 3000 --threads 1 $tiny --threshold 0.3 --out "$tmp/x" >/dev/null 2>&1
for s in 7 8; do
    "$bin" smac play 3m --checkpoint "$tmp/x/final.grsn" --episodes 4 --seed $s --verbose 1 >"$tmp/xp$s"
    "$ex"/embed_qmix "$tmp/x/final.grsn" 4 $s >"$tmp/xe$s"
done
"$ex"/embed_qmix "$tmp/x/final.grsn" 4 7 each >"$tmp/xe7each"
"$ex"/embed_qmix "$tmp/x/final.grsn" 4 7 all >/dev/null 2>"$tmp/xe.err"; xe_rc=$?
embed_plays() {   # $1: seed
    [ "$(grep -c "^episode [0-3]: .* spikes per agent decision, core of 64 neurons)$" "$tmp/xe$1")" -eq 4 ] &&
    [ "$(grep "^episode" "$tmp/xp$1")" = "$(sed -n "s/^\(episode .*\) ([0-9.]* spikes per agent.*/\1/p" "$tmp/xe$1")" ] &&
    [ "$(grep "^firing rate 0\.0*[1-9]" "$tmp/xp$1")" = "$(grep "^firing rate" "$tmp/xe$1")" ]
}
check "examples/embed_qmix plays what smac play --checkpoint plays, spikes included" \
    'embed_plays 7 && embed_plays 8 && ! cmp -s "$tmp/xe7" "$tmp/xe8"'
check "examples/embed_qmix each: every agent on its own (grsn_qmix_act_agent) plays the team's episodes" \
    'cmp -s "$tmp/xe7" "$tmp/xe7each"'
check "examples/embed_qmix: an unknown MODE is one line, exit 2" \
    '[ $xe_rc -eq 2 ] && [ "$(wc -l <"$tmp/xe.err")" -eq 1 ] && grep -q "MODE be team or each" "$tmp/xe.err"'
"$bin" bench act --checkpoint "$tmp/x/final.grsn" --min-time 0.05 >"$tmp/xa" 2>&1
check "bench act of a QMIX checkpoint's agents" \
    '[ $? -eq 0 ] && grep -q "smac:3m qmix grsn, hidden 64, 3 agents, 1 thread, trained agents of" "$tmp/xa" &&
     grep -q "^team steps/s [0-9]* *([0-9.]* us per team step, [0-9.]* us per agent decision, [0-9]* team steps)  firing rate 0\.[0-9]*[1-9]" "$tmp/xa" &&
     grep -q "^one agent alone (grsn_qmix_act_agent): [0-9.]* us per decision$" "$tmp/xa"'
"$ex"/embed_qmix "$tmp/c/final.grsn" >/dev/null 2>"$tmp/x1.err"
check "examples/embed_qmix: a control checkpoint is one line, exit 1" \
    '[ $? -eq 1 ] && [ "$(wc -l <"$tmp/x1.err")" -eq 1 ] && grep -q "a sacd checkpoint of the control task cartpole-v, not a QMIX one" "$tmp/x1.err"'
expect_error "--policy agent without a checkpoint" 2 "--policy agent needs --checkpoint FILE" smac play 3m --policy agent
expect_error "--checkpoint with a scripted policy" 2 "--checkpoint plays the trained agents, not --policy kite" \
    smac play 3m --checkpoint "$tmp/r1/final.grsn" --policy kite
expect_error "--checkpoint with --actions" 2 "--actions scripts the first steps of a scripted policy" \
    smac play 3m --checkpoint "$tmp/r1/final.grsn" --actions "1,1,1"
expect_error "--checkpoint of another map" 1 "final.grsn: a checkpoint of smac:3m, not of 8m" \
    smac play 8m --checkpoint "$tmp/r1/final.grsn"
expect_error "--checkpoint with other unit data" 1 "final.grsn: trained with unit data liberty, not lotv" \
    smac play 3m --checkpoint "$tmp/r1/final.grsn" --units lotv
check "a run's config records the simulator order (push_first=0)" 'grep -q "^push_first=0$" "$tmp/r1/config"'
expect_error "--checkpoint with the other simulator order" 1 "final.grsn: trained with --push-first 0, not 1" \
    smac play 3m --checkpoint "$tmp/r1/final.grsn" --push-first 1
expect_error "--checkpoint of a control task" 1 "a sacd checkpoint of the control task cartpole-v, not a QMIX one" \
    smac play 3m --checkpoint "$tmp/c/final.grsn"
expect_error "--checkpoint that is missing" 1 "cannot open checkpoint" smac play 3m --checkpoint "$tmp/none.grsn"

# --- A non-finite loss stops the run: one line, exit 1, the last checkpoint stays.
check_nan_stop --env smac:3m --steps 2000 --threads 1 $tiny --test-interval 50

# --- Resuming: a run killed (SIGKILL) after its first resume pair and carried
# on with --resume ends as the uninterrupted run did; a resume that cannot be
# is a one-line error.
k="--env smac:3m --seed 3 --steps 10000 --threads 1 $tiny --resume-interval 1000 --keep-resume 1"
"$bin" train $k --out "$tmp/k1" >/dev/null 2>&1
# shellcheck disable=SC2086
train_killed_after_first_pair "$tmp/k2" $k
"$bin" train --resume "$tmp/k2" --threads 1 >"$tmp/k2.out" 2>&1
last=$(ls "$tmp/k1" | grep "^ckpt_")
check "a killed run carried on with --resume ends as the uninterrupted one" \
    '[ $killed -eq 1 ] && grep -q "^grsn train: resuming .*(smac:3m, qmix, grsn agents, seed 3)" "$tmp/k2.out" &&
     cmp -s "$tmp/k1/progress.csv" "$tmp/k2/progress.csv" && cmp -s "$tmp/k1/final.grsn" "$tmp/k2/final.grsn" &&
     cmp -s "$tmp/k1/$last" "$tmp/k2/$last" && [ -s "$tmp/k2/result" ] &&
     [ "$(ls "$tmp/k2" | grep -c "^ckpt_[0-9]\{8\}\.grsn$")" -eq 1 ] &&
     [ "$(ls "$tmp/k2" | grep -c "^replay_[0-9]\{8\}\.grsn$")" -eq 1 ]'
check "timing.csv: wall_s carries on across the resume" \
    '[ "$(wc -l <"$tmp/k2/timing.csv")" -eq "$(wc -l <"$tmp/k1/timing.csv")" ] &&
     awk -F, "NR > 2 && \$2 < prev { exit 1 } NR > 1 { prev = \$2 }" "$tmp/k2/timing.csv"'
mkdir -p "$tmp/k3" && cp "$tmp/k1/config" "$tmp/k1/progress.csv" "$tmp/k1/timing.csv" "$tmp/k3/"
expect_error "resume: no resume pair" 1 "cannot resume $tmp/k3: no checkpoint with its resume state" train --resume "$tmp/k3"
expect_error "resume: --steps below the run" 1 "cannot resume $tmp/k1 at --steps 5000: it has run 10[0-9]* env steps" \
    train --resume "$tmp/k1" --steps 5000
mkdir -p "$tmp/k4" && cp "$tmp/k1"/* "$tmp/k4/"
replay=$(ls "$tmp/k4" | grep "^replay_")
head -c 5000 "$tmp/k1/$replay" >"$tmp/k4/$replay"
expect_error "resume: a truncated resume state" 1 "$replay: truncated" train --resume "$tmp/k4" --steps 20000

finish cli_train_qmix
