/*
 * test_energy.c — operation counts and energy (paper Eq. 15-16; spec §10):
 * a small agent counted by hand in both conventions, the energy arithmetic,
 * exact spike accounting (a callback with known counts, LIF cores with known
 * firing patterns under TAP and with 4 substeps, a GRSN agent against the
 * counts grsn_agent_act reports), Table 4 (GRU column, mixer and the GRSN
 * rules of §10.2), and one-line errors for bad input, in the library and in
 * `grsn energy`.
 */
#include "grsn.h"
#include "grsn_train.h"
#include "test.h"
#include <sys/wait.h>
#include <unistd.h>

static GrsnEnergyOptions opts(grsn_energy_convention c) {
    GrsnEnergyOptions o = grsn_energy_options_default();
    o.convention = c;
    return o;
}

// obs 2, 1 continuous action, embeddings 2 / 2 / 4 (D = 8), 4 neurons, head 3.
static GrsnAgentConfig small_config(grsn_net net) {
    GrsnAgentConfig c = grsn_agent_defaults(GRSN_ALGO_TD3, net, 2, 1, 0);
    c.emb_a = 2; c.emb_r = 2; c.emb_o = 4; c.hidden = 4; c.head_hidden = 3;
    c.cell.in = 8; c.cell.hidden = 4;
    return c;
}

// ----------------------------------------------------------------------------
// Counting by hand

TEST(small_agent_acting_by_hand) {
    GrsnAgentConfig c = small_config(GRSN_NET_GRSN);
    GrsnEnergyOptions o = opts(GRSN_ENERGY_ACTING);
    GrsnOpModel m;
    GrsnEnergyReport r;
    CHECK(grsn_energy_model_agent(&m, &c, &o) == GRSN_OK);
    CHECK(m.nsources == 1 && !strcmp(m.source[0].name, "actor.core"));
    CHECK(m.source[0].neurons == 4 && m.source[0].T == 1);
    CHECK(grsn_energy_set_spikes(&m, "actor.core", 2.5) == GRSN_OK);
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
    // MACs: emb_a 1x2, emb_r 1x2, emb_o 2x4, gates 8x8, short 2x4, head.0[k]
    // 4x3, head.1 3x3, head.2 3x1 = 2+2+8+64+8+12+9+3 = 108.
    // Bias adds: 2+2+4+8+4+3+3+1 = 27. Spike ACs: 2.5 spikes x fan-out 3 = 7.5.
    CHECK_NEAR(r.mlp, 108, 0, 0);
    CHECK_NEAR(r.adds, 27, 0, 0);
    CHECK_NEAR(r.snn, 7.5, 0, 0);
    CHECK_NEAR(r.rnn, 0, 0, 0);
    CHECK_NEAR(r.energy_pj, 108 * 4.6 + (7.5 + 27) * 0.9, 1e-9, 1e-12);
    // The gate block's element-wise work: 2H + 9KH = 8 + 36.
    int gates = -1;
    for (int i = 0; i < m.nblocks; i++) if (!strcmp(m.block[i].name, "actor.cell.gates")) gates = i;
    CHECK(gates >= 0 && m.block[gates].in == 8 && m.block[gates].out == 8);
    CHECK(gates >= 0 && r.block[gates].elem == 44);
}

TEST(small_agent_paper_by_hand) {
    GrsnAgentConfig c = small_config(GRSN_NET_GRSN);
    GrsnEnergyOptions o = opts(GRSN_ENERGY_PAPER);
    GrsnOpModel m;
    GrsnEnergyReport r;
    CHECK(grsn_energy_model_agent(&m, &c, &o) == GRSN_OK);
    CHECK(m.nsources == 2 && grsn_energy_find_source(&m, "critic.core") == 1);
    CHECK(grsn_energy_set_spikes(&m, "actor.core", 2.5) == GRSN_OK);
    CHECK(grsn_energy_set_spikes(&m, "critic.core", 1.0) == GRSN_OK);
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
    // Actor with biases: 108 + 27 = 135. Critic: embeddings 4 + 4 + 12, gates
    // 72, shortcut (2 + 1) -> 8: 32, each Q head 27 + 12 + 4 = 43: 210.
    CHECK_NEAR(r.mlp, 135 + 210, 0, 0);
    CHECK_NEAR(r.adds, 0, 0, 0);
    // Actor 2.5 x 3; the critic's spikes fan out into both Q heads: 1 x 3 x 2.
    CHECK_NEAR(r.snn, 7.5 + 6, 0, 0);
    CHECK_NEAR(r.energy_pj, 345 * 4.6 + 13.5 * 0.9, 1e-9, 1e-12);

    // GRU core: the recurrent block goes to the RNN column, ih 8x12 + 12 and
    // hh 4x12 + 12 per network; the head's z part becomes dense (4 x 3).
    c = small_config(GRSN_NET_GRU);
    CHECK(grsn_energy_model_agent(&m, &c, &o) == GRSN_OK);
    CHECK(m.nsources == 0);
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
    CHECK_NEAR(r.rnn, 2 * (108 + 60), 0, 0);
    CHECK_NEAR(r.mlp, (135 - 72 + 12) + (210 - 72 + 2 * 12), 0, 0);
    CHECK_NEAR(r.snn, 0, 0, 0);
}

