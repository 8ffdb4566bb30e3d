/*
 * test_qmix.c — QMIX (reference-implementation.md §9):
 *   - one update (GRU and GRSN agents) against PyTorch (fixtures by
 *     dev/gen_qmix_fixtures.py): TD(lambda) targets, Q_tot, loss, gradient
 *     norm, the clipped gradients of agent and mixer, parameters after Adam;
 *   - mixer monotonicity (dQ_tot/dq_a >= 0) and its gradients against finite
 *     differences, on random inputs;
 *   - TD(lambda) targets against values worked out by hand;
 *   - TAP: acting one decision at a time equals the agent over the episode;
 *   - leaky output neurons (--q-leak): the agent's Q is the leak-0 agent's Q
 *     filtered through y_t = leak y_{t-1} + q_t, and its gradients those of
 *     the leak-0 agent with the adjoints filtered backwards;
 *   - masked actions are never chosen (acting greedily, exploring);
 *   - the same seed gives the same run, on 1 and 2 threads;
 *   - bad input: unknown map, a net QMIX does not take;
 *   - a short run on 3m clearly beats the random policy (about 15 s of CPU).
 *
 * Fixture tolerances: targets, Q_tot and loss 1e-5 relative; gradients
 * 1e-6 + 1e-4 relative; parameters after one Adam step 2e-6 + 1e-4 relative
 * (Adam moves each parameter by about lr = 1e-3, so 2e-6 is 1/500 of a step).
 */
#include "grsn.h"
#include "test.h"
#include "fixture.h"
#include "qmix_net.h"

// ----------------------------------------------------------------------------
// One update against PyTorch

static void check_update_fixture(const char *file) {
    Fixture fx;
    CHECK(fx_load(&fx, file));
    if (!fx.count) return;
    GrsnCellConfig cell = grsn_cell_config(GRSN_CELL_GRSN, 1, 1);
    grsn_net net = (grsn_net)fx_int(&fx, "cfg.net");
    if (net == GRSN_NET_GRU) cell = grsn_cell_config(GRSN_CELL_GRU, 1, 1);
    QCoreConfig k = {
        .net = net, .cell = &cell, .n_agents = fx_int(&fx, "cfg.n_agents"), .obs_dim = fx_int(&fx, "cfg.obs_dim"),
        .state_dim = fx_int(&fx, "cfg.state_dim"), .n_actions = fx_int(&fx, "cfg.n_actions"),
        .hidden = fx_int(&fx, "cfg.hidden"), .decoder = fx_has(&fx, "cfg.decoder") ? fx_int(&fx, "cfg.decoder") : 0,
        .embed = fx_int(&fx, "cfg.embed"), .hyper = fx_int(&fx, "cfg.hyper"),
        .max_T = fx_int(&fx, "cfg.T"), .batch = fx_int(&fx, "cfg.B"), .act_rows = 1,
        .lr = fx_get(&fx, "cfg.lr", 1)[0], .gamma = fx_get(&fx, "cfg.gamma", 1)[0],
        .td_lambda = fx_get(&fx, "cfg.td_lambda", 1)[0], .grad_clip = fx_get(&fx, "cfg.grad_clip", 1)[0],
    };
    QCore c;
    CHECK(qcore_init(&c, &k) == GRSN_OK);
    char nm[128];
    const char *src[2] = {"init", "target"};
    for (int part = 0; part < 2; part++) {
        GrsnParams *p = &c.params[part];
        for (int i = 0; i < p->count; i++) {
            snprintf(nm, sizeof nm, "%s.%s", src[part], p->info[i].name);
            const float *v = fx_get(&fx, nm, p->info[i].n);
            CHECK_MSG(v != NULL, "%s", nm);
            if (v) memcpy(p->data + p->info[i].offset, v, p->info[i].n * sizeof(float));
        }
    }
    int T = k.max_T, T1 = T + 1, B = k.batch, n = k.n_agents, A = k.n_actions;
    QBatch b = {.T = T, .B = B, .n_agents = n, .obs_dim = k.obs_dim, .state_dim = k.state_dim, .n_actions = A};
    b.obs = (float *)fx_get(&fx, "batch.obs", (size_t)T1 * B * n * k.obs_dim);
    b.state = (float *)fx_get(&fx, "batch.state", (size_t)T1 * B * k.state_dim);
    b.reward = (float *)fx_get(&fx, "batch.reward", (size_t)T * B);
    b.term = (float *)fx_get(&fx, "batch.term", (size_t)T * B);
    b.filled = (float *)fx_get(&fx, "batch.filled", (size_t)T1 * B);
    const float *av = fx_get(&fx, "batch.avail", (size_t)T1 * B * n * A), *ac = fx_get(&fx, "batch.act", (size_t)T1 * B * n);
    uint8_t avail[4096];
    int32_t act[1024];
    CHECK((size_t)T1 * B * n * A <= sizeof avail && (size_t)T1 * B * n <= sizeof act / sizeof act[0]);
    for (int i = 0; i < T1 * B * n * A && av; i++) avail[i] = (uint8_t)av[i];
    for (int i = 0; i < T1 * B * n && ac; i++) act[i] = (int32_t)ac[i];
    b.avail = avail; b.act = act;

    QCoreStats st;
    CHECK(qcore_update(&c, &b, &st) == GRSN_OK);
    CHECK_NEAR(st.loss, fx_get(&fx, "out.loss", 1)[0], 1e-6, 1e-5);
    CHECK_NEAR(st.grad_norm, fx_get(&fx, "out.grad_norm", 1)[0], 1e-6, 1e-5);
    double wG = check_tensor("targets G", c.G, fx_get(&fx, "out.G", (size_t)T * B), (size_t)T * B, 1e-6, 1e-5);
    // Q_tot where the loss mask is 1 (padding rows: 0 here, anything in PyTorch).
    float qt_fx[256];
    const float *qt = fx_get(&fx, "out.qtot", (size_t)T * B);
    CHECK(T * B <= 256);
    for (int i = 0; i < T * B && qt; i++) qt_fx[i] = c.mask[i] != 0.0f ? qt[i] : 0.0f;
    double wQ = check_tensor("Q_tot", c.mixer[0].qtot, qt_fx, (size_t)T * B, 1e-6, 1e-5);
    double wg = 0, wp = 0;
    GrsnParams *p = &c.params[0];
    for (int i = 0; i < p->count; i++) {
        const GrsnParamInfo *in = &p->info[i];
        snprintf(nm, sizeof nm, "grad.%s", in->name);
        const float *g = fx_get(&fx, nm, in->n);
        if (g) { double d = check_tensor(nm, p->grad + in->offset, g, in->n, 1e-6, 1e-4); wg = d > wg ? d : wg; }
        snprintf(nm, sizeof nm, "after.%s", in->name);
        const float *v = fx_get(&fx, nm, in->n);
        if (v) { double d = check_tensor(nm, p->data + in->offset, v, in->n, 2e-6, 1e-4); wp = d > wp ? d : wp; }
    }
    printf("    %s: loss %.7g (torch %.7g), grad norm %.7g (torch %.7g); worst diff: targets %.2g, Q_tot %.2g, "
           "gradients %.2g, parameters %.2g\n", file, st.loss, fx_get(&fx, "out.loss", 1)[0], st.grad_norm,
           fx_get(&fx, "out.grad_norm", 1)[0], wG, wQ, wg, wp);
    qcore_free(&c);
    fx_free(&fx);
}

