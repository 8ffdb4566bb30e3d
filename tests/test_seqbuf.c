/*
 * test_seqbuf.c — the sequence replay buffer against the rules of
 * pomdp-baselines' SeqReplayBuffer (reference-implementation.md §5): valid
 * starts, windows, masks (short episodes running into the next one, the
 * write head, a long episode's last valid start), the §5.4 time alignment
 * with zero previous action/reward at each window start, one-hot actions,
 * uniform sampling over valid starts only, the ring wrapping around, and
 * bad input.
 *
 * Small sizes keep the cases readable: S = 8 instead of 64.
 */
#include "grsn.h"
#include "test.h"

enum { S = 8, DO = 2 };

// Row contents that identify where a value came from: episode e, step t.
static float obs_val(int e, int t, int k) { return (float)(1000 * e + 10 * t + k); }
static float next_val(int e, int t, int k) { return (float)(-1000 * e - 10 * t - k - 1); }
static float rew_val(int e, int t) { return (float)(e + 0.01 * t); }

// Build episode e of length L in caller arrays (discrete: index (e + t) % n_act).
typedef struct {
    float obs[64 * DO], next[64 * DO], act[64 * 3], rew[64];
    int32_t idx[64];
    uint8_t term[64];
    grsn_episode ep;
} Ep;

static grsn_episode *make_ep(Ep *x, int e, int L, int discrete, int n_act, int ends_terminal) {
    for (int t = 0; t < L; t++) {
        for (int k = 0; k < DO; k++) { x->obs[t * DO + k] = obs_val(e, t, k); x->next[t * DO + k] = next_val(e, t, k); }
        x->idx[t] = (e + t) % n_act;
        for (int k = 0; k < n_act; k++) x->act[t * n_act + k] = 0.5f * (float)(e + t) + (float)k;
        x->rew[t] = rew_val(e, t);
        x->term[t] = ends_terminal && t == L - 1;
    }
    x->ep = (grsn_episode){ .len = L, .obs = x->obs, .next_obs = x->next, .rew = x->rew, .term = x->term,
                            .act = discrete ? NULL : x->act, .act_index = discrete ? x->idx : NULL };
    return &x->ep;
}

static grsn_seqbuf *new_buf(int64_t capacity, int discrete, int act_dim) {
    grsn_seqbuf_config c = grsn_seqbuf_defaults(DO, act_dim, discrete);
    c.capacity = capacity;
    c.seq_len = S;
    grsn_seqbuf *b = NULL;
    grsn_status st = grsn_seqbuf_init(&b, &c);
    if (st != GRSN_OK) printf("    init: %s\n", grsn_last_error());
    return b;
}

// A literal model of the Python buffer's valid_starts, _top and masks.
typedef struct { int64_t C, top; uint8_t valid[256]; } Ref;

static void ref_add(Ref *r, int L) {
    int n = L - S + 1 > 1 ? L - S + 1 : 1;
    for (int t = 0; t < L; t++) r->valid[(r->top + t) % r->C] = t < n;
    r->top = (r->top + L) % r->C;
}

static void ref_mask(const Ref *r, int64_t start, float *mask) {
    int v[S], diff[S];
    for (int j = 0; j < S; j++) v[j] = r->valid[(start + j) % r->C];
    diff[0] = 1;
    for (int j = 1; j < S; j++) diff[j] = v[j - 1] - v[j];
    for (int j = 0; j < S; j++) if ((start + j) % r->C == r->top) diff[j] = -1;
    int first = S;
    for (int j = 0; j < S; j++) if (diff[j] == -1) { first = j; break; }
    for (int j = 0; j < S; j++) mask[j] = j < first;
}

// Gather one window starting at `start` into a 1-window batch.
static void window(const grsn_seqbuf *b, grsn_seqbatch *bt, int64_t start) {
    bt->start[0] = start;
    CHECK(grsn_seqbuf_gather(b, bt) == GRSN_OK);
}

static int mask_is(const grsn_seqbatch *bt, const char *pattern) {
    for (int j = 0; j < S; j++) if (bt->mask[j] != (float)(pattern[j] == '1')) return 0;
    return 1;
}

// --- Bad input

