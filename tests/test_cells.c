/*
 * test_cells.c — the recurrent cells (GRSN, LIF, GRU):
 *   1. PyTorch parity on committed fixtures (dev/gen_cell_fixtures.py):
 *      spikes identical, values and gradients within tolerance;
 *   2. finite differences on the smooth twin (Theta replaced by the arctan
 *      primitive), which checks the whole BPTT plumbing;
 *   3. hand-computed sequences (spec §2.5 examples A and B, LIF hard reset,
 *      gates that read the previous spike);
 *   4. step-by-step acting == one sequence forward, bit for bit (TAP);
 *   5. 1 thread == 2 threads, bit for bit;
 *   6. masks and bad sizes.
 *
 * Tolerances: forward values |a - b| <= 1e-5 + 1e-5 |b|; gradients
 * |a - b| <= 1e-5 + 1e-4 |b|. Both sides are fp32; the C sums run in a
 * different order than PyTorch's, so exact equality is impossible for
 * real-valued results, while 1e-4 relative is far below any effect a
 * gradient bug has. Spikes (and rates, which are multiples of 1/K) must be
 * identical: the fixtures keep every potential >= 1e-3 from the threshold.
 */
#include "grsn.h"
#include "test.h"
#include "fixture.h"

#define FWD_ATOL 1e-5
#define FWD_RTOL 1e-5
#define GRAD_ATOL 1e-5
#define GRAD_RTOL 1e-4

typedef struct {
    GrsnParams p;
    GrsnCell cell;
} Net;

static int net_init(Net *n, const GrsnCellConfig *cfg, int T, int B) {
    grsn_params_init(&n->p);
    if (grsn_cell_init(&n->cell, &n->p, "cell", cfg, T, B) != GRSN_OK) {
        printf("    init: %s\n", grsn_last_error()); return 0;
    }
    if (grsn_params_alloc(&n->p) != GRSN_OK) return 0;
    return 1;
}

static void net_free(Net *n) { grsn_cell_free(&n->cell); grsn_params_free(&n->p); }

static void copy_param(const Fixture *fx, const char *name, float *dst, size_t n) {
    const float *src = fx_get(fx, name, n);
    if (src && dst) memcpy(dst, src, n * sizeof(float));
}

// ----------------------------------------------------------------------------
// 1. PyTorch fixtures

static double worst_fwd, worst_grad;

static void check_fixture(const char *file) {
    Fixture fx;
    CHECK(fx_load(&fx, file));
    if (!fx.count) return;
    int kind = fx_int(&fx, "cfg.kind"), in = fx_int(&fx, "cfg.in"), H = fx_int(&fx, "cfg.hidden");
    int T = fx_int(&fx, "cfg.T"), B = fx_int(&fx, "cfg.B");
    GrsnCellConfig cfg = grsn_cell_config((grsn_cell_kind)kind, in, H);
    cfg.substeps = fx_int(&fx, "cfg.substeps");
    cfg.beta = fx_get(&fx, "cfg.beta", 1)[0];
    cfg.beta_mode = (grsn_beta_mode)fx_int(&fx, "cfg.beta_mode");
    cfg.reset = (grsn_reset_mode)fx_int(&fx, "cfg.reset");
    cfg.detach_reset = fx_int(&fx, "cfg.detach_reset");
    cfg.decode = (grsn_decode)fx_int(&fx, "cfg.decode");
    cfg.threshold = fx_get(&fx, "cfg.threshold", 1)[0];
    cfg.alpha = fx_get(&fx, "cfg.alpha", 1)[0];
    cfg.u_reset = fx_get(&fx, "cfg.u_reset", 1)[0];
    if (fx_has(&fx, "cfg.gates")) cfg.gates = (grsn_gate_source)fx_int(&fx, "cfg.gates");
    int gin = cfg.gates == GRSN_GATES_SPIKES ? H : in;   // the gates' input width
    Net n;
    CHECK(net_init(&n, &cfg, T, B));
    GrsnCell *c = &n.cell;
    size_t hin = (size_t)H * in;
    int nbeta = cfg.beta_mode == GRSN_BETA_NEURON ? H : 1;
    switch (kind) {
    case GRSN_CELL_GRSN:
        copy_param(&fx, "p.w_f", c->w_f, (size_t)H * gin); copy_param(&fx, "p.w_i", c->w_i, (size_t)H * gin);
        copy_param(&fx, "p.b_f", c->b_f, H); copy_param(&fx, "p.b_i", c->b_i, H);
        if (c->w_in) { copy_param(&fx, "p.w_in", c->w_in, hin); copy_param(&fx, "p.b_in", c->b_in, H); }
        break;
    case GRSN_CELL_LIF:
        copy_param(&fx, "p.w", c->w_i, hin); copy_param(&fx, "p.b", c->b_i, H);
        break;
    case GRSN_CELL_GRU:
        copy_param(&fx, "p.w_ih", c->w_ih, 3 * hin); copy_param(&fx, "p.w_hh", c->w_hh, 3 * (size_t)H * H);
        copy_param(&fx, "p.b_ih", c->b_ih, 3 * H); copy_param(&fx, "p.b_hh", c->b_hh, 3 * H);
        break;
    }
    if (c->beta_a) copy_param(&fx, "p.beta", c->beta_a, nbeta);

    int S = c->state_size;
    size_t TB = (size_t)T * B;
    const float *x = fx_get(&fx, "x", TB * in), *mask = fx_get(&fx, "mask", TB);
    float *state = malloc((size_t)B * S * sizeof(float));
    float *out = malloc(TB * H * sizeof(float));
    float *dx = calloc(TB * in, sizeof(float)), *dstate0 = calloc((size_t)B * S, sizeof(float));
    memcpy(state, fx_get(&fx, "state0", (size_t)B * S), (size_t)B * S * sizeof(float));

    grsn_cell_forward(c, out, state, x, mask, T, B);
    const float *ref_out = fx_get(&fx, "out", TB * H);
    if (kind == GRSN_CELL_GRU) {
        double d = check_tensor("out", out, ref_out, TB * H, FWD_ATOL, FWD_RTOL);
        worst_fwd = d > worst_fwd ? d : worst_fwd;
    } else {
        size_t diff = 0, spikes = 0;
        for (size_t i = 0; i < TB * H; i++) { diff += out[i] != ref_out[i]; spikes += out[i] != 0; }
        CHECK_MSG(diff == 0, "%s: %zu of %zu spike outputs differ", file, diff, TB * H);
        CHECK(spikes > 0);
    }
    double d = check_tensor("final state", state, fx_get(&fx, "state", (size_t)B * S), (size_t)B * S, FWD_ATOL, FWD_RTOL);
    worst_fwd = d > worst_fwd ? d : worst_fwd;

    grsn_params_zero_grad(&n.p);
    grsn_cell_backward(c, dx, dstate0, fx_get(&fx, "dout", TB * H), x, T, B);
    struct { const char *ref; const float *got; size_t n; } g[10];
    int ng = 0;
#define G(name, ptr, count) g[ng].ref = name; g[ng].got = ptr; g[ng].n = count; ng++
    G("dx", dx, TB * in);
    G("dstate0", dstate0, (size_t)B * S);
    switch (kind) {
    case GRSN_CELL_GRSN:
        G("g.w_f", c->dw_f, (size_t)H * gin); G("g.w_i", c->dw_i, (size_t)H * gin);
        G("g.b_f", c->db_f, H); G("g.b_i", c->db_i, H);
        if (c->w_in) { G("g.w_in", c->dw_in, hin); G("g.b_in", c->db_in, H); }
        break;
    case GRSN_CELL_LIF:
        G("g.w", c->dw_i, hin); G("g.b", c->db_i, H);
        break;
    case GRSN_CELL_GRU:
        G("g.w_ih", c->dw_ih, 3 * hin); G("g.w_hh", c->dw_hh, 3 * (size_t)H * H);
        G("g.b_ih", c->db_ih, 3 * H); G("g.b_hh", c->db_hh, 3 * H);
        break;
    }
    if (c->beta_a) { G("g.beta", c->dbeta_a, nbeta); }
#undef G
    for (int i = 0; i < ng; i++) {
        const float *ref = fx_get(&fx, g[i].ref, g[i].n);
        if (!ref) { CHECK(ref != NULL); continue; }
        double dd = check_tensor(g[i].ref, g[i].got, ref, g[i].n, GRAD_ATOL, GRAD_RTOL);
        worst_grad = dd > worst_grad ? dd : worst_grad;
    }
    free(state); free(out); free(dx); free(dstate0);
    net_free(&n); fx_free(&fx);
}

