/*
 * train.c — a training run on the partially observable control tasks
 * (reference-implementation.md §6.2 with decisions 15-18 of §11): the run
 * configuration and its key=value text, the training loop, deterministic
 * evaluation on a separate environment, and the agent's checkpoints (stored
 * in the container of ckpt.c).
 *
 * The loop, as the authors' experiments/train.py runs it:
 *
 *   warm-up:  5 episodes of random actions, stored in replay
 *   repeat until the env-step budget:
 *       collect 1 episode with the exploring policy; the actor state is
 *       carried step to step from zero state and zero previous action and
 *       reward (TAP), exactly the recurrence the update trains
 *       store it; run ceil(1.0 x L) updates, one replay batch each
 *       at the first episode boundary past every 1,000 env steps: evaluate
 *   evaluate once more at the end: the run's score
 *
 * Every random draw comes from its own stream of the master seed: explore
 * (warm-up actions, exploration noise, SAC-discrete sampling), replay
 * (windows), target_noise (TD3 smoothing), env and eval_env (resets). So a
 * seed fixes the whole run, and progress.csv, which holds no wall-clock
 * column, is the same byte for byte at any thread count.
 */
#include "common.h"
#include "ckpt.h"
#include "kvconf.h"
#include "rundir.h"
#include "tensorlist.h"
#include "grsn_train.h"
#include <stddef.h>
#include <errno.h>
#include "io.h"

// ----------------------------------------------------------------------------
// Defaults and checks

grsn_status grsn_train_defaults(GrsnTrainConfig *cfg, const char *env_name, int algo, int net,
                                uint64_t seed) {
    memset(cfg, 0, sizeof *cfg);
    grsn_env env;
    GRSN_TRY(grsn_env_make(&env, env_name, seed, GRSN_STREAM_ENV));
    if (algo < 0) algo = env.discrete ? GRSN_ALGO_SACD : GRSN_ALGO_TD3;
    if (algo != GRSN_ALGO_TD3 && algo != GRSN_ALGO_SACD)
        return grsn_fail(GRSN_ERR_ARG, "unknown algo %d; valid algos: %s", algo, GRSN_ALGO_NAMES);
    if (net < GRSN_NET_GRSN || net > GRSN_NET_MLP)
        return grsn_fail(GRSN_ERR_ARG, "unknown net %d; valid nets: %s", net, GRSN_NET_NAMES);
    snprintf(cfg->env, sizeof cfg->env, "%s", grsn_env_name(&env));
    cfg->seed = seed;
    cfg->agent = grsn_agent_defaults((grsn_algo)algo, (grsn_net)net, env.obs_dim,
                                     env.discrete ? env.n_actions : env.act_dim, env.discrete);
    cfg->steps = env.kind == GRSN_PENDULUM ? GRSN_TRAIN_STEPS_PENDULUM : GRSN_TRAIN_STEPS_CARTPOLE;
    cfg->warmup_episodes = 5;
    cfg->eval_episodes = 10;
    cfg->eval_interval = 1000;
    cfg->updates_per_step = 1.0;
    cfg->buffer_size = GRSN_SEQBUF_CAPACITY;
    return grsn_train_check(cfg);
}

void grsn_train_set_compat(GrsnTrainConfig *cfg) {
    cfg->compat = 1;
    grsn_cell_config_compat(&cfg->agent.cell);
}

// The agent's observation and action widths against the environment's (an
// action is a one-hot of n_actions in a discrete environment).
static grsn_status agent_fits_env(const GrsnAgentConfig *a, const grsn_env *env) {
    int act_dim = env->discrete ? env->n_actions : env->act_dim;
    if (a->obs_dim != env->obs_dim || a->act_dim != act_dim || a->discrete != env->discrete)
        return grsn_fail(GRSN_ERR_ARG, "agent sizes (obs %d, act %d, discrete %d) do not fit %s (%d, %d, %d)",
                         a->obs_dim, a->act_dim, a->discrete, grsn_env_name(env), env->obs_dim, act_dim,
                         env->discrete);
    return GRSN_OK;
}

