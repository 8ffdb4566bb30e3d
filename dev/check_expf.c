/*
 * check_expf.c — grsn_expf (src/common.h) against the C library's expf on
 * every one of the 2^32 floats, computed the way the cells call it: inside
 * an "omp simd" loop, so the vectorised code is what is checked.
 *
 *   make && cc -O2 -march=native -ffp-contract=off -fno-math-errno -fopenmp \
 *      -Iinclude -Isrc dev/check_expf.c build/libgrsn.a -lm -o /tmp/check_expf && /tmp/check_expf
 *
 * On glibc 2.28+ with FMA (x86-64 since Haswell) it prints "0 differ": that
 * libm's expf is the one whose bits grsn_expf reproduces (NaNs compare as
 * NaN, whatever their payload). Takes about half a minute.
 */
#include "common.h"

enum { BLOCK = 1 << 16 };
static float in[BLOCK], out[BLOCK];

int main(void) {
    long differ = 0;
    for (uint64_t u0 = 0; u0 < (1ull << 32); u0 += BLOCK) {
        for (int i = 0; i < BLOCK; i++) {
            uint32_t b = (uint32_t)(u0 + (uint64_t)i);
            memcpy(&in[i], &b, sizeof b);
        }
        #pragma omp simd
        for (int i = 0; i < BLOCK; i++) out[i] = grsn_expf(in[i]);
        for (int i = 0; i < BLOCK; i++) {
            float ref = expf(in[i]);
            if (isnan(ref) && isnan(out[i])) continue;
            if (memcmp(&ref, &out[i], sizeof ref) != 0) {
                if (differ < 10) printf("x = %a: libm %a, grsn_expf %a\n", in[i], ref, out[i]);
                differ++;
            }
        }
    }
    printf("%ld differ of 2^32 floats\n", differ);
    return differ != 0;
}