TEST(pytorch_grsn_layer_beta)      { check_fixture("cell_grsn_layer.bin"); }
TEST(pytorch_grsn_neuron_detach)   { check_fixture("cell_grsn_neuron_detach.bin"); }
TEST(pytorch_grsn_fixed_beta)      { check_fixture("cell_grsn_fixed.bin"); }
TEST(pytorch_grsn_hard_reset)      { check_fixture("cell_grsn_hard.bin"); }
TEST(pytorch_grsn_wotap_rate)      { check_fixture("cell_grsn_wotap_rate.bin"); }
TEST(pytorch_grsn_wotap_last)      { check_fixture("cell_grsn_wotap_last.bin"); }
TEST(pytorch_lif_hard)             { check_fixture("cell_lif_hard.bin"); }
TEST(pytorch_lif_soft)             { check_fixture("cell_lif_soft.bin"); }
TEST(pytorch_lif_learnable_beta)   { check_fixture("cell_lif_learn_beta.bin"); }
TEST(pytorch_lif_wotap)            { check_fixture("cell_lif_wotap.bin"); }
TEST(pytorch_gru)                  { check_fixture("cell_gru.bin"); }
TEST(pytorch_grsn_spike_gates)     { check_fixture("cell_grsn_spike_gates.bin"); }
TEST(pytorch_grsn_spike_gates_neuron_hard) { check_fixture("cell_grsn_spike_gates_neuron_hard.bin"); }

// ----------------------------------------------------------------------------
// Helpers: random cells and a scalar loss L = sum(dout * out).

static void randomize(Net *n, grsn_rng *r, float scale) {
    for (size_t i = 0; i < n->p.n; i++) n->p.data[i] = (float)(grsn_rng_normal(r) * scale);
    GrsnCell *c = &n->cell;
    if (c->cfg.kind != GRSN_CELL_GRU) {
        // Positive input-gate / current bias so that neurons fire.
        float *b = c->b_i;
        for (int j = 0; j < c->cfg.hidden; j++) b[j] += 1.0f;
    }
}

static void fill_normal(float *x, size_t n, grsn_rng *r, float scale) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(grsn_rng_normal(r) * scale);
}

static double loss_of(Net *n, const float *state0, const float *x, const float *mask,
                      const float *dout, int T, int B, float *state, float *out) {
    int S = n->cell.state_size, H = n->cell.cfg.hidden;
    memcpy(state, state0, (size_t)B * S * sizeof(float));
    grsn_cell_forward(&n->cell, out, state, x, mask, T, B);
    double L = 0;
    for (size_t i = 0; i < (size_t)T * B * H; i++) L += (double)dout[i] * out[i];
    return L;
}

// ----------------------------------------------------------------------------
// 2. Finite differences on the smooth twin

