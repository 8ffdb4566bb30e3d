/*
 * test_env.c — CartPole-v1 and Pendulum-v1 against Gym's equations
 * (reference-implementation.md §4), plus names, views, reset ranges, the
 * 200-step cap with its terminated/truncated flags (decision 16), seeding and
 * warm-up actions.
 *
 * Fixtures: tests/fixtures/env_{cartpole,pendulum}.bin, written by
 * dev/gen_env_fixtures.py (Gym 0.26.2's step equations in Python float64; the
 * file layout is documented there). Each trajectory starts from a stored
 * state and replays stored actions. Tolerances:
 *   - observations: at most 1 float32 ulp. On the machine that wrote the
 *     fixtures they agree bit for bit (same libm for sin, cos and pow); the
 *     ulp allows another libm's last-bit differences in double to flip the
 *     rounding to float32.
 *   - rewards: 1e-12 relative (they agree bit for bit here as well);
 *   - terminated flags: exact.
 * The test prints how many values were bit-exact and the worst differences.
 */
#include "grsn.h"
#include "test.h"

#define PI 3.141592653589793   // math.pi

// --- Fixture reading (layout: dev/gen_env_fixtures.py)

typedef struct {
    char name[17];
    int n, state_dim;
    double init[4], final[4];
    float *action;    // (n)
    float *obs;       // (n, obs_dim)
    double *reward;   // (n)
    uint8_t *term;    // (n)
} Traj;

typedef struct { int kind, n_traj; Traj *t; } EnvFixture;

static int rd(void *p, size_t size, size_t n, FILE *f) { return fread(p, size, n, f) == n; }

static int load_env_fixture(EnvFixture *fx, const char *path, int obs_dim) {
    memset(fx, 0, sizeof *fx);
    FILE *f = fopen(path, "rb");
    if (!f) { printf("    cannot open %s\n", path); return 0; }
    char magic[8]; uint32_t hdr[2];
    int ok = rd(magic, 1, 8, f) && !memcmp(magic, "GRSNENV1", 8) && rd(hdr, 4, 2, f);
    if (ok) {
        fx->kind = (int)hdr[0]; fx->n_traj = (int)hdr[1];
        fx->t = calloc((size_t)fx->n_traj, sizeof(Traj));
    }
    for (int i = 0; ok && i < fx->n_traj; i++) {
        Traj *t = &fx->t[i];
        uint32_t ns[2];
        ok = rd(t->name, 1, 16, f) && rd(ns, 4, 2, f) && ns[1] <= 4 && ns[0] > 0;
        if (!ok) break;
        t->n = (int)ns[0]; t->state_dim = (int)ns[1];
        t->action = malloc((size_t)t->n * sizeof(float));
        t->obs = malloc((size_t)t->n * (size_t)obs_dim * sizeof(float));
        t->reward = malloc((size_t)t->n * sizeof(double));
        t->term = malloc((size_t)t->n);
        ok = rd(t->init, 8, (size_t)t->state_dim, f) && rd(t->action, 4, (size_t)t->n, f)
          && rd(t->obs, 4, (size_t)t->n * (size_t)obs_dim, f) && rd(t->reward, 8, (size_t)t->n, f)
          && rd(t->term, 1, (size_t)t->n, f) && rd(t->final, 8, (size_t)t->state_dim, f);
    }
    fclose(f);
    if (!ok) printf("    %s: truncated or not an env fixture\n", path);
    return ok;
}

static void free_env_fixture(EnvFixture *fx) {
    for (int i = 0; i < fx->n_traj; i++) {
        free(fx->t[i].action); free(fx->t[i].obs); free(fx->t[i].reward); free(fx->t[i].term);
    }
    free(fx->t);
}

