/*
 * seqbuf.c — the sequence replay buffer of grsn_replay.h, with the semantics
 * of pomdp-baselines' SeqReplayBuffer (reference-implementation.md §5).
 *
 * Storage (§5.1): flat ring arrays of `capacity` rows. An episode of length L
 * is written at rows top, top+1, ... (mod capacity); its first
 * n = max(1, L − S + 1) rows are valid starts, so a window that starts there
 * and runs S rows never leaves a long episode, while a short episode (L <= S)
 * has its first row as its only start. The weight of a valid start is
 * (baseline + n) / n = 1 with the code's baseline 0, so the starts are
 * sampled uniformly and a binary flag per row is all we keep.
 *
 * Sampling (§5.2) draws uniformly among the valid-start rows. To draw in O(1)
 * they are also kept in a queue in the order they were written: rows are
 * overwritten in the same order, so the starts that an episode overwrites
 * are always at the front of the queue. Old episodes that are only partly
 * overwritten keep their remaining starts, as in the Python code.
 */
#include "common.h"
#include "tensorlist.h"

// The ring's counters as a saved state lists them.
enum { RS_C, RS_TOP, RS_SIZE, RS_EPISODES, RS_HEAD, RS_COUNT, RS_N };

struct grsn_seqbuf {
    grsn_seqbuf_config cfg;
    int64_t C;            // capacity
    float *obs;           // (C, obs_dim)
    float *next_obs;      // (C, obs_dim)
    float *act;           // continuous: (C, act_dim)
    int32_t *act_index;   // discrete: (C)
    float *rew;           // (C)
    uint8_t *term;        // (C)
    uint8_t *valid;       // (C) 1 where valid_starts > 0
    int32_t *starts;      // (C) ring queue of valid-start rows, oldest first
    int64_t starts_head, starts_count;
    int64_t top;          // the write head, `_top`
    int64_t size;         // stored rows, min(total written, C)
    int64_t episodes;
    // The stage of push()/end_episode(): one episode in the layout of grsn_episode.
    int stage_cap, stage_len;
    float *s_obs, *s_next, *s_act, *s_rew;   // (cap, obs_dim), (cap, obs_dim), (cap, act_dim), (cap)
    int32_t *s_index;                        // (cap)
    uint8_t *s_term;                         // (cap)
    int64_t saved[RS_N];                     // the counters of a saved state (see the end of this file)
};
grsn_seqbuf_config grsn_seqbuf_defaults(int obs_dim, int act_dim, int discrete) {
    grsn_seqbuf_config c;
    memset(&c, 0, sizeof c);
    c.capacity = GRSN_SEQBUF_CAPACITY;
    c.obs_dim = obs_dim;
    c.act_dim = act_dim;
    c.discrete = discrete;
    c.seq_len = GRSN_SEQBUF_SEQ_LEN;
    return c;
}

// ---------------------------------------------------------------------------
// Init and free

void grsn_seqbuf_free(grsn_seqbuf *b) {
    if (!b) return;
    free(b->obs); free(b->next_obs); free(b->act); free(b->act_index); free(b->rew);
    free(b->term); free(b->valid); free(b->starts);
    free(b->s_obs); free(b->s_next); free(b->s_act); free(b->s_rew); free(b->s_index); free(b->s_term);
    free(b);
}

