/*
 * test_train_qmix.c — QMIX training runs (grsn_train_qmix.h): pymarl2's
 * defaults, configuration checks and their key=value text; short 3m runs
 * (tiny batches) that write the run directory on the documented test
 * schedule and give a byte-identical progress.csv for the same seed and for
 * 1 and 2 threads; checkpoints that round-trip every tensor, counter and
 * stream and replay the same greedy tests; checkpoints of another map,
 * net, network shape or kind, and corrupt ones, refused with a message
 * naming the mismatch; a non-finite loss stopping the run with the last
 * good checkpoint left loadable; the learner's resume state (episode buffer,
 * simulator streams) round-tripping exactly; runs stopped part way (the
 * buffer wrapped) and resumed, or finished and extended, writing the files
 * of uninterrupted runs at 1 and 2 threads; and the errors of a resume that
 * cannot be.
 */
#include "test.h"
#include "grsn.h"
#include "grsn_train.h"
#include "ckpt.h"
#include "rundir.h"
#include "tensorlist.h"
#include "run_helpers.h"
#include <dirent.h>

// A run small enough for a test: 2 environments, batches of 4 episodes.
static GrsnQmixTrainConfig tiny(const char *map, grsn_net net, uint64_t seed) {
    GrsnQmixTrainConfig c;
    if (grsn_qmix_train_defaults(&c, map, net, seed) != GRSN_OK) printf("    defaults: %s\n", grsn_last_error());
    c.qmix.n_envs = 2; c.qmix.batch = 4; c.qmix.buffer = 16;
    c.steps = 600; c.test_interval = 200; c.test_episodes = 4; c.threads = 1;
    c.keep_resume = 1;   // the resume tests extend and damage finished runs' resume states
    return c;
}

// ----------------------------------------------------------------------------
// Configuration

TEST(defaults_follow_pymarl2) {
    GrsnQmixTrainConfig c;
    CHECK(grsn_qmix_train_defaults(&c, "8m", GRSN_NET_GRSN, 5) == GRSN_OK);
    const GrsnQmixConfig *q = &c.qmix;
    CHECK(!strcmp(q->map, "8m") && q->net == GRSN_NET_GRSN && c.seed == 5);
    CHECK(c.steps == 10050000 && c.test_interval == 10000 && c.test_episodes == 32 && c.threads == 0);
    CHECK(q->n_envs == 8 && q->batch == 128 && q->buffer == 5000);
    CHECK(q->lr == 1e-3f && q->gamma == 0.99f && q->td_lambda == 0.6f && q->grad_clip == 10.0f);
    CHECK(q->eps_start == 1.0f && q->eps_finish == 0.05f && q->eps_anneal == 100000);
    CHECK(q->target_update_episodes == 200 && q->hidden == 64 && q->mixer_embed == 32 && q->hypernet_embed == 64);
    CHECK(q->state_last_action == 1 && q->units == GRSN_SMAC_UNITS_LIBERTY && q->cell.substeps == 1);
    CHECK(q->cell.beta_mode == GRSN_BETA_LAYER);
    CHECK(grsn_qmix_train_defaults(&c, "3m", GRSN_NET_LIF, 0) == GRSN_OK);
    CHECK(c.qmix.cell.beta_mode == GRSN_BETA_FIXED && c.qmix.cell.reset == GRSN_RESET_HARD);
    // Unknown map; a net QMIX does not take.
    CHECK(grsn_qmix_train_defaults(&c, "9z", GRSN_NET_GRSN, 0) == GRSN_ERR_ARG);
    CHECK_MSG(contains(grsn_last_error(), "3m, 8m, 2s3z"), "%s", grsn_last_error());
    CHECK(grsn_qmix_train_defaults(&c, "8m", GRSN_NET_MLP, 0) == GRSN_ERR_ARG);
    CHECK_MSG(contains(grsn_last_error(), GRSN_QMIX_NET_NAMES), "%s", grsn_last_error());
}

TEST(check_names_the_field) {
    GrsnQmixTrainConfig c = tiny("3m", GRSN_NET_GRSN, 0), d;
    CHECK(grsn_qmix_train_check(&c) == GRSN_OK);
    d = c; d.qmix.gamma = 1.5f;
    CHECK(grsn_qmix_train_check(&d) == GRSN_ERR_ARG && contains(grsn_last_error(), "gamma"));
    d = c; d.qmix.buffer = 3;
    CHECK(grsn_qmix_train_check(&d) == GRSN_ERR_ARG && contains(grsn_last_error(), "buffer"));
    d = c; d.test_episodes = 0;
    CHECK(grsn_qmix_train_check(&d) == GRSN_ERR_ARG && contains(grsn_last_error(), "test_episodes"));
    d = c; d.steps = 0;
    CHECK(grsn_qmix_train_check(&d) == GRSN_ERR_ARG && contains(grsn_last_error(), "steps"));
    d = tiny("3m", GRSN_NET_GRU, 0); d.qmix.cell.substeps = 4;
    CHECK(grsn_qmix_train_check(&d) == GRSN_ERR_ARG && contains(grsn_last_error(), "gru"));
    d = c; snprintf(d.qmix.map, sizeof d.qmix.map, "%s", "4m");
    CHECK(grsn_qmix_train_check(&d) == GRSN_ERR_ARG && contains(grsn_last_error(), "MMM2"));
}

TEST(config_text_round_trip) {
    const char *maps[] = {"3m", "8m", "2s3z"};
    for (int i = 0; i < 3; i++) {
        GrsnQmixTrainConfig c, d;
        CHECK(grsn_qmix_train_defaults(&c, maps[i], (grsn_net)i, 1000 + (uint64_t)i) == GRSN_OK);
        // Values that print with many digits must come back exactly.
        c.qmix.lr = 3e-4f; c.qmix.td_lambda = 0.61234567f; c.qmix.cell.beta = 0.3f;
        c.qmix.units = GRSN_SMAC_UNITS_LOTV; c.qmix.state_last_action = i & 1;
        if (c.qmix.net != GRSN_NET_GRU) { c.qmix.cell.substeps = 4; c.qmix.cell.decode = GRSN_DECODE_LAST; }
        c.qmix.cell.beta_mode = GRSN_BETA_NEURON;
        c.steps = 777; c.test_interval = 55; c.seed = 18446744073709551615ULL;
        char t1[4096], t2[4096];
        size_t n = grsn_qmix_train_config_text(&c, t1, sizeof t1);
        CHECK(n < sizeof t1 && n == strlen(t1));
        CHECK_MSG(grsn_qmix_train_config_parse(&d, t1, n) == GRSN_OK, "%s", grsn_last_error());
        grsn_qmix_train_config_text(&d, t2, sizeof t2);
        CHECK_MSG(!strcmp(t1, t2), "%s", maps[i]);
        CHECK(d.qmix.lr == c.qmix.lr && d.qmix.td_lambda == c.qmix.td_lambda && d.seed == c.seed &&
              d.qmix.units == GRSN_SMAC_UNITS_LOTV && d.qmix.net == c.qmix.net && !strcmp(d.qmix.map, maps[i]));
        CHECK(contains(t1, "algo=qmix\n") && contains(t1, "net=") && contains(t1, "n_agents="));
        char small[16];
        CHECK(grsn_qmix_train_config_text(&c, small, sizeof small) == n && strlen(small) < sizeof small);
    }
}

