/*
 * agent_net.c — encoder, actor and critic of the control agents (spec §3).
 */
#include "agent_net.h"

// ----------------------------------------------------------------------------
// Small row helpers

// dst[r][0 .. w) = src[r][off .. off+w) * [y[r] > 0]   (the ReLU backward of a slice)
static void take_cols_relu(float *dst, const float *src, int src_w, int off, const float *y, int w, int rows) {
    #pragma omp parallel for schedule(static) if ((long)rows * w > GRSN_PAR_MIN_WORK)
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < w; j++) {
            size_t i = (size_t)r * w + j;
            dst[i] = y[i] > 0.0f ? src[(size_t)r * src_w + off + j] : 0.0f;
        }
}

static float *alloc_rows(int rows, int w, int *ok) {
    float *p = grsn_calloc((size_t)rows * (w > 0 ? w : 1), sizeof(float));
    *ok &= p != NULL;
    return p;
}

// ----------------------------------------------------------------------------
// Encoder

static grsn_status encoder_init(Encoder *e, GrsnParams *p, const char *prefix, const GrsnAgentConfig *c,
                                int max_T, int max_B) {
    memset(e, 0, sizeof *e);
    char nm[64];
    e->net = c->net; e->d_o = c->obs_dim; e->d_a = c->act_dim; e->hidden = c->hidden;
    e->max_rows = max_T * max_B;
    e->x_dim = c->net == GRSN_NET_MLP ? c->emb_o : c->emb_a + c->emb_r + c->emb_o;
    if (c->net != GRSN_NET_MLP) {
        snprintf(nm, sizeof nm, "%s.emb_a", prefix); GRSN_TRY(grsn_linear_init(&e->emb_a, p, nm, c->act_dim, c->emb_a));
        snprintf(nm, sizeof nm, "%s.emb_r", prefix); GRSN_TRY(grsn_linear_init(&e->emb_r, p, nm, 1, c->emb_r));
    }
    snprintf(nm, sizeof nm, "%s.emb_o", prefix); GRSN_TRY(grsn_linear_init(&e->emb_o, p, nm, c->obs_dim, c->emb_o));
    int state_size = 0;
    if (c->net == GRSN_NET_MLP) {
        snprintf(nm, sizeof nm, "%s.mlp", prefix); GRSN_TRY(grsn_linear_init(&e->mlp, p, nm, c->emb_o, c->hidden));
    } else {
        GrsnCellConfig cc = c->cell;
        cc.kind = c->net == GRSN_NET_GRSN ? GRSN_CELL_GRSN : c->net == GRSN_NET_LIF ? GRSN_CELL_LIF : GRSN_CELL_GRU;
        cc.in = e->x_dim; cc.hidden = c->hidden;
        snprintf(nm, sizeof nm, "%s.cell", prefix); GRSN_TRY(grsn_cell_init(&e->cell, p, nm, &cc, max_T, max_B));
        state_size = e->cell.state_size;
    }
    int ok = 1, rows = e->max_rows, wmax = e->x_dim > c->hidden ? e->x_dim : c->hidden;
    e->ea = alloc_rows(rows, c->emb_a, &ok);
    e->er = alloc_rows(rows, c->emb_r, &ok);
    e->eo = alloc_rows(rows, c->emb_o, &ok);
    e->x = alloc_rows(rows, e->x_dim, &ok);
    e->z = alloc_rows(rows, c->hidden, &ok);
    e->dx = alloc_rows(rows, wmax, &ok);
    e->de = alloc_rows(rows, wmax, &ok);
    e->state = alloc_rows(max_B, state_size, &ok);
    return ok ? GRSN_OK : GRSN_ERR_OOM;
}

static void encoder_free(Encoder *e) {
    grsn_linear_free(&e->emb_a); grsn_linear_free(&e->emb_r); grsn_linear_free(&e->emb_o);
    grsn_linear_free(&e->mlp);
    if (e->net != GRSN_NET_MLP) grsn_cell_free(&e->cell);
    free(e->ea); free(e->er); free(e->eo); free(e->x); free(e->z); free(e->dx); free(e->de); free(e->state);
    memset(e, 0, sizeof *e);
}

