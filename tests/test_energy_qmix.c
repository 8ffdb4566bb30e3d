/*
 * test_energy_qmix.c — the energy of trained QMIX agents (grsn_energy.h,
 * "Measuring QMIX agents"; spec §10), on a checkpoint written here by a very
 * short run of 8m (a short run is not a trained agent: these tests check the
 * accounting, not the numbers of Table 4):
 *   - the spikes counted per agent decision equal a count made independently,
 *     by stepping a copy of the agent network with qagent_step on a
 *     simulator of the same stream, and the learner's own greedy test
 *     (grsn_qmix_test) reports the same spikes for the same episode;
 *   - without TAP every substep's spike is counted;
 *   - the operations per decision scale with the measured rate as the model
 *     says: SNN = spikes x n_actions, and a model set to the measured rate
 *     costs the same;
 *   - the same seed gives the same numbers, for 1 and 2 threads;
 *   - `grsn energy --checkpoint` prints the library's count and the GRU
 *     agent beside it, `--table4 1 --checkpoints` fills the 8m row, and
 *     `grsn report` measures the runs' final.grsn for the 8m row of Table 4;
 *   - a Table 4 measurement (grsn_energy_table4_measure) equals the count by
 *     hand, and a row's mean takes only the checkpoints of its task;
 *   - bad input (a control checkpoint, a truncated or foreign file, a model
 *     that does not fit, a checkpoint outside Table 4) is one line naming
 *     the culprit.
 */
#include "test.h"
#include "grsn.h"
#include "grsn_train.h"
#include "qmix_net.h"
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/grsn_test_energy_qmix.XXXXXX";
static char run_dir[300], ckpt[400];
static const uint64_t RUN_SEED = 5;

static GrsnEnergyOptions opts(grsn_energy_convention c) {
    GrsnEnergyOptions o = grsn_energy_options_default();
    o.convention = c;
    return o;
}

// A very short QMIX run of 8m (tiny batches, a low threshold so that the
// GRSN cores fire), its final.grsn the checkpoint every test measures. The
// run directory has the layout the Table 2 runs use.
static int short_run(void) {
    if (!mkdtemp(dir)) return 0;
    snprintf(run_dir, sizeof run_dir, "%s/runs/table2/smac_8m/grsn/s0", dir);
    snprintf(ckpt, sizeof ckpt, "%s/final.grsn", run_dir);
    GrsnQmixTrainConfig c;
    if (grsn_qmix_train_defaults(&c, "8m", GRSN_NET_GRSN, RUN_SEED) != GRSN_OK) return 0;
    c.qmix.n_envs = 2; c.qmix.batch = 4; c.qmix.buffer = 16;
    c.qmix.cell.threshold = 0.1f;
    c.steps = 500; c.test_interval = 250; c.test_episodes = 2; c.threads = 1;
    if (!make_tree(run_dir)) return 0;
    grsn_status st = grsn_qmix_train_run(&c, run_dir, NULL, NULL, NULL);
    if (st != GRSN_OK) printf("    short run: %s\n", grsn_last_error());
    return st == GRSN_OK;
}

// The model of q in a convention, spikes measured over `samples` decisions.
static int measured(GrsnOpModel *m, GrsnQmix *q, grsn_energy_convention conv, uint64_t seed, long samples,
                    GrsnEnergyQmixPlay *play) {
    GrsnEnergyOptions o = opts(conv);
    GrsnQmixArch a;
    grsn_energy_qmix_arch(&a, q);
    return grsn_energy_model_qmix(m, &a, &o) == GRSN_OK &&
           grsn_energy_measure_qmix(m, q, seed, samples, play) == GRSN_OK;
}

// ----------------------------------------------------------------------------
// An independent count: a copy of the agent network stepped with
// qagent_step (the learner's acting step) on a simulator of the
// measurement's stream, greedy over the available actions.

typedef struct {
    GrsnParams p;
    QAgent agent;
    grsn_smac *env;
    grsn_smac_dims d;
    int K;                 // substeps whose spikes z sums: all (rate decoding) or 1 (the last)
} Copy;

static int copy_init(Copy *c, GrsnQmix *q, uint64_t seed) {
    const GrsnQmixConfig *cfg = grsn_qmix_config(q);
    memset(c, 0, sizeof *c);
    c->d = grsn_qmix_dims(q);
    c->K = cfg->cell.decode == GRSN_DECODE_LAST ? 1 : cfg->cell.substeps;   // spikes per unit of z
    grsn_params_init(&c->p);
    int n = c->d.n_agents;
    if (qagent_init(&c->agent, &c->p, "agent", cfg->net, &cfg->cell, grsn_qmix_input_dim(q), cfg->hidden,
                    cfg->decoder_hidden, cfg->q_leak, c->d.n_actions, 1, n) != GRSN_OK || grsn_params_alloc(&c->p) != GRSN_OK) return 0;
    const GrsnParams *from = grsn_qmix_params(q, GRSN_QMIX_ONLINE);
    for (int i = 0; i < c->p.count; i++) {
        const GrsnParamInfo *to = &c->p.info[i], *src = grsn_params_find(from, to->name);
        if (!src || src->n != to->n) return 0;
        memcpy(c->p.data + to->offset, from->data + src->offset, to->n * sizeof(float));
    }
    grsn_smac_config sc;
    grsn_smac_config_default(&sc, cfg->map);
    sc.n_envs = 1;
    sc.seed = seed;
    sc.stream_base = GRSN_STREAM_EVAL_ENV;
    sc.state_last_action = cfg->state_last_action;
    sc.units = cfg->units;
    return grsn_smac_create(&c->env, &sc) == GRSN_OK;
}