TEST(config_parse_errors) {
    GrsnQmixTrainConfig c;
    const char *head = "algo=qmix\nenv=smac:3m\nnet=grsn\n";
    const char *cases[][2] = {
        {"bogus=1\n", "line 4: unknown key 'bogus'"},
        {"\n# comment\nbatch=3x\n", "line 6: bad value '3x' for batch"},
        {"gamma\n", "expected key=value"},
        {"units=hots\n", "units"},
        {"n_agents=5\n", "n_agents=5, but map 3m has n_agents 3"},
        {"gamma=2\n", "gamma"},
        {"float_type=f64\n", "this build reads only f32"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s%s", head, cases[i][0]);
        CHECK_MSG(grsn_qmix_train_config_parse(&c, text, strlen(text)) == GRSN_ERR_FORMAT, "case %zu", i);
        CHECK_MSG(contains(grsn_last_error(), cases[i][1]), "case %zu: %s", i, grsn_last_error());
    }
    const char *whole[][2] = {
        {"algo=sacd\nenv=cartpole-v\nnet=grsn\n", "algo=sacd on cartpole-v is not a QMIX run"},
        {"algo=qmix\nenv=cartpole-v\nnet=grsn\n", "SMAC map"},
        {"algo=qmix\nenv=smac:9z\nnet=grsn\n", "unknown SMAC map '9z'"},
        {"algo=qmix\nenv=smac:3m\nnet=mlp\n", GRSN_QMIX_NET_NAMES},
        {"algo=qmix\nenv=smac:3m\n", "lacks"},
    };
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        CHECK_MSG(grsn_qmix_train_config_parse(&c, whole[i][0], strlen(whole[i][0])) == GRSN_ERR_FORMAT, "whole %zu", i);
        CHECK_MSG(contains(grsn_last_error(), whole[i][1]), "whole %zu: %s", i, grsn_last_error());
    }
}

// ----------------------------------------------------------------------------
// Runs

typedef struct { int rollouts, tests; long last_steps; } Seen;

static void count_progress(const GrsnQmixTrainProgress *p, void *user) {
    Seen *s = user;
    if (p->tested) s->tests++;
    else s->rollouts++;
    s->last_steps = p->env_steps;
}

TEST(short_run_files_and_schedule) {
    GrsnQmixTrainConfig c = tiny("3m", GRSN_NET_GRSN, 3);
    char run[300], path[400];
    path_in(run, sizeof run, "run", "");
    Seen seen = {0};
    GrsnQmixTrainResult res;
    CHECK_MSG(grsn_qmix_train_run(&c, run, count_progress, &seen, &res) == GRSN_OK, "%s", grsn_last_error());
    CHECK(res.env_steps >= 600 && res.episodes % 2 == 0 && res.updates > 0 && res.tests == seen.tests);
    CHECK(seen.rollouts == res.episodes / 2 && seen.last_steps == res.env_steps);
    const char *files[] = {"config", "progress.csv", "timing.csv", "result", "final.grsn"};
    for (int i = 0; i < 5; i++) {
        path_in(path, sizeof path, "run", files[i]);
        CHECK_MSG(exists(path), "%s", files[i]);
    }
    // Tests: after the first rollout, at the first rollout boundary past
    // every multiple of 200 env steps, and at the end.
    path_in(path, sizeof path, "run", "progress.csv");
    char *csv = read_text(path);
    CHECK(count_lines(csv) == 1 + res.tests);
    CHECK(contains(csv, "env_steps,episodes,updates,train_win_rate,train_return,test_win_rate,test_return,"
                        "test_return_std,test_length,loss,epsilon,firing_rate\n"));
    long prev = -1, steps, episodes, updates;
    int row = 0;
    for (char *line = csv ? strchr(csv, '\n') + 1 : NULL; line && *line; line = strchr(line, '\n') + 1) {
        CHECK(sscanf(line, "%ld,%ld,%ld", &steps, &episodes, &updates) == 3);
        if (row == 0) CHECK(episodes == 2 && updates == 0 && contains(line, ",nan,"));   // no batch of 4 yet
        else CHECK_MSG(steps / 200 > prev / 200, "row %d at %ld after %ld", row, steps, prev);
        int commas = 0;
        for (char *p = line; *p && *p != '\n'; p++) commas += *p == ',';
        CHECK(commas == 11);
        prev = steps; row++;
    }
    CHECK(prev == res.env_steps);
    path_in(path, sizeof path, "run", "timing.csv");
    char *timing = read_text(path);
    CHECK(count_lines(timing) == 1 + res.tests && contains(timing, "env_steps,wall_s,env_steps_per_s,updates_per_s\n"));
    // One periodic checkpoint: the latest test's.
    char name[64];
    snprintf(name, sizeof name, "ckpt_%08ld.grsn", res.env_steps);
    path_in(path, sizeof path, "run", name);
    CHECK_MSG(exists(path), "%s", name);
    path_in(path, sizeof path, "run", "result");
    char *result = read_text(path);
    CHECK(contains(result, "test_win_rate=") && contains(result, "test_return_mean=") &&
          contains(result, "test_episodes=4\n"));
    path_in(path, sizeof path, "run", "config");
    char *config = read_text(path);
    CHECK(contains(config, "algo=qmix\nenv=smac:3m\nnet=grsn\n") && contains(config, "batch=4\n"));
    free(csv); free(timing); free(result); free(config);
}

// Updates on batches large enough that the observations are rebuilt from
// their snapshots on both threads: the same statistics, bit for bit.
TEST(update_batches_rebuilt_in_parallel_match_one_thread) {
    GrsnQmixStats st[2];
    int saved = grsn_threads();
    for (int k = 0; k < 2; k++) {
        grsn_set_threads(k + 1);
        GrsnQmixTrainConfig c = tiny("8m", GRSN_NET_GRSN, 3);
        c.qmix.n_envs = 8; c.qmix.batch = 16; c.qmix.buffer = 32;
        GrsnQmix *q = NULL;
        CHECK(grsn_qmix_create(&q, &c.qmix, 3) == GRSN_OK);
        if (!q) break;
        GrsnQmixRollout r;
        for (int i = 0; i < 3; i++) CHECK(grsn_qmix_rollout(q, &r) == GRSN_OK);
        for (int i = 0; i < 2; i++) CHECK(grsn_qmix_update(q, &st[k]) == GRSN_OK);
        grsn_qmix_free(q);
    }
    grsn_set_threads(saved);
    // (T + 1) x 16 rows of 8 agents' 80 observations: past the threshold.
    CHECK((long)(st[0].steps + 1) * 16 * 8 * 80 > 32768);
    CHECK(!memcmp(&st[0], &st[1], sizeof st[0]));
}