grsn_status grsn_seqbuf_init(grsn_seqbuf **out, const grsn_seqbuf_config *cfg) {
    *out = NULL;
    if (cfg->obs_dim < 1 || cfg->act_dim < 1)
        return grsn_fail(GRSN_ERR_ARG, "replay: obs_dim %d and act_dim %d must be >= 1", cfg->obs_dim, cfg->act_dim);
    if (cfg->seq_len < 2)
        return grsn_fail(GRSN_ERR_ARG, "replay: sequence length %d must be >= 2", cfg->seq_len);
    if (cfg->capacity < cfg->seq_len || cfg->capacity > INT32_MAX)
        return grsn_fail(GRSN_ERR_ARG, "replay: capacity %lld must lie in [seq_len = %d, 2^31)",
                         (long long)cfg->capacity, cfg->seq_len);
    if (cfg->max_episode_len < 0)
        return grsn_fail(GRSN_ERR_ARG, "replay: max_episode_len %d must be >= 0", cfg->max_episode_len);
    grsn_seqbuf *b = grsn_calloc(1, sizeof *b);
    if (!b) return GRSN_ERR_OOM;
    b->cfg = *cfg;
    b->C = cfg->capacity;
    size_t C = (size_t)cfg->capacity, dO = (size_t)cfg->obs_dim, dA = (size_t)cfg->act_dim;
    b->stage_cap = cfg->max_episode_len ? cfg->max_episode_len : 1000;
    size_t S = (size_t)b->stage_cap;
    int ok = (b->obs = grsn_calloc(C * dO, sizeof(float))) && (b->next_obs = grsn_calloc(C * dO, sizeof(float)))
          && (b->rew = grsn_calloc(C, sizeof(float))) && (b->term = grsn_calloc(C, 1))
          && (b->valid = grsn_calloc(C, 1)) && (b->starts = grsn_calloc(C, sizeof(int32_t)))
          && (b->s_obs = grsn_calloc(S * dO, sizeof(float))) && (b->s_next = grsn_calloc(S * dO, sizeof(float)))
          && (b->s_rew = grsn_calloc(S, sizeof(float))) && (b->s_term = grsn_calloc(S, 1));
    if (ok && cfg->discrete)
        ok = (b->act_index = grsn_calloc(C, sizeof(int32_t))) && (b->s_index = grsn_calloc(S, sizeof(int32_t)));
    else if (ok)
        ok = (b->act = grsn_calloc(C * dA, sizeof(float))) && (b->s_act = grsn_calloc(S * dA, sizeof(float)));
    if (!ok) { grsn_seqbuf_free(b); return GRSN_ERR_OOM; }
    *out = b;
    return GRSN_OK;
}

int64_t grsn_seqbuf_size(const grsn_seqbuf *b) { return b->size; }
int64_t grsn_seqbuf_num_starts(const grsn_seqbuf *b) { return b->starts_count; }
int64_t grsn_seqbuf_episodes(const grsn_seqbuf *b) { return b->episodes; }
int64_t grsn_seqbuf_write_head(const grsn_seqbuf *b) { return b->top; }
const grsn_seqbuf_config *grsn_seqbuf_get_config(const grsn_seqbuf *b) { return &b->cfg; }

// ---------------------------------------------------------------------------
// Adding episodes (§5.1)

grsn_status grsn_seqbuf_add(grsn_seqbuf *b, const grsn_episode *ep) {
    const int64_t C = b->C, L = ep->len, S = b->cfg.seq_len;
    const int dO = b->cfg.obs_dim, dA = b->cfg.act_dim;
    if (L < 2 || L > C)
        return grsn_fail(GRSN_ERR_ARG, "replay: episode length %lld outside [2, capacity = %lld]",
                         (long long)L, (long long)C);
    if (!ep->obs || !ep->next_obs || !ep->rew || !ep->term || (b->cfg.discrete ? !ep->act_index : !ep->act))
        return grsn_fail(GRSN_ERR_ARG, "replay: episode lacks an array (%s actions need %s)",
                         b->cfg.discrete ? "discrete" : "continuous", b->cfg.discrete ? "act_index" : "act");
    if (b->cfg.discrete)
        for (int64_t t = 0; t < L; t++)
            if (ep->act_index[t] < 0 || ep->act_index[t] >= dA)
                return grsn_fail(GRSN_ERR_ARG, "replay: action index %d at step %lld outside [0, %d)",
                                 (int)ep->act_index[t], (long long)t, dA);

    // The rows [top, top + L) are about to be overwritten: forget their starts.
    while (b->starts_count > 0) {
        int64_t row = b->starts[b->starts_head];
        if ((row - b->top + C) % C >= L) break;
        b->starts_head = (b->starts_head + 1) % C;
        b->starts_count--;
    }

    // valid_starts of the new episode: 1 for the first n rows, 0 after.
    const int64_t n = L - S + 1 > 1 ? L - S + 1 : 1;
    for (int64_t t = 0; t < L; t++) {
        int64_t r = (b->top + t) % C;
        memcpy(&b->obs[r * dO], &ep->obs[t * dO], (size_t)dO * sizeof(float));
        memcpy(&b->next_obs[r * dO], &ep->next_obs[t * dO], (size_t)dO * sizeof(float));
        if (b->cfg.discrete) b->act_index[r] = ep->act_index[t];
        else memcpy(&b->act[r * dA], &ep->act[t * dA], (size_t)dA * sizeof(float));
        b->rew[r] = ep->rew[t];
        b->term[r] = ep->term[t] != 0;
        b->valid[r] = t < n;
        if (t < n) {
            b->starts[(b->starts_head + b->starts_count) % C] = (int32_t)r;
            b->starts_count++;
        }
    }
    b->top = (b->top + L) % C;
    b->size = b->size + L < C ? b->size + L : C;
    b->episodes++;
    return GRSN_OK;
}

