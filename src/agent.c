/*
 * agent.c — recurrent TD3 and SAC-discrete (reference-implementation.md §7):
 * configuration, construction, acting under TAP, and one gradient update.
 *
 * Window layout: a batch holds S+1 time-major steps of B rows (row = t*B + b).
 * The networks that only feed losses at t = 0..S-1 (online actor and critic)
 * run over S steps with the loss mask m; the ones that also provide the
 * bootstrap value at t+1 (targets, and SAC-discrete's policy at t+1) run over
 * S+1 steps with the step mask v_0 = 1, v_t = m_{t-1}. Masks are ones then
 * zeros along a window, so skipping the masked steps changes no value that
 * enters a loss.
 */
#include "agent_net.h"
#include "kvconf.h"

struct GrsnAgent {
    GrsnAgentConfig cfg;
    GrsnParams params[GRSN_PART_COUNT];
    Actor actor, actor_t;
    Critic critic, critic_t;
    GrsnAdam adam[2];               // actor, critic
    float log_alpha, dlog_alpha;    // SAC-discrete temperature, log-parametrised
    GrsnAdam adam_alpha;
    long updates;
    const float *noise_override;
    // Update scratch.
    float *vmask;        // [(S+1)B] step mask of the S+1 networks
    float *y;            // [SB] targets
    float *act_t;        // [(S+1)B][d_a] target actions
    float *q1, *q2;      // [(S+1)B][d_q]
    float *dq1, *dq2;    // [SB][d_q]
    float *dact;         // [SB][d_a]
    float *m1, *m2;      // [SB] the actor loss's rows through Q1, through Q2
};

// ----------------------------------------------------------------------------
// Names and configuration

// The name tables are kvconf's, which the run's config file is written with.
int grsn_algo_from_name(const char *n) { return grsn_kv_name_index(GRSN_KV_ALGO_NAMES, n); }
int grsn_net_from_name(const char *n) { return grsn_kv_name_index(GRSN_KV_NET_NAMES, n); }
const char *grsn_algo_name(grsn_algo a) { return (unsigned)a <= GRSN_ALGO_SACD ? GRSN_KV_ALGO_NAMES[a] : "?"; }
const char *grsn_net_name(grsn_net n) { return (unsigned)n <= GRSN_NET_MLP ? GRSN_KV_NET_NAMES[n] : "?"; }

GrsnAgentConfig grsn_agent_defaults(grsn_algo algo, grsn_net net, int obs_dim, int act_dim, int discrete) {
    GrsnAgentConfig c;
    memset(&c, 0, sizeof c);
    c.algo = algo; c.net = net; c.obs_dim = obs_dim; c.act_dim = act_dim; c.discrete = discrete;
    c.emb_a = 8; c.emb_r = 8; c.emb_o = 32; c.hidden = 128; c.head_hidden = 128;
    c.seq_len = 64; c.batch = 32;
    c.gamma = 0.9f; c.tau = 0.005f; c.lr = 3e-4f;
    c.expl_noise = 0.1f; c.target_noise = 0.2f; c.noise_clip = 0.5f;
    c.policy_delay = 1; c.actor_q1 = 0;
    c.target_entropy_scale = 0.7f; c.alpha_lr = 3e-4f;
    grsn_cell_kind kind = net == GRSN_NET_LIF ? GRSN_CELL_LIF : net == GRSN_NET_GRU ? GRSN_CELL_GRU : GRSN_CELL_GRSN;
    c.cell = grsn_cell_config(kind, c.emb_a + c.emb_r + c.emb_o, c.hidden);
    return c;
}