// A tiny QMIX arch: obs 5, 4 actions, 2 agents, state 10, hidden 6,
// embed 3, hypernet 5, TAP, the paper's gates and spike readout.
static GrsnQmixArch tiny_qmix_arch(void) {
    return (GrsnQmixArch){.net = GRSN_NET_GRSN, .obs_dim = 5, .n_actions = 4, .n_agents = 2, .state_dim = 10,
                          .hidden = 6, .embed = 3, .hypernet_embed = 5, .substeps = 1, .gates = GRSN_GATES_INPUT,
                          .readout = GRSN_READOUT_SPIKES};
}

// Model a, give its core `spikes` per decision (if it has one) and count.
static void count_qmix(GrsnEnergyReport *r, GrsnOpModel *m, const GrsnQmixArch *a, const GrsnEnergyOptions *o,
                       double spikes) {
    CHECK(grsn_energy_model_qmix(m, a, o) == GRSN_OK);
    if (grsn_energy_find_source(m, "agent.core") >= 0) CHECK(grsn_energy_set_spikes(m, "agent.core", spikes) == GRSN_OK);
    CHECK(grsn_energy_count(r, m, o) == GRSN_OK);
}

TEST(qmix_agent_and_mixer_by_hand) {
    GrsnQmixArch a = tiny_qmix_arch();
    GrsnEnergyOptions o = opts(GRSN_ENERGY_PAPER);
    GrsnOpModel m;
    GrsnEnergyReport r;
    count_qmix(&r, &m, &a, &o, 2);
    // fc1 (5+4+2) -> 6: 66 + 6 + Table 4's extra 6; gates 6 -> 12: 72 + 12.
    CHECK_NEAR(r.mlp, 66 + 6 + 6 + 72 + 12, 0, 0);
    CHECK_NEAR(r.snn, 2 * 4, 0, 0);   // fc2: 2 spikes x 4 actions, bias not charged
    // Mixer, S = 10, n = 2, embed 3, hypernet 5 (spec §10.2 formula).
    double S = 10, n = 2, E = 3, Y = 5;
    double mixer = (S * Y + Y + Y * n * E + n * E) + (S * E + E) + (S * Y + Y + Y * E + E) + (S * E + E + E + 1);
    CHECK_NEAR(r.mixer, mixer, 0, 0);
    // Acting: no extra, biases are additions, fc2's bias included.
    o = opts(GRSN_ENERGY_ACTING);
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
    CHECK_NEAR(r.mlp, 66 + 72, 0, 0);
    CHECK_NEAR(r.adds, 6 + 12 + 4, 0, 0);
    CHECK_NEAR(r.snn, 8, 0, 0);
    // Leaky output neurons (--q-leak): a multiply and an add per action,
    // element-wise (listed, not charged), like the core's own leak.
    double elem0 = m.block[m.nblocks - 1].elem;
    a.leaky_outputs = 1;
    count_qmix(&r, &m, &a, &o, 2);
    CHECK(!strcmp(m.block[m.nblocks - 1].name, "agent.fc2"));
    CHECK_NEAR(m.block[m.nblocks - 1].elem, elem0 + 2 * 4, 0, 0);
    CHECK_NEAR(r.mlp, 66 + 72, 0, 0);
    CHECK_NEAR(r.adds, 6 + 12 + 4, 0, 0);
    CHECK_NEAR(r.snn, 8, 0, 0);
}

TEST(qmix_mlp_decoder_by_hand) {
    // An MLP decoder (--decoder-hidden 7): dec 6 -> 7 reads the spikes, fc2
    // 7 -> 4 is dense.
    GrsnQmixArch a = tiny_qmix_arch();
    a.decoder_hidden = 7;
    GrsnEnergyOptions o = opts(GRSN_ENERGY_ACTING);
    GrsnOpModel m;
    GrsnEnergyReport r;
    count_qmix(&r, &m, &a, &o, 2);
    CHECK_NEAR(r.mlp, 66 + 72 + 7 * 4, 0, 0);   // fc1, gates, fc2
    CHECK_NEAR(r.snn, 2 * 7, 0, 0);             // dec: 2 spikes x 7
    CHECK_NEAR(r.adds, 6 + 12 + 7 + 4, 0, 0);   // biases of fc1, the gates, dec, fc2
    // The GRU's decoder reads a dense h: every layer is MACs.
    a.net = GRSN_NET_GRU;
    count_qmix(&r, &m, &a, &o, 0);
    CHECK_NEAR(r.snn, 0, 0, 0);
    CHECK_NEAR(r.mlp, 66 + 6 * 7 + 7 * 4, 0, 0);
    a.decoder_hidden = -1;
    CHECK(grsn_energy_model_qmix(&m, &a, &o) == GRSN_ERR_ARG);
}