TEST(same_seed_same_progress) {
    char path[400];
    const char *names[4] = {"s1", "s2", "s3", "s4"};
    char *csv[4];
    int saved = grsn_threads();
    for (int i = 0; i < 4; i++) {
        GrsnQmixTrainConfig c = tiny("3m", GRSN_NET_GRSN, i == 3 ? 8 : 7);
        c.threads = i == 2 ? 2 : 1;
        path_in(path, sizeof path, names[i], "");
        CHECK_MSG(grsn_qmix_train_run(&c, path, NULL, NULL, NULL) == GRSN_OK, "%s", grsn_last_error());
        path_in(path, sizeof path, names[i], "progress.csv");
        csv[i] = read_text(path);
    }
    grsn_set_threads(saved);
    CHECK(csv[0] && csv[1] && csv[2] && csv[3]);
    if (!(csv[0] && csv[1] && csv[2] && csv[3])) return;
    CHECK(!strcmp(csv[0], csv[1]));   // same seed
    CHECK(!strcmp(csv[0], csv[2]));   // 1 and 2 threads
    CHECK(strcmp(csv[0], csv[3]));    // another seed
    for (int i = 0; i < 4; i++) free(csv[i]);
}

TEST(gru_and_lif_runs) {
    grsn_net nets[2] = {GRSN_NET_GRU, GRSN_NET_LIF};
    for (int i = 0; i < 2; i++) {
        GrsnQmixTrainConfig c = tiny("3m", nets[i], 1);
        c.steps = 200;
        char run[300];
        path_in(run, sizeof run, i ? "lif" : "gru", "");
        GrsnQmixTrainResult res;
        CHECK_MSG(grsn_qmix_train_run(&c, run, NULL, NULL, &res) == GRSN_OK, "%s", grsn_last_error());
        CHECK(res.env_steps >= 200);
    }
}

// ----------------------------------------------------------------------------
// Checkpoints

// A learner after a few rollouts and updates, without any test (its test
// environments are still fresh).
static GrsnQmix *trained(const GrsnQmixTrainConfig *c) {
    GrsnQmix *q;
    if (grsn_qmix_create(&q, &c->qmix, c->seed) != GRSN_OK) return NULL;
    for (int i = 0; i < 6; i++) {
        GrsnQmixRollout r;
        GrsnQmixStats s;
        if (grsn_qmix_rollout(q, &r) != GRSN_OK) break;
        if (grsn_qmix_can_update(q) && grsn_qmix_update(q, &s) != GRSN_OK) break;
    }
    return q;
}

static int same_arena(const GrsnParams *a, const GrsnParams *b) {
    return a->n == b->n && memcmp(a->data, b->data, a->n * sizeof(float)) == 0;
}

TEST(checkpoint_round_trip) {
    GrsnQmixTrainConfig c = tiny("3m", GRSN_NET_GRSN, 0);
    GrsnQmix *q1 = trained(&c), *q2 = NULL;
    CHECK(q1 != NULL);
    if (!q1) return;
    char path[400];
    path_in(path, sizeof path, "", "round.grsn");
    CHECK_MSG(grsn_qmix_ckpt_save(path, &c, q1) == GRSN_OK, "%s", grsn_last_error());
    CHECK(grsn_qmix_ckpt_probe(path) == 1);
    GrsnQmixCkptInfo info;
    CHECK_MSG(grsn_qmix_ckpt_load(path, 0, 0, &q2, &info) == GRSN_OK, "%s", grsn_last_error());
    if (!q2) { grsn_qmix_free(q1); return; }
    // Every tensor, counter and stream.
    CHECK(same_arena(grsn_qmix_params(q1, GRSN_QMIX_ONLINE), grsn_qmix_params(q2, GRSN_QMIX_ONLINE)));
    CHECK(same_arena(grsn_qmix_params(q1, GRSN_QMIX_TARGET), grsn_qmix_params(q2, GRSN_QMIX_TARGET)));
    GrsnAdam *a1 = grsn_qmix_adam(q1), *a2 = grsn_qmix_adam(q2);
    CHECK(a1->step == a2->step && a1->step > 0 && a1->n == a2->n);
    CHECK(!memcmp(a1->m, a2->m, a1->n * sizeof(float)) && !memcmp(a1->v, a2->v, a1->n * sizeof(float)));
    CHECK(!memcmp(grsn_qmix_counters(q1), grsn_qmix_counters(q2), sizeof(GrsnQmixCounters)));
    CHECK(!memcmp(&info.counters, grsn_qmix_counters(q1), sizeof(GrsnQmixCounters)));
    for (int k = 0; k < GRSN_QMIX_RNG_COUNT; k++)
        CHECK(!memcmp(grsn_qmix_rng_state(q1, (grsn_qmix_rng)k), grsn_qmix_rng_state(q2, (grsn_qmix_rng)k),
                      sizeof(grsn_rng)));
    CHECK(info.config.seed == 0 && !strcmp(info.config.qmix.map, "3m") && !strcmp(info.grsn_version, GRSN_VERSION));
    // The same greedy tests.
    GrsnQmixTest t1, t2;
    CHECK(grsn_qmix_test(q1, 6, &t1) == GRSN_OK && grsn_qmix_test(q2, 6, &t2) == GRSN_OK);
    CHECK(!memcmp(&t1, &t2, sizeof t1));
    printf("    3m after %ld updates: test return %.4f (saved) = %.4f (loaded)\n", grsn_qmix_counters(q1)->updates,
           t1.return_mean, t2.return_mean);
    // Saving the loaded learner gives the same file, byte for byte.
    char again[400];
    path_in(again, sizeof again, "", "round2.grsn");
    CHECK(grsn_qmix_ckpt_save(again, &c, q2) == GRSN_OK);
    GrsnCkptFile k1, k2;
    CHECK(grsn_ckpt_read(&k1, path) == GRSN_OK && grsn_ckpt_read(&k2, again) == GRSN_OK);
    CHECK(k1.size == k2.size && !memcmp(k1.buf, k2.buf, k1.size));
    grsn_ckpt_close(&k1); grsn_ckpt_close(&k2);
    grsn_qmix_free(q1);
    grsn_qmix_free(q2);
}

