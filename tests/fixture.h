/*
 * fixture.h — reader for the binary reference fixtures written by the dev/
 * scripts: b"GRSNFIX1", u32 count, then per tensor char name[64], u32 ndim,
 * u32 dims[4], float32 data. Tests look tensors up by name.
 */
#ifndef GRSN_FIXTURE_H
#define GRSN_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "tests/fixtures/"
#endif

typedef struct { char name[64]; size_t n; float *data; } FxTensor;
typedef struct { int count; FxTensor *t; } Fixture;

static inline int fx_load(Fixture *fx, const char *file) {
    char path[512];
    snprintf(path, sizeof path, "%s%s", FIXTURE_DIR, file);
    memset(fx, 0, sizeof *fx);
    FILE *f = fopen(path, "rb");
    if (!f) { printf("    cannot open fixture %s\n", path); return 0; }
    char magic[8]; uint32_t count;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "GRSNFIX1", 8) || fread(&count, 4, 1, f) != 1) {
        printf("    %s: not a fixture file\n", path); fclose(f); return 0;
    }
    fx->t = calloc(count, sizeof(FxTensor));
    for (uint32_t i = 0; i < count; i++) {
        FxTensor *t = &fx->t[i];
        uint32_t ndim, dims[4];
        if (fread(t->name, 1, 64, f) != 64 || fread(&ndim, 4, 1, f) != 1 || fread(dims, 4, 4, f) != 4) break;
        t->name[63] = '\0';
        t->n = (size_t)dims[0] * dims[1] * dims[2] * dims[3];
        t->data = malloc(t->n * sizeof(float));
        if (fread(t->data, sizeof(float), t->n, f) != t->n) { free(t->data); t->data = NULL; break; }
        fx->count++;
    }
    fclose(f);
    if (fx->count != (int)count) { printf("    %s: truncated\n", path); return 0; }
    return 1;
}

// The tensor called name, checking its size when n > 0; NULL (with a message) if absent.
static inline const float *fx_get(const Fixture *fx, const char *name, size_t n) {
    for (int i = 0; i < fx->count; i++)
        if (!strcmp(fx->t[i].name, name)) {
            if (n && fx->t[i].n != n) {
                printf("    fixture tensor %s has %zu values, expected %zu\n", name, fx->t[i].n, n);
                return NULL;
            }
            return fx->t[i].data;
        }
    printf("    fixture tensor %s missing\n", name);
    return NULL;
}

// Whether the fixture holds a tensor called name (no message if not).
static inline int fx_has(const Fixture *fx, const char *name) {
    for (int i = 0; i < fx->count; i++)
        if (!strcmp(fx->t[i].name, name)) return 1;
    return 0;
}

static inline int fx_int(const Fixture *fx, const char *name) {
    const float *v = fx_get(fx, name, 1);
    return v ? (int)v[0] : -1;
}

static inline void fx_free(Fixture *fx) {
    for (int i = 0; i < fx->count; i++) free(fx->t[i].data);
    free(fx->t);
    memset(fx, 0, sizeof *fx);
}

#endif
