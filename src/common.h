/*
 * common.h — internal helpers shared by every module: invariant assertions,
 * error reporting into grsn_last_error(), checked allocation, small math.
 */
#ifndef GRSN_COMMON_H
#define GRSN_COMMON_H

#include "grsn.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

// Bugs and broken invariants abort with file:line. Never used for user input.
#define GRSN_ASSERT(cond, ...) do { if (!(cond)) { \
    fprintf(stderr, "grsn: internal error at %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); abort(); } } while (0)

// Record a recoverable failure and return its status:
//   return grsn_fail(GRSN_ERR_ARG, "hidden size %d must be > 0", h);
grsn_status grsn_fail(grsn_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

// Propagate a failing status.
#define GRSN_TRY(expr) do { grsn_status st_ = (expr); if (st_ != GRSN_OK) return st_; } while (0)

// calloc that records GRSN_ERR_OOM; returns NULL on failure.
void *grsn_calloc(size_t n, size_t size);

// Zeroed memory whose pages are backed only when first written, for a
// buffer far larger than what it will hold: a QMIX episode buffer pads
// 5000 episodes to the episode limit, 28 GB of address space on 27m_vs_30m,
// of which an episode touches only its own steps. On Linux it is an
// anonymous MAP_NORESERVE mapping, which the kernel does not weigh against
// RAM + swap up front (its heuristic refuses a calloc of that size);
// elsewhere calloc. Records GRSN_ERR_OOM; free with grsn_release.
void *grsn_reserve(size_t n, size_t size);
void grsn_release(void *p);

// Parallelise a loop only when it has enough work to pay for the threads.
#define GRSN_PAR_MIN_WORK 32768L

static inline float grsn_sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

// tanh within 2 ulp of the correctly rounded value (tests/test_nn.c scans
// the floats), in a fraction of the time of libm's tanhf, which goes through
// expm1f and cost a GRU step as much as its products: the odd Taylor series
// to x^15 for |x| < 1/2, else 1 - 2 / (1 + e^(2|x|)) with x's sign. Used by
// the GRU cell; the tanh activation (TD3's action head) keeps libm's tanhf,
// so that the TD3 runs in results/ reproduce bit for bit.
static inline float grsn_tanhf(float x) {
    float a = fabsf(x), t;
    if (a < 0.5f) {
        float a2 = a * a;
        float p = -929569.0f / 638512875.0f;
        p = p * a2 + 21844.0f / 6081075.0f;
        p = p * a2 - 1382.0f / 155925.0f;
        p = p * a2 + 62.0f / 2835.0f;
        p = p * a2 - 17.0f / 315.0f;
        p = p * a2 + 2.0f / 15.0f;
        p = p * a2 - 1.0f / 3.0f;
        t = a + a * a2 * p;
    } else {
        t = 1.0f - 2.0f / (1.0f + expf(2.0f * a));
    }
    return copysignf(t, x);   // odd, and tanh(-0) = -0
}

#endif
