/*
 * qmix_learn.c — the QMIX learner core (reference-implementation.md §9.3):
 * agent inputs, double-Q TD(lambda) targets through the target networks, the
 * 1/2 masked MSE loss, its gradient through mixer and agents, gradient-norm
 * clipping over both, and one optimiser step (Adam or RMSprop).
 */
#include "qmix_net.h"

// PyMARL masks unavailable actions with this value before the argmax (§9.3).
#define QMIX_UNAVAILABLE (-9999999.0f)

// ----------------------------------------------------------------------------
// Agent input and TD(lambda)

void qmix_build_input(float *x, const float *obs, int last_act, int agent, int obs_dim, int n_actions, int n_agents) {
    // [obs, onehot(own last action; zeros at t = 0), onehot(agent id)] (§9.2)
    memcpy(x, obs, (size_t)obs_dim * sizeof(float));
    float *a = x + obs_dim, *id = a + n_actions;
    memset(a, 0, (size_t)(n_actions + n_agents) * sizeof(float));
    if (last_act >= 0) a[last_act] = 1.0f;
    id[agent] = 1.0f;
}

void qmix_td_lambda(float *G, float *last, const float *r, const float *term, const float *mask, const float *tq,
                    int T, int B, float gamma, float lambda) {
    // pymarl2 rl_utils.build_td_lambda_targets, with its float32 constants.
    float lg = (float)((double)lambda * gamma), blend = (float)((1.0 - lambda) * gamma);
    for (int b = 0; b < B; b++) {
        float ended = 0.0f;
        for (int t = 0; t < T; t++) ended += term[(size_t)t * B + b];
        last[b] = tq[(size_t)T * B + b] * (1.0f - ended);      // G_T: bootstrap only if never terminated
        float next = last[b];
        for (int t = T - 1; t >= 0; t--) {
            size_t i = (size_t)t * B + b;
            next = lg * next + mask[i] * (r[i] + blend * tq[i + B] * (1.0f - term[i]));
            G[i] = next;
        }
    }
}

// ----------------------------------------------------------------------------
// Construction

grsn_status qcore_init(QCore *c, const QCoreConfig *k) {
    memset(c, 0, sizeof *c);
    c->net = k->net;
    c->n_agents = k->n_agents; c->obs_dim = k->obs_dim; c->state_dim = k->state_dim; c->n_actions = k->n_actions;
    c->d_in = k->obs_dim + k->n_actions + k->n_agents;
    c->max_T = k->max_T; c->batch = k->batch;
    c->gamma = k->gamma; c->td_lambda = k->td_lambda; c->grad_clip = k->grad_clip;
    int n = k->n_agents, T1 = k->max_T + 1, B = k->batch;
    // The online agent also acts: its per-step rows cover both uses.
    int max_B = B * n > k->act_rows ? B * n : k->act_rows;
    for (int i = 0; i < 2; i++) {
        grsn_params_init(&c->params[i]);
        GRSN_TRY(qagent_init(&c->agent[i], &c->params[i], "agent", k->net, k->cell, c->d_in, k->hidden,
                             k->decoder, k->leak, k->n_actions, T1, max_B));
        GRSN_TRY(qmixer_init(&c->mixer[i], &c->params[i], "mixer", n, k->state_dim, k->embed, k->hyper, T1 * B));
        GRSN_TRY(grsn_params_alloc(&c->params[i]));
    }
    c->rmsprop = k->rmsprop;
    if (k->rmsprop) GRSN_TRY(grsn_rmsprop_init(&c->rms, c->params[0].n, k->lr, k->optim_alpha, k->optim_eps));
    else GRSN_TRY(grsn_adam_init(&c->adam, c->params[0].n, k->lr));
    size_t rows = (size_t)T1 * B;
    int ok = 1;
#define ALLOC(p, count) do { size_t n_ = (count); p = grsn_calloc(n_ ? n_ : 1, sizeof *p); ok &= p != NULL; } while (0)
    ALLOC(c->x, rows * n * c->d_in);
    ALLOC(c->row_mask, rows * n);
    ALLOC(c->mask, rows);
    ALLOC(c->q_sel, rows * n);
    ALLOC(c->tq, rows);
    ALLOC(c->G, rows);
    ALLOC(c->dqtot, rows);
    ALLOC(c->dq_sel, rows * n);
    ALLOC(c->dq, rows * n * k->n_actions);
#undef ALLOC
    return ok ? GRSN_OK : GRSN_ERR_OOM;
}

