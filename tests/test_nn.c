/*
 * test_nn.c — dense layers and training helpers: MLP, softmax / log-softmax,
 * Adam and gradient clipping against PyTorch fixtures (tests/fixtures/ops.bin,
 * written by dev/gen_cell_fixtures.py); finite differences for the MLP;
 * the row copies; the parameter arena, Polyak averaging and the
 * initialisers; the accuracy of grsn's tanh.
 */
#include "grsn.h"
#include "test.h"
#include "fixture.h"
#include "common.h"   // grsn_expf, grsn_tanhf
#include <limits.h>

TEST(mlp_matches_pytorch) {
    Fixture fx; CHECK(fx_load(&fx, "ops.bin"));
    const int N = 11, sizes[4] = {6, 10, 7, 3};
    GrsnParams p; grsn_params_init(&p);
    GrsnMLP m;
    CHECK(grsn_mlp_init(&m, &p, "mlp", sizes, 4, GRSN_ACT_RELU, GRSN_ACT_TANH, N) == GRSN_OK);
    CHECK(grsn_params_alloc(&p) == GRSN_OK);
    char nm[32];
    for (int l = 0; l < 3; l++) {
        snprintf(nm, sizeof nm, "mlp.w%d", l);
        memcpy(m.layer[l].w, fx_get(&fx, nm, (size_t)sizes[l] * sizes[l + 1]), (size_t)sizes[l] * sizes[l + 1] * 4);
        snprintf(nm, sizeof nm, "mlp.b%d", l);
        memcpy(m.layer[l].b, fx_get(&fx, nm, sizes[l + 1]), (size_t)sizes[l + 1] * 4);
    }
    const float *x = fx_get(&fx, "mlp.x", N * 6), *mask = fx_get(&fx, "mlp.mask", N);
    const float *y = grsn_mlp_forward(&m, x, mask, N);
    check_tensor("mlp y", y, fx_get(&fx, "mlp.y", N * 3), N * 3, 1e-6, 1e-5);
    float dx[11 * 6] = {0};
    grsn_params_zero_grad(&p);
    grsn_mlp_backward(&m, dx, fx_get(&fx, "mlp.dy", N * 3), x, mask, N);
    check_tensor("mlp dx", dx, fx_get(&fx, "mlp.dx", N * 6), N * 6, 1e-6, 1e-4);
    for (int l = 0; l < 3; l++) {
        snprintf(nm, sizeof nm, "mlp.dw%d", l);
        check_tensor(nm, m.layer[l].dw, fx_get(&fx, nm, (size_t)sizes[l] * sizes[l + 1]),
                     (size_t)sizes[l] * sizes[l + 1], 1e-6, 1e-4);
        snprintf(nm, sizeof nm, "mlp.db%d", l);
        check_tensor(nm, m.layer[l].db, fx_get(&fx, nm, sizes[l + 1]), sizes[l + 1], 1e-6, 1e-4);
    }
    // Input gradients only: the same dx, added to what dx holds, and no
    // parameter gradient touched. The column form fills only its columns.
    float dx2[11 * 6], dx3[11 * 6];
    for (int i = 0; i < N * 6; i++) dx2[i] = dx3[i] = 1.0f;
    grsn_params_zero_grad(&p);
    grsn_mlp_backward_input(&m, dx2, fx_get(&fx, "mlp.dy", N * 3), mask, N);
    grsn_mlp_backward_input_cols(&m, dx3, fx_get(&fx, "mlp.dy", N * 3), mask, N, 2, 3);
    int same = 1, cols_ok = 1;
    for (int i = 0; i < N * 6; i++) {
        same &= fabsf(dx2[i] - 1.0f - dx[i]) <= 1e-6f;
        int c = i % 6;
        cols_ok &= (c >= 2 && c < 5) ? dx3[i] == dx2[i] : dx3[i] == 1.0f;
    }
    CHECK(same && cols_ok);
    for (size_t i = 0; i < p.n; i++) CHECK_MSG(p.grad[i] == 0.0f, "parameter gradient %zu written", i);
    grsn_mlp_free(&m); grsn_params_free(&p); fx_free(&fx);
}