TEST(pytorch_update_gru)  { check_update_fixture("qmix_gru.bin"); }
TEST(pytorch_update_grsn) { check_update_fixture("qmix_grsn.bin"); }
TEST(pytorch_update_grsn_decoder) { check_update_fixture("qmix_grsn_dec.bin"); }

// ----------------------------------------------------------------------------
// Mixer

// sum_r Q_tot over rows; *kinks receives a hash of which side of its kink
// every ReLU and abs() input lies, so a probe pair can tell a crossing.
static double mixer_value(QMixer *m, const float *q, const float *s, int rows, uint64_t *kinks) {
    const float *y = qmixer_forward(m, q, s, NULL, rows);
    double sum = 0;
    for (int r = 0; r < rows; r++) sum += y[r];
    uint64_t hsh = 1469598103934665603ull;
    const float *sides[5] = {m->hyper_w1.act[0], m->hyper_w2.act[0], m->hyper_b2.act[0], m->hyper_w1.act[1], m->hyper_w2.act[1]};
    const int width[5] = {m->hyper, m->hyper, m->embed, m->n_agents * m->embed, m->embed};
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < rows * width[k]; i++) hsh = (hsh ^ (uint64_t)(sides[k][i] > 0.0f)) * 1099511628211ull;
    for (int i = 0; i < rows * m->embed; i++) hsh = (hsh ^ (uint64_t)(m->hidden[i] > 0.0f)) * 1099511628211ull;
    *kinks = hsh;
    return sum;
}

TEST(mixer_monotone_and_gradients) {
    enum { N = 4, S = 9, E = 6, HY = 10, ROWS = 50 };
    GrsnParams p; grsn_params_init(&p);
    QMixer m;
    CHECK(qmixer_init(&m, &p, "mixer", N, S, E, HY, ROWS) == GRSN_OK);
    CHECK(grsn_params_alloc(&p) == GRSN_OK);
    grsn_rng r; grsn_rng_seed(&r, 7, 1);
    qmixer_reset_parameters(&m, &r);
    static float q[ROWS * N], s[ROWS * S], dq[ROWS * N], ones[ROWS];
    for (int i = 0; i < ROWS * N; i++) q[i] = (float)grsn_rng_normal(&r) * 3.0f;
    for (int i = 0; i < ROWS * S; i++) s[i] = (float)grsn_rng_normal(&r);
    for (int i = 0; i < ROWS; i++) ones[i] = 1.0f;

    // dQ_tot/dq_a >= 0 on every row, and Q_tot never falls when a q_a rises.
    qmixer_forward(&m, q, s, NULL, ROWS);
    grsn_params_zero_grad(&p);
    qmixer_backward(&m, dq, ones, q, s, NULL, ROWS);
    int negative = 0, falls = 0;
    for (int i = 0; i < ROWS * N; i++) negative += dq[i] < 0.0f;
    static float y0[ROWS];
    memcpy(y0, qmixer_forward(&m, q, s, NULL, ROWS), sizeof y0);
    for (int a = 0; a < N; a++) {
        static float q2[ROWS * N];
        memcpy(q2, q, sizeof q2);
        for (int rr = 0; rr < ROWS; rr++) q2[rr * N + a] += 0.5f;
        const float *y = qmixer_forward(&m, q2, s, NULL, ROWS);
        for (int rr = 0; rr < ROWS; rr++) falls += y[rr] < y0[rr];
    }
    CHECK_MSG(negative == 0, "%d negative dQ_tot/dq_a", negative);
    CHECK_MSG(falls == 0, "%d rows where Q_tot fell", falls);

    // Central differences of sum_r Q_tot over a few rows. The mixer is
    // smooth between the ReLU/abs kinks; a probe pair that crosses one is
    // skipped (and counted).
    enum { FD_ROWS = 3 };
    const double h = 1e-3;
    qmixer_forward(&m, q, s, NULL, FD_ROWS);
    grsn_params_zero_grad(&p);
    qmixer_backward(&m, dq, ones, q, s, NULL, FD_ROWS);
    double worst = 0;
    int probes = 0, skipped = 0;
    for (size_t i = 0; i < FD_ROWS * N + p.n; i++) {
        float *x = i < FD_ROWS * N ? &q[i] : &p.data[i - FD_ROWS * N];
        double an = i < FD_ROWS * N ? dq[i] : p.grad[i - FD_ROWS * N];
        float keep = *x;
        uint64_t k_up, k_dn;
        *x = keep + (float)h; double up = mixer_value(&m, q, s, FD_ROWS, &k_up);
        *x = keep - (float)h; double dn = mixer_value(&m, q, s, FD_ROWS, &k_dn);
        *x = keep;
        probes++;
        if (k_up != k_dn) { skipped++; continue; }
        double fd = (up - dn) / (2 * h), e = fabs(fd - an) / (1e-2 + fabs(fd));
        if (e > 2e-2) printf("    probe %zu: fd %.6g analytic %.6g\n", i, fd, an);
        worst = e > worst ? e : worst;
    }
    CHECK(skipped * 20 < probes);
    printf("    mixer: worst relative error against central differences %.2g (%d probes, %d across a kink skipped)\n",
           worst, probes, skipped);
    CHECK(worst < 2e-2);
    qmixer_free(&m); grsn_params_free(&p);
}