TEST(qmix_spike_gated_agent_by_hand) {
    // Gates on the previous spikes (spec §2.8): the input current is dense,
    // the gates are driven by the core's spikes.
    GrsnQmixArch a = tiny_qmix_arch();
    a.gates = GRSN_GATES_SPIKES;
    GrsnEnergyOptions o = opts(GRSN_ENERGY_ACTING);
    GrsnOpModel m;
    GrsnEnergyReport r;
    count_qmix(&r, &m, &a, &o, 2);
    // fc1 11 -> 6: 66; input current 6 -> 6: 36, dense.
    CHECK_NEAR(r.mlp, 66 + 36, 0, 0);
    // Gates 6 -> 12 on 2 spikes: 24 accumulates; fc2 2 spikes x 4 actions: 8.
    CHECK_NEAR(r.snn, 2 * 12 + 2 * 4, 0, 0);
    CHECK_NEAR(r.adds, 6 + 6 + 12 + 4, 0, 0);   // biases of fc1, the current, the gates, fc2
    CHECK_NEAR(r.elem, 6 + 12 * 6, 0, 0);        // fc1's ReLU; the core's 12 H
}

// ----------------------------------------------------------------------------
// Energy arithmetic

TEST(energy_arithmetic) {
    GrsnAgentConfig c = small_config(GRSN_NET_GRSN);
    GrsnEnergyOptions o = opts(GRSN_ENERGY_ACTING);
    GrsnOpModel m;
    GrsnEnergyReport r;
    CHECK(grsn_energy_model_agent(&m, &c, &o) == GRSN_OK);
    CHECK(grsn_energy_set_rate(&m, "actor.core", 0.25) == GRSN_OK);   // 1 spike of 4
    CHECK_NEAR(m.source[0].spikes, 1.0, 0, 0);
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
    double sum = 0;
    for (int i = 0; i < r.nblocks; i++) sum += r.block[i].pj;
    CHECK_NEAR(sum, r.energy_pj, 1e-9, 1e-12);
    // Constants scale their own columns only.
    o.e_ac_pj = 0; o.e_mac_pj = 1;
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
    CHECK_NEAR(r.energy_pj, 108, 0, 0);
    o.e_ac_pj = 2; o.e_mac_pj = 0;
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
    CHECK_NEAR(r.energy_pj, 2 * (3 + 27), 0, 0);
    // Paper convention: bias adds at the MAC price.
    o = opts(GRSN_ENERGY_PAPER);
    GrsnOpModel mp;
    CHECK(grsn_energy_model_agent(&mp, &c, &o) == GRSN_OK);
    CHECK(grsn_energy_count(&r, &mp, &o) == GRSN_OK);
    CHECK_NEAR(r.energy_pj, 4.6 * (r.mlp + r.rnn) + 0.9 * r.snn, 1e-9, 1e-12);
}

// ----------------------------------------------------------------------------
// Spike accounting

typedef struct { long n; } Counter;

static grsn_status known_spikes(void *user, long long *spikes, long long *fed) {
    Counter *c = user;
    (void)fed;                     // every spike reaches the blocks fed
    spikes[0] = c->n % 5;          // 0, 1, 2, 3, 4, 0, ...
    spikes[1] = c->n % 2 ? 8 : 0;  // T = 2 substeps x 4 neurons at most
    c->n++;
    return GRSN_OK;
}

TEST(measure_callback_exact) {
    GrsnQmixArch a = {.net = GRSN_NET_LIF, .obs_dim = 3, .n_actions = 3, .n_agents = 1, .state_dim = 4, .hidden = 4,   // T = 2
                      .embed = 2, .hypernet_embed = 2, .substeps = 2, .gates = GRSN_GATES_INPUT, .readout = GRSN_READOUT_SPIKES};
    GrsnEnergyOptions o = opts(GRSN_ENERGY_ACTING);
    GrsnOpModel m;
    CHECK(grsn_energy_model_qmix(&m, &a, &o) == GRSN_OK);
    CHECK(m.nsources == 1 && m.source[0].T == 2 && m.source[0].neurons == 4);
    // A second source so both columns of the callback are used.
    m.source[1] = m.source[0];
    snprintf(m.source[1].name, sizeof m.source[1].name, "other");
    m.nsources = 2;
    Counter cnt = {0};
    CHECK(grsn_energy_measure(&m, known_spikes, &cnt, 1024) == GRSN_OK);
    // 1024 = 204 full cycles of 0+1+2+3+4 (= 10) + 0, 1, 2, 3: 2040 + 6.
    CHECK(m.source[0].total == 2046 && m.source[0].samples == 1024);
    CHECK_NEAR(m.source[0].spikes, 2046.0 / 1024, 0, 0);
    CHECK_NEAR(grsn_energy_rate(&m, 0), 2046.0 / 1024 / 8, 0, 0);
    CHECK(m.source[1].total == 512 * 8);
    CHECK_NEAR(grsn_energy_rate(&m, 1), 0.5, 0, 0);
    // A count beyond neurons x T is refused.
    m.source[1].T = 1;
    cnt.n = 0;
    CHECK(grsn_energy_measure(&m, known_spikes, &cnt, 4) == GRSN_ERR_ARG);
}

static void set_tensor(GrsnAgent *ag, grsn_agent_part part, const char *name, const float *v, float fill) {
    GrsnParams *p = grsn_agent_params(ag, part);
    const GrsnParamInfo *t = grsn_params_find(p, name);
    CHECK_MSG(t != NULL, "no tensor %s", name);
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) p->data[t->offset + i] = v && i < 4 ? v[i] : fill;
}

