/*
 * qmix_net.c — the QMIX agent network and hypernetwork mixer
 * (reference-implementation.md §9.2-9.4), each a forward pass over rows that
 * caches what its backward pass needs, and the agent's one-step act.
 */
#include "qmix_net.h"

static float *alloc_floats(size_t n, int *ok) {
    float *p = grsn_calloc(n ? n : 1, sizeof(float));
    *ok &= p != NULL;
    return p;
}


// ----------------------------------------------------------------------------
// Agent network

grsn_status qagent_init(QAgent *a, GrsnParams *p, const char *prefix, grsn_net net, const GrsnCellConfig *cell,
                        int d_in, int hidden, int decoder, float leak, int n_actions, int max_T, int max_B) {
    memset(a, 0, sizeof *a);
    if (decoder < 0) return grsn_fail(GRSN_ERR_ARG, "qmix decoder width %d must be >= 0 (0: the paper's linear fc2)", decoder);
    if (!(leak >= 0.0f && leak < 1.0f))
        return grsn_fail(GRSN_ERR_ARG, "qmix q_leak %g must lie in [0, 1) (0: the paper's Q = fc2(...))", leak);
    a->net = net; a->d_in = d_in; a->hidden = hidden; a->decoder = decoder; a->leak = leak; a->n_actions = n_actions;
    a->max_rows = max_T * max_B;
    char nm[64];
    snprintf(nm, sizeof nm, "%s.fc1", prefix);
    GRSN_TRY(grsn_linear_init(&a->fc1, p, nm, d_in, hidden));
    GrsnCellConfig cc = *cell;
    cc.kind = net == GRSN_NET_GRSN ? GRSN_CELL_GRSN : net == GRSN_NET_LIF ? GRSN_CELL_LIF : GRSN_CELL_GRU;
    cc.in = hidden; cc.hidden = hidden;
    snprintf(nm, sizeof nm, "%s.cell", prefix);
    GRSN_TRY(grsn_cell_init(&a->cell, p, nm, &cc, max_T, max_B));
    if (decoder) {
        snprintf(nm, sizeof nm, "%s.dec", prefix);
        GRSN_TRY(grsn_linear_init(&a->dec, p, nm, hidden, decoder));
    }
    snprintf(nm, sizeof nm, "%s.fc2", prefix);
    GRSN_TRY(grsn_linear_init(&a->fc2, p, nm, decoder ? decoder : hidden, n_actions));
    int ok = 1;
    size_t rows = (size_t)a->max_rows;
    a->h1 = alloc_floats(rows * hidden, &ok);
    a->z = alloc_floats(rows * hidden, &ok);
    a->q = alloc_floats(rows * n_actions, &ok);
    a->dz = alloc_floats(rows * hidden, &ok);
    a->dh1 = alloc_floats(rows * hidden, &ok);
    if (decoder) {
        a->d1 = alloc_floats(rows * decoder, &ok);
        a->dd1 = alloc_floats(rows * decoder, &ok);
    }
    a->state0 = alloc_floats((size_t)max_B * a->cell.state_size, &ok);
    if (leak > 0.0f) {
        a->y0 = alloc_floats((size_t)max_B * n_actions, &ok);
        a->dy = alloc_floats((size_t)max_B * n_actions, &ok);
        a->dq_in = alloc_floats(rows * n_actions, &ok);
    }
    return ok ? GRSN_OK : GRSN_ERR_OOM;
}

void qagent_free(QAgent *a) {
    grsn_linear_free(&a->fc1); grsn_linear_free(&a->fc2);
    if (a->decoder) grsn_linear_free(&a->dec);
    if (a->cell.wt) grsn_cell_free(&a->cell);
    free(a->h1); free(a->z); free(a->q); free(a->dz); free(a->dh1); free(a->state0);
    free(a->d1); free(a->dd1); free(a->y0); free(a->dy); free(a->dq_in);
    memset(a, 0, sizeof *a);
}

int qagent_state_size(const QAgent *a) { return a->cell.state_size + (a->leak > 0.0f ? a->n_actions : 0); }

// One step of the leaky output neurons on n values: y = leak y + q, and q
// takes the new y. Their adjoint runs the same recurrence backwards in time
// (dy = dq + leak dy).
static void leak_step(float leak, float *q, float *y, int n) {
    for (int k = 0; k < n; k++) y[k] = q[k] = leak * y[k] + q[k];
}

