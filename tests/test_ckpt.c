/*
 * test_ckpt.c — checkpoints: the container round-trips tensors and metadata
 * exactly; every truncation, every flipped byte, a foreign file, a wrong
 * version and a missing file give GRSN_ERR_FORMAT / GRSN_ERR_IO with a
 * message naming the file, never a crash; an agent saved and loaded has the
 * same parameters, Adam state, log alpha and stream states, and acts the
 * same; tensors that do not fit the agent its metadata describes are refused.
 */
#include "test.h"
#include "run_helpers.h"   // the scratch directory, path_in, contains
#include "grsn_train.h"
#include "ckpt.h"

static void write_all(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

// Rewrite the trailing checksum so that a deliberate edit reaches the check
// it targets instead of the checksum.
static void fix_checksum(unsigned char *b, size_t n) {
    uint64_t h = grsn_fnv1a64(b, n - 8);
    for (int i = 0; i < 8; i++) b[n - 8 + i] = (unsigned char)(h >> (8 * i));
}

// ----------------------------------------------------------------------------
// The container

static float f_data[3][5];
static int64_t i_data[2] = {-7, 1234567890123LL};
static uint64_t u_data[4] = {0, 1, 0xffffffffffffffffULL, 0x0123456789abcdefULL};

static int write_sample(const char *path) {
    for (int i = 0; i < 15; i++) f_data[i / 5][i % 5] = (float)i * 0.37f - 2.0f;
    f_data[1][1] = -0.0f;
    f_data[2][4] = 1e-40f;   // a subnormal survives
    GrsnTensorRec r[3];
    uint64_t d0[2] = {3, 5}, d1[1] = {2}, d2[1] = {4};
    grsn_tensor_rec(&r[0], "a.w", GRSN_DT_F32, f_data, 2, d0);
    grsn_tensor_rec(&r[1], "b.steps", GRSN_DT_I64, i_data, 1, d1);
    grsn_tensor_rec(&r[2], "rng.c", GRSN_DT_U64, u_data, 1, d2);
    return grsn_ckpt_write(path, 42, 4242, "env=cartpole-p\nkey=value\n", r, 3) == GRSN_OK;
}

TEST(container_round_trip) {
    char path[300];
    path_in(path, sizeof path, "", "sample.grsn");
    CHECK(write_sample(path));
    GrsnCkptFile f;
    CHECK(grsn_ckpt_read(&f, path) == GRSN_OK);
    CHECK(f.step == 42 && f.env_steps == 4242 && f.n == 3 && f.version == GRSN_CKPT_VERSION);
    CHECK(!strcmp(f.meta, "env=cartpole-p\nkey=value\n"));
    float fw[3][5];
    int64_t iw[2];
    uint64_t uw[4];
    uint64_t d0[2] = {3, 5}, d1[1] = {2}, d2[1] = {4}, bad[2] = {5, 3};
    CHECK(grsn_ckpt_get(&f, "a.w", GRSN_DT_F32, 2, d0, fw) == GRSN_OK);
    CHECK(memcmp(fw, f_data, sizeof fw) == 0);
    CHECK(grsn_ckpt_get(&f, "b.steps", GRSN_DT_I64, 1, d1, iw) == GRSN_OK && iw[0] == -7 && iw[1] == i_data[1]);
    CHECK(grsn_ckpt_get(&f, "rng.c", GRSN_DT_U64, 1, d2, uw) == GRSN_OK && !memcmp(uw, u_data, sizeof uw));
    // Wrong shape, wrong dtype, missing name: refused, naming the tensor.
    CHECK(grsn_ckpt_get(&f, "a.w", GRSN_DT_F32, 2, bad, fw) == GRSN_ERR_FORMAT);
    CHECK(contains(grsn_last_error(), "'a.w' has shape [3, 5], the agent expects [5, 3]"));
    CHECK(grsn_ckpt_get(&f, "b.steps", GRSN_DT_F32, 1, d1, fw) == GRSN_ERR_FORMAT);
    CHECK(grsn_ckpt_get(&f, "nope", GRSN_DT_F32, 1, d1, fw) == GRSN_ERR_FORMAT);
    CHECK(contains(grsn_last_error(), "'nope' is missing"));
    grsn_ckpt_close(&f);
    // Little-endian on disk, the data blob 64-byte aligned.
    size_t n;
    unsigned char *b = (unsigned char *)read_file(path, &n);
    CHECK(b && !memcmp(b, "GRSN", 4) && b[4] == GRSN_CKPT_VERSION && b[5] == 0 && b[16] == 42 && b[17] == 0);
    CHECK(b && (b[8] | b[9] << 8) % 64 == 0);
    free(b);
}

TEST(container_missing_and_foreign) {
    char path[300];
    GrsnCkptFile f;
    path_in(path, sizeof path, "", "does_not_exist.grsn");
    CHECK(grsn_ckpt_read(&f, path) == GRSN_ERR_IO);
    CHECK(contains(grsn_last_error(), path) && contains(grsn_last_error(), "cannot open"));
    path_in(path, sizeof path, "", "empty.grsn");
    write_all(path, "", 0);
    CHECK(grsn_ckpt_read(&f, path) == GRSN_ERR_FORMAT);
    CHECK(contains(grsn_last_error(), path) && contains(grsn_last_error(), "empty"));
    path_in(path, sizeof path, "", "foreign.grsn");
    const char *text = "env_steps,episodes\n1,2\n";
    write_all(path, text, strlen(text));
    CHECK(grsn_ckpt_read(&f, path) == GRSN_ERR_FORMAT);
    CHECK(contains(grsn_last_error(), path) && contains(grsn_last_error(), "not a grsn checkpoint"));
    CHECK(grsn_ckpt_read(&f, dir) == GRSN_ERR_IO && contains(grsn_last_error(), "not a regular file"));
}

TEST(container_every_truncation) {
    char path[300], cut[300];
    path_in(path, sizeof path, "", "sample.grsn");
    path_in(cut, sizeof cut, "", "cut.grsn");
    CHECK(write_sample(path));
    size_t n;
    unsigned char *b = (unsigned char *)read_file(path, &n);
    CHECK(b);
    if (!b) return;
    int wrong = 0, named = 0;
    for (size_t len = 0; len < n; len++) {
        write_all(cut, b, len);
        GrsnCkptFile f;
        grsn_status st = grsn_ckpt_read(&f, cut);
        if (st != GRSN_ERR_FORMAT) wrong++;
        if (len >= 4 && !contains(grsn_last_error(), "truncated")) named++;
    }
    CHECK_MSG(wrong == 0, "%d of %zu truncations not GRSN_ERR_FORMAT", wrong, n);
    CHECK_MSG(named == 0, "%d truncations not reported as truncated", named);
    // One byte too many is corrupt, too.
    unsigned char *longer = malloc(n + 1);
    memcpy(longer, b, n);
    longer[n] = 0;
    write_all(cut, longer, n + 1);
    GrsnCkptFile f;
    CHECK(grsn_ckpt_read(&f, cut) == GRSN_ERR_FORMAT);
    free(longer);
    free(b);
}

TEST(container_every_flipped_byte) {
    char path[300], bad[300];
    path_in(path, sizeof path, "", "sample.grsn");
    path_in(bad, sizeof bad, "", "flip.grsn");
    CHECK(write_sample(path));
    size_t n;
    unsigned char *b = (unsigned char *)read_file(path, &n);
    CHECK(b);
    if (!b) return;
    int missed = 0;
    for (size_t i = 0; i < n; i++) {
        b[i] ^= 0x5a;
        write_all(bad, b, n);
        GrsnCkptFile f;
        if (grsn_ckpt_read(&f, bad) != GRSN_ERR_FORMAT) missed++;
        b[i] ^= 0x5a;
    }
    CHECK_MSG(missed == 0, "%d of %zu flipped bytes went unnoticed", missed, n);
    free(b);
}

TEST(container_version_and_header) {
    char path[300], bad[300];
    path_in(path, sizeof path, "", "sample.grsn");
    path_in(bad, sizeof bad, "", "edit.grsn");
    CHECK(write_sample(path));
    size_t n;
    unsigned char *b = (unsigned char *)read_file(path, &n);
    CHECK(b);
    if (!b) return;
    GrsnCkptFile f;
    // A future version: named as such even with a consistent checksum.
    b[4] = 9; fix_checksum(b, n); write_all(bad, b, n);
    CHECK(grsn_ckpt_read(&f, bad) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "version 9"));
    b[4] = GRSN_CKPT_VERSION;
    // Header sizes that cannot hold what they claim.
    b[12] = 200; fix_checksum(b, n); write_all(bad, b, n);
    CHECK(grsn_ckpt_read(&f, bad) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "corrupt header"));
    b[12] = 3;
    b[8] ^= 1; fix_checksum(b, n); write_all(bad, b, n);
    CHECK(grsn_ckpt_read(&f, bad) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "corrupt header"));
    b[8] ^= 1;
    // A record whose data would lie beyond the file.
    size_t rec0 = 40 + strlen("env=cartpole-p\nkey=value\n");
    b[rec0 + 104 + 1] = 0x10;   // offset += 4096
    fix_checksum(b, n); write_all(bad, b, n);
    CHECK(grsn_ckpt_read(&f, bad) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "truncated"));
    b[rec0 + 104 + 1] = 0;
    b[rec0 + 72] = 4;           // dims [4, 5] but nbytes of [3, 5]
    fix_checksum(b, n); write_all(bad, b, n);
    CHECK(grsn_ckpt_read(&f, bad) == GRSN_ERR_FORMAT && contains(grsn_last_error(), "corrupt tensor record 'a.w'"));
    b[rec0 + 72] = 3;
    fix_checksum(b, n); write_all(bad, b, n);
    CHECK(grsn_ckpt_read(&f, bad) == GRSN_OK);   // the edits undone: fine again
    grsn_ckpt_close(&f);
    free(b);
}