void qcore_free(QCore *c) {
    for (int i = 0; i < 2; i++) {
        qagent_free(&c->agent[i]);
        qmixer_free(&c->mixer[i]);
        grsn_params_free(&c->params[i]);
    }
    grsn_adam_free(&c->adam);
    grsn_rmsprop_free(&c->rms);
    free(c->x); free(c->row_mask); free(c->mask); free(c->q_sel); free(c->tq); free(c->G);
    free(c->dqtot); free(c->dq_sel); free(c->dq);
    memset(c, 0, sizeof *c);
}

void qcore_reset_parameters(QCore *c, grsn_rng *rng) {
    qagent_reset_parameters(&c->agent[0], rng);
    qmixer_reset_parameters(&c->mixer[0], rng);
    qcore_copy_targets(c);
}

void qcore_copy_targets(QCore *c) {
    memcpy(c->params[1].data, c->params[0].data, c->params[0].n * sizeof(float));
}

// ----------------------------------------------------------------------------
// One update (§9.3)

// The double-Q target's action, as pymarl2 picks it: unavailable actions
// count as -9,999,999 and the first maximum wins, so a padded step with no
// available action gives 0 (its target is masked out of the loss).
static int pymarl_masked_argmax(const float *q, const uint8_t *avail, int A) {
    int best = 0;
    float bv = avail[0] ? q[0] : QMIX_UNAVAILABLE;
    for (int k = 1; k < A; k++) {
        float v = avail[k] ? q[k] : QMIX_UNAVAILABLE;
        if (v > bv) { bv = v; best = k; }
    }
    return best;
}

static int all_finite(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) if (!isfinite(x[i])) return 0;
    return 1;
}

