/*
 * ops.c — dense maths over rows: matrix products (forward and backward),
 * element-wise activations, softmax / log-softmax and concatenation.
 *
 * Threading: a forward pass splits rows, a backward pass splits rows for dx
 * and output features for dW, and every sum runs in a fixed order inside one
 * thread, so the result does not depend on the thread count.
 */
#include "common.h"
#include "kernels.h"

static inline int row_on(const float *mask, int n) { return !mask || mask[n] != 0.0f; }

void grsn_matmul_forward(float *y, const float *x, const float *w, const float *b,
                         const float *mask, int N, int in, int out) {
    #pragma omp parallel for schedule(static) if ((long)N * in * out > GRSN_PAR_MIN_WORK)
    for (int n = 0; n < N; n++) {
        float *yn = y + (size_t)n * out;
        if (!row_on(mask, n)) { memset(yn, 0, (size_t)out * sizeof(float)); continue; }
        const float *xn = x + (size_t)n * in;
        for (int o = 0; o < out; o++)
            yn[o] = grsn_dot(xn, w + (size_t)o * in, in) + (b ? b[o] : 0.0f);
    }
}

void grsn_matmul_backward(float *dx, float *dw, float *db, const float *dy,
                          const float *x, const float *w, const float *mask,
                          int N, int in, int out) {
    long work = (long)N * in * out;
    if (dx) {
        // dx[n] += sum_o dy[n][o] W[o]: rows are independent.
        #pragma omp parallel for schedule(static) if (work > GRSN_PAR_MIN_WORK)
        for (int n = 0; n < N; n++) {
            if (!row_on(mask, n)) continue;
            const float *dyn = dy + (size_t)n * out;
            float *dxn = dx + (size_t)n * in;
            for (int o = 0; o < out; o++)
                if (dyn[o] != 0.0f) grsn_axpy(dxn, dyn[o], w + (size_t)o * in, in);
        }
    }
    // dW[o] += sum_n dy[n][o] x[n] and db[o] += sum_n dy[n][o]: features are
    // independent; n runs in order inside each.
    #pragma omp parallel for schedule(static) if (work > GRSN_PAR_MIN_WORK)
    for (int o = 0; o < out; o++) {
        float *dwo = dw + (size_t)o * in;
        float bsum = 0.0f;
        for (int n = 0; n < N; n++) {
            if (!row_on(mask, n)) continue;
            float g = dy[(size_t)n * out + o];
            if (g == 0.0f) continue;
            grsn_axpy(dwo, g, x + (size_t)n * in, in);
            bsum += g;
        }
        if (db) db[o] += bsum;
    }
}

void grsn_act_forward(grsn_act a, float *y, const float *x, size_t n) {
    switch (a) {
    case GRSN_ACT_NONE: if (y != x) memmove(y, x, n * sizeof(float)); break;
    case GRSN_ACT_RELU: for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f; break;
    case GRSN_ACT_TANH: for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]); break;
    case GRSN_ACT_SIGMOID: for (size_t i = 0; i < n; i++) y[i] = grsn_sigmoidf(x[i]); break;
    }
}

void grsn_act_backward(grsn_act a, float *dx, const float *dy, const float *y, size_t n) {
    switch (a) {
    case GRSN_ACT_NONE: for (size_t i = 0; i < n; i++) dx[i] += dy[i]; break;
    case GRSN_ACT_RELU: for (size_t i = 0; i < n; i++) if (y[i] > 0.0f) dx[i] += dy[i]; break;
    case GRSN_ACT_TANH: for (size_t i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]); break;
    case GRSN_ACT_SIGMOID: for (size_t i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]); break;
    }
}

void grsn_softmax_forward(float *p, const float *logits, int N, int k) {
    for (int n = 0; n < N; n++) {
        const float *l = logits + (size_t)n * k; float *pn = p + (size_t)n * k;
        float mx = l[0];
        for (int j = 1; j < k; j++) mx = l[j] > mx ? l[j] : mx;
        float s = 0.0f;
        for (int j = 0; j < k; j++) { pn[j] = expf(l[j] - mx); s += pn[j]; }
        for (int j = 0; j < k; j++) pn[j] /= s;
    }
}

void grsn_log_softmax_forward(float *lp, const float *logits, int N, int k) {
    for (int n = 0; n < N; n++) {
        const float *l = logits + (size_t)n * k; float *o = lp + (size_t)n * k;
        float mx = l[0];
        for (int j = 1; j < k; j++) mx = l[j] > mx ? l[j] : mx;
        float s = 0.0f;
        for (int j = 0; j < k; j++) s += expf(l[j] - mx);
        float lse = mx + logf(s);
        for (int j = 0; j < k; j++) o[j] = l[j] - lse;
    }
}

void grsn_softmax_backward(float *dlogits, const float *dp, const float *p, int N, int k) {
    for (int n = 0; n < N; n++) {
        const float *pn = p + (size_t)n * k, *g = dp + (size_t)n * k;
        float dotp = 0.0f;
        for (int j = 0; j < k; j++) dotp += g[j] * pn[j];
        for (int j = 0; j < k; j++) dlogits[(size_t)n * k + j] += pn[j] * (g[j] - dotp);
    }
}

void grsn_log_softmax_backward(float *dlogits, const float *dlp, const float *lp, int N, int k) {
    for (int n = 0; n < N; n++) {
        const float *l = lp + (size_t)n * k, *g = dlp + (size_t)n * k;
        float s = 0.0f;
        for (int j = 0; j < k; j++) s += g[j];
        for (int j = 0; j < k; j++) dlogits[(size_t)n * k + j] += g[j] - expf(l[j]) * s;
    }
}

void grsn_concat_forward(float *y, const float *a, int na, const float *b, int nb, int N) {
    for (int n = 0; n < N; n++) {
        memcpy(y + (size_t)n * (na + nb), a + (size_t)n * na, (size_t)na * sizeof(float));
        memcpy(y + (size_t)n * (na + nb) + na, b + (size_t)n * nb, (size_t)nb * sizeof(float));
    }
}

void grsn_concat_backward(float *da, float *db, const float *dy, int na, int nb, int N) {
    for (int n = 0; n < N; n++) {
        const float *g = dy + (size_t)n * (na + nb);
        if (da) for (int j = 0; j < na; j++) da[(size_t)n * na + j] += g[j];
        if (db) for (int j = 0; j < nb; j++) db[(size_t)n * nb + j] += g[na + j];
    }
}
