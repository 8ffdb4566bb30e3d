/*
 * kvconf.c — key=value configuration text driven by a table of typed fields
 * (kvconf.h): writing a configuration struct as text that reads back
 * exactly, and reading it with line-numbered errors. train.c and
 * train_qmix.c each keep their own table.
 */
#include "common.h"
#include "kvconf.h"
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>

const char *const GRSN_KV_ALGO_NAMES[] = {"td3", "sacd", NULL};
const char *const GRSN_KV_NET_NAMES[] = {"grsn", "lif", "gru", "mlp", NULL};
const char *const GRSN_KV_BETA_NAMES[] = {"fixed", "layer", "neuron", NULL};
const char *const GRSN_KV_RESET_NAMES[] = {"soft", "hard", NULL};
const char *const GRSN_KV_DECODE_NAMES[] = {"rate", "last", NULL};
const char *const GRSN_KV_GATES_NAMES[] = {"input", "spikes", NULL};
const char *const GRSN_KV_READOUT_NAMES[] = {"spikes", "membrane", NULL};

// Keys that describe the file rather than the run; checked on reading.
static const char *const INFO_KEYS[][2] = {{"float_type", "f32"}, {"endianness", "little"}};
#define NINFO (sizeof INFO_KEYS / sizeof INFO_KEYS[0])

int grsn_kv_name_index(const char *const *names, const char *s) {
    for (int i = 0; names[i]; i++) if (!strcmp(names[i], s)) return i;
    return -1;
}

size_t grsn_kv_append(char *buf, size_t cap, size_t off, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(off < cap ? buf + off : NULL, off < cap ? cap - off : 0, fmt, ap);
    va_end(ap);
    return off + (size_t)(n > 0 ? n : 0);
}

void grsn_kv_value(const void *obj, const GrsnKvField *f, char *out, size_t cap) {
    const void *p = (const char *)obj + f->off;
    switch (f->kind) {
    case GRSN_KV_STR: snprintf(out, cap, "%s", (const char *)p); break;
    case GRSN_KV_U64: snprintf(out, cap, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    case GRSN_KV_LONG: snprintf(out, cap, "%ld", *(const long *)p); break;
    case GRSN_KV_INT: snprintf(out, cap, "%d", *(const int *)p); break;
    case GRSN_KV_FLOAT: snprintf(out, cap, "%.9g", (double)*(const float *)p); break;
    case GRSN_KV_DOUBLE: snprintf(out, cap, "%.17g", *(const double *)p); break;
    case GRSN_KV_ENUM: snprintf(out, cap, "%s", f->names[*(const int *)p]); break;
    }
}

int grsn_kv_set(void *obj, const GrsnKvField *f, const char *v) {
    void *p = (char *)obj + f->off;
    char *end;
    errno = 0;
    switch (f->kind) {
    case GRSN_KV_STR:
        if (strlen(v) >= f->size) return -1;
        snprintf((char *)p, f->size, "%s", v);
        return 0;
    case GRSN_KV_U64: {
        if (*v == '-') return -1;
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || end == v || *end) return -1;
        *(uint64_t *)p = x;
        return 0;
    }
    case GRSN_KV_LONG: case GRSN_KV_INT: {
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end) return -1;
        if (f->kind == GRSN_KV_INT) {
            if (x < -2147483647L || x > 2147483647L) return -1;
            *(int *)p = (int)x;
        } else {
            *(long *)p = x;
        }
        return 0;
    }
    case GRSN_KV_FLOAT: {
        float x = strtof(v, &end);
        if (errno || end == v || *end || !isfinite(x)) return -1;
        *(float *)p = x;
        return 0;
    }
    case GRSN_KV_DOUBLE: {
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x)) return -1;
        *(double *)p = x;
        return 0;
    }
    case GRSN_KV_ENUM: {
        int i = grsn_kv_name_index(f->names, v);
        if (i < 0) return -1;
        *(int *)p = i;
        return 0;
    }
    }
    return -1;
}