static void copy_free(Copy *c) {
    qagent_free(&c->agent);
    grsn_params_free(&c->p);
    grsn_smac_free(c->env);
}

// The spikes fc2 reads in the first `samples` decisions (step by step, agent
// by agent), with the number of environment steps they span. A rate-decoded
// core outputs spikes / K per neuron, so K z counts them; a core that decodes
// its last substep outputs that substep's spikes.
static long long copy_count(Copy *c, long samples, long *steps) {
    int n = c->d.n_agents, A = c->d.n_actions, O = c->d.obs_dim, H = c->agent.hidden, din = c->agent.d_in;
    int S = qagent_state_size(&c->agent);
    float *obs = calloc((size_t)n * O, sizeof *obs), *state = calloc((size_t)c->d.state_dim, sizeof *state);
    float *x = calloc((size_t)n * din, sizeof *x), *qv = calloc((size_t)n * A, sizeof *qv);
    float *core = calloc((size_t)n * S, sizeof *core), reward = 0;
    uint8_t *avail = calloc((size_t)n * A, 1), term = 1;
    int32_t *act = calloc((size_t)n, sizeof *act), *last = calloc((size_t)n, sizeof *last);
    grsn_smac_info info;
    grsn_smac_out out = {obs, state, avail, &reward, &term, &info, NULL};
    long long spikes = 0;
    long decided = 0;
    *steps = 0;
    while (decided < samples) {
        if (term) {   // a new episode: zero state, no last actions
            if (grsn_smac_reset(c->env, &out) != GRSN_OK) break;
            memset(core, 0, (size_t)n * S * sizeof *core);
            for (int a = 0; a < n; a++) last[a] = -1;
        }
        for (int a = 0; a < n; a++)
            qmix_build_input(x + (size_t)a * din, obs + (size_t)a * O, last[a], a, O, A, n);
        qagent_step(&c->agent, qv, core, x, n);
        for (int a = 0; a < n; a++) {
            if (decided < samples) {
                double z = 0;
                for (int j = 0; j < H; j++) z += c->agent.z[(size_t)a * H + j];
                spikes += llround(z * c->K);
                decided++;
            }
            int best = -1;
            for (int k = 0; k < A; k++)
                if (avail[(size_t)a * A + k] && (best < 0 || qv[(size_t)a * A + k] > qv[(size_t)a * A + best])) best = k;
            act[a] = best;
        }
        if (grsn_smac_step(c->env, act, &out) != GRSN_OK) break;
        memcpy(last, act, (size_t)n * sizeof *act);
        (*steps)++;
    }
    free(obs); free(state); free(x); free(qv); free(core); free(avail); free(act); free(last);
    return decided == samples ? spikes : -1;
}

// ----------------------------------------------------------------------------
// Counting

TEST(spikes_equal_an_independent_count) {
    GrsnQmix *q;
    CHECK_MSG(grsn_energy_load_qmix(ckpt, &q) == GRSN_OK, "%s", grsn_last_error());
    if (!q) return;
    const long samples = 300;   // 37.5 steps of 8 agents: the last step counted in part
    GrsnOpModel m;
    GrsnEnergyQmixPlay play;
    CHECK(measured(&m, q, GRSN_ENERGY_ACTING, 7, samples, &play));
    CHECK(m.nsources == 1 && !strcmp(m.source[0].name, "agent.core"));
    CHECK(m.source[0].samples == samples && play.decisions == samples);
    CHECK(play.env_steps == 38 && play.episodes >= 1);
    Copy c;
    CHECK(copy_init(&c, q, 7));
    long steps;
    long long independent = copy_count(&c, samples, &steps);
    copy_free(&c);
    CHECK_MSG(m.source[0].total == independent, "measured %lld, independent %lld", m.source[0].total, independent);
    CHECK(steps == play.env_steps);
    CHECK_MSG(independent > 50, "the short run's cores should fire (%lld spikes)", independent);
    CHECK_NEAR(m.source[0].spikes, (double)independent / samples, 0, 1e-15);
    grsn_qmix_free(q);
}

TEST(spikes_equal_the_learners_own_test) {
    // grsn_energy_load_qmix builds the learner with one test environment of
    // the run's seed: its first greedy test episode is the measurement's first.
    GrsnQmix *q;
    CHECK(grsn_energy_load_qmix(ckpt, &q) == GRSN_OK);
    if (!q) return;
    GrsnQmixTest t;
    CHECK(grsn_qmix_test(q, 1, &t) == GRSN_OK);
    int n = grsn_qmix_dims(q).n_agents, H = grsn_qmix_config(q)->hidden;
    long len = lroundf(t.length_mean), decisions = len * n;
    long long test_spikes = llround((double)t.firing_rate * (double)decisions * H);
    GrsnOpModel m;
    GrsnEnergyQmixPlay play;
    CHECK(measured(&m, q, GRSN_ENERGY_ACTING, RUN_SEED, decisions, &play));
    CHECK(play.env_steps == len && play.episodes == 1 && play.finished == 1);
    CHECK_MSG(m.source[0].total == test_spikes, "measured %lld, grsn_qmix_test %lld", m.source[0].total, test_spikes);
    CHECK_NEAR(grsn_energy_rate(&m, 0), t.firing_rate, 1e-6, 0);
    grsn_qmix_free(q);
}