// share: the membrane share of a readout blend (cfg.readout_blend = 1).
static void fd_check_share(GrsnCellConfig cfg, float share, const char *what) {
    const int T = 12, B = 2;
    cfg.smooth = 1;
    Net n;
    CHECK(net_init(&n, &cfg, T, B));
    n.cell.membrane_share = share;
    grsn_rng r; grsn_rng_seed(&r, 17, 1);
    randomize(&n, &r, 0.5f);
    // Keep the GRSN input gate's ReLU away from its kink, where a finite
    // difference is meaningless (ReLU'(0) is checked against PyTorch instead).
    if (cfg.kind == GRSN_CELL_GRSN)
        for (int j = 0; j < cfg.hidden; j++) n.cell.b_i[j] += 3.0f;
    int S = n.cell.state_size, H = cfg.hidden, in = cfg.in;
    size_t TB = (size_t)T * B;
    float *x = malloc(TB * in * 4), *dout = malloc(TB * H * 4), *state0 = malloc((size_t)B * S * 4);
    float *state = malloc((size_t)B * S * 4), *out = malloc(TB * H * 4);
    float *dx = calloc(TB * in, 4), *ds0 = calloc((size_t)B * S, 4), *mask = malloc(TB * 4);
    fill_normal(x, TB * in, &r, 1.0f); fill_normal(dout, TB * H, &r, 1.0f);
    fill_normal(state0, (size_t)B * S, &r, 0.5f);
    for (size_t i = 0; i < TB; i++) mask[i] = 1.0f;
    for (int t = T - 3; t < T; t++) mask[t * B + 1] = 0.0f;   // row 1 ends early
    loss_of(&n, state0, x, mask, dout, T, B, state, out);
    grsn_params_zero_grad(&n.p);
    grsn_cell_backward(&n.cell, dx, ds0, dout, x, T, B);
    float *analytic = malloc(n.p.n * 4);
    memcpy(analytic, n.p.grad, n.p.n * 4);

    // 4-point central difference (ggml's), computed on float inputs in double.
    const float e = 1e-2f;
    int bad = 0, checked = 0; double worst = 0;
    float *targets[3] = {n.p.data, x, state0};
    const float *grads[3] = {analytic, dx, ds0};
    size_t counts[3] = {n.p.n, TB * in, (size_t)B * S};
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < counts[k]; i++) {
            float *v = &targets[k][i], v0 = *v;
            *v = v0 + e / 2; double fp = loss_of(&n, state0, x, mask, dout, T, B, state, out);
            *v = v0 - e / 2; double fm = loss_of(&n, state0, x, mask, dout, T, B, state, out);
            *v = v0 + e;     double fpp = loss_of(&n, state0, x, mask, dout, T, B, state, out);
            *v = v0 - e;     double fmm = loss_of(&n, state0, x, mask, dout, T, B, state, out);
            *v = v0;
            double num = (8 * fp + fmm - 8 * fm - fpp) / (6.0 * e);
            double ana = grads[k][i];
            double err = fabs(num - ana) / (1e-2 + fabs(num));
            worst = err > worst ? err : worst;
            if (err > 2e-2) { if (bad < 3) printf("    %s fd[%d][%zu]: numeric %.6g analytic %.6g\n", what, k, i, num, ana); bad++; }
            checked++;
        }
    }
    if (getenv("GRSN_TEST_VERBOSE")) printf("    %s: %d gradients, worst rel err %.2e\n", what, checked, worst);
    CHECK_MSG(bad == 0, "%s: %d of %d gradients disagree with finite differences", what, bad, checked);
    free(x); free(dout); free(state0); free(state); free(out); free(dx); free(ds0); free(mask); free(analytic);
    net_free(&n);
}

static void fd_check(GrsnCellConfig cfg, const char *what) { fd_check_share(cfg, 0.0f, what); }

TEST(fd_grsn_soft_layer_beta) { fd_check(grsn_cell_config(GRSN_CELL_GRSN, 4, 5), "grsn"); }
TEST(fd_grsn_neuron_beta) {
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_GRSN, 4, 5); c.beta_mode = GRSN_BETA_NEURON;
    fd_check(c, "grsn neuron beta");
}
TEST(fd_grsn_hard_reset) {
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_GRSN, 4, 5); c.reset = GRSN_RESET_HARD; c.u_reset = 0.2f;
    fd_check(c, "grsn hard");
}
TEST(fd_grsn_wotap) {
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_GRSN, 4, 5); c.substeps = 4;
    fd_check(c, "grsn w/o tap");
}
TEST(fd_grsn_wotap_last) {
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_GRSN, 4, 5); c.substeps = 3; c.decode = GRSN_DECODE_LAST;
    fd_check(c, "grsn w/o tap last");
}
TEST(fd_lif_hard) { fd_check(grsn_cell_config(GRSN_CELL_LIF, 4, 5), "lif hard"); }
TEST(fd_lif_soft_learnable) {
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_LIF, 4, 5); c.reset = GRSN_RESET_SOFT; c.beta_mode = GRSN_BETA_LAYER;
    fd_check(c, "lif soft");
}
TEST(fd_lif_wotap) {
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_LIF, 4, 5); c.substeps = 4;
    fd_check(c, "lif w/o tap");
}
TEST(fd_gru) { fd_check(grsn_cell_config(GRSN_CELL_GRU, 4, 5), "gru"); }
static GrsnCellConfig spike_gated(int in, int hidden) {
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_GRSN, in, hidden);
    c.gates = GRSN_GATES_SPIKES;
    return c;
}
TEST(fd_grsn_spike_gates) { fd_check(spike_gated(4, 5), "grsn spike gates"); }
TEST(fd_grsn_spike_gates_neuron_hard) {
    GrsnCellConfig c = spike_gated(4, 5);
    c.beta_mode = GRSN_BETA_NEURON; c.reset = GRSN_RESET_HARD; c.u_reset = 0.2f;
    fd_check(c, "grsn spike gates, neuron beta, hard reset");
}

