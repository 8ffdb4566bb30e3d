/*
 * params.c — the parameter arena: all trainable tensors of a model in one
 * flat buffer, gradients in a second one of the same layout.
 */
#include "common.h"

void grsn_params_init(GrsnParams *p) { memset(p, 0, sizeof *p); }

grsn_status grsn_params_add(GrsnParams *p, const char *name, int rows, int cols,
                            float **data_slot, float **grad_slot) {
    GRSN_ASSERT(!p->data, "grsn_params_add after grsn_params_alloc (%s)", name);
    if (rows <= 0 || cols <= 0)
        return grsn_fail(GRSN_ERR_ARG, "parameter %s: impossible shape %d x %d", name, rows, cols);
    if (strlen(name) >= sizeof p->info[0].name)
        return grsn_fail(GRSN_ERR_ARG, "parameter name too long: %s", name);
    for (int i = 0; i < p->count; i++)
        if (!strcmp(p->info[i].name, name))
            return grsn_fail(GRSN_ERR_ARG, "parameter %s registered twice", name);
    if (p->count == p->cap) {
        int cap = p->cap ? 2 * p->cap : 32;
        GrsnParamInfo *info = realloc(p->info, (size_t)cap * sizeof *info);
        if (!info) return grsn_fail(GRSN_ERR_OOM, "out of memory registering %s", name);
        p->info = info; p->cap = cap;
    }
    GrsnParamInfo *t = &p->info[p->count++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rows = rows; t->cols = cols;
    t->offset = p->n; t->n = (size_t)rows * (size_t)cols;
    t->data_slot = data_slot; t->grad_slot = grad_slot;
    p->n += t->n;
    return GRSN_OK;
}

grsn_status grsn_params_alloc(GrsnParams *p) {
    p->data = grsn_calloc(p->n, sizeof(float));
    p->grad = grsn_calloc(p->n, sizeof(float));
    if (!p->data || !p->grad) { free(p->data); free(p->grad); p->data = p->grad = NULL; return GRSN_ERR_OOM; }
    for (int i = 0; i < p->count; i++) {
        GrsnParamInfo *t = &p->info[i];
        if (t->data_slot) *t->data_slot = p->data + t->offset;
        if (t->grad_slot) *t->grad_slot = p->grad + t->offset;
    }
    return GRSN_OK;
}

void grsn_params_free(GrsnParams *p) {
    free(p->data); free(p->grad); free(p->info);
    memset(p, 0, sizeof *p);
}

void grsn_params_zero_grad(GrsnParams *p) { grsn_zero(p->grad, p->n); }

const GrsnParamInfo *grsn_params_find(const GrsnParams *p, const char *name) {
    for (int i = 0; i < p->count; i++)
        if (!strcmp(p->info[i].name, name)) return &p->info[i];
    return NULL;
}

int grsn_params_finite(const GrsnParams *p) {
    for (size_t i = 0; i < p->n; i++)
        if (!isfinite(p->data[i]) || !isfinite(p->grad[i])) return 0;
    return 1;
}