TEST(bad_configs_and_episodes) {
    grsn_seqbuf *b = NULL;
    grsn_seqbuf_config c = grsn_seqbuf_defaults(3, 1, 0);
    CHECK(c.capacity == 1000000 && c.seq_len == 64);
    c.capacity = 100;
    c.seq_len = 1;  CHECK(grsn_seqbuf_init(&b, &c) == GRSN_ERR_ARG && !b);
    c.seq_len = 8;  c.obs_dim = 0; CHECK(grsn_seqbuf_init(&b, &c) == GRSN_ERR_ARG);
    c.obs_dim = 3;  c.capacity = 7; CHECK(grsn_seqbuf_init(&b, &c) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "capacity") != NULL);

    b = new_buf(40, 1, 2);
    Ep x;
    CHECK(grsn_seqbuf_add(b, make_ep(&x, 0, 1, 1, 2, 0)) == GRSN_ERR_ARG);     // L < 2
    CHECK(strstr(grsn_last_error(), "length 1") != NULL);
    grsn_episode *ep = make_ep(&x, 0, 41, 1, 2, 0);   // longer than capacity (arrays hold 64)
    CHECK(grsn_seqbuf_add(b, ep) == GRSN_ERR_ARG);
    ep = make_ep(&x, 0, 10, 1, 2, 0);
    x.idx[4] = 2;                                       // index out of [0, 2)
    CHECK(grsn_seqbuf_add(b, ep) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "index 2") != NULL);
    ep = make_ep(&x, 0, 10, 0, 2, 0);                   // continuous arrays for a discrete buffer
    CHECK(grsn_seqbuf_add(b, ep) == GRSN_ERR_ARG);
    CHECK(grsn_seqbuf_size(b) == 0 && grsn_seqbuf_num_starts(b) == 0 && grsn_seqbuf_episodes(b) == 0);

    grsn_seqbatch bt; grsn_rng rng; grsn_rng_seed(&rng, 0, GRSN_STREAM_REPLAY);
    CHECK(grsn_seqbatch_init(&bt, b, 4) == GRSN_OK);
    CHECK(grsn_seqbuf_sample(b, &rng, &bt) == GRSN_ERR_ARG);   // empty
    CHECK(strstr(grsn_last_error(), "empty") != NULL);
    bt.start[0] = 40;
    CHECK(grsn_seqbuf_gather(b, &bt) == GRSN_ERR_ARG);        // row outside the ring
    grsn_seqbatch_free(&bt);
    CHECK(grsn_seqbatch_init(&bt, b, 0) == GRSN_ERR_ARG);
    grsn_seqbuf_free(b);
}

// --- Windows, masks and alignment on a hand-built layout

// Capacity 64, S = 8. Episodes (rows): e0 L=20 [0,20), e1 L=5 [20,25),
// e2 L=8 [25,33), e3 L=9 [33,42), e4 L=3 [42,45); the write head is 45.
TEST(windows_and_masks) {
    grsn_seqbuf *b = new_buf(64, 1, 3);
    Ep x;
    const int lens[] = {20, 5, 8, 9, 3};
    for (int e = 0; e < 5; e++) CHECK(grsn_seqbuf_add(b, make_ep(&x, e, lens[e], 1, 3, e == 1)) == GRSN_OK);
    CHECK(grsn_seqbuf_size(b) == 45 && grsn_seqbuf_episodes(b) == 5 && grsn_seqbuf_write_head(b) == 45);
    // Valid starts: e0 the first 13 rows (20 - 8 + 1), e1..e4 one or two rows.
    CHECK(grsn_seqbuf_num_starts(b) == 13 + 1 + 1 + 2 + 1);
    const grsn_seqbuf_config *kept = grsn_seqbuf_get_config(b);   // the buffer's copy of its config
    CHECK(kept->capacity == 64 && kept->seq_len == S && kept->obs_dim == DO && kept->act_dim == 3 && kept->discrete);

    grsn_seqbatch bt;
    CHECK(grsn_seqbatch_init(&bt, b, 1) == GRSN_OK);
    // A long episode's last valid start (row 12): the window is rows 12..19,
    // all inside e0, so the mask is all ones.
    window(b, &bt, 12);
    CHECK(mask_is(&bt, "11111111"));
    CHECK(bt.obs[0] == obs_val(0, 12, 0) && bt.obs[(size_t)S * DO] == next_val(0, 19, 0));
    // A short episode (e1, L = 5) runs into e2: masked from e2's first row on.
    window(b, &bt, 20);
    CHECK(mask_is(&bt, "11111000"));
    CHECK(bt.obs[6 * DO] == next_val(2, 0, 0));   // the data continues into e2, unmasked by the recurrence
    // An episode of exactly S rows (e2) fills its window.
    window(b, &bt, 25);
    CHECK(mask_is(&bt, "11111111"));
    // e3 (L = 9): both valid starts stay inside it.
    window(b, &bt, 34);
    CHECK(mask_is(&bt, "11111111"));
    // The write head: e4 (L = 3) is followed by never-written rows, whose
    // valid flag is 0 like a tail; only the write-head rule ends the mask.
    window(b, &bt, 42);
    CHECK(mask_is(&bt, "11100000"));
    // Starts that are not valid starts still gather (the mask rules apply):
    // row 13 of e0 runs into e1 at row 20.
    window(b, &bt, 13);
    CHECK(mask_is(&bt, "11111110"));
    // Every row against the literal model.
    Ref ref = {.C = 64};
    for (int e = 0; e < 5; e++) ref_add(&ref, lens[e]);
    for (int64_t s0 = 0; s0 < 64; s0++) {
        float m[S];
        window(b, &bt, s0);
        ref_mask(&ref, s0, m);
        CHECK_MSG(!memcmp(m, bt.mask, sizeof m), "mask of the window at row %lld", (long long)s0);
    }
    grsn_seqbatch_free(&bt);
    grsn_seqbuf_free(b);
}