// Distance in units in the last place between two floats of the same sign
// region (the integer order of IEEE floats).
static int64_t ulps_f(float a, float b) {
    int32_t ia, ib; memcpy(&ia, &a, 4); memcpy(&ib, &b, 4);
    if (ia < 0) ia = INT32_MIN - ia;
    if (ib < 0) ib = INT32_MIN - ib;
    int64_t d = (int64_t)ia - (int64_t)ib;
    return d < 0 ? -d : d;
}

static int64_t ulps_d(double a, double b) {
    int64_t ia, ib; memcpy(&ia, &a, 8); memcpy(&ib, &b, 8);
    if (ia < 0) ia = INT64_MIN - ia;
    if (ib < 0) ib = INT64_MIN - ib;
    int64_t d = ia - ib;   // the states here are far from ±max, no overflow
    return d < 0 ? -d : d;
}

// Replay every trajectory of the fixture on the full view with no step cap.
static void check_fixture(const char *file, const char *env_name, int obs_dim) {
    EnvFixture fx;
    if (!load_env_fixture(&fx, file, obs_dim)) { CHECK(0); return; }
    long steps = 0, values = 0, exact_obs = 0, exact_rew = 0;
    int64_t worst_obs = 0, worst_state = 0;
    double worst_rew = 0;
    for (int i = 0; i < fx.n_traj; i++) {
        Traj *t = &fx.t[i];
        grsn_env env; float obs[GRSN_ENV_MAX_OBS]; grsn_env_result r;
        CHECK(grsn_env_make(&env, env_name, 0, GRSN_STREAM_ENV) == GRSN_OK);
        env.max_steps = 0;   // trajectories may run past 200 steps
        CHECK(env.state_dim == t->state_dim);
        CHECK(grsn_env_set_state(&env, t->init, 0, obs) == GRSN_OK);
        int bad_flags = 0;
        for (int s = 0; s < t->n; s++) {
            grsn_status st = env.discrete ? grsn_env_step_discrete(&env, (int)t->action[s], obs, &r)
                                          : grsn_env_step(&env, &t->action[s], obs, &r);
            CHECK_MSG(st == GRSN_OK, "%s step %d: %s", t->name, s, grsn_last_error());
            if (st != GRSN_OK) break;
            for (int k = 0; k < obs_dim; k++) {
                int64_t u = ulps_f(obs[k], t->obs[(size_t)s * obs_dim + k]);
                exact_obs += u == 0;
                if (u > worst_obs) worst_obs = u;
                if (u > 1) CHECK_MSG(0, "%s step %d obs[%d] = %.9g, Gym %.9g", t->name, s, k,
                                     obs[k], t->obs[(size_t)s * obs_dim + k]);
            }
            double rel = fabs(r.reward - t->reward[s]) / fmax(fabs(t->reward[s]), 1e-300);
            exact_rew += r.reward == t->reward[s];
            if (rel > worst_rew) worst_rew = rel;
            CHECK_MSG(rel <= 1e-12, "%s step %d reward %.17g, Gym %.17g", t->name, s, r.reward, t->reward[s]);
            bad_flags += r.terminated != (int)t->term[s] || r.truncated;
            values += obs_dim; steps++;
        }
        CHECK_MSG(bad_flags == 0, "%s: %d steps with wrong flags", t->name, bad_flags);
        for (int k = 0; k < t->state_dim; k++) {
            int64_t u = ulps_d(env.state[k], t->final[k]);
            if (u > worst_state) worst_state = u;
        }
    }
    printf("    %s: %d trajectories, %ld steps; obs bit-exact %ld/%ld (worst %lld ulp), "
           "rewards bit-exact %ld/%ld (worst rel %.3g), final double state worst %lld ulp\n",
           file, fx.n_traj, steps, exact_obs, values, (long long)worst_obs, exact_rew, steps,
           worst_rew, (long long)worst_state);
    free_env_fixture(&fx);
}

TEST(cartpole_matches_gym) { check_fixture("tests/fixtures/env_cartpole.bin", "cartpole-f", 4); }
TEST(pendulum_matches_gym) { check_fixture("tests/fixtures/env_pendulum.bin", "pendulum-f", 3); }