void qagent_reset_parameters(QAgent *a, grsn_rng *rng) {
    grsn_init_linear_default(&a->fc1, rng);
    GrsnCell *c = &a->cell;
    int H = a->hidden, in = a->hidden;
    float bin = 1.0f / sqrtf((float)in), bh = 1.0f / sqrtf((float)H);
    switch (c->cfg.kind) {
    case GRSN_CELL_GRSN:       // two nn.Linear(in, H) gates, Eq. 14
        grsn_init_uniform(c->w_f, (size_t)H * in, bin, rng);
        grsn_init_uniform(c->b_f, (size_t)H, bin, rng);
        grsn_init_uniform(c->w_i, (size_t)H * in, bin, rng);
        grsn_init_uniform(c->b_i, (size_t)H, bin, rng);
        if (c->w_in) {         // gates on the previous spikes (spec §2.8): the input current's nn.Linear(in, H)
            grsn_init_uniform(c->w_in, (size_t)H * in, bin, rng);
            grsn_init_uniform(c->b_in, (size_t)H, bin, rng);
        }
        break;
    case GRSN_CELL_LIF:        // one nn.Linear(in, H) current, Eq. 2
        grsn_init_uniform(c->w_i, (size_t)H * in, bin, rng);
        grsn_init_uniform(c->b_i, (size_t)H, bin, rng);
        break;
    case GRSN_CELL_GRU:        // nn.GRUCell: every tensor U(-1/sqrt(H), 1/sqrt(H))
        grsn_init_uniform(c->w_ih, (size_t)3 * H * in, bh, rng);
        grsn_init_uniform(c->w_hh, (size_t)3 * H * H, bh, rng);
        grsn_init_uniform(c->b_ih, (size_t)3 * H, bh, rng);
        grsn_init_uniform(c->b_hh, (size_t)3 * H, bh, rng);
        break;
    }
    grsn_cell_reset_beta(c);
    if (a->decoder) grsn_init_linear_default(&a->dec, rng);
    grsn_init_linear_default(&a->fc2, rng);
}

const float *qagent_forward(QAgent *a, const float *x, const float *mask, int T, int B, int grad) {
    size_t rows = (size_t)T * B;
    GRSN_ASSERT(rows <= (size_t)a->max_rows, "qagent forward: %zu rows > %d", rows, a->max_rows);
    grsn_linear_forward_act(&a->fc1, a->h1, x, mask, (int)rows, GRSN_ACT_RELU);
    memset(a->state0, 0, (size_t)B * a->cell.state_size * sizeof(float));   // zero state at t = 0 (§9.3)
    if (grad) grsn_cell_forward(&a->cell, a->z, a->state0, a->h1, mask, T, B);
    else grsn_cell_forward_nograd(&a->cell, a->z, a->state0, a->h1, mask, T, B);
    qagent_decode(a, a->q, a->z, mask, (int)rows);
    if (a->leak > 0.0f) {
        // Leaky output neurons over the window from y = 0: y_t = leak y_{t-1} + q_t
        // at valid steps; a masked step holds y and outputs 0.
        int A = a->n_actions;
        memset(a->y0, 0, (size_t)B * A * sizeof(float));
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                size_t row = (size_t)t * B + b;
                if (mask && mask[row] == 0.0f) continue;
                leak_step(a->leak, a->q + row * A, a->y0 + (size_t)b * A, A);
            }
    }
    return a->q;
}

void qagent_decode(QAgent *a, float *q, const float *z, const float *mask, int rows) {
    if (!a->decoder) { grsn_linear_forward(&a->fc2, q, z, mask, rows); return; }
    grsn_linear_forward_act(&a->dec, a->d1, z, mask, rows, GRSN_ACT_RELU);
    grsn_linear_forward(&a->fc2, q, a->d1, mask, rows);
}

void qagent_backward(QAgent *a, const float *dq, const float *x, const float *mask, int T, int B) {
    size_t rows = (size_t)T * B, n = rows * a->hidden;
    if (a->leak > 0.0f) {
        // Through the leaky outputs, backwards: dy_t = dq_t + leak dy_{t+1} is
        // the adjoint of fc2's output at t; a masked step passes dy through.
        int A = a->n_actions;
        memset(a->dy, 0, (size_t)B * A * sizeof(float));
        for (int t = T - 1; t >= 0; t--)
            for (int b = 0; b < B; b++) {
                size_t row = (size_t)t * B + b;
                float *d = a->dq_in + row * A;
                if (mask && mask[row] == 0.0f) { memset(d, 0, (size_t)A * sizeof(float)); continue; }
                memcpy(d, dq + row * A, (size_t)A * sizeof(float));
                leak_step(a->leak, d, a->dy + (size_t)b * A, A);
            }
        dq = a->dq_in;
    }
    grsn_zero(a->dz, n);
    if (a->decoder) {
        size_t nd = rows * a->decoder;
        grsn_zero(a->dd1, nd);
        grsn_linear_backward(&a->fc2, a->dd1, dq, a->d1, mask, (int)rows);
        grsn_act_backward_set(GRSN_ACT_RELU, a->dd1, a->dd1, a->d1, nd);   // ReLU', in place
        grsn_linear_backward(&a->dec, a->dz, a->dd1, a->z, mask, (int)rows);
    } else {
        grsn_linear_backward(&a->fc2, a->dz, dq, a->z, mask, (int)rows);
    }
    grsn_zero(a->dh1, n);
    grsn_cell_backward(&a->cell, a->dh1, NULL, a->dz, a->h1, T, B);
    grsn_act_backward_set(GRSN_ACT_RELU, a->dh1, a->dh1, a->h1, n);
    grsn_linear_backward(&a->fc1, NULL, a->dh1, x, mask, (int)rows);
}