// LIF cores with zero weights and chosen biases: with beta 0.5 and a hard
// reset to 0, a current of 2 fires at every update (u = 1 = threshold) and
// a current of 1.5 at every second one (0.75, 1.125, reset, ...); 0 never.
static void known_lif_agent(GrsnAgent **ag, int substeps, grsn_decode decode) {
    GrsnAgentConfig c = grsn_agent_defaults(GRSN_ALGO_TD3, GRSN_NET_LIF, 2, 1, 0);
    c.cell.substeps = substeps;
    c.cell.decode = decode;
    CHECK(grsn_agent_create(ag, &c, 7) == GRSN_OK);
    const float actor_b[4] = {2.0f, 1.5f, 0.0f, 0.0f}, critic_b[4] = {0.0f, 0.0f, 2.0f, 0.0f};
    set_tensor(*ag, GRSN_PART_ACTOR, "actor.cell.w", NULL, 0.0f);
    set_tensor(*ag, GRSN_PART_ACTOR, "actor.cell.b", actor_b, 0.0f);
    set_tensor(*ag, GRSN_PART_CRITIC, "critic.cell.w", NULL, 0.0f);
    set_tensor(*ag, GRSN_PART_CRITIC, "critic.cell.b", critic_b, 0.0f);
}

// The known agent's paper-convention model, its spikes measured over 300
// decisions of Pendulum-P (seed 3): a whole 200-step episode and 100 steps of
// the next, the state restarting at zero with each episode. *snn gets the
// SNN column.
static int measured_lif(GrsnOpModel *m, int substeps, grsn_decode decode, double *snn) {
    GrsnAgent *ag;
    known_lif_agent(&ag, substeps, decode);
    GrsnEnergyOptions o = opts(GRSN_ENERGY_PAPER);
    grsn_env env;
    GrsnEnergyReport r;
    int ok = grsn_energy_model_agent(m, grsn_agent_config(ag), &o) == GRSN_OK &&
             grsn_env_make(&env, "pendulum-p", 3, GRSN_STREAM_EVAL_ENV) == GRSN_OK &&
             grsn_energy_measure_agent(m, ag, &env, 300) == GRSN_OK && grsn_energy_count(&r, m, &o) == GRSN_OK;
    *snn = ok ? r.snn : NAN;
    grsn_agent_free(ag);
    return ok;
}

TEST(lif_known_spikes_tap) {
    // Actor: neuron 0 every decision (300), neuron 1 at decisions 2, 4, ...
    // (100 + 50). Critic: 300.
    GrsnOpModel m;
    double snn;
    CHECK(measured_lif(&m, 1, GRSN_DECODE_RATE, &snn));
    CHECK_MSG(m.source[0].total == 450, "actor spikes %lld", m.source[0].total);
    CHECK_MSG(m.source[1].total == 300, "critic spikes %lld", m.source[1].total);
    CHECK_NEAR(grsn_energy_rate(&m, 0), 450.0 / 300 / 128, 0, 1e-15);
    CHECK_NEAR(snn, 1.5 * 128 + 1.0 * 256, 1e-9, 1e-12);
}

TEST(lif_known_spikes_without_tap) {
    // Per decision, 4 substeps: neuron 0 fires 4 times, neuron 1 twice.
    GrsnOpModel m;
    double snn;
    CHECK(measured_lif(&m, 4, GRSN_DECODE_RATE, &snn));
    CHECK(m.source[0].T == 4 && m.source[0].fed_T == 4);
    CHECK_MSG(m.source[0].total == 300 * 6, "actor spikes %lld", m.source[0].total);
    CHECK_MSG(m.source[1].total == 300 * 4, "critic spikes %lld", m.source[1].total);
    CHECK_NEAR(grsn_energy_rate(&m, 0), 6.0 / (128 * 4), 0, 1e-15);
    CHECK_NEAR(snn, 6 * 128 + 4 * 256, 1e-9, 1e-12);   // Eq. 15 sums over the T substeps
}

TEST(lif_known_spikes_last_substep_decoded) {
    // The same agent decoding its last substep only (the authors' switch):
    // every spike counts for the firing rate, but the heads read only the
    // 4th substep's, where actor neurons 0 and 1 and critic neuron 2 fire.
    GrsnOpModel m;
    double snn;
    CHECK(measured_lif(&m, 4, GRSN_DECODE_LAST, &snn));
    CHECK(m.source[0].T == 4 && m.source[0].fed_T == 1);
    CHECK_MSG(m.source[0].total == 300 * 6 && m.source[0].fed_total == 300 * 2, "actor spikes %lld, read %lld",
              m.source[0].total, m.source[0].fed_total);
    CHECK_MSG(m.source[1].total == 300 * 4 && m.source[1].fed_total == 300, "critic spikes %lld, read %lld",
              m.source[1].total, m.source[1].fed_total);
    CHECK_NEAR(grsn_energy_rate(&m, 0), 6.0 / (128 * 4), 0, 1e-15);
    CHECK_NEAR(snn, 2 * 128 + 1 * 256, 1e-9, 1e-12);
    // Set by hand, a quarter of the spikes (one substep of four) are read.
    CHECK(grsn_energy_set_spikes(&m, "actor.core", 8.0) == GRSN_OK);
    CHECK_NEAR(m.source[0].fed, 2.0, 0, 0);
}