// An untrained learner of 3m without TAP (2 substeps): the spikes fc2 reads
// (every substep's with rate decoding, the last substep's when the cell
// decodes the last, the authors' switch) equal an independent count and are
// what Eq. 15 charges; the firing rate counts every substep's either way.
static void substeps_counted(grsn_decode decode) {
    GrsnQmixConfig cfg = grsn_qmix_defaults("3m", GRSN_NET_GRSN);
    cfg.n_envs = 1; cfg.batch = 1; cfg.buffer = 1;
    cfg.cell.substeps = 2;
    cfg.cell.decode = decode;
    cfg.cell.threshold = 0.2f;
    GrsnQmix *q;
    CHECK(grsn_qmix_create(&q, &cfg, 3) == GRSN_OK);
    if (!q) return;
    GrsnOpModel m;
    CHECK(measured(&m, q, GRSN_ENERGY_ACTING, 11, 200, NULL));
    const GrsnSpikeSource *s = &m.source[0];
    CHECK(s->T == 2 && s->fed_T == (decode == GRSN_DECODE_LAST ? 1 : 2));
    Copy c;
    CHECK(copy_init(&c, q, 11));
    long steps;
    long long independent = copy_count(&c, 200, &steps);
    copy_free(&c);
    CHECK_MSG(s->fed_total == independent && independent > 0, "measured %lld, independent %lld", s->fed_total,
              independent);
    if (decode == GRSN_DECODE_LAST)
        CHECK_MSG(s->total > s->fed_total, "all substeps %lld, the last %lld", s->total, s->fed_total);
    else
        CHECK(s->total == s->fed_total);
    CHECK(s->spikes <= 2.0 * 64);
    CHECK_NEAR(grsn_energy_rate(&m, 0), s->spikes / (64.0 * 2), 0, 1e-15);
    GrsnEnergyReport r;
    GrsnEnergyOptions o = opts(GRSN_ENERGY_ACTING);
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
    CHECK_NEAR(r.snn, (double)independent / 200 * grsn_qmix_dims(q).n_actions, 1e-9, 1e-12);
    grsn_qmix_free(q);
}

TEST(every_substep_is_counted_without_tap) { substeps_counted(GRSN_DECODE_RATE); }
TEST(only_the_decoded_substep_is_charged) { substeps_counted(GRSN_DECODE_LAST); }

// With readout = MEMBRANE the core hands fc2 real values: fc2 is counted as
// dense MACs, fed by no spike source; with the paper's spikes it is not.
TEST(membrane_readout_makes_fc2_dense) {
    for (int membrane = 0; membrane <= 1; membrane++) {
        GrsnQmixConfig cfg = grsn_qmix_defaults("3m", GRSN_NET_GRSN);
        cfg.n_envs = 1; cfg.batch = 1; cfg.buffer = 1;
        cfg.cell.readout = membrane ? GRSN_READOUT_MEMBRANE : GRSN_READOUT_SPIKES;
        GrsnQmix *q;
        CHECK(grsn_qmix_create(&q, &cfg, 3) == GRSN_OK);
        if (!q) return;
        GrsnQmixArch a;
        grsn_energy_qmix_arch(&a, q);
        GrsnEnergyOptions o = opts(GRSN_ENERGY_ACTING);
        GrsnOpModel m;
        CHECK(grsn_energy_model_qmix(&m, &a, &o) == GRSN_OK);
        const GrsnOpBlock *fc2 = NULL;
        for (int i = 0; i < m.nblocks; i++) if (!strcmp(m.block[i].name, "agent.fc2")) fc2 = &m.block[i];
        CHECK(fc2 != NULL);
        if (fc2) {
            CHECK(fc2->kind == (membrane ? GRSN_BLOCK_DENSE : GRSN_BLOCK_SPIKE));
            CHECK((fc2->source < 0) == membrane);
        }
        grsn_qmix_free(q);
    }
}

TEST(operations_scale_with_the_measured_rate) {
    GrsnQmix *q;
    CHECK(grsn_energy_load_qmix(ckpt, &q) == GRSN_OK);
    if (!q) return;
    int A = grsn_qmix_dims(q).n_actions, H = grsn_qmix_config(q)->hidden;
    for (int conv = 0; conv < 2; conv++) {
        GrsnEnergyOptions o = opts((grsn_energy_convention)conv);
        GrsnOpModel m, at_rate, silent;
        GrsnEnergyReport r, r_rate, r_silent;
        CHECK(measured(&m, q, o.convention, 7, 1024, NULL));
        CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
        double spikes = m.source[0].spikes, rate = grsn_energy_rate(&m, 0);
        CHECK_NEAR(rate, (double)m.source[0].total / (1024.0 * H), 0, 1e-15);
        // Eq. 15: every spike costs one accumulate per outgoing connection (fc2).
        CHECK_NEAR(r.snn, spikes * A, 0, 1e-12);
        // The model at the measured rate costs the same; at rate 0 the
        // difference is the spikes' accumulates at E_AC, nothing else.
        GrsnQmixArch a;
        grsn_energy_qmix_arch(&a, q);
        CHECK(grsn_energy_model_qmix(&at_rate, &a, &o) == GRSN_OK);
        CHECK(grsn_energy_set_rate(&at_rate, "agent.core", rate) == GRSN_OK);
        CHECK(grsn_energy_count(&r_rate, &at_rate, &o) == GRSN_OK);
        CHECK_NEAR(r_rate.energy_pj, r.energy_pj, 1e-9, 1e-12);
        CHECK_NEAR(r_rate.snn, r.snn, 1e-9, 1e-12);
        CHECK(grsn_energy_model_qmix(&silent, &a, &o) == GRSN_OK);
        CHECK(grsn_energy_count(&r_silent, &silent, &o) == GRSN_OK);
        CHECK_NEAR(r.energy_pj - r_silent.energy_pj, rate * H * A * o.e_ac_pj, 1e-9, 1e-9);
        CHECK_NEAR(r.mlp, r_silent.mlp, 0, 0);
        CHECK_NEAR(r.energy_pj, 4.6 * (r.mlp + r.rnn) + 0.9 * (r.snn + r.adds), 1e-9, 1e-12);
        // Paper convention: the 8m agent's MLP column of Table 4 (14.98 K).
        if (conv == GRSN_ENERGY_PAPER) CHECK_NEAR(r.mlp, 14976, 0, 0);
    }
    grsn_qmix_free(q);
}