TEST(softmax_matches_pytorch) {
    Fixture fx; CHECK(fx_load(&fx, "ops.bin"));
    const float *logits = fx_get(&fx, "sm.logits", 20), *dp = fx_get(&fx, "sm.dp", 20);
    float p[20], lp[20], dl[20] = {0}, dl2[20] = {0};
    grsn_softmax_forward(p, logits, 5, 4);
    check_tensor("softmax", p, fx_get(&fx, "sm.p", 20), 20, 1e-7, 1e-5);
    grsn_softmax_backward(dl, dp, p, 5, 4);
    check_tensor("softmax grad", dl, fx_get(&fx, "sm.dlogits", 20), 20, 1e-6, 1e-4);
    grsn_log_softmax_forward(lp, logits, 5, 4);
    check_tensor("log_softmax", lp, fx_get(&fx, "lsm.lp", 20), 20, 1e-6, 1e-5);
    grsn_log_softmax_backward(dl2, dp, lp, 5, 4);
    check_tensor("log_softmax grad", dl2, fx_get(&fx, "lsm.dlogits", 20), 20, 1e-6, 1e-4);
    fx_free(&fx);
}

TEST(adam_matches_pytorch) {
    Fixture fx; CHECK(fx_load(&fx, "ops.bin"));
    float w[37];
    memcpy(w, fx_get(&fx, "adam.w0", 37), sizeof w);
    const float *grads = fx_get(&fx, "adam.grads", 5 * 37);
    GrsnAdam a; CHECK(grsn_adam_init(&a, 37, 3e-4f) == GRSN_OK);
    for (int s = 0; s < 5; s++) grsn_adam_step(&a, w, grads + s * 37);
    // One Adam step moves a weight by about lr = 3e-4; 1e-8 absolute is a
    // few ulps of the weights and far below a wrong update.
    check_tensor("adam w after 5 steps", w, fx_get(&fx, "adam.w5", 37), 37, 2e-7, 1e-6);
    CHECK(a.step == 5);
    grsn_adam_free(&a);
    GrsnAdam bad; CHECK(grsn_adam_init(&bad, 3, 0.0f) == GRSN_ERR_ARG);
    fx_free(&fx);
}

TEST(rmsprop_matches_pytorch) {
    // oxwhirl/pymarl's QMIX optimiser: lr 5e-4, alpha 0.99, eps 1e-5.
    Fixture fx; CHECK(fx_load(&fx, "ops.bin"));
    float w[37];
    memcpy(w, fx_get(&fx, "rmsprop.w0", 37), sizeof w);
    const float *grads = fx_get(&fx, "adam.grads", 5 * 37);
    GrsnRMSprop o; CHECK(grsn_rmsprop_init(&o, 37, 5e-4f, 0.99f, 1e-5f) == GRSN_OK);
    for (int s = 0; s < 5; s++) grsn_rmsprop_step(&o, w, grads + s * 37);
    check_tensor("rmsprop w after 5 steps", w, fx_get(&fx, "rmsprop.w5", 37), 37, 2e-7, 1e-6);
    grsn_rmsprop_free(&o);
    GrsnRMSprop bad;
    CHECK(grsn_rmsprop_init(&bad, 3, 0.0f, 0.99f, 1e-5f) == GRSN_ERR_ARG);
    CHECK(grsn_rmsprop_init(&bad, 3, 1e-3f, 1.0f, 1e-5f) == GRSN_ERR_ARG && strstr(grsn_last_error(), "alpha"));
    CHECK(grsn_rmsprop_init(&bad, 3, 1e-3f, 0.99f, 0.0f) == GRSN_ERR_ARG && strstr(grsn_last_error(), "eps"));
    fx_free(&fx);
}