static grsn_status check_config(const GrsnAgentConfig *c) {
    if ((unsigned)c->algo > GRSN_ALGO_SACD)
        return grsn_fail(GRSN_ERR_ARG, "unknown algo %d; valid algos: " GRSN_ALGO_NAMES, (int)c->algo);
    if ((unsigned)c->net > GRSN_NET_MLP)
        return grsn_fail(GRSN_ERR_ARG, "unknown net %d; valid nets: " GRSN_NET_NAMES, (int)c->net);
    if (c->algo == GRSN_ALGO_TD3 && c->discrete)
        return grsn_fail(GRSN_ERR_ARG, "td3 needs a continuous action space; use sacd for discrete actions");
    if (c->algo == GRSN_ALGO_SACD && !c->discrete)
        return grsn_fail(GRSN_ERR_ARG, "sacd needs a discrete action space; use td3 for continuous actions");
    if (c->obs_dim < 1 || c->act_dim < 1 || c->emb_a < 1 || c->emb_r < 1 || c->emb_o < 1 ||
        c->hidden < 1 || c->head_hidden < 1 || c->seq_len < 2 || c->batch < 1)
        return grsn_fail(GRSN_ERR_ARG, "impossible agent sizes (obs %d, act %d, emb %d/%d/%d, hidden %d, head %d, seq_len %d, batch %d)",
                         c->obs_dim, c->act_dim, c->emb_a, c->emb_r, c->emb_o, c->hidden, c->head_hidden, c->seq_len, c->batch);
    if (c->discrete && c->act_dim < 2)
        return grsn_fail(GRSN_ERR_ARG, "a discrete action space needs at least 2 actions (got %d)", c->act_dim);
    if (!(c->gamma >= 0 && c->gamma <= 1)) return grsn_fail(GRSN_ERR_ARG, "gamma %g outside [0, 1]", c->gamma);
    if (!(c->tau > 0 && c->tau <= 1)) return grsn_fail(GRSN_ERR_ARG, "tau %g outside (0, 1]", c->tau);
    if (!(c->lr > 0) || !(c->alpha_lr > 0)) return grsn_fail(GRSN_ERR_ARG, "learning rates must be > 0");
    if (!(c->expl_noise >= 0) || !(c->target_noise >= 0) || !(c->noise_clip >= 0))
        return grsn_fail(GRSN_ERR_ARG, "TD3 noise scales must be >= 0");
    if (c->policy_delay < 1) return grsn_fail(GRSN_ERR_ARG, "policy_delay %d must be >= 1", c->policy_delay);
    if (c->net == GRSN_NET_GRU && c->cell.substeps != 1)
        return grsn_fail(GRSN_ERR_ARG, "substeps (w/o TAP) apply to spiking nets only, not gru");
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Construction

static float *scratch(size_t n, int *ok) { float *p = grsn_calloc(n ? n : 1, sizeof(float)); *ok &= p != NULL; return p; }

grsn_status grsn_agent_create(GrsnAgent **out, const GrsnAgentConfig *cfg, uint64_t seed) {
    *out = NULL;
    GRSN_TRY(check_config(cfg));
    GrsnAgent *a = grsn_calloc(1, sizeof *a);
    if (!a) return GRSN_ERR_OOM;
    a->cfg = *cfg;
    const GrsnAgentConfig *c = &a->cfg;
    int S = c->seq_len, B = c->batch, T = S + 1;
    for (int i = 0; i < GRSN_PART_COUNT; i++) grsn_params_init(&a->params[i]);
    grsn_status st = GRSN_OK;
    if (!st) st = actor_init(&a->actor, &a->params[GRSN_PART_ACTOR], "actor", c, T, B);
    if (!st) st = critic_init(&a->critic, &a->params[GRSN_PART_CRITIC], "critic", c, T, B);
    if (!st) st = actor_init(&a->actor_t, &a->params[GRSN_PART_ACTOR_TARGET], "actor_target", c, T, B);
    if (!st) st = critic_init(&a->critic_t, &a->params[GRSN_PART_CRITIC_TARGET], "critic_target", c, T, B);
    for (int i = 0; i < GRSN_PART_COUNT && !st; i++) st = grsn_params_alloc(&a->params[i]);
    if (!st) st = grsn_adam_init(&a->adam[0], a->params[GRSN_PART_ACTOR].n, c->lr);
    if (!st) st = grsn_adam_init(&a->adam[1], a->params[GRSN_PART_CRITIC].n, c->lr);
    if (!st) st = grsn_adam_init(&a->adam_alpha, 1, c->alpha_lr);
    if (st) { grsn_agent_free(a); return st; }
    int ok = 1, dq = c->discrete ? c->act_dim : 1;
    size_t rows = (size_t)T * B;
    a->vmask = scratch(rows, &ok);
    a->y = scratch(rows, &ok);
    a->act_t = scratch(rows * c->act_dim, &ok);
    a->q1 = scratch(rows * dq, &ok); a->q2 = scratch(rows * dq, &ok);
    a->dq1 = scratch(rows * dq, &ok); a->dq2 = scratch(rows * dq, &ok);
    a->dact = scratch(rows * c->act_dim, &ok);
    a->m1 = scratch(rows, &ok); a->m2 = scratch(rows, &ok);
    if (!ok) { grsn_agent_free(a); return GRSN_ERR_OOM; }

    // Spec §3.4 initialisation from the init stream; targets start as copies.
    grsn_rng rng;
    grsn_rng_seed(&rng, seed, GRSN_STREAM_INIT);
    if (!st) st = actor_reset_parameters(&a->actor, &rng);
    if (!st) st = critic_reset_parameters(&a->critic, &rng);
    if (st) { grsn_agent_free(a); return st; }
    memcpy(a->params[GRSN_PART_ACTOR_TARGET].data, a->params[GRSN_PART_ACTOR].data,
           a->params[GRSN_PART_ACTOR].n * sizeof(float));
    memcpy(a->params[GRSN_PART_CRITIC_TARGET].data, a->params[GRSN_PART_CRITIC].data,
           a->params[GRSN_PART_CRITIC].n * sizeof(float));
    a->log_alpha = 0.0f;   // alpha = 1
    *out = a;
    return GRSN_OK;
}

void grsn_agent_free(GrsnAgent *a) {
    if (!a) return;
    actor_free(&a->actor); actor_free(&a->actor_t);
    critic_free(&a->critic); critic_free(&a->critic_t);
    for (int i = 0; i < GRSN_PART_COUNT; i++) grsn_params_free(&a->params[i]);
    grsn_adam_free(&a->adam[0]); grsn_adam_free(&a->adam[1]); grsn_adam_free(&a->adam_alpha);
    free(a->vmask); free(a->y); free(a->act_t); free(a->q1); free(a->q2); free(a->dq1); free(a->dq2); free(a->dact);
    free(a->m1); free(a->m2);
    free(a);
}

const GrsnAgentConfig *grsn_agent_config(const GrsnAgent *a) { return &a->cfg; }
GrsnParams *grsn_agent_params(GrsnAgent *a, grsn_agent_part p) { return (unsigned)p < GRSN_PART_COUNT ? &a->params[p] : NULL; }
GrsnAdam *grsn_agent_adam(GrsnAgent *a, grsn_agent_part p) {
    return p == GRSN_PART_ACTOR ? &a->adam[0] : p == GRSN_PART_CRITIC ? &a->adam[1] : NULL;
}
float *grsn_agent_log_alpha(GrsnAgent *a) { return a->cfg.algo == GRSN_ALGO_SACD ? &a->log_alpha : NULL; }
GrsnAdam *grsn_agent_alpha_adam(GrsnAgent *a) { return a->cfg.algo == GRSN_ALGO_SACD ? &a->adam_alpha : NULL; }
long grsn_agent_updates(const GrsnAgent *a) { return a->updates; }
void grsn_agent_set_updates(GrsnAgent *a, long updates) { a->updates = updates; }
void grsn_agent_set_target_noise(GrsnAgent *a, const float *noise) { a->noise_override = noise; }

int grsn_agent_state_size(const GrsnAgent *a) {
    return a->cfg.net == GRSN_NET_MLP ? 0 : a->actor.enc.cell.state_size;
}

// ----------------------------------------------------------------------------
// Acting

static float clampf(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }

int grsn_agent_act(GrsnAgent *a, float *state, const float *prev_action, float prev_reward,
                   const float *obs, int deterministic, grsn_rng *rng, float *action, int *spikes) {
    const GrsnAgentConfig *c = &a->cfg;
    float out[64];
    GRSN_ASSERT(c->act_dim <= 64, "act_dim %d > 64", c->act_dim);
    actor_step(&a->actor, state, prev_action, prev_reward, obs, out, spikes);
    if (!c->discrete) {
        for (int i = 0; i < c->act_dim; i++) {
            float x = out[i];
            if (!deterministic) x = clampf(x + (float)(grsn_rng_normal(rng) * c->expl_noise), -1.0f, 1.0f);
            action[i] = x;
        }
        return 0;
    }
    // SAC-discrete: sample from pi (inverse CDF) or take the argmax.
    const float *p = a->actor.prob;
    int k = 0;
    if (deterministic) {
        for (int i = 1; i < c->act_dim; i++) if (p[i] > p[k]) k = i;
    } else {
        double u = grsn_rng_double(rng), cum = 0;
        k = c->act_dim - 1;
        for (int i = 0; i < c->act_dim; i++) { cum += p[i]; if (u < cum) { k = i; break; } }
    }
    for (int i = 0; i < c->act_dim; i++) action[i] = i == k ? 1.0f : 0.0f;
    return k;
}

// ----------------------------------------------------------------------------
// Update helpers

static int finite_all(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) if (!isfinite(x[i])) return 0;
    return 1;
}

