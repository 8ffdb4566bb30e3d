// status.c — the per-thread error message behind grsn_last_error().
#include "common.h"
#include <stdarg.h>

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