TEST(grsn_agent_counts_match_act) {
    // The measured actor total equals the sum of the counts grsn_agent_act
    // reports over the same deterministic episodes (TAP: one spike per active
    // neuron). The input-gate weights are scaled up so that the untrained core fires.
    GrsnAgentConfig c = grsn_agent_defaults(GRSN_ALGO_SACD, GRSN_NET_GRSN, 2, 2, 1);
    GrsnAgent *ag;
    CHECK(grsn_agent_create(&ag, &c, 11) == GRSN_OK);
    GrsnParams *p = grsn_agent_params(ag, GRSN_PART_ACTOR);
    const GrsnParamInfo *w = grsn_params_find(p, "actor.cell.w_i");
    for (size_t i = 0; w && i < w->n; i++) p->data[w->offset + i] *= 8.0f;
    GrsnEnergyOptions o = opts(GRSN_ENERGY_ACTING);
    GrsnOpModel m;
    CHECK(grsn_energy_model_agent(&m, &c, &o) == GRSN_OK);
    grsn_env env;
    CHECK(grsn_env_make(&env, "cartpole-p", 5, GRSN_STREAM_EVAL_ENV) == GRSN_OK);
    const long N = 400;
    CHECK(grsn_energy_measure_agent(&m, ag, &env, N) == GRSN_OK);

    CHECK(grsn_env_make(&env, "cartpole-p", 5, GRSN_STREAM_EVAL_ENV) == GRSN_OK);
    float state[256] = {0}, obs[4], act[2], prev[2] = {0, 0}, prev_r = 0;
    grsn_rng unused;
    grsn_rng_seed(&unused, 0, 0);
    long long total = 0;
    grsn_env_reset(&env, obs);
    for (long n = 0; n < N; n++) {
        int spikes = 0;
        grsn_agent_act(ag, state, prev, prev_r, obs, 1, &unused, act, &spikes);
        total += spikes;
        grsn_env_result res;
        CHECK(grsn_env_step(&env, act, obs, &res) == GRSN_OK);
        memcpy(prev, act, sizeof prev);
        prev_r = (float)res.reward;
        if (res.terminated || res.truncated) {
            memset(state, 0, sizeof state); memset(prev, 0, sizeof prev); prev_r = 0;
            grsn_env_reset(&env, obs);
        }
    }
    CHECK_MSG(total > 0, "the core never fired; the test needs spikes");
    CHECK_MSG(m.source[0].total == total, "measured %lld, act reported %lld", m.source[0].total, total);
    grsn_agent_free(ag);
}

// ----------------------------------------------------------------------------
// Table 4 (spec §10.2)

TEST(table4_gru_column_and_mixer_exact) {
    // Exact integers of spec §10.2.
    static const struct { const char *task; double mlp, rnn, mixer; } want[GRSN_TABLE4_ROWS] = {
        {"pendulum-p", 116387, 136704, -1}, {"pendulum-v", 116243, 136704, -1},
        {"cartpole-p", 116742, 136704, -1}, {"cartpole-v", 116742, 136704, -1},
        {"8m", 7566, 24960, 51201}, {"2s3z", 6987, 24960, 35745}, {"8m_vs_9m", 8015, 24960, 53313},
        {"3s_vs_5z", 4811, 24960, 21601}, {"27m_vs_30m", 24740, 24960, 283105}, {"MMM2", 14354, 24960, 84929},
    };
    GrsnEnergyOptions o = opts(GRSN_ENERGY_PAPER);
    for (int i = 0; i < GRSN_TABLE4_ROWS; i++) {
        CHECK(!strcmp(grsn_table4_task(i), want[i].task));
        GrsnTable4Row row, paper;
        CHECK(grsn_energy_table4_row(&row, want[i].task, 0.0, &o) == GRSN_OK);
        CHECK(grsn_energy_table4_paper(&paper, want[i].task) == GRSN_OK);
        CHECK_MSG(row.gru_mlp == want[i].mlp, "%s GRU MLP %.0f", want[i].task, row.gru_mlp);
        CHECK_MSG(row.gru_rnn == want[i].rnn, "%s GRU RNN %.0f", want[i].task, row.gru_rnn);
        CHECK_MSG(row.mixer == want[i].mixer, "%s mixer %.0f", want[i].task, row.mixer);
        CHECK_NEAR(row.gru_energy_pj, 4.6 * (want[i].mlp + want[i].rnn), 1e-6, 1e-12);
        // Against the printed K values: within rounding, except 2s3z, printed
        // 146.97 where 4.6 x 31,947 = 146,956 (it matches the rounded 6.99 K).
        CHECK_NEAR(row.gru_mlp, paper.gru_mlp, 5.0, 0);
        CHECK_NEAR(row.gru_energy_pj, paper.gru_energy_pj, strcmp(want[i].task, "2s3z") ? 5.0 : 15.0, 0);
        if (want[i].mixer >= 0) CHECK_NEAR(row.mixer, paper.mixer, 5.0, 0);
    }
}