static grsn_status encoder_reset_parameters(Encoder *e, grsn_rng *rng) {
    if (e->net != GRSN_NET_MLP) {
        grsn_init_linear_default(&e->emb_a, rng);
        grsn_init_linear_default(&e->emb_r, rng);
    }
    grsn_init_linear_default(&e->emb_o, rng);
    if (e->net != GRSN_NET_MLP) return grsn_cell_reset_parameters(&e->cell, rng);
    grsn_init_linear_default(&e->mlp, rng);
    return GRSN_OK;
}

// The embeddings of rows [0, rows) into e->x.
static void encoder_embed(Encoder *e, const float *A, const float *R, const float *O, const float *mask, int rows) {
    grsn_linear_forward_act(&e->emb_o, e->eo, O, mask, rows, GRSN_ACT_RELU);
    if (e->net == GRSN_NET_MLP) return;
    grsn_linear_forward_act(&e->emb_a, e->ea, A, mask, rows, GRSN_ACT_RELU);
    grsn_linear_forward_act(&e->emb_r, e->er, R, mask, rows, GRSN_ACT_RELU);
    // Order: action, reward, observation (spec §3.1).
    int wa = e->emb_a.out, wr = e->emb_r.out, wo = e->emb_o.out;
    grsn_copy_cols(e->x, e->x_dim, 0, e->ea, wa, 0, wa, rows);
    grsn_copy_cols(e->x, e->x_dim, wa, e->er, wr, 0, wr, rows);
    grsn_copy_cols(e->x, e->x_dim, wa + wr, e->eo, wo, 0, wo, rows);
}

void encoder_forward(Encoder *e, const float *A, const float *R, const float *O, const float *mask, int T, int B,
                     int grad) {
    int rows = T * B;
    encoder_embed(e, A, R, O, mask, rows);
    if (e->net == GRSN_NET_MLP) {
        grsn_linear_forward_act(&e->mlp, e->z, e->eo, mask, rows, GRSN_ACT_RELU);
        return;
    }
    memset(e->state, 0, (size_t)B * e->cell.state_size * sizeof(float));   // zero state at window start
    if (grad) grsn_cell_forward(&e->cell, e->z, e->state, e->x, mask, T, B);
    else grsn_cell_forward_nograd(&e->cell, e->z, e->state, e->x, mask, T, B);
}

void encoder_backward(Encoder *e, const float *dz, const float *A, const float *R, const float *O,
                      const float *mask, int T, int B) {
    int rows = T * B;
    if (e->net == GRSN_NET_MLP) {
        take_cols_relu(e->de, dz, e->hidden, 0, e->z, e->hidden, rows);
        grsn_zero(e->dx, (size_t)rows * e->x_dim);
        grsn_linear_backward(&e->mlp, e->dx, e->de, e->eo, mask, rows);
        take_cols_relu(e->de, e->dx, e->x_dim, 0, e->eo, e->emb_o.out, rows);
        grsn_linear_backward(&e->emb_o, NULL, e->de, O, mask, rows);
        return;
    }
    grsn_zero(e->dx, (size_t)rows * e->x_dim);
    grsn_cell_backward(&e->cell, e->dx, NULL, dz, e->x, T, B);
    int wa = e->emb_a.out, wr = e->emb_r.out, wo = e->emb_o.out;
    take_cols_relu(e->de, e->dx, e->x_dim, 0, e->ea, wa, rows);
    grsn_linear_backward(&e->emb_a, NULL, e->de, A, mask, rows);
    take_cols_relu(e->de, e->dx, e->x_dim, wa, e->er, wr, rows);
    grsn_linear_backward(&e->emb_r, NULL, e->de, R, mask, rows);
    take_cols_relu(e->de, e->dx, e->x_dim, wa + wr, e->eo, wo, rows);
    grsn_linear_backward(&e->emb_o, NULL, e->de, O, mask, rows);
}