// First index of the largest value (np.argmax).
static int argmax(const float *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (v[i] > v[best]) best = i;
    return best;
}

grsn_status grsn_seqbuf_push(grsn_seqbuf *b, const float *obs, const float *act, float rew, int term,
                             const float *next_obs) {
    if (b->stage_len >= b->stage_cap)
        return grsn_fail(GRSN_ERR_ARG, "replay: episode longer than max_episode_len = %d; "
                         "call grsn_seqbuf_end_episode at each episode end", b->stage_cap);
    const size_t t = (size_t)b->stage_len, dO = (size_t)b->cfg.obs_dim, dA = (size_t)b->cfg.act_dim;
    memcpy(&b->s_obs[t * dO], obs, dO * sizeof(float));
    memcpy(&b->s_next[t * dO], next_obs, dO * sizeof(float));
    if (b->cfg.discrete) b->s_index[t] = argmax(act, (int)dA);
    else memcpy(&b->s_act[t * dA], act, dA * sizeof(float));
    b->s_rew[t] = rew;
    b->s_term[t] = term != 0;
    b->stage_len++;
    return GRSN_OK;
}

grsn_status grsn_seqbuf_end_episode(grsn_seqbuf *b) {
    grsn_episode ep = {
        .len = b->stage_len, .obs = b->s_obs, .act = b->s_act, .act_index = b->s_index,
        .rew = b->s_rew, .term = b->s_term, .next_obs = b->s_next,
    };
    b->stage_len = 0;
    return grsn_seqbuf_add(b, &ep);
}

// ---------------------------------------------------------------------------
// Batches (§5.2–5.4)

void grsn_seqbatch_free(grsn_seqbatch *bt) {
    free(bt->obs); free(bt->act); free(bt->rew); free(bt->term); free(bt->mask);
    free(bt->act_index); free(bt->start);
    memset(bt, 0, sizeof *bt);
}

grsn_status grsn_seqbatch_init(grsn_seqbatch *bt, const grsn_seqbuf *b, int batch) {
    memset(bt, 0, sizeof *bt);
    if (batch < 1) return grsn_fail(GRSN_ERR_ARG, "replay: batch size %d must be >= 1", batch);
    const size_t B = (size_t)batch, S = (size_t)b->cfg.seq_len;
    bt->batch = batch;
    bt->seq_len = b->cfg.seq_len;
    bt->obs_dim = b->cfg.obs_dim;
    bt->act_dim = b->cfg.act_dim;
    int ok = (bt->obs = grsn_calloc((S + 1) * B * (size_t)bt->obs_dim, sizeof(float)))
          && (bt->act = grsn_calloc((S + 1) * B * (size_t)bt->act_dim, sizeof(float)))
          && (bt->rew = grsn_calloc((S + 1) * B, sizeof(float)))
          && (bt->term = grsn_calloc((S + 1) * B, sizeof(float)))
          && (bt->mask = grsn_calloc(S * B, sizeof(float)))
          && (bt->start = grsn_calloc(B, sizeof(int64_t)))
          && (!b->cfg.discrete || (bt->act_index = grsn_calloc(S * B, sizeof(int32_t))));
    if (!ok) { grsn_seqbatch_free(bt); return GRSN_ERR_OOM; }
    return GRSN_OK;
}