TEST(same_seed_same_numbers_any_threads) {
    GrsnQmix *q;
    CHECK(grsn_energy_load_qmix(ckpt, &q) == GRSN_OK);
    if (!q) return;
    long long total[3];
    GrsnEnergyQmixPlay play[3];
    for (int i = 0; i < 3; i++) {
        grsn_set_threads(i == 1 ? 2 : 1);
        GrsnOpModel m;
        CHECK(measured(&m, q, GRSN_ENERGY_PAPER, 9, 500, &play[i]));
        total[i] = m.source[0].total;
    }
    grsn_set_threads(1);
    CHECK(total[0] == total[1] && total[1] == total[2]);
    CHECK(play[0].env_steps == play[2].env_steps && play[0].won == play[2].won);
    grsn_qmix_free(q);
}

// ----------------------------------------------------------------------------
// Bad input

static int one_line_containing(const char *msg, const char *want) {
    return strstr(msg, want) != NULL && strchr(msg, '\n') == NULL;
}

// Copy the first `keep` bytes of src to dst.
static int truncated_copy(const char *src, const char *dst, long keep) {
    FILE *f = fopen(src, "rb"), *g = fopen(dst, "wb");
    int ok = f && g;
    for (long i = 0; ok && i < keep; i++) {
        int ch = fgetc(f);
        if (ch == EOF) break;
        fputc(ch, g);
    }
    if (f) fclose(f);
    if (g && fclose(g) != 0) ok = 0;
    return ok;
}

// An agent still in its readout anneal reads its potentials, which its spikes
// do not count: measuring it is refused until the anneal's end, and then it
// is the spike-readout agent it has become.
TEST(readout_anneal_measured_only_at_its_end) {
    GrsnQmixConfig c = grsn_qmix_defaults("3m", GRSN_NET_GRSN);
    c.n_envs = 1; c.batch = 4; c.buffer = 8;
    c.readout_anneal = 1000;
    GrsnQmix *q;
    CHECK(grsn_qmix_create(&q, &c, 2) == GRSN_OK);
    if (!q) return;
    GrsnOpModel m;
    grsn_qmix_counters(q)->env_steps = 600;
    CHECK(!measured(&m, q, GRSN_ENERGY_PAPER, 0, 30, NULL));
    CHECK_MSG(one_line_containing(grsn_last_error(), "membrane share 0.400 at env step 600; the anneal ends at 1000"),
              "%s", grsn_last_error());
    grsn_qmix_counters(q)->env_steps = 1000;
    CHECK(measured(&m, q, GRSN_ENERGY_PAPER, 0, 30, NULL));
    grsn_qmix_free(q);

    // The same refusal through Table 4 names the checkpoint it measured.
    GrsnQmixTrainConfig tc;
    CHECK(grsn_qmix_train_defaults(&tc, "8m", GRSN_NET_GRSN, 2) == GRSN_OK);
    tc.qmix.n_envs = 1; tc.qmix.batch = 4; tc.qmix.buffer = 8;
    tc.qmix.readout_anneal = 1000;
    CHECK(grsn_qmix_create(&q, &tc.qmix, 2) == GRSN_OK);
    if (!q) return;
    grsn_qmix_counters(q)->env_steps = 600;
    char path[400];
    snprintf(path, sizeof path, "%s/in_anneal.grsn", dir);
    CHECK(grsn_qmix_ckpt_save(path, &tc, q) == GRSN_OK);
    grsn_qmix_free(q);
    GrsnTable4Measure t;
    GrsnEnergyOptions o = opts(GRSN_ENERGY_PAPER);
    CHECK(grsn_energy_table4_measure(&t, path, 30, 0, &o) == GRSN_ERR_ARG);
    CHECK_MSG(one_line_containing(grsn_last_error(), "in_anneal.grsn: this agent's readout is in its anneal"), "%s",
              grsn_last_error());
    remove(path);

    // An agent that is not the paper's fills no Table 4 row.
    tc.qmix.readout_anneal = 0;
    tc.qmix.decoder_hidden = 8;
    CHECK(grsn_qmix_create(&q, &tc.qmix, 2) == GRSN_OK);
    if (!q) return;
    snprintf(path, sizeof path, "%s/decoder.grsn", dir);
    CHECK(grsn_qmix_ckpt_save(path, &tc, q) == GRSN_OK);
    grsn_qmix_free(q);
    CHECK(grsn_energy_table4_measure(&t, path, 30, 0, &o) == GRSN_ERR_ARG);
    CHECK_MSG(one_line_containing(grsn_last_error(), "decoder.grsn: not the paper's agent (its decoder has a hidden"),
              "%s", grsn_last_error());
    remove(path);
}

