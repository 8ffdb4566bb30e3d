/*
 * run_helpers.h — what the tests that write files (test_train.c,
 * test_train_qmix.c, test_ckpt.c) share: a scratch directory, paths in it,
 * reading the files they write, and OpenMP's passive waiting.
 *
 *   int main(int argc, char **argv) {
 *       wait_passively(argv);
 *       if (!scratch_create("grsn_test_x")) return 1;
 *       RUN(...);
 *       scratch_remove();
 *       return test_summary("test_x");
 *   }
 */
#ifndef GRSN_RUN_HELPERS_H
#define GRSN_RUN_HELPERS_H

#include "test.h"   // make_tree, remove_tree
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];    // the scratch directory, $TMPDIR/NAME.PID

// dir/sub/name; an empty sub or name is left out (dir/name, dir/sub).
static inline void path_in(char *out, size_t cap, const char *sub, const char *name) {
    snprintf(out, cap, "%s%s%s%s%s", dir, sub[0] ? "/" : "", sub, name[0] ? "/" : "", name);
}

static inline int exists(const char *path) { struct stat sb; return stat(path, &sb) == 0; }
static inline int contains(const char *s, const char *part) { return s && strstr(s, part) != NULL; }
static inline int count_lines(const char *s) { int n = 0; for (; s && *s; s++) n += *s == '\n'; return n; }

// Threads wait passively: on a busy machine spinning OpenMP threads make
// these tiny updates many times slower (the results are the same). The
// OpenMP runtime reads the variable at start-up, hence the re-exec.
static inline void wait_passively(char **argv) {
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execv(argv[0], argv);
    }
}

// Create the scratch directory $TMPDIR/name.PID; 0 (said on stdout) if it cannot be.
static inline int scratch_create(const char *name) {
    snprintf(dir, sizeof dir, "%s/%s.%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name, (int)getpid());
    if (!make_tree(dir)) { printf("cannot create %s\n", dir); return 0; }
    return 1;
}

// Remove the scratch directory and all in it.
static inline void scratch_remove(void) {
    if (!remove_tree(dir)) printf("  (could not remove %s)\n", dir);
}

#endif