TEST(table4_grsn_column_rules) {
    GrsnEnergyOptions o = opts(GRSN_ENERGY_PAPER);
    GrsnTable4Row row, paper;
    // Consistent rule (default): all spike-fed blocks as ACs, gate biases as MACs.
    CHECK(grsn_energy_table4_row(&row, "pendulum-p", 0.0, &o) == GRSN_OK);
    CHECK(row.grsn_mlp == 92323);
    // The empirical fit reproduces the printed PO column, and with the SNN
    // column set to the printed value the printed energy within 0.02 K pJ
    // (not on the two CartPole rows, whose printed energies look swapped).
    o.paper_grsn_fit = 1;
    static const struct { const char *task; double mlp; } fit[4] = {
        {"pendulum-p", 108195}, {"pendulum-v", 108051}, {"cartpole-p", 108550}, {"cartpole-v", 108550}};
    for (int i = 0; i < 4; i++) {
        CHECK(grsn_energy_table4_paper(&paper, fit[i].task) == GRSN_OK);
        double rate = paper.grsn_snn / (128.0 * 256);   // the critic's 2 head blocks; the actor's is dense
        CHECK(grsn_energy_table4_row(&row, fit[i].task, rate, &o) == GRSN_OK);
        CHECK_MSG(row.grsn_mlp == fit[i].mlp, "%s fit %.0f", fit[i].task, row.grsn_mlp);
        CHECK_NEAR(row.grsn_snn, paper.grsn_snn, 1e-6, 0);
        if (i < 2) CHECK_NEAR(row.grsn_energy_pj, paper.grsn_energy_pj, 20.0, 0);
    }
    // MARL: fc1 + 64 + 2 x (64 x 64 + 64); exact on four maps, 8,256 below
    // the printed value on 2s3z and MMM2 (unexplained, spec §10.2).
    o.paper_grsn_fit = 0;
    static const struct { const char *task; double mlp, gap; } marl[6] = {
        {"8m", 14976, 0}, {"2s3z", 14592, 8256}, {"8m_vs_9m", 15360, 0},
        {"3s_vs_5z", 12416, 0}, {"27m_vs_30m", 30720, 0}, {"MMM2", 21504, 8256}};
    for (int i = 0; i < 6; i++) {
        GrsnQmixArch a;
        CHECK(grsn_energy_qmix_arch_smac(&a, marl[i].task, GRSN_NET_GRSN) == GRSN_OK);
        CHECK(grsn_energy_table4_paper(&paper, marl[i].task) == GRSN_OK);
        double rate = paper.grsn_snn / (64.0 * a.n_actions);
        CHECK(grsn_energy_table4_row(&row, marl[i].task, rate, &o) == GRSN_OK);
        CHECK_MSG(row.grsn_mlp == marl[i].mlp, "%s GRSN MLP %.0f", marl[i].task, row.grsn_mlp);
        CHECK_NEAR(row.grsn_mlp + marl[i].gap, paper.grsn_mlp, 5.0, 0);
        if (marl[i].gap == 0) CHECK_NEAR(row.grsn_energy_pj, paper.grsn_energy_pj, 20.0, 0);
    }
}

// ----------------------------------------------------------------------------
// Bad input

static int one_line_containing(const char *msg, const char *want) {
    return strstr(msg, want) != NULL && strchr(msg, '\n') == NULL;
}

// A Pendulum-P GRSN agent of seed 4 with `substeps` neuron updates per
// decision, saved as a checkpoint at path; its config and agent are handed
// back if cfg and agent are not NULL (free the agent), else freed.
static int save_pendulum_agent(const char *path, int substeps, GrsnTrainConfig *cfg, GrsnAgent **agent) {
    GrsnTrainConfig c;
    GrsnAgent *ag;
    GrsnTrainRngs rngs;
    memset(&rngs, 0, sizeof rngs);
    if (grsn_train_defaults(&c, "pendulum-p", -1, GRSN_NET_GRSN, 4) != GRSN_OK) return 0;
    c.agent.cell.substeps = substeps;
    if (grsn_agent_create(&ag, &c.agent, 4) != GRSN_OK) return 0;
    int ok = grsn_ckpt_save(path, &c, ag, 0, &rngs) == GRSN_OK;
    if (cfg) *cfg = c;
    if (agent) *agent = ag;
    else grsn_agent_free(ag);
    return ok;
}

