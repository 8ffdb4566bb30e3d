/*
 * tensorlist.c — the list of named tensors a training run stores in a
 * checkpoint (tensorlist.h): built from the learner's arenas and counters,
 * and read back into them with every tensor checked.
 */
#include "common.h"
#include "tensorlist.h"

grsn_status grsn_tensors_add(GrsnTensorList *t, const char *name, grsn_dtype dt, void *data, int ndim,
                             uint64_t d0, uint64_t d1) {
    if (strlen(name) >= 64) return grsn_fail(GRSN_ERR_ARG, "checkpoint tensor name too long: %s", name);
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 128;
        GrsnTensorRec *r = realloc(t->rec, (size_t)cap * sizeof *r);
        if (!r) return grsn_fail(GRSN_ERR_OOM, "out of memory listing checkpoint tensors");
        t->rec = r; t->cap = cap;
    }
    uint64_t dims[2] = {d0, d1};
    grsn_tensor_rec(&t->rec[t->n++], name, dt, data, ndim, dims);
    return GRSN_OK;
}

grsn_status grsn_tensors_add_pieces(GrsnTensorList *t, const char *name, grsn_dtype dt, int n_pieces, int ndim,
                                    uint64_t d0, uint64_t d1, GrsnTensorPiece **pieces) {
    GrsnTensorPiece *p = calloc(n_pieces > 0 ? (size_t)n_pieces : 1, sizeof *p);
    if (!p) return grsn_fail(GRSN_ERR_OOM, "out of memory listing checkpoint tensors");
    grsn_status st = grsn_tensors_add(t, name, dt, NULL, ndim, d0, d1);
    if (st != GRSN_OK) { free(p); return st; }
    t->rec[t->n - 1].pieces = p;
    t->rec[t->n - 1].n_pieces = n_pieces;
    *pieces = p;
    return GRSN_OK;
}

grsn_status grsn_tensors_add_arena(GrsnTensorList *t, const GrsnParams *p, const char *prefix, float *values) {
    for (int i = 0; i < p->count; i++) {
        const GrsnParamInfo *info = &p->info[i];
        char name[160];
        snprintf(name, sizeof name, "%s%s", prefix, info->name);
        float *data = values + info->offset;
        if (info->cols == 1) GRSN_TRY(grsn_tensors_add(t, name, GRSN_DT_F32, data, 1, (uint64_t)info->rows, 0));
        else GRSN_TRY(grsn_tensors_add(t, name, GRSN_DT_F32, data, 2, (uint64_t)info->rows, (uint64_t)info->cols));
    }
    return GRSN_OK;
}

grsn_status grsn_tensors_read(const GrsnTensorList *t, const GrsnCkptFile *f, const char *path,
                              const char *owner) {
    for (int i = 0; i < t->n; i++) {
        const GrsnTensorRec *r = &t->rec[i];
        if (r->n_pieces > 0)
            GRSN_TRY(grsn_ckpt_get_pieces(f, r->name, (grsn_dtype)r->dtype, (int)r->ndim, r->dims, r->pieces,
                                          r->n_pieces));
        else
            GRSN_TRY(grsn_ckpt_get(f, r->name, (grsn_dtype)r->dtype, (int)r->ndim, r->dims, (void *)r->data));
    }
    if (f->n == t->n) return GRSN_OK;
    // Every expected tensor is there, so the file has some the list lacks.
    const char *extra = "?";
    for (int i = 0; i < f->n; i++) {
        int found = 0;
        for (int j = 0; j < t->n && !found; j++) found = !strcmp(f->rec[i].name, t->rec[j].name);
        if (!found) { extra = f->rec[i].name; break; }
    }
    return grsn_fail(GRSN_ERR_FORMAT, "%s: %d tensors, the %s has %d (unexpected '%s')", path, f->n, owner, t->n,
                     extra);
}

void grsn_tensors_free(GrsnTensorList *t) {
    for (int i = 0; i < t->n; i++) free((void *)t->rec[i].pieces);
    free(t->rec);
    *t = (GrsnTensorList){0};
}