// --- Names, sizes, views

TEST(names_and_sizes) {
    grsn_env e;
    static const struct { const char *name; int kind, view, obs_dim, act_dim, discrete; } cases[] = {
        {"cartpole-f", GRSN_CARTPOLE, GRSN_VIEW_FULL, 4, 2, 1},
        {"CartPole-P", GRSN_CARTPOLE, GRSN_VIEW_POS, 2, 2, 1},
        {"CartPole-V-v0", GRSN_CARTPOLE, GRSN_VIEW_VEL, 2, 2, 1},
        {"pendulum-f", GRSN_PENDULUM, GRSN_VIEW_FULL, 3, 1, 0},
        {"Pendulum-P-v0", GRSN_PENDULUM, GRSN_VIEW_POS, 2, 1, 0},
        {"PENDULUM-V", GRSN_PENDULUM, GRSN_VIEW_VEL, 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(grsn_env_make(&e, cases[i].name, 1, GRSN_STREAM_ENV) == GRSN_OK);
        CHECK((int)e.kind == cases[i].kind && (int)e.view == cases[i].view);
        CHECK(e.obs_dim == cases[i].obs_dim && e.act_dim == cases[i].act_dim);
        CHECK(e.discrete == cases[i].discrete && e.n_actions == (cases[i].discrete ? 2 : 0));
        CHECK(e.max_steps == 200 && !e.timeout_overrides_terminal && !e.warmup_pendulum_code);
    }
    CHECK(grsn_env_make(&e, "pendulum-p", 1, 0) == GRSN_OK && !strcmp(grsn_env_name(&e), "pendulum-p"));
    const char *bad[] = {"cartpole", "pendulum-x", "Pendulum-v1", "mountaincar-p", "", "cartpole-p-v0-v0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(grsn_env_make(&e, bad[i], 1, 0) == GRSN_ERR_ARG);
        const char *msg = grsn_last_error();
        CHECK(strstr(msg, "cartpole-f") && strstr(msg, "cartpole-v") && strstr(msg, "pendulum-p"));
    }
}

TEST(views_keep_the_right_indices) {
    // §4.3: CartPole P = [0, 2], V = [1, 3]; Pendulum P = [0, 1], V = [2].
    const double cp[4] = {0.5, -1.25, 0.125, 2.0}, pd[2] = {0.75, -3.5};
    const float cp_full[4] = {0.5f, -1.25f, 0.125f, 2.0f};
    const float pd_full[3] = {(float)cos(0.75), (float)sin(0.75), -3.5f};
    const struct { const char *name; int n; int idx[4]; const char *first; } v[] = {
        {"cartpole-f", 4, {0, 1, 2, 3}, "x"}, {"cartpole-p", 2, {0, 2}, "x"}, {"cartpole-v", 2, {1, 3}, "x_dot"},
        {"pendulum-f", 3, {0, 1, 2}, "cos_theta"}, {"pendulum-p", 2, {0, 1}, "cos_theta"},
        {"pendulum-v", 1, {2}, "theta_dot"},
    };
    for (int i = 0; i < 6; i++) {
        grsn_env e; float obs[4] = {99, 99, 99, 99};
        CHECK(grsn_env_make(&e, v[i].name, 0, 0) == GRSN_OK);
        const float *full = e.kind == GRSN_CARTPOLE ? cp_full : pd_full;
        CHECK(grsn_env_set_state(&e, e.kind == GRSN_CARTPOLE ? cp : pd, 0, obs) == GRSN_OK);
        CHECK(e.obs_dim == v[i].n);
        for (int k = 0; k < v[i].n; k++) CHECK_MSG(obs[k] == full[v[i].idx[k]], "%s obs[%d]", v[i].name, k);
        for (int k = v[i].n; k < 4; k++) CHECK(obs[k] == 99);   // nothing written past obs_dim
        CHECK(!strcmp(grsn_env_obs_name(&e, 0), v[i].first));
    }
    grsn_env e; CHECK(grsn_env_make(&e, "cartpole-v", 0, 0) == GRSN_OK);
    CHECK(!strcmp(grsn_env_obs_name(&e, 1), "theta_dot"));
}

// --- Reset

TEST(reset_ranges) {
    grsn_env c, p; float obs[4];
    CHECK(grsn_env_make(&c, "cartpole-f", 3, GRSN_STREAM_ENV) == GRSN_OK);
    CHECK(grsn_env_make(&p, "pendulum-f", 3, GRSN_STREAM_ENV) == GRSN_OK);
    double cmin = 1, cmax = -1, tmin = 10, tmax = -10, wmin = 10, wmax = -10, mean = 0;
    int ok = 1;
    const int n = 4000;
    for (int i = 0; i < n; i++) {
        grsn_env_reset(&c, obs);
        for (int k = 0; k < 4; k++) {
            double s = c.state[k];
            ok &= s >= -0.05 && s < 0.05 && obs[k] == (float)s;
            cmin = fmin(cmin, s); cmax = fmax(cmax, s); mean += s;
        }
        ok &= c.steps == 0 && !c.done;
        grsn_env_reset(&p, obs);
        ok &= p.state[0] >= -PI && p.state[0] < PI && p.state[1] >= -1 && p.state[1] < 1;
        ok &= obs[0] == (float)cos(p.state[0]) && obs[1] == (float)sin(p.state[0]) && obs[2] == (float)p.state[1];
        tmin = fmin(tmin, p.state[0]); tmax = fmax(tmax, p.state[0]);
        wmin = fmin(wmin, p.state[1]); wmax = fmax(wmax, p.state[1]);
    }
    CHECK(ok);
    CHECK(cmin < -0.049 && cmax > 0.049);
    CHECK_NEAR(mean / (4.0 * n), 0.0, 0.002, 0);
    CHECK(tmin < -3.1 && tmax > 3.1 && wmin < -0.99 && wmax > 0.99);
}

// --- Episode end: the cap and the flags (§4.4, decision 16)

TEST(pendulum_truncates_at_200_never_terminates) {
    grsn_env e; float obs[4], a = 0.3f; grsn_env_result r;
    CHECK(grsn_env_make(&e, "pendulum-p", 5, GRSN_STREAM_ENV) == GRSN_OK);
    for (int episode = 0; episode < 2; episode++) {
        grsn_env_reset(&e, obs);
        int early = 0, terminal = 0, t = 0;
        do {
            CHECK(grsn_env_step(&e, &a, obs, &r) == GRSN_OK);
            t++;
            early += r.truncated && t < 200;
            terminal += r.terminated;
            CHECK(r.reward <= 0 && r.reward >= -16.2736045);
        } while (!r.truncated && t < 300);
        CHECK(t == 200 && r.truncated && !early && !terminal && e.done);
        CHECK(grsn_env_step(&e, &a, obs, &r) == GRSN_ERR_ARG);   // no step past the end
    }
    // max_steps <= 0: no cap.
    e.max_steps = 0;
    grsn_env_reset(&e, obs);
    int truncated = 0;
    for (int t = 0; t < 500; t++) { CHECK(grsn_env_step(&e, &a, obs, &r) == GRSN_OK); truncated += r.truncated; }
    CHECK(truncated == 0);
}

TEST(step_needs_reset) {
    grsn_env e; float obs[4], a[2] = {1, 0}; grsn_env_result r;
    CHECK(grsn_env_make(&e, "cartpole-v", 0, 0) == GRSN_OK);
    CHECK(grsn_env_step(&e, a, obs, &r) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "reset") != NULL);
    grsn_env_reset(&e, obs);
    CHECK(grsn_env_step(&e, a, obs, &r) == GRSN_OK);
}

