/*
 * grsn_env.h — the classic-control tasks of the paper's Table 1: Gym 0.26.2's
 * CartPole-v1 and Pendulum-v1 with the partially observable views of
 * pomdp-baselines (reference-implementation.md §4). The physics repeats Gym's
 * equations in Gym's order of operations, in double precision, and emits
 * float32 observations, so a trajectory matches Gym's bit for bit
 * (tests/test_env.c holds it against fixtures written by
 * dev/gen_env_fixtures.py).
 *
 * An environment is a plain struct: no allocation, no pointers, copy it to
 * snapshot it. It owns its random stream (decision 18), seeded from
 * (seed, GRSN_STREAM_ENV + i) or (seed, GRSN_STREAM_EVAL_ENV + i).
 *
 *   grsn_env env; float obs[GRSN_ENV_MAX_OBS]; grsn_env_result r;
 *   grsn_env_make(&env, "pendulum-p", seed, GRSN_STREAM_ENV + 0);
 *   grsn_env_reset(&env, obs);
 *   do { float a = ...; grsn_env_step(&env, &a, obs, &r); }
 *   while (!r.terminated && !r.truncated);
 *
 * Episode end (§4.4, decision 16): `truncated` says the step cap (200) was
 * reached; `terminated` says the environment's own termination test held and
 * is the flag to store for bootstrapping. A timeout is never terminal; a fall
 * on exactly the last step is both terminated and truncated, unless the
 * switch timeout_overrides_terminal reproduces the authors' code, which
 * stores such a fall as a timeout.
 */
#ifndef GRSN_ENV_H
#define GRSN_ENV_H

#include "grsn.h"

#ifdef __cplusplus
extern "C" {
#endif

// ----------------------------------------------------------------------------
// Kinds, views, sizes

typedef enum { GRSN_CARTPOLE = 0, GRSN_PENDULUM = 1 } grsn_env_kind;

// Which observation components the agent sees (§4.3):
//   CartPole (x, ẋ, θ, θ̇):      F = all, P = [0, 2] = (x, θ),        V = [1, 3] = (ẋ, θ̇)
//   Pendulum (cos θ, sin θ, θ̇): F = all, P = [0, 1] = (cos θ, sin θ), V = [2]    = θ̇
typedef enum { GRSN_VIEW_FULL = 0, GRSN_VIEW_POS = 1, GRSN_VIEW_VEL = 2 } grsn_env_view;

#define GRSN_ENV_MAX_OBS   4    // the largest observation (CartPole-F)
#define GRSN_ENV_MAX_STATE 4    // the largest physical state (CartPole)
#define GRSN_ENV_MAX_STEPS 200  // the episode cap of every task (§4.3)

// The accepted names, for messages and --help. Names are case-insensitive
// and may carry pomdp-baselines' "-v0" suffix ("CartPole-P-v0").
#define GRSN_ENV_NAMES "cartpole-f, cartpole-p, cartpole-v, pendulum-f, pendulum-p, pendulum-v"

// ----------------------------------------------------------------------------
// The environment

typedef struct {
    // What it is (set by grsn_env_make; read-only).
    grsn_env_kind kind;
    grsn_env_view view;
    int obs_dim;     // d_o of the view: CartPole 4/2/2, Pendulum 3/2/1 (F/P/V)
    int act_dim;     // width of an action vector: Pendulum 1; CartPole 2 (one-hot)
    int n_actions;   // discrete: number of actions (CartPole 2); continuous: 0
    int discrete;    // 1 for CartPole, 0 for Pendulum
    int state_dim;   // CartPole 4 = (x, ẋ, θ, θ̇); Pendulum 2 = (θ, θ̇)

    // Switches: change them after grsn_env_make, before the first reset.
    int max_steps;                   // episode cap, GRSN_ENV_MAX_STEPS; <= 0: no cap
    int timeout_overrides_terminal;  // decision 16: 1 = the authors' code (a fall on the last step is a timeout)
    int warmup_pendulum_code;        // decision 15: 1 = random Pendulum actions ~ U[-2, 2], unclipped

    // Episode state (read-only outside env code).
    double state[GRSN_ENV_MAX_STATE];  // physical state in double, as Gym keeps it
    int steps;                         // steps taken in the current episode
    int done;                          // the episode ended: step needs a reset first
    grsn_rng rng;                      // this instance's stream; drawn by reset only
} grsn_env;

// The outcome of one step.
typedef struct {
    double reward;   // Gym's float64 reward
    int terminated;  // a true terminal state: the bootstrapping flag to store
    int truncated;   // the step cap was reached (never terminal by itself)
} grsn_env_result;

// ----------------------------------------------------------------------------
// Functions

// Set up `env` for task `name` with its own stream (seed, stream). Unknown
// names give GRSN_ERR_ARG with a message listing GRSN_ENV_NAMES.
grsn_status grsn_env_make(grsn_env *env, const char *name, uint64_t seed, uint64_t stream);

// Canonical name of the task, e.g. "cartpole-p".
const char *grsn_env_name(const grsn_env *env);

// Name of observation component i of the view, e.g. "theta_dot" (for CSV headers).
const char *grsn_env_obs_name(const grsn_env *env, int i);

// Start an episode: draw the initial state from the environment's stream
// (CartPole: all four ~ U(-0.05, 0.05); Pendulum: θ ~ U(-π, π), θ̇ ~ U(-1, 1))
// and write the observation, obs (obs_dim).
void grsn_env_reset(grsn_env *env, float *obs);

// One step. action (act_dim):
//   Pendulum: the normalised action a; the pomdp-baselines wrapper clips it to
//             [-1, 1] and maps it to torque 2a in float32 arithmetic (§4.1);
//   CartPole: a score per action (e.g. one-hot); the step takes the first
//             argmax, like pomdp-baselines' env_step helper (§4.2).
// Writes the next observation, obs (obs_dim), and the result. Fails with
// GRSN_ERR_ARG on a non-finite action or a step after the episode ended.
grsn_status grsn_env_step(grsn_env *env, const float *action, float *obs, grsn_env_result *res);

// CartPole step by action index: 0 pushes left (F = -10), 1 pushes right.
// GRSN_ERR_ACTION for an index outside [0, n_actions) or a continuous env.
grsn_status grsn_env_step_discrete(grsn_env *env, int action, float *obs, grsn_env_result *res);

// A random action for warm-up (§6.2), drawn from `rng` (the caller's
// exploration stream, not the environment's). Writes action (act_dim) in the
// form grsn_env_step takes and that replay stores:
//   CartPole: a uniform one-hot; the return value is its index;
//   Pendulum: a ~ U[-1, 1] (decision 15), or with warmup_pendulum_code the
//             code's Box(-2, 2) sample, stored unclipped (§5.1); returns 0.
int grsn_env_random_action(const grsn_env *env, grsn_rng *rng, float *action);

// Put the environment in a given physical state (state_dim doubles) after
// `steps` steps of an episode, and write its observation. For tests against
// recorded trajectories. GRSN_ERR_ARG if steps < 0 or a value is not finite.
grsn_status grsn_env_set_state(grsn_env *env, const double *state, int steps, float *obs);

// The observation of the current state, obs (obs_dim).
void grsn_env_observe(const grsn_env *env, float *obs);

#ifdef __cplusplus
}
#endif

#endif // GRSN_ENV_H