TEST(time_alignment_and_one_hot) {
    // §5.4 for a discrete buffer with 3 actions and a batch of 2 windows.
    grsn_seqbuf *b = new_buf(64, 1, 3);
    Ep x;
    CHECK(grsn_seqbuf_add(b, make_ep(&x, 1, 12, 1, 3, 1)) == GRSN_OK);   // rows 0..11, terminal at the end
    CHECK(grsn_seqbuf_add(b, make_ep(&x, 2, 10, 1, 3, 0)) == GRSN_OK);   // rows 12..21
    grsn_seqbatch bt;
    CHECK(grsn_seqbatch_init(&bt, b, 2) == GRSN_OK);
    CHECK(bt.batch == 2 && bt.seq_len == S && bt.obs_dim == DO && bt.act_dim == 3 && bt.act_index);
    bt.start[0] = 4;    // episode 1, step 4 (mid-episode: still a zero previous action)
    bt.start[1] = 13;   // episode 2, step 1
    CHECK(grsn_seqbuf_gather(b, &bt) == GRSN_OK);
    const int B = 2, e_of[2] = {1, 2}, t0[2] = {4, 1};
    int ok = 1;
    for (int i = 0; i < B; i++) {
        int e = e_of[i];
        // Index 0: the first observation, zero action, reward and flag.
        for (int k = 0; k < DO; k++) ok &= bt.obs[i * DO + k] == obs_val(e, t0[i], k);
        for (int k = 0; k < 3; k++) ok &= bt.act[i * 3 + k] == 0.0f;
        ok &= bt.rew[i] == 0.0f && bt.term[i] == 0.0f;
        for (int j = 0; j < S; j++) {
            int t = t0[i] + j;          // step of row j within the episode
            size_t o = (size_t)(j + 1) * B + i;
            for (int k = 0; k < DO; k++) ok &= bt.obs[o * DO + k] == next_val(e, t, k);
            int a = (e + t) % 3;
            for (int k = 0; k < 3; k++) ok &= bt.act[o * 3 + k] == (k == a ? 1.0f : 0.0f);
            ok &= bt.act_index[(size_t)j * B + i] == a;
            ok &= bt.rew[o] == rew_val(e, t);
            ok &= bt.term[o] == (e == 1 && t == 11 ? 1.0f : 0.0f);
            ok &= bt.mask[(size_t)j * B + i] == 1.0f;
        }
    }
    CHECK(ok);
    // The window from row 4 reaches row 11, the terminal transition: D[8] = 1.
    CHECK(bt.term[(size_t)S * B + 0] == 1.0f);
    grsn_seqbatch_free(&bt);
    grsn_seqbuf_free(b);
}

TEST(continuous_actions_stored_as_given) {
    // Pendulum's code-switch warm-up stores unclipped actions (§5.1): values pass through.
    grsn_seqbuf *b = new_buf(32, 0, 1);
    Ep x;
    grsn_episode *ep = make_ep(&x, 0, 10, 0, 1, 0);
    x.act[3] = 1.75f; x.act[4] = -1.9f;
    CHECK(grsn_seqbuf_add(b, ep) == GRSN_OK);
    grsn_seqbatch bt;
    CHECK(grsn_seqbatch_init(&bt, b, 1) == GRSN_OK);
    CHECK(bt.act_index == NULL && bt.act_dim == 1);
    window(b, &bt, 0);
    CHECK(bt.act[0] == 0.0f && bt.act[4] == 1.75f && bt.act[5] == -1.9f && bt.act[1] == x.act[0]);
    grsn_seqbatch_free(&bt);
    grsn_seqbuf_free(b);
}