// ----------------------------------------------------------------------------
// TD(lambda) by hand

TEST(td_lambda_by_hand) {
    // B = 2, T = 3, gamma 0.9, lambda 0.6: lambda gamma = 0.54, (1 - lambda) gamma = 0.36.
    // Episode 0 ends at t = 1 (2 transitions; t = 2 is padding).
    // Episode 1 is not terminated inside the window (bootstraps from tq_3).
    const float g = 0.9f, l = 0.6f;
    const float r[3 * 2] = {1.0f, 0.5f,  2.0f, 0.0f,  0.0f, 1.0f};         // [t][b]
    const float term[3 * 2] = {0, 0,  1, 0,  0, 0};
    const float mask[3 * 2] = {1, 1,  1, 1,  0, 1};
    const float tq[4 * 2] = {9.0f, 9.0f,  4.0f, 3.0f,  5.0f, 2.0f,  7.0f, 6.0f};
    float G[3 * 2], last[2];
    qmix_td_lambda(G, last, r, term, mask, tq, 3, 2, g, l);
    // Episode 0: G_3 = 7 (1 - 1) = 0;  G_2 = 0.54*0 + 0 = 0;
    //   G_1 = 0.54*0 + (2 + 0.36*5*(1 - 1)) = 2;  G_0 = 0.54*2 + (1 + 0.36*4) = 3.52.
    // Episode 1: G_3 = 6;  G_2 = 0.54*6 + (1 + 0.36*6) = 6.4;
    //   G_1 = 0.54*6.4 + (0 + 0.36*2) = 4.176;  G_0 = 0.54*4.176 + (0.5 + 0.36*3) = 3.83504.
    const float want[3 * 2] = {3.52f, 3.83504f,  2.0f, 4.176f,  0.0f, 6.4f};
    for (int i = 0; i < 6; i++) CHECK_NEAR(G[i], want[i], 1e-6, 1e-6);
    CHECK_NEAR(last[0], 0.0, 0, 0);
    CHECK_NEAR(last[1], 6.0, 0, 0);
    // lambda = 0 is the 1-step target r + gamma (1 - term) tq_{t+1}.
    qmix_td_lambda(G, last, r, term, mask, tq, 3, 2, g, 0.0f);
    CHECK_NEAR(G[0], 1.0 + 0.9 * 4.0, 1e-6, 1e-6);
    CHECK_NEAR(G[2], 2.0, 1e-6, 1e-6);
    CHECK_NEAR(G[5], 1.0 + 0.9 * 6.0, 1e-6, 1e-6);
    // lambda = 1 is the Monte-Carlo return of episode 0: 1 + 0.9*2.
    qmix_td_lambda(G, last, r, term, mask, tq, 3, 2, g, 1.0f);
    CHECK_NEAR(G[0], 1.0 + 0.9 * 2.0, 1e-6, 1e-6);
}

// ----------------------------------------------------------------------------
// TAP: acting step by step equals the window

static void step_equals_window(grsn_net net, int substeps, int decoder, float leak) {
    enum { T = 25, B = 6, DIN = 11, H = 16, A = 5 };
    GrsnCellConfig cell = grsn_cell_config(net == GRSN_NET_GRU ? GRSN_CELL_GRU : net == GRSN_NET_LIF ? GRSN_CELL_LIF
                                                                                                       : GRSN_CELL_GRSN, 1, 1);
    cell.substeps = substeps;
    GrsnParams p; grsn_params_init(&p);
    QAgent a;
    CHECK(qagent_init(&a, &p, "agent", net, &cell, DIN, H, decoder, leak, A, T, B) == GRSN_OK);
    CHECK(qagent_state_size(&a) <= 2 * H + A);
    CHECK(grsn_params_alloc(&p) == GRSN_OK);
    grsn_rng r; grsn_rng_seed(&r, 3, 1);
    qagent_reset_parameters(&a, &r);
    for (size_t i = 0; i < p.n; i++) p.data[i] *= 2.5f;   // make the spiking cores fire
    static float x[T * B * DIN], q_step[T * B * A], state[B * (2 * H + A)];
    for (int i = 0; i < T * B * DIN; i++) x[i] = (float)grsn_rng_normal(&r);
    memset(state, 0, sizeof state);
    double spikes = 0;
    for (int t = 0; t < T; t++) {
        qagent_step(&a, q_step + (size_t)t * B * A, state, x + (size_t)t * B * DIN, B);
        for (int i = 0; i < B * H; i++) spikes += a.z[i] != 0.0f;
    }
    const float *q = qagent_forward(&a, x, NULL, T, B, 1);
    CHECK(memcmp(q, q_step, sizeof q_step) == 0);
    q = qagent_forward(&a, x, NULL, T, B, 0);      // the target agent's pass, without caches
    CHECK(memcmp(q, q_step, sizeof q_step) == 0);
    CHECK(spikes > 0);
    qagent_free(&a); grsn_params_free(&p);
}

TEST(tap_step_equals_window) {
    step_equals_window(GRSN_NET_GRSN, 1, 0, 0.0f);
    step_equals_window(GRSN_NET_LIF, 1, 0, 0.0f);
    step_equals_window(GRSN_NET_GRU, 1, 0, 0.0f);
    step_equals_window(GRSN_NET_GRSN, 4, 0, 0.0f);   // w/o TAP
    step_equals_window(GRSN_NET_GRSN, 1, 7, 0.0f);   // MLP decoder
    step_equals_window(GRSN_NET_GRU, 1, 7, 0.0f);
    step_equals_window(GRSN_NET_GRSN, 1, 0, 0.5f);   // leaky output neurons
    step_equals_window(GRSN_NET_GRU, 1, 0, 0.8f);
    step_equals_window(GRSN_NET_GRSN, 4, 7, 0.5f);
}