// Rewrite checkpoint `src` to `dst` with the metadata line `from` replaced by
// `to`, the tensor `drop` left out, a tensor `add` added and the first byte
// of tensor `poke` set to 0xff (each NULL: none), keeping the others.
static int rewrite(const char *src, const char *dst, const char *from, const char *to, const char *drop,
                   const char *add, const char *poke) {
    GrsnCkptFile f;
    if (grsn_ckpt_read(&f, src) != GRSN_OK) return 0;
    char meta[8192];
    const char *at = strstr(f.meta, from);
    if (!at) { grsn_ckpt_close(&f); return 0; }
    snprintf(meta, sizeof meta, "%.*s%s%s", (int)(at - f.meta), f.meta, to, at + strlen(from));
    GrsnTensorRec *recs = calloc((size_t)f.n + 1, sizeof *recs);
    void **bufs = calloc((size_t)f.n + 1, sizeof *bufs);
    int n = 0;
    for (int i = 0; i < f.n; i++) {
        const GrsnTensorRec *r = &f.rec[i];
        if (drop && !strcmp(r->name, drop)) continue;
        bufs[n] = malloc((size_t)r->nbytes);
        grsn_ckpt_get(&f, r->name, (grsn_dtype)r->dtype, (int)r->ndim, r->dims, bufs[n]);
        // poke "name" or "name@k": byte 0 or k of that tensor becomes 0xff.
        const char *at_k = poke ? strchr(poke, '@') : NULL;
        size_t len = at_k ? (size_t)(at_k - poke) : poke ? strlen(poke) : 0;
        if (poke && strlen(r->name) == len && !strncmp(r->name, poke, len))
            ((unsigned char *)bufs[n])[at_k ? atoi(at_k + 1) : 0] = 0xff;
        grsn_tensor_rec(&recs[n], r->name, (grsn_dtype)r->dtype, bufs[n], (int)r->ndim, r->dims);
        n++;
    }
    static float extra[4];
    uint64_t dims[1] = {4};
    if (add) grsn_tensor_rec(&recs[n++], add, GRSN_DT_F32, extra, 1, dims);
    int ok = grsn_ckpt_write(dst, f.step, f.env_steps, meta, recs, n) == GRSN_OK;
    for (int i = 0; i < n; i++) free(bufs[i]);
    free(bufs); free(recs);
    grsn_ckpt_close(&f);
    return ok;
}

TEST(mismatched_checkpoints) {
    GrsnQmixTrainConfig c = tiny("3m", GRSN_NET_GRSN, 2);
    GrsnQmix *q = trained(&c);
    CHECK(q != NULL);
    if (!q) return;
    char path[400], bad[400];
    path_in(path, sizeof path, "", "m3.grsn");
    CHECK(grsn_qmix_ckpt_save(path, &c, q) == GRSN_OK);
    grsn_qmix_free(q);

    // Learners of another map, net, hidden size or neuron.
    struct { const char *map; grsn_net net; int hidden; grsn_beta_mode beta; const char *want; } cases[] = {
        {"8m", GRSN_NET_GRSN, 64, GRSN_BETA_LAYER, "trained on map 3m, the learner is for map 8m"},
        {"3m", GRSN_NET_GRU, 64, GRSN_BETA_FIXED, "trained with net grsn, the learner has net gru"},
        {"3m", GRSN_NET_GRSN, 32, GRSN_BETA_LAYER, "the checkpoint has hidden=64, the learner hidden=32"},
        {"3m", GRSN_NET_GRSN, 64, GRSN_BETA_NEURON, "the checkpoint has cell.beta_mode=layer, the learner cell.beta_mode=neuron"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        GrsnQmixTrainConfig o = tiny(cases[i].map, cases[i].net, 2);
        o.qmix.hidden = cases[i].hidden;
        o.qmix.cell.beta_mode = cases[i].beta;
        GrsnQmix *other;
        CHECK(grsn_qmix_create(&other, &o.qmix, 2) == GRSN_OK);
        if (!other) continue;
        CHECK(grsn_qmix_ckpt_restore(path, other, NULL) == GRSN_ERR_FORMAT);
        CHECK_MSG(contains(grsn_last_error(), cases[i].want) && contains(grsn_last_error(), path), "case %zu: %s", i,
                  grsn_last_error());
        grsn_qmix_free(other);
    }

    // Files whose metadata and tensors disagree: never a crash, the tensor named.
    GrsnQmix *out = NULL;
    path_in(bad, sizeof bad, "", "shape.grsn");
    CHECK(rewrite(path, bad, "\nhidden=64\n", "\nhidden=32\n", NULL, NULL, NULL));
    CHECK(grsn_qmix_ckpt_load(bad, 0, 0, &out, NULL) == GRSN_ERR_FORMAT && out == NULL);
    CHECK_MSG(contains(grsn_last_error(), "online.agent.") && contains(grsn_last_error(), "has shape [64"), "%s",
              grsn_last_error());
    path_in(bad, sizeof bad, "", "dims.grsn");
    CHECK(rewrite(path, bad, "\nobs_dim=", "\nobs_dim=1", NULL, NULL, NULL));
    CHECK(grsn_qmix_ckpt_load(bad, 0, 0, &out, NULL) == GRSN_ERR_FORMAT && out == NULL);
    CHECK_MSG(contains(grsn_last_error(), "but map 3m has obs_dim"), "%s", grsn_last_error());
    path_in(bad, sizeof bad, "", "missing.grsn");
    CHECK(rewrite(path, bad, "\nseed=", "\nseed=", "rng.replay", NULL, NULL));
    CHECK(grsn_qmix_ckpt_load(bad, 0, 0, &out, NULL) == GRSN_ERR_FORMAT && out == NULL);
    CHECK_MSG(contains(grsn_last_error(), "tensor 'rng.replay' is missing"), "%s", grsn_last_error());
    path_in(bad, sizeof bad, "", "extra.grsn");
    CHECK(rewrite(path, bad, "\nseed=", "\nseed=", NULL, "online.agent.fc3.w", NULL));
    CHECK(grsn_qmix_ckpt_load(bad, 0, 0, &out, NULL) == GRSN_ERR_FORMAT && out == NULL);
    CHECK_MSG(contains(grsn_last_error(), "unexpected 'online.agent.fc3.w'"), "%s", grsn_last_error());
}

TEST(foreign_and_corrupt_checkpoints) {
    // A control-task checkpoint and a QMIX one are told apart by the metadata.
    GrsnTrainConfig tc;
    CHECK(grsn_train_defaults(&tc, "cartpole-v", -1, GRSN_NET_GRU, 0) == GRSN_OK);
    tc.agent.hidden = 8; tc.agent.head_hidden = 8; tc.agent.emb_o = 4; tc.agent.seq_len = 4; tc.agent.batch = 2;
    GrsnAgent *agent;
    CHECK(grsn_agent_create(&agent, &tc.agent, 0) == GRSN_OK);
    char control[400], qmix[400], bad[400];
    path_in(control, sizeof control, "", "control.grsn");
    GrsnTrainRngs rng;
    memset(&rng, 0, sizeof rng);
    CHECK(grsn_ckpt_save(control, &tc, agent, 0, &rng) == GRSN_OK);
    grsn_agent_free(agent);
    GrsnQmixTrainConfig c = tiny("3m", GRSN_NET_GRU, 4);
    GrsnQmix *q;
    CHECK(grsn_qmix_create(&q, &c.qmix, 4) == GRSN_OK);
    path_in(qmix, sizeof qmix, "", "qmix.grsn");
    CHECK(grsn_qmix_ckpt_save(qmix, &c, q) == GRSN_OK);

    CHECK(grsn_qmix_ckpt_probe(control) == 0 && grsn_qmix_ckpt_probe(qmix) == 1);
    GrsnQmixCkptInfo info;
    CHECK(grsn_qmix_ckpt_info(control, &info) == GRSN_ERR_FORMAT);
    CHECK_MSG(contains(grsn_last_error(), "a sacd checkpoint of the control task cartpole-v, not a QMIX one"), "%s",
              grsn_last_error());
    CHECK(grsn_qmix_ckpt_restore(control, q, NULL) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "not a QMIX"));
    GrsnCkptInfo cinfo;
    CHECK(grsn_ckpt_load(qmix, &agent, &cinfo) == GRSN_ERR_FORMAT);
    CHECK_MSG(contains(grsn_last_error(), "qmix"), "%s", grsn_last_error());

    // Missing, foreign, truncated and corrupt files.
    path_in(bad, sizeof bad, "", "none.grsn");
    CHECK(grsn_qmix_ckpt_probe(bad) == 0 && grsn_qmix_ckpt_info(bad, &info) == GRSN_ERR_IO);
    path_in(bad, sizeof bad, "", "config.txt");
    FILE *f = fopen(bad, "wb");
    if (f) { fputs("algo=qmix\n", f); fclose(f); }
    CHECK(grsn_qmix_ckpt_info(bad, &info) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "not a grsn checkpoint"));
    GrsnCkptFile k;
    CHECK(grsn_ckpt_read(&k, qmix) == GRSN_OK);
    size_t size = k.size;
    unsigned char *bytes = malloc(size);
    memcpy(bytes, k.buf, size);
    grsn_ckpt_close(&k);
    path_in(bad, sizeof bad, "", "half.grsn");
    f = fopen(bad, "wb");
    if (f) { fwrite(bytes, 1, size / 2, f); fclose(f); }
    CHECK(grsn_qmix_ckpt_restore(bad, q, NULL) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "truncated"));
    bytes[size - 100] ^= 0xff;
    path_in(bad, sizeof bad, "", "flip.grsn");
    f = fopen(bad, "wb");
    if (f) { fwrite(bytes, 1, size, f); fclose(f); }
    CHECK(grsn_qmix_ckpt_restore(bad, q, NULL) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "checksum"));
    free(bytes);
    grsn_qmix_free(q);
}