grsn_status qcore_update(QCore *c, const QBatch *b, QCoreStats *st) {
    GRSN_ASSERT(b->B == c->batch && b->T >= 1 && b->T <= c->max_T, "qcore_update: batch %d x %d (core %d x %d)",
                b->B, b->T, c->batch, c->max_T);
    int T = b->T, T1 = T + 1, B = b->B, n = c->n_agents, A = c->n_actions, Bn = B * n;
    size_t steps_rows = (size_t)T1 * Bn, loss_rows = (size_t)T * Bn;
    memset(st, 0, sizeof *st);

    // 1. Agent inputs [T+1][B][n][d_in], their step mask (filled), and the
    //    loss mask m_t = filled_t (1 - terminated_{t-1}). Row r is agent
    //    r % n of episode (r / n) % B at step r / Bn; rows are independent,
    //    so threads share them.
    #pragma omp parallel for schedule(static) if ((long)steps_rows * c->d_in > GRSN_PAR_MIN_WORK)
    for (long r = 0; r < (long)steps_rows; r++) {
        int last = r >= Bn ? b->act[r - Bn] : -1;
        qmix_build_input(c->x + (size_t)r * c->d_in, b->obs + (size_t)r * c->obs_dim, last, (int)(r % n),
                         c->obs_dim, A, n);
        c->row_mask[r] = b->filled[r / n];
    }
    for (int t = 0; t < T; t++)
        for (int e = 0; e < B; e++) {
            size_t i = (size_t)t * B + e;
            c->mask[i] = b->filled[i] * (t > 0 ? 1.0f - b->term[i - B] : 1.0f);
        }

    // 2. Both agents over all T + 1 steps from a zero state (the target
    //    agent without the caches that only backward reads).
    const float *Q = qagent_forward(&c->agent[0], c->x, c->row_mask, T1, Bn, 1);
    const float *Qt = qagent_forward(&c->agent[1], c->x, c->row_mask, T1, Bn, 0);

    // 3. Double Q: the online argmax over available actions picks the target
    //    agent's value; the target mixer turns them into T_t.
    #pragma omp parallel for schedule(static) if ((long)steps_rows * A > GRSN_PAR_MIN_WORK)
    for (long r = 0; r < (long)steps_rows; r++) {
        int k = pymarl_masked_argmax(Q + r * A, b->avail + r * A, A);
        c->q_sel[r] = Qt[r * A + k];
    }
    const float *tq = qmixer_forward(&c->mixer[1], c->q_sel, b->state, b->filled, T1 * B);
    memcpy(c->tq, tq, (size_t)T1 * B * sizeof(float));
    qmix_td_lambda(c->G, c->G + (size_t)T * B, b->reward, b->term, c->mask, c->tq, T, B, c->gamma, c->td_lambda);

    // 4. Online Q_tot of the taken actions and the loss
    //    L = sum_t m_t 1/2 (Q_tot - G_t)^2 / sum_t m_t.
    for (size_t r = 0; r < loss_rows; r++) c->q_sel[r] = Q[r * A + b->act[r]];
    const float *qtot = qmixer_forward(&c->mixer[0], c->q_sel, b->state, c->mask, T * B);
    double msum = 0, loss = 0, qs = 0, gs = 0, es = 0;
    for (int i = 0; i < T * B; i++) msum += c->mask[i];
    float N = (float)(msum > 0 ? msum : 1.0);
    for (int i = 0; i < T * B; i++) {
        float err = qtot[i] - c->G[i];
        loss += c->mask[i] * 0.5 * (double)err * err;
        qs += c->mask[i] * qtot[i]; gs += c->mask[i] * c->G[i]; es += c->mask[i] * fabsf(err);
        c->dqtot[i] = c->mask[i] * err / N;
    }
    st->loss = (float)(loss / N);
    st->q_taken_mean = (float)(qs / N); st->target_mean = (float)(gs / N); st->td_error_abs = (float)(es / N);
    if (c->agent[0].cell.cfg.kind != GRSN_CELL_GRU) {
        double spikes = 0, live = 0;
        int H = c->agent[0].hidden;
        const float *spk = grsn_cell_forward_spikes(&c->agent[0].cell, c->agent[0].z);
        for (size_t r = 0; r < steps_rows; r++) {
            if (c->row_mask[r] == 0.0f) continue;
            live += 1;
            for (int j = 0; j < H; j++) spikes += spk[r * H + j];
        }
        st->firing_rate = live > 0 ? (float)(spikes / (live * H)) : 0.0f;
    }

    // 5. Gradients: mixer, then the agents through the taken actions' Q.
    GrsnParams *p = &c->params[0];
    grsn_params_zero_grad(p);
    qmixer_backward(&c->mixer[0], c->dq_sel, c->dqtot, c->q_sel, b->state, c->mask, T * B);
    grsn_zero(c->dq, steps_rows * A);
    for (size_t r = 0; r < loss_rows; r++) c->dq[r * A + b->act[r]] = c->dq_sel[r];
    qagent_backward(&c->agent[0], c->dq, c->x, c->row_mask, T1, Bn);
    if (!isfinite(st->loss) || !all_finite(p->grad, p->n))
        return grsn_fail(GRSN_ERR_NAN, "QMIX: non-finite loss or gradient (loss %g)", st->loss);

    // 6. Clip the norm over agent and mixer together, then one optimiser step.
    st->grad_norm = grsn_clip_grad_norm(p->grad, p->n, c->grad_clip);
    if (c->rmsprop) grsn_rmsprop_step(&c->rms, p->data, p->grad);
    else grsn_adam_step(&c->adam, p->data, p->grad);
    return GRSN_OK;
}