// ----------------------------------------------------------------------------
// Head initialisation (spec §3.4): hidden layers use rlkit's fanin_init, which
// takes size[0] = out_features as the fan-in, with bias 0.1; the last layer is
// U(-w, w) for weight and bias.

static void head_reset(GrsnMLP *m, float last_w, grsn_rng *rng) {
    for (int l = 0; l < m->nlayers; l++) {
        GrsnLinear *L = &m->layer[l];
        if (l < m->nlayers - 1) {
            grsn_init_uniform(L->w, (size_t)L->in * L->out, 1.0f / sqrtf((float)L->out), rng);
            for (int j = 0; j < L->out; j++) L->b[j] = 0.1f;
        } else {
            grsn_init_uniform(L->w, (size_t)L->in * L->out, last_w, rng);
            grsn_init_uniform(L->b, (size_t)L->out, last_w, rng);
        }
    }
}

// ----------------------------------------------------------------------------
// Actor

grsn_status actor_init(Actor *a, GrsnParams *p, const char *prefix, const GrsnAgentConfig *c, int max_T, int max_B) {
    memset(a, 0, sizeof *a);
    a->d_out = c->act_dim; a->discrete = c->discrete;
    GRSN_TRY(encoder_init(&a->enc, p, prefix, c, max_T, max_B));
    char nm[64];
    snprintf(nm, sizeof nm, "%s.short", prefix);
    GRSN_TRY(grsn_linear_init(&a->shortcut, p, nm, c->obs_dim, c->emb_o));
    int hin = c->hidden + c->emb_o, rows = max_T * max_B;
    int sizes[4] = {hin, c->head_hidden, c->head_hidden, c->act_dim};
    snprintf(nm, sizeof nm, "%s.head", prefix);
    GRSN_TRY(grsn_mlp_init(&a->head, p, nm, sizes, 4, GRSN_ACT_RELU,
                           c->discrete ? GRSN_ACT_NONE : GRSN_ACT_TANH, rows));
    int ok = 1;
    a->k = alloc_rows(rows, c->emb_o, &ok);
    a->hin = alloc_rows(rows, hin, &ok);
    a->dhin = alloc_rows(rows, hin, &ok);
    a->dk = alloc_rows(rows, c->emb_o, &ok);
    a->dz = alloc_rows(rows, c->hidden, &ok);
    a->prob = alloc_rows(rows, c->act_dim, &ok);
    a->logp = alloc_rows(rows, c->act_dim, &ok);
    return ok ? GRSN_OK : GRSN_ERR_OOM;
}

void actor_free(Actor *a) {
    encoder_free(&a->enc);
    grsn_linear_free(&a->shortcut);
    grsn_mlp_free(&a->head);
    free(a->k); free(a->hin); free(a->dhin); free(a->dk); free(a->dz); free(a->prob); free(a->logp);
    memset(a, 0, sizeof *a);
}

grsn_status actor_reset_parameters(Actor *a, grsn_rng *rng) {
    grsn_status st = encoder_reset_parameters(&a->enc, rng);
    if (st) return st;
    grsn_init_linear_default(&a->shortcut, rng);
    head_reset(&a->head, 1e-3f, rng);
    return GRSN_OK;
}

// SAC-discrete: pi = softmax(logits), log pi = log(max(pi, 1e-8)) (spec §3.1).
static void policy_probs(Actor *a, const float *logits, int rows) {
    int k = a->d_out;
    grsn_softmax_forward(a->prob, logits, rows, k);
    for (size_t i = 0; i < (size_t)rows * k; i++) a->logp[i] = logf(a->prob[i] > 1e-8f ? a->prob[i] : 1e-8f);
}