static GrsnCellConfig membrane_readout(grsn_cell_kind kind, int in, int hidden) {
    GrsnCellConfig c = grsn_cell_config(kind, in, hidden);
    c.readout = GRSN_READOUT_MEMBRANE;
    return c;
}
TEST(fd_grsn_membrane_readout) { fd_check(membrane_readout(GRSN_CELL_GRSN, 4, 5), "grsn membrane readout"); }
// A readout blend part way through its anneal: the output's gradient splits
// between the potential and the spikes.
TEST(fd_grsn_readout_blend) {
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_GRSN, 4, 5); c.readout_blend = 1;
    fd_check_share(c, 0.3f, "grsn readout blend m = 0.3");
}
TEST(fd_lif_membrane_readout_wotap) {
    GrsnCellConfig c = membrane_readout(GRSN_CELL_LIF, 4, 5); c.substeps = 3;
    fd_check(c, "lif membrane readout w/o tap");
}

// ----------------------------------------------------------------------------
// 3. Hand-computed sequences

// One GRSN neuron with constant gates F = sigmoid(0) = 0.5 and J = j_const.
static void one_neuron_grsn(Net *n, float j_const, int act_reset) {
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_GRSN, 1, 1);
    grsn_cell_config_compat(&c);              // fixed beta 0.5, as in spec §2.5
    c.act_reset_membrane = act_reset;
    net_init(n, &c, 8, 1);
    n->cell.w_f[0] = 0; n->cell.b_f[0] = 0;
    n->cell.w_i[0] = 0; n->cell.b_i[0] = j_const;
}

static void run_examples(float jc, const float *train_s, const float *act_s, int T) {
    Net n; one_neuron_grsn(&n, jc, 1);
    float x[8] = {0}, out[8], state[2] = {0, 0};
    grsn_cell_forward(&n.cell, out, state, x, NULL, T, 1);
    for (int t = 0; t < T; t++) CHECK_MSG(out[t] == train_s[t], "C=%g training t=%d: %g", jc, t + 1, out[t]);
    float st[2] = {0, 0};
    for (int t = 0; t < T; t++) {
        float o; grsn_cell_step(&n.cell, &o, st, x, 1);
        CHECK_MSG(o == act_s[t], "C=%g acting (code) t=%d: %g", jc, t + 1, o);
    }
    net_free(&n);
    // TAP (the paper): acting carries the membrane and equals training.
    one_neuron_grsn(&n, jc, 0);
    float st2[2] = {0, 0};
    for (int t = 0; t < T; t++) {
        float o; grsn_cell_step(&n.cell, &o, st2, x, 1);
        CHECK_MSG(o == train_s[t], "C=%g acting (TAP) t=%d: %g", jc, t + 1, o);
    }
    net_free(&n);
}

TEST(spec_example_A) {
    // F = 0.5, C = 3: spikes 0 1 1 1 in training and in code-style acting.
    const float s[4] = {0, 1, 1, 1};
    run_examples(3.0f, s, s, 4);
}

TEST(spec_example_B) {
    // F = 0.5, C = 2.2: training 0 1 1 1 1 1; code-style acting 0 0 0 1 1 1.
    const float train[6] = {0, 1, 1, 1, 1, 1}, act[6] = {0, 0, 0, 1, 1, 1};
    run_examples(2.2f, train, act, 6);
}

TEST(lif_hard_reset_sequence) {
    // c = 1.6 constant, beta 0.5, hard reset to 0: u = 0.8, 1.2 (fire, -> 0), 0.8, 1.2 ...
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_LIF, 1, 1);
    Net n; net_init(&n, &c, 6, 1);
    n.cell.w_i[0] = 0; n.cell.b_i[0] = 1.6f;
    float x[6] = {0}, out[6], u = 0;
    grsn_cell_forward(&n.cell, out, &u, x, NULL, 6, 1);
    const float want[6] = {0, 1, 0, 1, 0, 1};
    for (int t = 0; t < 6; t++) CHECK(out[t] == want[t]);
    CHECK_NEAR(n.cell.u_seq[1], 1.2f, 1e-6, 0);
    CHECK(u == 0.0f);   // the last step fired: hard reset to u_r
    net_free(&n);
}

TEST(threshold_exactly_fires) {
    // Theta(0) = 1: u == theta fires. beta 0.5, c = 2 from u^ = 0 gives u = 1.
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_LIF, 1, 1);
    c.reset = GRSN_RESET_SOFT;
    Net n; net_init(&n, &c, 1, 1);
    n.cell.w_i[0] = 0; n.cell.b_i[0] = 2.0f;
    float x = 0, out, u = 0;
    grsn_cell_forward(&n.cell, &out, &u, &x, NULL, 1, 1);
    CHECK(out == 1.0f); CHECK(u == 0.0f);
    net_free(&n);
}

TEST(spike_gates_read_previous_spike) {
    // One neuron, no input current, F = sigmoid(0) = 0.5, J = ReLU(2 - 2 o_{t-1}),
    // beta 0.5: J is 2 except right after a spike, where it is 0.
    //   t  J  c        u                      o
    //   1  2  1        0.5                    0
    //   2  2  1.5      0.25 + 0.75 = 1        1   (u^ = 0)
    //   3  0  0.75     0.375                  0
    //   4  2  1.375    0.1875 + 0.6875        0
    //   5  2  1.6875   0.4375 + 0.84375       1   (u^ = 0.28125)
    //   6  0  0.84375  0.140625 + 0.421875    0
    GrsnCellConfig c = spike_gated(1, 1);
    c.beta_mode = GRSN_BETA_FIXED;
    Net n; CHECK(net_init(&n, &c, 6, 1));
    n.cell.w_in[0] = 0; n.cell.b_in[0] = 0;
    n.cell.w_f[0] = 0; n.cell.b_f[0] = 0;
    n.cell.w_i[0] = -2; n.cell.b_i[0] = 2;
    float x[6] = {0}, out[6], state[3] = {0, 0, 0};
    CHECK(n.cell.state_size == 3);
    grsn_cell_forward(&n.cell, out, state, x, NULL, 6, 1);
    const float want[6] = {0, 1, 0, 0, 1, 0};
    for (int t = 0; t < 6; t++) CHECK_MSG(out[t] == want[t], "t=%d: %g", t + 1, out[t]);
    CHECK(state[0] == 0.84375f && state[1] == 0.0f && state[2] == 0.5625f);   // c, o_6, u^
    net_free(&n);
}