TEST(clip_matches_pytorch) {
    Fixture fx; CHECK(fx_load(&fx, "ops.bin"));
    const char *tags[2] = {"big", "small"};
    for (int k = 0; k < 2; k++) {
        char nm[32]; float g[50];
        snprintf(nm, sizeof nm, "clip.%s.g", tags[k]); memcpy(g, fx_get(&fx, nm, 50), sizeof g);
        float norm = grsn_clip_grad_norm(g, 50, 10.0f);
        snprintf(nm, sizeof nm, "clip.%s.norm", tags[k]); CHECK_NEAR(norm, fx_get(&fx, nm, 1)[0], 0, 1e-6);
        snprintf(nm, sizeof nm, "clip.%s.out", tags[k]); check_tensor(nm, g, fx_get(&fx, nm, 50), 50, 1e-7, 1e-6);
    }
    fx_free(&fx);
}

// grsn_act_backward_set in place (dx = dy, as the QMIX agent's ReLU' is
// applied) gives the bits of a separate dx, for every activation; the sizes
// take ReLU's threaded blocks and its serial path.
TEST(act_backward_set_in_place) {
    grsn_act acts[4] = {GRSN_ACT_NONE, GRSN_ACT_RELU, GRSN_ACT_TANH, GRSN_ACT_SIGMOID};
    size_t sizes[2] = {37, 300000};
    grsn_rng r; grsn_rng_seed(&r, 9, 1);
    for (int c = 0; c < 2; c++) {
        size_t n = sizes[c];
        float *y = malloc(n * sizeof(float)), *dy = malloc(n * sizeof(float));
        float *dx = malloc(n * sizeof(float)), *io = malloc(n * sizeof(float));
        for (int k = 0; k < 4; k++) {
            for (size_t i = 0; i < n; i++) {
                float v = (float)grsn_rng_normal(&r);
                y[i] = acts[k] == GRSN_ACT_TANH ? tanhf(v) : acts[k] == GRSN_ACT_SIGMOID ? 1.0f / (1.0f + expf(-v))
                     : acts[k] == GRSN_ACT_RELU ? (v > 0.0f ? v : 0.0f) : v;
                dy[i] = i % 5 == 0 ? -0.0f : (float)grsn_rng_normal(&r);
                dx[i] = 123.0f;
            }
            memcpy(io, dy, n * sizeof(float));
            grsn_act_backward_set(acts[k], dx, dy, y, n);
            grsn_act_backward_set(acts[k], io, io, y, n);
            CHECK(memcmp(dx, io, n * sizeof(float)) == 0);
            CHECK(dx[1] != 123.0f);
        }
        free(y); free(dy); free(dx); free(io);
    }
}

// The row copies split their rows between threads above GRSN_PAR_MIN_WORK
// values; these sizes take that path and the serial one.
TEST(row_copies) {
    int sizes[2] = {7, 2000};
    for (int c = 0; c < 2; c++) {
        int N = sizes[c], sw = 50, dw = 70, soff = 5, doff = 20, w = 30;
        float *src = malloc((size_t)N * sw * sizeof(float)), *dst = malloc((size_t)N * dw * sizeof(float));
        for (int i = 0; i < N * sw; i++) src[i] = (float)i + 0.5f;
        for (int i = 0; i < N * dw; i++) dst[i] = -1.0f;
        grsn_copy_cols(dst, dw, doff, src, sw, soff, w, N);
        int bad = 0;
        for (int n = 0; n < N; n++)
            for (int j = 0; j < dw; j++) {
                float want = j >= doff && j < doff + w ? src[n * sw + soff + j - doff] : -1.0f;
                bad += dst[n * dw + j] != want;
            }
        CHECK_MSG(bad == 0, "copy_cols, %d rows: %d values wrong", N, bad);
        // concat: [src[n][0..20), src[n][20..50)] is src itself.
        float *a = malloc((size_t)N * 20 * sizeof(float)), *b = malloc((size_t)N * 30 * sizeof(float));
        grsn_copy_cols(a, 20, 0, src, sw, 0, 20, N);
        grsn_copy_cols(b, 30, 0, src, sw, 20, 30, N);
        grsn_concat_forward(dst, a, 20, b, 30, N);
        CHECK(memcmp(dst, src, (size_t)N * sw * sizeof(float)) == 0);
        free(a); free(b); free(src); free(dst);
    }
    size_t n = 50001;
    float *x = malloc((n + 1) * sizeof(float));
    for (size_t i = 0; i <= n; i++) x[i] = 3.0f;
    grsn_zero(x, n);
    size_t nonzero = 0;
    for (size_t i = 0; i < n; i++) nonzero += x[i] != 0.0f;
    CHECK_MSG(nonzero == 0 && x[n] == 3.0f, "zero: %zu values left, the one past the end %g", nonzero, x[n]);
    free(x);
}