// ----------------------------------------------------------------------------
// The agent

// A small run configuration: tiny nets, short windows.
static GrsnTrainConfig tiny(const char *env, int net) {
    GrsnTrainConfig c;
    grsn_status st = grsn_train_defaults(&c, env, -1, net, 7);
    if (st != GRSN_OK) { printf("    %s\n", grsn_last_error()); exit(1); }
    c.agent.hidden = 8; c.agent.head_hidden = 8; c.agent.emb_o = 8;
    c.agent.batch = 4; c.agent.seq_len = 8;
    return c;
}

// A few updates on random episodes, so that Adam's moments, its step count
// and (SAC-discrete) alpha are no longer at their initial values.
static void train_a_little(GrsnAgent *ag, const GrsnTrainConfig *c) {
    const GrsnAgentConfig *a = &c->agent;
    grsn_env env;
    grsn_train_make_env(&env, c, c->seed, GRSN_STREAM_ENV);
    grsn_seqbuf_config bc = grsn_seqbuf_defaults(a->obs_dim, a->act_dim, a->discrete);
    bc.capacity = 2000; bc.seq_len = a->seq_len;
    grsn_seqbuf *buf; grsn_seqbatch bt;
    CHECK(grsn_seqbuf_init(&buf, &bc) == GRSN_OK);
    CHECK(grsn_seqbatch_init(&bt, buf, a->batch) == GRSN_OK);
    grsn_rng r, tn;
    grsn_rng_seed(&r, 1, 2); grsn_rng_seed(&tn, 1, 3);
    float obs[4], next[4], act[4];
    for (int e = 0; e < 3; e++) {
        grsn_env_reset(&env, obs);
        grsn_env_result res;
        do {
            grsn_env_random_action(&env, &r, act);
            grsn_env_step(&env, act, next, &res);
            grsn_seqbuf_push(buf, obs, act, (float)res.reward, res.terminated, next);
            memcpy(obs, next, sizeof obs);
        } while (!res.terminated && !res.truncated && env.steps < 40);
        grsn_seqbuf_end_episode(buf);
    }
    for (int u = 0; u < 3; u++) {
        GrsnUpdateStats s;
        CHECK(grsn_seqbuf_sample(buf, &r, &bt) == GRSN_OK);
        CHECK(grsn_agent_update(ag, &bt, &tn, &s) == GRSN_OK);
    }
    grsn_seqbatch_free(&bt);
    grsn_seqbuf_free(buf);
}