TEST(cartpole_fall_flags) {
    grsn_env e; float obs[4]; grsn_env_result r;
    const double leaning[4] = {0.0, 0.0, 0.2094, 1.0};   // θ passes 12° within one step
    CHECK(grsn_env_make(&e, "cartpole-p", 0, 0) == GRSN_OK);
    // A fall before the cap: terminated, not truncated.
    CHECK(grsn_env_set_state(&e, leaning, 10, obs) == GRSN_OK);
    CHECK(grsn_env_step_discrete(&e, 1, obs, &r) == GRSN_OK);
    CHECK(r.terminated && !r.truncated && r.reward == 1.0 && e.done && e.steps == 11);
    // A fall on exactly step 200: both flags (decision 16 default).
    CHECK(grsn_env_set_state(&e, leaning, 199, obs) == GRSN_OK);
    CHECK(grsn_env_step_discrete(&e, 1, obs, &r) == GRSN_OK);
    CHECK(r.terminated && r.truncated && r.reward == 1.0);
    // The authors' code stores it as a timeout.
    e.timeout_overrides_terminal = 1;
    CHECK(grsn_env_set_state(&e, leaning, 199, obs) == GRSN_OK);
    CHECK(grsn_env_step_discrete(&e, 1, obs, &r) == GRSN_OK);
    CHECK(!r.terminated && r.truncated);
    // ... but only at the cap.
    CHECK(grsn_env_set_state(&e, leaning, 198, obs) == GRSN_OK);
    CHECK(grsn_env_step_discrete(&e, 1, obs, &r) == GRSN_OK);
    CHECK(r.terminated && !r.truncated);
    // Upright at the cap: truncated only.
    const double upright[4] = {0, 0, 0, 0};
    CHECK(grsn_env_set_state(&e, upright, 199, obs) == GRSN_OK);
    CHECK(grsn_env_step_discrete(&e, 0, obs, &r) == GRSN_OK);
    CHECK(!r.terminated && r.truncated);
    // The cart leaving the track ends it too.
    const double edge[4] = {2.399, 1.0, 0, 0};
    CHECK(grsn_env_set_state(&e, edge, 0, obs) == GRSN_OK);
    CHECK(grsn_env_step_discrete(&e, 1, obs, &r) == GRSN_OK);
    CHECK(r.terminated);
    // set_state validates its input.
    CHECK(grsn_env_set_state(&e, upright, 200, obs) == GRSN_ERR_ARG);
    CHECK(grsn_env_set_state(&e, upright, -1, obs) == GRSN_ERR_ARG);
    const double nan_state[4] = {0, NAN, 0, 0};
    CHECK(grsn_env_set_state(&e, nan_state, 0, obs) == GRSN_ERR_ARG);
}