void qagent_step(QAgent *a, float *q, float *state, const float *x, int B) {
    // fc1, ReLU, one core update from the carried state (TAP), the decoder:
    // the layers and kernels of qagent_forward, on B rows.
    grsn_linear_forward_act(&a->fc1, a->h1, x, NULL, B, GRSN_ACT_RELU);
    grsn_cell_step(&a->cell, a->z, state, a->h1, B);
    qagent_decode(a, q, a->z, NULL, B);
    qagent_integrate(a, q, state, B);
}

void qagent_integrate(const QAgent *a, float *q, float *state, int B) {
    if (a->leak > 0.0f)   // y sits after the core's state
        leak_step(a->leak, q, state + (size_t)B * a->cell.state_size, B * a->n_actions);
}

// ----------------------------------------------------------------------------
// Mixer

grsn_status qmixer_init(QMixer *m, GrsnParams *p, const char *prefix, int n_agents, int state_dim,
                        int embed, int hyper, int max_rows) {
    memset(m, 0, sizeof *m);
    m->n_agents = n_agents; m->state_dim = state_dim; m->embed = embed; m->hyper = hyper;
    m->max_rows = max_rows;
    char nm[64];
    int w1[3] = {state_dim, hyper, n_agents * embed}, w2[3] = {state_dim, hyper, embed}, b2[3] = {state_dim, embed, 1};
    snprintf(nm, sizeof nm, "%s.hyper_w1", prefix);
    GRSN_TRY(grsn_mlp_init(&m->hyper_w1, p, nm, w1, 3, GRSN_ACT_RELU, GRSN_ACT_NONE, max_rows));
    snprintf(nm, sizeof nm, "%s.hyper_b1", prefix);
    GRSN_TRY(grsn_linear_init(&m->hyper_b1, p, nm, state_dim, embed));
    snprintf(nm, sizeof nm, "%s.hyper_w2", prefix);
    GRSN_TRY(grsn_mlp_init(&m->hyper_w2, p, nm, w2, 3, GRSN_ACT_RELU, GRSN_ACT_NONE, max_rows));
    snprintf(nm, sizeof nm, "%s.hyper_b2", prefix);
    GRSN_TRY(grsn_mlp_init(&m->hyper_b2, p, nm, b2, 3, GRSN_ACT_RELU, GRSN_ACT_NONE, max_rows));
    int ok = 1;
    size_t rows = (size_t)max_rows;
    m->b1 = alloc_floats(rows * embed, &ok);
    m->hidden = alloc_floats(rows * embed, &ok);
    m->qtot = alloc_floats(rows, &ok);
    m->dw1 = alloc_floats(rows * n_agents * embed, &ok);
    m->db1 = alloc_floats(rows * embed, &ok);
    m->dw2 = alloc_floats(rows * embed, &ok);
    m->db2 = alloc_floats(rows, &ok);
    return ok ? GRSN_OK : GRSN_ERR_OOM;
}

void qmixer_free(QMixer *m) {
    grsn_mlp_free(&m->hyper_w1); grsn_linear_free(&m->hyper_b1);
    grsn_mlp_free(&m->hyper_w2); grsn_mlp_free(&m->hyper_b2);
    free(m->b1); free(m->hidden); free(m->qtot); free(m->dw1); free(m->db1); free(m->dw2); free(m->db2);
    memset(m, 0, sizeof *m);
}

void qmixer_reset_parameters(QMixer *m, grsn_rng *rng) {
    // nn.Linear defaults throughout (pymarl2 leaves the mixer at PyTorch's init).
    for (int l = 0; l < 2; l++) grsn_init_linear_default(&m->hyper_w1.layer[l], rng);
    grsn_init_linear_default(&m->hyper_b1, rng);
    for (int l = 0; l < 2; l++) grsn_init_linear_default(&m->hyper_w2.layer[l], rng);
    for (int l = 0; l < 2; l++) grsn_init_linear_default(&m->hyper_b2.layer[l], rng);
}