// ----------------------------------------------------------------------------
// 4. TAP: acting step by step == training forward, bit for bit

static void step_equals_sequence(GrsnCellConfig cfg) {
    const int T = 40, B = 5;
    Net n; CHECK(net_init(&n, &cfg, T, B));
    grsn_rng r; grsn_rng_seed(&r, 3, 1);
    randomize(&n, &r, 0.4f);
    int S = n.cell.state_size, H = cfg.hidden, in = cfg.in;
    float *x = malloc((size_t)T * B * in * 4), *out = malloc((size_t)T * B * H * 4), *o1 = malloc((size_t)B * H * 4);
    float *s_seq = malloc((size_t)B * S * 4), *s_step = malloc((size_t)B * S * 4);
    fill_normal(x, (size_t)T * B * in, &r, 1.5f);
    fill_normal(s_seq, (size_t)B * S, &r, 0.3f);
    memcpy(s_step, s_seq, (size_t)B * S * 4);
    grsn_cell_forward(&n.cell, out, s_seq, x, NULL, T, B);
    int same = 1, spikes = 0;
    for (int t = 0; t < T; t++) {
        grsn_cell_step(&n.cell, o1, s_step, x + (size_t)t * B * in, B);
        same &= memcmp(o1, out + (size_t)t * B * H, (size_t)B * H * 4) == 0;
        for (int i = 0; i < B * H; i++) spikes += o1[i] != 0;
    }
    CHECK_MSG(same, "%s: step outputs differ from the sequence forward", grsn_cell_kind_name(cfg.kind));
    CHECK(memcmp(s_seq, s_step, (size_t)B * S * 4) == 0);
    CHECK(spikes > 0);
    free(x); free(out); free(o1); free(s_seq); free(s_step);
    net_free(&n);
}

TEST(tap_step_equals_sequence_grsn) { step_equals_sequence(grsn_cell_config(GRSN_CELL_GRSN, 7, 33)); }
TEST(tap_step_equals_sequence_lif)  { step_equals_sequence(grsn_cell_config(GRSN_CELL_LIF, 7, 33)); }
TEST(tap_step_equals_sequence_gru)  { step_equals_sequence(grsn_cell_config(GRSN_CELL_GRU, 7, 33)); }
TEST(tap_step_equals_sequence_wotap) {
    GrsnCellConfig c = grsn_cell_config(GRSN_CELL_GRSN, 7, 33); c.substeps = 4;
    step_equals_sequence(c);
}
TEST(tap_step_equals_sequence_spike_gates) { step_equals_sequence(spike_gated(7, 33)); }
TEST(tap_step_equals_sequence_membrane) { step_equals_sequence(membrane_readout(GRSN_CELL_GRSN, 7, 33)); }

// readout = MEMBRANE changes what the cell hands on, not its dynamics: the
// output is the potential u_t that the spiking cell computes (its cache),
// the state after the window and the spikes counted are the spiking cell's,
// bit for bit.
TEST(membrane_readout_outputs_potential) {
    const int T = 20, B = 3, in = 6, H = 9;
    Net a, b;
    GrsnCellConfig cs = grsn_cell_config(GRSN_CELL_GRSN, in, H), cm = cs;
    cm.readout = GRSN_READOUT_MEMBRANE;
    CHECK(net_init(&a, &cs, T, B)); CHECK(net_init(&b, &cm, T, B));
    grsn_rng r; grsn_rng_seed(&r, 5, 1);
    randomize(&a, &r, 0.6f);
    memcpy(b.p.data, a.p.data, a.p.n * sizeof(float));
    float *x = malloc((size_t)T * B * in * 4), *oa = malloc((size_t)T * B * H * 4), *ob = malloc((size_t)T * B * H * 4);
    float sa[3 * 2 * 9] = {0}, sb[3 * 2 * 9] = {0};
    fill_normal(x, (size_t)T * B * in, &r, 1.5f);
    grsn_cell_forward(&a.cell, oa, sa, x, NULL, T, B);
    grsn_cell_forward(&b.cell, ob, sb, x, NULL, T, B);
    CHECK(memcmp(ob, a.cell.u_seq, (size_t)T * B * H * 4) == 0);
    CHECK(memcmp(sa, sb, sizeof sa) == 0);
    // Its spikes, for counting, are the spiking cell's output.
    CHECK(grsn_cell_forward_spikes(&a.cell, oa) == oa);
    CHECK(memcmp(grsn_cell_forward_spikes(&b.cell, ob), oa, (size_t)T * B * H * 4) == 0);
    memset(sa, 0, sizeof sa); memset(sb, 0, sizeof sb);
    int steps_same = 1;
    for (int t = 0; t < T; t++) {   // and so are those of each acting step
        const float *xt = x + (size_t)t * B * in;
        grsn_cell_step(&a.cell, oa, sa, xt, B);
        grsn_cell_step(&b.cell, ob, sb, xt, B);
        steps_same &= grsn_cell_step_spikes(&a.cell, oa) == oa;
        steps_same &= memcmp(grsn_cell_step_spikes(&b.cell, ob), oa, (size_t)B * H * 4) == 0;
    }
    CHECK(steps_same);
    int spikes = 0, below = 0;
    for (int i = 0; i < T * B * H; i++) { spikes += oa[i] != 0.0f; below += ob[i] < 1.0f; }
    CHECK(spikes > 0 && below > 0);   // both regimes occur
    free(x); free(oa); free(ob);
    net_free(&a); net_free(&b);
}