static const float *actor_heads(Actor *a, const float *O, const float *mask, int rows) {
    Encoder *e = &a->enc;
    grsn_linear_forward_act(&a->shortcut, a->k, O, mask, rows, GRSN_ACT_RELU);
    grsn_concat_forward(a->hin, e->z, e->hidden, a->k, a->shortcut.out, rows);
    const float *out = grsn_mlp_forward(&a->head, a->hin, mask, rows);
    if (a->discrete) policy_probs(a, out, rows);
    return out;
}

const float *actor_forward(Actor *a, const float *A, const float *R, const float *O, const float *mask, int T, int B,
                          int grad) {
    encoder_forward(&a->enc, A, R, O, mask, T, B, grad);
    return actor_heads(a, O, mask, T * B);
}

void actor_backward(Actor *a, const float *dout, const float *A, const float *R, const float *O,
                    const float *mask, int T, int B) {
    int rows = T * B, H = a->enc.hidden, w = a->shortcut.out;
    grsn_zero(a->dhin, (size_t)rows * (H + w));
    grsn_mlp_backward(&a->head, a->dhin, dout, a->hin, mask, rows);
    grsn_copy_cols(a->dz, H, 0, a->dhin, H + w, 0, H, rows);
    take_cols_relu(a->dk, a->dhin, H + w, H, a->k, w, rows);
    grsn_linear_backward(&a->shortcut, NULL, a->dk, O, mask, rows);
    encoder_backward(&a->enc, a->dz, A, R, O, mask, T, B);
}

void actor_step(Actor *a, float *state, const float *prev_a, float prev_r, const float *obs, float *out, int *spikes) {
    // The same layers and kernels as actor_forward, on one row; the core
    // advances by one update from the carried state (TAP).
    Encoder *e = &a->enc;
    encoder_embed(e, prev_a, &prev_r, obs, NULL, 1);
    if (e->net == GRSN_NET_MLP) {
        grsn_linear_forward_act(&e->mlp, e->z, e->eo, NULL, 1, GRSN_ACT_RELU);
    } else {
        grsn_cell_step(&e->cell, e->z, state, e->x, 1);
    }
    if (spikes) {
        int n = 0;
        if (e->net == GRSN_NET_GRSN || e->net == GRSN_NET_LIF) {
            const float *spk = grsn_cell_step_spikes(&e->cell, e->z);
            for (int j = 0; j < e->hidden; j++) n += spk[j] != 0.0f;
        }
        *spikes = n;
    }
    const float *o = actor_heads(a, obs, NULL, 1);
    memcpy(out, o, (size_t)a->d_out * sizeof(float));
}

// ----------------------------------------------------------------------------
// Critic

grsn_status critic_init(Critic *q, GrsnParams *p, const char *prefix, const GrsnAgentConfig *c, int max_T, int max_B) {
    memset(q, 0, sizeof *q);
    q->discrete = c->discrete;
    q->d_out = c->discrete ? c->act_dim : 1;
    q->short_in = c->discrete ? c->obs_dim : c->obs_dim + c->act_dim;
    q->short_w = c->emb_a + c->emb_r + c->emb_o;   // the recurrent input width (spec §3.2)
    GRSN_TRY(encoder_init(&q->enc, p, prefix, c, max_T, max_B));
    char nm[64];
    snprintf(nm, sizeof nm, "%s.short", prefix);
    GRSN_TRY(grsn_linear_init(&q->shortcut, p, nm, q->short_in, q->short_w));
    int hin = c->hidden + q->short_w, rows = max_T * max_B;
    int sizes[4] = {hin, c->head_hidden, c->head_hidden, q->d_out};
    for (int i = 0; i < 2; i++) {
        snprintf(nm, sizeof nm, "%s.q%d", prefix, i + 1);
        GRSN_TRY(grsn_mlp_init(&q->q[i], p, nm, sizes, 4, GRSN_ACT_RELU, GRSN_ACT_NONE, rows));
    }
    int ok = 1;
    q->sin = alloc_rows(rows, q->short_in, &ok);
    q->k = alloc_rows(rows, q->short_w, &ok);
    q->hin = alloc_rows(rows, hin, &ok);
    q->dhin = alloc_rows(rows, hin, &ok);
    q->dk = alloc_rows(rows, q->short_w, &ok);
    q->dz = alloc_rows(rows, c->hidden, &ok);
    q->dsin = alloc_rows(rows, q->short_in, &ok);
    return ok ? GRSN_OK : GRSN_ERR_OOM;
}

