/*
 * ckpt.h — the checkpoint container (style-and-anchors.md B.9), independent
 * of what is stored in it: a header, a key=value metadata text, named typed
 * tensors, all little-endian, checked on reading so that no corrupt, foreign
 * or truncated file is ever read past its end. train.c and train_qmix.c store
 * their learners and resume states in it.
 *
 * Layout (every integer little-endian):
 *
 *   offset  size  field
 *        0     4  magic "GRSN"
 *        4     4  u32 version (GRSN_CKPT_VERSION)
 *        8     4  u32 header_bytes: where the data blob starts, a multiple of 64
 *       12     4  u32 n_tensors
 *       16     8  u64 step (gradient updates)
 *       24     8  u64 env_steps
 *       32     8  u64 meta_bytes
 *       40     .  metadata: meta_bytes of key=value text, no NUL
 *        .     .  n_tensors records of 120 bytes:
 *                   char name[64] (NUL-padded), u32 dtype, u32 ndim, u64 dims[4],
 *                   u64 offset (into the blob, a multiple of 64), u64 nbytes
 *        .     .  zero padding up to header_bytes
 * header_bytes .  data blob: each tensor's elements, little-endian; its size
 *                 is the end of the last tensor rounded up to 64
 *      end-8   8  u64 FNV-1a 64 checksum of every byte before it
 */
#ifndef GRSN_CKPT_H
#define GRSN_CKPT_H

#include "grsn_train.h"   // GRSN_CKPT_VERSION

#define GRSN_CKPT_MAGIC "GRSN"
#define GRSN_CKPT_FIXED_BYTES 40
#define GRSN_CKPT_RECORD_BYTES 120
#define GRSN_CKPT_ALIGN 64
#define GRSN_CKPT_MAX_DIMS 4

// Element types, little-endian in the file. u8, i32 and f64 hold a run's
// resume state (seqbuf.c, qmix.c, train.c): the replay buffers' flags and
// indices, and the evaluation returns as the run keeps them.
typedef enum {
    GRSN_DT_F32 = 0, GRSN_DT_I64 = 1, GRSN_DT_U64 = 2, GRSN_DT_U8 = 3, GRSN_DT_I32 = 4, GRSN_DT_F64 = 5
} grsn_dtype;
#define GRSN_DT_LAST GRSN_DT_F64

// A tensor whose elements lie in several places in memory is given as
// pieces, stored one after the other as one tensor and read back into them:
// a buffer's filled rows without the padding between them, or one stream per
// environment.
typedef struct {
    void *data;                   // count elements in host order
    uint64_t count;
} GrsnTensorPiece;

typedef struct {
    char name[64];
    uint32_t dtype, ndim;
    uint64_t dims[GRSN_CKPT_MAX_DIMS];
    uint64_t offset, nbytes;      // into the data blob
    const void *data;             // writing: the elements in host order; reading through a
                                  // GrsnTensorList: where they are decoded to; else unused
    const GrsnTensorPiece *pieces;   // writing, if n_pieces > 0: the elements, in these pieces
    int n_pieces;
} GrsnTensorRec;

// Fill a record for writing: name, dtype, shape (ndim <= 4 dims), data.
void grsn_tensor_rec(GrsnTensorRec *r, const char *name, grsn_dtype dt, const void *data,
                     int ndim, const uint64_t *dims);

// Write a checkpoint atomically. Offsets and sizes are computed here. The
// file is streamed to disk through a small buffer, never held whole in memory.
grsn_status grsn_ckpt_write(const char *path, uint64_t step, uint64_t env_steps,
                            const char *meta, GrsnTensorRec *recs, int n);

// A checkpoint read into memory and checked: header, sizes, checksum,
// records within the blob. Tensors are decoded on demand by grsn_ckpt_get.
typedef struct {
    char path[512];
    unsigned char *buf;           // the whole file
    size_t size;
    uint32_t version;
    uint64_t step, env_steps;
    char *meta;                   // NUL-terminated copy of the metadata text
    size_t meta_len;
    int n;
    GrsnTensorRec *rec;           // n records
} GrsnCkptFile;

// GRSN_ERR_IO if the file cannot be opened or read; GRSN_ERR_FORMAT for a
// foreign, truncated or corrupt file or an unknown version. Messages start
// with the path. On failure f holds nothing to free.
grsn_status grsn_ckpt_read(GrsnCkptFile *f, const char *path);
void grsn_ckpt_close(GrsnCkptFile *f);

// Decode tensor `name` into dst, checking that it exists and has exactly the
// dtype and shape given. GRSN_ERR_FORMAT naming the file and tensor if not.
grsn_status grsn_ckpt_get(const GrsnCkptFile *f, const char *name, grsn_dtype dt, int ndim,
                          const uint64_t *dims, void *dst);

// The same, decoding the elements into n pieces, in order (their counts
// must add up to the tensor's).
grsn_status grsn_ckpt_get_pieces(const GrsnCkptFile *f, const char *name, grsn_dtype dt, int ndim,
                                 const uint64_t *dims, const GrsnTensorPiece *pieces, int n);

// FNV-1a 64 over n bytes (the container's checksum).
uint64_t grsn_fnv1a64(const void *data, size_t n);

#endif