TEST(bad_input_library) {
    GrsnEnergyOptions o = opts(GRSN_ENERGY_ACTING);
    GrsnOpModel m;
    GrsnEnergyReport r;
    GrsnTable4Row row;
    CHECK(grsn_energy_convention_from_name("paper") == GRSN_ENERGY_PAPER);
    CHECK(grsn_energy_convention_from_name("papr") == -1);
    CHECK(grsn_energy_table4_row(&row, "9m", 0.0, &o) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "unknown Table 4 task '9m'"));
    CHECK(grsn_energy_table4_paper(&row, "pendulum-f") == GRSN_ERR_ARG);
    CHECK(grsn_energy_qmix_arch_smac(&(GrsnQmixArch){0}, "9m", GRSN_NET_GRU) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "9m"));

    GrsnAgentConfig c = small_config(GRSN_NET_GRSN);
    c.net = (grsn_net)9;
    CHECK(grsn_energy_model_agent(&m, &c, &o) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "unknown net"));
    c = small_config(GRSN_NET_GRSN);
    o.e_mac_pj = -4.6;
    CHECK(grsn_energy_model_agent(&m, &c, &o) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "pJ"));
    o = opts(GRSN_ENERGY_ACTING);
    CHECK(grsn_energy_model_agent(&m, &c, &o) == GRSN_OK);
    o.e_ac_pj = -0.9;
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "accumulate energy -0.9 pJ"));
    o.e_ac_pj = NAN;
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_ERR_ARG);
    o = opts(GRSN_ENERGY_ACTING);
    CHECK(grsn_energy_set_rate(&m, "actor.core", 1.5) == GRSN_ERR_ARG);
    CHECK(grsn_energy_set_spikes(&m, "actor.core", 5) == GRSN_ERR_ARG);   // 4 neurons x T 1
    CHECK(grsn_energy_set_spikes(&m, "critic.core", 1) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "sources: actor.core"));
    c = small_config(GRSN_NET_GRU);
    CHECK(grsn_energy_model_agent(&m, &c, &o) == GRSN_OK);
    CHECK(grsn_energy_set_rate(&m, "actor.core", 0.1) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "does not spike"));

    // An agent measured on an environment it does not fit.
    GrsnAgentConfig pc = grsn_agent_defaults(GRSN_ALGO_TD3, GRSN_NET_GRSN, 2, 1, 0);
    GrsnAgent *ag;
    CHECK(grsn_agent_create(&ag, &pc, 1) == GRSN_OK);
    CHECK(grsn_energy_model_agent(&m, &pc, &o) == GRSN_OK);
    grsn_env env;
    CHECK(grsn_env_make(&env, "cartpole-p", 1, GRSN_STREAM_EVAL_ENV) == GRSN_OK);
    CHECK(grsn_energy_measure_agent(&m, ag, &env, 10) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "does not fit cartpole-p"));
    CHECK(grsn_env_make(&env, "pendulum-p", 1, GRSN_STREAM_EVAL_ENV) == GRSN_OK);
    CHECK(grsn_energy_measure_agent(&m, ag, &env, 0) == GRSN_ERR_ARG);
    // A GRSN agent measured with a GRU agent's model (no spike source), or
    // with a model of another decoding: refused, not a silent zero.
    GrsnAgentConfig gc = pc;
    gc.net = GRSN_NET_GRU;
    CHECK(grsn_energy_model_agent(&m, &gc, &o) == GRSN_OK);
    CHECK(grsn_energy_measure_agent(&m, ag, &env, 10) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "has no spike source, but the agent's grsn core spikes"));
    gc = pc;
    gc.cell.decode = pc.cell.decode == GRSN_DECODE_LAST ? GRSN_DECODE_RATE : GRSN_DECODE_LAST;
    gc.cell.substeps = 2;
    CHECK(grsn_energy_model_agent(&m, &gc, &o) == GRSN_OK);
    CHECK(grsn_energy_measure_agent(&m, ag, &env, 10) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "does not fit the agent"));
    grsn_agent_free(ag);

    // A checkpoint of an agent without TAP fills no Table 4 row.
    char ck[64];
    snprintf(ck, sizeof ck, "/tmp/grsn_test_energy_k4.%d.grsn", (int)getpid());
    CHECK(save_pendulum_agent(ck, 4, NULL, NULL));
    GrsnTable4Measure t4;
    CHECK(grsn_energy_table4_measure(&t4, ck, 10, 0, &o) == GRSN_ERR_ARG);
    CHECK_MSG(one_line_containing(grsn_last_error(), "not the paper's agent (it updates its neurons more than once"),
              "%s", grsn_last_error());
    remove(ck);
}

// Run `grsn ARGS`; 1 if it exits with `status` and prints exactly one line
// on stderr containing `want`.
static int cli_error(const char *bin, const char *args, int status, const char *want) {
    char cmd[512], err[64], buf[512] = "";
    snprintf(err, sizeof err, "/tmp/grsn_test_energy.%d.err", (int)getpid());
    snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>%s", bin, args, err);
    int rc = system(cmd);
    FILE *f = fopen(err, "r");
    int lines = 0;
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) { lines++; if (lines == 1) snprintf(buf, sizeof buf, "%s", line); }
        fclose(f);
    }
    remove(err);
    int ok = rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == status && lines == 1 && strstr(buf, want);
    if (!ok) printf("    grsn %s: exit %d, %d lines: %s", args, rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1,
                    lines, buf);
    return ok;
}