// Finite differences through an MLP with tanh hidden units (smooth).
TEST(mlp_finite_differences) {
    const int N = 4, sizes[3] = {5, 7, 3};
    GrsnParams p; grsn_params_init(&p);
    GrsnMLP m;
    CHECK(grsn_mlp_init(&m, &p, "m", sizes, 3, GRSN_ACT_TANH, GRSN_ACT_SIGMOID, N) == GRSN_OK);
    CHECK(grsn_params_alloc(&p) == GRSN_OK);
    grsn_rng r; grsn_rng_seed(&r, 1, 1);
    for (size_t i = 0; i < p.n; i++) p.data[i] = (float)grsn_rng_normal(&r) * 0.7f;
    float x[20], dy[12], dx[20] = {0};
    for (int i = 0; i < 20; i++) x[i] = (float)grsn_rng_normal(&r);
    for (int i = 0; i < 12; i++) dy[i] = (float)grsn_rng_normal(&r);
    grsn_mlp_forward(&m, x, NULL, N);
    grsn_params_zero_grad(&p);
    grsn_mlp_backward(&m, dx, dy, x, NULL, N);
    int bad = 0;
    float *vals[2] = {p.data, x}; const float *grads[2] = {p.grad, dx}; size_t cnt[2] = {p.n, 20};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < cnt[k]; i++) {
            float v0 = vals[k][i]; double f[4]; const float off[4] = {0.5f, -0.5f, 1.0f, -1.0f};
            for (int s = 0; s < 4; s++) {
                vals[k][i] = v0 + off[s] * 1e-2f;
                const float *y = grsn_mlp_forward(&m, x, NULL, N);
                double L = 0; for (int j = 0; j < 12; j++) L += (double)dy[j] * y[j];
                f[s] = L;
            }
            vals[k][i] = v0;
            double num = (8 * f[0] + f[3] - 8 * f[1] - f[2]) / (6 * 1e-2);
            if (fabs(num - grads[k][i]) > 1e-2 * (1e-2 + fabs(num))) bad++;
        }
    CHECK_MSG(bad == 0, "%d gradients off", bad);
    grsn_mlp_free(&m); grsn_params_free(&p);
}

TEST(params_arena) {
    GrsnParams p; grsn_params_init(&p);
    float *a, *da, *b;
    CHECK(grsn_params_add(&p, "a", 3, 4, &a, &da) == GRSN_OK);
    CHECK(grsn_params_add(&p, "b", 5, 1, &b, NULL) == GRSN_OK);
    CHECK(grsn_params_add(&p, "a", 1, 1, NULL, NULL) == GRSN_ERR_ARG);   // duplicate
    CHECK(grsn_params_add(&p, "c", 0, 1, NULL, NULL) == GRSN_ERR_ARG);   // empty
    CHECK(grsn_params_alloc(&p) == GRSN_OK);
    CHECK(p.n == 17);
    CHECK(a == p.data && da == p.grad && b == p.data + 12);
    CHECK(grsn_params_find(&p, "b")->offset == 12);
    CHECK(grsn_params_find(&p, "zz") == NULL);
    CHECK(grsn_params_finite(&p));
    b[2] = NAN;
    CHECK(!grsn_params_finite(&p));
    grsn_params_free(&p);
}

