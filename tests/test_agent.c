/*
 * test_agent.c — the control agents:
 *   - one TD3 update (GRSN and GRU cores) and one SAC-discrete update (GRSN)
 *     against PyTorch (fixtures by dev/gen_agent_fixtures.py): losses, and
 *     every parameter of the actor, critic and targets after the update;
 *   - parameter counts of spec §3.5 at the paper's sizes;
 *   - TAP: acting one decision at a time gives the same actions, bit for
 *     bit, as the actor run over the whole window;
 *   - bad configurations.
 *
 * Tolerances: losses 1e-5 relative; parameters after one Adam step
 * |a - b| <= 2e-6 + 1e-4 |b|. Adam normalises each gradient, so a parameter
 * moves by about lr = 3e-4 whatever its gradient: 2e-6 absolute is a hundredth
 * of a step, loose enough for fp32 re-association of tiny gradients and tight
 * enough to catch any wrong or missing gradient term.
 */
#include "grsn.h"
#include "test.h"
#include "fixture.h"
#include "agent_net.h"

static void check_update_fixture(const char *file) {
    Fixture fx;
    CHECK(fx_load(&fx, file));
    if (!fx.count) return;
    int algo = fx_int(&fx, "cfg.algo"), net = fx_int(&fx, "cfg.net"), discrete = fx_int(&fx, "cfg.discrete");
    GrsnAgentConfig cfg = grsn_agent_defaults((grsn_algo)algo, (grsn_net)net, fx_int(&fx, "cfg.obs_dim"),
                                              fx_int(&fx, "cfg.act_dim"), discrete);
    cfg.emb_a = fx_int(&fx, "cfg.emb_a"); cfg.emb_r = fx_int(&fx, "cfg.emb_r"); cfg.emb_o = fx_int(&fx, "cfg.emb_o");
    cfg.hidden = fx_int(&fx, "cfg.hidden"); cfg.head_hidden = fx_int(&fx, "cfg.head_hidden");
    cfg.batch = fx_int(&fx, "cfg.batch"); cfg.seq_len = fx_int(&fx, "cfg.seq_len");
    cfg.gamma = fx_get(&fx, "cfg.gamma", 1)[0]; cfg.tau = fx_get(&fx, "cfg.tau", 1)[0]; cfg.lr = fx_get(&fx, "cfg.lr", 1)[0];
    GrsnAgent *a;
    CHECK(grsn_agent_create(&a, &cfg, 0) == GRSN_OK);
    if (!a) { printf("    %s\n", grsn_last_error()); fx_free(&fx); return; }

    // Load the initial parameters; targets start as copies of the online nets.
    char nm[128];
    const grsn_agent_part online[2] = {GRSN_PART_ACTOR, GRSN_PART_CRITIC};
    for (int k = 0; k < 2; k++) {
        GrsnParams *p = grsn_agent_params(a, online[k]);
        for (int i = 0; i < p->count; i++) {
            snprintf(nm, sizeof nm, "init.%s", p->info[i].name);
            const float *v = fx_get(&fx, nm, p->info[i].n);
            CHECK_MSG(v != NULL, "%s", nm);
            if (v) memcpy(p->data + p->info[i].offset, v, p->info[i].n * sizeof(float));
        }
        GrsnParams *t = grsn_agent_params(a, k == 0 ? GRSN_PART_ACTOR_TARGET : GRSN_PART_CRITIC_TARGET);
        memcpy(t->data, p->data, p->n * sizeof(float));
    }

    int S = cfg.seq_len, B = cfg.batch, SB = S * B;
    grsn_seqbatch bt;
    memset(&bt, 0, sizeof bt);
    bt.batch = B; bt.seq_len = S; bt.obs_dim = cfg.obs_dim; bt.act_dim = cfg.act_dim;
    bt.obs = (float *)fx_get(&fx, "batch.obs", (size_t)(S + 1) * B * cfg.obs_dim);
    bt.act = (float *)fx_get(&fx, "batch.act", (size_t)(S + 1) * B * cfg.act_dim);
    bt.rew = (float *)fx_get(&fx, "batch.rew", (size_t)(S + 1) * B);
    bt.term = (float *)fx_get(&fx, "batch.term", (size_t)(S + 1) * B);
    bt.mask = (float *)fx_get(&fx, "batch.mask", (size_t)SB);
    int32_t idx[4096];
    if (discrete) {
        const float *ai = fx_get(&fx, "batch.act_index", (size_t)SB);
        for (int i = 0; i < SB && ai; i++) idx[i] = (int32_t)ai[i];
        bt.act_index = idx;
    } else {
        grsn_agent_set_target_noise(a, fx_get(&fx, "td3.noise", (size_t)(S + 1) * B * cfg.act_dim));
    }

    GrsnUpdateStats st;
    grsn_rng rng; grsn_rng_seed(&rng, 0, GRSN_STREAM_TARGET_NOISE);
    CHECK(grsn_agent_update(a, &bt, &rng, &st) == GRSN_OK);
    CHECK(st.actor_stepped == 1);   // policy_delay 1: every update steps the actor
    CHECK_NEAR(st.q_loss, fx_get(&fx, "loss.q", 1)[0], 1e-6, 1e-5);
    CHECK_NEAR(st.pi_loss, fx_get(&fx, "loss.pi", 1)[0], 1e-6, 1e-5);
    if (discrete) {
        CHECK_NEAR(st.alpha_loss, fx_get(&fx, "loss.alpha", 1)[0], 1e-6, 1e-5);
        CHECK_NEAR(*grsn_agent_log_alpha(a), fx_get(&fx, "after.log_alpha", 1)[0], 1e-9, 1e-5);
    }

    // Every parameter after the update.
    double worst = 0;
    for (int part = 0; part < GRSN_PART_COUNT; part++) {
        if (discrete && part == GRSN_PART_ACTOR_TARGET) continue;   // SAC-discrete has no actor target
        GrsnParams *p = grsn_agent_params(a, (grsn_agent_part)part);
        for (int i = 0; i < p->count; i++) {
            snprintf(nm, sizeof nm, "after.%s", p->info[i].name);
            const float *v = fx_get(&fx, nm, p->info[i].n);
            if (!v) { CHECK(v != NULL); continue; }
            double d = check_tensor(nm, p->data + p->info[i].offset, v, p->info[i].n, 2e-6, 1e-4);
            worst = d > worst ? d : worst;
        }
    }
    printf("    %s: q_loss %.6g (torch %.6g), pi_loss %.6g (torch %.6g), worst parameter diff %.2g\n", file,
           st.q_loss, fx_get(&fx, "loss.q", 1)[0], st.pi_loss, fx_get(&fx, "loss.pi", 1)[0], worst);
    grsn_agent_free(a);
    fx_free(&fx);
}