TEST(random_cartpole_episodes_end_by_falling) {
    // Random pushes topple the pole in a few dozen steps: terminated, never truncated.
    grsn_env e; grsn_rng pol; float obs[4], a[2]; grsn_env_result r;
    CHECK(grsn_env_make(&e, "cartpole-f", 9, GRSN_STREAM_ENV) == GRSN_OK);
    grsn_rng_seed(&pol, 9, GRSN_STREAM_EXPLORE);
    int total = 0;
    for (int ep = 0; ep < 50; ep++) {
        grsn_env_reset(&e, obs);
        int t = 0;
        do { grsn_env_random_action(&e, &pol, a); CHECK(grsn_env_step(&e, a, obs, &r) == GRSN_OK); t++; }
        while (!r.terminated && !r.truncated);
        CHECK(r.terminated && !r.truncated && t < 200);
        CHECK(fabs(e.state[0]) > 2.4 || fabs(e.state[2]) > 12 * 2 * PI / 360);
        total += t;
    }
    CHECK(total > 50 * 8 && total < 50 * 60);   // Gym's random CartPole averages about 22 steps
}

// --- Actions

TEST(actions) {
    grsn_env c, p; float obs[4]; grsn_env_result r;
    CHECK(grsn_env_make(&c, "cartpole-f", 0, 0) == GRSN_OK);
    CHECK(grsn_env_make(&p, "pendulum-f", 0, 0) == GRSN_OK);
    const double s0[4] = {0.01, 0.02, -0.03, 0.04};
    // A score vector steps with its first argmax, like np.argmax.
    const float scores[][2] = {{0, 1}, {1, 0}, {0.3f, 0.3f}, {-5, -4}};
    const int expect[] = {1, 0, 0, 1};
    for (int i = 0; i < 4; i++) {
        grsn_env a = c, b = c; float o1[4] = {0}, o2[4] = {0};
        CHECK(grsn_env_set_state(&a, s0, 0, o1) == GRSN_OK && grsn_env_set_state(&b, s0, 0, o2) == GRSN_OK);
        CHECK(grsn_env_step(&a, scores[i], o1, &r) == GRSN_OK);
        CHECK(grsn_env_step_discrete(&b, expect[i], o2, &r) == GRSN_OK);
        CHECK(!memcmp(o1, o2, sizeof o1));
    }
    CHECK(grsn_env_set_state(&c, s0, 0, obs) == GRSN_OK);
    CHECK(grsn_env_step_discrete(&c, 2, obs, &r) == GRSN_ERR_ACTION);
    CHECK(grsn_env_step_discrete(&c, -1, obs, &r) == GRSN_ERR_ACTION);
    const float nan2[2] = {NAN, 0};
    CHECK(grsn_env_step(&c, nan2, obs, &r) == GRSN_ERR_ARG);
    CHECK(grsn_env_step_discrete(&p, 0, obs, &r) == GRSN_ERR_ACTION);
    // Pendulum: the wrapper clips to [-1, 1] before scaling (§4.1).
    const double ps[2] = {1.0, 0.5};
    const float pairs[][2] = {{5.0f, 1.0f}, {-3.0f, -1.0f}, {1.0000001f, 1.0f}};
    for (int i = 0; i < 3; i++) {
        grsn_env a = p, b = p; float o1[4] = {0}, o2[4] = {0}; grsn_env_result r1, r2;
        CHECK(grsn_env_set_state(&a, ps, 0, o1) == GRSN_OK && grsn_env_set_state(&b, ps, 0, o2) == GRSN_OK);
        CHECK(grsn_env_step(&a, &pairs[i][0], o1, &r1) == GRSN_OK);
        CHECK(grsn_env_step(&b, &pairs[i][1], o2, &r2) == GRSN_OK);
        CHECK(!memcmp(o1, o2, sizeof o1) && r1.reward == r2.reward);
    }
    // Torque 2 at the bottom at rest: cost = π² + 0.001·4 (angle_normalize(π) = -π).
    const double bottom[2] = {PI, 0.0};
    float one = 1.0f, nanf1 = NAN;
    CHECK(grsn_env_set_state(&p, bottom, 0, obs) == GRSN_OK);
    CHECK(grsn_env_step(&p, &one, obs, &r) == GRSN_OK);
    CHECK_NEAR(r.reward, -(PI * PI + 0.004), 1e-12, 0);
    CHECK_NEAR(p.state[1], (15 * sin(PI) + 3 * 2.0) * 0.05, 1e-15, 0);
    CHECK(grsn_env_step(&p, &nanf1, obs, &r) == GRSN_ERR_ARG);
}