// ----------------------------------------------------------------------------
// 5. 1 thread == 2 threads, bit for bit, at the paper's sizes: the control
// agents' windows (T 65, B 32, one row cut short) and a QMIX batch (agents of
// episodes that end at different steps, enough rows for threads to share each
// step's rows).

static void threads_identical_shape(GrsnCellConfig cfg, int T, int B, int qmix) {
    const int in = cfg.in, H = cfg.hidden;
    Net n; CHECK(net_init(&n, &cfg, T, B));
    grsn_rng r; grsn_rng_seed(&r, 5, 1);
    CHECK(grsn_cell_reset_parameters(&n.cell, &r) == GRSN_OK);
    int S = n.cell.state_size;
    size_t TB = (size_t)T * B;
    float *x = malloc(TB * in * 4), *dout = malloc(TB * H * 4), *mask = malloc(TB * 4);
    fill_normal(x, TB * in, &r, 1.0f); fill_normal(dout, TB * H, &r, 1.0f);
    for (size_t i = 0; i < TB; i++) {
        int t = (int)(i / B), bi = (int)(i % B);
        mask[i] = qmix ? (t < 1 + (bi * 7) % T ? 1.0f : 0.0f) : (bi == 3 && t > 50) ? 0.0f : 1.0f;
    }
    float *res[2][4];
    for (int run = 0; run < 2; run++) {
        grsn_set_threads(run == 0 ? 1 : 2);
        float *state = calloc((size_t)B * S, 4), *out = malloc(TB * H * 4), *dx = calloc(TB * in, 4);
        grsn_cell_forward(&n.cell, out, state, x, mask, T, B);
        grsn_params_zero_grad(&n.p);
        grsn_cell_backward(&n.cell, dx, NULL, dout, x, T, B);
        float *g = malloc(n.p.n * 4); memcpy(g, n.p.grad, n.p.n * 4);
        res[run][0] = out; res[run][1] = state; res[run][2] = dx; res[run][3] = g;
    }
    grsn_set_threads(0);
    CHECK(memcmp(res[0][0], res[1][0], TB * H * 4) == 0);
    CHECK(memcmp(res[0][1], res[1][1], (size_t)B * S * 4) == 0);
    CHECK(memcmp(res[0][2], res[1][2], TB * in * 4) == 0);
    CHECK(memcmp(res[0][3], res[1][3], n.p.n * 4) == 0);
    for (int run = 0; run < 2; run++) for (int k = 0; k < 4; k++) free(res[run][k]);
    free(x); free(dout); free(mask);
    net_free(&n);
}

// control: the control agents' core (48 -> 128); qmix: the QMIX agent's (64 -> 64).
static void threads_identical_cfg(GrsnCellConfig control, GrsnCellConfig qmix) {
    threads_identical_shape(control, 65, 32, 0);
    threads_identical_shape(qmix, 24, 80, 1);
}

static void threads_identical(grsn_cell_kind kind) {
    threads_identical_cfg(grsn_cell_config(kind, 48, 128), grsn_cell_config(kind, 64, 64));
}

TEST(threads_identical_grsn) { threads_identical(GRSN_CELL_GRSN); }
TEST(threads_identical_lif)  { threads_identical(GRSN_CELL_LIF); }
TEST(threads_identical_gru)  { threads_identical(GRSN_CELL_GRU); }
TEST(threads_identical_spike_gates) { threads_identical_cfg(spike_gated(48, 128), spike_gated(64, 64)); }

// ----------------------------------------------------------------------------
// 6. Masks, parameters, bad input

static void masked_steps_hold(GrsnCellConfig cfg) {
    // A row whose steps t >= 5 are masked ends in the state it had after t = 4,
    // outputs zeros there, and matches a run of only 5 steps.
    const int T = 9, B = 1;
    Net n; CHECK(net_init(&n, &cfg, T, B));
    grsn_rng r; grsn_rng_seed(&r, 8, 1);
    randomize(&n, &r, 0.5f);
    float x[9 * 3], mask[9], out[9 * 6], out5[5 * 6], s_full[18] = {0}, s_5[18] = {0};
    fill_normal(x, 27, &r, 1.0f);
    for (int t = 0; t < T; t++) mask[t] = t < 5;
    grsn_cell_forward(&n.cell, out, s_full, x, mask, T, B);
    grsn_cell_forward(&n.cell, out5, s_5, x, NULL, 5, B);
    CHECK(memcmp(s_full, s_5, sizeof s_5) == 0);
    CHECK(memcmp(out, out5, sizeof out5) == 0);
    int zeros = 1;
    for (int i = 5 * 6; i < 9 * 6; i++) zeros &= out[i] == 0.0f;
    CHECK(zeros);
    net_free(&n);
}
TEST(masked_steps_hold_state) { masked_steps_hold(grsn_cell_config(GRSN_CELL_GRSN, 3, 6)); }
TEST(masked_steps_hold_state_spike_gates) { masked_steps_hold(spike_gated(3, 6)); }