static float spike_rate(const Encoder *e, const float *mask, int rows) {
    if (e->net != GRSN_NET_GRSN && e->net != GRSN_NET_LIF) return 0.0f;
    const float *spk = grsn_cell_forward_spikes(&e->cell, e->z);
    // A row's spikes (0/1, or k/K when decoded over K substeps) add up
    // exactly in float in any order, so each row's sum is vectorised.
    double s = 0; long valid = 0;
    for (int r = 0; r < rows; r++) {
        if (mask && mask[r] == 0.0f) continue;
        valid++;
        const float *sr = spk + (size_t)r * e->hidden;
        float row = 0.0f;
        #pragma omp simd reduction(+ : row)
        for (int j = 0; j < e->hidden; j++) row += sr[j];
        s += row;
    }
    return valid ? (float)(s / ((double)valid * e->hidden)) : 0.0f;
}

// Critic loss sum_t m (Q1 - y)^2 / N + sum_t m (Q2 - y)^2 / N over the
// gathered values, and its gradient.
static float critic_loss(const float *q1, const float *q2, const float *y, const float *m, int n, float N,
                         float *dq1, float *dq2) {
    double l1 = 0, l2 = 0;
    for (int i = 0; i < n; i++) {
        float e1 = q1[i] - y[i], e2 = q2[i] - y[i];
        l1 += m[i] * e1 * e1; l2 += m[i] * e2 * e2;
        dq1[i] = 2.0f * m[i] * e1 / N; dq2[i] = 2.0f * m[i] * e2 / N;
    }
    return (float)(l1 / N + l2 / N);
}