static float elu(float x) { return x > 0.0f ? x : expm1f(x); }
static float sgn(float x) { return (float)((x > 0.0f) - (x < 0.0f)); }   // d|x|/dx, 0 at 0 as in PyTorch

const float *qmixer_forward(QMixer *m, const float *q, const float *s, const float *mask, int rows) {
    GRSN_ASSERT(rows <= m->max_rows, "qmixer forward: %d rows > %d", rows, m->max_rows);
    int n = m->n_agents, E = m->embed;
    // The hypernetworks: raw weights and biases of the mixing network, per row.
    const float *w1 = grsn_mlp_forward(&m->hyper_w1, s, mask, rows);   // [rows][n*E], view [n][E]
    grsn_linear_forward(&m->hyper_b1, m->b1, s, mask, rows);           // [rows][E]
    const float *w2 = grsn_mlp_forward(&m->hyper_w2, s, mask, rows);   // [rows][E]
    const float *b2 = grsn_mlp_forward(&m->hyper_b2, s, mask, rows);   // [rows][1]
    // Q_tot = |w2| . ELU(q |W1| + b1) + b2 (§9.3); rows are independent.
    #pragma omp parallel for schedule(static) if ((long)rows * n * E > GRSN_PAR_MIN_WORK)
    for (int r = 0; r < rows; r++) {
        float *h = m->hidden + (size_t)r * E;
        if (mask && mask[r] == 0.0f) { memset(h, 0, (size_t)E * sizeof(float)); m->qtot[r] = 0.0f; continue; }
        const float *qr = q + (size_t)r * n, *w1r = w1 + (size_t)r * n * E, *b1r = m->b1 + (size_t)r * E;
        const float *w2r = w2 + (size_t)r * E;
        for (int k = 0; k < E; k++) {
            float acc = 0.0f;
            for (int a = 0; a < n; a++) acc += qr[a] * fabsf(w1r[(size_t)a * E + k]);
            h[k] = elu(acc + b1r[k]);
        }
        float y = 0.0f;
        for (int k = 0; k < E; k++) y += h[k] * fabsf(w2r[k]);
        m->qtot[r] = y + b2[r];
    }
    return m->qtot;
}

void qmixer_backward(QMixer *m, float *dq, const float *dqtot, const float *q, const float *s,
                     const float *mask, int rows) {
    int n = m->n_agents, E = m->embed;
    const float *w1 = m->hyper_w1.act[1], *w2 = m->hyper_w2.act[1];
    #pragma omp parallel for schedule(static) if ((long)rows * n * E > GRSN_PAR_MIN_WORK)
    for (int r = 0; r < rows; r++) {
        float *dw1 = m->dw1 + (size_t)r * n * E, *db1 = m->db1 + (size_t)r * E, *dw2 = m->dw2 + (size_t)r * E;
        float *dqr = dq ? dq + (size_t)r * n : NULL;
        if (mask && mask[r] == 0.0f) {
            memset(dw1, 0, (size_t)n * E * sizeof(float)); memset(db1, 0, (size_t)E * sizeof(float));
            memset(dw2, 0, (size_t)E * sizeof(float)); m->db2[r] = 0.0f;
            if (dqr) memset(dqr, 0, (size_t)n * sizeof(float));
            continue;
        }
        const float *qr = q + (size_t)r * n, *w1r = w1 + (size_t)r * n * E, *w2r = w2 + (size_t)r * E;
        const float *h = m->hidden + (size_t)r * E;
        float g = dqtot[r];
        m->db2[r] = g;
        for (int k = 0; k < E; k++) {
            dw2[k] = g * h[k] * sgn(w2r[k]);
            float dh = g * fabsf(w2r[k]);
            db1[k] = dh * (h[k] > 0.0f ? 1.0f : h[k] + 1.0f);   // ELU'(x) = 1 (x > 0), exp(x) = ELU(x) + 1
        }
        for (int a = 0; a < n; a++) {
            float acc = 0.0f;
            for (int k = 0; k < E; k++) {
                float w = w1r[(size_t)a * E + k];
                dw1[(size_t)a * E + k] = db1[k] * qr[a] * sgn(w);
                acc += db1[k] * fabsf(w);
            }
            if (dqr) dqr[a] = acc;
        }
    }
    grsn_mlp_backward(&m->hyper_w1, NULL, m->dw1, s, mask, rows);
    grsn_linear_backward(&m->hyper_b1, NULL, m->db1, s, mask, rows);
    grsn_mlp_backward(&m->hyper_w2, NULL, m->dw2, s, mask, rows);
    grsn_mlp_backward(&m->hyper_b2, NULL, m->db2, s, mask, rows);
}