TEST(polyak_and_init) {
    float t[3] = {1, 2, 3}, s[3] = {3, 2, 1};
    grsn_polyak(t, s, 3, 0.25f);
    CHECK_NEAR(t[0], 1.5, 1e-7, 0); CHECK_NEAR(t[1], 2.0, 1e-7, 0); CHECK_NEAR(t[2], 2.5, 1e-7, 0);
    // Orthogonal init for a wide matrix: rows orthonormal.
    float w[4 * 9];
    grsn_rng r; grsn_rng_seed(&r, 2, 1);
    CHECK(grsn_init_orthogonal(w, 4, 9, 1.0f, &r) == GRSN_OK);
    double worst = 0;
    for (int a = 0; a < 4; a++) for (int b = 0; b < 4; b++) {
        double d = 0; for (int i = 0; i < 9; i++) d += (double)w[a * 9 + i] * w[b * 9 + i];
        worst = fmax(worst, fabs(d - (a == b)));
    }
    CHECK(worst < 1e-6);
    // PyTorch's Linear default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
    GrsnParams p; grsn_params_init(&p); GrsnLinear l;
    CHECK(grsn_linear_init(&l, &p, "l", 16, 50) == GRSN_OK);
    CHECK(grsn_params_alloc(&p) == GRSN_OK);
    grsn_init_linear_default(&l, &r);
    float mx = 0; for (size_t i = 0; i < p.n; i++) mx = fmaxf(mx, fabsf(p.data[i]));
    CHECK(mx <= 0.25f && mx > 0.2f);
    grsn_linear_free(&l);
    grsn_params_free(&p);
}

// The orthogonal init refuses, with a status and a message naming the shape,
// a side below 1 and a matrix whose double working copy cannot be sized
// (its byte count overflows size_t); it writes nothing then.
TEST(orthogonal_init_refuses_bad_shapes) {
    float w[4] = {7, 7, 7, 7};
    grsn_rng r; grsn_rng_seed(&r, 2, 1);
    CHECK(grsn_init_orthogonal(w, 0, 4, 1.0f, &r) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "0 x 4") != NULL);
    CHECK(grsn_init_orthogonal(w, INT_MAX, INT_MAX, 1.0f, &r) == GRSN_ERR_OOM);
    CHECK(strstr(grsn_last_error(), "2147483647 x 2147483647") != NULL);
    CHECK(w[0] == 7 && w[1] == 7 && w[2] == 7 && w[3] == 7);
    CHECK(grsn_init_orthogonal(w, 2, 2, 1.0f, &r) == GRSN_OK);
    CHECK(fabs((double)w[0] * w[0] + (double)w[1] * w[1] - 1.0) < 1e-6);
}

// Order-preserving integer of a float, for distances in ulp.
static int64_t ulp_order(float f) {
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i < 0 ? (int64_t)INT32_MIN - i : i;
}

// The worst distance in ulp between apply(x) and the correctly rounded
// ref(x) over every 97th float of either sign; *worst_x is where it is.
typedef void (*apply_fn)(float *y, const float *x, int n);

static int64_t worst_ulp(apply_fn apply, double (*ref)(double), float *worst_x) {
    enum { CHUNK = 1 << 16 };
    static float x[CHUNK], y[CHUNK];
    int64_t worst = 0;
    uint32_t u = 0;
    while (u < 0x7f800000u) {
        int n = 0;
        for (; n < CHUNK && u < 0x7f800000u; u += 97) {
            float v;
            memcpy(&v, &u, sizeof v);
            x[n] = (n & 1) ? -v : v;
            n++;
        }
        apply(y, x, n);
        for (int i = 0; i < n; i++) {
            int64_t d = llabs(ulp_order(y[i]) - ulp_order((float)ref((double)x[i])));
            if (d > worst) { worst = d; *worst_x = x[i]; }
        }
    }
    if (worst > 0) printf("    worst: %lld ulp at x = %.9g\n", (long long)worst, *worst_x);
    return worst;
}

