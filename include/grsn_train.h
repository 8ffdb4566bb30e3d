/*
 * grsn_train.h — training runs for the partially observable control tasks
 * (paper Table 1; reference-implementation.md §6 and decisions 15-18 of §11):
 * the run configuration and its key=value text, the training loop, the
 * deterministic evaluation, and checkpoints.
 *
 * A run (grsn_train_run) is:
 *   1. warm-up: `warmup_episodes` episodes of random actions
 *      (grsn_env_random_action on the explore stream), stored in replay;
 *   2. until `steps` environment steps: one episode with the exploring policy
 *      (TD3 noise / SAC-discrete sampling), the actor state carried from step
 *      to step starting from zero state, zero previous action and reward
 *      (TAP); store it; then ceil(updates_per_step x L) gradient updates on
 *      batches from the sequence replay buffer;
 *   3. evaluation: at the first episode boundary at or past every multiple of
 *      `eval_interval` env steps, and once more at the end, `eval_episodes`
 *      deterministic episodes on a separate environment with its own stream
 *      (GRSN_STREAM_EVAL_ENV). The final evaluation is the run's score.
 *
 * The run directory receives
 *   config        the resolved configuration, key=value lines
 *   progress.csv  one row per evaluation; deterministic given the seed (no
 *                 wall-clock columns), so the same seed gives the same bytes
 *   timing.csv    the wall-clock side of each row: seconds, updates/s, steps/s
 *   ckpt_%08d.grsn  the checkpoint of the latest evaluation (older ones are
 *                 removed once the new one is on disk), final.grsn at the end
 *   replay_%08d.grsn  beside each checkpoint: the replay buffer, streams and
 *                 run counters; the two are the resume pair (--resume)
 *   result        the final evaluation: mean and std of the returns
 *
 * Checkpoints (style-and-anchors.md B.9) are self-describing little-endian
 * files: a header (magic "GRSN", version, sizes, update and env-step
 * counts), the resolved configuration as key=value text, one record per
 * tensor (name, dtype, shape, offset, size), then a 64-byte-aligned data
 * blob and a checksum. They hold every parameter of the actor, critic and
 * their targets, the Adam state of actor and critic, log alpha and its Adam
 * state (SAC-discrete), and the state of every random stream of the run.
 * Loading rebuilds the agent from the configuration and checks every tensor
 * against it; any mismatch is GRSN_ERR_FORMAT with a message naming the file.
 */
#ifndef GRSN_TRAIN_H
#define GRSN_TRAIN_H

#include "grsn.h"

