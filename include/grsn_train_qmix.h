/*
 * grsn_train_qmix.h — training runs for QMIX on the SMAC-compatible simulator
 * (paper Table 2; reference-implementation.md §9, issue 5 item 4): the run
 * configuration and its key=value text, the pymarl2 training loop with greedy
 * tests, QMIX checkpoints in the container of the control-task runs, and
 * resuming a killed run from its resume state.
 *
 * A run (grsn_qmix_train_run) is pymarl2's run loop:
 *
 *   until `steps` env steps:
 *       one rollout: an epsilon-greedy episode in each of the n_envs
 *           training environments, stored in the episode buffer;
 *       one update, once the buffer holds a batch of episodes;
 *       a test: after the first rollout, then at the first rollout boundary
 *           at or past every multiple of `test_interval` env steps:
 *           `test_episodes` greedy episodes on the test environments;
 *   a final test, unless one just ran at this env-step count.
 *
 * The run directory receives the same files as a control-task run
 * (grsn_train.h):
 *   config          the resolved configuration, key=value lines
 *   progress.csv    one row per test, deterministic given the seed (no
 *                   wall-clock column): env_steps, episodes, updates,
 *                   train_win_rate, train_return (means over the training
 *                   episodes since the previous test), test_win_rate,
 *                   test_return, test_return_std, test_length, loss (mean
 *                   over the updates since the previous test), epsilon,
 *                   firing_rate (spikes per neuron and decision in the
 *                   test episodes; 0 for GRU)
 *   timing.csv      env_steps, wall_s, env_steps_per_s, updates_per_s
 *   ckpt_%08d.grsn  the checkpoint of the latest test (the previous one is
 *                   removed once the new one is on disk); final.grsn at the end
 *   replay_%08d.grsn  the resume state, beside the checkpoint of its test:
 *                   written at the first test at or past every multiple of
 *                   `resume_interval` env steps (and at the end with
 *                   keep_resume); the newest pair replaces the one before
 *                   once both files are on disk, so the directory can hold
 *                   two checkpoints, the latest test's and the resume pair's.
 *                   A finished run removes its pair unless keep_resume is
 *                   set: a full buffer is gigabytes
 *   result          the final test: win rate, return mean and std, length
 *
 * Checkpoints use the container of src/ckpt.h. The metadata is the run
 * configuration with algo=qmix and env=smac:MAP, which is how a QMIX
 * checkpoint is told apart from a control-task one (algo=td3|sacd). Tensors:
 *   online.<name>, target.<name>   both parameter arenas (grsn_qmix_params)
 *   adam.m.<name>, adam.v.<name>   Adam's moments over the online arena, and
 *   adam.step                      i64 [1]; or, under --optimizer rmsprop,
 *   rmsprop.square_avg.<name>      RMSprop's running mean of squares
 *   counters                       i64 [4]: env_steps, episodes, updates,
 *                                  last_target_update
 *   rng.explore, rng.replay        u64 [4]: the learner's random streams
 * A learner built from a checkpoint alone tests on freshly seeded test
 * environments. The resume state, replay_N.grsn in the same container with
 * the same metadata, holds the rest of the run at that test:
 *   buffer.ring                    i64 [3]: capacity, size, head
 *   buffer.len                     i32 [size]: the stored episodes' lengths
 *   buffer.obs, .state, .avail, .actions   f32/u8 [steps][...]: the filled
 *                                  steps of every stored episode in slot
 *                                  order, len + 1 each (no padding)
 *   buffer.reward, .terminated     f32/u8 [transitions]: len each
 *   env.rng, test_env.rng          u64 [n_envs][4]: the simulators' streams
 *   run.tests, run.wall_s, run.test_*   the test count, the seconds run and
 *                                  the latest test
 * With both, grsn_qmix_train_resume carries a killed run on exactly.
 */
#ifndef GRSN_TRAIN_QMIX_H
#define GRSN_TRAIN_QMIX_H

#include "grsn.h"