// ----------------------------------------------------------------------------
// Leaky output neurons

// Two agents with the same parameters, leak 0 and leak L, on the same window
// with masked steps inside it (held state) and at its end (padding). Forward:
// Q_L equals Q_0 filtered, y_t = L y_{t-1} + q_t over each row's valid steps.
// Backward: the parameter gradient from dq equals the leak-0 agent's from
// dq filtered backwards, g_t = dq_t + L g_{t+1}, and masked rows add nothing.
static void leak_filters_q(grsn_net net, float L) {
    enum { T = 9, B = 3, DIN = 7, H = 8, A = 4 };
    GrsnCellConfig cell = grsn_cell_config(net == GRSN_NET_GRU ? GRSN_CELL_GRU : GRSN_CELL_GRSN, 1, 1);
    GrsnParams p0, pl; grsn_params_init(&p0); grsn_params_init(&pl);
    QAgent a0, al;
    CHECK(qagent_init(&a0, &p0, "agent", net, &cell, DIN, H, 0, 0.0f, A, T, B) == GRSN_OK);
    CHECK(qagent_init(&al, &pl, "agent", net, &cell, DIN, H, 0, L, A, T, B) == GRSN_OK);
    CHECK(grsn_params_alloc(&p0) == GRSN_OK && grsn_params_alloc(&pl) == GRSN_OK);
    CHECK(p0.n == pl.n);                       // the leak adds no parameter
    grsn_rng r; grsn_rng_seed(&r, 5, 1);
    qagent_reset_parameters(&a0, &r);
    for (size_t i = 0; i < p0.n; i++) p0.data[i] *= 2.5f;
    memcpy(pl.data, p0.data, p0.n * sizeof(float));
    static float x[T * B * DIN], mask[T * B], q0[T * B * A], dq[T * B * A], g[T * B * A];
    for (int i = 0; i < T * B * DIN; i++) x[i] = (float)grsn_rng_normal(&r);
    for (int i = 0; i < T * B * A; i++) dq[i] = (float)grsn_rng_normal(&r);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)   // row 1 has a hole at t = 3-4, row 2 ends at t = 5
            mask[t * B + b] = (b == 1 && (t == 3 || t == 4)) || (b == 2 && t > 5) ? 0.0f : 1.0f;
    memcpy(q0, qagent_forward(&a0, x, mask, T, B, 0), sizeof q0);   // without caches (a target's pass)
    CHECK(memcmp(q0, qagent_forward(&a0, x, mask, T, B, 1), sizeof q0) == 0);
    const float *ql = qagent_forward(&al, x, mask, T, B, 1);
    double worst = 0;
    for (int b = 0; b < B; b++)
        for (int k = 0; k < A; k++) {
            double y = 0;
            for (int t = 0; t < T; t++) {
                size_t i = ((size_t)t * B + b) * A + k;
                if (mask[t * B + b] == 0.0f) { CHECK(ql[i] == 0.0f); continue; }
                y = L * y + q0[i];
                worst = fmax(worst, fabs(ql[i] - y) / (1e-6 + fabs(y)));
            }
        }
    CHECK(worst < 1e-5);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < A; k++) {
            double d = 0;
            for (int t = T - 1; t >= 0; t--) {
                size_t i = ((size_t)t * B + b) * A + k;
                if (mask[t * B + b] == 0.0f) { g[i] = 0.0f; continue; }
                d = dq[i] + L * d;
                g[i] = (float)d;
            }
        }
    grsn_params_zero_grad(&p0); grsn_params_zero_grad(&pl);
    qagent_backward(&a0, g, x, mask, T, B);
    qagent_backward(&al, dq, x, mask, T, B);
    double gmax = 0, gerr = 0;
    for (size_t i = 0; i < p0.n; i++) {
        gmax = fmax(gmax, fabs(p0.grad[i]));
        gerr = fmax(gerr, fabs(p0.grad[i] - pl.grad[i]));
    }
    CHECK(gmax > 0.1);
    CHECK(gerr <= 1e-5 * gmax);
    qagent_free(&a0); qagent_free(&al); grsn_params_free(&p0); grsn_params_free(&pl);
}

TEST(leaky_outputs_filter_q) {
    leak_filters_q(GRSN_NET_GRSN, 0.5f);
    leak_filters_q(GRSN_NET_GRU, 0.9f);
}

// ----------------------------------------------------------------------------
// The learner on the simulator

static GrsnQmixConfig small_config(const char *map, grsn_net net) {
    GrsnQmixConfig c = grsn_qmix_defaults(map, net);
    c.n_envs = 4; c.batch = 8; c.buffer = 32;
    return c;
}

// A 3m learner of one environment (seed 21) whose online agents, their
// weights shaken, play varied greedy episodes. With leaky outputs if leak > 0,
// and substeps > 1 for a spiking core without TAP.
static GrsnQmix *varied_learner(grsn_net net, float leak, int substeps) {
    GrsnQmixConfig c = small_config("3m", net);
    c.n_envs = 1; c.q_leak = leak; c.cell.substeps = substeps;
    GrsnQmix *q = NULL;
    CHECK(grsn_qmix_create(&q, &c, 21) == GRSN_OK);
    if (!q) exit(1);
    GrsnParams *p = grsn_qmix_params(q, GRSN_QMIX_ONLINE);
    grsn_rng r; grsn_rng_seed(&r, 8, 2);
    for (size_t i = 0; i < p->n; i++) p->data[i] += 0.3f * (float)grsn_rng_normal(&r);
    return q;
}

// The greedy player (grsn eval, grsn energy, grsn smac play) acts as the
// learner's greedy test does, episode for episode: one test episode on a
// fresh test environment and the player's first episode on the same stream
// give the same return. With leaky outputs the player carries their state.
static void player_equals_test(grsn_net net, float leak) {
    GrsnQmix *q = varied_learner(net, leak, 1);
    GrsnQmixTest t;
    CHECK(grsn_qmix_test(q, 1, &t) == GRSN_OK);
    GrsnQmixPlayer *pl;
    CHECK(grsn_qmix_player_create(&pl, q, 21, GRSN_STREAM_EVAL_ENV) == GRSN_OK);
    GrsnQmixPlayStep st;
    double ret = 0;
    do {
        CHECK(grsn_qmix_player_step(pl, NULL, NULL, &st) == GRSN_OK);
        ret += st.reward;
    } while (!st.done);
    grsn_qmix_player_free(pl);
    CHECK_NEAR(ret, t.return_mean, 1e-4, 1e-5);
    CHECK(ret > 0.5);   // the agents fought: a return of 0 would show nothing
    grsn_qmix_free(q);
}

