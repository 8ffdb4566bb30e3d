/*
 * qmix.c — the public QMIX learner (grsn_qmix.h): configuration, the episode
 * buffer, epsilon-greedy rollouts of n_envs parallel episodes on the SMAC
 * simulator, sampled updates with hard target copies, and greedy test
 * episodes (reference-implementation.md §9.2-9.3; smac-simulator.md §2-§8).
 *
 * Episode buffer (PyMARL's ReplayBuffer): a ring of `buffer` episode slots,
 * each padded to episode_limit + 1 steps. Step t of an episode holds the
 * simulator's snapshot at t (what the observations, state and availability
 * masks seen at t are computed from; they are rebuilt when the episode is
 * sampled) and the actions taken there; transitions t < len also hold the
 * reward and the terminated flag. Step len holds the final situation
 * (filled, no transition).
 *
 * Between rollouts, the buffer and the simulators' streams are all the
 * learner holds beyond a checkpoint; the end of this file lists them for a
 * run's resume state.
 */
#include "qmix_net.h"
#include "grsn_qmix.h"
#include "tensorlist.h"

// The episode ring of a saved state: capacity, episodes held, next slot.
enum { RING_CAP, RING_SIZE, RING_HEAD, RING_N };

struct GrsnQmix {
    GrsnQmixConfig cfg;
    grsn_smac_dims dims;
    grsn_smac *env, *test_env;      // n_envs each: training and test streams
    QCore core;
    GrsnQmixCounters counters;
    grsn_rng rng[GRSN_QMIX_RNG_COUNT];
    // Episode buffer: `cap` slots of T1 = episode_limit + 1 steps. A step is
    // stored as the simulator's snapshot (grsn_smac.h), from which gather
    // rebuilds its observations, state and masks bit for bit: 2.3 KB a step
    // on 27m_vs_30m instead of 36 KB, so that 5000 episodes fit in memory.
    int cap, size, head, T1;
    size_t snap;                    // bytes of one snapshot
    uint8_t *buf_snap;              // [cap][T1][snap]
    uint8_t *buf_act;               // [cap][T1][n_agents]
    float *buf_reward;              // [cap][T1 - 1]
    uint8_t *buf_term;              // [cap][T1 - 1]
    int32_t *buf_len;               // [cap] transitions
    int64_t ring[RING_N];           // cap, size, head of a saved state (the end of this file)
    int *pick;                      // [cap] sampling scratch
    QBatch batch;                   // the sampled episodes, time-major, compact for their T
    // Acting scratch for n_envs environments.
    float *st_obs, *st_reward;              // simulator outputs [E][n][obs], [E]
    uint8_t *st_avail, *st_term, *st_snap;  // [E][n][A], [E], [E][snap]
    grsn_smac_info *st_info;                // [E]
    float *act_x, *act_q, *act_state;       // [E*n][d_in], [E*n][A], [E*n][state_size]
    int32_t *actions, *last;                // [E][n]
    int *running, *len;                     // [E]
    double *ret;                            // [E]
};

// ----------------------------------------------------------------------------
// Names and configuration

grsn_status grsn_qmix_net_from_name(const char *name, grsn_net *out) {
    int n = grsn_net_from_name(name);
    if (n == GRSN_NET_GRSN || n == GRSN_NET_LIF || n == GRSN_NET_GRU) { *out = (grsn_net)n; return GRSN_OK; }
    if (n >= 0)
        return grsn_fail(GRSN_ERR_ARG, "net '%s' is not supported by qmix (it needs a recurrent core); valid nets: "
                         GRSN_QMIX_NET_NAMES, name);
    return grsn_fail(GRSN_ERR_ARG, "unknown net '%s'; valid nets for qmix: " GRSN_QMIX_NET_NAMES, name);
}

GrsnQmixConfig grsn_qmix_defaults(const char *map, grsn_net net) {
    GrsnQmixConfig c;
    memset(&c, 0, sizeof c);
    snprintf(c.map, sizeof c.map, "%s", map ? map : "");
    c.net = net;
    c.n_envs = 8;                                   // pymarl2 batch_size_run
    c.hidden = 64; c.mixer_embed = 32; c.hypernet_embed = 64;
    c.batch = 128; c.buffer = 5000;
    c.optimizer = GRSN_QMIX_ADAM; c.lr = 1e-3f; c.optim_alpha = 0.99f; c.optim_eps = 1e-5f;
    c.gamma = 0.99f; c.td_lambda = 0.6f; c.grad_clip = 10.0f;
    c.eps_start = 1.0f; c.eps_finish = 0.05f; c.eps_anneal = 100000;
    c.target_update_episodes = 200;
    c.state_last_action = 1;
    c.units = GRSN_SMAC_UNITS_LIBERTY;
    grsn_cell_kind kind = net == GRSN_NET_LIF ? GRSN_CELL_LIF : net == GRSN_NET_GRU ? GRSN_CELL_GRU : GRSN_CELL_GRSN;
    c.cell = grsn_cell_config(kind, c.hidden, c.hidden);
    return c;
}

void grsn_qmix_preset_pymarl(GrsnQmixConfig *c) {
    c->optimizer = GRSN_QMIX_RMSPROP;
    c->lr = 5e-4f; c->optim_alpha = 0.99f; c->optim_eps = 1e-5f;
    c->td_lambda = 0.0f;                            // 1-step targets
    c->batch = 32;
    c->n_envs = 1;                                  // runner: episode
    c->eps_anneal = 50000;
}

void grsn_qmix_smac_config(const GrsnQmixConfig *c, grsn_smac_config *s, uint64_t seed, uint64_t stream) {
    grsn_smac_config_default(s, c->map);
    s->n_envs = c->n_envs;
    s->seed = seed;
    s->stream_base = stream;
    s->state_last_action = c->state_last_action;
    s->units = c->units;
    s->push_first = c->push_first;
    s->obs_own_cooldown = c->obs_own_cooldown;
}

