/*
 * kernels.h — the innermost loops, written so that their rounding is fixed by
 * the source and not by the compiler or the thread count: a dot product with
 * eight explicit partial sums combined in a fixed tree, and an axpy. Every
 * matrix product in grsn reduces to these two, so a row computed alone (when
 * acting) and the same row computed inside a batch (when training) agree to
 * the last bit.
 */
#ifndef GRSN_KERNELS_H
#define GRSN_KERNELS_H

static inline float grsn_dot(const float *restrict a, const float *restrict b, int n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += a[i + k] * b[i + k];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

// y += alpha * x
static inline void grsn_axpy(float *restrict y, float alpha, const float *restrict x, int n) {
    #pragma omp simd
    for (int i = 0; i < n; i++) y[i] += alpha * x[i];
}

// Parallelise a loop only when it has enough work to pay for the threads.
#define GRSN_PAR_MIN_WORK 32768L

#endif
