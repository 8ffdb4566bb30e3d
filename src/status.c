// status.c — the per-thread error message behind grsn_last_error(), and the
// allocators that report their failures through it.
#define _DEFAULT_SOURCE   // MAP_ANONYMOUS and MAP_NORESERVE (not in POSIX)
#include "common.h"
#include <stdarg.h>
#include <stdint.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

static _Thread_local char last_error[512];

const char *grsn_last_error(void) { return last_error; }

const char *grsn_status_name(grsn_status s) {
    switch (s) {
    case GRSN_OK: return "ok";
    case GRSN_ERR_ARG: return "bad argument";
    case GRSN_ERR_IO: return "i/o error";
    case GRSN_ERR_FORMAT: return "bad file format";
    case GRSN_ERR_NAN: return "non-finite value";
    case GRSN_ERR_OOM: return "out of memory";
    case GRSN_ERR_ACTION: return "forbidden action";
    }
    return "unknown status";
}

grsn_status grsn_fail(grsn_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}

void *grsn_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) grsn_fail(GRSN_ERR_OOM, "out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

#if defined(__linux__) && defined(MAP_NORESERVE)
// The mapping's length is kept in a header line before the memory.
enum { RESERVE_HEADER = 64 };

void *grsn_reserve(size_t n, size_t size) {
    if (n == 0) n = 1;
    if (size == 0) size = 1;
    if (n > (SIZE_MAX - RESERVE_HEADER) / size) {
        grsn_fail(GRSN_ERR_OOM, "out of memory reserving %zu x %zu bytes", n, size);
        return NULL;
    }
    size_t len = n * size + RESERVE_HEADER;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        grsn_fail(GRSN_ERR_OOM, "out of memory reserving %zu x %zu bytes", n, size);
        return NULL;
    }
    *(size_t *)m = len;
    return (char *)m + RESERVE_HEADER;
}

void grsn_release(void *p) {
    if (!p) return;
    char *m = (char *)p - RESERVE_HEADER;
    munmap(m, *(size_t *)m);
}
#else
void *grsn_reserve(size_t n, size_t size) { return grsn_calloc(n, size); }
void grsn_release(void *p) { free(p); }
#endif