#ifdef __cplusplus
extern "C" {
#endif

// ----------------------------------------------------------------------------
// Configuration

#define GRSN_TRAIN_STEPS_PENDULUM 51000  // 200 x (5 + 250), spec §6.1
#define GRSN_TRAIN_STEPS_CARTPOLE 11000  // 200 x (5 + 50)

typedef struct {
    char env[32];              // task, e.g. "pendulum-p" (grsn_env_make)
    uint64_t seed;             // master seed of every stream
    GrsnAgentConfig agent;     // algo, net, sizes, hyperparameters, cell options
    long steps;                // env-step budget (warm-up included)
    int warmup_episodes;       // random-action episodes before learning, 5
    int eval_episodes;         // deterministic episodes per evaluation, 10
    int eval_interval;         // env steps between evaluations, 1000
    double updates_per_step;   // updates after an episode of L steps: ceil(this x L), 1.0
    long buffer_size;          // replay capacity in transitions, 1e6 (never fills)
    int compat;                // authors' env switches: warm-up U[-2, 2] on Pendulum
                               // (decision 15), a fall at step 200 is a timeout (16)
    int threads;               // OpenMP threads, 0: all cores (results do not depend on it)
    long test_poison_update;   // test hook: after this many updates the critic's weights
                               // become NaN, so the next update fails; 0: off
} GrsnTrainConfig;

// The paper's configuration for task `env` (any name grsn_env_make takes),
// algorithm `algo` (-1: the task's own, TD3 for Pendulum, SAC-discrete for
// CartPole) and core `net`. GRSN_ERR_ARG for an unknown task, algo or net,
// or an algorithm that does not fit the action space (TD3 on CartPole,
// SAC-discrete on Pendulum); the message lists the choices.
grsn_status grsn_train_defaults(GrsnTrainConfig *cfg, const char *env, int algo, int net,
                                uint64_t seed);

// Switch to the authors' code semantics (spec §11): the cell options of
// grsn_cell_config_compat and the environment switches of decisions 15/16.
void grsn_train_set_compat(GrsnTrainConfig *cfg);

// Check a configuration: sizes > 0, probabilities in range, algo vs. action
// space. GRSN_ERR_ARG naming the first bad field.
grsn_status grsn_train_check(const GrsnTrainConfig *cfg);

// The configuration as key=value lines ("gamma=0.9\n" ...) into buf (cap
// bytes, NUL-terminated). Floats are printed so that they read back exactly.
// Returns the length, or the length needed if it does not fit.
size_t grsn_train_config_text(const GrsnTrainConfig *cfg, char *buf, size_t cap);

// Read key=value lines written by grsn_train_config_text. The keys env,
// algo and net select the defaults; every other key then overrides them.
// Unknown keys, bad values and missing env/algo/net are GRSN_ERR_FORMAT,
// with a message naming the line.
grsn_status grsn_train_config_parse(GrsnTrainConfig *cfg, const char *text, size_t len);

// Make the run's training or evaluation environment (stream
// GRSN_STREAM_ENV or GRSN_STREAM_EVAL_ENV of cfg->seed, or of `seed`), with
// the compat switches applied.
grsn_status grsn_train_make_env(grsn_env *env, const GrsnTrainConfig *cfg, uint64_t seed,
                                uint64_t stream);

// ----------------------------------------------------------------------------
// Evaluation

// Play `episodes` deterministic episodes (TD3: mu; SAC-discrete: argmax) on
// `env`, the actor state carried through each episode from zero. Writes the
// return of each episode to returns[episodes]; mean and std (population, as
// numpy's default) if not NULL. The environment's stream advances.
grsn_status grsn_evaluate(GrsnAgent *agent, grsn_env *env, int episodes, double *returns,
                          double *mean, double *std);

// ----------------------------------------------------------------------------
// Checkpoints

#define GRSN_CKPT_VERSION 1

// The random streams of a run, saved so that a run can be continued.
typedef struct {
    grsn_rng explore, replay, target_noise, env, eval_env;
} GrsnTrainRngs;

// Everything a checkpoint holds besides the agent.
typedef struct {
    GrsnTrainConfig config;    // the resolved configuration of the run
    uint64_t updates;          // gradient updates done
    uint64_t env_steps;        // environment steps taken
    GrsnTrainRngs rng;         // stream states at save time
    char grsn_version[16];     // the version that wrote it
} GrsnCkptInfo;

// Write `agent` with the run's config, counters and streams to `path`,
// atomically (a temporary file renamed into place).
grsn_status grsn_ckpt_save(const char *path, const GrsnTrainConfig *cfg, GrsnAgent *agent,
                           uint64_t env_steps, const GrsnTrainRngs *rng);

// Read `path`: build the agent its configuration describes and fill in every
// tensor. *agent is set only on success (free it with grsn_agent_free);
// info may be NULL. GRSN_ERR_IO for a file that cannot be read;
// GRSN_ERR_FORMAT for a truncated, corrupt or foreign file, a version this
// build cannot read, or tensors that do not fit the agent.
grsn_status grsn_ckpt_load(const char *path, GrsnAgent **agent, GrsnCkptInfo *info);

// ----------------------------------------------------------------------------
// Training

// What the progress callback sees: after every episode, and after every
// evaluation (evaluated = 1). Loss fields are means over the updates since
// the previous evaluation; eval fields hold the latest evaluation (NaN
// before the first).
typedef struct {
    long env_steps, episodes, updates;
    int warmup;                // 1 while collecting the random warm-up episodes
    int evaluated;             // 1 right after an evaluation
    double episode_return;     // the episode just collected
    double train_return;       // mean return of the training episodes since the last evaluation
    double eval_return, eval_std;
    float q_loss, pi_loss, alpha, entropy, firing_rate;
    double wall_s;             // seconds since the run started
    double updates_per_s, env_steps_per_s;   // over the run so far
} GrsnTrainProgress;

typedef void (*grsn_train_progress_fn)(const GrsnTrainProgress *p, void *user);

typedef struct {
    double eval_mean, eval_std;       // the final evaluation: the run's score
    long env_steps, episodes, updates;
    double wall_s;
} GrsnTrainResult;

// Run a whole training as configured, writing the run directory `out_dir`
// (created if missing). progress (may be NULL) is called as described
// above. On GRSN_ERR_NAN (a non-finite loss) the run stops, the message
// says so, and the last checkpoint written stays on disk.
grsn_status grsn_train_run(const GrsnTrainConfig *cfg, const char *out_dir,
                           grsn_train_progress_fn progress, void *user, GrsnTrainResult *result);

// The config of the run in dir (its config file). GRSN_ERR_IO if it cannot
// be read, GRSN_ERR_ARG for a QMIX run, GRSN_ERR_FORMAT if it does not parse.
grsn_status grsn_train_resume_config(const char *dir, GrsnTrainConfig *cfg);

// Carry on the run in `dir` from its latest checkpoint pair (ckpt_N.grsn with
// replay_N.grsn, written at every evaluation). cfg is the run's config
// (grsn_train_resume_config) with the budget and threads wanted: a larger
// cfg->steps extends a finished run. progress.csv and timing.csv are cut back
// to step N and appended to. The rows, checkpoints and result are those of an
// uninterrupted run of the same config (when extending a finished run: one
// whose budget was a multiple of the evaluation interval, so that it ended on
// a regular evaluation). QMIX runs resume with grsn_qmix_train_resume.
// GRSN_ERR_FORMAT if dir holds no complete pair or a checkpoint or replay
// state of another config, GRSN_ERR_ARG if cfg->steps is below N.
grsn_status grsn_train_resume(const GrsnTrainConfig *cfg, const char *dir, grsn_train_progress_fn progress,
                              void *user, GrsnTrainResult *result);

// The env step N of the latest resume pair in dir (ckpt_N.grsn with
// replay_N.grsn; control or QMIX run), -1 if there is none.
long grsn_train_resume_point(const char *dir);

#ifdef __cplusplus
}
#endif
#endif // GRSN_TRAIN_H