TEST(bad_input_library) {
    GrsnQmix *q = NULL;
    char bad[420];
    snprintf(bad, sizeof bad, "%s/truncated.grsn", dir);
    CHECK(truncated_copy(ckpt, bad, 2000));
    CHECK(grsn_energy_load_qmix(bad, &q) != GRSN_OK && q == NULL);
    CHECK_MSG(one_line_containing(grsn_last_error(), bad), "%s", grsn_last_error());
    snprintf(bad, sizeof bad, "%s/notes.txt", dir);
    FILE *f = fopen(bad, "w");
    if (f) { fputs("not a checkpoint\n", f); fclose(f); }
    CHECK(grsn_energy_load_qmix(bad, &q) != GRSN_OK && q == NULL);
    CHECK_MSG(one_line_containing(grsn_last_error(), bad), "%s", grsn_last_error());
    snprintf(bad, sizeof bad, "%s/missing.grsn", dir);
    CHECK(grsn_energy_load_qmix(bad, &q) == GRSN_ERR_IO);
    CHECK(one_line_containing(grsn_last_error(), bad));

    // A control-task checkpoint is not a QMIX agent.
    GrsnTrainConfig tc;
    CHECK(grsn_train_defaults(&tc, "cartpole-v", -1, GRSN_NET_GRSN, 1) == GRSN_OK);
    GrsnAgent *ag;
    CHECK(grsn_agent_create(&ag, &tc.agent, 1) == GRSN_OK);
    GrsnTrainRngs rngs;
    memset(&rngs, 0, sizeof rngs);
    snprintf(bad, sizeof bad, "%s/control.grsn", dir);
    CHECK(grsn_ckpt_save(bad, &tc, ag, 0, &rngs) == GRSN_OK);
    grsn_agent_free(ag);
    CHECK(grsn_energy_load_qmix(bad, &q) == GRSN_ERR_FORMAT && q == NULL);
    CHECK_MSG(one_line_containing(grsn_last_error(), bad), "%s", grsn_last_error());

    // Models that do not fit the learner; no samples.
    CHECK(grsn_energy_load_qmix(ckpt, &q) == GRSN_OK);
    if (!q) return;
    GrsnEnergyOptions o = opts(GRSN_ENERGY_ACTING);
    GrsnQmixArch a;
    GrsnOpModel m;
    grsn_energy_qmix_arch(&a, q);
    a.net = GRSN_NET_GRU;
    CHECK(grsn_energy_model_qmix(&m, &a, &o) == GRSN_OK);
    CHECK(grsn_energy_measure_qmix(&m, q, 0, 10, NULL) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "does not fit a QMIX agent with a grsn core"));
    grsn_energy_qmix_arch(&a, q);
    a.substeps = 4;
    CHECK(grsn_energy_model_qmix(&m, &a, &o) == GRSN_OK);
    CHECK(grsn_energy_measure_qmix(&m, q, 0, 10, NULL) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "T 4, 4 decoded) does not fit the agent (64, 1, 1)"));
    grsn_energy_qmix_arch(&a, q);
    CHECK(grsn_energy_model_qmix(&m, &a, &o) == GRSN_OK);
    CHECK(grsn_energy_measure_qmix(&m, q, 0, 0, NULL) == GRSN_ERR_ARG);
    CHECK(one_line_containing(grsn_last_error(), "at least 1 decision"));
    grsn_qmix_free(q);
}

// A control checkpoint of `env` with a `net` core, untrained, saved to path.
static int control_ckpt(const char *path, const char *env, grsn_net net) {
    GrsnTrainConfig tc;
    GrsnAgent *ag;
    GrsnTrainRngs rngs;
    memset(&rngs, 0, sizeof rngs);
    if (grsn_train_defaults(&tc, env, -1, net, 1) != GRSN_OK) return 0;
    if (grsn_agent_create(&ag, &tc.agent, 1) != GRSN_OK) return 0;
    int ok = grsn_ckpt_save(path, &tc, ag, 0, &rngs) == GRSN_OK;
    grsn_agent_free(ag);
    return ok;
}