TEST(pytorch_td3_update_grsn)  { check_update_fixture("agent_td3_grsn.bin"); }
TEST(pytorch_td3_update_gru)   { check_update_fixture("agent_td3_gru.bin"); }
TEST(pytorch_sacd_update_grsn) { check_update_fixture("agent_sacd_grsn.bin"); }

TEST(parameter_counts_match_spec) {
    // Spec §3.5 (a learnable beta adds 1 per GRSN layer).
    struct { grsn_algo algo; grsn_net net; int d_o, d_a, disc; long actor, critic; } c[] = {
        {GRSN_ALGO_TD3, GRSN_NET_GRSN, 2, 1, 0, 50017 + 1, 91458 + 1},
        {GRSN_ALGO_TD3, GRSN_NET_LIF, 2, 1, 0, 43745, 85186},
        {GRSN_ALGO_TD3, GRSN_NET_GRU, 2, 1, 0, 105825, 147266},
        {GRSN_ALGO_TD3, GRSN_NET_GRSN, 1, 1, 0, 49953 + 1, 91378 + 1},
        {GRSN_ALGO_SACD, GRSN_NET_GRSN, 2, 2, 1, 50154 + 1, 91676 + 1},
        {GRSN_ALGO_SACD, GRSN_NET_GRU, 2, 2, 1, 105962, 147484},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        GrsnAgentConfig cfg = grsn_agent_defaults(c[i].algo, c[i].net, c[i].d_o, c[i].d_a, c[i].disc);
        cfg.batch = 1; cfg.seq_len = 2;
        GrsnAgent *a;
        CHECK(grsn_agent_create(&a, &cfg, 0) == GRSN_OK);
        CHECK_MSG((long)grsn_agent_params(a, GRSN_PART_ACTOR)->n == c[i].actor, "case %zu actor %zu", i,
                  grsn_agent_params(a, GRSN_PART_ACTOR)->n);
        CHECK_MSG((long)grsn_agent_params(a, GRSN_PART_CRITIC)->n == c[i].critic, "case %zu critic %zu", i,
                  grsn_agent_params(a, GRSN_PART_CRITIC)->n);
        grsn_agent_free(a);
    }
}