TEST(player_acts_as_the_test) {
    player_equals_test(GRSN_NET_GRSN, 0.0f);
    player_equals_test(GRSN_NET_GRSN, 0.5f);
    player_equals_test(GRSN_NET_GRU, 0.5f);
}

// grsn_qmix_act runs the agents in a simulator the caller owns
// (examples/embed_qmix.c): on the learner's simulator config and the
// player's stream, each decision, spike count, reward and episode end is the
// player's, over episodes that follow one another, the caller zeroing the
// core state and the last actions at each start. Agent by agent,
// grsn_qmix_act_agent makes the same decisions, spike counts and core states,
// bit for bit. Bad input names the agent.
static void act_equals_player(grsn_net net, float leak, int substeps) {
    GrsnQmix *q = varied_learner(net, leak, substeps);
    GrsnQmixPlayer *pl;
    CHECK(grsn_qmix_player_create(&pl, q, 5, GRSN_STREAM_EVAL_ENV) == GRSN_OK);
    grsn_smac_config sc;
    grsn_qmix_smac_config(grsn_qmix_config(q), &sc, 5, GRSN_STREAM_EVAL_ENV);
    grsn_smac *world;
    CHECK(grsn_smac_create(&world, &sc) == GRSN_OK);

    grsn_smac_dims d = grsn_qmix_dims(q);
    int n = d.n_agents, A = d.n_actions;
    float *obs = calloc((size_t)n * d.obs_dim, sizeof(float));
    size_t S = (size_t)grsn_qmix_agent_state_size(q), core = S - (leak > 0.0f ? (size_t)d.n_actions : 0);
    float *state = calloc((size_t)n * S, sizeof(float)), *own = calloc((size_t)n * S, sizeof(float));
    uint8_t *avail = calloc((size_t)n * A, 1), term = 0;
    float reward = 0;
    grsn_smac_info info;
    grsn_smac_out out = {obs, NULL, avail, &reward, &term, &info, NULL};
    int32_t last[8], mine[8], theirs[8], alone[8];
    long long my_spikes[8], their_spikes[8], alone_spikes[8], total = 0;
    CHECK(n <= 8);
    int same = 1, same_alone = 1, steps = 0;
    for (int ep = 0; ep < 3; ep++) {
        CHECK(grsn_smac_reset(world, &out) == GRSN_OK);
        memset(state, 0, (size_t)n * S * sizeof(float));
        memset(own, 0, (size_t)n * S * sizeof(float));
        for (int a = 0; a < n; a++) last[a] = -1;
        do {
            GrsnQmixPlayStep ps;
            // Each agent on its own, in reverse order, before the team call.
            for (int a = n - 1; a >= 0; a--)
                CHECK(grsn_qmix_act_agent(q, a, own + a * S, obs + (size_t)a * d.obs_dim, avail + (size_t)a * A,
                                          last[a], &alone[a], &alone_spikes[a]) == GRSN_OK);
            CHECK(grsn_qmix_act(q, state, obs, avail, last, mine, my_spikes) == GRSN_OK);
            same_alone &= !memcmp(mine, alone, (size_t)n * sizeof *mine) &&
                          !memcmp(my_spikes, alone_spikes, (size_t)n * sizeof *my_spikes);
            // The team's state is the batch's: the n cores, then the n
            // agents' leaky outputs; each agent's own is its core, then its outputs.
            for (int a = 0; a < n; a++)
                same_alone &= !memcmp(state + a * core, own + a * S, core * sizeof *state) &&
                              !memcmp(state + n * core + a * (S - core), own + a * S + core,
                                      (S - core) * sizeof *state);
            CHECK(grsn_qmix_player_step(pl, their_spikes, theirs, &ps) == GRSN_OK);
            CHECK(grsn_smac_step(world, mine, &out) == GRSN_OK);
            same &= !memcmp(mine, theirs, (size_t)n * sizeof *mine) &&
                    !memcmp(my_spikes, their_spikes, (size_t)n * sizeof *my_spikes) && reward == ps.reward &&
                    (term != 0) == ps.done;
            for (int a = 0; a < n; a++) total += my_spikes[a];
            memcpy(last, mine, (size_t)n * sizeof *mine);
            steps++;
        } while (!term && steps < 1000);
    }
    CHECK(same && steps > 3 && term);
    CHECK(same_alone);
    CHECK(net == GRSN_NET_GRU ? total == 0 : total > 0);

    // Bad input: a last action out of range, an agent with nothing to do.
    last[0] = (int32_t)A;
    CHECK(grsn_qmix_act(q, state, obs, avail, last, mine, NULL) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "agent 0: last action 9 is outside -1..8") != NULL);
    last[0] = -1;
    memset(avail + A, 0, (size_t)A);
    CHECK(grsn_qmix_act(q, state, obs, avail, last, mine, NULL) == GRSN_ERR_ACTION);
    CHECK(strstr(grsn_last_error(), "agent 1 has no available action") != NULL);
    CHECK(grsn_qmix_act_agent(q, 1, own + S, obs + d.obs_dim, avail + A, -1, alone, NULL) == GRSN_ERR_ACTION);
    CHECK(strstr(grsn_last_error(), "agent 1 has no available action") != NULL);
    CHECK(grsn_qmix_act_agent(q, 2, own + 2 * S, obs + 2 * d.obs_dim, avail + 2 * A, 9, alone, NULL) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "agent 2: last action 9 is outside -1..8") != NULL);
    CHECK(grsn_qmix_act_agent(q, n, own, obs, avail, -1, alone, NULL) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "agent 3: this map has agents 0..2") != NULL);
    free(obs); free(state); free(own); free(avail);
    grsn_smac_free(world);
    grsn_qmix_player_free(pl);
    grsn_qmix_free(q);
}