static int same_floats(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

static int same_agents(GrsnAgent *a, GrsnAgent *b) {
    int ok = 1;
    for (int p = 0; p < GRSN_PART_COUNT; p++) {
        GrsnParams *pa = grsn_agent_params(a, (grsn_agent_part)p), *pb = grsn_agent_params(b, (grsn_agent_part)p);
        ok &= pa->n == pb->n && pa->count == pb->count && same_floats(pa->data, pb->data, pa->n);
    }
    for (int p = GRSN_PART_ACTOR; p <= GRSN_PART_CRITIC; p++) {
        GrsnAdam *x = grsn_agent_adam(a, (grsn_agent_part)p), *y = grsn_agent_adam(b, (grsn_agent_part)p);
        ok &= x->n == y->n && x->step == y->step && x->step > 0 && same_floats(x->m, y->m, x->n) &&
              same_floats(x->v, y->v, x->n);
    }
    float *la = grsn_agent_log_alpha(a), *lb = grsn_agent_log_alpha(b);
    ok &= !la == !lb;
    if (la && lb) {
        GrsnAdam *x = grsn_agent_alpha_adam(a), *y = grsn_agent_alpha_adam(b);
        ok &= *la == *lb && *la != 0.0f && x->step == y->step && same_floats(x->m, y->m, x->n) &&
              same_floats(x->v, y->v, x->n);
    }
    return ok;
}

// Play a few episodes with both agents side by side, deterministic and
// exploring (the same stream for both): every action must be identical.
static int same_actions(GrsnAgent *a, GrsnAgent *b, const GrsnTrainConfig *c) {
    grsn_env env;
    grsn_train_make_env(&env, c, 3, GRSN_STREAM_EVAL_ENV);
    int S = grsn_agent_state_size(a), d = c->agent.act_dim, diff = 0;
    float *sa = calloc((size_t)S, 4), *sb = calloc((size_t)S, 4);
    float obs[4], aa[8], ab[8], pa[8], pb[8];
    for (int e = 0; e < 4; e++) {
        int det = e % 2 == 0;
        grsn_rng ra, rb;
        grsn_rng_seed(&ra, 5, 2);
        rb = ra;
        memset(sa, 0, (size_t)S * 4); memset(sb, 0, (size_t)S * 4);
        memset(pa, 0, sizeof pa); memset(pb, 0, sizeof pb);
        float r = 0;
        grsn_env_reset(&env, obs);
        grsn_env_result res;
        do {
            grsn_agent_act(a, sa, pa, r, obs, det, &ra, aa, NULL);
            grsn_agent_act(b, sb, pb, r, obs, det, &rb, ab, NULL);
            diff += memcmp(aa, ab, (size_t)d * 4) != 0 || memcmp(sa, sb, (size_t)S * 4) != 0;
            grsn_env_step(&env, aa, obs, &res);
            memcpy(pa, aa, sizeof pa); memcpy(pb, ab, sizeof pb);
            r = (float)res.reward;
        } while (!res.terminated && !res.truncated);
    }
    free(sa); free(sb);
    return diff == 0;
}

static void round_trip(const char *env, int net) {
    GrsnTrainConfig c = tiny(env, net);
    GrsnAgent *a = NULL, *b = NULL;
    CHECK(grsn_agent_create(&a, &c.agent, c.seed) == GRSN_OK);
    if (!a) return;
    train_a_little(a, &c);
    GrsnTrainRngs rng;
    grsn_rng_seed(&rng.explore, 11, 2); grsn_rng_seed(&rng.replay, 11, 3);
    grsn_rng_seed(&rng.target_noise, 11, 4); grsn_rng_seed(&rng.env, 11, 2000);
    grsn_rng_seed(&rng.eval_env, 11, 1000);
    char path[300];
    path_in(path, sizeof path, "", "agent.grsn");
    CHECK(grsn_ckpt_save(path, &c, a, 1234, &rng) == GRSN_OK);
    GrsnCkptInfo info;
    CHECK(grsn_ckpt_load(path, &b, &info) == GRSN_OK);
    if (!b) { printf("    %s\n", grsn_last_error()); grsn_agent_free(a); return; }
    CHECK(same_agents(a, b));
    CHECK(info.env_steps == 1234 && info.updates == (uint64_t)grsn_agent_updates(a));
    CHECK(!memcmp(&info.rng, &rng, sizeof rng));
    CHECK(!strcmp(info.grsn_version, GRSN_VERSION));
    // The configuration comes back whole: its text is identical.
    char t1[4096], t2[4096];
    grsn_train_config_text(&c, t1, sizeof t1);
    grsn_train_config_text(&info.config, t2, sizeof t2);
    CHECK(!strcmp(t1, t2));
    CHECK(same_actions(a, b, &c));
    grsn_agent_free(a);
    grsn_agent_free(b);
}

TEST(agent_round_trip_td3_grsn) { round_trip("pendulum-p", GRSN_NET_GRSN); }
TEST(agent_round_trip_sacd_grsn) { round_trip("cartpole-v", GRSN_NET_GRSN); }
TEST(agent_round_trip_td3_lif) { round_trip("pendulum-v", GRSN_NET_LIF); }
TEST(agent_round_trip_sacd_gru) { round_trip("cartpole-p", GRSN_NET_GRU); }
TEST(agent_round_trip_td3_mlp) { round_trip("pendulum-f", GRSN_NET_MLP); }

TEST(agent_mismatch_refused) {
    GrsnTrainConfig c = tiny("cartpole-p", GRSN_NET_GRSN);
    GrsnAgent *a = NULL, *b = NULL;
    CHECK(grsn_agent_create(&a, &c.agent, c.seed) == GRSN_OK);
    if (!a) return;
    GrsnTrainRngs rng;
    memset(&rng, 0, sizeof rng);
    char path[300];
    path_in(path, sizeof path, "", "mismatch.grsn");
    // Metadata that describes a wider core than the tensors hold.
    GrsnTrainConfig wide = c;
    wide.agent.hidden = 12;
    CHECK(grsn_ckpt_save(path, &wide, a, 0, &rng) == GRSN_OK);
    CHECK(grsn_ckpt_load(path, &b, NULL) == GRSN_ERR_FORMAT && b == NULL);
    CHECK_MSG(contains(grsn_last_error(), path) && contains(grsn_last_error(), "the agent expects"), "%s",
              grsn_last_error());
    // Another core altogether: tensor names differ.
    GrsnTrainConfig gru = c;
    gru.agent.net = GRSN_NET_GRU;
    GrsnTrainConfig g2;
    CHECK(grsn_train_defaults(&g2, "cartpole-p", -1, GRSN_NET_GRU, 7) == GRSN_OK);
    gru.agent.cell = g2.agent.cell;
    CHECK(grsn_ckpt_save(path, &gru, a, 0, &rng) == GRSN_OK);
    CHECK(grsn_ckpt_load(path, &b, NULL) == GRSN_ERR_FORMAT && b == NULL);
    CHECK_MSG(contains(grsn_last_error(), path) && contains(grsn_last_error(), "missing"), "%s", grsn_last_error());
    if (b) grsn_agent_free(b);
    grsn_agent_free(a);
}

TEST(agent_bad_metadata_refused) {
    char path[300];
    path_in(path, sizeof path, "", "meta.grsn");
    GrsnAgent *b = NULL;
    // Unknown key, bad value, impossible agent, missing keys, then no tensors.
    const char *metas[][2] = {
        {"env=cartpole-v\nalgo=sacd\nnet=grsn\nbogus=1\n", "unknown key 'bogus'"},
        {"env=cartpole-v\nalgo=sacd\nnet=grsn\ngamma=abc\n", "bad value 'abc' for gamma"},
        {"env=cartpole-v\nalgo=td3\nnet=grsn\n", "td3"},
        {"env=mountaincar\nalgo=td3\nnet=grsn\n", "mountaincar"},
        {"algo=sacd\nnet=grsn\n", "lacks"},
        {"env=cartpole-v\nalgo=sacd\nnet=grsn\nhidden=0\n", "hidden"},
        {"env=cartpole-v\nalgo=sacd\nnet=grsn\nendianness=big\n", "endianness"},
        {"env=cartpole-v\nalgo=sacd\nnet=grsn\n", "missing"},
    };
    for (size_t i = 0; i < sizeof metas / sizeof metas[0]; i++) {
        CHECK(grsn_ckpt_write(path, 0, 0, metas[i][0], NULL, 0) == GRSN_OK);
        grsn_status st = grsn_ckpt_load(path, &b, NULL);
        CHECK_MSG(st == GRSN_ERR_FORMAT && b == NULL && contains(grsn_last_error(), path) &&
                  contains(grsn_last_error(), metas[i][1]), "case %zu: %s", i, grsn_last_error());
    }
}

TEST(agent_load_errors) {
    char path[300];
    GrsnAgent *b = NULL;
    path_in(path, sizeof path, "", "missing.grsn");
    CHECK(grsn_ckpt_load(path, &b, NULL) == GRSN_ERR_IO && b == NULL);
    path_in(path, sizeof path, "", "sample.grsn");
    CHECK(write_sample(path));
    CHECK(grsn_ckpt_load(path, &b, NULL) == GRSN_ERR_FORMAT && b == NULL);   // no env/algo/net
}

int main(void) {
    if (!scratch_create("grsn_test_ckpt")) return 1;
    RUN(container_round_trip);
    RUN(container_missing_and_foreign);
    RUN(container_every_truncation);
    RUN(container_every_flipped_byte);
    RUN(container_version_and_header);
    RUN(agent_round_trip_td3_grsn);
    RUN(agent_round_trip_sacd_grsn);
    RUN(agent_round_trip_td3_lif);
    RUN(agent_round_trip_sacd_gru);
    RUN(agent_round_trip_td3_mlp);
    RUN(agent_mismatch_refused);
    RUN(agent_bad_metadata_refused);
    RUN(agent_load_errors);
    scratch_remove();
    return test_summary("test_ckpt");
}