// TAP: an episode acted one decision at a time equals the actor over the window.
static void act_equals_window(grsn_net net, int discrete) {
    const int T = 30;
    GrsnAgentConfig cfg = grsn_agent_defaults(discrete ? GRSN_ALGO_SACD : GRSN_ALGO_TD3, net, 2, discrete ? 2 : 1, discrete);
    cfg.batch = 1; cfg.seq_len = T;
    GrsnParams p; grsn_params_init(&p);
    Actor actor;
    CHECK(actor_init(&actor, &p, "actor", &cfg, T, 1) == GRSN_OK);
    CHECK(grsn_params_alloc(&p) == GRSN_OK);
    grsn_rng r; grsn_rng_seed(&r, 4, 1);
    CHECK(actor_reset_parameters(&actor, &r) == GRSN_OK);
    // Make the core fire: larger embedding weights.
    for (size_t i = 0; i < p.n; i++) p.data[i] *= 3.0f;
    int da = cfg.act_dim;
    float A[31 * 2], R[31], O[31 * 2], out_step[31 * 2];
    memset(A, 0, sizeof A); memset(R, 0, sizeof R);
    for (int t = 0; t < T; t++) {
        O[2 * t] = (float)grsn_rng_normal(&r); O[2 * t + 1] = (float)grsn_rng_normal(&r);
        if (t + 1 < T) { R[t + 1] = (float)grsn_rng_normal(&r); for (int k = 0; k < da; k++) A[(t + 1) * da + k] = (float)grsn_rng_uniform(&r, -1, 1); }
    }
    float state[1024] = {0};
    int spikes = 0, s;
    for (int t = 0; t < T; t++) {
        actor_step(&actor, state, A + t * da, R[t], O + 2 * t, out_step + t * da, &s);
        spikes += s;
    }
    const float *out = actor_forward(&actor, A, R, O, NULL, T, 1, 1);
    CHECK(memcmp(out, out_step, (size_t)T * da * sizeof(float)) == 0);
    if (net == GRSN_NET_GRSN || net == GRSN_NET_LIF) CHECK(spikes > 0);
    actor_free(&actor); grsn_params_free(&p);
}

TEST(tap_act_equals_window_grsn) { act_equals_window(GRSN_NET_GRSN, 0); }
TEST(tap_act_equals_window_lif)  { act_equals_window(GRSN_NET_LIF, 0); }
TEST(tap_act_equals_window_gru)  { act_equals_window(GRSN_NET_GRU, 1); }
TEST(tap_act_equals_window_mlp)  { act_equals_window(GRSN_NET_MLP, 0); }

