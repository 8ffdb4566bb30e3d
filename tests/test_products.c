/*
 * test_products.c — the matrix products of src/ops.c, bit for bit.
 *
 * Every product element must be the one sum of src/ops.c: start from the bias
 * (or 0), add the terms in ascending k as fused multiply-adds (plain
 * multiply-adds on a machine without FMA), leave out zero terms, then add the
 * old value when accumulating. Here that sum is written out literally, one
 * element at a time, and the kernels (register tile, row gather, column
 * gather, a gather carried on by the tile over a dense tail; full and partial
 * tiles; masked rows; every column remainder) must give the same bits on
 * spike, ReLU-like, dense and spikes-then-dense inputs, with 1 and 2 threads.
 * So must the variants that fuse a ReLU into the forward pass and write dx
 * instead of adding to it.
 */
#include "grsn.h"
#include "test.h"

// One term of the reference sum, fused exactly where the library's is.
static float term(float acc, float a, float m) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
    return fmaf(a, m, acc);
#else
    return acc + a * m;
#endif
}

static uint64_t rng_state = 12345;
static float urand(void) {   // uniform in [0, 1)
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((rng_state >> 40) * (1.0 / 16777216.0));
}

// Inputs of a given kind: 0 spikes (binary, rate 0.1), 1 ReLU-like (half
// zero), 2 dense. Kind 3 (spikes then a dense tail, as in a head that reads
// [spikes, shortcut features]) is made per row by check_shape.
static void fill(float *x, size_t n, int kind) {
    for (size_t i = 0; i < n; i++) {
        float u = urand();
        x[i] = kind == 0 ? (u < 0.1f ? 1.0f : 0.0f) : kind == 1 ? (u < 0.5f ? 0.0f : 2.0f * u - 1.0f) : 2.0f * u - 1.0f;
    }
}

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

// The literal sums.
static void ref_forward(float *y, const float *x, const float *w, const float *b, const float *mask,
                        int N, int in, int out) {
    for (int n = 0; n < N; n++)
        for (int o = 0; o < out; o++) {
            float acc = b ? b[o] : 0.0f;
            if (mask && mask[n] == 0.0f) { y[(size_t)n * out + o] = 0.0f; continue; }
            for (int k = 0; k < in; k++) {
                float a = x[(size_t)n * in + k];
                if (a != 0.0f) acc = term(acc, a, w[(size_t)o * in + k]);
            }
            y[(size_t)n * out + o] = acc;
        }
}

static void ref_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                         const float *mask, int N, int in, int out) {
    for (int n = 0; n < N; n++) {
        if (mask && mask[n] == 0.0f) continue;
        for (int i = 0; i < in; i++) {
            float acc = 0.0f;
            for (int o = 0; o < out; o++) {
                float a = dy[(size_t)n * out + o];
                if (a != 0.0f) acc = term(acc, a, w[(size_t)o * in + i]);
            }
            dx[(size_t)n * in + i] = acc + dx[(size_t)n * in + i];
        }
    }
    for (int o = 0; o < out; o++) {
        float sum = 0.0f;
        for (int n = 0; n < N; n++) if (!mask || mask[n] != 0.0f) sum += dy[(size_t)n * out + o];
        db[o] += sum;
        for (int i = 0; i < in; i++) {
            float acc = 0.0f;
            for (int n = 0; n < N; n++) {
                if (mask && mask[n] == 0.0f) continue;
                float a = dy[(size_t)n * out + o];
                if (a != 0.0f) acc = term(acc, a, x[(size_t)n * in + i]);
            }
            dw[(size_t)o * in + i] = acc + dw[(size_t)o * in + i];
        }
    }
}