TEST(random_actions) {
    grsn_env c, p; grsn_rng r; float a[2];
    CHECK(grsn_env_make(&c, "cartpole-v", 0, 0) == GRSN_OK);
    CHECK(grsn_env_make(&p, "pendulum-v", 0, 0) == GRSN_OK);
    grsn_rng_seed(&r, 1, GRSN_STREAM_EXPLORE);
    int ones = 0, ok = 1; const int n = 20000;
    for (int i = 0; i < n; i++) {
        int k = grsn_env_random_action(&c, &r, a);
        ok &= (k == 0 || k == 1) && a[k] == 1.0f && a[1 - k] == 0.0f;
        ones += k;
    }
    CHECK(ok);
    CHECK_NEAR(ones, n / 2.0, 0.02 * n, 0);
    double lo = 9, hi = -9;
    for (int i = 0; i < n; i++) { CHECK(grsn_env_random_action(&p, &r, a) == 0); lo = fmin(lo, a[0]); hi = fmax(hi, a[0]); }
    CHECK(lo >= -1 && hi <= 1 && lo < -0.99 && hi > 0.99);
    p.warmup_pendulum_code = 1;   // decision 15: the code's U[-2, 2], unclipped
    lo = 9; hi = -9;
    for (int i = 0; i < n; i++) { grsn_env_random_action(&p, &r, a); lo = fmin(lo, a[0]); hi = fmax(hi, a[0]); }
    CHECK(lo >= -2 && hi <= 2 && lo < -1.99 && hi > 1.99);
}