void critic_free(Critic *q) {
    encoder_free(&q->enc);
    grsn_linear_free(&q->shortcut);
    grsn_mlp_free(&q->q[0]); grsn_mlp_free(&q->q[1]);
    free(q->sin); free(q->k); free(q->hin); free(q->dhin); free(q->dk); free(q->dz); free(q->dsin);
    memset(q, 0, sizeof *q);
}

grsn_status critic_reset_parameters(Critic *q, grsn_rng *rng) {
    grsn_status st = encoder_reset_parameters(&q->enc, rng);
    if (st) return st;
    grsn_init_linear_default(&q->shortcut, rng);
    head_reset(&q->q[0], 3e-3f, rng);
    head_reset(&q->q[1], 3e-3f, rng);
    return GRSN_OK;
}

void critic_heads_forward(Critic *q, const float *O, const float *act, const float *mask, int rows,
                          float *q1, float *q2) {
    const float *sin = O;
    if (!q->discrete) {
        int d_o = q->enc.d_o, d_a = q->enc.d_a;
        grsn_concat_forward(q->sin, O, d_o, act, d_a, rows);   // [o_t, a_t]
        sin = q->sin;
    }
    grsn_linear_forward_act(&q->shortcut, q->k, sin, mask, rows, GRSN_ACT_RELU);
    grsn_concat_forward(q->hin, q->enc.z, q->enc.hidden, q->k, q->short_w, rows);
    memcpy(q1, grsn_mlp_forward(&q->q[0], q->hin, mask, rows), (size_t)rows * q->d_out * sizeof(float));
    memcpy(q2, grsn_mlp_forward(&q->q[1], q->hin, mask, rows), (size_t)rows * q->d_out * sizeof(float));
}

void critic_heads_backward(Critic *q, const float *dq1, const float *mask1, const float *dq2, const float *mask2,
                           const float *O, const float *mask, int rows, float *dact) {
    int H = q->enc.hidden, w = q->short_w;
    grsn_zero(q->dhin, (size_t)rows * (H + w));
    // Both heads read the same input; their gradients add. With dact (the
    // actor's loss) only input gradients are needed, and of the head input
    // [z, k] only the shortcut part k, through which the action enters: the
    // critic is not updated from this pass, nor is its encoder.
    if (dact) {
        grsn_mlp_backward_input_cols(&q->q[0], q->dhin, dq1, mask1, rows, H, w);
        grsn_mlp_backward_input_cols(&q->q[1], q->dhin, dq2, mask2, rows, H, w);
    } else {
        grsn_mlp_backward(&q->q[0], q->dhin, dq1, q->hin, mask1, rows);
        grsn_mlp_backward(&q->q[1], q->dhin, dq2, q->hin, mask2, rows);
        grsn_copy_cols(q->dz, H, 0, q->dhin, H + w, 0, H, rows);
    }
    take_cols_relu(q->dk, q->dhin, H + w, H, q->k, w, rows);
    if (!dact) {
        grsn_linear_backward(&q->shortcut, NULL, q->dk, q->discrete ? O : q->sin, mask, rows);
    } else {
        grsn_zero(q->dsin, (size_t)rows * q->short_in);
        grsn_matmul_backward(q->dsin, NULL, NULL, q->dk, NULL, q->shortcut.w, mask, rows, q->short_in, q->short_w);
        int d_o = q->enc.d_o, d_a = q->enc.d_a;
        grsn_copy_cols(dact, d_a, 0, q->dsin, q->short_in, d_o, d_a, rows);
    }
}
