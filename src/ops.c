/*
 * ops.c — dense maths over rows: matrix products (forward and backward),
 * element-wise activations, softmax / log-softmax and concatenation.
 *
 * Threading: a forward pass splits rows, a backward pass splits rows for dx
 * and output features for dW, and every sum runs in a fixed order inside one
 * thread, so the result does not depend on the thread count.
 */
#include "common.h"


void grsn_transpose(float *wt, const float *w, int rows, int cols) {
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) wt[(size_t)c * rows + r] = w[(size_t)r * cols + c];
}

// ----------------------------------------------------------------------------
// The one product kernel. For rows r of a tile (at most 4):
//
//     C[r][j] = init[j] + A(r,0) M[0][j] + A(r,1) M[1][j] + ...   (k ascending)
//
// with A(r, k) = a[r * ars + k * acs], so the forward pass (A = x, M = W^T),
// the input gradient (A = dy, M = W) and the weight gradient (A = dy^T,
// M = x) are all this loop. Accumulators are 8- or 16-wide vectors
// (GCC/clang vector extension) held in registers; a column remainder runs the same
// arithmetic one float at a time. Terms whose A values are all zero are
// skipped, which leaves the sums unchanged and makes spike-fed layers cost
// only their active inputs. This file is compiled with -ffp-contract=fast
// (see the Makefile), so on a machine with FMA every "acc += a * m", vector
// or scalar, is one fused multiply-add, and without FMA none is: either way
// every path gives the same bits.

#if defined(__AVX512F__)
#define VW 16      // floats per vector register
#elif defined(__AVX__)
#define VW 8
#else
#define VW 4       // SSE / NEON width, or scalar code on other targets
#endif
typedef float vec __attribute__((vector_size(VW * 4), aligned(4), may_alias));
#define TILE_R 4

static inline vec vec_load(const float *p) { return *(const vec *)p; }
static inline void vec_store(float *p, vec v) { *(vec *)p = v; }
static inline vec vec_splat(float x) { vec v; for (int i = 0; i < VW; i++) v[i] = x; return v; }

// Store (or add) an accumulator into row r of the output, columns j + off.
#define TILE_STORE(r, off, acc) do { if ((r) < nr) {                     \
        float *cr_ = c + (r) * ldc + j + (off);                           \
        vec o_ = (acc);                                                   \
        if (accumulate) o_ += vec_load(cr_);                              \
        vec_store(cr_, o_); } } while (0)

// The A values of step k for the four rows; skip the step when all are zero.
#define TILE_LOAD_A()                                                                  \
    if (kmask && kmask[k] == 0.0f) continue;                                           \
    size_t ka = (size_t)k * acs;                                                       \
    float x0 = a0[ka], x1 = a1 ? a1[ka] : 0.0f, x2 = a2 ? a2[ka] : 0.0f,               \
          x3 = a3 ? a3[ka] : 0.0f;                                                     \
    if (sparse && x0 == 0.0f && x1 == 0.0f && x2 == 0.0f && x3 == 0.0f) continue;      \
    vec s0 = vec_splat(x0), s1 = vec_splat(x1), s2 = vec_splat(x2), s3 = vec_splat(x3);

static inline void product_tile_impl(float *c, size_t ldc, const float *a, size_t ars, size_t acs,
                                     const float *m, size_t ldm, const float *init, const float *kmask,
                                     int nr, int K, int ncols, int accumulate, const int sparse) {
    // Rows past nr read as zero and are not stored.
    const float *a0 = a, *a1 = nr > 1 ? a + ars : NULL, *a2 = nr > 2 ? a + 2 * ars : NULL,
                *a3 = nr > 3 ? a + 3 * ars : NULL;
    int j = 0;
    // Two vectors of columns per row: eight named accumulators, so that the
    // compiler keeps them in registers.
    for (; j + 2 * VW <= ncols; j += 2 * VW) {
        vec i0 = init ? vec_load(init + j) : vec_splat(0.0f);
        vec i1 = init ? vec_load(init + j + VW) : vec_splat(0.0f);
        vec c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1, c30 = i0, c31 = i1;
        for (int k = 0; k < K; k++) {
            TILE_LOAD_A()
            vec m0 = vec_load(m + k * ldm + j), m1 = vec_load(m + k * ldm + j + VW);
            c00 += s0 * m0; c01 += s0 * m1;
            c10 += s1 * m0; c11 += s1 * m1;
            c20 += s2 * m0; c21 += s2 * m1;
            c30 += s3 * m0; c31 += s3 * m1;
        }
        TILE_STORE(0, 0, c00); TILE_STORE(0, VW, c01);
        TILE_STORE(1, 0, c10); TILE_STORE(1, VW, c11);
        TILE_STORE(2, 0, c20); TILE_STORE(2, VW, c21);
        TILE_STORE(3, 0, c30); TILE_STORE(3, VW, c31);
    }
    // One vector of columns per row.
    for (; j + VW <= ncols; j += VW) {
        vec i0 = init ? vec_load(init + j) : vec_splat(0.0f);
        vec c00 = i0, c10 = i0, c20 = i0, c30 = i0;
        for (int k = 0; k < K; k++) {
            TILE_LOAD_A()
            vec m0 = vec_load(m + k * ldm + j);
            c00 += s0 * m0; c10 += s1 * m0; c20 += s2 * m0; c30 += s3 * m0;
        }
        TILE_STORE(0, 0, c00); TILE_STORE(1, 0, c10); TILE_STORE(2, 0, c20); TILE_STORE(3, 0, c30);
    }
    // The last columns one float at a time, same arithmetic.
    for (; j < ncols; j++) {
        for (int r = 0; r < nr; r++) {
            float acc = init ? init[j] : 0.0f;
            for (int k = 0; k < K; k++) {
                if (kmask && kmask[k] == 0.0f) continue;
                float av = a[r * ars + k * acs];
                if (av != 0.0f) acc += av * m[k * ldm + j];
            }
            float *cr = c + r * ldc + j;
            *cr = accumulate ? acc + *cr : acc;
        }
    }
}