TEST(act_in_a_world_of_your_own) {
    act_equals_player(GRSN_NET_GRSN, 0.0f, 1);
    act_equals_player(GRSN_NET_GRSN, 0.5f, 1);
    act_equals_player(GRSN_NET_GRSN, 0.0f, 4);   // w/o TAP
    act_equals_player(GRSN_NET_LIF, 0.0f, 1);
    act_equals_player(GRSN_NET_GRU, 0.0f, 1);
}

// The readout anneal (--readout-anneal N, a training schedule): at env step
// 0 the agents act as the membrane-readout agent does, from step N on as the
// paper's spike-readout agent, bit for bit, and in between the share falls
// linearly. Three learners with one seed have the same parameters.
static double greedy_return(GrsnQmixConfig c, long env_steps, float *share) {
    GrsnQmix *q;
    if (grsn_qmix_create(&q, &c, 33) != GRSN_OK) return -1;
    GrsnParams *p = grsn_qmix_params(q, GRSN_QMIX_ONLINE);
    grsn_rng r; grsn_rng_seed(&r, 9, 2);
    for (size_t i = 0; i < p->n; i++) p->data[i] += 0.3f * (float)grsn_rng_normal(&r);   // varied greedy play
    grsn_qmix_counters(q)->env_steps = env_steps;
    *share = grsn_qmix_membrane_share(q);
    GrsnQmixTest t;
    double ret = grsn_qmix_test(q, 4, &t) == GRSN_OK ? t.return_mean : -1;
    grsn_qmix_free(q);
    return ret;
}

TEST(readout_anneal_from_membrane_to_spikes) {
    GrsnQmixConfig spikes = small_config("3m", GRSN_NET_GRSN), membrane = spikes, anneal = spikes;
    membrane.cell.readout = GRSN_READOUT_MEMBRANE;
    anneal.readout_anneal = 1000;
    float m;
    double r_spikes = greedy_return(spikes, 0, &m), r_membrane = greedy_return(membrane, 0, &m);
    CHECK(m == 0.0f);
    CHECK(r_spikes >= 0 && r_membrane >= 0 && r_spikes != r_membrane);   // the two readouts play apart
    CHECK(greedy_return(anneal, 0, &m) == r_membrane && m == 1.0f);
    double r_mid = greedy_return(anneal, 250, &m);
    CHECK(m == 0.75f && r_mid >= 0);
    CHECK(greedy_return(anneal, 1000, &m) == r_spikes && m == 0.0f);
    CHECK(greedy_return(anneal, 5000, &m) == r_spikes && m == 0.0f);
    GrsnQmix *q;
    // With a start: the membrane readout up to it, then the linear fall.
    anneal.readout_anneal_start = 400;
    CHECK(greedy_return(anneal, 400, &m) == r_membrane && m == 1.0f);
    CHECK(greedy_return(anneal, 700, &m) >= 0 && m == 0.5f);
    CHECK(greedy_return(anneal, 1000, &m) == r_spikes && m == 0.0f);
    anneal.readout_anneal_start = 1000;
    CHECK(grsn_qmix_create(&q, &anneal, 1) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "readout_anneal_start = 1000 must come before readout_anneal = 1000") != NULL);
    anneal.readout_anneal_start = 0;
    // Only a spiking core whose spikes are its readout can be annealed.
    GrsnQmixConfig bad = small_config("3m", GRSN_NET_GRU);
    bad.readout_anneal = 1000;
    CHECK(grsn_qmix_create(&q, &bad, 1) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "readout anneal needs a spiking core (grsn, lif), not gru") != NULL);
    membrane.readout_anneal = 1000;
    CHECK(grsn_qmix_create(&q, &membrane, 1) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "cell.readout = spikes") != NULL);
    anneal.readout_anneal = -1;
    CHECK(grsn_qmix_create(&q, &anneal, 1) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "readout_anneal -1 must be >= 0") != NULL);
}

// Every tensor of the agent is drawn at reset, in every configuration of the
// core: nothing is left at the arena's zeros (the input current of the
// spike-gated GRSN once was). Only the decay logit may be 0 (beta = 0.5).
static void check_reset_draws(grsn_net net, grsn_gate_source gates, int decoder) {
    enum { T = 3, B = 2, DIN = 7, H = 8, A = 4 };
    GrsnCellConfig cell = grsn_cell_config(net == GRSN_NET_GRU ? GRSN_CELL_GRU :
                                           net == GRSN_NET_LIF ? GRSN_CELL_LIF : GRSN_CELL_GRSN, 1, 1);
    cell.gates = gates;
    GrsnParams p; grsn_params_init(&p);
    QAgent a;
    CHECK(qagent_init(&a, &p, "agent", net, &cell, DIN, H, decoder, 0.0f, A, T, B) == GRSN_OK);
    CHECK(grsn_params_alloc(&p) == GRSN_OK);
    grsn_rng r; grsn_rng_seed(&r, 9, 1);
    qagent_reset_parameters(&a, &r);
    int tensors = 0;
    for (int k = 0; k < p.count; k++) {
        const GrsnParamInfo *t = &p.info[k];
        const float *x = p.data + t->offset;
        if (strstr(t->name, ".beta")) {
            for (size_t i = 0; i < t->n; i++) CHECK(x[i] == logf(cell.beta / (1.0f - cell.beta)));
            continue;
        }
        int nonzero = 0, bounded = 1;
        for (size_t i = 0; i < t->n; i++) { nonzero |= x[i] != 0.0f; bounded &= fabsf(x[i]) <= 1.0f; }
        if (!nonzero || !bounded) fprintf(stderr, "  %s: %s after reset\n", t->name, nonzero ? "out of U(+-1)" : "all zero");
        CHECK(nonzero && bounded);
        tensors++;
    }
    CHECK(tensors >= 6);   // fc1, the core's weights and biases, fc2
    qagent_free(&a); grsn_params_free(&p);
}