// One shape: forward, full backward and a column slice of dx against the
// literal sums, at 1 and 2 threads. Returns the number of mismatches.
static int check_shape(int N, int in, int out, int xkind, int masked, int bias) {
    size_t nx = (size_t)N * in, ny = (size_t)N * out, nw = (size_t)in * out;
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *wt = malloc(nw * 4), *b = malloc((size_t)out * 4);
    float *mask = malloc((size_t)N * 4), *dy = malloc(ny * 4);
    float *y = malloc(ny * 4), *yr = malloc(ny * 4);
    float *dx0 = malloc(nx * 4), *dx = malloc(nx * 4), *dxr = malloc(nx * 4);
    float *dw0 = malloc(nw * 4), *dw = malloc(nw * 4), *dwr = malloc(nw * 4);
    float *db0 = malloc((size_t)out * 4), *db = malloc((size_t)out * 4), *dbr = malloc((size_t)out * 4);
    fill(x, nx, xkind == 3 ? 0 : xkind); fill(w, nw, 2); fill(b, (size_t)out, 2);
    if (xkind == 3)   // the last quarter of every row: ReLU-like, then a few all-dense columns
        for (int n = 0; n < N; n++)
            for (int i = in - in / 4; i < in; i++) {
                float u = urand();
                x[(size_t)n * in + i] = i >= in - 3 ? 2.0f * u - 1.0f : u < 0.5f ? 0.0f : 2.0f * u - 1.0f;
            }
    fill(dy, ny, 1);   // gradients behind a ReLU: half zero
    fill(dx0, nx, 2); fill(dw0, nw, 2); fill(db0, (size_t)out, 2);
    for (int n = 0; n < N; n++) mask[n] = masked && urand() < 0.3f ? 0.0f : 1.0f;
    const float *m = masked ? mask : NULL, *bb = bias ? b : NULL;
    grsn_transpose(wt, w, out, in);
    int bad = 0;

    ref_forward(yr, x, w, bb, m, N, in, out);
    memcpy(dxr, dx0, nx * 4); memcpy(dwr, dw0, nw * 4); memcpy(dbr, db0, (size_t)out * 4);
    ref_backward(dxr, dwr, dbr, dy, x, w, m, N, in, out);
    for (int threads = 1; threads <= 2; threads++) {
        grsn_set_threads(threads);
        memset(y, 0xff, ny * 4);
        grsn_matmul_forward(y, x, wt, bb, m, N, in, out);
        memcpy(dx, dx0, nx * 4); memcpy(dw, dw0, nw * 4); memcpy(db, db0, (size_t)out * 4);
        grsn_matmul_backward(dx, dw, db, dy, x, w, m, N, in, out);
        int ok = same_bits(y, yr, ny) && same_bits(dx, dxr, nx) && same_bits(dw, dwr, nw) && same_bits(db, dbr, (size_t)out);
        // dx of columns [c0, c0 + nc) only: those equal the full dx, the rest keep dx0.
        int c0 = in / 3, nc = in - c0 - in / 4;
        memcpy(dx, dx0, nx * 4);
        grsn_matmul_backward_dx_cols(dx, dy, w, m, N, in, out, c0, nc);
        for (int n = 0; n < N && ok; n++)
            for (int i = 0; i < in; i++) {
                size_t at = (size_t)n * in + i;
                const float *want = i >= c0 && i < c0 + nc ? dxr : dx0;
                if (memcmp(dx + at, want + at, 4)) { ok = 0; break; }
            }
        // The fused ReLU, and dx written rather than added (over a dx full of
        // NaNs: masked rows must come out 0, as if dx had been zeroed).
        memset(y, 0xff, ny * 4);
        grsn_matmul_forward_act(y, x, wt, bb, m, N, in, out, GRSN_ACT_RELU);
        for (size_t i = 0; i < ny && ok; i++) ok = y[i] == (yr[i] > 0.0f ? yr[i] : 0.0f);
        memset(dx, 0, nx * 4); memcpy(dw, dw0, nw * 4); memcpy(db, db0, (size_t)out * 4);
        grsn_matmul_backward(dx, dw, db, dy, x, w, m, N, in, out);   // zeroed dx, then added to
        float *dxs = malloc(nx * 4), *dws = malloc(nw * 4), *dbs = malloc((size_t)out * 4);
        memset(dxs, 0xff, nx * 4); memcpy(dws, dw0, nw * 4); memcpy(dbs, db0, (size_t)out * 4);
        grsn_matmul_backward_set(dxs, dws, dbs, dy, x, w, m, N, in, out);
        ok = ok && same_bits(dxs, dx, nx) && same_bits(dws, dw, nw) && same_bits(dbs, db, (size_t)out);
        free(dxs); free(dws); free(dbs);
        if (!ok) {
            printf("    mismatch: N %d in %d out %d x kind %d mask %d bias %d threads %d\n",
                   N, in, out, xkind, masked, bias, threads);
            bad++;
        }
    }
    grsn_set_threads(1);
    free(x); free(w); free(wt); free(b); free(mask); free(dy); free(y); free(yr);
    free(dx0); free(dx); free(dxr); free(dw0); free(dw); free(dwr); free(db0); free(db); free(dbr);
    return bad;
}