// Vectorised, as the cells call them.
static void apply_tanhf(float *y, const float *x, int n) {
    #pragma omp simd
    for (int i = 0; i < n; i++) y[i] = grsn_tanhf(x[i]);
}
static void apply_expf(float *y, const float *x, int n) {
    #pragma omp simd
    for (int i = 0; i < n; i++) y[i] = grsn_expf(x[i]);
}
// One call at a time.
static __attribute__((noinline)) float tanhf_one(float x) { return grsn_tanhf(x); }
static __attribute__((noinline)) float expf_one(float x) { return grsn_expf(x); }

// Whether the vectorised and the one-at-a-time function agree bit for bit on
// 2^16 floats spread over both signs.
static int same_one_at_a_time(apply_fn apply, float (*one)(float)) {
    enum { N = 1 << 16 };
    static float x[N], y[N];
    for (int i = 0; i < N; i++) {
        uint32_t u = (uint32_t)i * 65537u;
        memcpy(&x[i], &u, sizeof u);
    }
    apply(y, x, N);
    for (int i = 0; i < N; i++) {
        float z = one(x[i]);
        if (memcmp(&z, &y[i], sizeof z) != 0 && !(isnan(z) && isnan(y[i]))) return 0;
    }
    return 1;
}

// grsn's own tanh (the GRU cell's) is within 2 ulp of the correctly rounded
// tanh, and keeps tanh's limits, zeros, infinities and NaN.
TEST(tanh_within_two_ulp) {
    float worst_x = 0;
    CHECK(worst_ulp(apply_tanhf, tanh, &worst_x) <= 2);
    CHECK(same_one_at_a_time(apply_tanhf, tanhf_one));
    float special[6] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 100.0f}, out[6];
    for (int i = 0; i < 6; i++) out[i] = tanhf_one(special[i]);
    CHECK(out[0] == 0.0f && !signbit(out[0]) && out[1] == 0.0f && signbit(out[1]));
    CHECK(out[2] == 1.0f && out[3] == -1.0f && isnan(out[4]) && out[5] == 1.0f);
}

// grsn's own expf (every sigmoid and tanh of the cells) is within 1 ulp of
// the correctly rounded e^x, keeps the ends (overflow, underflow, NaN), and
// gives the bits of glibc's FMA expf at two inputs where rounding the
// products before the sums would change the result. dev/check_expf.c
// compares all 2^32 floats with libm.
TEST(expf_within_one_ulp) {
    float worst_x = 0;
    CHECK(worst_ulp(apply_expf, exp, &worst_x) <= 1);
    CHECK(same_one_at_a_time(apply_expf, expf_one));
    CHECK(expf_one(0x1.04845ep+5f) == 0x1.f93e38p+46f && expf_one(-0x1.f8cbb2p+5f) == 0x1.f45326p-92f);
    float special[8] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 88.8f, -104.0f, 0x1.62e42ep6f}, out[8];
    for (int i = 0; i < 8; i++) out[i] = expf_one(special[i]);
    CHECK(out[0] == 1.0f && out[1] == 1.0f && out[2] == INFINITY && out[3] == 0.0f && isnan(out[4]));
    CHECK(out[5] == INFINITY && out[6] == 0.0f && isfinite(out[7]) && out[7] > 3.4e38f);
}

int main(void) {
    RUN(mlp_matches_pytorch);
    RUN(softmax_matches_pytorch);
    RUN(adam_matches_pytorch);
    RUN(rmsprop_matches_pytorch);
    RUN(clip_matches_pytorch);
    RUN(mlp_finite_differences);
    RUN(act_backward_set_in_place);
    RUN(row_copies);
    RUN(params_arena);
    RUN(polyak_and_init);
    RUN(orthogonal_init_refuses_bad_shapes);
    RUN(tanh_within_two_ulp);
    RUN(expf_within_one_ulp);
    return test_summary("test_nn");
}