// N = max(1, sum of the loss mask): the denominator of every loss (spec §7).
static float loss_count(const float *m, int n) {
    float N = 0;
    for (int i = 0; i < n; i++) N += m[i];
    return N > 1 ? N : 1;
}

static grsn_status nan_error(GrsnAgent *a, const char *what) {
    return grsn_fail(GRSN_ERR_NAN, "non-finite %s at update %ld", what, a->updates + 1);
}

// ----------------------------------------------------------------------------
// TD3 (spec §7.1)

static grsn_status td3_update(GrsnAgent *a, const grsn_seqbatch *bt, grsn_rng *rng, GrsnUpdateStats *st) {
    const GrsnAgentConfig *c = &a->cfg;
    int S = c->seq_len, B = c->batch, T1 = S + 1, da = c->act_dim, SB = S * B;
    const float *O = bt->obs, *A = bt->act, *R = bt->rew, *D = bt->term, *m = bt->mask;
    float N = loss_count(m, SB);

    // 1. Targets: a~_t = clip(mu'(t) + clip(eps, -c, c), -1, 1);
    //    y_t = R[t+1] + (1 - D[t+1]) gamma min(Q'1, Q'2)(t+1, a~_{t+1}).
    const float *mu_t = actor_forward(&a->actor_t, A, R, O, a->vmask, T1, B, 0);
    for (int i = 0; i < T1 * B * da; i++) {
        float eps = a->noise_override ? a->noise_override[i] : (float)(grsn_rng_normal(rng) * c->target_noise);
        a->act_t[i] = clampf(mu_t[i] + clampf(eps, -c->noise_clip, c->noise_clip), -1.0f, 1.0f);
    }
    encoder_forward(&a->critic_t.enc, A, R, O, a->vmask, T1, B, 0);
    critic_heads_forward(&a->critic_t, O, a->act_t, a->vmask, T1 * B, a->q1, a->q2);
    for (int i = 0; i < SB; i++) {
        int n = i + B;   // row t+1
        a->y[i] = R[n] + (1.0f - D[n]) * c->gamma * fminf(a->q1[n], a->q2[n]);
    }

    // 2. Critic: Q_i(t, A[t+1]) against y; one Adam step.
    GrsnParams *pc = &a->params[GRSN_PART_CRITIC];
    grsn_params_zero_grad(pc);
    encoder_forward(&a->critic.enc, A, R, O, m, S, B, 1);
    critic_heads_forward(&a->critic, O, A + (size_t)B * da, m, SB, a->q1, a->q2);
    st->q_loss = critic_loss(a->q1, a->q2, a->y, m, SB, N, a->dq1, a->dq2);
    critic_heads_backward(&a->critic, a->dq1, m, a->dq2, m, O, m, SB, NULL);
    encoder_backward(&a->critic.enc, a->critic.dz, A, R, O, m, S, B);
    if (!isfinite(st->q_loss) || !finite_all(pc->grad, pc->n)) return nan_error(a, "critic loss or gradient");
    grsn_adam_step(&a->adam[1], pc->data, pc->grad);

    if ((a->updates + 1) % c->policy_delay != 0) { a->updates++; return GRSN_OK; }   // critic-only update

    // 3. Actor: maximise min(Q1, Q2)(t, mu(t)) (or Q1) under the updated critic.
    GrsnParams *pa = &a->params[GRSN_PART_ACTOR];
    grsn_params_zero_grad(pa);
    const float *mu = actor_forward(&a->actor, A, R, O, m, S, B, 1);
    st->firing_rate = spike_rate(&a->actor.enc, m, SB);
    encoder_forward(&a->critic.enc, A, R, O, m, S, B, 0);
    critic_heads_forward(&a->critic, O, mu, m, SB, a->q1, a->q2);
    double pl = 0;
    for (int i = 0; i < SB; i++) {
        int use1 = c->actor_q1 || a->q1[i] <= a->q2[i];
        pl -= m[i] * (use1 ? a->q1[i] : a->q2[i]);
        a->dq1[i] = use1 ? -m[i] / N : 0.0f;
        a->dq2[i] = use1 ? 0.0f : -m[i] / N;
        a->m1[i] = use1 ? m[i] : 0.0f;   // each head's pass skips the rows the other head's min took
        a->m2[i] = use1 ? 0.0f : m[i];
    }
    st->pi_loss = (float)(pl / N);
    critic_heads_backward(&a->critic, a->dq1, a->m1, a->dq2, a->m2, O, m, SB, a->dact);   // da only
    actor_backward(&a->actor, a->dact, A, R, O, m, S, B);
    if (!isfinite(st->pi_loss) || !finite_all(pa->grad, pa->n)) return nan_error(a, "actor loss or gradient");
    grsn_adam_step(&a->adam[0], pa->data, pa->grad);

    st->actor_stepped = 1;

    // 4. Polyak averaging of both targets.
    grsn_polyak(a->params[GRSN_PART_CRITIC_TARGET].data, pc->data, pc->n, c->tau);
    grsn_polyak(a->params[GRSN_PART_ACTOR_TARGET].data, pa->data, pa->n, c->tau);
    a->updates++;
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// SAC-discrete (spec §7.2)

static grsn_status sacd_update(GrsnAgent *a, const grsn_seqbatch *bt, GrsnUpdateStats *st) {
    const GrsnAgentConfig *c = &a->cfg;
    int S = c->seq_len, B = c->batch, T1 = S + 1, K = c->act_dim, SB = S * B;
    const float *O = bt->obs, *A = bt->act, *R = bt->rew, *D = bt->term, *m = bt->mask;
    float N = loss_count(m, SB);
    float alpha = grsn_expf(a->log_alpha);

    // 1. Targets with the current policy and the target critic:
    //    V_{t+1} = sum_a pi (min Q' - alpha log pi);  y_t = R + (1 - D) gamma V_{t+1}.
    actor_forward(&a->actor, A, R, O, a->vmask, T1, B, 0);
    encoder_forward(&a->critic_t.enc, A, R, O, a->vmask, T1, B, 0);
    critic_heads_forward(&a->critic_t, O, NULL, a->vmask, T1 * B, a->q1, a->q2);
    for (int i = 0; i < SB; i++) {
        size_t n = (size_t)(i + B) * K;
        double v = 0;
        for (int k = 0; k < K; k++)
            v += a->actor.prob[n + k] * (fminf(a->q1[n + k], a->q2[n + k]) - alpha * a->actor.logp[n + k]);
        a->y[i] = R[i + B] + (1.0f - D[i + B]) * c->gamma * (float)v;
    }

    // 2. Critic: Q_i(t, .) gathered at the stored action.
    GrsnParams *pc = &a->params[GRSN_PART_CRITIC];
    grsn_params_zero_grad(pc);
    encoder_forward(&a->critic.enc, A, R, O, m, S, B, 1);
    critic_heads_forward(&a->critic, O, NULL, m, SB, a->q1, a->q2);
    float *g1 = a->act_t, *g2 = a->act_t + SB;       // gathered Q values (scratch)
    float *e1 = a->dact, *e2 = a->dact + SB;         // their gradients
    for (int i = 0; i < SB; i++) {
        int k = bt->act_index[i];
        g1[i] = a->q1[(size_t)i * K + k]; g2[i] = a->q2[(size_t)i * K + k];
    }
    st->q_loss = critic_loss(g1, g2, a->y, m, SB, N, e1, e2);
    memset(a->dq1, 0, (size_t)SB * K * sizeof(float));
    memset(a->dq2, 0, (size_t)SB * K * sizeof(float));
    for (int i = 0; i < SB; i++) {
        int k = bt->act_index[i];
        a->dq1[(size_t)i * K + k] = e1[i]; a->dq2[(size_t)i * K + k] = e2[i];
    }
    critic_heads_backward(&a->critic, a->dq1, m, a->dq2, m, O, m, SB, NULL);
    encoder_backward(&a->critic.enc, a->critic.dz, A, R, O, m, S, B);
    if (!isfinite(st->q_loss) || !finite_all(pc->grad, pc->n)) return nan_error(a, "critic loss or gradient");
    grsn_adam_step(&a->adam[1], pc->data, pc->grad);

    // 3. Actor: sum_a pi (alpha log pi - min Q) under the updated critic.
    GrsnParams *pa = &a->params[GRSN_PART_ACTOR];
    grsn_params_zero_grad(pa);
    actor_forward(&a->actor, A, R, O, m, S, B, 1);
    st->firing_rate = spike_rate(&a->actor.enc, m, SB);
    encoder_forward(&a->critic.enc, A, R, O, m, S, B, 0);
    critic_heads_forward(&a->critic, O, NULL, m, SB, a->q1, a->q2);
    double pl = 0, plogp = 0;
    float *dprob = a->dq1, *dlogits = a->dq2;
    for (int i = 0; i < SB; i++) {
        for (int k = 0; k < K; k++) {
            size_t j = (size_t)i * K + k;
            float p = a->actor.prob[j], lp = a->actor.logp[j], q = fminf(a->q1[j], a->q2[j]);
            pl += m[i] * p * (alpha * lp - q);
            plogp += m[i] * p * lp;
            // d/dp of p (alpha log max(p, 1e-8) - q)
            dprob[j] = m[i] / N * (alpha * lp - q + (p > 1e-8f ? alpha : 0.0f));
        }
    }
    st->pi_loss = (float)(pl / N);
    memset(dlogits, 0, (size_t)SB * K * sizeof(float));
    grsn_softmax_backward(dlogits, dprob, a->actor.prob, SB, K);
    actor_backward(&a->actor, dlogits, A, R, O, m, S, B);
    if (!isfinite(st->pi_loss) || !finite_all(pa->grad, pa->n)) return nan_error(a, "actor loss or gradient");
    grsn_adam_step(&a->adam[0], pa->data, pa->grad);
    st->actor_stepped = 1;

    // 4. Soft update of the critic target only.
    grsn_polyak(a->params[GRSN_PART_CRITIC_TARGET].data, pc->data, pc->n, c->tau);

    // 5. Temperature: L = -exp(log alpha) (mean log pi + H_target).
    float lbar = (float)(plogp / N), h_target = c->target_entropy_scale * logf((float)K);
    a->dlog_alpha = -alpha * (lbar + h_target);
    st->alpha_loss = -alpha * (lbar + h_target);
    grsn_adam_step(&a->adam_alpha, &a->log_alpha, &a->dlog_alpha);
    st->alpha = grsn_expf(a->log_alpha);
    st->entropy = -lbar;
    a->updates++;
    return GRSN_OK;
}

grsn_status grsn_agent_update(GrsnAgent *a, const grsn_seqbatch *bt, grsn_rng *target_rng, GrsnUpdateStats *st) {
    const GrsnAgentConfig *c = &a->cfg;
    if (bt->batch != c->batch || bt->seq_len != c->seq_len || bt->obs_dim != c->obs_dim || bt->act_dim != c->act_dim)
        return grsn_fail(GRSN_ERR_ARG, "batch shape %dx%d (obs %d, act %d) does not match the agent's %dx%d (obs %d, act %d)",
                         bt->batch, bt->seq_len, bt->obs_dim, bt->act_dim, c->batch, c->seq_len, c->obs_dim, c->act_dim);
    memset(st, 0, sizeof *st);
    // Step mask of the S+1-step networks: v_0 = 1, v_t = m_{t-1}.
    int B = c->batch, S = c->seq_len;
    for (int b = 0; b < B; b++) a->vmask[b] = 1.0f;
    memcpy(a->vmask + B, bt->mask, (size_t)S * B * sizeof(float));
    if (c->algo == GRSN_ALGO_TD3) return td3_update(a, bt, target_rng, st);
    return sacd_update(a, bt, st);
}