// --- Seeding (decision 18)

static void run_episodes(grsn_env *e, float *trace, int n) {
    float obs[4], a = 0.5f; grsn_env_result r; int k = 0;
    for (int ep = 0; ep < 3; ep++) {
        grsn_env_reset(e, obs);
        for (int i = 0; i < e->obs_dim; i++) if (k < n) trace[k++] = obs[i];
        for (int t = 0; t < 20; t++) {
            grsn_env_step(e, &a, obs, &r);
            for (int i = 0; i < e->obs_dim; i++) if (k < n) trace[k++] = obs[i];
        }
    }
}

TEST(determinism_per_seed_and_stream) {
    enum { N = 3 * 21 * 3 };
    float t1[N], t2[N], t3[N], t4[N];
    grsn_env a, b, c, d;
    grsn_env_make(&a, "pendulum-f", 42, GRSN_STREAM_ENV + 0);
    grsn_env_make(&b, "pendulum-f", 42, GRSN_STREAM_ENV + 0);
    grsn_env_make(&c, "pendulum-f", 42, GRSN_STREAM_ENV + 1);
    grsn_env_make(&d, "pendulum-f", 43, GRSN_STREAM_ENV + 0);
    run_episodes(&a, t1, N); run_episodes(&b, t2, N); run_episodes(&c, t3, N); run_episodes(&d, t4, N);
    CHECK(!memcmp(t1, t2, sizeof t1));
    CHECK(memcmp(t1, t3, sizeof t1) != 0);
    CHECK(memcmp(t1, t4, sizeof t1) != 0);
    // The struct is the whole state: a copy continues identically.
    grsn_env e; float o1[4] = {0}, o2[4] = {0}, act = -0.25f; grsn_env_result r1, r2;
    grsn_env_make(&e, "pendulum-f", 7, GRSN_STREAM_EVAL_ENV);
    grsn_env_reset(&e, o1);
    grsn_env copy = e;
    for (int t = 0; t < 50; t++) { grsn_env_step(&e, &act, o1, &r1); grsn_env_step(&copy, &act, o2, &r2); }
    grsn_env_reset(&e, o1); grsn_env_reset(&copy, o2);
    CHECK(!memcmp(o1, o2, sizeof o1) && r1.reward == r2.reward);
}

int main(void) {
    RUN(cartpole_matches_gym);
    RUN(pendulum_matches_gym);
    RUN(names_and_sizes);
    RUN(views_keep_the_right_indices);
    RUN(reset_ranges);
    RUN(pendulum_truncates_at_200_never_terminates);
    RUN(step_needs_reset);
    RUN(cartpole_fall_flags);
    RUN(random_cartpole_episodes_end_by_falling);
    RUN(actions);
    RUN(random_actions);
    RUN(determinism_per_seed_and_stream);
    return test_summary("test_env");
}