grsn_status grsn_seqbuf_gather(const grsn_seqbuf *b, grsn_seqbatch *bt) {
    const int64_t C = b->C;
    const int S = b->cfg.seq_len, B = bt->batch, dO = b->cfg.obs_dim, dA = b->cfg.act_dim;
    if (bt->seq_len != S || bt->obs_dim != dO || bt->act_dim != dA)
        return grsn_fail(GRSN_ERR_ARG, "replay: batch shaped (S %d, d_o %d, d_a %d) for a buffer of (%d, %d, %d)",
                         bt->seq_len, bt->obs_dim, bt->act_dim, S, dO, dA);
    if (b->cfg.discrete && !bt->act_index)
        return grsn_fail(GRSN_ERR_ARG, "replay: batch lacks act_index for a discrete buffer");
    for (int i = 0; i < B; i++)
        if (bt->start[i] < 0 || bt->start[i] >= C)
            return grsn_fail(GRSN_ERR_ARG, "replay: window start %lld outside [0, %lld)",
                             (long long)bt->start[i], (long long)C);

    for (int i = 0; i < B; i++) {
        const int64_t s0 = bt->start[i];
        // Index 0: the first observation, with a zero previous action, reward and flag (§5.4).
        memcpy(&bt->obs[(size_t)i * dO], &b->obs[s0 * dO], (size_t)dO * sizeof(float));
        memset(&bt->act[(size_t)i * dA], 0, (size_t)dA * sizeof(float));
        bt->rew[i] = 0.0f;
        bt->term[i] = 0.0f;

        int cut = S;       // the mask is 1 before `cut` and 0 from it on (§5.3)
        int v_prev = 0;
        for (int j = 0; j < S; j++) {
            const int64_t r = (s0 + j) % C;
            const size_t o = (size_t)(j + 1) * (size_t)B + (size_t)i;   // index t = j + 1, row i
            memcpy(&bt->obs[o * dO], &b->next_obs[r * dO], (size_t)dO * sizeof(float));
            if (b->cfg.discrete) {
                float *a = &bt->act[o * dA];
                memset(a, 0, (size_t)dA * sizeof(float));
                a[b->act_index[r]] = 1.0f;
                bt->act_index[(size_t)j * B + i] = b->act_index[r];
            } else {
                memcpy(&bt->act[o * dA], &b->act[r * dA], (size_t)dA * sizeof(float));
            }
            bt->rew[o] = b->rew[r];
            bt->term[o] = b->term[r];

            // diff_0 = 1, diff_j = v_{j-1} - v_j, forced to -1 at the write
            // head; the mask ends at the first -1: the next episode's first
            // row, or the write head.
            int v = b->valid[r];
            int diff = j == 0 ? 1 : v_prev - v;
            if (r == b->top) diff = -1;
            if (diff == -1 && cut == S) cut = j;
            v_prev = v;
        }
        for (int j = 0; j < S; j++) bt->mask[(size_t)j * B + i] = j < cut ? 1.0f : 0.0f;
    }
    return GRSN_OK;
}

grsn_status grsn_seqbuf_sample(const grsn_seqbuf *b, grsn_rng *rng, grsn_seqbatch *bt) {
    if (b->starts_count == 0)
        return grsn_fail(GRSN_ERR_ARG, "replay: cannot sample from an empty buffer");
    for (int i = 0; i < bt->batch; i++) {
        int64_t k = grsn_rng_below(rng, (uint32_t)b->starts_count);
        bt->start[i] = b->starts[(b->starts_head + k) % b->C];
    }
    return grsn_seqbuf_gather(b, bt);
}

// ----------------------------------------------------------------------------
// Saving and restoring (a run's resume state)
//
// "replay.state" holds the ring's counters. A buffer that never wrapped
// (rows 0 .. size-1 written once, the start queue from 0) is saved as its
// first `size` rows and `count` starts, and loads into any buffer that holds
// them: a resumed run with a larger budget has a larger buffer. A ring that
// wrapped is saved whole and loads only into the same capacity.

static int saved_whole(const int64_t *st) { return !(st[RS_SIZE] < st[RS_C] && st[RS_HEAD] == 0); }