// ----------------------------------------------------------------------------
// A non-finite loss

TEST(nan_stops_the_run) {
    GrsnQmixTrainConfig c = tiny("3m", GRSN_NET_GRSN, 6);
    c.steps = 2000; c.test_interval = 50; c.test_poison_update = 4;
    char run[300], path[400];
    path_in(run, sizeof run, "nan", "");
    CHECK(grsn_qmix_train_run(&c, run, NULL, NULL, NULL) == GRSN_ERR_NAN);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", grsn_last_error());
    CHECK_MSG(contains(msg, "the run stopped at env step") && contains(msg, "last good checkpoint: "), "%s", msg);
    path_in(path, sizeof path, "nan", "final.grsn");
    CHECK(!exists(path));
    const char *last = strstr(msg, "last good checkpoint: ");
    if (!last) return;
    last += strlen("last good checkpoint: ");
    GrsnQmix *q = NULL;
    GrsnQmixCkptInfo info;
    CHECK_MSG(grsn_qmix_ckpt_load(last, 0, 0, &q, &info) == GRSN_OK, "%s", grsn_last_error());
    CHECK(info.counters.updates == 4);
    if (q) CHECK(grsn_params_finite(grsn_qmix_params(q, GRSN_QMIX_ONLINE)));
    grsn_qmix_free(q);
}

// ----------------------------------------------------------------------------
// Resuming

// Whether checkpoints a and b hold the same tensors, byte for byte, but for
// the tensor `skip` (NULL: none); their metadata may differ (threads).
static int same_tensors(const char *a, const char *b, const char *skip) {
    GrsnCkptFile fa, fb;
    if (grsn_ckpt_read(&fa, a) != GRSN_OK) return 0;
    if (grsn_ckpt_read(&fb, b) != GRSN_OK) { grsn_ckpt_close(&fa); return 0; }
    int same = fa.n == fb.n && fa.step == fb.step && fa.env_steps == fb.env_steps;
    for (int i = 0; same && i < fa.n; i++) {
        const GrsnTensorRec *r = &fa.rec[i];
        if (skip && !strcmp(r->name, skip)) continue;
        void *x = malloc((size_t)r->nbytes), *y = malloc((size_t)r->nbytes);
        same = x && y && grsn_ckpt_get(&fa, r->name, (grsn_dtype)r->dtype, (int)r->ndim, r->dims, x) == GRSN_OK &&
               grsn_ckpt_get(&fb, r->name, (grsn_dtype)r->dtype, (int)r->ndim, r->dims, y) == GRSN_OK &&
               !memcmp(x, y, (size_t)r->nbytes);
        free(x); free(y);
    }
    grsn_ckpt_close(&fa); grsn_ckpt_close(&fb);
    return same;
}

// The learner's resume state into `path` and back (tensorlist.h).
static grsn_status save_state(GrsnQmix *q, const char *path) {
    GrsnTensorList t = {0};
    grsn_status st = grsn_qmix_state_add_tensors(q, &t);
    if (st == GRSN_OK) st = grsn_ckpt_write(path, 0, 0, "algo=qmix\n", t.rec, t.n);
    grsn_tensors_free(&t);
    return st;
}

