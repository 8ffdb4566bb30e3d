/*
 * tensorlist.h — the list of named tensors a training run stores in a
 * checkpoint (ckpt.h), built from pointers into the live learner: written
 * as it is by grsn_ckpt_write, or filled back from a checkpoint.
 *
 *   GrsnTensorList t = {0};
 *   GRSN_TRY(grsn_tensors_add_arena(&t, params, "", params->data));
 *   GRSN_TRY(grsn_tensors_add(&t, "adam.step", GRSN_DT_I64, &step, 1, 1, 0));
 *   st = grsn_ckpt_write(path, ..., t.rec, t.n);   // or grsn_tensors_read
 *   grsn_tensors_free(&t);
 */
#ifndef GRSN_TENSORLIST_H
#define GRSN_TENSORLIST_H

#include "ckpt.h"
#include "grsn_nn.h"

typedef struct {
    GrsnTensorRec *rec;
    int n, cap;
} GrsnTensorList;

// Append one tensor of ndim (1 or 2) dims d0 [x d1]; its name must be shorter than 64.
grsn_status grsn_tensors_add(GrsnTensorList *t, const char *name, grsn_dtype dt, void *data, int ndim,
                             uint64_t d0, uint64_t d1);

// Append one tensor whose elements lie in n_pieces places: *pieces receives
// the list's own array of them (freed with the list) for the caller to fill.
grsn_status grsn_tensors_add_pieces(GrsnTensorList *t, const char *name, grsn_dtype dt, int n_pieces, int ndim,
                                    uint64_t d0, uint64_t d1, GrsnTensorPiece **pieces);

// Append every parameter of arena `p` as "<prefix><name>", pointing into
// `values` (p->data for the parameters, Adam's m or v for its moments).
grsn_status grsn_tensors_add_arena(GrsnTensorList *t, const GrsnParams *p, const char *prefix, float *values);

// Decode every listed tensor from checkpoint `f` (read from `path`) into its
// data, each checked for name, dtype and shape; a tensor in the file that
// the list lacks is an error naming it and `owner` ("agent", "learner").
grsn_status grsn_tensors_read(const GrsnTensorList *t, const GrsnCkptFile *f, const char *path,
                              const char *owner);

void grsn_tensors_free(GrsnTensorList *t);

// The replay buffer's whole state (src/seqbuf.c), between episodes: its
// counters ("replay.state"), row arrays and start queue.
//   saving:  grsn_seqbuf_add_tensors, then grsn_ckpt_write;
//   loading: grsn_ckpt_read, grsn_seqbuf_list_saved (reads the counters,
//   checks them against this buffer and lists the arrays they size),
//   grsn_tensors_read, grsn_seqbuf_finish_load (the counters set, every
//   start and index checked).
typedef struct grsn_seqbuf grsn_seqbuf;
grsn_status grsn_seqbuf_add_tensors(grsn_seqbuf *buf, GrsnTensorList *t);
grsn_status grsn_seqbuf_list_saved(grsn_seqbuf *buf, const GrsnCkptFile *f, const char *path, GrsnTensorList *t);
grsn_status grsn_seqbuf_finish_load(grsn_seqbuf *buf, const char *path);

// The QMIX learner's state beyond its checkpoint (src/qmix.c), between
// rollouts: the episode buffer ("buffer.*": its ring counters, the episode
// lengths and each episode's filled steps) and the streams of the training
// and test environments ("env.rng", "test_env.rng").
//   saving:  grsn_qmix_state_add_tensors, then grsn_ckpt_write;
//   loading: grsn_ckpt_read, grsn_qmix_state_list_saved (reads the ring's
//   counters and the lengths, checks them against this learner and lists
//   the arrays they size), grsn_tensors_read, grsn_qmix_state_finish_load
//   (the counters set, every action checked).
typedef struct GrsnQmix GrsnQmix;
grsn_status grsn_qmix_state_add_tensors(GrsnQmix *q, GrsnTensorList *t);
grsn_status grsn_qmix_state_list_saved(GrsnQmix *q, const GrsnCkptFile *f, const char *path, GrsnTensorList *t);
grsn_status grsn_qmix_state_finish_load(GrsnQmix *q, const char *path);

#endif