TEST(push_matches_add) {
    // Staging transitions one by one stores what add() stores; one-hot or
    // score vectors become their first argmax (np.argmax).
    grsn_seqbuf *a = new_buf(64, 1, 2), *p = new_buf(64, 1, 2);
    Ep x;
    for (int e = 0; e < 3; e++) {
        int L = 6 + 5 * e;
        CHECK(grsn_seqbuf_add(a, make_ep(&x, e, L, 1, 2, e == 0)) == GRSN_OK);
        for (int t = 0; t < L; t++) {
            float act[2] = {0, 0};
            act[x.idx[t]] = 1.0f;
            if (t == 2) { act[x.idx[t]] = 0.9f; act[1 - x.idx[t]] = 0.1f; }   // scores, not one-hot
            CHECK(grsn_seqbuf_push(p, &x.obs[t * DO], act, x.rew[t], x.term[t], &x.next[t * DO]) == GRSN_OK);
        }
        CHECK(grsn_seqbuf_end_episode(p) == GRSN_OK);
    }
    grsn_seqbatch ba, bp;
    CHECK(grsn_seqbatch_init(&ba, a, 1) == GRSN_OK && grsn_seqbatch_init(&bp, p, 1) == GRSN_OK);
    int same = 1;
    for (int64_t s0 = 0; s0 < 64; s0++) {
        window(a, &ba, s0); window(p, &bp, s0);
        same &= !memcmp(ba.obs, bp.obs, (S + 1) * DO * sizeof(float))
             && !memcmp(ba.act, bp.act, (S + 1) * 2 * sizeof(float))
             && !memcmp(ba.rew, bp.rew, (S + 1) * sizeof(float))
             && !memcmp(ba.term, bp.term, (S + 1) * sizeof(float))
             && !memcmp(ba.mask, bp.mask, S * sizeof(float));
    }
    CHECK(same);
    CHECK(grsn_seqbuf_num_starts(a) == grsn_seqbuf_num_starts(p) && grsn_seqbuf_size(p) == 6 + 11 + 16);
    // A tie stores the first index.
    float o[DO] = {0}, tie[2] = {0.5f, 0.5f}, right[2] = {0, 1};
    CHECK(grsn_seqbuf_push(p, o, right, 0, 0, o) == GRSN_OK);
    CHECK(grsn_seqbuf_push(p, o, tie, 0, 0, o) == GRSN_OK);
    CHECK(grsn_seqbuf_end_episode(p) == GRSN_OK);
    window(p, &bp, 33);
    CHECK(bp.act_index[0] == 1 && bp.act_index[1] == 0 && bp.act[2 * 2 + 0] == 1.0f && bp.act[2 * 2 + 1] == 0.0f);
    grsn_seqbatch_free(&ba); grsn_seqbatch_free(&bp);
    grsn_seqbuf_free(a);
    // The stage has a limit, and an episode of one step is refused but cleared.
    CHECK(grsn_seqbuf_push(p, o, right, 0, 0, o) == GRSN_OK);
    CHECK(grsn_seqbuf_end_episode(p) == GRSN_ERR_ARG);
    for (int t = 0; t < 1000; t++) CHECK(grsn_seqbuf_push(p, o, right, 0, 0, o) == GRSN_OK);
    CHECK(grsn_seqbuf_push(p, o, right, 0, 0, o) == GRSN_ERR_ARG);
    grsn_seqbuf_free(p);
}

// --- Sampling