// grsn_energy_table4_measure, what `grsn energy --table4` and `grsn report`
// both call: a QMIX checkpoint's row equals the model measured by hand, its
// GRU columns the architecture's; a control checkpoint lands on its task; the
// mean takes only the measurements of its row; a checkpoint outside Table 4
// or without a grsn core is an error naming the file.
TEST(table4_measure_and_mean) {
    GrsnEnergyOptions o = opts(GRSN_ENERGY_PAPER);
    GrsnTable4Measure t[4];
    CHECK_MSG(grsn_energy_table4_measure(&t[0], ckpt, 640, 2, &o) == GRSN_OK, "%s", grsn_last_error());
    CHECK(grsn_energy_table4_measure(&t[1], ckpt, 640, 3, &o) == GRSN_OK);
    CHECK(!strcmp(t[0].row.task, "8m"));
    GrsnQmix *q;
    CHECK(grsn_energy_load_qmix(ckpt, &q) == GRSN_OK);
    if (!q) return;
    GrsnOpModel m;
    GrsnEnergyReport r;
    CHECK(measured(&m, q, GRSN_ENERGY_PAPER, 2, 640, NULL));
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
    grsn_qmix_free(q);
    CHECK(t[0].row.grsn_snn == r.snn && t[0].row.grsn_energy_pj == r.energy_pj && t[0].row.grsn_mlp == r.mlp);
    CHECK(t[0].rate[0] == grsn_energy_rate(&m, 0) && t[0].rate[1] == 0);
    CHECK_MSG(t[0].rate[0] != t[1].rate[0], "seeds 2 and 3 fire alike (%g): the mean would not be tested",
              t[0].rate[0]);
    GrsnTable4Row arch;
    CHECK(grsn_energy_table4_row(&arch, "8m", 0.5, &o) == GRSN_OK);
    CHECK(t[0].row.gru_energy_pj == arch.gru_energy_pj && t[0].row.gru_rnn == arch.gru_rnn);
    CHECK(t[0].row.mixer == arch.mixer);

    char path[460];
    snprintf(path, sizeof path, "%s/t4_cartpole.grsn", dir);
    CHECK(control_ckpt(path, "cartpole-v", GRSN_NET_GRSN));
    CHECK_MSG(grsn_energy_table4_measure(&t[2], path, 64, 0, &o) == GRSN_OK, "%s", grsn_last_error());
    CHECK(!strcmp(t[2].row.task, "cartpole-v") && t[2].row.mixer == -1);

    GrsnTable4Row row = arch;   // the 8m row: only t[0] and t[1] count
    double rate[2];
    CHECK(grsn_energy_table4_mean(&row, rate, t, 3) == 2);
    CHECK(row.grsn_snn == (t[0].row.grsn_snn + t[1].row.grsn_snn) / 2);
    CHECK(row.grsn_energy_pj == (t[0].row.grsn_energy_pj + t[1].row.grsn_energy_pj) / 2);
    CHECK(rate[0] == (t[0].rate[0] + t[1].rate[0]) / 2);
    CHECK(row.mixer == arch.mixer && !strcmp(row.task, "8m"));
    CHECK(grsn_energy_table4_row(&row, "MMM2", 0.5, &o) == GRSN_OK);
    GrsnTable4Row before = row;
    CHECK(grsn_energy_table4_mean(&row, rate, t, 3) == 0);
    CHECK(!memcmp(&row, &before, sizeof row));

    // Not in Table 4, or not a grsn core: one line naming the file.
    snprintf(path, sizeof path, "%s/t4_cartpole_f.grsn", dir);
    CHECK(control_ckpt(path, "cartpole-f", GRSN_NET_GRSN));
    CHECK(grsn_energy_table4_measure(&t[3], path, 64, 0, &o) == GRSN_ERR_ARG);
    CHECK_MSG(one_line_containing(grsn_last_error(),
                                  "not a Table 4 control task (pendulum-p, pendulum-v, cartpole-p, cartpole-v)"),
              "%s", grsn_last_error());
    CHECK(one_line_containing(grsn_last_error(), path));
    snprintf(path, sizeof path, "%s/t4_gru.grsn", dir);
    CHECK(control_ckpt(path, "pendulum-p", GRSN_NET_GRU));
    CHECK(grsn_energy_table4_measure(&t[3], path, 64, 0, &o) == GRSN_ERR_ARG);
    CHECK_MSG(one_line_containing(grsn_last_error(), "a gru agent"), "%s", grsn_last_error());
    GrsnQmixTrainConfig qc;
    CHECK(grsn_qmix_train_defaults(&qc, "3m", GRSN_NET_GRSN, 1) == GRSN_OK);
    qc.qmix.n_envs = 1; qc.qmix.batch = 1; qc.qmix.buffer = 1;
    CHECK(grsn_qmix_create(&q, &qc.qmix, 1) == GRSN_OK);
    if (!q) return;
    snprintf(path, sizeof path, "%s/t4_3m.grsn", dir);
    CHECK_MSG(grsn_qmix_ckpt_save(path, &qc, q) == GRSN_OK, "%s", grsn_last_error());
    grsn_qmix_free(q);
    CHECK(grsn_energy_table4_measure(&t[3], path, 64, 0, &o) == GRSN_ERR_ARG);
    CHECK_MSG(one_line_containing(grsn_last_error(),
                                  "map 3m is not a Table 4 map (8m, 2s3z, 8m_vs_9m, 3s_vs_5z, 27m_vs_30m, MMM2)"),
              "%s", grsn_last_error());
}

// ----------------------------------------------------------------------------
// The command line and the report

