/*
 * test.h — the test runner shared by every tests/test_*.c program.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_NEAR(a, b, 1e-6, 1e-5); }
 *   int main(void) { RUN(name); return test_summary("test_x"); }
 *
 * Each program ends with "<file>: N passed, N failed"; tests/run.sh adds them
 * up. A test passes when none of its checks failed.
 */
#ifndef GRSN_TEST_H
#define GRSN_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static int test_passed_, test_failed_, test_cur_failed_;

#define TEST(name) static void name(void)

#define CHECK(cond) do { if (!(cond)) { test_cur_failed_++; \
    printf("    FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

#define CHECK_MSG(cond, ...) do { if (!(cond)) { test_cur_failed_++; \
    printf("    FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); printf(__VA_ARGS__); \
    printf("\n"); } } while (0)

// |a - b| <= atol + rtol * |b|
#define CHECK_NEAR(a, b, atol, rtol) do { double a_ = (a), b_ = (b); \
    if (!(fabs(a_ - b_) <= (atol) + (rtol) * fabs(b_))) { test_cur_failed_++; \
    printf("    FAIL %s:%d: %s = %.9g, expected %s = %.9g\n", __FILE__, __LINE__, \
           #a, a_, #b, b_); } } while (0)

#define RUN(fn) do { test_cur_failed_ = 0; fn(); \
    if (test_cur_failed_) { test_failed_++; printf("  FAIL %s\n", #fn); } \
    else { test_passed_++; printf("  ok   %s\n", #fn); } fflush(stdout); } while (0)

// Compare n floats: |a - b| <= atol + rtol*|b| elementwise. Prints the worst
// difference, so closing notes can quote it. Returns the max abs difference.
static inline double check_tensor(const char *what, const float *a, const float *b,
                                  size_t n, double atol, double rtol) {
    double maxd = 0, maxrel = 0; size_t bad = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= atol + rtol * fabs((double)b[i]))) {
            if (bad < 3) printf("    %s[%zu]: got %.9g expected %.9g\n", what, i, a[i], b[i]);
            bad++;
        }
        if (d > maxd || d != d) { maxd = d; worst = i; }
        double rel = d / (fabs((double)b[i]) + 1e-12);
        if (fabs((double)b[i]) > 1e-3 && rel > maxrel) maxrel = rel;
    }
    if (getenv("GRSN_TEST_VERBOSE") || bad)
        printf("    %-28s n=%-7zu maxdiff %.3g (at %zu), max rel %.3g%s\n", what, n, maxd,
               worst, maxrel, bad ? "  MISMATCH" : "");
    if (bad) { test_cur_failed_++; printf("    FAIL %s: %zu of %zu outside tolerance\n", what, bad, n); }
    return maxd;
}

// A whole file (free it), NUL-terminated, its length in *len if len is not
// NULL; NULL (and length 0) if it cannot be read.
static inline char *read_file(const char *path, size_t *len) {
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (!s) { fclose(f); return NULL; }
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    if (len) *len = got;
    return s;
}

// A whole file as a string (free it), or NULL.
static inline char *read_text(const char *path) { return read_file(path, NULL); }

// mkdir -p dir / rm -rf dir, a test's scratch folder; 1 on success.
static inline int shell_on_dir(const char *verb, const char *dir) {
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "%s '%s'", verb, dir);
    return system(cmd) == 0;
}
static inline int make_tree(const char *dir) { return shell_on_dir("mkdir -p", dir); }
static inline int remove_tree(const char *dir) { return shell_on_dir("rm -rf", dir); }

static inline int test_summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, test_passed_, test_failed_);
    return test_failed_ ? 1 : 0;
}

#endif