// The row arrays and start queue, as many rows as b->saved says.
static grsn_status list_state(grsn_seqbuf *b, GrsnTensorList *t) {
    int whole = saved_whole(b->saved);
    uint64_t rows = (uint64_t)(whole ? b->saved[RS_C] : b->saved[RS_SIZE]);
    uint64_t nst = (uint64_t)(whole ? b->saved[RS_C] : b->saved[RS_COUNT]), O = (uint64_t)b->cfg.obs_dim;
    GRSN_TRY(grsn_tensors_add(t, "replay.state", GRSN_DT_I64, b->saved, 1, RS_N, 0));
    GRSN_TRY(grsn_tensors_add(t, "replay.obs", GRSN_DT_F32, b->obs, 2, rows, O));
    GRSN_TRY(grsn_tensors_add(t, "replay.next_obs", GRSN_DT_F32, b->next_obs, 2, rows, O));
    if (b->cfg.discrete) GRSN_TRY(grsn_tensors_add(t, "replay.act_index", GRSN_DT_I32, b->act_index, 1, rows, 0));
    else GRSN_TRY(grsn_tensors_add(t, "replay.act", GRSN_DT_F32, b->act, 2, rows, (uint64_t)b->cfg.act_dim));
    GRSN_TRY(grsn_tensors_add(t, "replay.rew", GRSN_DT_F32, b->rew, 1, rows, 0));
    GRSN_TRY(grsn_tensors_add(t, "replay.term", GRSN_DT_U8, b->term, 1, rows, 0));
    GRSN_TRY(grsn_tensors_add(t, "replay.valid", GRSN_DT_U8, b->valid, 1, rows, 0));
    return grsn_tensors_add(t, "replay.starts", GRSN_DT_I32, b->starts, 1, nst, 0);
}

grsn_status grsn_seqbuf_add_tensors(grsn_seqbuf *b, GrsnTensorList *t) {
    GRSN_ASSERT(b->stage_len == 0, "replay state saved with %d staged rows (mid-episode)", b->stage_len);
    GRSN_ASSERT(b->size > 0 && b->starts_count > 0, "replay state saved while empty");
    int64_t st[RS_N] = {b->C, b->top, b->size, b->episodes, b->starts_head, b->starts_count};
    memcpy(b->saved, st, sizeof st);
    return list_state(b, t);
}

grsn_status grsn_seqbuf_list_saved(grsn_seqbuf *b, const GrsnCkptFile *f, const char *path, GrsnTensorList *t) {
    uint64_t dims[1] = {RS_N};
    GRSN_TRY(grsn_ckpt_get(f, "replay.state", GRSN_DT_I64, 1, dims, b->saved));
    const int64_t *st = b->saved;
    if (st[RS_C] < 1 || st[RS_SIZE] < 1 || st[RS_SIZE] > st[RS_C] || st[RS_TOP] < 0 || st[RS_TOP] >= st[RS_C] ||
        st[RS_EPISODES] < 1 || st[RS_HEAD] < 0 || st[RS_HEAD] >= st[RS_C] || st[RS_COUNT] < 1 ||
        st[RS_COUNT] > st[RS_SIZE])   // each held episode starts at a held row
        return grsn_fail(GRSN_ERR_FORMAT, "%s: replay counters out of range", path);
    if (saved_whole(st) ? st[RS_C] != b->C : st[RS_SIZE] > b->C)
        return grsn_fail(GRSN_ERR_FORMAT, "%s: a replay buffer of %lld rows (%lld stored) does not fit this run's "
                         "%lld rows", path, (long long)st[RS_C], (long long)st[RS_SIZE], (long long)b->C);
    return list_state(b, t);
}

grsn_status grsn_seqbuf_finish_load(grsn_seqbuf *b, const char *path) {
    const int64_t *st = b->saved;
    b->top = st[RS_TOP]; b->size = st[RS_SIZE]; b->episodes = st[RS_EPISODES];
    b->starts_head = st[RS_HEAD]; b->starts_count = st[RS_COUNT];
    for (int64_t i = 0; i < b->starts_count; i++) {
        int64_t row = b->starts[(b->starts_head + i) % b->C];
        if (row < 0 || row >= b->size || !b->valid[row])
            return grsn_fail(GRSN_ERR_FORMAT, "%s: replay start %lld is not a valid row", path, (long long)row);
    }
    if (b->cfg.discrete)
        for (int64_t i = 0; i < b->size; i++)
            if (b->act_index[i] < 0 || b->act_index[i] >= b->cfg.act_dim)
                return grsn_fail(GRSN_ERR_FORMAT, "%s: replay action %d out of range", path, b->act_index[i]);
    return GRSN_OK;
}