static grsn_status load_state(GrsnQmix *q, const char *path) {
    GrsnCkptFile f;
    grsn_status st = grsn_ckpt_read(&f, path);
    if (st != GRSN_OK) return st;
    GrsnTensorList t = {0};
    st = grsn_qmix_state_list_saved(q, &f, path, &t);
    if (st == GRSN_OK) st = grsn_tensors_read(&t, &f, path, "learner state");
    if (st == GRSN_OK) st = grsn_qmix_state_finish_load(q, path);
    grsn_tensors_free(&t);
    grsn_ckpt_close(&f);
    return st;
}

static int same_episode(const GrsnQmixEpisode *a, const GrsnQmixEpisode *b, grsn_smac_dims d) {
    size_t steps = (size_t)a->len + 1, n = (size_t)d.n_agents;
    return a->len == b->len && a->snapshot_bytes == b->snapshot_bytes &&
           !memcmp(a->snapshots, b->snapshots, steps * a->snapshot_bytes) && !memcmp(a->actions, b->actions, steps * n) &&
           !memcmp(a->reward, b->reward, (size_t)a->len * sizeof(float)) &&
           !memcmp(a->terminated, b->terminated, (size_t)a->len);
}

TEST(learner_state_round_trip) {
    // 13 rollouts of 2 episodes into 16 slots: the ring has wrapped.
    GrsnQmixTrainConfig c = tiny("3m", GRSN_NET_GRSN, 1);
    GrsnQmix *q1 = NULL, *q2 = NULL;
    CHECK(grsn_qmix_create(&q1, &c.qmix, 1) == GRSN_OK && grsn_qmix_create(&q2, &c.qmix, 2) == GRSN_OK);
    if (!q1 || !q2) { grsn_qmix_free(q1); grsn_qmix_free(q2); return; }
    GrsnQmixRollout r1, r2;
    GrsnQmixStats s1, s2;
    GrsnQmixTest t1, t2;
    for (int i = 0; i < 13; i++) {
        CHECK(grsn_qmix_rollout(q1, &r1) == GRSN_OK);
        if (grsn_qmix_can_update(q1)) CHECK(grsn_qmix_update(q1, &s1) == GRSN_OK);
    }
    CHECK(grsn_qmix_test(q1, 4, &t1) == GRSN_OK);   // the test environments move on too
    CHECK(grsn_qmix_buffer_size(q1) == 16 && grsn_qmix_buffer_head(q1) == 26 % 16);
    char ckpt[400], state[400];
    path_in(ckpt, sizeof ckpt, "", "learner.grsn");
    path_in(state, sizeof state, "", "learner_state.grsn");
    CHECK(grsn_qmix_ckpt_save(ckpt, &c, q1) == GRSN_OK);
    CHECK_MSG(save_state(q1, state) == GRSN_OK, "%s", grsn_last_error());
    CHECK(grsn_qmix_ckpt_restore(ckpt, q2, NULL) == GRSN_OK);
    CHECK_MSG(load_state(q2, state) == GRSN_OK, "%s", grsn_last_error());

    // The same buffer, slot by slot, saved without its padding, and the same streams.
    grsn_smac_dims d = grsn_qmix_dims(q1);
    CHECK(grsn_qmix_buffer_size(q2) == 16 && grsn_qmix_buffer_head(q2) == grsn_qmix_buffer_head(q1));
    uint64_t steps = 0;
    for (int k = 0; k < 16; k++) {
        GrsnQmixEpisode e1, e2;
        CHECK(grsn_qmix_buffer_episode(q1, k, &e1) == GRSN_OK && grsn_qmix_buffer_episode(q2, k, &e2) == GRSN_OK);
        CHECK_MSG(same_episode(&e1, &e2, d), "slot %d", k);
        steps += (uint64_t)e1.len + 1;
    }
    GrsnQmixEpisode none;
    CHECK(grsn_qmix_buffer_episode(q1, 16, &none) == GRSN_ERR_ARG);
    GrsnCkptFile f;
    CHECK(grsn_ckpt_read(&f, state) == GRSN_OK);
    for (int i = 0; i < f.n; i++)
        if (!strcmp(f.rec[i].name, "buffer.snapshots"))
            CHECK_MSG(f.rec[i].dims[0] == steps && steps < 16 * (uint64_t)(d.episode_limit + 1), "%llu steps",
                      (unsigned long long)f.rec[i].dims[0]);
    grsn_ckpt_close(&f);
    for (int test = 0; test <= 1; test++)
        for (int e = 0; e < c.qmix.n_envs; e++)
            CHECK(!memcmp(grsn_qmix_env_rng(q1, test, e), grsn_qmix_env_rng(q2, test, e), sizeof(grsn_rng)));
    CHECK(grsn_qmix_env_rng(q1, 0, c.qmix.n_envs) == NULL);

    // From here on, the same learner: rollouts, updates and tests.
    for (int i = 0; i < 3; i++) {
        CHECK(grsn_qmix_rollout(q1, &r1) == GRSN_OK && grsn_qmix_rollout(q2, &r2) == GRSN_OK);
        CHECK(!memcmp(&r1, &r2, sizeof r1));
        CHECK(grsn_qmix_update(q1, &s1) == GRSN_OK && grsn_qmix_update(q2, &s2) == GRSN_OK);
        CHECK(!memcmp(&s1, &s2, sizeof s1));
    }
    CHECK(grsn_qmix_test(q1, 4, &t1) == GRSN_OK && grsn_qmix_test(q2, 4, &t2) == GRSN_OK);
    CHECK(!memcmp(&t1, &t2, sizeof t1));
    grsn_qmix_free(q1);
    grsn_qmix_free(q2);
}

// Resume the QMIX run in `run` to `steps` (0: its own budget) on `threads` threads.
static grsn_status resume_dir(const char *run, long steps, int threads, GrsnQmixTrainResult *res) {
    GrsnQmixTrainConfig c;
    grsn_status st = grsn_qmix_train_resume_config(run, &c);
    if (st != GRSN_OK) return st;
    if (steps > 0) c.steps = steps;
    c.threads = threads;
    return grsn_qmix_train_resume(&c, run, NULL, NULL, res);
}

// Files in sub whose names start with `prefix`.
static int count_files(const char *sub, const char *prefix) {
    char path[400];
    path_in(path, sizeof path, sub, "");
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) n += !strncmp(e->d_name, prefix, strlen(prefix));
    closedir(d);
    return n;
}

