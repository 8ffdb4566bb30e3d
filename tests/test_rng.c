// test_rng.c — the random streams: determinism, independence, distributions.
#include "grsn.h"
#include "test.h"

TEST(same_seed_same_stream) {
    grsn_rng a, b;
    grsn_rng_seed(&a, 42, 7); grsn_rng_seed(&b, 42, 7);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= grsn_rng_u64(&a) == grsn_rng_u64(&b);
    CHECK(same);
}

TEST(streams_and_seeds_differ) {
    grsn_rng a, b, c;
    grsn_rng_seed(&a, 0, 1); grsn_rng_seed(&b, 0, 2); grsn_rng_seed(&c, 1, 1);
    uint64_t x = grsn_rng_u64(&a), y = grsn_rng_u64(&b), z = grsn_rng_u64(&c);
    CHECK(x != y); CHECK(x != z); CHECK(y != z);
    // Seed 0 must not degenerate into an all-zero state.
    CHECK(a.s[0] | a.s[1] | a.s[2] | a.s[3]);
}

TEST(state_copy_resumes) {
    grsn_rng a; grsn_rng_seed(&a, 3, 3);
    for (int i = 0; i < 10; i++) grsn_rng_u64(&a);
    grsn_rng saved = a;
    uint64_t next = grsn_rng_u64(&a);
    CHECK(grsn_rng_u64(&saved) == next);
}

TEST(uniform_and_below) {
    grsn_rng r; grsn_rng_seed(&r, 5, 1);
    int counts[6] = {0}; double mean = 0, mn = 1, mx = 0;
    const int n = 600000;
    for (int i = 0; i < n; i++) {
        counts[grsn_rng_below(&r, 6)]++;
        double u = grsn_rng_double(&r); mean += u;
        mn = u < mn ? u : mn;
        mx = u > mx ? u : mx;
    }
    for (int k = 0; k < 6; k++) CHECK_NEAR(counts[k], n / 6.0, 0, 0.01);
    CHECK_NEAR(mean / n, 0.5, 0.002, 0);
    CHECK(mn >= 0 && mx < 1);
    float f = grsn_rng_float(&r); CHECK(f >= 0 && f < 1);
}

TEST(normal_moments) {
    grsn_rng r; grsn_rng_seed(&r, 9, 1);
    double s = 0, s2 = 0, s4 = 0; const int n = 400000;
    for (int i = 0; i < n; i++) { double x = grsn_rng_normal(&r); s += x; s2 += x * x; s4 += x * x * x * x; }
    CHECK_NEAR(s / n, 0, 0.01, 0);
    CHECK_NEAR(s2 / n, 1, 0.01, 0);
    CHECK_NEAR(s4 / n, 3, 0.05, 0);
}

int main(void) {
    RUN(same_seed_same_stream);
    RUN(streams_and_seeds_differ);
    RUN(state_copy_resumes);
    RUN(uniform_and_below);
    RUN(normal_moments);
    return test_summary("test_rng");
}
