/*
 * env.c — the environment API of grsn_env.h: task names, the observation
 * views of pomdp-baselines (reference-implementation.md §4.3), the 200-step
 * cap with separate terminated/truncated flags (§4.4, decision 16), seeding
 * (decision 18) and warm-up actions (§6.2, decision 15). The physics lives
 * in env_cartpole.c and env_pendulum.c.
 */
#include "env_internal.h"
#include <ctype.h>

// --- Views (§4.3): the indices of the full observation that each view keeps.

typedef struct { int n; int idx[GRSN_ENV_MAX_OBS]; } View;

static const View VIEWS[2][3] = {
    // CartPole (x, ẋ, θ, θ̇)
    { {4, {0, 1, 2, 3}}, {2, {0, 2}}, {2, {1, 3}} },
    // Pendulum (cos θ, sin θ, θ̇)
    { {3, {0, 1, 2}}, {2, {0, 1}}, {1, {2}} },
};

static const char *const FULL_OBS_NAMES[2][GRSN_ENV_MAX_OBS] = {
    {"x", "x_dot", "theta", "theta_dot"},
    {"cos_theta", "sin_theta", "theta_dot", NULL},
};

static const char *const NAMES[2][3] = {
    {"cartpole-f", "cartpole-p", "cartpole-v"},
    {"pendulum-f", "pendulum-p", "pendulum-v"},
};

// --- Names

// "CartPole-P-v0" -> kind and view. Returns 0 if the name is unknown.
static int parse_name(const char *name, grsn_env_kind *kind, grsn_env_view *view) {
    char s[32];
    size_t n = strlen(name);
    if (n >= sizeof s) return 0;
    for (size_t i = 0; i <= n; i++) s[i] = (char)tolower((unsigned char)name[i]);
    if (n > 3 && strcmp(s + n - 3, "-v0") == 0) s[n - 3] = '\0';
    for (int k = 0; k < 2; k++)
        for (int v = 0; v < 3; v++)
            if (strcmp(s, NAMES[k][v]) == 0) {
                *kind = (grsn_env_kind)k;
                *view = (grsn_env_view)v;
                return 1;
            }
    return 0;
}

grsn_status grsn_env_make(grsn_env *env, const char *name, uint64_t seed, uint64_t stream) {
    grsn_env_kind kind;
    grsn_env_view view;
    if (!name || !parse_name(name, &kind, &view))
        return grsn_fail(GRSN_ERR_ARG, "unknown environment '%s'; valid environments: %s",
                         name ? name : "(null)", GRSN_ENV_NAMES);
    memset(env, 0, sizeof *env);
    env->kind = kind;
    env->view = view;
    env->obs_dim = VIEWS[kind][view].n;
    env->discrete = kind == GRSN_CARTPOLE;
    env->n_actions = env->discrete ? 2 : 0;
    env->act_dim = env->discrete ? 2 : 1;
    env->state_dim = kind == GRSN_CARTPOLE ? 4 : 2;
    env->max_steps = GRSN_ENV_MAX_STEPS;
    env->done = 1;   // no episode yet: the first call must be a reset
    grsn_rng_seed(&env->rng, seed, stream);
    return GRSN_OK;
}

const char *grsn_env_name(const grsn_env *env) { return NAMES[env->kind][env->view]; }

const char *grsn_env_obs_name(const grsn_env *env, int i) {
    GRSN_ASSERT(i >= 0 && i < env->obs_dim, "observation index %d out of range", i);
    return FULL_OBS_NAMES[env->kind][VIEWS[env->kind][env->view].idx[i]];
}

// --- Episodes

void grsn_env_observe(const grsn_env *env, float *obs) {
    float full[GRSN_ENV_MAX_OBS];
    if (env->kind == GRSN_CARTPOLE) cartpole_observe(env->state, full);
    else pendulum_observe(env->state, full);
    const View *v = &VIEWS[env->kind][env->view];
    for (int i = 0; i < v->n; i++) obs[i] = full[v->idx[i]];
}