TEST(bad_input_cli) {
    const char *bin = getenv("GRSN_BIN");
    if (!bin) { printf("    (GRSN_BIN not set: CLI checks skipped)\n"); return; }
    CHECK(cli_error(bin, "energy --env foo", 1, "unknown environment 'foo'"));
    CHECK(cli_error(bin, "energy --env pendulum-p --net lstm", 2, "unknown value 'lstm' for --net"));
    CHECK(cli_error(bin, "energy --env pendulum-p --ac-pj -1", 2, "--ac-pj -1 must be >= 0"));
    CHECK(cli_error(bin, "energy --env pendulum-p --mac-pj -4.6", 2, "--mac-pj -4.6 must be >= 0"));
    CHECK(cli_error(bin, "energy --map 9m --net gru", 1, "unknown SMAC map '9m'"));
    CHECK(cli_error(bin, "energy --map 8m --net grsn", 2, "needs --firing-rate"));
    CHECK(cli_error(bin, "energy", 2, "choose one of"));
    CHECK(cli_error(bin, "energy --checkpoint /nonexistent.grsn", 1, "/nonexistent.grsn"));

    CHECK(cli_error(bin, "energy --env pendulum-p --checkpoints a.grsn", 2, "--checkpoints goes with --table4"));

    // A saved agent: `grsn energy --checkpoint` counts the spikes that the
    // library counts on the same agent and evaluation stream.
    GrsnTrainConfig cfg;
    GrsnAgent *ag = NULL;
    char ck[64];
    snprintf(ck, sizeof ck, "/tmp/grsn_test_energy.%d.grsn", (int)getpid());
    CHECK(save_pendulum_agent(ck, 1, &cfg, &ag));
    if (!ag) return;
    GrsnEnergyOptions o = opts(GRSN_ENERGY_ACTING);
    GrsnOpModel m;
    CHECK(grsn_energy_model_agent(&m, &cfg.agent, &o) == GRSN_OK);
    grsn_env env;
    CHECK(grsn_train_make_env(&env, &cfg, 2, GRSN_STREAM_EVAL_ENV) == GRSN_OK);
    CHECK(grsn_energy_measure_agent(&m, ag, &env, 300) == GRSN_OK);
    grsn_agent_free(ag);
    char cmd[512], out[64], want[128];
    snprintf(out, sizeof out, "/tmp/grsn_test_energy.%d.out", (int)getpid());
    snprintf(cmd, sizeof cmd, "%s energy --checkpoint %s --samples 300 --seed 2 >%s 2>&1", bin, ck, out);
    CHECK(system(cmd) == 0);
    snprintf(want, sizeof want, "spikes actor.core   %lld over 300 decisions", m.source[0].total);
    int found = 0;
    FILE *f = fopen(out, "r");
    if (f) {
        char line[1024];
        while (fgets(line, sizeof line, f)) found += strncmp(line, want, strlen(want)) == 0;
        fclose(f);
    }
    CHECK_MSG(found == 1, "no line '%s'", want);
    // Flags the mode would ignore are refused.
    snprintf(cmd, sizeof cmd, "energy --checkpoint %s --net gru", ck);
    CHECK(cli_error(bin, cmd, 2, "--net cannot be given with --checkpoint"));
    snprintf(cmd, sizeof cmd, "energy --checkpoint %s --substeps 4", ck);
    CHECK(cli_error(bin, cmd, 2, "--substeps cannot be given with --checkpoint"));
    remove(ck);
    CHECK(cli_error(bin, "energy --table4 1 --net lif", 2, "--net cannot be given with --table4"));
    CHECK(cli_error(bin, "energy --map 8m --algo td3 --firing-rate 0.1", 2, "--algo cannot be given with --map"));
    CHECK(cli_error(bin, "energy --map 8m --net gru --substeps 4", 2, "--substeps applies to spiking cores"));
    CHECK(cli_error(bin, "energy --env pendulum-p --paper-fit 1", 2, "--paper-fit 1 changes the paper convention"));
    CHECK(cli_error(bin, "energy --map 8m --net grsn --firing-rate 0.1 --convention paper --paper-fit 1", 2,
                    "not a QMIX agent"));

    // The Table 4 reproduction prints the GRU side of the paper.
    snprintf(cmd, sizeof cmd, "%s energy --table4 1 --firing-rate 0.02 >%s 2>&1", bin, out);
    CHECK(system(cmd) == 0);
    f = fopen(out, "r");
    found = 0;
    if (f) {
        char line[1024];
        while (fgets(line, sizeof line, f)) {
            found += strncmp(line, "| pendulum-p | 116.39 | 136.70 | 1164.22 |", 42) == 0;
            found += strncmp(line, "| 8m | 7.57 | 24.96 | 149.62 |", 29) == 0;
        }
        fclose(f);
    }
    remove(out);
    CHECK_MSG(found == 4, "found %d of 4 expected rows (computed + paper)", found);
}

int main(void) {
    RUN(small_agent_acting_by_hand);
    RUN(small_agent_paper_by_hand);
    RUN(qmix_agent_and_mixer_by_hand);
    RUN(qmix_mlp_decoder_by_hand);
    RUN(qmix_spike_gated_agent_by_hand);
    RUN(energy_arithmetic);
    RUN(measure_callback_exact);
    RUN(lif_known_spikes_tap);
    RUN(lif_known_spikes_without_tap);
    RUN(lif_known_spikes_last_substep_decoded);
    RUN(grsn_agent_counts_match_act);
    RUN(table4_gru_column_and_mixer_exact);
    RUN(table4_grsn_column_rules);
    RUN(bad_input_library);
    RUN(bad_input_cli);
    return test_summary("test_energy");
}