TEST(products_are_the_literal_sums) {
    // Shapes of the agents (heads 176 -> 128 -> 128 -> 1, cores 48 -> 256,
    // GRU 384, a QMIX agent's 64 -> 9) and awkward ones: single rows and
    // columns, every column remainder, more rows than a chunk, inputs wider
    // than one gather list.
    static const int shapes[][3] = {
        {300, 176, 128}, {300, 160, 128}, {300, 128, 128}, {300, 128, 1}, {300, 128, 2},
        {300, 48, 256}, {200, 128, 384}, {1, 176, 128}, {7, 3, 48}, {97, 1, 8}, {97, 2, 32},
        {101, 161, 17}, {64, 33, 130}, {13, 600, 40}, {5, 70, 300}, {250, 40, 7},
        {1, 64, 9}, {3, 64, 9}, {1, 97, 64}, {2, 1100, 32},   // agents acting alone, or a few
    };
    int bad = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int xkind = 0; xkind < 4; xkind++)
            bad += check_shape(shapes[s][0], shapes[s][1], shapes[s][2], xkind, (int)(s + xkind) % 2, xkind != 1);
    CHECK(bad == 0);
}

// wt[c][r] = w[r][c] exactly: whole 16 x 16 tiles, partial tiles at the
// edges, and a size large enough to be split between threads.
TEST(transpose_is_exact) {
    static const int shapes[][2] = {{16, 16}, {128, 176}, {384, 48}, {17, 161}, {3, 48}, {1, 8}, {300, 256}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int rows = shapes[s][0], cols = shapes[s][1];
        size_t n = (size_t)rows * cols;
        float *w = malloc(n * 4), *wt = malloc(n * 4);
        fill(w, n, 2);
        for (int threads = 1; threads <= 2; threads++) {
            grsn_set_threads(threads);
            memset(wt, 0xff, n * 4);
            grsn_transpose(wt, w, rows, cols);
            int ok = 1;
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) ok &= same_bits(&wt[(size_t)c * rows + r], &w[(size_t)r * cols + c], 1);
            CHECK(ok);
        }
        free(w); free(wt);
    }
    grsn_set_threads(1);
}

// grsn_act_backward_set gives the bits of zeroing dx and adding, -0 included
// (0 + -0 is +0).
TEST(act_backward_set_is_zero_then_add) {
    enum { n = 20000 };   // more than two of the blocks that threads share
    float *y = malloc(n * 4), *dy = malloc(n * 4), *a = malloc(n * 4), *b = malloc(n * 4);
    fill(y, n, 1); fill(dy, n, 1);
    for (int i = 0; i < n; i += 7) dy[i] = -0.0f;
    const grsn_act acts[] = {GRSN_ACT_NONE, GRSN_ACT_RELU, GRSN_ACT_TANH, GRSN_ACT_SIGMOID};
    for (int threads = 1; threads <= 2; threads++) {
        grsn_set_threads(threads);
        for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
            memset(a, 0, n * 4);
            grsn_act_backward(acts[k], a, dy, y, n);
            memset(b, 0xff, n * 4);
            grsn_act_backward_set(acts[k], b, dy, y, n);
            CHECK(same_bits(a, b, n));
        }
    }
    grsn_set_threads(1);
    free(y); free(dy); free(a); free(b);
}

int main(void) {
    RUN(products_are_the_literal_sums);
    RUN(act_backward_set_is_zero_then_add);
    RUN(transpose_is_exact);
    return test_summary("test_products");
}