grsn_status grsn_qmix_check(const GrsnQmixConfig *c) {
    grsn_net checked;
    GRSN_TRY(grsn_qmix_net_from_name(grsn_net_name(c->net), &checked));
    if (c->n_envs < 1 || c->hidden < 1 || c->decoder_hidden < 0 || c->mixer_embed < 1 || c->hypernet_embed < 1 ||
        c->batch < 1)
        return grsn_fail(GRSN_ERR_ARG, "impossible qmix sizes (n_envs %d, hidden %d, decoder_hidden %d, mixer_embed %d, "
                         "hypernet_embed %d, batch %d)", c->n_envs, c->hidden, c->decoder_hidden, c->mixer_embed,
                         c->hypernet_embed, c->batch);
    if (c->buffer < c->batch || c->buffer < c->n_envs)
        return grsn_fail(GRSN_ERR_ARG, "buffer = %d episodes must hold a batch (%d) and a rollout of n_envs (%d)",
                         c->buffer, c->batch, c->n_envs);
    if (!(c->lr > 0)) return grsn_fail(GRSN_ERR_ARG, "qmix lr %g must be > 0", c->lr);
    if (c->optimizer != GRSN_QMIX_ADAM && c->optimizer != GRSN_QMIX_RMSPROP)
        return grsn_fail(GRSN_ERR_ARG, "qmix optimizer %d unknown; the optimizers are adam (0), rmsprop (1)",
                         (int)c->optimizer);
    if (!(c->optim_alpha >= 0 && c->optim_alpha < 1) || !(c->optim_eps > 0))
        return grsn_fail(GRSN_ERR_ARG, "qmix RMSprop alpha %g (in [0, 1)) or eps %g (> 0) out of range",
                         c->optim_alpha, c->optim_eps);
    if (!(c->gamma >= 0 && c->gamma <= 1)) return grsn_fail(GRSN_ERR_ARG, "qmix gamma %g outside [0, 1]", c->gamma);
    if (!(c->td_lambda >= 0 && c->td_lambda <= 1))
        return grsn_fail(GRSN_ERR_ARG, "qmix td_lambda %g outside [0, 1]", c->td_lambda);
    if (!(c->grad_clip > 0)) return grsn_fail(GRSN_ERR_ARG, "qmix grad_clip %g must be > 0", c->grad_clip);
    if (!(c->eps_start >= 0 && c->eps_start <= 1 && c->eps_finish >= 0 && c->eps_finish <= 1) || c->eps_anneal < 1)
        return grsn_fail(GRSN_ERR_ARG, "qmix epsilon %g -> %g over %ld steps: values in [0, 1], anneal >= 1",
                         c->eps_start, c->eps_finish, c->eps_anneal);
    if (c->target_update_episodes < 1)
        return grsn_fail(GRSN_ERR_ARG, "qmix target_update_episodes %d must be >= 1", c->target_update_episodes);
    if (c->net == GRSN_NET_GRU && c->cell.substeps != 1)
        return grsn_fail(GRSN_ERR_ARG, "cell.substeps = %d (w/o TAP) applies to the spiking nets grsn and lif, not gru",
                         c->cell.substeps);
    if (c->readout_anneal < 0)
        return grsn_fail(GRSN_ERR_ARG, "qmix readout_anneal %ld must be >= 0 (0: the spike readout throughout)",
                         c->readout_anneal);
    if (c->readout_anneal_start < 0)
        return grsn_fail(GRSN_ERR_ARG, "qmix readout_anneal_start %ld must be >= 0", c->readout_anneal_start);
    if (c->readout_anneal_start > 0 && c->readout_anneal_start >= c->readout_anneal)
        return grsn_fail(GRSN_ERR_ARG, "readout_anneal_start = %ld must come before readout_anneal = %ld, "
                         "the env step where the anneal ends", c->readout_anneal_start, c->readout_anneal);
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Construction

grsn_status grsn_qmix_create(GrsnQmix **out, const GrsnQmixConfig *cfg, uint64_t seed) {
    *out = NULL;
    GRSN_TRY(grsn_qmix_check(cfg));
    grsn_smac_config sc;
    grsn_qmix_smac_config(cfg, &sc, seed, GRSN_STREAM_ENV);
    grsn_smac_dims d;
    GRSN_TRY(grsn_smac_map_dims(cfg->map, &sc, &d));      // unknown map: the message lists the maps
    GrsnQmix *q = grsn_calloc(1, sizeof *q);
    if (!q) return GRSN_ERR_OOM;
    q->cfg = *cfg;
    q->dims = d;
    grsn_status st = grsn_smac_create(&q->env, &sc);
    if (!st) {
        grsn_qmix_smac_config(cfg, &sc, seed, GRSN_STREAM_EVAL_ENV);
        st = grsn_smac_create(&q->test_env, &sc);
    }
    int E = cfg->n_envs, n = d.n_agents, A = d.n_actions;
    GrsnCellConfig cell = grsn_qmix_cell_config(cfg);
    if (!st) {
        QCoreConfig k = {
            .net = cfg->net, .cell = &cell, .n_agents = n, .obs_dim = d.obs_dim, .state_dim = d.state_dim,
            .n_actions = A, .hidden = cfg->hidden, .decoder = cfg->decoder_hidden, .leak = cfg->q_leak, .embed = cfg->mixer_embed, .hyper = cfg->hypernet_embed,
            .max_T = d.episode_limit, .batch = cfg->batch, .act_rows = E * n,
            .rmsprop = cfg->optimizer == GRSN_QMIX_RMSPROP,
            .lr = cfg->lr, .optim_alpha = cfg->optim_alpha, .optim_eps = cfg->optim_eps,
            .gamma = cfg->gamma, .td_lambda = cfg->td_lambda, .grad_clip = cfg->grad_clip,
        };
        st = qcore_init(&q->core, &k);
    }
    if (st) { grsn_qmix_free(q); return st; }

    int ok = 1, T1 = d.episode_limit + 1, B = cfg->batch, S = d.state_dim, din = q->core.d_in;
    size_t cap = (size_t)cfg->buffer;
    q->cap = cfg->buffer; q->T1 = T1; q->snap = grsn_smac_snapshot_bytes(q->env);
#define ALLOC(p, count) do { size_t n_ = (count); p = grsn_calloc(n_ ? n_ : 1, sizeof *p); ok &= p != NULL; } while (0)
    // The padded per-step arrays are reserved: their pages are backed only as
    // episodes write their steps (grsn_reserve).
#define RESERVE(p, count) do { p = grsn_reserve((count), sizeof *p); ok &= p != NULL; } while (0)
    RESERVE(q->buf_snap, cap * T1 * q->snap);
    RESERVE(q->buf_act, cap * T1 * n);
#undef RESERVE
    ALLOC(q->buf_reward, cap * (T1 - 1));
    ALLOC(q->buf_term, cap * (T1 - 1));
    ALLOC(q->buf_len, cap);
    ALLOC(q->pick, cap);
    q->batch.B = B; q->batch.n_agents = n; q->batch.obs_dim = d.obs_dim; q->batch.state_dim = S; q->batch.n_actions = A;
    ALLOC(q->batch.obs, (size_t)T1 * B * n * d.obs_dim);
    ALLOC(q->batch.state, (size_t)T1 * B * S);
    ALLOC(q->batch.avail, (size_t)T1 * B * n * A);
    ALLOC(q->batch.act, (size_t)T1 * B * n);
    ALLOC(q->batch.reward, (size_t)T1 * B);
    ALLOC(q->batch.term, (size_t)T1 * B);
    ALLOC(q->batch.filled, (size_t)T1 * B);
    ALLOC(q->st_obs, (size_t)E * n * d.obs_dim);
    ALLOC(q->st_reward, (size_t)E);
    ALLOC(q->st_avail, (size_t)E * n * A);
    ALLOC(q->st_term, (size_t)E);
    ALLOC(q->st_snap, (size_t)E * q->snap);
    ALLOC(q->st_info, (size_t)E);
    ALLOC(q->act_x, (size_t)E * n * din);
    ALLOC(q->act_q, (size_t)E * n * A);
    ALLOC(q->act_state, (size_t)E * n * qagent_state_size(&q->core.agent[0]));
    ALLOC(q->actions, (size_t)E * n);
    ALLOC(q->last, (size_t)E * n);
    ALLOC(q->running, (size_t)E);
    ALLOC(q->len, (size_t)E);
    ALLOC(q->ret, (size_t)E);
#undef ALLOC
    if (!ok) { grsn_qmix_free(q); return GRSN_ERR_OOM; }

    grsn_rng init;
    grsn_rng_seed(&init, seed, GRSN_STREAM_INIT);
    qcore_reset_parameters(&q->core, &init);
    grsn_rng_seed(&q->rng[GRSN_QMIX_RNG_EXPLORE], seed, GRSN_STREAM_EXPLORE);
    grsn_rng_seed(&q->rng[GRSN_QMIX_RNG_REPLAY], seed, GRSN_STREAM_REPLAY);
    *out = q;
    return GRSN_OK;
}

void grsn_qmix_free(GrsnQmix *q) {
    if (!q) return;
    grsn_smac_free(q->env); grsn_smac_free(q->test_env);
    qcore_free(&q->core);
    grsn_release(q->buf_snap); grsn_release(q->buf_act);
    free(q->buf_reward); free(q->buf_term); free(q->buf_len); free(q->pick);
    free(q->batch.obs); free(q->batch.state); free(q->batch.avail); free(q->batch.act);
    free(q->batch.reward); free(q->batch.term); free(q->batch.filled);
    free(q->st_obs); free(q->st_reward); free(q->st_avail); free(q->st_term); free(q->st_snap); free(q->st_info);
    free(q->act_x); free(q->act_q); free(q->act_state); free(q->actions); free(q->last);
    free(q->running); free(q->len); free(q->ret);
    free(q);
}

const GrsnQmixConfig *grsn_qmix_config(const GrsnQmix *q) { return &q->cfg; }
grsn_smac_dims grsn_qmix_dims(const GrsnQmix *q) { return q->dims; }
int grsn_qmix_input_dim(const GrsnQmix *q) { return q->core.d_in; }
GrsnQmixCounters *grsn_qmix_counters(GrsnQmix *q) { return &q->counters; }
GrsnParams *grsn_qmix_params(GrsnQmix *q, grsn_qmix_part part) {
    return (unsigned)part < GRSN_QMIX_PART_COUNT ? &q->core.params[part] : NULL;
}
GrsnAdam *grsn_qmix_adam(GrsnQmix *q) { return q->core.rmsprop ? NULL : &q->core.adam; }
GrsnRMSprop *grsn_qmix_rmsprop(GrsnQmix *q) { return q->core.rmsprop ? &q->core.rms : NULL; }
grsn_rng *grsn_qmix_rng_state(GrsnQmix *q, grsn_qmix_rng which) {
    return (unsigned)which < GRSN_QMIX_RNG_COUNT ? &q->rng[which] : NULL;
}
grsn_rng *grsn_qmix_env_rng(GrsnQmix *q, int test, int env) { return grsn_smac_rng(test ? q->test_env : q->env, env); }
int grsn_qmix_buffer_size(const GrsnQmix *q) { return q->size; }
int grsn_qmix_buffer_head(const GrsnQmix *q) { return q->head; }
int grsn_qmix_can_update(const GrsnQmix *q) { return q->size >= q->cfg.batch; }

float grsn_qmix_epsilon(const GrsnQmix *q) {
    // Linear from eps_start to eps_finish over eps_anneal env steps (§9.3).
    const GrsnQmixConfig *c = &q->cfg;
    double frac = (double)q->counters.env_steps / (double)c->eps_anneal;
    double e = c->eps_start - (c->eps_start - c->eps_finish) * frac;
    return (float)(e > c->eps_finish ? e : c->eps_finish);
}

GrsnCellConfig grsn_qmix_cell_config(const GrsnQmixConfig *cfg) {
    GrsnCellConfig c = cfg->cell;
    c.readout_blend = cfg->readout_anneal > 0;
    return c;
}

float grsn_qmix_membrane_share(const GrsnQmix *q) {
    long S = q->cfg.readout_anneal_start, N = q->cfg.readout_anneal, t = q->counters.env_steps;
    if (N <= 0 || t >= N) return 0.0f;
    if (t <= S) return 1.0f;
    return (float)((double)(N - t) / (double)(N - S));
}

// Hand the current membrane share to the online and target cores (a no-op
// unless a readout anneal runs): acting, tests and updates read it from the
// env steps at their start, as epsilon is read.
static void apply_membrane_share(GrsnQmix *q) {
    float m = grsn_qmix_membrane_share(q);
    q->core.agent[0].cell.membrane_share = m;
    q->core.agent[1].cell.membrane_share = m;
}

// ----------------------------------------------------------------------------
// Playing episodes

// The greedy action among the available ones (the first maximum); -1 when
// none is available.
static int argmax_available(const float *qv, const uint8_t *avail, int A) {
    int best = -1;
    for (int k = 0; k < A; k++)
        if (avail[k] && (best < 0 || qv[k] > qv[best])) best = k;
    return best;
}

// Epsilon-greedy over the available actions (§9.3): with probability eps a
// uniformly random available action, else the greedy one. eps = 0 draws nothing.
static int choose_action(const float *qv, const uint8_t *avail, int A, float eps, grsn_rng *rng) {
    if (eps > 0.0f && grsn_rng_float(rng) < eps) {
        int count = 0;
        for (int k = 0; k < A; k++) count += avail[k];
        int pick = (int)grsn_rng_below(rng, (uint32_t)count);
        for (int k = 0; k < A; k++)
            if (avail[k] && pick-- == 0) return k;
    }
    return argmax_available(qv, avail, A);
}

typedef struct { long steps; int wins; double spikes, neuron_steps; } PlayTotals;

// Index of step t of episode slot s in the [cap][T1] per-step buffers.
static size_t slot_step(const GrsnQmix *q, int s, int t) { return (size_t)s * q->T1 + t; }

grsn_status grsn_qmix_buffer_episode(const GrsnQmix *q, int slot, GrsnQmixEpisode *e) {
    if (slot < 0 || slot >= q->size)
        return grsn_fail(GRSN_ERR_ARG, "qmix buffer: slot %d is not in [0, %d)", slot, q->size);
    const grsn_smac_dims *d = &q->dims;
    size_t k = slot_step(q, slot, 0), n = (size_t)d->n_agents;
    e->len = q->buf_len[slot];
    e->snapshot_bytes = q->snap;
    e->snapshots = q->buf_snap + k * q->snap;
    e->actions = q->buf_act + k * n;
    e->reward = q->buf_reward + (size_t)slot * (q->T1 - 1);
    e->terminated = q->buf_term + (size_t)slot * (q->T1 - 1);
    return GRSN_OK;
}

// One episode in each environment of `env`. With `store`, episode e goes to
// buffer slot (head + e) mod cap. Returns the per-env lengths and returns in
// q->len / q->ret.
static grsn_status play(GrsnQmix *q, grsn_smac *env, float eps, int store, PlayTotals *tot) {
    apply_membrane_share(q);
    const grsn_smac_dims *d = &q->dims;
    int E = q->cfg.n_envs, n = d->n_agents, A = d->n_actions, O = d->obs_dim;
    int din = q->core.d_in, H = q->cfg.hidden, rows = E * n;
    QAgent *agent = &q->core.agent[0];
    int spiking = agent->cell.cfg.kind != GRSN_CELL_GRU;
    const float *spk = grsn_cell_step_spikes(&agent->cell, agent->z);   // each step's spikes, [rows][H]
    grsn_rng *rng = &q->rng[GRSN_QMIX_RNG_EXPLORE];
    // Acting reads observations and masks; the buffer keeps snapshots (the
    // mixer's state is rebuilt from them when an episode is sampled).
    grsn_smac_out out = {q->st_obs, NULL, q->st_avail, q->st_reward, q->st_term, q->st_info,
                         store ? q->st_snap : NULL};
    memset(tot, 0, sizeof *tot);

    GRSN_TRY(grsn_smac_reset(env, &out));
    memset(q->act_state, 0, (size_t)rows * qagent_state_size(agent) * sizeof(float));   // zero core state
    int nrun = E;
    for (int e = 0; e < E; e++) { q->running[e] = 1; q->len[e] = 0; q->ret[e] = 0.0; }
    for (int i = 0; i < rows; i++) q->last[i] = -1;

    for (int t = 0; nrun > 0; t++) {
        // Step t into the buffer; agent inputs (§9.2).
        for (int e = 0; e < E; e++) {
            if (!q->running[e]) continue;
            if (store) {
                size_t k = slot_step(q, (q->head + e) % q->cap, t);
                memcpy(q->buf_snap + k * q->snap, q->st_snap + (size_t)e * q->snap, q->snap);
            }
            for (int a = 0; a < n; a++) {
                int r = e * n + a;
                qmix_build_input(q->act_x + (size_t)r * din, q->st_obs + (size_t)r * O, q->last[r], a, O, A, n);
            }
        }
        // One decision of every agent (TAP: the core state carries over).
        qagent_step(agent, q->act_q, q->act_state, q->act_x, rows);
        for (int e = 0; e < E; e++) {
            if (!q->running[e]) continue;
            for (int a = 0; a < n; a++) {
                int r = e * n + a;
                q->actions[r] = choose_action(q->act_q + (size_t)r * A, q->st_avail + (size_t)r * A, A, eps, rng);
                if (spiking) {
                    for (int j = 0; j < H; j++) tot->spikes += spk[(size_t)r * H + j];
                    tot->neuron_steps += H;
                }
            }
            if (store) {
                size_t k = slot_step(q, (q->head + e) % q->cap, t);
                for (int a = 0; a < n; a++) q->buf_act[k * n + a] = (uint8_t)q->actions[e * n + a];
            }
        }
        // The environments step in parallel; finished ones are skipped.
        GRSN_TRY(grsn_smac_step(env, q->actions, &out));
        for (int e = 0; e < E; e++) {
            if (!q->running[e]) continue;
            q->ret[e] += q->st_reward[e];
            if (store) {
                int s = (q->head + e) % q->cap;
                q->buf_reward[(size_t)s * (q->T1 - 1) + t] = q->st_reward[e];
                q->buf_term[(size_t)s * (q->T1 - 1) + t] = q->st_term[e];
            }
            if (q->st_term[e]) {
                // SMAC terminates at the episode limit too (no bootstrap, §8).
                q->running[e] = 0; q->len[e] = t + 1; nrun--;
                tot->wins += q->st_info[e].battle_won != 0;
                if (store) {   // the final situation fills step len
                    int s = (q->head + e) % q->cap;
                    size_t k = slot_step(q, s, t + 1);
                    memcpy(q->buf_snap + k * q->snap, q->st_snap + (size_t)e * q->snap, q->snap);
                    memset(q->buf_act + k * n, 0, (size_t)n);
                    q->buf_len[s] = t + 1;
                }
            }
        }
        memcpy(q->last, q->actions, (size_t)rows * sizeof(int32_t));
    }
    for (int e = 0; e < E; e++) tot->steps += q->len[e];
    return GRSN_OK;
}

grsn_status grsn_qmix_rollout(GrsnQmix *q, GrsnQmixRollout *r) {
    memset(r, 0, sizeof *r);
    float eps = grsn_qmix_epsilon(q);   // fixed for the rollout, from env steps at its start
    PlayTotals tot;
    GRSN_TRY(play(q, q->env, eps, 1, &tot));
    int E = q->cfg.n_envs;
    q->head = (q->head + E) % q->cap;
    q->size = q->size + E < q->cap ? q->size + E : q->cap;
    q->counters.env_steps += tot.steps;
    q->counters.episodes += E;
    r->episodes = E; r->env_steps = tot.steps; r->wins = tot.wins; r->epsilon = eps;
    for (int e = 0; e < E; e++) r->return_sum += q->ret[e];
    r->firing_rate = tot.neuron_steps > 0 ? (float)(tot.spikes / tot.neuron_steps) : 0.0f;
    return GRSN_OK;
}

grsn_status grsn_qmix_test(GrsnQmix *q, int n_episodes, GrsnQmixTest *out) {
    memset(out, 0, sizeof *out);
    if (n_episodes < 1) return grsn_fail(GRSN_ERR_ARG, "qmix test: %d episodes (need >= 1)", n_episodes);
    int E = q->cfg.n_envs, done = 0, wins = 0;
    double rs = 0, rs2 = 0, ls = 0, spikes = 0, neuron_steps = 0;
    while (done < n_episodes) {
        PlayTotals tot;
        GRSN_TRY(play(q, q->test_env, 0.0f, 0, &tot));
        spikes += tot.spikes; neuron_steps += tot.neuron_steps;
        for (int e = 0; e < E && done < n_episodes; e++, done++) {   // the first n_episodes, in env order
            rs += q->ret[e]; rs2 += q->ret[e] * q->ret[e]; ls += q->len[e];
            wins += q->st_info[e].battle_won != 0;
        }
    }
    double mean = rs / done, var = rs2 / done - mean * mean;
    out->episodes = done;
    out->win_rate = (float)wins / (float)done;
    out->return_mean = (float)mean;
    out->return_std = (float)sqrt(var > 0 ? var : 0);
    out->length_mean = (float)(ls / done);
    out->firing_rate = neuron_steps > 0 ? (float)(spikes / neuron_steps) : 0.0f;
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Updates

// Gather episodes slots[0..B) into q->batch, time-major over their longest
// length T, zero-padded. Observations, states and masks are rebuilt from the
// stored snapshots, rows in parallel (each row is written by one thread
// only, so the batch is the same for any thread count).
static grsn_status gather(GrsnQmix *q, const int *slots) {
    QBatch *b = &q->batch;
    const grsn_smac_dims *d = &q->dims;
    int B = b->B, n = d->n_agents, A = d->n_actions, O = d->obs_dim, S = d->state_dim, T = 1;
    for (int i = 0; i < B; i++) T = q->buf_len[slots[i]] > T ? q->buf_len[slots[i]] : T;
    b->T = T;
    long rows = (long)(T + 1) * B, bad = -1;
#ifdef GRSN_OMP
    #pragma omp parallel for schedule(static) reduction(max: bad) if (rows * n * O > GRSN_PAR_MIN_WORK)
#endif
    for (long row = 0; row < rows; row++) {
        int t = (int)(row / B), i = (int)(row % B);
        int s = slots[i], len = q->buf_len[s];
        size_t k = slot_step(q, s, t);
        float *obs = b->obs + row * n * O, *st = b->state + row * S;
        uint8_t *av = b->avail + row * n * A;
        int32_t *act = b->act + row * n;
        if (t <= len) {
            if (grsn_smac_observe(q->env, q->buf_snap + k * q->snap, obs, st, av) != GRSN_OK)
                bad = bad > (long)k ? bad : (long)k;
            for (int a = 0; a < n; a++) act[a] = q->buf_act[k * n + a];
            b->filled[row] = 1.0f;
        } else {
            memset(obs, 0, (size_t)n * O * sizeof(float));
            memset(st, 0, (size_t)S * sizeof(float));
            memset(av, 0, (size_t)n * A);
            memset(act, 0, (size_t)n * sizeof(int32_t));
            b->filled[row] = 0.0f;
        }
        if (t < T) {
            b->reward[row] = t < len ? q->buf_reward[(size_t)s * (q->T1 - 1) + t] : 0.0f;
            b->term[row] = t < len ? (float)q->buf_term[(size_t)s * (q->T1 - 1) + t] : 0.0f;
        }
    }
    // Snapshots come from the simulator or from a checked resume state, so
    // this is a broken invariant, reported rather than trained on.
    if (bad >= 0)
        return grsn_fail(GRSN_ERR_FORMAT, "qmix buffer: the snapshot of episode slot %ld, step %ld is invalid",
                         bad / q->T1, bad % q->T1);
    return GRSN_OK;
}

grsn_status grsn_qmix_update(GrsnQmix *q, GrsnQmixStats *s) {
    memset(s, 0, sizeof *s);
    int B = q->cfg.batch;
    if (q->size < B)
        return grsn_fail(GRSN_ERR_ARG, "qmix update: the buffer holds %d episodes, a batch needs %d", q->size, B);
    apply_membrane_share(q);
    // B distinct episodes, uniformly (partial Fisher-Yates on the replay stream).
    grsn_rng *rng = &q->rng[GRSN_QMIX_RNG_REPLAY];
    for (int i = 0; i < q->size; i++) q->pick[i] = i;
    for (int i = 0; i < B; i++) {
        int j = i + (int)grsn_rng_below(rng, (uint32_t)(q->size - i));
        int tmp = q->pick[i]; q->pick[i] = q->pick[j]; q->pick[j] = tmp;
    }
    GRSN_TRY(gather(q, q->pick));
    QCoreStats cs;
    GRSN_TRY(qcore_update(&q->core, &q->batch, &cs));
    q->counters.updates++;
    s->loss = cs.loss; s->grad_norm = cs.grad_norm; s->q_taken_mean = cs.q_taken_mean;
    s->target_mean = cs.target_mean; s->td_error_abs = cs.td_error_abs; s->firing_rate = cs.firing_rate;
    s->steps = q->batch.T;
    // Hard target copy every target_update_episodes episodes (§9.3).
    if (q->counters.episodes - q->counters.last_target_update >= q->cfg.target_update_episodes) {
        qcore_copy_targets(&q->core);
        q->counters.last_target_update = q->counters.episodes;
        s->target_updated = 1;
    }
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Greedy play, one environment step at a time

struct GrsnQmixPlayer {
    GrsnQmix *q;                    // borrowed: its online agent network
    grsn_smac *env;                 // one environment of q's map, on its own stream
    float *obs, *state;             // simulator outputs [n][obs_dim], [state_dim]
    uint8_t *avail;                 // [n][n_actions]
    float reward;
    uint8_t term;
    grsn_smac_info info;
    float *core;                    // core state [n][state_size]
    int32_t *actions, *last;        // [n]
    long long *decoded;             // [n] the spikes each agent's fc2 read in the last step
    int t;                          // step of the episode to play next; -1: the next step begins one
};

grsn_status grsn_qmix_player_create(GrsnQmixPlayer **out, GrsnQmix *q, uint64_t seed, uint64_t stream) {
    *out = NULL;
    if (q->cfg.net != GRSN_NET_GRU && q->cfg.cell.smooth)
        return grsn_fail(GRSN_ERR_ARG, "a smooth-twin cell (cell.smooth = 1) emits no spikes to count");
    GrsnQmixConfig one = q->cfg;
    one.n_envs = 1;
    grsn_smac_config sc;
    grsn_qmix_smac_config(&one, &sc, seed, stream);
    GrsnQmixPlayer *p = grsn_calloc(1, sizeof *p);
    if (!p) return GRSN_ERR_OOM;
    p->q = q;
    p->t = -1;
    grsn_status st = grsn_smac_create(&p->env, &sc);
    if (st) { grsn_qmix_player_free(p); return st; }
    const grsn_smac_dims *d = &q->dims;
    size_t n = (size_t)d->n_agents, A = (size_t)d->n_actions;
    int ok = 1;
#define ALLOC(ptr, count) do { ptr = grsn_calloc((count), sizeof *ptr); ok &= ptr != NULL; } while (0)
    ALLOC(p->obs, n * d->obs_dim);
    ALLOC(p->state, (size_t)d->state_dim);
    ALLOC(p->avail, n * A);
    ALLOC(p->core, n * qagent_state_size(&q->core.agent[0]));
    ALLOC(p->actions, n);
    ALLOC(p->last, n);
    ALLOC(p->decoded, n);
#undef ALLOC
    if (!ok) { grsn_qmix_player_free(p); return GRSN_ERR_OOM; }
    *out = p;
    return GRSN_OK;
}

void grsn_qmix_player_free(GrsnQmixPlayer *p) {
    if (!p) return;
    grsn_smac_free(p->env);
    free(p->obs); free(p->state); free(p->avail); free(p->core);
    free(p->actions); free(p->last); free(p->decoded);
    free(p);
}

// One decision of B agents: qagent_step's layers, fc1, ReLU, the core from
// the carried state, the decoder, with the spikes of each agent's core counted over
// every substep into spikes[B], and those its decoder reads (every substep's
// with rate decoding, the last substep's when the cell decodes the last)
// into decoded[B]; either may be NULL. A spiking core runs through
// grsn_cell_forward over one step, the same arithmetic as grsn_cell_step,
// because its cache keeps the spike of every substep (o_seq [K][B][H]).
static void decide_counting(QAgent *a, float *qv, float *core, const float *x, int B, long long *spikes,
                            long long *decoded) {
    GrsnCell *c = &a->cell;
    if (c->cfg.kind == GRSN_CELL_GRU) {
        qagent_step(a, qv, core, x, B);
        if (spikes) memset(spikes, 0, (size_t)B * sizeof *spikes);
        if (decoded) memset(decoded, 0, (size_t)B * sizeof *decoded);
        return;
    }
    int H = a->hidden, K = c->cfg.substeps;
    grsn_linear_forward(&a->fc1, a->h1, x, NULL, B);
    grsn_act_forward(GRSN_ACT_RELU, a->h1, a->h1, (size_t)B * H);
    grsn_cell_act_reset(c, core, B);
    grsn_cell_forward(c, a->z, core, a->h1, NULL, 1, B);
    qagent_decode(a, qv, a->z, NULL, B);
    qagent_integrate(a, qv, core, B);
    if (!spikes && !decoded) return;
    int last_only = c->cfg.decode == GRSN_DECODE_LAST;
    for (int b = 0; b < B; b++) {
        long long count = 0, last = 0;
        for (int k = 0; k < K; k++) {
            const float *o = c->o_seq + ((size_t)k * B + b) * H;
            long long n = 0;
            for (int j = 0; j < H; j++) n += o[j] != 0.0f;
            count += n;
            if (k == K - 1) last = n;
        }
        if (spikes) spikes[b] = count;
        if (decoded) decoded[b] = last_only ? last : count;
    }
}

int grsn_qmix_agent_state_size(const GrsnQmix *q) { return qagent_state_size(&q->core.agent[0]); }

// The greedy decisions of agents first .. first+count-1, one row each, as
// one batch: grsn_qmix_act (the team) and grsn_qmix_act_agent (one agent).
static grsn_status act_agents(GrsnQmix *q, int first, int count, float *state, const float *obs,
                              const uint8_t *avail, const int32_t *last, int32_t *actions, long long *spikes,
                              long long *decoded) {
    const grsn_smac_dims *d = &q->dims;
    int n = d->n_agents, A = d->n_actions, O = d->obs_dim, din = q->core.d_in;
    for (int i = 0; i < count; i++) {
        int a = first + i;
        if (last[i] < -1 || last[i] >= A)
            return grsn_fail(GRSN_ERR_ARG, "agent %d: last action %d is outside -1..%d (-1: none yet)", a,
                             (int)last[i], A - 1);
        int any = 0;
        for (int k = 0; k < A; k++) any |= avail[(size_t)i * A + k];
        if (!any)
            return grsn_fail(GRSN_ERR_ACTION, "agent %d has no available action (a dead agent has no-op, action 0)", a);
    }
    apply_membrane_share(q);
    for (int i = 0; i < count; i++)
        qmix_build_input(q->act_x + (size_t)i * din, obs + (size_t)i * O, last[i], first + i, O, A, n);
    decide_counting(&q->core.agent[0], q->act_q, state, q->act_x, count, spikes, decoded);
    for (int i = 0; i < count; i++)
        actions[i] = argmax_available(q->act_q + (size_t)i * A, avail + (size_t)i * A, A);
    return GRSN_OK;
}

grsn_status grsn_qmix_act(GrsnQmix *q, float *state, const float *obs, const uint8_t *avail, const int32_t *last,
                          int32_t *actions, long long *spikes) {
    return act_agents(q, 0, q->dims.n_agents, state, obs, avail, last, actions, spikes, NULL);
}

grsn_status grsn_qmix_act_agent(GrsnQmix *q, int agent, float *state, const float *obs, const uint8_t *avail,
                                int32_t last, int32_t *action, long long *spikes) {
    if (agent < 0 || agent >= q->dims.n_agents)
        return grsn_fail(GRSN_ERR_ARG, "agent %d: this map has agents 0..%d", agent, q->dims.n_agents - 1);
    return act_agents(q, agent, 1, state, obs, avail, &last, action, spikes, NULL);
}

grsn_status grsn_qmix_player_begin(GrsnQmixPlayer *p) {
    if (p->t >= 0) return GRSN_OK;
    // A new episode: zero core state, no last actions (§9.2).
    grsn_smac_out out = {p->obs, p->state, p->avail, &p->reward, &p->term, &p->info, NULL};
    GRSN_TRY(grsn_smac_reset(p->env, &out));
    memset(p->core, 0, (size_t)p->q->dims.n_agents * qagent_state_size(&p->q->core.agent[0]) * sizeof(float));
    for (int a = 0; a < p->q->dims.n_agents; a++) p->last[a] = -1;
    p->t = 0;
    return GRSN_OK;
}

const grsn_smac *grsn_qmix_player_env(const GrsnQmixPlayer *p) { return p->env; }

const long long *grsn_qmix_player_decoded(const GrsnQmixPlayer *p) { return p->decoded; }

grsn_status grsn_qmix_player_step(GrsnQmixPlayer *p, long long *spikes, int32_t *actions, GrsnQmixPlayStep *s) {
    int n = p->q->dims.n_agents;
    grsn_smac_out out = {p->obs, p->state, p->avail, &p->reward, &p->term, &p->info, NULL};
    GRSN_TRY(grsn_qmix_player_begin(p));
    GRSN_TRY(act_agents(p->q, 0, n, p->core, p->obs, p->avail, p->last, p->actions, spikes, p->decoded));
    GRSN_TRY(grsn_smac_step(p->env, p->actions, &out));
    memset(s, 0, sizeof *s);
    s->t = p->t;
    s->done = p->term != 0;
    s->won = s->done && p->info.battle_won != 0;
    s->reward = p->reward;
    s->info = p->info;
    memcpy(p->last, p->actions, (size_t)n * sizeof(int32_t));
    if (actions) memcpy(actions, p->actions, (size_t)n * sizeof(int32_t));
    p->t = s->done ? -1 : p->t + 1;
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// The resume state (tensorlist.h): the episode buffer and the simulators'
// streams, between rollouts
//
// The ring fills slots 0, 1, ... and, once full, overwrites the oldest at
// the head, so the stored episodes are those of slots 0 .. size-1. They are
// saved in slot order, each as its filled steps only: len + 1 steps of
// snapshots and actions, len rewards and flags, listed as
// pieces pointing into the slots. Nothing past an episode's end is ever
// read (gather pads with zeros), so the padding is not saved. An
// environment carries only its stream from one episode to the next.

// One buffer array as a tensor of `width` elements per step ([steps] when
// width is 1): episode s's first len_s + extra steps of its slot, the slots
// `per_slot` steps apart.
static grsn_status add_filled(GrsnQmix *q, GrsnTensorList *t, const char *name, grsn_dtype dt, void *base,
                              uint64_t width, int per_slot, int extra) {
    int size = (int)q->ring[RING_SIZE];
    size_t elem = dt == GRSN_DT_U8 ? 1 : 4;
    uint64_t steps = 0;
    for (int s = 0; s < size; s++) steps += (uint64_t)(q->buf_len[s] + extra);
    GrsnTensorPiece *p;
    GRSN_TRY(grsn_tensors_add_pieces(t, name, dt, size, width > 1 ? 2 : 1, steps, width, &p));
    for (int s = 0; s < size; s++) {
        p[s].data = (char *)base + (size_t)s * per_slot * width * elem;
        p[s].count = (uint64_t)(q->buf_len[s] + extra) * width;
    }
    return GRSN_OK;
}

// The streams of every environment of `env`, [n_envs][4].
static grsn_status add_streams(GrsnTensorList *t, const char *name, grsn_smac *env) {
    int E = grsn_smac_n_envs(env);
    GrsnTensorPiece *p;
    GRSN_TRY(grsn_tensors_add_pieces(t, name, GRSN_DT_U64, E, 2, (uint64_t)E, 4, &p));
    for (int e = 0; e < E; e++) { p[e].data = grsn_smac_rng(env, e)->s; p[e].count = 4; }
    return GRSN_OK;
}

// Every tensor of the state, sized by q->ring and q->buf_len.
static grsn_status list_state(GrsnQmix *q, GrsnTensorList *t) {
    const grsn_smac_dims *d = &q->dims;
    uint64_t n = (uint64_t)d->n_agents;
    GRSN_TRY(grsn_tensors_add(t, "buffer.ring", GRSN_DT_I64, q->ring, 1, RING_N, 0));
    GRSN_TRY(grsn_tensors_add(t, "buffer.len", GRSN_DT_I32, q->buf_len, 1, (uint64_t)q->ring[RING_SIZE], 0));
    GRSN_TRY(add_filled(q, t, "buffer.snapshots", GRSN_DT_U8, q->buf_snap, (uint64_t)q->snap, q->T1, 1));
    GRSN_TRY(add_filled(q, t, "buffer.actions", GRSN_DT_U8, q->buf_act, n, q->T1, 1));
    GRSN_TRY(add_filled(q, t, "buffer.reward", GRSN_DT_F32, q->buf_reward, 1, q->T1 - 1, 0));
    GRSN_TRY(add_filled(q, t, "buffer.terminated", GRSN_DT_U8, q->buf_term, 1, q->T1 - 1, 0));
    GRSN_TRY(add_streams(t, "env.rng", q->env));
    return add_streams(t, "test_env.rng", q->test_env);
}

grsn_status grsn_qmix_state_add_tensors(GrsnQmix *q, GrsnTensorList *t) {
    GRSN_ASSERT(q->size > 0, "qmix state saved before the first rollout");
    q->ring[RING_CAP] = q->cap; q->ring[RING_SIZE] = q->size; q->ring[RING_HEAD] = q->head;
    return list_state(q, t);
}

grsn_status grsn_qmix_state_list_saved(GrsnQmix *q, const GrsnCkptFile *f, const char *path, GrsnTensorList *t) {
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->rec[i].name, "buffer.obs") == 0)
            return grsn_fail(GRSN_ERR_FORMAT, "%s: an episode buffer of observations, written before buffers kept "
                             "snapshots; resume it with the build that wrote it, or start the run again", path);
    uint64_t dims[1] = {RING_N};
    GRSN_TRY(grsn_ckpt_get(f, "buffer.ring", GRSN_DT_I64, 1, dims, q->ring));
    const int64_t *r = q->ring;
    if (r[RING_CAP] != q->cap)
        return grsn_fail(GRSN_ERR_FORMAT, "%s: an episode buffer of %lld episodes, the learner's holds %d", path,
                         (long long)r[RING_CAP], q->cap);
    if (r[RING_SIZE] < 1 || r[RING_SIZE] > q->cap || r[RING_HEAD] < 0 || r[RING_HEAD] >= q->cap ||
        (r[RING_SIZE] < q->cap && r[RING_HEAD] != r[RING_SIZE]))
        return grsn_fail(GRSN_ERR_FORMAT, "%s: episode buffer counters out of range (size %lld, head %lld)", path,
                         (long long)r[RING_SIZE], (long long)r[RING_HEAD]);
    dims[0] = (uint64_t)r[RING_SIZE];
    GRSN_TRY(grsn_ckpt_get(f, "buffer.len", GRSN_DT_I32, 1, dims, q->buf_len));
    for (int s = 0; s < r[RING_SIZE]; s++)
        if (q->buf_len[s] < 1 || q->buf_len[s] > q->dims.episode_limit)
            return grsn_fail(GRSN_ERR_FORMAT, "%s: stored episode %d has %d steps, outside [1, %d]", path, s,
                             q->buf_len[s], q->dims.episode_limit);
    return list_state(q, t);
}

grsn_status grsn_qmix_state_finish_load(GrsnQmix *q, const char *path) {
    int size = (int)q->ring[RING_SIZE], n = q->dims.n_agents, A = q->dims.n_actions;
    for (int s = 0; s < size; s++) {
        for (size_t k = slot_step(q, s, 0) * n; k < slot_step(q, s, q->buf_len[s] + 1) * n; k++)
            if (q->buf_act[k] >= A)
                return grsn_fail(GRSN_ERR_FORMAT, "%s: stored action %d of episode %d out of range (%d actions)",
                                 path, q->buf_act[k], s, A);
        for (int t = 0; t <= q->buf_len[s]; t++)
            if (grsn_smac_snapshot_check(q->env, q->buf_snap + slot_step(q, s, t) * q->snap) != GRSN_OK) {
                char why[256];   // the message, copied before grsn_fail overwrites it
                snprintf(why, sizeof why, "%s", grsn_last_error());
                return grsn_fail(GRSN_ERR_FORMAT, "%s: stored episode %d, step %d: %s", path, s, t, why);
            }
    }
    q->size = size;
    q->head = (int)q->ring[RING_HEAD];
    return GRSN_OK;
}