size_t grsn_kv_append_fields(char *buf, size_t cap, size_t off, const void *obj, const GrsnKvField *fields,
                             int n) {
    char v[64];
    for (int i = 0; i < n; i++) {
        grsn_kv_value(obj, &fields[i], v, sizeof v);
        off = grsn_kv_append(buf, cap, off, "%s=%s\n", fields[i].key, v);
    }
    return off;
}

size_t grsn_kv_append_info(char *buf, size_t cap, size_t off) {
    for (size_t i = 0; i < NINFO; i++) off = grsn_kv_append(buf, cap, off, "%s=%s\n", INFO_KEYS[i][0], INFO_KEYS[i][1]);
    return off;
}

int grsn_kv_next_line(const char *text, size_t len, size_t *pos, char *line, size_t cap, char **key,
                      char **value) {
    if (*pos >= len) return 0;
    size_t start = *pos, end = start;
    while (end < len && text[end] != '\n') end++;
    *pos = end + 1;
    size_t n = end - start;
    if (n >= cap) n = cap - 1;
    memcpy(line, text + start, n);
    line[n] = '\0';
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) line[--n] = '\0';
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '\0' || *s == '#') return 2;
    char *eq = strchr(s, '=');
    if (!eq || eq == s) return -1;
    *eq = '\0';
    char *k_end = eq;
    while (k_end > s && (k_end[-1] == ' ' || k_end[-1] == '\t')) *--k_end = '\0';
    char *v = eq + 1;
    while (*v == ' ' || *v == '\t') v++;
    *key = s; *value = v;
    return 1;
}

int grsn_kv_find(const char *text, size_t len, const char *key, char *out, size_t cap) {
    char line[256], *k, *v;
    size_t pos = 0;
    int r;
    while ((r = grsn_kv_next_line(text, len, &pos, line, sizeof line, &k, &v)) != 0)
        if (r == 1 && !strcmp(k, key)) { snprintf(out, cap, "%s", v); return 1; }
    return 0;
}

grsn_status grsn_kv_parse(void *obj, const GrsnKvField *fields, int n, const char *text, size_t len,
                          const char *const *skip, grsn_kv_extra_fn extra, void *ctx) {
    char line[256], *key, *value;
    size_t pos = 0;
    int r, lineno = 0;
    while ((r = grsn_kv_next_line(text, len, &pos, line, sizeof line, &key, &value)) != 0) {
        lineno++;
        if (r < 0) return grsn_fail(GRSN_ERR_FORMAT, "config line %d: expected key=value, got '%s'", lineno, line);
        if (r != 1 || grsn_kv_name_index(skip, key) >= 0) continue;
        int known = 0;
        for (size_t i = 0; i < NINFO; i++)
            if (!strcmp(key, INFO_KEYS[i][0])) {
                if (strcmp(value, INFO_KEYS[i][1]))
                    return grsn_fail(GRSN_ERR_FORMAT, "config line %d: %s=%s, this build reads only %s", lineno,
                                     key, value, INFO_KEYS[i][1]);
                known = 1;
            }
        if (!known && extra) known = extra(ctx, key, value);
        for (int i = 0; i < n && !known; i++)
            if (!strcmp(key, fields[i].key)) known = grsn_kv_set(obj, &fields[i], value) == 0 ? 1 : -1;
        if (known < 0)
            return grsn_fail(GRSN_ERR_FORMAT, "config line %d: bad value '%s' for %s", lineno, value, key);
        if (!known) return grsn_fail(GRSN_ERR_FORMAT, "config line %d: unknown key '%s'", lineno, key);
    }
    return GRSN_OK;
}

grsn_status grsn_kv_refail(grsn_status s, const char *prefix_fmt, ...) {
    char prefix[1200], msg[512];
    snprintf(msg, sizeof msg, "%s", grsn_last_error());
    va_list ap;
    va_start(ap, prefix_fmt);
    vsnprintf(prefix, sizeof prefix, prefix_fmt, ap);
    va_end(ap);
    return grsn_fail(s, "%s%s", prefix, msg);
}