// Run a shell command; its stdout+stderr in `out` (cap bytes). Returns the
// exit status, -1 if it did not exit.
static int run(const char *cmd, char *out, size_t cap) {
    char file[460], full[1400];
    snprintf(file, sizeof file, "%s/cmd.out", dir);
    snprintf(full, sizeof full, "%s >%s 2>&1", cmd, file);
    int rc = system(full);
    out[0] = '\0';
    FILE *f = fopen(file, "r");
    if (f) {
        size_t n = fread(out, 1, cap - 1, f);
        out[n] = '\0';
        fclose(f);
    }
    return rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

TEST(command_line) {
    const char *bin = getenv("GRSN_BIN");
    if (!bin) { printf("    (GRSN_BIN not set: CLI checks skipped)\n"); return; }
    static char out[65536], again[65536];
    char cmd[900], want[600];

    // The library's count, the unit, the GRU agent beside it; the same twice.
    GrsnQmix *q;
    CHECK(grsn_energy_load_qmix(ckpt, &q) == GRSN_OK);
    if (!q) return;
    GrsnOpModel m;
    CHECK(measured(&m, q, GRSN_ENERGY_PAPER, 2, 640, NULL));
    grsn_qmix_free(q);
    snprintf(cmd, sizeof cmd, "%s energy --checkpoint %s --samples 640 --seed 2 --convention paper", bin, ckpt);
    CHECK(run(cmd, out, sizeof out) == 0);
    snprintf(want, sizeof want, "spikes agent.core   %lld over 640 decisions", m.source[0].total);
    CHECK_MSG(strstr(out, want) != NULL, "no '%s' in:\n%s", want, out);
    CHECK(strstr(out, "one decision = one agent at one env step") != NULL);
    CHECK(strstr(out, "640 agent decisions of greedy smac:8m episodes: 80 env steps x 8 agents;") != NULL);
    CHECK(strstr(out, "| qmix, gru core | 7.57 | 24.96 | 0.00 | 149.62 |") != NULL);   // Table 4's GRU row of 8m
    GrsnEnergyOptions o = opts(GRSN_ENERGY_PAPER);
    GrsnEnergyReport r;
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
    snprintf(want, sizeof want, "energy of the agent (qmix, grsn core) / the GRU agent: %.1f%%",
             100.0 * r.energy_pj / 149620.0);
    CHECK_MSG(strstr(out, want) != NULL, "no '%s'", want);
    CHECK(strstr(out, "| agent.fc2 | spike | 64 | 14 |") != NULL);
    CHECK(run(cmd, again, sizeof again) == 0 && strcmp(out, again) == 0);

    // Table 4 with the checkpoint's measured 8m row.
    snprintf(cmd, sizeof cmd, "%s energy --table4 1 --checkpoints %s --samples 640 --seed 2", bin, ckpt);
    CHECK(run(cmd, out, sizeof out) == 0);
    snprintf(want, sizeof want, "| 8m | 7.57 | 24.96 | 149.62 | 14.98 |");
    CHECK(strstr(out, want) != NULL);
    snprintf(want, sizeof want, "| %s | 8m | %.2f | %.2f | agents %.2f%% |", ckpt, floor(r.snn / 10.0 + 0.5) / 100.0,
             floor(r.energy_pj / 10.0 + 0.5) / 100.0, 100.0 * grsn_energy_rate(&m, 0));
    CHECK_MSG(strstr(out, want) != NULL, "no '%s'", want);
    snprintf(want, sizeof want, "measured, mean of 1: agents %.2f%%", 100.0 * grsn_energy_rate(&m, 0));
    CHECK_MSG(strstr(out, want) != NULL, "no '%s'", want);

    // Errors: one line naming the file, exit 1.
    char bad[420];
    snprintf(bad, sizeof bad, "%s/truncated.grsn", dir);
    snprintf(cmd, sizeof cmd, "%s energy --checkpoint %s", bin, bad);
    CHECK(run(cmd, out, sizeof out) == 1 && lines(out) == 1 && strstr(out, bad) != NULL);
    snprintf(cmd, sizeof cmd, "%s energy --table4 1 --checkpoints %s", bin, bad);
    CHECK(run(cmd, out, sizeof out) == 1 && lines(out) == 1 && strstr(out, bad) != NULL);
    snprintf(bad, sizeof bad, "%s/notes.txt", dir);
    snprintf(cmd, sizeof cmd, "%s energy --checkpoint %s", bin, bad);
    CHECK(run(cmd, out, sizeof out) == 1 && lines(out) == 1 && strstr(out, bad) != NULL);
}

TEST(report_measures_the_trained_agents) {
    // A run tree with one finished 8m GRSN run of the paper's settings (the
    // short run's tiny batches and low threshold would make it a method of
    // its own, which Table 4 leaves out) and its final.grsn: its row of
    // Table 4 is measured on it (the run's seed, paper convention).
    char root[400], out_dir[400], path[460], run[460], final[520];
    snprintf(root, sizeof root, "%s/paper_runs", dir);
    snprintf(run, sizeof run, "%s/table2/smac_8m/grsn/s0", root);
    snprintf(final, sizeof final, "%s/final.grsn", run);
    snprintf(out_dir, sizeof out_dir, "%s/report", dir);
    GrsnQmixTrainConfig c;
    CHECK(grsn_qmix_train_defaults(&c, "8m", GRSN_NET_GRSN, RUN_SEED) == GRSN_OK);
    c.steps = 300; c.test_interval = 150; c.test_episodes = 2; c.threads = 1;
    CHECK(make_tree(run));
    CHECK(grsn_qmix_train_run(&c, run, NULL, NULL, NULL) == GRSN_OK);
    GrsnRunList l;
    CHECK(grsn_runs_scan(&l, root) == GRSN_OK);
    GrsnReportOptions opt = grsn_report_defaults();
    opt.energy_samples = 256;
    GrsnReportSummary sum;
    CHECK(grsn_report_write(&l, root, out_dir, &opt, &sum) == GRSN_OK);
    CHECK_MSG(sum.energy_rows == 1 && sum.warning[0] == '\0', "%d rows; %s", sum.energy_rows, sum.warning);
    grsn_runs_free(&l);

    GrsnQmix *q;
    CHECK(grsn_energy_load_qmix(final, &q) == GRSN_OK);
    if (!q) return;
    GrsnOpModel m;
    GrsnEnergyReport r;
    GrsnEnergyOptions o = opts(GRSN_ENERGY_PAPER);
    CHECK(measured(&m, q, GRSN_ENERGY_PAPER, RUN_SEED, 256, NULL));
    CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
    grsn_qmix_free(q);
    char want[1200];
    snprintf(want, sizeof want, "| 8m | 7.57 | 7.57 | 24.96 | 24.96 | 149.62 | 149.62 | 14.98 | 14.98 | %.2f | 0.01 | "
             "%.2f | 68.90 | ", floor(r.snn / 10.0 + 0.5) / 100.0, floor(r.energy_pj / 10.0 + 0.5) / 100.0);
    snprintf(path, sizeof path, "%s/index.md", out_dir);
    FILE *f = fopen(path, "r");
    static char md[1 << 20];
    size_t n = f ? fread(md, 1, sizeof md - 1, f) : 0;
    md[n] = '\0';
    if (f) fclose(f);
    CHECK_MSG(strstr(md, want) != NULL, "no '%s'", want);
    snprintf(want, sizeof want, "1 checkpoint, agent firing rate %.2f%% |", 100.0 * grsn_energy_rate(&m, 0));
    CHECK_MSG(strstr(md, want) != NULL, "no '%s'", want);

    // table4.csv: the header and one row for the checkpoint, its measurement
    // unrounded and the command that repeats it.
    snprintf(path, sizeof path, "%s/table4.csv", out_dir);
    f = fopen(path, "r");
    n = f ? fread(md, 1, sizeof md - 1, f) : 0;
    md[n] = '\0';
    if (f) fclose(f);
    CHECK_MSG(strncmp(md, "task,dir,seed,env_steps,final_win_rate,final_score,grsn_mlp_k,grsn_snn_k,grsn_energy_kpj,"
                          "gru_energy_kpj,grsn_over_gru,firing_rate,samples,command\n", 130) == 0, "%s", md);
    CHECK(lines(md) == 2);
    snprintf(want, sizeof want, "8m,%s,%llu,", run, (unsigned long long)RUN_SEED);
    CHECK_MSG(strstr(md, want) != NULL, "no '%s' in %s", want, md);
    snprintf(want, sizeof want, ",%.9g,%.9g,149.6196,", r.snn / 1000.0, r.energy_pj / 1000.0);   // 8m's GRU: 32,526 MACs
    CHECK_MSG(strstr(md, want) != NULL, "no '%s' in %s", want, md);
    snprintf(want, sizeof want, ",%.9g,256,\"grsn energy --checkpoint %s --convention paper --seed %llu --samples 256\"\n",
             grsn_energy_rate(&m, 0), final, (unsigned long long)RUN_SEED);
    CHECK_MSG(strstr(md, want) != NULL, "no '%s' in %s", want, md);
}

// Table 4 with two checkpoints of one map: both are listed and the row is
// their mean, not the last one given (as `grsn report` averages seeds).
TEST(table4_averages_the_checkpoints_of_a_map) {
    const char *bin = getenv("GRSN_BIN");
    if (!bin) { printf("    (GRSN_BIN not set: CLI checks skipped)\n"); return; }
    char other[460];
    snprintf(other, sizeof other, "%s/paper_runs/table2/smac_8m/grsn/s0/final.grsn", dir);   // the report test's run
    const char *paths[2] = {ckpt, other};
    double snn = 0, energy = 0, rate[2] = {0};
    for (int i = 0; i < 2; i++) {
        GrsnQmix *q;
        CHECK(grsn_energy_load_qmix(paths[i], &q) == GRSN_OK);
        if (!q) return;
        GrsnOpModel m;
        GrsnEnergyReport r;
        GrsnEnergyOptions o = opts(GRSN_ENERGY_PAPER);
        CHECK(measured(&m, q, GRSN_ENERGY_PAPER, 2, 640, NULL));
        CHECK(grsn_energy_count(&r, &m, &o) == GRSN_OK);
        grsn_qmix_free(q);
        snn += r.snn / 2;
        energy += r.energy_pj / 2;
        rate[i] = grsn_energy_rate(&m, 0);
    }
    CHECK_MSG(rate[0] != rate[1], "the two agents fire alike (%g): the mean would not be tested", rate[0]);
    static char out[65536];
    char cmd[1400], want[300];
    snprintf(cmd, sizeof cmd, "%s energy --table4 1 --checkpoints %s,%s --samples 640 --seed 2", bin, ckpt, other);
    CHECK(run(cmd, out, sizeof out) == 0);
    for (int i = 0; i < 2; i++) {
        snprintf(want, sizeof want, "| %s | 8m | ", paths[i]);
        CHECK_MSG(strstr(out, want) != NULL, "no '%s' in:\n%s", want, out);
    }
    snprintf(want, sizeof want, "| 8m | 7.57 | 24.96 | 149.62 | 14.98 | %.2f | %.2f | ", floor(snn / 10.0 + 0.5) / 100.0,
             floor(energy / 10.0 + 0.5) / 100.0);
    CHECK_MSG(strstr(out, want) != NULL, "no '%s' in:\n%s", want, out);
    snprintf(want, sizeof want, "measured, mean of 2: agents %.2f%%", 100.0 * (rate[0] + rate[1]) / 2);
    CHECK_MSG(strstr(out, want) != NULL, "no '%s'", want);
}

int main(void) {
    grsn_set_threads(1);
    if (!short_run()) {
        printf("  FAIL the short 8m run\ntest_energy_qmix: 0 passed, 1 failed\n");
        return 1;
    }
    RUN(spikes_equal_an_independent_count);
    RUN(spikes_equal_the_learners_own_test);
    RUN(every_substep_is_counted_without_tap);
    RUN(only_the_decoded_substep_is_charged);
    RUN(membrane_readout_makes_fc2_dense);
    RUN(operations_scale_with_the_measured_rate);
    RUN(same_seed_same_numbers_any_threads);
    RUN(bad_input_library);
    RUN(table4_measure_and_mean);
    RUN(readout_anneal_measured_only_at_its_end);
    RUN(command_line);
    RUN(report_measures_the_trained_agents);
    RUN(table4_averages_the_checkpoints_of_a_map);
    if (!remove_tree(dir)) printf("    could not remove %s\n", dir);
    return test_summary("test_energy_qmix");
}