// Run `sub` (made like `a`, to its own budget) against the uninterrupted
// run in sub `a`: the same rows, final tensors, result and files.
static void check_like(const char *a, const char *sub) {
    char pa[400], pb[400];
    char *ra = NULL, *rb = NULL;
    path_in(pa, sizeof pa, a, "progress.csv");
    path_in(pb, sizeof pb, sub, "progress.csv");
    ra = read_text(pa); rb = read_text(pb);
    CHECK_MSG(ra && rb && !strcmp(ra, rb), "%s: progress.csv", sub);
    free(ra); free(rb);
    path_in(pa, sizeof pa, a, "final.grsn");
    path_in(pb, sizeof pb, sub, "final.grsn");
    CHECK_MSG(same_tensors(pa, pb, NULL), "%s: final.grsn", sub);
    path_in(pa, sizeof pa, a, "result");
    path_in(pb, sizeof pb, sub, "result");
    ra = read_text(pa); rb = read_text(pb);
    CHECK_MSG(ra && rb && !strncmp(ra, rb, (size_t)(strstr(ra, "wall_s") - ra)), "%s: result", sub);
    free(ra); free(rb);
    CHECK_MSG(count_files(sub, "ckpt_") == 1 && count_files(sub, "replay_") == 1, "%s: one resume pair", sub);
    path_in(pa, sizeof pa, a, "");
    long n = grsn_rundir_latest_pair(pa);
    char name[64];
    snprintf(name, sizeof name, "replay_%08ld.grsn", n);
    path_in(pa, sizeof pa, a, name);
    path_in(pb, sizeof pb, sub, name);
    CHECK_MSG(same_tensors(pa, pb, "run.wall_s"), "%s: %s", sub, name);
}

// Train c to `first` env steps in sub, finished, then extend it to c's
// budget: the same run as the one trained to that budget at once in `whole`.
static void check_extended(const GrsnQmixTrainConfig *c, long first, const char *whole, const char *sub) {
    GrsnQmixTrainConfig e = *c;
    e.steps = first;
    char run[300];
    path_in(run, sizeof run, sub, "");
    CHECK(grsn_qmix_train_run(&e, run, NULL, NULL, NULL) == GRSN_OK);
    CHECK_MSG(resume_dir(run, c->steps, 1, NULL) == GRSN_OK, "%s", grsn_last_error());
    check_like(whole, sub);
}

// 3000 env steps of 2 environments into a 16-episode buffer, which wraps
// every 8 rollouts; a resume state at the first test past every 700 steps.
static GrsnQmixTrainConfig resumable(void) {
    GrsnQmixTrainConfig c = tiny("3m", GRSN_NET_GRSN, 11);
    c.steps = 3000; c.resume_interval = 700;
    return c;
}

TEST(resumed_runs_match_uninterrupted_ones) {
    GrsnQmixTrainConfig c = resumable();
    char a[300], b[300];
    path_in(a, sizeof a, "resume_a", "");
    CHECK_MSG(grsn_qmix_train_run(&c, a, NULL, NULL, NULL) == GRSN_OK, "%s", grsn_last_error());
    CHECK(count_files("resume_a", "ckpt_") == 1 && count_files("resume_a", "replay_") == 1);
    for (int threads = 1; threads <= 2; threads++) {
        // Stopped part way (a non-finite loss stops a run where it stands),
        // with rows logged after its latest resume pair, then resumed.
        char sub[32];
        snprintf(sub, sizeof sub, "resume_b%d", threads);
        path_in(b, sizeof b, sub, "");
        GrsnQmixTrainConfig k = c;
        k.test_poison_update = 45;
        CHECK(grsn_qmix_train_run(&k, b, NULL, NULL, NULL) == GRSN_ERR_NAN);
        long n = grsn_rundir_latest_pair(b);
        char ck[64], path[400];
        snprintf(ck, sizeof ck, "ckpt_%08ld.grsn", n);
        path_in(path, sizeof path, sub, ck);
        GrsnQmixCkptInfo info;
        CHECK_MSG(n >= 1400 && grsn_qmix_ckpt_info(path, &info) == GRSN_OK, "pair at %ld", n);
        CHECK_MSG(info.counters.episodes > c.qmix.buffer, "%ld episodes", info.counters.episodes);   // wrapped
        path_in(path, sizeof path, sub, "progress.csv");
        char *rows = read_text(path);
        const char *last = rows ? strrchr(rows, '\n') : NULL;
        while (last && last > rows && last[-1] != '\n') last--;
        CHECK_MSG(last && atol(last) > n, "the last row lies past the resume pair at %ld", n);
        free(rows);
        GrsnQmixTrainResult res;
        CHECK_MSG(resume_dir(b, 0, threads, &res) == GRSN_OK, "%s", grsn_last_error());
        CHECK(res.env_steps >= 3000);
        check_like("resume_a", sub);
    }
    // Finished at 1600 env steps (a multiple of the test interval), then extended.
    check_extended(&c, 1600, "resume_a", "resume_c");
}

// oxwhirl/pymarl's learner (--preset pymarl): RMSprop's running squares go
// into the checkpoint instead of Adam's moments, and a run finished at 800
// steps and extended to 1600 equals one trained to 1600 at once.
TEST(pymarl_preset_runs_resume_exactly) {
    GrsnQmixTrainConfig c = resumable();
    GrsnQmixConfig keep = c.qmix;
    grsn_qmix_preset_pymarl(&c.qmix);
    CHECK(c.qmix.optimizer == GRSN_QMIX_RMSPROP && c.qmix.lr == 5e-4f && c.qmix.td_lambda == 0.0f &&
          c.qmix.batch == 32 && c.qmix.n_envs == 1 && c.qmix.eps_anneal == 50000 && c.qmix.buffer == keep.buffer);
    c.qmix.batch = keep.batch;   // tiny, as the other tests
    c.steps = 1600;
    char a[300], path[400];
    path_in(a, sizeof a, "pymarl_a", "");
    CHECK_MSG(grsn_qmix_train_run(&c, a, NULL, NULL, NULL) == GRSN_OK, "%s", grsn_last_error());
    path_in(path, sizeof path, "pymarl_a", "final.grsn");
    GrsnCkptFile f;
    int squares = 0, moments = 0;
    CHECK(grsn_ckpt_read(&f, path) == GRSN_OK);
    for (int i = 0; i < f.n; i++) {
        squares += !strncmp(f.rec[i].name, "rmsprop.square_avg.", 19);
        moments += !strncmp(f.rec[i].name, "adam.", 5);
    }
    CHECK(squares > 0 && moments == 0 && contains(f.meta, "optimizer=rmsprop\n") && contains(f.meta, "td_lambda=0\n"));
    grsn_ckpt_close(&f);
    check_extended(&c, 800, "pymarl_a", "pymarl_b");
}