TEST(sampling_is_uniform_over_valid_starts) {
    grsn_seqbuf *b = new_buf(64, 1, 3);
    Ep x;
    const int lens[] = {20, 5, 8, 9, 3};
    for (int e = 0; e < 5; e++) CHECK(grsn_seqbuf_add(b, make_ep(&x, e, lens[e], 1, 3, 0)) == GRSN_OK);
    Ref ref = {.C = 64};
    for (int e = 0; e < 5; e++) ref_add(&ref, lens[e]);
    grsn_seqbatch bt; grsn_rng rng;
    CHECK(grsn_seqbatch_init(&bt, b, 32) == GRSN_OK);
    grsn_rng_seed(&rng, 4, GRSN_STREAM_REPLAY);
    long count[64] = {0}, invalid = 0, total = 0;
    for (int it = 0; it < 2000; it++) {
        CHECK(grsn_seqbuf_sample(b, &rng, &bt) == GRSN_OK);
        for (int i = 0; i < 32; i++) { count[bt.start[i]]++; invalid += !ref.valid[bt.start[i]]; total++; }
    }
    CHECK(invalid == 0);
    const double expect = (double)total / 18.0;   // 18 valid starts
    int spread_ok = 1;
    for (int r = 0; r < 64; r++)
        if (ref.valid[r]) spread_ok &= fabs(count[r] - expect) < 0.06 * expect;
    CHECK(spread_ok);
    // The same stream gives the same batch.
    grsn_rng r1, r2; grsn_seqbatch b2;
    CHECK(grsn_seqbatch_init(&b2, b, 32) == GRSN_OK);
    grsn_rng_seed(&r1, 11, GRSN_STREAM_REPLAY); grsn_rng_seed(&r2, 11, GRSN_STREAM_REPLAY);
    grsn_seqbuf_sample(b, &r1, &bt); grsn_seqbuf_sample(b, &r2, &b2);
    CHECK(!memcmp(bt.start, b2.start, 32 * sizeof(int64_t)) && !memcmp(bt.obs, b2.obs, (S + 1) * 32 * DO * sizeof(float)));
    grsn_seqbatch_free(&b2);
    grsn_seqbatch_free(&bt);
    grsn_seqbuf_free(b);
}

TEST(ring_wraps_like_the_python_buffer) {
    // Capacity 40 with episodes of assorted lengths: the ring wraps many
    // times; old episodes are partly overwritten and keep their remaining
    // valid starts. After every episode the valid starts, the stored size and
    // every window's mask must agree with the literal model.
    const int64_t C = 40;
    grsn_seqbuf *b = new_buf(C, 1, 2);
    Ref ref = {.C = C};
    grsn_seqbatch one, many; grsn_rng rng;
    CHECK(grsn_seqbatch_init(&one, b, 1) == GRSN_OK && grsn_seqbatch_init(&many, b, 64) == GRSN_OK);
    grsn_rng_seed(&rng, 2, GRSN_STREAM_REPLAY);
    Ep x;
    const int lens[] = {12, 7, 30, 2, 9, 40, 3, 17, 8, 25, 2, 2, 11, 39, 5, 13};
    int64_t total = 0;
    int ok_starts = 1, ok_masks = 1, ok_data = 1;
    for (int e = 0; e < (int)(sizeof lens / sizeof lens[0]); e++) {
        CHECK(grsn_seqbuf_add(b, make_ep(&x, e, lens[e], 1, 2, 0)) == GRSN_OK);
        ref_add(&ref, lens[e]);
        total += lens[e];
        CHECK(grsn_seqbuf_size(b) == (total < C ? total : C));
        CHECK(grsn_seqbuf_write_head(b) == ref.top);
        int64_t nvalid = 0;
        for (int64_t r = 0; r < C; r++) nvalid += ref.valid[r];
        ok_starts &= grsn_seqbuf_num_starts(b) == nvalid;
        for (int k = 0; k < 20; k++) {
            CHECK(grsn_seqbuf_sample(b, &rng, &many) == GRSN_OK);
            for (int i = 0; i < 64; i++) ok_starts &= ref.valid[many.start[i]] == 1;
        }
        for (int64_t s0 = 0; s0 < C; s0++) {
            float m[S];
            window(b, &one, s0);
            ref_mask(&ref, s0, m);
            ok_masks &= !memcmp(m, one.mask, sizeof m);
        }
        // The newest episode reads back intact from its first row.
        window(b, &one, (ref.top - lens[e] + C) % C);
        for (int j = 0; j < S && j < lens[e]; j++) ok_data &= one.obs[(size_t)(j + 1) * DO] == next_val(e, j, 0);
    }
    CHECK(ok_starts); CHECK(ok_masks); CHECK(ok_data);
    grsn_seqbatch_free(&one); grsn_seqbatch_free(&many);
    grsn_seqbuf_free(b);
}

int main(void) {
    RUN(bad_configs_and_episodes);
    RUN(windows_and_masks);
    RUN(time_alignment_and_one_hot);
    RUN(continuous_actions_stored_as_given);
    RUN(push_matches_add);
    RUN(sampling_is_uniform_over_valid_starts);
    RUN(ring_wraps_like_the_python_buffer);
    return test_summary("test_seqbuf");
}