// Two compiled copies: one skips steps whose four A values are all zero
// (for mostly-zero A, such as spikes), one does not test (for dense A, where
// the test would only cost time). Both give the same sums.
static void product_tile(float *c, size_t ldc, const float *a, size_t ars, size_t acs,
                         const float *m, size_t ldm, const float *init, const float *kmask,
                         int nr, int K, int ncols, int accumulate, int sparse) {
    if (sparse) product_tile_impl(c, ldc, a, ars, acs, m, ldm, init, kmask, nr, K, ncols, accumulate, 1);
    else product_tile_impl(c, ldc, a, ars, acs, m, ldm, init, kmask, nr, K, ncols, accumulate, 0);
}

// Whether at least half of n values are zero.
static int mostly_zero(const float *x, size_t n) {
    size_t z = 0;
    for (size_t i = 0; i < n; i++) z += x[i] == 0.0f;
    return 2 * z >= n;
}

// Runs of consecutive live rows inside the tile starting at n0.
static void for_live_rows(const float *mask, int n0, int nr, int *starts, int *lens, int *nruns) {
    *nruns = 0;
    int r = 0;
    while (r < nr) {
        if (mask && mask[n0 + r] == 0.0f) { r++; continue; }
        int r1 = r;
        while (r1 < nr && (!mask || mask[n0 + r1] != 0.0f)) r1++;
        starts[*nruns] = r; lens[*nruns] = r1 - r; (*nruns)++;
        r = r1;
    }
}

void grsn_matmul_forward(float *y, const float *x, const float *wt, const float *b,
                         const float *mask, int N, int in, int out) {
    int ntiles = (N + TILE_R - 1) / TILE_R, sparse = mostly_zero(x, (size_t)N * in);
    #pragma omp parallel for schedule(static) if ((long)N * in * out > GRSN_PAR_MIN_WORK)
    for (int tile = 0; tile < ntiles; tile++) {
        int n0 = tile * TILE_R, nr = N - n0 < TILE_R ? N - n0 : TILE_R;
        if (mask)
            for (int r = 0; r < nr; r++)
                if (mask[n0 + r] == 0.0f) memset(y + (size_t)(n0 + r) * out, 0, (size_t)out * sizeof(float));
        int st[TILE_R], len[TILE_R], nruns;
        for_live_rows(mask, n0, nr, st, len, &nruns);
        for (int q = 0; q < nruns; q++) {
            size_t n = (size_t)(n0 + st[q]);
            product_tile(y + n * out, (size_t)out, x + n * in, (size_t)in, 1, wt, (size_t)out,
                         b, NULL, len[q], in, out, 0, sparse);
        }
    }
}

void grsn_matmul_backward(float *dx, float *dw, float *db, const float *dy,
                          const float *x, const float *w, const float *mask,
                          int N, int in, int out) {
    long work = (long)N * in * out;   // used by the OpenMP if() clauses
    (void)work;
    int sparse = mostly_zero(dy, (size_t)N * out);
    if (dx) {
        // dx[n][i] += sum_o dy[n][o] W[o][i]
        int ntiles = (N + TILE_R - 1) / TILE_R;
        #pragma omp parallel for schedule(static) if (work > GRSN_PAR_MIN_WORK)
        for (int tile = 0; tile < ntiles; tile++) {
            int n0 = tile * TILE_R, nr = N - n0 < TILE_R ? N - n0 : TILE_R;
            int st[TILE_R], len[TILE_R], nruns;
            for_live_rows(mask, n0, nr, st, len, &nruns);
            for (int q = 0; q < nruns; q++) {
                size_t n = (size_t)(n0 + st[q]);
                product_tile(dx + n * in, (size_t)in, dy + n * out, (size_t)out, 1, w, (size_t)in,
                             NULL, NULL, len[q], out, in, 1, sparse);
            }
        }
    }
    if (dw) {
        // dW[o][i] += sum_n dy[n][o] x[n][i]: A = dy^T, M = x, n ascending.
        int otiles = (out + TILE_R - 1) / TILE_R;
        #pragma omp parallel for schedule(static) if (work > GRSN_PAR_MIN_WORK)
        for (int tile = 0; tile < otiles; tile++) {
            int o0 = tile * TILE_R, nr = out - o0 < TILE_R ? out - o0 : TILE_R;
            product_tile(dw + (size_t)o0 * in, (size_t)in, dy + o0, 1, (size_t)out, x, (size_t)in,
                         NULL, mask, nr, N, in, 1, sparse);
        }
    }
    if (db) {
        // db[o] += (dy[0][o] + dy[1][o] + ...): each sum starts from zero and
        // runs over n in order, then is added to db. The rows are read whole
        // (contiguous, vectorised across o), a block of outputs at a time.
        enum { DB_BLOCK = 512 };
        float sum[DB_BLOCK];
        for (int o0 = 0; o0 < out; o0 += DB_BLOCK) {
            int width = out - o0 < DB_BLOCK ? out - o0 : DB_BLOCK;
            memset(sum, 0, (size_t)width * sizeof(float));
            for (int n = 0; n < N; n++) {
                if (mask && mask[n] == 0.0f) continue;
                const float *g = dy + (size_t)n * out + o0;
                #pragma omp simd
                for (int o = 0; o < width; o++) sum[o] += g[o];
            }
            for (int o = 0; o < width; o++) db[o0 + o] += sum[o];
        }
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
