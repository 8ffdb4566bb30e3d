/*
 * grsn_replay.h — the sequence replay buffer of pomdp-baselines
 * (seq_replay_buffer_vanilla.py), which the paper's code uses unchanged
 * (reference-implementation.md §5). Whole episodes are stored contiguously in
 * a ring of `capacity` transitions. A batch is B windows of S consecutive
 * rows (the paper: 32 × 64), each starting at a row drawn uniformly, with
 * replacement, among the "valid starts": the first max(1, L − S + 1) rows of
 * every episode of length L. A window that runs past the end of a short
 * episode continues into the rows that follow; a mask excludes them from the
 * losses. The batch comes out time-major and already aligned for a recurrent
 * update (§5.4): index 0 holds the first observation with a zero previous
 * action and reward, index t + 1 the t-th transition.
 *
 *   grsn_seqbuf *buf; grsn_seqbatch batch; grsn_rng rng;
 *   grsn_seqbuf_config cfg = grsn_seqbuf_defaults(obs_dim, act_dim, discrete);
 *   grsn_seqbuf_init(&buf, &cfg);
 *   grsn_seqbatch_init(&batch, buf, 32);
 *   grsn_rng_seed(&rng, seed, GRSN_STREAM_REPLAY);
 *   ... per step:      grsn_seqbuf_push(buf, obs, act, reward, term, next_obs);
 *   ... episode end:   grsn_seqbuf_end_episode(buf);
 *   ... per update:    grsn_seqbuf_sample(buf, &rng, &batch);
 *
 * Everything is allocated by the init functions; push, add and sample never
 * allocate.
 */
#ifndef GRSN_REPLAY_H
#define GRSN_REPLAY_H

#include "grsn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GRSN_SEQBUF_CAPACITY 1000000  // the paper's buffer_size (never fills in Table 1's runs)
#define GRSN_SEQBUF_SEQ_LEN  64       // sampled_seq_len S (Table 3's "Total Time Steps 64")
#define GRSN_SEQBUF_BATCH    32       // windows per batch B

// ----------------------------------------------------------------------------
// The buffer

typedef struct {
    int64_t capacity;     // ring rows (transitions); 1 <= capacity < 2^31, and >= seq_len
    int obs_dim;          // d_o
    int act_dim;          // continuous: d_a; discrete: number of actions (width of the one-hot)
    int discrete;         // 1: actions are stored as indices and returned one-hot
    int seq_len;          // S >= 2, the window length
    int max_episode_len;  // rows push() can stage before end_episode(); 0: 1000
} grsn_seqbuf_config;

typedef struct grsn_seqbuf grsn_seqbuf;

// The paper's settings (capacity 1e6, S = 64) for the given sizes.
grsn_seqbuf_config grsn_seqbuf_defaults(int obs_dim, int act_dim, int discrete);

// Allocate a buffer. GRSN_ERR_ARG on bad sizes, GRSN_ERR_OOM if memory runs out.
grsn_status grsn_seqbuf_init(grsn_seqbuf **out, const grsn_seqbuf_config *cfg);
void grsn_seqbuf_free(grsn_seqbuf *buf);

// One episode of L transitions (obs_t, a_t, r_t, term_t, obs_{t+1}).
typedef struct {
    int len;                   // L >= 2 (pomdp-baselines asserts it) and <= capacity
    const float *obs;          // (L, obs_dim) the observation each action was taken at
    const float *act;          // continuous: (L, act_dim); NULL for discrete
    const int32_t *act_index;  // discrete: (L) action indices in [0, act_dim); NULL for continuous
    const float *rew;          // (L)
    const uint8_t *term;       // (L) 1 if the transition reached a true terminal state (grsn_env_result.terminated)
    const float *next_obs;     // (L, obs_dim)
} grsn_episode;

// Store a whole episode at the write head, overwriting the oldest rows (§5.1).
// GRSN_ERR_ARG if L < 2, L > capacity or a discrete index is out of range;
// the buffer is then unchanged.
grsn_status grsn_seqbuf_add(grsn_seqbuf *buf, const grsn_episode *ep);

// The same, one transition at a time. push stages a transition; act is the
// action vector (act_dim floats) exactly as given to grsn_env_step: the
// continuous action, or for discrete actions a one-hot (or score) vector whose
// first argmax is stored as the index. end_episode stores the staged episode
// with grsn_seqbuf_add and empties the stage, also when adding fails. push
// fails with GRSN_ERR_ARG when the stage is full (max_episode_len rows).
grsn_status grsn_seqbuf_push(grsn_seqbuf *buf, const float *obs, const float *act, float rew,
                             int term, const float *next_obs);
grsn_status grsn_seqbuf_end_episode(grsn_seqbuf *buf);

int64_t grsn_seqbuf_size(const grsn_seqbuf *buf);          // stored transitions, <= capacity
int64_t grsn_seqbuf_num_starts(const grsn_seqbuf *buf);    // rows a window may start at
int64_t grsn_seqbuf_episodes(const grsn_seqbuf *buf);      // episodes added so far
int64_t grsn_seqbuf_write_head(const grsn_seqbuf *buf);    // `_top`: the row the next episode starts at
const grsn_seqbuf_config *grsn_seqbuf_get_config(const grsn_seqbuf *buf);

// ----------------------------------------------------------------------------
// Batches (§5.2–5.4)

// B windows of S rows, time-major, aligned for the recurrent update:
//   O[0] = obs of the first row,        O[t+1] = next_obs of row t
//   A[0] = 0,                           A[t+1] = action of row t (one-hot if discrete)
//   R[0] = 0,                           R[t+1] = reward of row t
//   D[0] = 0,                           D[t+1] = terminal flag of row t
// The encoder at index t reads (A[t], R[t], O[t]); the losses at t = 0..S-1
// use A[t+1], R[t+1], D[t+1] and are weighted by mask[t].
typedef struct {
    int batch, seq_len;   // B, S
    int obs_dim, act_dim; // d_o, d_a (the one-hot width for discrete actions)
    float *obs;           // O    (S+1, B, obs_dim)
    float *act;           // A    (S+1, B, act_dim)
    float *rew;           // R    (S+1, B)
    float *term;          // D    (S+1, B)
    float *mask;          // m    (S, B)
    int32_t *act_index;   // discrete: (S, B) the index behind A[t+1]; NULL for continuous
    int64_t *start;       // (B) the ring row each window starts at
} grsn_seqbatch;

// Allocate a batch of B windows shaped for `buf`.
grsn_status grsn_seqbatch_init(grsn_seqbatch *bt, const grsn_seqbuf *buf, int batch);
void grsn_seqbatch_free(grsn_seqbatch *bt);

// Draw bt->batch starts uniformly with replacement among the valid starts
// using `rng` (the replay stream), then gather the windows.
// GRSN_ERR_ARG if the buffer holds no episode yet.
grsn_status grsn_seqbuf_sample(const grsn_seqbuf *buf, grsn_rng *rng, grsn_seqbatch *bt);

// Gather the windows that start at the rows in bt->start (any row in
// [0, capacity); no check that it is a valid start) and compute their masks.
grsn_status grsn_seqbuf_gather(const grsn_seqbuf *buf, grsn_seqbatch *bt);

#ifdef __cplusplus
}
#endif

#endif // GRSN_REPLAY_H