TEST(resume_errors_name_the_problem) {
    char d[300], p[400], q[400];
    path_in(d, sizeof d, "nowhere", "");
    CHECK(resume_dir(d, 0, 1, NULL) == GRSN_ERR_IO && contains(grsn_last_error(), "nowhere/config"));
    CHECK(grsn_qmix_run_probe(d) == 0);
    // A run of 600 steps, another with 5 test episodes (the same training, so
    // the same resume step), and a control run.
    GrsnQmixTrainConfig c = tiny("3m", GRSN_NET_GRSN, 12);
    path_in(d, sizeof d, "resume_err", "");
    CHECK(grsn_qmix_train_run(&c, d, NULL, NULL, NULL) == GRSN_OK);
    c.test_episodes = 5;
    path_in(p, sizeof p, "resume_other", "");
    CHECK(grsn_qmix_train_run(&c, p, NULL, NULL, NULL) == GRSN_OK);
    long n = grsn_rundir_latest_pair(d);
    CHECK(n >= 600 && grsn_rundir_latest_pair(p) == n);
    CHECK(grsn_qmix_run_probe(d) == 1);
    GrsnTrainConfig tc;
    CHECK(grsn_train_resume_config(d, &tc) == GRSN_ERR_ARG && contains(grsn_last_error(), "it holds a QMIX run"));
    GrsnQmixTrainConfig qc;
    CHECK(grsn_train_defaults(&tc, "cartpole-v", -1, GRSN_NET_GRU, 0) == GRSN_OK);
    tc.steps = 1; tc.warmup_episodes = 1; tc.eval_episodes = 1;
    tc.agent.hidden = 8; tc.agent.head_hidden = 8; tc.agent.emb_o = 4; tc.agent.seq_len = 4; tc.agent.batch = 2;
    path_in(q, sizeof q, "resume_control", "");
    CHECK(grsn_train_run(&tc, q, NULL, NULL, NULL) == GRSN_OK);
    CHECK(grsn_qmix_run_probe(q) == 0);
    CHECK(grsn_qmix_train_resume_config(q, &qc) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "not a QMIX run"));

    char msg[120], replay[400], name[64];
    snprintf(msg, sizeof msg, "it has run %ld env steps", n);
    CHECK(resume_dir(d, 300, 1, NULL) == GRSN_ERR_ARG && contains(grsn_last_error(), msg));
    snprintf(name, sizeof name, "replay_%08ld.grsn", n);
    path_in(replay, sizeof replay, "resume_err", name);
    path_in(p, sizeof p, "resume_other", name);
    path_in(q, sizeof q, "", "good_replay.grsn");
    CHECK(rename(replay, q) == 0);
    // Another run's resume state; damaged lengths and actions; a truncated
    // file; none (each resume is to 2000 steps, past the run's end).
    CHECK(rewrite(p, replay, "\nseed=", "\nseed=", NULL, NULL, NULL));
    CHECK(resume_dir(d, 2000, 1, NULL) == GRSN_ERR_FORMAT &&
          contains(grsn_last_error(), "the resume state of another run"));
    CHECK(rewrite(q, replay, "\nseed=", "\nseed=", NULL, NULL, "buffer.len"));
    CHECK(resume_dir(d, 2000, 1, NULL) == GRSN_ERR_FORMAT && contains(grsn_last_error(), name) &&
          contains(grsn_last_error(), "stored episode 0 has 255 steps"));
    CHECK(rewrite(q, replay, "\nseed=", "\nseed=", NULL, NULL, "buffer.actions"));
    CHECK(resume_dir(d, 2000, 1, NULL) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "stored action 255"));
    // Byte 7 is the sign and exponent of unit 0's x at step 0 of episode 0.
    CHECK(rewrite(q, replay, "\nseed=", "\nseed=", NULL, NULL, "buffer.snapshots@7"));
    CHECK(resume_dir(d, 2000, 1, NULL) == GRSN_ERR_FORMAT && contains(grsn_last_error(), name) &&
          contains(grsn_last_error(), "stored episode 0, step 0: SMAC snapshot of 3m: unit 0 at ("));
    // A resume state from before the buffers kept snapshots.
    CHECK(rewrite(q, replay, "\nseed=", "\nseed=", NULL, "buffer.obs", NULL));
    CHECK(resume_dir(d, 2000, 1, NULL) == GRSN_ERR_FORMAT && contains(grsn_last_error(), name) &&
          contains(grsn_last_error(), "written before buffers kept snapshots"));
    CHECK(rewrite(q, replay, "\nseed=", "\nseed=", "env.rng", NULL, NULL));
    CHECK(resume_dir(d, 2000, 1, NULL) == GRSN_ERR_FORMAT &&
          contains(grsn_last_error(), "tensor 'env.rng' is missing"));
    CHECK(rewrite(q, replay, "\nseed=", "\nseed=", NULL, NULL, NULL) && truncate(replay, 3000) == 0);
    CHECK(resume_dir(d, 2000, 1, NULL) == GRSN_ERR_FORMAT && contains(grsn_last_error(), name) &&
          contains(grsn_last_error(), "truncated"));
    unlink(replay);
    CHECK(resume_dir(d, 2000, 1, NULL) == GRSN_ERR_FORMAT &&
          contains(grsn_last_error(), "no checkpoint with its resume state"));
}

TEST(finished_run_drops_its_resume_state) {
    // Resume pairs during the run (every 200 steps), none left at the end:
    // the latest test's checkpoint and final.grsn stay, the buffer goes.
    GrsnQmixTrainConfig c = tiny("3m", GRSN_NET_GRSN, 4);
    c.keep_resume = 0;
    c.resume_interval = 200;
    char d[300];
    path_in(d, sizeof d, "dropped", "");
    CHECK_MSG(grsn_qmix_train_run(&c, d, NULL, NULL, NULL) == GRSN_OK, "%s", grsn_last_error());
    CHECK(count_files("dropped", "replay_") == 0 && count_files("dropped", "ckpt_") == 1 &&
          count_files("dropped", "final.grsn") == 1);
    CHECK(resume_dir(d, 1000, 1, NULL) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "--keep-resume 1"));
}

int main(int argc, char **argv) {
    (void)argc;
    wait_passively(argv);
    if (!scratch_create("grsn_test_train_qmix")) return 1;
    RUN(defaults_follow_pymarl2);
    RUN(check_names_the_field);
    RUN(config_text_round_trip);
    RUN(config_parse_errors);
    RUN(short_run_files_and_schedule);
    RUN(update_batches_rebuilt_in_parallel_match_one_thread);
    RUN(same_seed_same_progress);
    RUN(gru_and_lif_runs);
    RUN(checkpoint_round_trip);
    RUN(mismatched_checkpoints);
    RUN(foreign_and_corrupt_checkpoints);
    RUN(nan_stops_the_run);
    RUN(learner_state_round_trip);
    RUN(resumed_runs_match_uninterrupted_ones);
    RUN(pymarl_preset_runs_resume_exactly);
    RUN(resume_errors_name_the_problem);
    RUN(finished_run_drops_its_resume_state);
    scratch_remove();
    return test_summary("test_train_qmix");
}