TEST(reset_draws_every_tensor) {
    check_reset_draws(GRSN_NET_GRSN, GRSN_GATES_INPUT, 0);
    check_reset_draws(GRSN_NET_GRSN, GRSN_GATES_SPIKES, 0);
    check_reset_draws(GRSN_NET_GRSN, GRSN_GATES_SPIKES, 7);
    check_reset_draws(GRSN_NET_LIF, GRSN_GATES_INPUT, 0);
    check_reset_draws(GRSN_NET_GRU, GRSN_GATES_INPUT, 7);
}

TEST(masked_actions_never_chosen) {
    // The greedy choice is pushed toward the no-op (forbidden to living
    // agents) and toward every attack (forbidden out of range): a choice that
    // ignored the mask would make the simulator refuse the step.
    GrsnQmixConfig c = small_config("3m", GRSN_NET_GRSN);
    GrsnQmix *q;
    CHECK(grsn_qmix_create(&q, &c, 5) == GRSN_OK);
    if (!q) return;
    GrsnParams *p = grsn_qmix_params(q, GRSN_QMIX_ONLINE);
    const GrsnParamInfo *b = grsn_params_find(p, "agent.fc2.b");
    grsn_smac_dims d = grsn_qmix_dims(q);
    CHECK(b != NULL);
    p->data[b->offset] = 1000.0f;
    for (int k = 6; k < d.n_actions; k++) p->data[b->offset + k] = 500.0f + k;
    GrsnQmixTest t;
    CHECK(grsn_qmix_test(q, 8, &t) == GRSN_OK);          // greedy
    GrsnQmixRollout r;
    for (int i = 0; i < 4; i++) CHECK(grsn_qmix_rollout(q, &r) == GRSN_OK);   // epsilon 1: random choices
    CHECK(r.epsilon > 0.9f);
    grsn_qmix_counters(q)->env_steps = 1000000;                                  // epsilon 0.05
    for (int i = 0; i < 4; i++) CHECK(grsn_qmix_rollout(q, &r) == GRSN_OK);
    CHECK_NEAR(r.epsilon, 0.05, 1e-7, 0);
    CHECK(grsn_qmix_update(q, &(GrsnQmixStats){0}) == GRSN_OK);
    grsn_qmix_free(q);
}

// A few rollouts and updates; returns the online parameters' checksum and
// copies them to out.
static void short_run(int threads, uint64_t seed, float *out, size_t n, GrsnQmixStats *last, long *steps) {
    grsn_set_threads(threads);
    GrsnQmixConfig c = small_config("3m", GRSN_NET_GRSN);
    c.target_update_episodes = 8;
    GrsnQmix *q;
    CHECK(grsn_qmix_create(&q, &c, seed) == GRSN_OK);
    if (!q) return;
    GrsnQmixRollout r;
    GrsnQmixStats s = {0};
    for (int i = 0; i < 6; i++) {
        CHECK(grsn_qmix_rollout(q, &r) == GRSN_OK);
        if (grsn_qmix_can_update(q)) CHECK(grsn_qmix_update(q, &s) == GRSN_OK);
    }
    GrsnParams *p = grsn_qmix_params(q, GRSN_QMIX_ONLINE);
    CHECK(p->n == n);
    memcpy(out, p->data, n * sizeof(float));
    *last = s; *steps = grsn_qmix_counters(q)->env_steps;
    CHECK(grsn_qmix_counters(q)->updates == 5);
    grsn_qmix_free(q);
}

TEST(same_seed_same_run_any_threads) {
    GrsnQmixConfig c = small_config("3m", GRSN_NET_GRSN);
    GrsnQmix *q;
    CHECK(grsn_qmix_create(&q, &c, 0) == GRSN_OK);
    if (!q) return;
    size_t n = grsn_qmix_params(q, GRSN_QMIX_ONLINE)->n;
    grsn_qmix_free(q);
    float *a = calloc(n, sizeof(float)), *b = calloc(n, sizeof(float)), *d = calloc(n, sizeof(float));
    GrsnQmixStats sa, sb, sd;
    long na, nb, nd;
    int saved = grsn_threads();
    short_run(1, 11, a, n, &sa, &na);
    short_run(2, 11, b, n, &sb, &nb);
    short_run(1, 12, d, n, &sd, &nd);
    grsn_set_threads(saved);
    CHECK(memcmp(a, b, n * sizeof(float)) == 0);
    CHECK(sa.loss == sb.loss && na == nb);
    CHECK(memcmp(a, d, n * sizeof(float)) != 0);   // another seed, another run
    printf("    seed 11: %ld env steps, last loss %.6g (1 and 2 threads identical)\n", na, sa.loss);
    free(a); free(b); free(d);
}

TEST(bad_input) {
    GrsnQmix *q = NULL;
    GrsnQmixConfig c = small_config("9m", GRSN_NET_GRSN);
    CHECK(grsn_qmix_create(&q, &c, 0) == GRSN_ERR_ARG && q == NULL);
    CHECK_MSG(strstr(grsn_last_error(), "8m") && strstr(grsn_last_error(), "MMM2"), "%s", grsn_last_error());
    c = small_config("3m", GRSN_NET_MLP);
    CHECK(grsn_qmix_create(&q, &c, 0) == GRSN_ERR_ARG);
    CHECK_MSG(strstr(grsn_last_error(), GRSN_QMIX_NET_NAMES) != NULL, "%s", grsn_last_error());
    grsn_net net;
    CHECK(grsn_qmix_net_from_name("mlp", &net) == GRSN_ERR_ARG);
    CHECK_MSG(strstr(grsn_last_error(), GRSN_QMIX_NET_NAMES) != NULL, "%s", grsn_last_error());
    CHECK(grsn_qmix_net_from_name("lstm", &net) == GRSN_ERR_ARG);
    CHECK_MSG(strstr(grsn_last_error(), GRSN_QMIX_NET_NAMES) != NULL, "%s", grsn_last_error());
    CHECK(grsn_qmix_net_from_name("lif", &net) == GRSN_OK && net == GRSN_NET_LIF);
    c = small_config("3m", GRSN_NET_GRU); c.cell.substeps = 4;
    CHECK(grsn_qmix_create(&q, &c, 0) == GRSN_ERR_ARG);
    c = small_config("3m", GRSN_NET_GRU); c.buffer = 4;
    CHECK(grsn_qmix_create(&q, &c, 0) == GRSN_ERR_ARG);
    c = small_config("3m", GRSN_NET_GRU);
    CHECK(grsn_qmix_create(&q, &c, 0) == GRSN_OK);
    GrsnQmixStats s;
    CHECK(grsn_qmix_update(q, &s) == GRSN_ERR_ARG);   // empty buffer
    GrsnQmixTest t;
    CHECK(grsn_qmix_test(q, 0, &t) == GRSN_ERR_ARG);
    grsn_qmix_free(q);
}