#ifdef __cplusplus
extern "C" {
#endif

// ----------------------------------------------------------------------------
// Configuration

#define GRSN_QMIX_TRAIN_STEPS 10050000L   // pymarl2's t_max

typedef struct {
    GrsnQmixConfig qmix;       // map, net, sizes, hyperparameters, cell options
    uint64_t seed;             // master seed of every stream
    long steps;                // env-step budget: 10,050,000
    long test_interval;        // env steps between tests: 10,000
    int test_episodes;         // greedy episodes per test: 32
    long resume_interval;      // env steps between resume states: 100,000; 0: none during the run
    int keep_resume;           // 1: a finished run keeps its resume state (so --steps can
                               // extend it); 0 (default): it is removed at the end
    int threads;               // OpenMP threads, 0: all cores (results do not depend on it)
    long test_poison_update;   // test hook: after this many updates the online
                               // weights become NaN, so the next update fails; 0: off
} GrsnQmixTrainConfig;

// pymarl2's configuration of QMIX on `map` with core `net`. GRSN_ERR_ARG
// for an unknown map (the message lists the maps) or a net QMIX does not
// take (the message lists grsn, lif, gru).
grsn_status grsn_qmix_train_defaults(GrsnQmixTrainConfig *cfg, const char *map, grsn_net net, uint64_t seed);

// Check a configuration: the learner's own checks, the map, and the run's
// counts. GRSN_ERR_ARG naming the first bad field.
grsn_status grsn_qmix_train_check(const GrsnQmixTrainConfig *cfg);

// The configuration as key=value lines (algo=qmix, env=smac:MAP, net=...,
// then every field) into buf (cap bytes, NUL-terminated), with the map's
// sizes (n_agents, n_actions, obs_dim, state_dim) for the reader to check.
// Floats read back exactly. Returns the length, or the length needed.
size_t grsn_qmix_train_config_text(const GrsnQmixTrainConfig *cfg, char *buf, size_t cap);

// Read key=value lines written by grsn_qmix_train_config_text: env and net
// select the defaults, every other key overrides them. A text that is not a
// QMIX configuration (algo other than qmix), unknown keys, bad values and
// sizes that do not fit the map are GRSN_ERR_FORMAT naming the line or key.
grsn_status grsn_qmix_train_config_parse(GrsnQmixTrainConfig *cfg, const char *text, size_t len);

// ----------------------------------------------------------------------------
// Checkpoints

// Write the learner (both networks, the optimiser's state, counters, streams)
// with the run's configuration to `path`, atomically.
grsn_status grsn_qmix_ckpt_save(const char *path, const GrsnQmixTrainConfig *cfg, GrsnQmix *q);

// 1 if `path` is a readable checkpoint whose metadata says algo=qmix, else 0
// (also for files that cannot be read: the loaders report why).
int grsn_qmix_ckpt_probe(const char *path);

// What a checkpoint says about its run, besides the tensors.
typedef struct {
    GrsnQmixTrainConfig config;
    GrsnQmixCounters counters;
    char grsn_version[16];
} GrsnQmixCkptInfo;

// Read only the configuration and counters of a QMIX checkpoint (checked
// container, parsed metadata). GRSN_ERR_IO for a file that cannot be read;
// GRSN_ERR_FORMAT for a corrupt or foreign file, or a control-task checkpoint
// (the message says which task and algorithm it holds).
grsn_status grsn_qmix_ckpt_info(const char *path, GrsnQmixCkptInfo *info);

// Restore a QMIX checkpoint into the learner `q`: both networks, the
// optimiser, the counters and the learner's streams. The checkpoint must describe the same
// network: map, net, hidden, mixer and hypernet sizes, state layout, unit
// table and neuron options; a mismatch is GRSN_ERR_FORMAT naming the field
// and both values ("trained on map 3m, the learner is for 8m"), a tensor of
// another shape names the tensor. On failure q may hold some restored
// tensors: free it. info may be NULL.
grsn_status grsn_qmix_ckpt_restore(const char *path, GrsnQmix *q, GrsnQmixCkptInfo *info);

// Build the learner a checkpoint describes (with the run's seed, or with
// `seed` when seed_override is 1, which seeds fresh test environments) and
// restore it. *out is set only on success.
grsn_status grsn_qmix_ckpt_load(const char *path, int seed_override, uint64_t seed, GrsnQmix **out,
                                GrsnQmixCkptInfo *info);

// ----------------------------------------------------------------------------
// Training

// What the progress callback sees: after every rollout, and after every
// test (tested = 1). Train and loss fields are means since the previous
// test (NaN when there were none); test fields hold the latest test (NaN
// before the first).
typedef struct {
    long env_steps, episodes, updates;
    int tested;
    float epsilon;
    double rollout_win_rate, rollout_return;  // the rollout just played
    double train_win_rate, train_return, loss;
    double test_win_rate, test_return, test_return_std, test_length, firing_rate;
    double wall_s, env_steps_per_s, updates_per_s;   // over the run so far
} GrsnQmixTrainProgress;

typedef void (*grsn_qmix_progress_fn)(const GrsnQmixTrainProgress *p, void *user);

typedef struct {
    double test_win_rate, test_return, test_return_std, test_length;   // the final test
    long env_steps, episodes, updates, tests;
    double wall_s;
} GrsnQmixTrainResult;

// Run a whole training as configured, writing the run directory `out_dir`
// (created if missing). On GRSN_ERR_NAN (a non-finite loss) the run stops,
// the message says so and names the last checkpoint, which stays on disk.
grsn_status grsn_qmix_train_run(const GrsnQmixTrainConfig *cfg, const char *out_dir,
                                grsn_qmix_progress_fn progress, void *user, GrsnQmixTrainResult *result);

// 1 if dir/config is a QMIX run's (algo=qmix), else 0 (also when it cannot
// be read: grsn_qmix_train_resume_config reports why).
int grsn_qmix_run_probe(const char *dir);

// The config of the QMIX run in dir (its config file). GRSN_ERR_IO if it
// cannot be read, GRSN_ERR_FORMAT if it is not a QMIX run's or does not parse.
grsn_status grsn_qmix_train_resume_config(const char *dir, GrsnQmixTrainConfig *cfg);

// Carry on the run in `dir` from its latest resume pair (ckpt_N.grsn with
// replay_N.grsn). cfg is the run's config (grsn_qmix_train_resume_config)
// with the budget and threads wanted: a larger cfg->steps extends a
// finished run. progress.csv and timing.csv are cut back to step N and
// appended to; wall_s continues from the seconds run before. The rows,
// checkpoints and result are those of an uninterrupted run of the same
// config (when extending a finished run: one whose budget was a multiple of
// the test interval, so that it ended on a regular test). GRSN_ERR_FORMAT if
// dir holds no complete pair, or a checkpoint or resume state of another
// config, or a damaged one (the message names the file); GRSN_ERR_ARG if
// cfg->steps is below N.
grsn_status grsn_qmix_train_resume(const GrsnQmixTrainConfig *cfg, const char *dir, grsn_qmix_progress_fn progress,
                                   void *user, GrsnQmixTrainResult *result);

#ifdef __cplusplus
}
#endif
#endif // GRSN_TRAIN_QMIX_H