TEST(parameter_counts_match_spec) {
    // Spec §3.5: GRSN 48->128 = 12,544 (+1 learnable beta), LIF 6,272, GRU 68,352.
    GrsnCellConfig g = grsn_cell_config(GRSN_CELL_GRSN, 48, 128), l = grsn_cell_config(GRSN_CELL_LIF, 48, 128),
                   u = grsn_cell_config(GRSN_CELL_GRU, 48, 128);
    Net a, b, c;
    CHECK(net_init(&a, &g, 1, 1)); CHECK(net_init(&b, &l, 1, 1)); CHECK(net_init(&c, &u, 1, 1));
    CHECK(a.p.n == 12544 + 1); CHECK(b.p.n == 6272); CHECK(c.p.n == 68352);
    net_free(&a); net_free(&b); net_free(&c);
    // Spike gates: [W_f; W_i] 2 x 128 x 128 + 256, W_in 128 x 48 + 128, beta.
    GrsnCellConfig s = spike_gated(48, 128);
    CHECK(net_init(&a, &s, 1, 1));
    CHECK(a.p.n == 2 * 128 * 128 + 256 + 128 * 48 + 128 + 1);
    CHECK(a.cell.state_size == 3 * 128);
    net_free(&a);
}

TEST(reset_parameters_orthogonal_and_beta) {
    GrsnCellConfig cfg = grsn_cell_config(GRSN_CELL_GRSN, 48, 128);
    Net n; CHECK(net_init(&n, &cfg, 1, 1));
    grsn_rng r; grsn_rng_seed(&r, 0, GRSN_STREAM_INIT);
    CHECK(grsn_cell_reset_parameters(&n.cell, &r) == GRSN_OK);
    // 128 x 48 orthogonal: the 48 columns are orthonormal.
    double worst = 0;
    for (int a = 0; a < 48; a++)
        for (int b = 0; b < 48; b++) {
            double d = 0;
            for (int i = 0; i < 128; i++) d += (double)n.cell.w_f[i * 48 + a] * n.cell.w_f[i * 48 + b];
            worst = fmax(worst, fabs(d - (a == b)));
        }
    CHECK(worst < 1e-5);
    CHECK_NEAR(grsn_cell_beta(&n.cell, 0), 0.5, 1e-7, 0);
    CHECK(n.cell.b_f[0] == 0.0f && n.cell.b_i[127] == 0.0f);
    net_free(&n);
}

TEST(bad_sizes_are_errors) {
    GrsnParams p; grsn_params_init(&p);
    GrsnCell c;
    GrsnCellConfig cfg = grsn_cell_config(GRSN_CELL_GRSN, 0, 128);
    CHECK(grsn_cell_init(&c, &p, "cell", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "impossible sizes") != NULL);
    cfg = grsn_cell_config(GRSN_CELL_GRSN, 4, 8); cfg.beta = 1.5f;
    CHECK(grsn_cell_init(&c, &p, "cell2", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "beta") != NULL);
    cfg = grsn_cell_config(GRSN_CELL_GRU, 4, 8); cfg.substeps = 4;
    CHECK(grsn_cell_init(&c, &p, "cell3", &cfg, 10, 10) == GRSN_ERR_ARG);
    cfg = grsn_cell_config(GRSN_CELL_LIF, 4, 8);
    CHECK(grsn_cell_init(&c, &p, "cell4", &cfg, 0, 10) == GRSN_ERR_ARG);
    cfg = grsn_cell_config(GRSN_CELL_LIF, 4, 8); cfg.gates = GRSN_GATES_SPIKES;
    CHECK(grsn_cell_init(&c, &p, "cell5", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "GRSN option") != NULL);
    cfg = spike_gated(4, 8); cfg.substeps = 4;
    CHECK(grsn_cell_init(&c, &p, "cell6", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "(TAP)") != NULL);
    cfg = spike_gated(4, 8); cfg.gates = (grsn_gate_source)7;
    CHECK(grsn_cell_init(&c, &p, "cell7", &cfg, 10, 10) == GRSN_ERR_ARG);
    cfg = membrane_readout(GRSN_CELL_GRU, 4, 8);
    CHECK(grsn_cell_init(&c, &p, "cell8", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "spiking core (grsn, lif), not gru") != NULL);
    cfg = spike_gated(4, 8); cfg.readout = GRSN_READOUT_MEMBRANE;
    CHECK(grsn_cell_init(&c, &p, "cell9", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "cell.gates = input") != NULL);
    cfg = membrane_readout(GRSN_CELL_GRSN, 4, 8); cfg.readout_blend = 1;   // blend needs the spike readout
    CHECK(grsn_cell_init(&c, &p, "cell11", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "readout anneal needs cell.gates = input and cell.readout = spikes") != NULL);
    cfg = grsn_cell_config(GRSN_CELL_GRU, 4, 8); cfg.readout_blend = 1;
    CHECK(grsn_cell_init(&c, &p, "cell12", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "readout anneal needs a spiking core (grsn, lif), not gru") != NULL);
    cfg = membrane_readout(GRSN_CELL_LIF, 4, 8); cfg.readout = (grsn_readout)7;
    CHECK(grsn_cell_init(&c, &p, "cell10", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "valid: spikes, membrane") != NULL);
    cfg = grsn_cell_config(GRSN_CELL_GRSN, 4, 8); cfg.beta_mode = (grsn_beta_mode)3;
    CHECK(grsn_cell_init(&c, &p, "cell13", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "unknown beta_mode 3; valid: fixed, layer, neuron") != NULL);
    cfg = grsn_cell_config(GRSN_CELL_LIF, 4, 8); cfg.reset = (grsn_reset_mode)2;
    CHECK(grsn_cell_init(&c, &p, "cell14", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "unknown reset 2; valid: soft, hard") != NULL);
    cfg = grsn_cell_config(GRSN_CELL_GRSN, 4, 8); cfg.decode = (grsn_decode)-1;
    CHECK(grsn_cell_init(&c, &p, "cell15", &cfg, 10, 10) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "unknown decode -1; valid: rate, last") != NULL);
    CHECK(grsn_cell_kind_from_name("grsn") == GRSN_CELL_GRSN);
    CHECK(grsn_cell_kind_from_name("lstm") == -1);
    grsn_params_free(&p);
}