// ----------------------------------------------------------------------------
// Learning: a short run on 3m clearly beats the random policy

TEST(largest_map_with_pymarl2_buffer) {
    // 5000 episodes padded to 181 steps of 27 observations of 285 floats
    // are 28 GB of address space: reserved, not allocated (grsn_reserve),
    // so the learner is built on a machine with less memory than that, and
    // a rollout fills only what its episodes use.
    GrsnQmixConfig c = grsn_qmix_defaults("27m_vs_30m", GRSN_NET_GRSN);
    CHECK(c.buffer == 5000);
    GrsnQmix *q = NULL;
    CHECK_MSG(grsn_qmix_create(&q, &c, 1) == GRSN_OK, "%s", grsn_last_error());
    GrsnQmixRollout r;
    CHECK(q && grsn_qmix_rollout(q, &r) == GRSN_OK && grsn_qmix_buffer_size(q) == c.n_envs);
    grsn_qmix_free(q);
    // Zeroed memory, released.
    float *big = grsn_reserve((size_t)1 << 30, sizeof(float));
    CHECK(big && big[0] == 0.0f && big[((size_t)1 << 30) - 1] == 0.0f);
    grsn_release(big);
}

TEST(short_run_on_3m_beats_random) {
#if defined(__SANITIZE_ADDRESS__)
    printf("    skipped under the address sanitizer (about 15 s of CPU at -O2)\n");
    return;
#endif
    // The random policy's greedy-test statistics on the same test streams.
    grsn_smac_config sc;
    grsn_smac_config_default(&sc, "3m");
    sc.n_envs = 1; sc.seed = 1; sc.stream_base = GRSN_STREAM_EVAL_ENV;
    grsn_smac *env;
    CHECK(grsn_smac_create(&env, &sc) == GRSN_OK);
    grsn_smac_dims d = grsn_smac_get_dims(env);
    float obs[3 * 64], state[64], rew; uint8_t avail[3 * 16], term = 0;
    grsn_smac_info info;
    grsn_smac_out out = {obs, state, avail, &rew, &term, &info, NULL};
    grsn_rng r; grsn_rng_seed(&r, 1, GRSN_STREAM_EXPLORE);
    int32_t act[3];
    double random_return = 0; int random_wins = 0;
    for (int ep = 0; ep < 32; ep++) {
        CHECK(grsn_smac_reset(env, &out) == GRSN_OK);
        term = 0;
        while (!term) {   // grsn_smac_step sets term through out
            CHECK(grsn_smac_policy_random(avail, d.n_agents, d.n_actions, &r, act) == GRSN_OK);
            CHECK(grsn_smac_step(env, act, &out) == GRSN_OK);
            random_return += rew;
        }
        random_wins += info.battle_won;
    }
    random_return /= 32;
    grsn_smac_free(env);

    // QMIX-GRSN with a short epsilon schedule and batch 32, one thread;
    // greedy tests of 32 episodes every 10k env steps, up to 60k.
    int saved = grsn_threads();
    grsn_set_threads(1);
    GrsnQmixConfig c = grsn_qmix_defaults("3m", GRSN_NET_GRSN);
    c.batch = 32; c.buffer = 1000; c.eps_anneal = 10000;
    GrsnQmix *q;
    CHECK(grsn_qmix_create(&q, &c, 1) == GRSN_OK);
    if (!q) return;
    GrsnQmixTest best = {0};
    long next = 10000;
    while (grsn_qmix_counters(q)->env_steps < 60000 && best.win_rate < 0.8f) {
        GrsnQmixRollout ro;
        GrsnQmixStats st;
        CHECK(grsn_qmix_rollout(q, &ro) == GRSN_OK);
        if (grsn_qmix_can_update(q)) CHECK(grsn_qmix_update(q, &st) == GRSN_OK);
        if (grsn_qmix_counters(q)->env_steps >= next) {
            GrsnQmixTest t;
            CHECK(grsn_qmix_test(q, 32, &t) == GRSN_OK);
            if (t.win_rate > best.win_rate || (t.win_rate == best.win_rate && t.return_mean > best.return_mean)) best = t;
            next += 10000;
        }
    }
    printf("    3m: random policy wins %d/32, return %.2f; QMIX-GRSN after %ld env steps (%ld updates) wins %.0f%%, "
           "return %.2f, firing rate %.3f\n", random_wins, random_return, grsn_qmix_counters(q)->env_steps,
           grsn_qmix_counters(q)->updates, 100.0 * best.win_rate, best.return_mean, best.firing_rate);
    CHECK(best.win_rate >= 0.3f && random_wins <= 2);
    CHECK(best.return_mean > 3.0 * random_return);
    grsn_qmix_free(q);
    grsn_set_threads(saved);
}

int main(void) {
    RUN(pytorch_update_gru);
    RUN(pytorch_update_grsn);
    RUN(pytorch_update_grsn_decoder);
    RUN(mixer_monotone_and_gradients);
    RUN(td_lambda_by_hand);
    RUN(tap_step_equals_window);
    RUN(leaky_outputs_filter_q);
    RUN(player_acts_as_the_test);
    RUN(act_in_a_world_of_your_own);
    RUN(readout_anneal_from_membrane_to_spikes);
    RUN(reset_draws_every_tensor);
    RUN(masked_actions_never_chosen);
    RUN(same_seed_same_run_any_threads);
    RUN(bad_input);
    RUN(largest_map_with_pymarl2_buffer);
    RUN(short_run_on_3m_beats_random);
    return test_summary("test_qmix");
}