grsn_status grsn_train_check(const GrsnTrainConfig *cfg) {
    grsn_env env;
    GRSN_TRY(grsn_env_make(&env, cfg->env, cfg->seed, GRSN_STREAM_ENV));
    const GrsnAgentConfig *a = &cfg->agent;
    if (a->algo == GRSN_ALGO_TD3 && env.discrete)
        return grsn_fail(GRSN_ERR_ARG, "algo td3 needs continuous actions, but %s is discrete; use sacd",
                         cfg->env);
    if (a->algo == GRSN_ALGO_SACD && !env.discrete)
        return grsn_fail(GRSN_ERR_ARG, "algo sacd needs discrete actions, but %s is continuous; use td3",
                         cfg->env);
    GRSN_TRY(agent_fits_env(a, &env));
    struct { const char *name; double v, lo, hi; } ranges[] = {
        {"steps", (double)cfg->steps, 1, 1e12},
        {"warmup_episodes", cfg->warmup_episodes, 0, 1e6},
        {"eval_episodes", cfg->eval_episodes, 1, 1e6},
        {"eval_interval", cfg->eval_interval, 1, 1e12},
        {"updates_per_step", cfg->updates_per_step, 0, 1e3},
        {"buffer_size", (double)cfg->buffer_size, 1, 2e9},
        {"threads", cfg->threads, 0, 1024},
        {"emb_a", a->emb_a, 1, 1e5}, {"emb_r", a->emb_r, 1, 1e5}, {"emb_o", a->emb_o, 1, 1e5},
        {"hidden", a->hidden, 1, 1e5}, {"head_hidden", a->head_hidden, 1, 1e5},
        {"seq_len", a->seq_len, 2, 1e5}, {"batch", a->batch, 1, 1e5},
        {"gamma", a->gamma, 0, 1}, {"tau", a->tau, 0, 1}, {"lr", a->lr, 1e-30, 1e30},
        {"expl_noise", a->expl_noise, 0, 1e30}, {"target_noise", a->target_noise, 0, 1e30},
        {"noise_clip", a->noise_clip, 0, 1e30}, {"policy_delay", a->policy_delay, 1, 1e6},
        {"actor_q1", a->actor_q1, 0, 1}, {"target_entropy_scale", a->target_entropy_scale, -1e30, 1e30},
        {"alpha_lr", a->alpha_lr, 1e-30, 1e30},
        {"cell.threshold", a->cell.threshold, 1e-30, 1e30}, {"cell.alpha", a->cell.alpha, 1e-30, 1e30},
        {"cell.beta", a->cell.beta, 0, 1}, {"cell.substeps", a->cell.substeps, 1, 64},
        {"cell.detach_reset", a->cell.detach_reset, 0, 1}, {"cell.smooth", a->cell.smooth, 0, 1},
        {"cell.act_reset_membrane", a->cell.act_reset_membrane, 0, 1},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (!(ranges[i].v >= ranges[i].lo && ranges[i].v <= ranges[i].hi))
            return grsn_fail(GRSN_ERR_ARG, "%s = %g is outside [%g, %g]", ranges[i].name, ranges[i].v,
                             ranges[i].lo, ranges[i].hi);
    GRSN_TRY(grsn_cell_check_wiring(&a->cell, grsn_net_name(a->net)));
    if (cfg->buffer_size < a->seq_len)
        return grsn_fail(GRSN_ERR_ARG, "buffer_size %ld is smaller than seq_len %d", cfg->buffer_size, a->seq_len);
    return GRSN_OK;
}

grsn_status grsn_train_make_env(grsn_env *env, const GrsnTrainConfig *cfg, uint64_t seed, uint64_t stream) {
    GRSN_TRY(grsn_env_make(env, cfg->env, seed, stream));
    env->timeout_overrides_terminal = cfg->compat;   // decision 16
    env->warmup_pendulum_code = cfg->compat;         // decision 15
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// The configuration as key=value text (kvconf.h). One table drives writing and reading.

#define KEY(name, type, field) {.key = name, .kind = GRSN_KV_##type, .off = offsetof(GrsnTrainConfig, field)}
#define ENUM_KEY(name, field, table) \
    {.key = name, .kind = GRSN_KV_ENUM, .off = offsetof(GrsnTrainConfig, field), .names = table}
static const GrsnKvField KEYS[] = {
    {.key = "env", .kind = GRSN_KV_STR, .off = offsetof(GrsnTrainConfig, env),
     .size = sizeof ((GrsnTrainConfig *)0)->env},
    ENUM_KEY("algo", agent.algo, GRSN_KV_ALGO_NAMES),
    ENUM_KEY("net", agent.net, GRSN_KV_NET_NAMES),
    KEY("seed", U64, seed),
    // Run
    KEY("steps", LONG, steps), KEY("warmup_episodes", INT, warmup_episodes),
    KEY("eval_episodes", INT, eval_episodes), KEY("eval_interval", INT, eval_interval),
    KEY("updates_per_step", DOUBLE, updates_per_step), KEY("buffer_size", LONG, buffer_size),
    KEY("compat", INT, compat), KEY("threads", INT, threads),
    // Agent
    KEY("obs_dim", INT, agent.obs_dim), KEY("act_dim", INT, agent.act_dim),
    KEY("discrete", INT, agent.discrete),
    KEY("emb_a", INT, agent.emb_a), KEY("emb_r", INT, agent.emb_r), KEY("emb_o", INT, agent.emb_o),
    KEY("hidden", INT, agent.hidden), KEY("head_hidden", INT, agent.head_hidden),
    KEY("seq_len", INT, agent.seq_len), KEY("batch", INT, agent.batch),
    KEY("gamma", FLOAT, agent.gamma), KEY("tau", FLOAT, agent.tau), KEY("lr", FLOAT, agent.lr),
    KEY("expl_noise", FLOAT, agent.expl_noise), KEY("target_noise", FLOAT, agent.target_noise),
    KEY("noise_clip", FLOAT, agent.noise_clip), KEY("policy_delay", INT, agent.policy_delay),
    KEY("actor_q1", INT, agent.actor_q1),
    KEY("target_entropy_scale", FLOAT, agent.target_entropy_scale),
    KEY("alpha_lr", FLOAT, agent.alpha_lr),
    // Neuron
    KEY("cell.threshold", FLOAT, agent.cell.threshold), KEY("cell.alpha", FLOAT, agent.cell.alpha),
    KEY("cell.beta", FLOAT, agent.cell.beta),
    ENUM_KEY("cell.beta_mode", agent.cell.beta_mode, GRSN_KV_BETA_NAMES),
    ENUM_KEY("cell.reset", agent.cell.reset, GRSN_KV_RESET_NAMES),
    KEY("cell.u_reset", FLOAT, agent.cell.u_reset),
    KEY("cell.detach_reset", INT, agent.cell.detach_reset), KEY("cell.smooth", INT, agent.cell.smooth),
    KEY("cell.substeps", INT, agent.cell.substeps),
    ENUM_KEY("cell.decode", agent.cell.decode, GRSN_KV_DECODE_NAMES),
    KEY("cell.act_reset_membrane", INT, agent.cell.act_reset_membrane),
    ENUM_KEY("cell.gates", agent.cell.gates, GRSN_KV_GATES_NAMES),
    ENUM_KEY("cell.readout", agent.cell.readout, GRSN_KV_READOUT_NAMES),
};
#define NKEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

size_t grsn_train_config_text(const GrsnTrainConfig *cfg, char *buf, size_t cap) {
    if (cap) buf[0] = '\0';
    size_t off = grsn_kv_append(buf, cap, 0, "grsn_version=%s\ngrsn_build=%s\n", GRSN_VERSION, grsn_build_id());
    off = grsn_kv_append_fields(buf, cap, off, cfg, KEYS, NKEYS);
    return grsn_kv_append_info(buf, cap, off);
}

grsn_status grsn_train_config_parse(GrsnTrainConfig *cfg, const char *text, size_t len) {
    // Pass 1: env, algo and net select the defaults.
    char env[32] = "", algo[16] = "", net[16] = "";
    grsn_kv_find(text, len, "env", env, sizeof env);
    grsn_kv_find(text, len, "algo", algo, sizeof algo);
    grsn_kv_find(text, len, "net", net, sizeof net);
    if (!env[0] || !algo[0] || !net[0])
        return grsn_fail(GRSN_ERR_FORMAT, "config lacks one of the keys env, algo, net");
    int a = grsn_algo_from_name(algo), n = grsn_net_from_name(net);
    if (a < 0) return grsn_fail(GRSN_ERR_FORMAT, "config: unknown algo '%s'; valid algos: %s", algo, GRSN_ALGO_NAMES);
    if (n < 0) return grsn_fail(GRSN_ERR_FORMAT, "config: unknown net '%s'; valid nets: %s", net, GRSN_NET_NAMES);
    if (grsn_train_defaults(cfg, env, a, n, 0) != GRSN_OK) return grsn_kv_refail(GRSN_ERR_FORMAT, "config: ");
    // Pass 2: every key overrides its default.
    static const char *const SKIP[] = {"grsn_version", "grsn_build", NULL};
    GRSN_TRY(grsn_kv_parse(cfg, KEYS, NKEYS, text, len, SKIP, NULL, NULL));
    if (grsn_train_check(cfg) != GRSN_OK) return grsn_kv_refail(GRSN_ERR_FORMAT, "config: ");
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Evaluation

#define MAX_ACT 16

grsn_status grsn_evaluate(GrsnAgent *agent, grsn_env *env, int episodes, double *returns,
                          double *mean, double *std) {
    const GrsnAgentConfig *c = grsn_agent_config(agent);
    if (episodes < 1) return grsn_fail(GRSN_ERR_ARG, "evaluation needs at least 1 episode, got %d", episodes);
    GRSN_TRY(agent_fits_env(c, env));
    GRSN_ASSERT(c->act_dim <= MAX_ACT, "act_dim %d", c->act_dim);   // every environment's fits
    int S = grsn_agent_state_size(agent);
    float *state = grsn_calloc((size_t)S, sizeof(float));
    if (!state) return grsn_fail(GRSN_ERR_OOM, "evaluation: out of memory for a state of %d floats", S);
    grsn_rng unused;                       // deterministic acting draws nothing
    grsn_rng_seed(&unused, 0, 0);
    float obs[GRSN_ENV_MAX_OBS], act[MAX_ACT], prev[MAX_ACT];
    grsn_status st = GRSN_OK;
    for (int e = 0; e < episodes && st == GRSN_OK; e++) {
        memset(state, 0, (size_t)S * sizeof(float));
        memset(prev, 0, sizeof prev);
        float prev_r = 0.0f;
        double ret = 0.0;
        grsn_env_reset(env, obs);
        for (;;) {
            grsn_agent_act(agent, state, prev, prev_r, obs, 1, &unused, act, NULL);
            grsn_env_result res;
            if ((st = grsn_env_step(env, act, obs, &res)) != GRSN_OK) break;
            ret += res.reward;
            memcpy(prev, act, (size_t)c->act_dim * sizeof(float));
            prev_r = (float)res.reward;
            if (res.terminated || res.truncated) break;
        }
        returns[e] = ret;
    }
    free(state);
    GRSN_TRY(st);
    double m = 0, v = 0;
    for (int e = 0; e < episodes; e++) m += returns[e];
    m /= episodes;
    for (int e = 0; e < episodes; e++) v += (returns[e] - m) * (returns[e] - m);
    if (mean) *mean = m;
    if (std) *std = sqrt(v / episodes);
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Checkpoints: the agent's tensors
//
// Names: every parameter under its arena name ("actor.cell.w_f", ...,
// "critic_target.q2.2.b"); Adam moments per parameter ("adam.m.actor.cell.w_f",
// "adam.v.…") and step counts ("adam.step.actor", "adam.step.critic");
// SAC-discrete "log_alpha", "adam.m.log_alpha", "adam.v.log_alpha",
// "adam.step.log_alpha"; the streams "rng.explore", "rng.replay",
// "rng.target_noise", "rng.env", "rng.eval_env" (xoshiro state, u64 [4]).

typedef struct {
    GrsnTensorList list;
    int64_t adam_step[3];      // actor, critic, log alpha: Adam keeps a long
    GrsnTrainRngs rng;
} AgentTensors;

// List every tensor of the agent and the streams in `t` (pointing into the
// agent and into t->adam_step / t->rng).
static grsn_status list_tensors(AgentTensors *t, GrsnAgent *agent) {
    static const char *ADAM_NAMES[2] = {"adam.step.actor", "adam.step.critic"};
    memset(t, 0, sizeof *t);
    for (int part = 0; part < GRSN_PART_COUNT; part++) {
        GrsnParams *p = grsn_agent_params(agent, (grsn_agent_part)part);
        GRSN_TRY(grsn_tensors_add_arena(&t->list, p, "", p->data));
    }
    for (int part = GRSN_PART_ACTOR; part <= GRSN_PART_CRITIC; part++) {
        GrsnParams *p = grsn_agent_params(agent, (grsn_agent_part)part);
        GrsnAdam *adam = grsn_agent_adam(agent, (grsn_agent_part)part);
        GRSN_ASSERT(adam->n == p->n, "Adam over %zu values, arena has %zu", adam->n, p->n);
        GRSN_TRY(grsn_tensors_add_arena(&t->list, p, "adam.m.", adam->m));
        GRSN_TRY(grsn_tensors_add_arena(&t->list, p, "adam.v.", adam->v));
        GRSN_TRY(grsn_tensors_add(&t->list, ADAM_NAMES[part], GRSN_DT_I64, &t->adam_step[part], 1, 1, 0));
    }
    float *log_alpha = grsn_agent_log_alpha(agent);
    GrsnAdam *alpha_adam = grsn_agent_alpha_adam(agent);
    if (log_alpha && alpha_adam) {
        GRSN_TRY(grsn_tensors_add(&t->list, "log_alpha", GRSN_DT_F32, log_alpha, 1, 1, 0));
        GRSN_TRY(grsn_tensors_add(&t->list, "adam.m.log_alpha", GRSN_DT_F32, alpha_adam->m, 1, alpha_adam->n, 0));
        GRSN_TRY(grsn_tensors_add(&t->list, "adam.v.log_alpha", GRSN_DT_F32, alpha_adam->v, 1, alpha_adam->n, 0));
        GRSN_TRY(grsn_tensors_add(&t->list, "adam.step.log_alpha", GRSN_DT_I64, &t->adam_step[2], 1, 1, 0));
    }
    GRSN_TRY(grsn_tensors_add(&t->list, "rng.explore", GRSN_DT_U64, t->rng.explore.s, 1, 4, 0));
    GRSN_TRY(grsn_tensors_add(&t->list, "rng.replay", GRSN_DT_U64, t->rng.replay.s, 1, 4, 0));
    GRSN_TRY(grsn_tensors_add(&t->list, "rng.target_noise", GRSN_DT_U64, t->rng.target_noise.s, 1, 4, 0));
    GRSN_TRY(grsn_tensors_add(&t->list, "rng.env", GRSN_DT_U64, t->rng.env.s, 1, 4, 0));
    GRSN_TRY(grsn_tensors_add(&t->list, "rng.eval_env", GRSN_DT_U64, t->rng.eval_env.s, 1, 4, 0));
    return GRSN_OK;
}

grsn_status grsn_ckpt_save(const char *path, const GrsnTrainConfig *cfg, GrsnAgent *agent,
                           uint64_t env_steps, const GrsnTrainRngs *rng) {
    AgentTensors t;
    grsn_status st = list_tensors(&t, agent);
    if (st == GRSN_OK) {
        t.adam_step[0] = grsn_agent_adam(agent, GRSN_PART_ACTOR)->step;
        t.adam_step[1] = grsn_agent_adam(agent, GRSN_PART_CRITIC)->step;
        if (grsn_agent_alpha_adam(agent)) t.adam_step[2] = grsn_agent_alpha_adam(agent)->step;
        t.rng = *rng;
        char meta[4096];
        size_t need = grsn_train_config_text(cfg, meta, sizeof meta);
        GRSN_ASSERT(need < sizeof meta, "config text of %zu bytes", need);
        st = grsn_ckpt_write(path, (uint64_t)grsn_agent_updates(agent), env_steps, meta, t.list.rec, t.list.n);
    }
    grsn_tensors_free(&t.list);
    return st;
}

grsn_status grsn_ckpt_load(const char *path, GrsnAgent **out, GrsnCkptInfo *info) {
    GrsnCkptFile f;
    GRSN_TRY(grsn_ckpt_read(&f, path));
    GrsnTrainConfig cfg;
    if (grsn_train_config_parse(&cfg, f.meta, f.meta_len) != GRSN_OK) {
        grsn_ckpt_close(&f);
        return grsn_kv_refail(GRSN_ERR_FORMAT, "%s: metadata: ", path);
    }
    GrsnAgent *agent = NULL;
    if (grsn_agent_create(&agent, &cfg.agent, cfg.seed) != GRSN_OK) {
        grsn_ckpt_close(&f);
        return grsn_kv_refail(GRSN_ERR_FORMAT, "%s: cannot build the agent its metadata describes: ", path);
    }
    AgentTensors t;
    grsn_status st = list_tensors(&t, agent);
    if (st == GRSN_OK) st = grsn_tensors_read(&t.list, &f, path, "agent");
    if (st == GRSN_OK) {
        grsn_agent_adam(agent, GRSN_PART_ACTOR)->step = (long)t.adam_step[0];
        grsn_agent_adam(agent, GRSN_PART_CRITIC)->step = (long)t.adam_step[1];
        grsn_agent_set_updates(agent, (long)f.step);   // the policy delay carries on in phase
        if (grsn_agent_alpha_adam(agent)) grsn_agent_alpha_adam(agent)->step = (long)t.adam_step[2];
        if (info) {
            memset(info, 0, sizeof *info);
            info->config = cfg;
            info->updates = f.step;
            info->env_steps = f.env_steps;
            info->rng = t.rng;
            // The version that wrote the file, from its metadata.
            grsn_kv_find(f.meta, f.meta_len, "grsn_version", info->grsn_version, sizeof info->grsn_version);
        }
        *out = agent;
    } else {
        grsn_agent_free(agent);
    }
    grsn_tensors_free(&t.list);
    grsn_ckpt_close(&f);
    return st;
}

// ----------------------------------------------------------------------------
// The training loop

typedef struct {
    GrsnTrainConfig cfg;
    GrsnAgent *agent;
    grsn_env env, eval_env;
    grsn_seqbuf *buf;
    grsn_seqbatch batch;
    int batch_ready;
    GrsnTrainRngs rng;             // explore, replay, target_noise (env streams live in the envs)
    float *state;                  // the actor's recurrent state while collecting
    double *eval_returns;          // [eval_episodes]
    GrsnRunDir rd;
    // Counters.
    long env_steps, episodes, updates;
    long next_eval, last_eval_steps;
    // Means since the previous evaluation.
    double ret_sum, q_sum, pi_sum, alpha_sum, ent_sum, fr_sum;
    long ret_n, upd_n, actor_n;   // actor_n: updates that stepped the actor (pi_sum, fr_sum)
    double eval_mean, eval_std;
    double wall0;                  // seconds run before a resume
    int64_t saved_episodes;        // what the resume state stores of the counters (save_replay)
    double saved_wall_s;
    grsn_train_progress_fn progress_fn;
    void *user;
} Run;

// Seconds the run has trained, across resumes.
static double run_wall_s(const Run *r) { return r->wall0 + grsn_now_s() - r->rd.t0; }

static void fill_progress(const Run *r, GrsnTrainProgress *p, int warmup, int evaluated, double episode_return) {
    memset(p, 0, sizeof *p);
    p->env_steps = r->env_steps; p->episodes = r->episodes; p->updates = r->updates;
    p->warmup = warmup; p->evaluated = evaluated;
    p->episode_return = episode_return;
    p->train_return = r->ret_n ? r->ret_sum / (double)r->ret_n : NAN;
    p->eval_return = r->eval_mean; p->eval_std = r->eval_std;
    double u = r->upd_n ? (double)r->upd_n : NAN, ua = r->actor_n ? (double)r->actor_n : NAN;
    p->q_loss = (float)(r->q_sum / u); p->pi_loss = (float)(r->pi_sum / ua);
    p->alpha = (float)(r->alpha_sum / u); p->entropy = (float)(r->ent_sum / u);
    p->firing_rate = (float)(r->fr_sum / ua);
    p->wall_s = run_wall_s(r);
    p->updates_per_s = p->wall_s > 0 ? (double)r->updates / p->wall_s : 0;
    p->env_steps_per_s = p->wall_s > 0 ? (double)r->env_steps / p->wall_s : 0;
}

// One episode: random actions (warm-up) or the exploring policy with the
// actor state carried from zero. Stored in replay as it was played.
static grsn_status collect(Run *r, int random, double *ret_out, int *len_out) {
    const GrsnAgentConfig *c = &r->cfg.agent;
    float obs[GRSN_ENV_MAX_OBS], next[GRSN_ENV_MAX_OBS], act[MAX_ACT], prev[MAX_ACT] = {0};
    float prev_r = 0.0f;
    double ret = 0.0;
    int len = 0;
    memset(r->state, 0, (size_t)grsn_agent_state_size(r->agent) * sizeof(float));
    grsn_env_reset(&r->env, obs);
    for (;;) {
        if (random) grsn_env_random_action(&r->env, &r->rng.explore, act);
        else grsn_agent_act(r->agent, r->state, prev, prev_r, obs, 0, &r->rng.explore, act, NULL);
        grsn_env_result res;
        GRSN_TRY(grsn_env_step(&r->env, act, next, &res));
        GRSN_TRY(grsn_seqbuf_push(r->buf, obs, act, (float)res.reward, res.terminated, next));
        ret += res.reward;
        len++;
        memcpy(prev, act, (size_t)c->act_dim * sizeof(float));
        prev_r = (float)res.reward;
        memcpy(obs, next, sizeof obs);
        if (res.terminated || res.truncated) break;
    }
    GRSN_TRY(grsn_seqbuf_end_episode(r->buf));
    r->env_steps += len;
    r->episodes++;
    r->ret_sum += ret;
    r->ret_n++;
    *ret_out = ret;
    *len_out = len;
    return GRSN_OK;
}

static grsn_status update_n(Run *r, long n) {
    for (long i = 0; i < n; i++) {
        GRSN_TRY(grsn_seqbuf_sample(r->buf, &r->rng.replay, &r->batch));
        if (r->cfg.test_poison_update > 0 && r->updates == r->cfg.test_poison_update) {
            GrsnParams *p = grsn_agent_params(r->agent, GRSN_PART_CRITIC);   // test hook
            for (size_t k = 0; k < p->n; k++) p->data[k] = NAN;
        }
        GrsnUpdateStats s;
        grsn_status st = grsn_agent_update(r->agent, &r->batch, &r->rng.target_noise, &s);
        if (st == GRSN_ERR_NAN) return grsn_rundir_fail_nan(&r->rd, r->env_steps);
        GRSN_TRY(st);
        r->updates++;
        r->upd_n++;
        r->q_sum += s.q_loss; r->alpha_sum += s.alpha; r->ent_sum += s.entropy;
        if (s.actor_stepped) { r->actor_n++; r->pi_sum += s.pi_loss; r->fr_sum += s.firing_rate; }
    }
    return GRSN_OK;
}

static grsn_status save_ckpt(Run *r, const char *path) {
    GrsnTrainRngs rng = r->rng;
    rng.env = r->env.rng;
    rng.eval_env = r->eval_env.rng;
    return grsn_ckpt_save(path, &r->cfg, r->agent, (uint64_t)r->env_steps, &rng);
}

// ----------------------------------------------------------------------------
// The resume state. Each evaluation writes ckpt_N.grsn (agent, optimisers,
// streams, counters) and beside it replay_N.grsn: the replay buffer and the
// run's own counters. Evaluations fall between episodes, so nothing else is
// in flight: the environment resets from its saved stream at the next
// episode, and the interval means start afresh after every evaluation.

// Whether two configs describe the same run, budget and threads aside.
static int same_run(const GrsnTrainConfig *a, const GrsnTrainConfig *b) {
    GrsnTrainConfig x = *a, y = *b;
    x.steps = y.steps; x.threads = y.threads;
    char tx[4096], ty[4096];
    grsn_train_config_text(&x, tx, sizeof tx);
    grsn_train_config_text(&y, ty, sizeof ty);
    return strcmp(tx, ty) == 0;
}

// The run's own part: counters, and the latest evaluation (a resumed run
// that ends without another one reports it).
static grsn_status run_tensors(Run *r, GrsnTensorList *t) {
    GRSN_TRY(grsn_tensors_add(t, "run.episodes", GRSN_DT_I64, &r->saved_episodes, 1, 1, 0));
    GRSN_TRY(grsn_tensors_add(t, "run.wall_s", GRSN_DT_F64, &r->saved_wall_s, 1, 1, 0));
    GRSN_TRY(grsn_tensors_add(t, "run.eval_mean", GRSN_DT_F64, &r->eval_mean, 1, 1, 0));
    GRSN_TRY(grsn_tensors_add(t, "run.eval_std", GRSN_DT_F64, &r->eval_std, 1, 1, 0));
    return grsn_tensors_add(t, "run.eval_returns", GRSN_DT_F64, r->eval_returns, 1, (uint64_t)r->cfg.eval_episodes, 0);
}

static grsn_status save_replay(Run *r, const char *path) {
    r->saved_episodes = r->episodes;
    r->saved_wall_s = run_wall_s(r);
    GrsnTensorList t = {0};
    grsn_status st = grsn_seqbuf_add_tensors(r->buf, &t);
    if (st == GRSN_OK) st = run_tensors(r, &t);
    char meta[4096];
    size_t need = grsn_train_config_text(&r->cfg, meta, sizeof meta);
    GRSN_ASSERT(need < sizeof meta, "config text of %zu bytes", need);
    if (st == GRSN_OK) st = grsn_ckpt_write(path, (uint64_t)r->updates, (uint64_t)r->env_steps, meta, t.rec, t.n);
    grsn_tensors_free(&t);
    return st;
}

// Whether config text `meta` (a replay state's) is the run of config `cfg`.
static int written_by(const char *meta, size_t len, const void *cfg) {
    GrsnTrainConfig saved;
    return grsn_train_config_parse(&saved, meta, len) == GRSN_OK && same_run(&saved, cfg);
}

static grsn_status load_replay(Run *r, const char *path, long env_steps) {
    GrsnCkptFile f;
    GRSN_TRY(grsn_rundir_open_state(&f, path, env_steps, "replay state", written_by, &r->cfg));
    GrsnTensorList t = {0};
    grsn_status st = grsn_seqbuf_list_saved(r->buf, &f, path, &t);
    if (st == GRSN_OK) st = run_tensors(r, &t);
    if (st == GRSN_OK) st = grsn_tensors_read(&t, &f, path, "replay state");
    if (st == GRSN_OK) st = grsn_seqbuf_finish_load(r->buf, path);
    if (st == GRSN_OK && (r->saved_episodes < 0 || !(r->saved_wall_s >= 0)))
        st = grsn_fail(GRSN_ERR_FORMAT, "%s: negative run counters", path);
    grsn_tensors_free(&t);
    grsn_ckpt_close(&f);
    GRSN_TRY(st);
    r->episodes = (long)r->saved_episodes;
    r->wall0 = r->saved_wall_s;
    return GRSN_OK;
}

// Evaluate, append the rows, write the checkpoint, reset the interval means.
static grsn_status evaluate_and_log(Run *r) {
    GRSN_TRY(grsn_evaluate(r->agent, &r->eval_env, r->cfg.eval_episodes, r->eval_returns, &r->eval_mean,
                           &r->eval_std));
    r->last_eval_steps = r->env_steps;
    while (r->next_eval <= r->env_steps) r->next_eval += r->cfg.eval_interval;

    GrsnTrainProgress p;
    fill_progress(r, &p, 0, 1, NAN);
    FILE *f = r->rd.progress;
    fprintf(f, "%ld,%ld,%ld", r->env_steps, r->episodes, r->updates);
    grsn_put_num(f, p.train_return);
    grsn_put_num(f, p.eval_return);
    grsn_put_num(f, p.eval_std);
    grsn_put_num(f, p.q_loss);
    grsn_put_num(f, p.pi_loss);
    grsn_put_num(f, p.alpha);
    grsn_put_num(f, p.entropy);
    grsn_put_num(f, p.firing_rate);
    fputc('\n', f);
    fprintf(r->rd.timing, "%ld,%.3f,%.2f,%.2f\n", r->env_steps, p.wall_s, p.updates_per_s, p.env_steps_per_s);
    GRSN_TRY(grsn_rundir_flush(&r->rd));

    // The new checkpoint and its replay state first; then the previous pair can go.
    char path[600], replay[600];
    grsn_rundir_ckpt_path(&r->rd, r->env_steps, path, sizeof path);
    GRSN_TRY(save_ckpt(r, path));
    grsn_rundir_replay_path(&r->rd, r->env_steps, replay, sizeof replay);
    GRSN_TRY(save_replay(r, replay));
    grsn_rundir_keep_pair(&r->rd, path, replay);

    if (r->progress_fn) r->progress_fn(&p, r->user);
    r->ret_sum = r->q_sum = r->pi_sum = r->alpha_sum = r->ent_sum = r->fr_sum = 0;
    r->ret_n = r->upd_n = r->actor_n = 0;
    return GRSN_OK;
}

static grsn_status after_episode(Run *r, int warmup, double ret) {
    if (r->progress_fn) {
        GrsnTrainProgress p;
        fill_progress(r, &p, warmup, 0, ret);
        r->progress_fn(&p, r->user);
    }
    if (r->env_steps >= r->next_eval) GRSN_TRY(evaluate_and_log(r));
    return GRSN_OK;
}

static grsn_status open_logs(Run *r) {
    char text[4096];
    size_t n = grsn_train_config_text(&r->cfg, text, sizeof text);
    GRSN_ASSERT(n < sizeof text, "config text of %zu bytes", n);
    return grsn_rundir_open_logs(&r->rd, text, n,
                                 "env_steps,episodes,updates,train_return,eval_return,eval_return_std,"
                                 "q_loss,pi_loss,alpha,entropy,firing_rate",
                                 "env_steps,wall_s,updates_per_s,env_steps_per_s");
}

static grsn_status run_setup(Run *r, int resume) {
    const GrsnTrainConfig *c = &r->cfg;
    GRSN_TRY(grsn_train_check(c));
    GRSN_TRY(grsn_rundir_create(&r->rd));
    grsn_set_threads(c->threads);
    GRSN_TRY(grsn_train_make_env(&r->env, c, c->seed, GRSN_STREAM_ENV + 0));
    GRSN_TRY(grsn_train_make_env(&r->eval_env, c, c->seed, GRSN_STREAM_EVAL_ENV + 0));
    grsn_rng_seed(&r->rng.explore, c->seed, GRSN_STREAM_EXPLORE);
    grsn_rng_seed(&r->rng.replay, c->seed, GRSN_STREAM_REPLAY);
    grsn_rng_seed(&r->rng.target_noise, c->seed, GRSN_STREAM_TARGET_NOISE);
    GRSN_TRY(grsn_agent_create(&r->agent, &c->agent, c->seed));

    // The buffer never wraps in these runs (spec §6.1), so a capacity of
    // the budget plus one episode behaves exactly like the paper's 1e6.
    grsn_seqbuf_config bc = grsn_seqbuf_defaults(c->agent.obs_dim, c->agent.act_dim, c->agent.discrete);
    long need = c->steps + GRSN_ENV_MAX_STEPS;
    bc.capacity = c->buffer_size < need ? c->buffer_size : need;
    if (bc.capacity < c->agent.seq_len) bc.capacity = c->agent.seq_len;
    bc.seq_len = c->agent.seq_len;
    GRSN_TRY(grsn_seqbuf_init(&r->buf, &bc));
    GRSN_TRY(grsn_seqbatch_init(&r->batch, r->buf, c->agent.batch));
    r->batch_ready = 1;

    r->state = grsn_calloc((size_t)grsn_agent_state_size(r->agent) + 1, sizeof(float));
    r->eval_returns = grsn_calloc((size_t)c->eval_episodes, sizeof(double));
    if (!r->state || !r->eval_returns) return GRSN_ERR_OOM;
    if (!resume) GRSN_TRY(open_logs(r));
    r->next_eval = c->eval_interval;
    r->last_eval_steps = -1;
    r->eval_mean = r->eval_std = NAN;
    return GRSN_OK;
}

static grsn_status run_loop(Run *r) {
    const GrsnTrainConfig *c = &r->cfg;
    double ret;
    int len;
    // 1. Warm-up with random actions.
    while (r->episodes < c->warmup_episodes && r->env_steps < c->steps) {   // (a resumed run may be past it)
        GRSN_TRY(collect(r, 1, &ret, &len));
        GRSN_TRY(after_episode(r, 1, ret));
    }
    // 2. One exploring episode, then as many updates as it had steps.
    while (r->env_steps < c->steps) {
        GRSN_TRY(collect(r, 0, &ret, &len));
        GRSN_TRY(update_n(r, (long)ceil(c->updates_per_step * (double)len)));
        GRSN_TRY(after_episode(r, 0, ret));
    }
    // 3. The final evaluation, unless one just ran at this step count.
    if (r->last_eval_steps != r->env_steps) GRSN_TRY(evaluate_and_log(r));
    char path[600];
    grsn_rundir_path(&r->rd, path, sizeof path, "final.grsn");
    GRSN_TRY(save_ckpt(r, path));

    // The result: the final evaluation, every episode's return, the counters.
    size_t cap = 256 + 32 * (size_t)c->eval_episodes, off = 0;
    char *text = grsn_calloc(cap, 1);
    if (!text) return GRSN_ERR_OOM;
    off = grsn_kv_append(text, cap, off, "eval_return_mean=%.9g\neval_return_std=%.9g\neval_returns=",
                  r->eval_mean, r->eval_std);
    for (int e = 0; e < c->eval_episodes; e++)
        off = grsn_kv_append(text, cap, off, "%s%.9g", e ? "," : "", r->eval_returns[e]);
    off = grsn_kv_append(text, cap, off, "\nenv_steps=%ld\nepisodes=%ld\nupdates=%ld\nwall_s=%.3f\n",
                  r->env_steps, r->episodes, r->updates, run_wall_s(r));
    GRSN_ASSERT(off < cap, "result text of %zu bytes", off);
    grsn_status st = grsn_rundir_write(&r->rd, "result", text, off);
    free(text);
    return st;
}

static grsn_status restore(Run *r);

// Setup (fresh, or resumed from r->rd's directory), the loop, the result, and the teardown.
static grsn_status train(Run *r, int resume) {
    grsn_status st = run_setup(r, resume);
    if (st == GRSN_OK && resume) st = restore(r);
    if (st == GRSN_OK) st = run_loop(r);
    grsn_rundir_close(&r->rd);
    if (r->batch_ready) grsn_seqbatch_free(&r->batch);
    grsn_seqbuf_free(r->buf);
    if (r->agent) grsn_agent_free(r->agent);
    free(r->state);
    free(r->eval_returns);
    return st;
}

static void fill_result(const Run *r, GrsnTrainResult *result) {
    result->eval_mean = r->eval_mean;
    result->eval_std = r->eval_std;
    result->env_steps = r->env_steps;
    result->episodes = r->episodes;
    result->updates = r->updates;
    result->wall_s = run_wall_s(r);
}

// A run in dir, fresh or resumed from dir's latest checkpoint pair.
static grsn_status run_in(const GrsnTrainConfig *cfg, const char *dir, int resume, grsn_train_progress_fn progress,
                          void *user, GrsnTrainResult *result) {
    Run *r = grsn_calloc(1, sizeof *r);
    if (!r) return GRSN_ERR_OOM;
    r->cfg = *cfg;
    r->progress_fn = progress;
    r->user = user;
    grsn_status st = grsn_rundir_init(&r->rd, dir);
    if (st == GRSN_OK) st = train(r, resume);
    if (st == GRSN_OK && result) fill_result(r, result);
    free(r);
    return st;
}

grsn_status grsn_train_run(const GrsnTrainConfig *cfg, const char *out_dir,
                           grsn_train_progress_fn progress, void *user, GrsnTrainResult *result) {
    return run_in(cfg, out_dir, 0, progress, user, result);
}

long grsn_train_resume_point(const char *dir) { return grsn_rundir_latest_pair(dir); }

grsn_status grsn_train_resume_config(const char *dir, GrsnTrainConfig *cfg) {
    char path[600];
    snprintf(path, sizeof path, "%s/config", dir);
    char *text = grsn_read_text(path);
    if (!text) return grsn_fail(GRSN_ERR_IO, "cannot resume %s: cannot read %s: %s", dir, path, strerror(errno));
    grsn_status st = GRSN_OK;
    char algo[16];
    if (grsn_kv_find(text, strlen(text), "algo", algo, sizeof algo) && !strcmp(algo, "qmix"))
        st = grsn_fail(GRSN_ERR_ARG, "cannot resume %s as a control run: it holds a QMIX run "
                                     "(grsn_qmix_train_resume)", dir);
    else if (grsn_train_config_parse(cfg, text, strlen(text)) != GRSN_OK)
        st = grsn_kv_refail(GRSN_ERR_FORMAT, "cannot resume %s: %s: ", dir, path);
    free(text);
    return st;
}

// Load the latest checkpoint pair of r's directory into the freshly set-up run r.
static grsn_status restore(Run *r) {
    const char *dir = r->rd.dir;
    long n = grsn_rundir_latest_pair(dir);
    if (n < 0)
        return grsn_fail(GRSN_ERR_FORMAT, "cannot resume %s: no checkpoint with its replay state "
                                          "(ckpt_N.grsn and replay_N.grsn)", dir);
    char path[600];
    grsn_rundir_ckpt_path(&r->rd, n, path, sizeof path);
    GrsnAgent *agent = NULL;
    GrsnCkptInfo info;
    GRSN_TRY(grsn_ckpt_load(path, &agent, &info));
    // The checkpoint must be this run's: the same config but for the budget and threads.
    if (!same_run(&info.config, &r->cfg) || (long)info.env_steps != n) {
        grsn_agent_free(agent);
        return grsn_fail(GRSN_ERR_FORMAT, "cannot resume %s: %s is not this run's checkpoint", dir, path);
    }
    if (grsn_rundir_budget_below(r->cfg.steps, n, info.config.steps)) {
        grsn_agent_free(agent);
        return grsn_fail(GRSN_ERR_ARG, "cannot resume %s at --steps %ld: it has run %ld env steps", dir,
                         r->cfg.steps, n);
    }
    grsn_agent_free(r->agent);
    r->agent = agent;
    r->env_steps = n;
    r->updates = (long)info.updates;
    r->rng.explore = info.rng.explore;
    r->rng.replay = info.rng.replay;
    r->rng.target_noise = info.rng.target_noise;
    r->env.rng = info.rng.env;
    r->eval_env.rng = info.rng.eval_env;
    char replay[600];
    grsn_rundir_replay_path(&r->rd, n, replay, sizeof replay);
    GRSN_TRY(load_replay(r, replay, n));
    r->last_eval_steps = n;   // every checkpoint follows an evaluation
    r->next_eval = r->cfg.eval_interval;
    while (r->next_eval <= n) r->next_eval += r->cfg.eval_interval;
    grsn_rundir_keep_pair(&r->rd, path, replay);   // the pair the next one replaces
    char text[4096];
    size_t len = grsn_train_config_text(&r->cfg, text, sizeof text);
    return grsn_rundir_reopen_logs(&r->rd, text, len, n);
}

grsn_status grsn_train_resume(const GrsnTrainConfig *cfg, const char *dir, grsn_train_progress_fn progress,
                              void *user, GrsnTrainResult *result) {
    return run_in(cfg, dir, 1, progress, user, result);
}
