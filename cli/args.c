// args.c — a small, strict flag parser: unknown flags and bad values are errors.
#include "cli.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap; va_start(ap, fmt);
    fprintf(stderr, "grsn: %s: ", cmd); vfprintf(stderr, fmt, ap); fputc('\n', stderr);
    va_end(ap); exit(2);
}

_Noreturn void cli_fail(const char *cmd, const char *fmt, ...) {
    va_list ap; va_start(ap, fmt);
    fprintf(stderr, "grsn: %s: ", cmd); vfprintf(stderr, fmt, ap); fputc('\n', stderr);
    va_end(ap); exit(1);
}

void cli_check(const char *cmd, grsn_status st) {
    if (st != GRSN_OK) cli_fail(cmd, "%s", grsn_last_error());
}

static int choice_ok(const char *choices, const char *v) {
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0) return 1;
        if (!bar) break;
        p = bar + 1;
    }
    return 0;
}

static void set_value(const char *cmd, const ArgSpec *s, const char *v) {
    char *end;
    switch (s->type) {
    case ARG_INT: {
        errno = 0;
        long x = strtol(v, &end, 10);
        if (errno || *v == '\0' || *end || x < -2147483647L || x > 2147483647L)
            cli_usage_error(cmd, "--%s expects an integer, got '%s'", s->name, v);
        *(int *)s->dst = (int)x;
        break;
    }
    case ARG_FLOAT: {
        errno = 0;
        double x = strtod(v, &end);
        if (errno || *v == '\0' || *end || !isfinite(x))
            cli_usage_error(cmd, "--%s expects a finite number, got '%s'", s->name, v);
        *(double *)s->dst = x;
        break;
    }
    case ARG_BOOL:
        if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "on")) *(int *)s->dst = 1;
        else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "off")) *(int *)s->dst = 0;
        else cli_usage_error(cmd, "--%s expects 0|1, got '%s'", s->name, v);
        break;
    case ARG_CHOICE:
        if (!choice_ok(s->choices, v))
            cli_usage_error(cmd, "unknown value '%s' for --%s; valid choices: %s", v, s->name, s->choices);
        *(const char **)s->dst = v;
        break;
    case ARG_STR:
        *(const char **)s->dst = v;
        break;
    }
}

static void print_help(const char *usage, const ArgSpec *specs, int n) {
    printf("usage: grsn %s\n\n", usage);
    printf("flags (default in brackets):\n");
    for (int i = 0; i < n; i++) {
        const ArgSpec *s = &specs[i];
        char left[64];
        const char *meta = s->type == ARG_INT ? " N" : s->type == ARG_FLOAT ? " X"
                         : s->type == ARG_BOOL ? " 0|1" : s->type == ARG_CHOICE ? " CHOICE" : " STR";
        snprintf(left, sizeof left, "--%s%s", s->name, meta);
        printf("  %-26s %s [%s]", left, s->help, s->def ? s->def : "none");
        if (s->type == ARG_CHOICE) printf(" (%s)", s->choices);
        printf("\n");
    }
    printf("  %-26s %s\n", "--help", "show this help");
}

// The spec whose name is the len characters at name, or NULL.
static const ArgSpec *find_spec(const ArgSpec *specs, int nspecs, const char *name, size_t len) {
    for (int k = 0; k < nspecs; k++)
        if (strlen(specs[k].name) == len && !strncmp(specs[k].name, name, len)) return &specs[k];
    return NULL;
}

// Whether argv[i] is a flag word ("--name" or "--name=value") rather than a
// positional (a lone "--" or a word without the dashes).
static int is_flag(const char *a) { return strncmp(a, "--", 2) == 0 && a[2] != '\0'; }

// The value of flag s at argv[*i] (eq: its "=value" part, or NULL), moving *i
// past a value taken from the next word. A bool without a value is 1. NULL:
// the flag needs a value and argv has none.
static const char *flag_value(const ArgSpec *s, const char *eq, int argc, char **argv, int *i) {
    if (eq) return eq + 1;
    if (s->type == ARG_BOOL && (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)) return "1";
    if (*i + 1 < argc) return argv[++*i];
    return NULL;
}

int args_parse(const char *cmd, const char *usage, const ArgSpec *specs, int nspecs,
               int argc, char **argv, char **pos, int max_pos) {
    for (int i = 0; i < nspecs; i++)
        if (specs[i].def) set_value(cmd, &specs[i], specs[i].def);
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { print_help(usage, specs, nspecs); exit(0); }
        if (!is_flag(a)) {
            if (npos >= max_pos) cli_usage_error(cmd, "unexpected argument '%s' (see 'grsn %s --help')", a, cmd);
            pos[npos++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const ArgSpec *s = find_spec(specs, nspecs, name, len);
        if (!s) {
            char valid[1024] = ""; size_t off = 0;
            for (int k = 0; k < nspecs && off < sizeof valid - 40; k++)
                off += (size_t)snprintf(valid + off, sizeof valid - off, "%s--%s", k ? " " : "", specs[k].name);
            cli_usage_error(cmd, "unknown flag '--%.*s'; valid flags: %s", (int)len, name, valid);
        }
        const char *v = flag_value(s, eq, argc, argv, &i);
        if (!v) cli_usage_error(cmd, "--%s needs a value", s->name);
        set_value(cmd, s, v);
    }
    return npos;
}

void args_refuse_beside(const char *cmd, const ArgSpec *specs, int nspecs, int argc, char **argv, const char *by,
                        const char *const *fixed, int n) {
    for (int k = 0; k < n; k++)
        if (args_given(specs, nspecs, argc, argv, fixed[k]))
            cli_usage_error(cmd, "--%s cannot be given with --%s: the %s fixes it", fixed[k], by, by);
}

int args_given(const ArgSpec *specs, int nspecs, int argc, char **argv, const char *flag) {
    for (int i = 0; i < argc; i++) {
        if (!is_flag(argv[i])) continue;
        const char *name = argv[i] + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const ArgSpec *s = find_spec(specs, nspecs, name, len);
        if (!s) continue;                       // args_parse has already refused it
        if (!strcmp(s->name, flag)) return 1;
        flag_value(s, eq, argc, argv, &i);      // step over its value, as args_parse does
    }
    return 0;
}