// TD3 with policy_delay 2 (canonical TD3): the critic steps every update, the
// actor and both targets every second one, and the update count runs on.
TEST(td3_policy_delay) {
    enum { B = 2, S = 4, DO = 2, DA = 1 };
    GrsnAgentConfig c = grsn_agent_defaults(GRSN_ALGO_TD3, GRSN_NET_GRSN, DO, DA, 0);
    c.batch = B; c.seq_len = S; c.hidden = 8; c.head_hidden = 8; c.policy_delay = 2;
    GrsnAgent *a;
    CHECK(grsn_agent_create(&a, &c, 3) == GRSN_OK);
    if (!a) return;
    static float obs[(S + 1) * B * DO], act[(S + 1) * B * DA], rew[(S + 1) * B], term[(S + 1) * B], mask[S * B];
    grsn_rng r; grsn_rng_seed(&r, 4, 1);
    for (size_t i = 0; i < sizeof obs / sizeof *obs; i++) obs[i] = (float)grsn_rng_normal(&r);
    for (size_t i = 0; i < sizeof act / sizeof *act; i++) act[i] = 2.0f * grsn_rng_float(&r) - 1.0f;
    for (size_t i = 0; i < sizeof rew / sizeof *rew; i++) rew[i] = (float)grsn_rng_normal(&r);
    for (size_t i = 0; i < sizeof mask / sizeof *mask; i++) mask[i] = 1.0f;
    grsn_seqbatch bt;
    memset(&bt, 0, sizeof bt);
    bt.batch = B; bt.seq_len = S; bt.obs_dim = DO; bt.act_dim = DA;
    bt.obs = obs; bt.act = act; bt.rew = rew; bt.term = term; bt.mask = mask;
    GrsnParams *actor = grsn_agent_params(a, GRSN_PART_ACTOR), *critic = grsn_agent_params(a, GRSN_PART_CRITIC);
    GrsnParams *actor_t = grsn_agent_params(a, GRSN_PART_ACTOR_TARGET);
    float *before = malloc((actor->n + actor_t->n + critic->n) * sizeof(float));
    grsn_rng noise; grsn_rng_seed(&noise, 0, GRSN_STREAM_TARGET_NOISE);
    for (int u = 1; u <= 4; u++) {
        memcpy(before, actor->data, actor->n * sizeof(float));
        memcpy(before + actor->n, actor_t->data, actor_t->n * sizeof(float));
        memcpy(before + actor->n + actor_t->n, critic->data, critic->n * sizeof(float));
        GrsnUpdateStats st;
        CHECK(grsn_agent_update(a, &bt, &noise, &st) == GRSN_OK);
        int stepped = u % 2 == 0;
        CHECK(st.actor_stepped == stepped);
        CHECK((memcmp(before, actor->data, actor->n * sizeof(float)) != 0) == stepped);
        CHECK((memcmp(before + actor->n, actor_t->data, actor_t->n * sizeof(float)) != 0) == stepped);
        CHECK(memcmp(before + actor->n + actor_t->n, critic->data, critic->n * sizeof(float)) != 0);
        CHECK(stepped ? st.pi_loss != 0.0f : st.pi_loss == 0.0f && st.firing_rate == 0.0f);
        CHECK(grsn_agent_updates(a) == u);
    }
    free(before);
    grsn_agent_free(a);
}

TEST(bad_configs) {
    GrsnAgent *a;
    GrsnAgentConfig c = grsn_agent_defaults(GRSN_ALGO_TD3, GRSN_NET_GRSN, 2, 2, 1);
    CHECK(grsn_agent_create(&a, &c, 0) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "td3") != NULL);
    c = grsn_agent_defaults(GRSN_ALGO_SACD, GRSN_NET_GRSN, 2, 1, 0);
    CHECK(grsn_agent_create(&a, &c, 0) == GRSN_ERR_ARG);
    c = grsn_agent_defaults(GRSN_ALGO_TD3, GRSN_NET_GRU, 2, 1, 0); c.cell.substeps = 4;
    CHECK(grsn_agent_create(&a, &c, 0) == GRSN_ERR_ARG);
    c = grsn_agent_defaults(GRSN_ALGO_TD3, GRSN_NET_GRSN, 2, 1, 0); c.gamma = 1.5f;
    CHECK(grsn_agent_create(&a, &c, 0) == GRSN_ERR_ARG);
    CHECK(grsn_net_from_name("lstm") == -1 && grsn_algo_from_name("ppo") == -1);
    CHECK(grsn_net_from_name("lif") == GRSN_NET_LIF && grsn_algo_from_name("sacd") == GRSN_ALGO_SACD);
    // The public lists the error messages print name every value, in order.
    char names[64] = "";
    for (int i = 0; i <= GRSN_ALGO_SACD; i++) {
        CHECK(grsn_algo_from_name(grsn_algo_name((grsn_algo)i)) == i);
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", grsn_algo_name((grsn_algo)i));
    }
    CHECK(!strcmp(names, GRSN_ALGO_NAMES));
    names[0] = '\0';
    for (int i = 0; i <= GRSN_NET_MLP; i++) {
        CHECK(grsn_net_from_name(grsn_net_name((grsn_net)i)) == i);
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", grsn_net_name((grsn_net)i));
    }
    CHECK(!strcmp(names, GRSN_NET_NAMES));
    CHECK(!strcmp(grsn_net_name((grsn_net)4), "?"));
}

int main(void) {
    RUN(pytorch_td3_update_grsn);
    RUN(pytorch_td3_update_gru);
    RUN(pytorch_sacd_update_grsn);
    RUN(parameter_counts_match_spec);
    RUN(tap_act_equals_window_grsn);
    RUN(tap_act_equals_window_lif);
    RUN(tap_act_equals_window_gru);
    RUN(tap_act_equals_window_mlp);
    RUN(td3_policy_delay);
    RUN(bad_configs);
    return test_summary("test_agent");
}