void grsn_env_reset(grsn_env *env, float *obs) {
    if (env->kind == GRSN_CARTPOLE) cartpole_reset(env->state, &env->rng);
    else pendulum_reset(env->state, &env->rng);
    env->steps = 0;
    env->done = 0;
    grsn_env_observe(env, obs);
}

grsn_status grsn_env_set_state(grsn_env *env, const double *state, int steps, float *obs) {
    if (steps < 0 || (env->max_steps > 0 && steps >= env->max_steps))
        return grsn_fail(GRSN_ERR_ARG, "%s: step count %d outside [0, %d)", grsn_env_name(env),
                         steps, env->max_steps);
    for (int i = 0; i < env->state_dim; i++)
        if (!isfinite(state[i]))
            return grsn_fail(GRSN_ERR_ARG, "%s: state[%d] is not finite", grsn_env_name(env), i);
    for (int i = 0; i < env->state_dim; i++) env->state[i] = state[i];
    env->steps = steps;
    env->done = 0;
    grsn_env_observe(env, obs);
    return GRSN_OK;
}

// Advance one step with an action index (CartPole) or a normalised action
// (Pendulum), then apply the cap and the flags of §4.4.
static grsn_status advance(grsn_env *env, int index, float a, float *obs, grsn_env_result *res) {
    if (env->done)
        return grsn_fail(GRSN_ERR_ARG, "%s: step without a running episode; call grsn_env_reset first",
                         grsn_env_name(env));
    int terminated;
    double reward;
    if (env->kind == GRSN_CARTPOLE) {
        terminated = cartpole_step(env->state, index);
        reward = 1.0;   // +1 on every step, the terminating one included
    } else {
        reward = pendulum_step(env->state, pendulum_torque(a));
        terminated = 0; // Pendulum never terminates
    }
    env->steps++;
    int truncated = env->max_steps > 0 && env->steps >= env->max_steps;
    // Decision 16. Default: a fall is terminal whatever the step count. The
    // authors' code stores every episode end at the cap as a timeout.
    if (truncated && env->timeout_overrides_terminal) terminated = 0;
    env->done = terminated || truncated;
    res->reward = reward;
    res->terminated = terminated;
    res->truncated = truncated;
    grsn_env_observe(env, obs);
    return GRSN_OK;
}

grsn_status grsn_env_step(grsn_env *env, const float *action, float *obs, grsn_env_result *res) {
    for (int i = 0; i < env->act_dim; i++)
        if (!isfinite(action[i]))
            return grsn_fail(GRSN_ERR_ARG, "%s: action[%d] is not finite", grsn_env_name(env), i);
    if (!env->discrete) return advance(env, 0, action[0], obs, res);
    // np.argmax: the first maximum.
    int best = 0;
    for (int i = 1; i < env->n_actions; i++)
        if (action[i] > action[best]) best = i;
    return advance(env, best, 0.0f, obs, res);
}

grsn_status grsn_env_step_discrete(grsn_env *env, int action, float *obs, grsn_env_result *res) {
    if (!env->discrete)
        return grsn_fail(GRSN_ERR_ACTION, "%s has continuous actions; use grsn_env_step", grsn_env_name(env));
    if (action < 0 || action >= env->n_actions)
        return grsn_fail(GRSN_ERR_ACTION, "%s: action %d outside [0, %d)", grsn_env_name(env), action,
                         env->n_actions);
    return advance(env, action, 0.0f, obs, res);
}

int grsn_env_random_action(const grsn_env *env, grsn_rng *rng, float *action) {
    if (env->discrete) {
        int k = (int)grsn_rng_below(rng, (uint32_t)env->n_actions);
        for (int i = 0; i < env->n_actions; i++) action[i] = i == k ? 1.0f : 0.0f;
        return k;
    }
    // Decision 15. Default: uniform over the normalised action space. The
    // code draws from the base env's float32 Box(-2, 2) and stores the sample
    // unclipped; the wrapper clips it to [-1, 1] only inside the step.
    action[0] = env->warmup_pendulum_code ? (float)grsn_rng_uniform(rng, -2.0, 2.0)
                                          : (float)grsn_rng_uniform(rng, -1.0, 1.0);
    return 0;
}
