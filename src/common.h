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
#include <stdint.h>

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
// On the paths an acting agent takes (a forward product, a transpose, a
// copy, a ReLU, a spiking cell's rows, a simulator step), the test is a plain
// `if` around the region, grsn_par or the site's own threshold and more than
// one thread, rather than OpenMP's if clause: libgomp enters a region
// even when that clause is false, or on one thread, and ends it with a futex
// wake, a system call. At batch 1 those calls cost a control agent's decision
// about three times its arithmetic (`grsn bench act`, against a build without
// OpenMP).
static inline int grsn_par(long work) { return work > GRSN_PAR_MIN_WORK && grsn_threads() > 1; }

// e^x, bit for bit the value of glibc's expf (2.28 and later, its FMA build:
// every float checked by dev/check_expf.c), written out so that it
// vectorises inside an "omp simd" loop and gives the same bits on every
// machine and libm. The method (Szabolcs Nagy's): with N = 32,
// x N / ln 2 = k + r, |r| <= 1/2, and e^x = 2^(k/N) 2^(r/N), where 2^(k/N)
// is a table entry for k mod N with k div N added to its exponent, and
// 2^(r/N) a cubic in r; all in double, rounded to float once at the end.
// grsn_exp2_tab[i] holds the bits of 2^(i/N) less i << 47 (ops.c).
extern const uint64_t grsn_exp2_tab[32];
static inline float grsn_expf(float x) {
    const double inv_ln2_n = 0x1.71547652b82fep+0 * 32, shift = 0x1.8p+52;   // round-to-int by adding 1.5 * 2^52
    const double c0 = 0x1.c6af84b912394p-20, c1 = 0x1.ebfce50fac4f3p-13, c2 = 0x1.62e42ff0c52d6p-6;
    double xd = x, kd = fma(inv_ln2_n, xd, shift);
    uint64_t ki, bits;
    memcpy(&ki, &kd, sizeof ki);                     // k in the low bits
    kd -= shift;
    double r = fma(inv_ln2_n, xd, -kd);
    bits = grsn_exp2_tab[ki & 31] + (ki << 47);
    double s;
    memcpy(&s, &bits, sizeof s);                     // 2^(k/N)
    double y = fma(fma(c0, r, c1), r * r, fma(c2, r, 1.0)) * s;
    float e = (float)y;
    // The ends, as bit masks (a select on floats stops GCC vectorising):
    // above ln(2^128) ~ 88.72 (+inf too) overflow to inf, below ln(2^-150)
    // ~ -103.97 (-inf too) underflow to 0, and a NaN comes back quiet, as
    // libm's x + x.
    uint32_t ux, ue;
    memcpy(&ux, &x, sizeof ux);
    memcpy(&ue, &e, sizeof ue);
    uint32_t over = -(uint32_t)((int32_t)ux > 0x42b17217),          // x > 0x1.62e42ep6f
             under = -(uint32_t)(ux > 0xc2cff1b4u),                 // x < -0x1.9fe368p6f
             nan = -(uint32_t)((ux & 0x7fffffffu) > 0x7f800000u);
    ue = (ue & ~over) | (0x7f800000u & over);
    ue &= ~under;
    ue = (ue & ~nan) | ((ux | 0x00400000u) & nan);
    memcpy(&e, &ue, sizeof e);
    return e;
}

static inline float grsn_sigmoidf(float x) { return 1.0f / (1.0f + grsn_expf(-x)); }

// tanh within 2 ulp of the correctly rounded value (tests/test_nn.c scans
// the floats), in a fraction of the time of libm's tanhf, which goes through
// expm1f and cost a GRU step as much as its products: the odd Taylor series
// to x^15 for |x| < 1/2, else 1 - 2 / (1 + e^(2|x|)), with x's sign. Both
// are computed and one is kept by a bit mask, so that a loop of them
// vectorises. Used by the GRU cell; the tanh activation (TD3's action head)
// keeps libm's tanhf, so that the TD3 runs in results/ reproduce bit for bit.
static inline float grsn_tanhf(float x) {
    float a = fabsf(x), a2 = a * a;
    float p = -929569.0f / 638512875.0f;
    p = p * a2 + 21844.0f / 6081075.0f;
    p = p * a2 - 1382.0f / 155925.0f;
    p = p * a2 + 62.0f / 2835.0f;
    p = p * a2 - 17.0f / 315.0f;
    p = p * a2 + 2.0f / 15.0f;
    p = p * a2 - 1.0f / 3.0f;
    float small = a + a * a2 * p, large = 1.0f - 2.0f / (1.0f + grsn_expf(2.0f * a));
    uint32_t ux, us, ul;
    memcpy(&ux, &x, sizeof ux);
    memcpy(&us, &small, sizeof us);
    memcpy(&ul, &large, sizeof ul);
    uint32_t use_small = -(uint32_t)((ux & 0x7fffffffu) < 0x3f000000u);   // |x| < 1/2
    uint32_t t = ((us & use_small) | (ul & ~use_small)) & 0x7fffffffu;
    t |= ux & 0x80000000u;                                              // odd, and tanh(-0) = -0
    float y;
    memcpy(&y, &t, sizeof y);
    return y;
}

#endif