// A readout blend (QMIX's readout anneal) hands on o + m (u - o): the spiking
// cell's output at m = 0 and the membrane readout's at m = 1, bit for bit,
// and their blend in between; its spikes for counting are the spiking cell's
// at every m, and the dynamics (the final state) never change.
TEST(readout_blend_between_spikes_and_membrane) {
    const int T = 16, B = 3, in = 6, H = 9;
    Net a, b, c;
    GrsnCellConfig cs = grsn_cell_config(GRSN_CELL_GRSN, in, H), cm = cs, cb = cs;
    cm.readout = GRSN_READOUT_MEMBRANE;
    cb.readout_blend = 1;
    CHECK(net_init(&a, &cs, T, B)); CHECK(net_init(&b, &cm, T, B)); CHECK(net_init(&c, &cb, T, B));
    grsn_rng r; grsn_rng_seed(&r, 8, 1);
    randomize(&a, &r, 0.6f);
    memcpy(b.p.data, a.p.data, a.p.n * sizeof(float));
    memcpy(c.p.data, a.p.data, a.p.n * sizeof(float));
    size_t n = (size_t)T * B * H;
    float *x = malloc((size_t)T * B * in * 4), *oa = malloc(n * 4), *ob = malloc(n * 4), *oc = malloc(n * 4);
    float sa[3 * 2 * 9], sb[3 * 2 * 9], sc[3 * 2 * 9];
    fill_normal(x, (size_t)T * B * in, &r, 1.5f);
    memset(sa, 0, sizeof sa); grsn_cell_forward(&a.cell, oa, sa, x, NULL, T, B);
    memset(sb, 0, sizeof sb); grsn_cell_forward(&b.cell, ob, sb, x, NULL, T, B);
    const float shares[3] = {0.0f, 1.0f, 0.375f};
    for (int k = 0; k < 3; k++) {
        float m = shares[k];
        c.cell.membrane_share = m;
        memset(sc, 0, sizeof sc); grsn_cell_forward(&c.cell, oc, sc, x, NULL, T, B);
        int same = 1, spikes = 0;
        for (size_t i = 0; i < n; i++) same &= oc[i] == oa[i] + m * (ob[i] - oa[i]);
        CHECK_MSG(same, "m = %g: output is not o + m (u - o)", m);
        if (m == 0.0f) CHECK(memcmp(oc, oa, n * 4) == 0);
        if (m == 1.0f) CHECK(memcmp(oc, ob, n * 4) == 0);
        CHECK(memcmp(grsn_cell_forward_spikes(&c.cell, oc), oa, n * 4) == 0);
        CHECK(memcmp(sc, sa, sizeof sa) == 0);
        for (size_t i = 0; i < n; i++) spikes += oa[i] != 0.0f;
        CHECK(spikes > 0);
    }
    // Acting carries the same blend.
    c.cell.membrane_share = 0.375f;
    memset(sc, 0, sizeof sc);
    int steps_same = 1;
    for (int t = 0; t < T; t++) {
        float o[3 * 9];
        grsn_cell_step(&c.cell, o, sc, x + (size_t)t * B * in, B);
        steps_same &= memcmp(o, oc + (size_t)t * B * H, sizeof o) == 0;
    }
    CHECK(steps_same);
    free(x); free(oa); free(ob); free(oc);
    net_free(&a); net_free(&b); net_free(&c);
}

int main(void) {
    RUN(pytorch_grsn_layer_beta);
    RUN(pytorch_grsn_neuron_detach);
    RUN(pytorch_grsn_fixed_beta);
    RUN(pytorch_grsn_hard_reset);
    RUN(pytorch_grsn_wotap_rate);
    RUN(pytorch_grsn_wotap_last);
    RUN(pytorch_lif_hard);
    RUN(pytorch_lif_soft);
    RUN(pytorch_lif_learnable_beta);
    RUN(pytorch_lif_wotap);
    RUN(pytorch_gru);
    RUN(pytorch_grsn_spike_gates);
    RUN(pytorch_grsn_spike_gates_neuron_hard);
    printf("    fixtures: worst forward abs diff %.3g, worst gradient abs diff %.3g\n", worst_fwd, worst_grad);
    RUN(fd_grsn_soft_layer_beta);
    RUN(fd_grsn_neuron_beta);
    RUN(fd_grsn_hard_reset);
    RUN(fd_grsn_wotap);
    RUN(fd_grsn_wotap_last);
    RUN(fd_lif_hard);
    RUN(fd_lif_soft_learnable);
    RUN(fd_lif_wotap);
    RUN(fd_gru);
    RUN(fd_grsn_spike_gates);
    RUN(fd_grsn_spike_gates_neuron_hard);
    RUN(fd_grsn_membrane_readout);
    RUN(fd_grsn_readout_blend);
    RUN(fd_lif_membrane_readout_wotap);
    RUN(spec_example_A);
    RUN(spec_example_B);
    RUN(lif_hard_reset_sequence);
    RUN(threshold_exactly_fires);
    RUN(spike_gates_read_previous_spike);
    RUN(tap_step_equals_sequence_grsn);
    RUN(tap_step_equals_sequence_lif);
    RUN(tap_step_equals_sequence_gru);
    RUN(tap_step_equals_sequence_wotap);
    RUN(tap_step_equals_sequence_spike_gates);
    RUN(tap_step_equals_sequence_membrane);
    RUN(membrane_readout_outputs_potential);
    RUN(readout_blend_between_spikes_and_membrane);
    RUN(threads_identical_grsn);
    RUN(threads_identical_lif);
    RUN(threads_identical_gru);
    RUN(threads_identical_spike_gates);
    RUN(masked_steps_hold_state);
    RUN(masked_steps_hold_state_spike_gates);
    RUN(parameter_counts_match_spec);
    RUN(reset_parameters_orthogonal_and_beta);
    RUN(bad_sizes_are_errors);
    return test_summary("test_cells");
}
