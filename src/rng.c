/*
 * rng.c — seedable random streams: splitmix64 expands (seed, stream) into the
 * 256-bit state of xoshiro256** (Blackman and Vigna). No global state.
 */
#include "common.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void grsn_rng_seed(grsn_rng *r, uint64_t seed, uint64_t stream) {
    // Mix the stream id through its own splitmix step so that nearby
    // (seed, stream) pairs land far apart. Seed 0 is a valid seed.
    uint64_t x = stream;
    uint64_t key = seed ^ splitmix64(&x);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&key);
}

uint64_t grsn_rng_u64(grsn_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double grsn_rng_double(grsn_rng *r) { return (double)(grsn_rng_u64(r) >> 11) * 0x1.0p-53; }
float  grsn_rng_float(grsn_rng *r)  { return (float)(grsn_rng_u64(r) >> 40) * 0x1.0p-24f; }

double grsn_rng_uniform(grsn_rng *r, double lo, double hi) {
    return lo + (hi - lo) * grsn_rng_double(r);
}

uint32_t grsn_rng_below(grsn_rng *r, uint32_t n) {
    GRSN_ASSERT(n > 0, "grsn_rng_below(0)");
    // Lemire's multiply-shift with rejection: unbiased.
    uint64_t m = (uint64_t)(uint32_t)(grsn_rng_u64(r) >> 32) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t thresh = (uint32_t)(-n) % n;
        while (low < thresh) {
            m = (uint64_t)(uint32_t)(grsn_rng_u64(r) >> 32) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

double grsn_rng_normal(grsn_rng *r) {
    // Box-Muller, one value per call (no hidden spare, so the state is the
    // whole story). u1 in (0, 1] keeps log finite.
    double u1 = 1.0 - grsn_rng_double(r);
    double u2 = grsn_rng_double(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
