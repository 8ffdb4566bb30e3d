/*
 * linear.c — the Linear layer (y = x W^T + b) and the MLP built from it.
 */
#include "common.h"

grsn_status grsn_linear_init(GrsnLinear *l, GrsnParams *p, const char *name, int in, int out) {
    if (in <= 0 || out <= 0)
        return grsn_fail(GRSN_ERR_ARG, "linear %s: impossible size %d -> %d", name, in, out);
    memset(l, 0, sizeof *l);
    l->in = in; l->out = out;
    char nm[64];
    snprintf(nm, sizeof nm, "%s.w", name);
    GRSN_TRY(grsn_params_add(p, nm, out, in, &l->w, &l->dw));
    snprintf(nm, sizeof nm, "%s.b", name);
    GRSN_TRY(grsn_params_add(p, nm, out, 1, &l->b, &l->db));
    l->wt = grsn_calloc((size_t)in * out, sizeof(float));
    l->w_seen = grsn_calloc((size_t)in * out, sizeof(float));
    if (!l->wt || !l->w_seen) { grsn_linear_free(l); return GRSN_ERR_OOM; }
    return GRSN_OK;
}

void grsn_linear_free(GrsnLinear *l) {
    free(l->wt); free(l->w_seen);
    l->wt = l->w_seen = NULL;
}

void grsn_linear_forward(GrsnLinear *l, float *y, const float *x, const float *mask, int N) {
    grsn_linear_forward_act(l, y, x, mask, N, GRSN_ACT_NONE);
}

void grsn_linear_forward_act(GrsnLinear *l, float *y, const float *x, const float *mask, int N, grsn_act act) {
    grsn_transpose_cached(l->wt, l->w_seen, l->w, l->out, l->in);
    grsn_matmul_forward_act(y, x, l->wt, l->b, mask, N, l->in, l->out, act);
}

void grsn_linear_backward(GrsnLinear *l, float *dx, const float *dy, const float *x,
                          const float *mask, int N) {
    grsn_matmul_backward(dx, l->dw, l->db, dy, x, l->w, mask, N, l->in, l->out);
}

grsn_status grsn_mlp_init(GrsnMLP *m, GrsnParams *p, const char *name, const int *sizes,
                          int nsizes, grsn_act hidden_act, grsn_act out_act, int max_rows) {
    memset(m, 0, sizeof *m);
    if (nsizes < 2 || nsizes - 1 > GRSN_MLP_MAX_LAYERS)
        return grsn_fail(GRSN_ERR_ARG, "mlp %s: %d layers (1 to %d allowed)", name, nsizes - 1, GRSN_MLP_MAX_LAYERS);
    if (max_rows <= 0) return grsn_fail(GRSN_ERR_ARG, "mlp %s: max_rows %d must be > 0", name, max_rows);
    m->nlayers = nsizes - 1;
    m->hidden_act = hidden_act; m->out_act = out_act; m->max_rows = max_rows;
    int width = 0;
    for (int i = 0; i < nsizes; i++) width = sizes[i] > width ? sizes[i] : width;
    for (int l = 0; l < m->nlayers; l++) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s.%d", name, l);
        GRSN_TRY(grsn_linear_init(&m->layer[l], p, nm, sizes[l], sizes[l + 1]));
        m->act[l] = grsn_calloc((size_t)max_rows * sizes[l + 1], sizeof(float));
        if (!m->act[l]) { grsn_mlp_free(m); return GRSN_ERR_OOM; }
    }
    for (int k = 0; k < 2; k++) {
        m->scratch[k] = grsn_calloc((size_t)max_rows * width, sizeof(float));
        if (!m->scratch[k]) { grsn_mlp_free(m); return GRSN_ERR_OOM; }
    }
    return GRSN_OK;
}

void grsn_mlp_free(GrsnMLP *m) {
    for (int l = 0; l < GRSN_MLP_MAX_LAYERS; l++) { free(m->act[l]); grsn_linear_free(&m->layer[l]); }
    free(m->scratch[0]); free(m->scratch[1]);
    memset(m, 0, sizeof *m);
}

static grsn_act layer_act(const GrsnMLP *m, int l) {
    return l == m->nlayers - 1 ? m->out_act : m->hidden_act;
}

const float *grsn_mlp_forward(GrsnMLP *m, const float *x, const float *mask, int N) {
    GRSN_ASSERT(N <= m->max_rows, "mlp forward: %d rows > max_rows %d", N, m->max_rows);
    const float *in = x;
    for (int l = 0; l < m->nlayers; l++) {
        GrsnLinear *L = &m->layer[l];
        grsn_linear_forward_act(L, m->act[l], in, mask, N, layer_act(m, l));
        in = m->act[l];
    }
    return m->act[m->nlayers - 1];
}

// Backward through the stack; parameter gradients only if param_grads, and
// of the input gradient only columns col0 .. col0+ncols-1.
static void mlp_backward(GrsnMLP *m, float *dx, const float *dy, const float *x,
                         const float *mask, int N, int param_grads, int col0, int ncols) {
    // scratch[0] holds the pre-activation gradient of the current layer,
    // scratch[1] the gradient of its input, which is the next (lower) layer's
    // output gradient. Each is consumed before it is overwritten.
    float *dpre = m->scratch[0], *dhid = m->scratch[1];
    const float *g = dy;           // gradient of layer l's activated output
    for (int l = m->nlayers - 1; l >= 0; l--) {
        GrsnLinear *L = &m->layer[l];
        grsn_act_backward_set(layer_act(m, l), dpre, g, m->act[l], (size_t)N * L->out);
        // The caller's dx (l = 0) is added to; a hidden layer's is written.
        if (l == 0) {
            if (param_grads) grsn_linear_backward(L, dx, dpre, x, mask, N);
            else if (dx) grsn_matmul_backward_dx_cols(dx, dpre, L->w, mask, N, L->in, L->out, col0, ncols);
        } else {
            grsn_matmul_backward_set(dhid, param_grads ? L->dw : NULL, param_grads ? L->db : NULL, dpre,
                                     m->act[l - 1], L->w, mask, N, L->in, L->out);
        }
        g = dhid;   // read by layer l - 1 only
    }
}

void grsn_mlp_backward(GrsnMLP *m, float *dx, const float *dy, const float *x,
                       const float *mask, int N) {
    mlp_backward(m, dx, dy, x, mask, N, 1, 0, m->layer[0].in);
}

void grsn_mlp_backward_input(GrsnMLP *m, float *dx, const float *dy, const float *mask, int N) {
    mlp_backward(m, dx, dy, NULL, mask, N, 0, 0, m->layer[0].in);
}

void grsn_mlp_backward_input_cols(GrsnMLP *m, float *dx, const float *dy, const float *mask, int N,
                                  int col0, int ncols) {
    mlp_backward(m, dx, dy, NULL, mask, N, 0, col0, ncols);
}
