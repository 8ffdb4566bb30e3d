/*
 * ops.c — dense maths over rows: matrix products (forward and backward),
 * element-wise activations, softmax / log-softmax and concatenation.
 *
 * Threading: a forward pass and dx split rows, dW splits output features (or
 * groups of inputs), and every sum runs in a fixed order inside one thread,
 * so the result does not depend on the thread count.
 */
#include "common.h"

// 2^(i/32) for i = 0..31, correctly rounded, less i << 47 (grsn_expf adds
// k << 47 for k = x 32 / ln 2 rounded, which puts k div 32 into the
// exponent). glibc's __exp2f_data table, recomputed; dev/check_expf.c
// checks grsn_expf against libm's expf on every float.
const uint64_t grsn_exp2_tab[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
    0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
    0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
    0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
    0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
    0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
};

// wt[c][r] = w[r][c], in 16 x 16 tiles: a row-by-row copy writes one float
// per cache line of wt and took 5% of a TD3 update (perf, trained agent).
enum { TRANSPOSE_TILE = 16 };

// Rows r0 .. r0 + TRANSPOSE_TILE of w into wt.
static void transpose_rows(float *wt, const float *w, int rows, int cols, int r0) {
    int r1 = r0 + TRANSPOSE_TILE < rows ? r0 + TRANSPOSE_TILE : rows;
    for (int c0 = 0; c0 < cols; c0 += TRANSPOSE_TILE) {
        int c1 = c0 + TRANSPOSE_TILE < cols ? c0 + TRANSPOSE_TILE : cols;
        for (int c = c0; c < c1; c++)
            for (int r = r0; r < r1; r++) wt[(size_t)c * rows + r] = w[(size_t)r * cols + c];
    }
}

void grsn_transpose(float *wt, const float *w, int rows, int cols) {
    if (grsn_par((long)rows * cols)) {
        #pragma omp parallel for schedule(static)
        for (int r0 = 0; r0 < rows; r0 += TRANSPOSE_TILE) transpose_rows(wt, w, rows, cols, r0);
    } else {
        for (int r0 = 0; r0 < rows; r0 += TRANSPOSE_TILE) transpose_rows(wt, w, rows, cols, r0);
    }
}

// wt = w^T unless w holds the bytes it held at the last call, kept in `seen`
// (rows x cols, zero-filled at first, as wt is). Weights change once per
// update but are read by many forward calls, and a decision at batch 1 costs
// less than transposing its weights: the transpose took a quarter of a
// trained Pendulum-P agent's decision (perf, `grsn bench act`). Comparing
// bytes needs no invalidation anywhere weights are written.
void grsn_transpose_cached(float *wt, float *seen, const float *w, int rows, int cols) {
    size_t n = (size_t)rows * cols * sizeof(float);
    if (memcmp(seen, w, n) == 0) return;
    grsn_transpose(wt, w, rows, cols);
    memcpy(seen, w, n);
}

// ----------------------------------------------------------------------------
// Products. Every element of every product below is one sum
//
//     acc = init[j] (or 0);  for k ascending: acc = acc + A(r,k) M[k][j];
//     C[r][j] = acc  (or acc + C[r][j] when accumulating)
//
// where each "acc + a m" is one fused multiply-add on a machine with FMA and
// none elsewhere (madd / vmadd below). A term with a zero factor may be left
// out: adding an exact zero changes no sum (at most the sign of a zero one,
// which the final "acc + C" of an accumulated gradient erases). So the forward pass
// (A = x, M = W^T), the input gradient (A = dy, M = W) and the weight
// gradient (A = dy^T, M = x) can each be computed in whichever of the four
// traversals below is fastest for its shape and sparsity, with every element
// summed in the same order, whatever the tiling, batch size or thread count:
//
//   the register tile   dense A: a few rows times a few vectors of columns
//                       held in registers, one pass over k;
//   the row gather      mostly-zero x in the forward pass (spikes, ReLU
//                       outputs): each row sums only its non-zero inputs;
//   the column gather   mostly-zero x in the weight gradient: each dW[o][i]
//                       sums only the rows n where x[n][i] is non-zero;
//   the narrow product  fewer columns than a vector: rows in the lanes.
//
// Vectors are GCC/clang vector extensions of VW floats.

#if defined(__AVX512F__)
#define VW 16      // floats per vector register
#define TILE_R 8   // tile rows; 8 x 2 accumulators use 16 of the 32 registers
#define TILE_V 2   // tile width in vectors (6 x 4 and 5 x 4 measured no faster)
#elif defined(__AVX__)
#define VW 8
#define TILE_R 4   // 16 registers: 4 x 2 accumulators
#define TILE_V 2
#else
#define VW 4       // SSE / NEON width, or scalar code on other targets
#define TILE_R 4
#define TILE_V 2
#endif
typedef float vec __attribute__((vector_size(VW * 4), aligned(4), may_alias));

static inline vec vec_load(const float *p) { return *(const vec *)p; }
static inline void vec_store(float *p, vec v) { *(vec *)p = v; }
// x in every lane: one broadcast. (A loop over the lanes let GCC's 256-bit
// tuning for some Intel cores build a 512-bit vector from two 256-bit halves
// through the stack, and every FMA that read it stalled on store forwarding:
// 6x slower updates. x - 0 is x exactly, -0 included.)
static inline vec vec_splat(float x) { return x - (vec){0}; }

// acc + a m, fused on a machine with FMA and not fused without. Spelled out
// rather than left to -ffp-contract: a compiler may decline to contract a
// multiply-add (GCC's Zen tuning does, in some reduction loops), and then
// two paths to the same sum could round differently.
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
#define GRSN_HAVE_FMA 1
#endif
#if (GRSN_HAVE_FMA && VW == 8) || VW == 16
#include <immintrin.h>
#elif GRSN_HAVE_FMA && defined(__ARM_NEON)
#include <arm_neon.h>
#endif
static inline float madd(float acc, float a, float m) {
#if GRSN_HAVE_FMA
    return fmaf(a, m, acc);
#else
    return acc + a * m;
#endif
}
static inline vec vmadd(vec acc, vec a, vec m) {
#if GRSN_HAVE_FMA && VW == 16
    return (vec)_mm512_fmadd_ps((__m512)a, (__m512)m, (__m512)acc);
#elif GRSN_HAVE_FMA && VW == 8
    return (vec)_mm256_fmadd_ps((__m256)a, (__m256)m, (__m256)acc);
#elif GRSN_HAVE_FMA && defined(__ARM_NEON)
    return (vec)vfmaq_f32((float32x4_t)acc, (float32x4_t)a, (float32x4_t)m);
#else
    return acc + a * m;   // contracted where the target has FMA (-ffp-contract=fast)
#endif
}
static inline int imin(int a, int b) { return a < b ? a : b; }
enum { GRSN_CONTINUE = 2 };

// ---- The register tile.
//
// accumulate: 0 stores the sums, 1 adds them to C, GRSN_CONTINUE starts each
// sum from C's value instead of init (a product over a second range of k
// that carries on the sums of a first range, in order).
// Rows r < TILE_R of A and C are given by pointers: A(r, k) = ar[r][k * acs],
// C[r][j] = cr[r][j]; only the first nr rows are stored (the others repeat
// row 0 and are computed for nothing). kmask[k] == 0 drops step k.

// NV vectors of columns starting at column j. NV is a constant at every call,
// so the accumulators are named registers after unrolling. The loops over
// vectors run to the constant TILE_V and skip v >= NV: clang takes
// "GCC unroll n" as an unroll count, and a loop bounded by NV (2 with
// "unroll 4") stayed rolled, its accumulators on the stack; built with clang,
// a TD3 update was 3x slower than with GCC.
#define INLINE static inline __attribute__((always_inline))   // so that NV is a constant

INLINE void tile_block(float *const *cr, const float *const *ar, size_t acs,
                       const float *m, size_t ldm, const float *init, const float *kmask,
                       int nr, int K, int j, int accumulate, const int NV) {
    vec acc[TILE_R][TILE_V];
    const float *a[TILE_R];   // the row pointers, in registers
    #pragma GCC unroll 8
    for (int r = 0; r < TILE_R; r++) a[r] = ar[r];
    if (accumulate == GRSN_CONTINUE) {
        // Rows past nr point at row 0 (see above), so every load is valid.
        #pragma GCC unroll 8
        for (int r = 0; r < TILE_R; r++)
            #pragma GCC unroll 4
            for (int v = 0; v < TILE_V; v++) if (v < NV) acc[r][v] = vec_load(cr[r] + j + v * VW);
    } else {
        #pragma GCC unroll 4
        for (int v = 0; v < TILE_V; v++) if (v < NV) {
            vec i0 = init ? vec_load(init + j + v * VW) : vec_splat(0.0f);
            #pragma GCC unroll 8
            for (int r = 0; r < TILE_R; r++) acc[r][v] = i0;
        }
    }
    for (int k = 0; k < K; k++) {
        if (kmask && kmask[k] == 0.0f) continue;
        const float *mk = m + (size_t)k * ldm + j;
        size_t ka = (size_t)k * acs;
        vec mv[TILE_V];
        #pragma GCC unroll 4
        for (int v = 0; v < TILE_V; v++) if (v < NV) mv[v] = vec_load(mk + v * VW);
        #pragma GCC unroll 8
        for (int r = 0; r < TILE_R; r++) {
            vec s = vec_splat(a[r][ka]);
            #pragma GCC unroll 4
            for (int v = 0; v < TILE_V; v++) if (v < NV) acc[r][v] = vmadd(acc[r][v], s, mv[v]);
        }
    }
    #pragma GCC unroll 8
    for (int r = 0; r < TILE_R; r++) {
        if (r >= nr) break;
        #pragma GCC unroll 4
        for (int v = 0; v < TILE_V; v++) if (v < NV) {
            float *p = cr[r] + j + v * VW;
            vec o = acc[r][v];
            if (accumulate == 1) o += vec_load(p);
            vec_store(p, o);
        }
    }
}

// The last columns (fewer than one vector), one float at a time: the tile's
// rows are independent sums, so they proceed side by side.
static void tile_scalar_cols(float *const *cr, const float *const *ar, size_t acs,
                             const float *m, size_t ldm, const float *init, const float *kmask,
                             int nr, int K, int j0, int ncols, int accumulate) {
    for (int j = j0; j < ncols; j++) {
        float acc[TILE_R];
        #pragma GCC unroll 8
        for (int r = 0; r < TILE_R; r++)
            acc[r] = accumulate == GRSN_CONTINUE ? cr[r][j] : init ? init[j] : 0.0f;
        for (int k = 0; k < K; k++) {
            if (kmask && kmask[k] == 0.0f) continue;
            float mv = m[(size_t)k * ldm + j];
            size_t ka = (size_t)k * acs;
            #pragma GCC unroll 8
            for (int r = 0; r < TILE_R; r++) {
                float av = ar[r][ka];
                if (av != 0.0f) acc[r] = madd(acc[r], av, mv);
            }
        }
        for (int r = 0; r < nr; r++) cr[r][j] = accumulate == 1 ? acc[r] + cr[r][j] : acc[r];
    }
}

// All ncols columns of the tile's rows.
static void product_tile(float *const *cr, const float *const *ar, size_t acs,
                         const float *m, size_t ldm, const float *init, const float *kmask,
                         int nr, int K, int ncols, int accumulate) {
    int j = 0;
    for (; j + TILE_V * VW <= ncols; j += TILE_V * VW)
        tile_block(cr, ar, acs, m, ldm, init, kmask, nr, K, j, accumulate, TILE_V);
    // Fewer than TILE_V whole vectors left (when TILE_V is 4): 2 then 1.
    if (TILE_V > 2 && j + 2 * VW <= ncols) {
        tile_block(cr, ar, acs, m, ldm, init, kmask, nr, K, j, accumulate, 2);
        j += 2 * VW;
    }
    if (j + VW <= ncols) {
        tile_block(cr, ar, acs, m, ldm, init, kmask, nr, K, j, accumulate, 1);
        j += VW;
    }
    if (j < ncols) tile_scalar_cols(cr, ar, acs, m, ldm, init, kmask, nr, K, j, ncols, accumulate);
}

// ---- Narrow products (fewer columns than one vector: a last layer with one
// or two outputs, the weight gradient of a one-input embedding). Here the
// rows go side by side in the lanes of vectors instead: acc[g][j] holds
// column j of the VW rows of group g. The A values of a block of steps are
// first copied, rows in lanes, into a small buffer; a masked step (kmask) or
// a zero A value leaves the sum as it is. NARROW_G groups of rows run side
// by side, so that as many independent sums hide the latency of each
// multiply-add (with one group, one or two long chains of them set the pace).
typedef int32_t ivec __attribute__((vector_size(VW * 4)));
enum { NARROW_K = 64,                    // steps per buffered block (stack bound)
       NARROW_G = 4,                     // groups of VW rows side by side
       NARROW_ROWS = NARROW_G * VW };    // rows per product_narrow call

// The steps k0 .. k0+kn-1 of ncols columns, in the first ng groups; NC is
// ncols when it is a constant (1 or 2: the accumulators stay in registers),
// else 0.
INLINE void narrow_steps(vec acc[][VW], float at[][NARROW_G][VW], const float *m, size_t ldm,
                         const float *kmask, int k0, int kn, int ng, int ncols, const int NC) {
    if (NC) ncols = NC;
    for (int k = 0; k < kn; k++) {
        if (kmask && kmask[k0 + k] == 0.0f) continue;
        const float *mk = m + (size_t)(k0 + k) * ldm;
        #pragma GCC unroll 4
        for (int g = 0; g < NARROW_G; g++) {
            if (g >= ng) break;
            vec av = vec_load(at[k][g]);
            ivec live = av != vec_splat(0.0f);
            for (int j = 0; j < ncols; j++) {
                vec t = vmadd(acc[g][j], av, vec_splat(mk[j]));
                acc[g][j] = (vec)(((ivec)t & live) | ((ivec)acc[g][j] & ~live));
            }
        }
    }
}

#if defined(__AVX512F__)
// at[c * ld + l] = r[l][c] for c, l < 16: a 16 x 16 transpose in registers.
// unpacklo/hi_ps then _pd leave, in 128-bit lane L of u[4i + c], rows
// 4i..4i+3 of column 4L + c; two rounds of shuffle_f32x4 gather each column's
// four lanes.
static inline void transpose16(float *at, size_t ld, const __m512 *r) {
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
        __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int c = 0; c < 4; c++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), v1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
        __m512 w0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xee), w1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xee);
        _mm512_store_ps(at + (size_t)c * ld, _mm512_shuffle_f32x4(v0, v1, 0x88));          // column c
        _mm512_store_ps(at + (size_t)(4 + c) * ld, _mm512_shuffle_f32x4(v0, v1, 0xdd));    // column 4 + c
        _mm512_store_ps(at + (size_t)(8 + c) * ld, _mm512_shuffle_f32x4(w0, w1, 0x88));    // column 8 + c
        _mm512_store_ps(at + (size_t)(12 + c) * ld, _mm512_shuffle_f32x4(w0, w1, 0xdd));   // column 12 + c
    }
}
#endif

// Group g's lanes: at[k][g][l] = A(l, k0 + k) for its nr rows l < nr (the
// other lanes are left as they are). Element by element this strided copy
// took most of a narrow product's time (AVX-512 gathers were no faster);
// rows of contiguous A go through the transpose, 16 steps at a time.
static void narrow_fill(float at[][NARROW_G][VW], int g, const float *const *ar, size_t acs,
                        int nr, int k0, int kn) {
    int k = 0;
#if defined(__AVX512F__)
    // Lanes that are consecutive floats of A's step (the weight gradient of
    // an input narrower than a vector: A(l, k) = dy[k][o0 + l]) go in one
    // masked copy per step. Copied one float at a time, the weight gradients
    // of the embeddings and the critic's shortcut took about 1% of a TD3
    // update (perf), on one thread while the other waited.
    int consecutive = acs != 1;
    for (int l = 1; l < nr; l++) consecutive &= ar[l] == ar[0] + l;
    if (consecutive) {
        const float *a = ar[0] + (size_t)k0 * acs;
        __mmask16 lanes = (__mmask16)((1u << nr) - 1);
        for (; k < kn; k++)
            _mm512_mask_storeu_ps(at[k][g], lanes, _mm512_maskz_loadu_ps(lanes, a + (size_t)k * acs));
        return;
    }
    if (acs == 1) {
        __m512 r[16];
        for (int l = nr; l < 16; l++) r[l] = _mm512_setzero_ps();
        for (; k + 16 <= kn; k += 16) {
            for (int l = 0; l < nr; l++) r[l] = _mm512_loadu_ps(ar[l] + k0 + k);
            transpose16(at[k][g], NARROW_G * VW, r);
        }
    }
#endif
    for (int l = 0; l < nr; l++) {
        const float *a = ar[l] + (size_t)k0 * acs;
        for (int kk = k; kk < kn; kk++) at[kk][g][l] = a[(size_t)kk * acs];
    }
}

// The nr <= NARROW_ROWS rows given by ar and cr.
static void product_narrow(float *const *cr, const float *const *ar, size_t acs,
                           const float *m, size_t ldm, const float *init, const float *kmask,
                           int nr, int K, int ncols, int accumulate) {
    float at[NARROW_K][NARROW_G][VW] __attribute__((aligned(64)));
    vec acc[NARROW_G][VW];
    int ng = (nr + VW - 1) / VW;   // groups with rows in them (one for an agent acting alone)
    for (int g = 0; g < ng; g++)
        for (int j = 0; j < ncols; j++) acc[g][j] = vec_splat(init ? init[j] : 0.0f);
    if (nr < ng * VW)   // lanes past nr stay zero
        for (int k = 0; k < NARROW_K; k++) memset(at[k], 0, (size_t)ng * VW * sizeof(float));
    for (int k0 = 0; k0 < K; k0 += NARROW_K) {
        int kn = imin(NARROW_K, K - k0);
        for (int g = 0; g < ng; g++)
            narrow_fill(at, g, ar + g * VW, acs, imin(VW, nr - g * VW), k0, kn);
        if (ncols == 1) narrow_steps(acc, at, m, ldm, kmask, k0, kn, ng, ncols, 1);
        else if (ncols == 2) narrow_steps(acc, at, m, ldm, kmask, k0, kn, ng, ncols, 2);
        else narrow_steps(acc, at, m, ldm, kmask, k0, kn, ng, ncols, 0);
    }
    for (int l = 0; l < nr; l++)
        for (int j = 0; j < ncols; j++) {
            float v = acc[l / VW][j][l % VW];
            cr[l][j] = accumulate ? v + cr[l][j] : v;
        }
}

// Bit l set where x[l] != 0, l < n <= 32.
static inline uint32_t nonzero_bits(const float *x, int n) {
#if defined(__AVX512F__)
    uint32_t bits = 0;
    for (int l = 0; l < n; l += 16) {
        __mmask16 part = n - l >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - l)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(part, x + l);
        bits |= (uint32_t)_mm512_mask_cmp_ps_mask(part, v, _mm512_setzero_ps(), _CMP_NEQ_UQ) << l;
    }
    return bits;
#else
    uint32_t bits = 0;
    for (int l = 0; l < n; l++) bits |= (uint32_t)(x[l] != 0.0f) << l;
    return bits;
#endif
}

// ---- The row gather (forward pass of one row whose input is mostly zero).
//
// y[j] = init[j] + sum over the non-zero x[k], k ascending, of x[k] wt[k][j].
// idx lists those k; NV vectors of columns from column j (loops to GATHER_V,
// skipping v >= NV, as in tile_block).
enum { GATHER_K = 512,     // inputs listed at a time (stack bound)
       GATHER_V = 8 };     // vectors per pass over the list
INLINE void gather_block(float *y, const float *x, const int *idx, int na, const float *wt,
                         size_t ldw, const float *init, int j, const int NV) {
    vec acc[GATHER_V];
    #pragma GCC unroll 8
    for (int v = 0; v < GATHER_V; v++) if (v < NV) acc[v] = init ? vec_load(init + j + v * VW) : vec_splat(0.0f);
    for (int t = 0; t < na; t++) {
        int k = idx[t];
        vec s = vec_splat(x[k]);
        const float *mk = wt + (size_t)k * ldw + j;
        #pragma GCC unroll 8
        for (int v = 0; v < GATHER_V; v++) if (v < NV) acc[v] = vmadd(acc[v], s, vec_load(mk + v * VW));
    }
    #pragma GCC unroll 8
    for (int v = 0; v < GATHER_V; v++) if (v < NV) vec_store(y + j + v * VW, acc[v]);
}

static void row_gather(float *y, const float *x, const float *wt, const float *b, int in, int out) {
    int idx[GATHER_K];
    for (int k0 = 0; k0 < in; k0 += GATHER_K) {
        int k1 = imin(in, k0 + GATHER_K), na = 0;
        for (int k = k0; k < k1; k += 32) {   // 32 inputs per compare
            uint32_t bits = nonzero_bits(x + k, imin(32, k1 - k));
            for (; bits; bits &= bits - 1) idx[na++] = k + __builtin_ctz(bits);
        }
        // A very wide input is listed in parts; later parts continue from the
        // partial sums left in y.
        const float *init = k0 == 0 ? b : y;
        int j = 0;
        for (; j + GATHER_V * VW <= out; j += GATHER_V * VW)
            gather_block(y, x, idx, na, wt, (size_t)out, init, j, GATHER_V);
        if (j + 4 * VW <= out) { gather_block(y, x, idx, na, wt, (size_t)out, init, j, 4); j += 4 * VW; }
        if (j + 2 * VW <= out) { gather_block(y, x, idx, na, wt, (size_t)out, init, j, 2); j += 2 * VW; }
        if (j + VW <= out) { gather_block(y, x, idx, na, wt, (size_t)out, init, j, 1); j += VW; }
        for (; j < out; j++) {
            float acc = init ? init[j] : 0.0f;
            for (int t = 0; t < na; t++) acc = madd(acc, x[idx[t]], wt[(size_t)idx[t] * out + j]);
            y[j] = acc;
        }
    }
}

// ---- The column gather (weight gradient when x is mostly zero).
//
// dW[o][i] += sum over n ascending with x[n][i] != 0 (and mask[n] != 0) of
// dy[n][o] x[n][i], for a group of DW_GI inputs i0.. and DW_OB outputs o0...
// The group's sums live in a small block acc[i][o] that stays in the L1
// cache; each row n updates only the inputs it has non-zero.
enum { DW_GI = 64, DW_OB = 128 };

// acc[o] += s * g[o] for o < NV * VW, then one float at a time up to ob.
INLINE void axpy_row(float *acc, float s, const float *g, int ob, const int NV) {
    vec sv = vec_splat(s);
    #pragma GCC unroll 8
    for (int v = 0; v < NV; v++)
        vec_store(acc + v * VW, vmadd(vec_load(acc + v * VW), sv, vec_load(g + v * VW)));
    for (int o = NV * VW; o < ob; o++) acc[o] = madd(acc[o], s, g[o]);
}

static void dw_gather_group(float *dw, const float *dy, const float *x, const float *mask,
                            int N, int in, int out, int i0, int i_end, int o0) {
    int ni = imin(DW_GI, i_end - i0), ob = imin(DW_OB, out - o0);
    float acc[DW_GI][DW_OB] __attribute__((aligned(64)));
    for (int l = 0; l < ni; l++) memset(acc[l], 0, (size_t)ob * sizeof(float));
    for (int n = 0; n < N; n++) {
        if (mask && mask[n] == 0.0f) continue;
        const float *xn = x + (size_t)n * in + i0, *g = dy + (size_t)n * out + o0;
        uint64_t bits = nonzero_bits(xn, imin(ni, 32));
        if (ni > 32) bits |= (uint64_t)nonzero_bits(xn + 32, ni - 32) << 32;
        while (bits) {
            int l = __builtin_ctzll(bits);
            bits &= bits - 1;
            if (ob == DW_OB) axpy_row(acc[l], xn[l], g, ob, DW_OB / VW);   // unrolled
            else axpy_row(acc[l], xn[l], g, ob, ob / VW);                  // whole vectors, then floats
        }
    }
    for (int l = 0; l < ni; l++)
        for (int o = 0; o < ob; o++) {
            float *p = dw + (size_t)(o0 + o) * in + i0 + l;
            *p = acc[l][o] + *p;
        }
}

// ---- Drivers.

// Which leading columns of x [N][in] to sum by a gather (each row listing
// its non-zero inputs) and which to leave to the tile: the gather takes
// columns [0, kd), the tile [kd, in); kd = 0 is all tile. A gather loads a
// weight row per non-zero input and row, where the tile loads each weight
// once for TILE_R rows. While the weights (wbytes) fit in the L1 cache a
// non-zero costs the gather about what two dense inputs cost the tile,
// beyond it about four (spikes a quarter of the time come out even). kd
// minimises that cost, counted on up to 64 unmasked rows spread over x. The
// tile works TILE_R rows at a time, so on fewer rows (one agent acting) a
// dense input costs it as much as on TILE_R, and the gather takes more. A
// head reading [spikes, shortcut features] gathers its spikes and tiles its
// features, even when a few features are dead ReLU units (a rule that ended
// the dense tail at the first mostly-zero column left them all to the
// gather). The answer picks a traversal, never a result (every traversal
// gives the same bits), so a sample will do.
enum { L1_BYTES = 32768,
       DENSE_TAIL_MIN = 8,      // a shorter dense tail stays with the gather
       SPLIT_COLS = 1024 };     // wider inputs are judged whole

static int gather_columns(const float *x, const float *mask, int N, int in, size_t wbytes) {
    int cost_nz = wbytes <= L1_BYTES ? 2 : 4;
    int cnt[SPLIT_COLS], cols = imin(in, SPLIT_COLS), n = 0;
    memset(cnt, 0, (size_t)cols * sizeof(int));
    long nz = 0;   // for inputs wider than SPLIT_COLS
    for (int r = 0, step = N > 64 ? N / 64 : 1; r < N && n < 64; r += step) {
        if (mask && mask[r] == 0.0f) continue;
        const float *xr = x + (size_t)r * in;
        #pragma omp simd
        for (int i = 0; i < cols; i++) cnt[i] += xr[i] != 0.0f;
        for (int i = cols; i < in; i++) nz += xr[i] != 0.0f;
        n++;
    }
    if (n == 0) return 0;
    // The rows the tile computes: n rounded up to whole tiles while every row
    // was counted (beyond 64 rows the rounding is lost in the sample).
    long tile_n = N <= 64 ? (n + TILE_R - 1) / TILE_R * TILE_R : n;
    if (in > SPLIT_COLS) {
        for (int i = 0; i < cols; i++) nz += cnt[i];
        return cost_nz * nz < tile_n * in ? in : 0;
    }
    // cost(kd) = cost_nz * (non-zeros in [0, kd)) + tile_n * (in - kd), over
    // the kd that leave the tile whole vectors of columns (a remainder of
    // single columns would cost it more than the count says).
    long cost = tile_n * in, best = cost;
    int kd = 0;
    for (int k = 1; k <= in; k++) {
        cost += (long)cost_nz * cnt[k - 1] - tile_n;
        if ((in - k) % VW == 0 && cost < best) { best = cost; kd = k; }
    }
    return kd > 0 && in - kd < DENSE_TAIL_MIN ? in : kd;
}

// Rows are scheduled in chunks; masked rows are dropped from a chunk's list
// of live rows, which is then cut into tiles. A chunk is at most ROW_CHUNK
// rows, and small products (the per-step products of a recurrence) are cut
// into at least four chunks so that threads share them.
enum { ROW_CHUNK = 96 };   // a multiple of TILE_R

static int chunk_rows(int N) {
    int c = (N + 3) / 4;
    c = (c + TILE_R - 1) / TILE_R * TILE_R;
    return c < TILE_R ? TILE_R : c < ROW_CHUNK ? c : ROW_CHUNK;   // TILE_R when N = 0
}

// Each thread takes one run of consecutive chunks, and the runs hold equal
// numbers of live rows: bounds[p] .. bounds[p + 1] - 1 are part p's chunks.
// Equal numbers of chunks were not equal work: the rows of a batch of
// episodes are time-major and its late steps mostly masked padding, so the
// first thread held most of the live rows (QMIX on MMM2, GRU agents, 2
// threads: perf counted 3.2 times as many samples of the forward product on
// it as on the second). Chunks handed out in turn (schedule(static, 1))
// balanced them but cost a TD3 update 9% on 2 threads, probably because a
// thread's rows no longer stayed in its own cache from one layer to the
// next. Without masked rows the parts are the even split schedule(static)
// made. Which thread runs a chunk changes no bit.
enum { MAX_PARTS = 64 };

static int balance_chunks(const float *mask, int N, int rows, int nchunks, int *bounds) {
    int parts = imin(imin(grsn_threads(), nchunks), MAX_PARTS);
    long total = 0;
    if (mask) for (int n = 0; n < N; n++) total += mask[n] != 0.0f;
    else total = N;
    bounds[0] = 0;
    long seen = 0;
    int p = 1;
    for (int ch = 0; ch < nchunks && p < parts; ch++) {
        int n1 = imin(N, ch * rows + rows);
        if (mask) { for (int n = ch * rows; n < n1; n++) seen += mask[n] != 0.0f; }
        else seen = n1;
        while (p < parts && seen * parts >= total * p) bounds[p++] = ch + 1;
    }
    while (p <= parts) bounds[p++] = nchunks;
    return parts;
}

// The dense weight gradient of columns [c0, c0 + nc):
//     dW[o][c0 + i] += sum over n ascending of dy[n][o] x[n][c0 + i],
// tiles of TILE_R outputs o (A = dy^T, M = x). A tile that ran over all N
// rows at once read x from the L2 cache again for every tile and column
// block; here the rows go in blocks of DW_KB, each used by all the tiles of
// a group while it is in the L1 cache, the tiles' partial sums waiting in
// tmp between blocks. Every sum is the same chain of multiply-adds, only
// stored and reloaded between blocks, then added to dW once.
enum { DW_KB = 64,          // rows of x per block
       DW_GROUP = 8,        // output tiles per group (a group is one thread's work)
       DW_TMP = 16384 };    // floats of partial sums per group (64 KB of stack)

static void dw_tiles(float *dw, const float *dy, const float *x, const float *mask,
                     int N, int in, int out, int c0, int nc) {
    // Tiles per group: as many as tmp holds, up to DW_GROUP, and at most a
    // quarter of the tiles (rounded up), so that threads share the tiles of
    // a 64- or 192-wide layer (a 64-wide layer's 8 tiles made one group, and
    // one thread ran it). The grouping changes no sum, only which thread
    // computes it. Inputs too wide for one tile's partial sums in tmp: each
    // tile alone over all N rows.
    int fits = TILE_R * nc <= DW_TMP, otiles = (out + TILE_R - 1) / TILE_R;
    int per = fits ? imin(imin(DW_GROUP, DW_TMP / (TILE_R * nc)), (otiles + 3) / 4) : 1;
    int kb = fits ? DW_KB : N, ngroups = (otiles + per - 1) / per;
    #pragma omp parallel for schedule(static) if ((long)N * nc * out > GRSN_PAR_MIN_WORK)
    for (int g = 0; g < ngroups; g++) {
        float tmp[DW_TMP] __attribute__((aligned(64)));
        int t0 = g * per, t1 = imin(otiles, t0 + per);
        int use_tmp = kb < N;   // one block: the tile adds its sums to dW itself
        for (int n0 = 0; n0 < N; n0 += kb) {
            int K = imin(kb, N - n0);
            for (int tile = t0; tile < t1; tile++) {
                int o0 = tile * TILE_R, nr = imin(TILE_R, out - o0);
                const float *ar[TILE_R];
                float *cr[TILE_R];
                for (int r = 0; r < TILE_R; r++) {
                    int o = o0 + (r < nr ? r : 0);
                    ar[r] = dy + (size_t)n0 * out + o;
                    cr[r] = use_tmp ? tmp + (size_t)((tile - t0) * TILE_R + (r < nr ? r : 0)) * nc
                                    : dw + (size_t)o * in + c0;
                }
                product_tile(cr, ar, (size_t)out, x + (size_t)n0 * in + c0, (size_t)in, NULL,
                             mask ? mask + n0 : NULL, nr, K, nc,
                             !use_tmp ? 1 : n0 == 0 ? 0 : GRSN_CONTINUE);
            }
        }
        if (use_tmp)
            for (int o = t0 * TILE_R; o < imin(out, t1 * TILE_R); o++) {
                const float *t = tmp + (size_t)(o - t0 * TILE_R) * nc;
                float *d = dw + (size_t)o * in + c0;
                for (int i = 0; i < nc; i++) d[i] = t[i] + d[i];
            }
    }
}

static int live_rows(const float *mask, int n0, int n1, int *live) {
    int nlive = 0;
    for (int n = n0; n < n1; n++)
        if (!mask || mask[n] != 0.0f) live[nlive++] = n;
    return nlive;
}

// C rows live[t..t+nr) (C[n] = c + n * ldc) from A rows (A[n] = a + n * lda).
static void tile_rows(float *c, size_t ldc, const float *a, size_t lda, const int *live, int nr,
                      const float *m, size_t ldm, const float *init, int K, int ncols, int accumulate) {
    const float *ar[TILE_R];
    float *cr[TILE_R];
    for (int r = 0; r < TILE_R; r++) {
        size_t n = (size_t)live[r < nr ? r : 0];
        ar[r] = a + n * lda; cr[r] = c + n * ldc;
    }
    product_tile(cr, ar, 1, m, ldm, init, NULL, nr, K, ncols, accumulate);
}

// The same for the narrow product: C rows live[0..nlive), NARROW_ROWS at a time.
static void narrow_rows(float *c, size_t ldc, const float *a, size_t lda, const int *live, int nlive,
                        const float *m, size_t ldm, const float *init, int K, int ncols, int accumulate) {
    for (int t = 0; t < nlive; t += NARROW_ROWS) {
        int nr = imin(NARROW_ROWS, nlive - t);
        const float *ar[NARROW_ROWS];
        float *cr[NARROW_ROWS];
        for (int l = 0; l < nr; l++) {
            ar[l] = a + (size_t)live[t + l] * lda; cr[l] = c + (size_t)live[t + l] * ldc;
        }
        product_narrow(cr, ar, 1, m, ldm, init, NULL, nr, K, ncols, accumulate);
    }
}

static void relu_block(float *y, const float *x, size_t n);

void grsn_matmul_forward(float *y, const float *x, const float *wt, const float *b,
                         const float *mask, int N, int in, int out) {
    grsn_matmul_forward_act(y, x, wt, b, mask, N, in, out, GRSN_ACT_NONE);
}

// Rows n0 .. n1 of the forward product (its chunk of chunk_rows rows); kd:
// the columns of x to gather (gather_columns).
static void forward_chunk(float *y, const float *x, const float *wt, const float *b, const float *mask,
                          int in, int out, grsn_act act, int kd, int n0, int n1) {
    int live[ROW_CHUNK];
    if (mask)
        for (int n = n0; n < n1; n++)
            if (mask[n] == 0.0f) memset(y + (size_t)n * out, 0, (size_t)out * sizeof(float));
    int nlive = live_rows(mask, n0, n1, live);
    if (out < VW) {
        narrow_rows(y, (size_t)out, x, (size_t)in, live, nlive, wt, (size_t)out, b, in, out, 0);
    } else if (kd > 0) {
        // Sparse columns by gather; a dense tail (the real-valued features
        // concatenated after a layer's spikes) by the tile, carrying on
        // each row's sum from where the gather left it.
        for (int t = 0; t < nlive; t++)
            row_gather(y + (size_t)live[t] * out, x + (size_t)live[t] * in, wt, b, kd, out);
        for (int t = 0; kd < in && t < nlive; t += TILE_R)
            tile_rows(y, (size_t)out, x + kd, (size_t)in, live + t, imin(TILE_R, nlive - t),
                      wt + (size_t)kd * out, (size_t)out, NULL, in - kd, out, GRSN_CONTINUE);
    } else {
        for (int t = 0; t < nlive; t += TILE_R)
            tile_rows(y, (size_t)out, x, (size_t)in, live + t, imin(TILE_R, nlive - t),
                      wt, (size_t)out, b, in, out, 0);
    }
    if (act == GRSN_ACT_RELU) relu_block(y + (size_t)n0 * out, y + (size_t)n0 * out, (size_t)(n1 - n0) * out);
}

void grsn_matmul_forward_act(float *y, const float *x, const float *wt, const float *b,
                             const float *mask, int N, int in, int out, grsn_act act) {
    int rows = chunk_rows(N), nchunks = (N + rows - 1) / rows;
    int kd = out < VW ? 0 : gather_columns(x, mask, N, in, (size_t)in * out * sizeof(float));
    if (grsn_par((long)N * in * out)) {
        int bounds[MAX_PARTS + 1], parts = balance_chunks(mask, N, rows, nchunks, bounds);
        #pragma omp parallel for schedule(static, 1)
        for (int p = 0; p < parts; p++)
            for (int ch = bounds[p]; ch < bounds[p + 1]; ch++)
                forward_chunk(y, x, wt, b, mask, in, out, act, kd, ch * rows, imin(N, ch * rows + rows));
    } else {
        for (int ch = 0; ch < nchunks; ch++)
            forward_chunk(y, x, wt, b, mask, in, out, act, kd, ch * rows, imin(N, ch * rows + rows));
    }
    if (act != GRSN_ACT_NONE && act != GRSN_ACT_RELU) grsn_act_forward(act, y, y, (size_t)N * out);
}

// Rows n0 .. n1 of the input gradient (one chunk of matmul_dx below).
static void dx_chunk(float *dx, const float *dy, const float *w, const float *mask, int in, int out,
                     int col0, int ncols, int set, int n0, int n1) {
    int live[ROW_CHUNK];
    if (set && mask)
        for (int n = n0; n < n1; n++)
            if (mask[n] == 0.0f) memset(dx + (size_t)n * in + col0, 0, (size_t)ncols * sizeof(float));
    int nlive = live_rows(mask, n0, n1, live);
    if (ncols < VW) {
        narrow_rows(dx + col0, (size_t)in, dy, (size_t)out, live, nlive, w + col0, (size_t)in, NULL, out, ncols, !set);
        return;
    }
    for (int t = 0; t < nlive; t += TILE_R)
        tile_rows(dx + col0, (size_t)in, dy, (size_t)out, live + t, imin(TILE_R, nlive - t),
                  w + col0, (size_t)in, NULL, out, ncols, !set);
}

// dx[n][col0 + i] += sum_o dy[n][o] W[o][col0 + i] for i < ncols; with set,
// dx[n][col0 + i] = that sum (0 on masked rows). Set gives the bits of
// zeroing dx and adding: a sum that starts from +0 never ends at -0, so
// adding it to zero changes nothing.
static void matmul_dx(float *dx, const float *dy, const float *w, const float *mask,
                      int N, int in, int out, int col0, int ncols, int set) {
    int rows = chunk_rows(N), nchunks = (N + rows - 1) / rows;
    if (grsn_par((long)N * ncols * out)) {
        int bounds[MAX_PARTS + 1], parts = balance_chunks(mask, N, rows, nchunks, bounds);
        #pragma omp parallel for schedule(static, 1)
        for (int p = 0; p < parts; p++)
            for (int ch = bounds[p]; ch < bounds[p + 1]; ch++)
                dx_chunk(dx, dy, w, mask, in, out, col0, ncols, set, ch * rows, imin(N, ch * rows + rows));
    } else {
        for (int ch = 0; ch < nchunks; ch++)
            dx_chunk(dx, dy, w, mask, in, out, col0, ncols, set, ch * rows, imin(N, ch * rows + rows));
    }
}

void grsn_matmul_backward_dx_cols(float *dx, const float *dy, const float *w, const float *mask,
                                  int N, int in, int out, int col0, int ncols) {
    GRSN_ASSERT(col0 >= 0 && ncols >= 0 && col0 + ncols <= in,
                "matmul dx columns %d..%d outside 0..%d", col0, col0 + ncols, in);
    matmul_dx(dx, dy, w, mask, N, in, out, col0, ncols, 0);
}

static void matmul_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                            const float *w, const float *mask, int N, int in, int out, int dx_set);

void grsn_matmul_backward(float *dx, float *dw, float *db, const float *dy,
                          const float *x, const float *w, const float *mask,
                          int N, int in, int out) {
    matmul_backward(dx, dw, db, dy, x, w, mask, N, in, out, 0);
}

void grsn_matmul_backward_set(float *dx, float *dw, float *db, const float *dy,
                              const float *x, const float *w, const float *mask,
                              int N, int in, int out) {
    matmul_backward(dx, dw, db, dy, x, w, mask, N, in, out, 1);
}

static void matmul_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                            const float *w, const float *mask, int N, int in, int out, int dx_set) {
    long work = (long)N * in * out;   // used by the OpenMP if() clauses
    (void)work;
    if (dx) matmul_dx(dx, dy, w, mask, N, in, out, 0, in, dx_set);
    if (dw && in < VW) {
        // Narrow: outputs o side by side, A(o, n) = dy[n][o], M = x.
        int ogroups = (out + NARROW_ROWS - 1) / NARROW_ROWS;
        #pragma omp parallel for schedule(static) if (ogroups > 1 && work > GRSN_PAR_MIN_WORK)
        for (int g = 0; g < ogroups; g++) {
            int o0 = g * NARROW_ROWS, nr = imin(NARROW_ROWS, out - o0);
            const float *ar[NARROW_ROWS];
            float *cr[NARROW_ROWS];
            for (int l = 0; l < nr; l++) { ar[l] = dy + o0 + l; cr[l] = dw + (size_t)(o0 + l) * in; }
            product_narrow(cr, ar, (size_t)out, x, (size_t)in, NULL, mask, nr, N, in, 1);
        }
    } else if (dw) {
        // Columns [0, kd) by the column gather, the rest (a dense tail, or
        // all of a dense input) by tiles.
        int kd = gather_columns(x, mask, N, in, (size_t)in * out * sizeof(float));
        int ngroups = (kd + DW_GI - 1) / DW_GI, nblocks = (out + DW_OB - 1) / DW_OB;
        #pragma omp parallel for schedule(dynamic, 1) if (kd > 0 && work > GRSN_PAR_MIN_WORK)
        for (int u = 0; u < ngroups * nblocks; u++)
            dw_gather_group(dw, dy, x, mask, N, in, out, (u / nblocks) * DW_GI, kd, (u % nblocks) * DW_OB);
        if (kd < in) dw_tiles(dw, dy, x, mask, N, in, out, kd, in - kd);
    }
    if (db) {
        // db[o] += (dy[0][o] + dy[1][o] + ...): each sum starts from zero and
        // runs over n in order, then is added to db. The rows are read a
        // block of outputs at a time (vectorised across o); threads take
        // whole blocks, so no sum is split between threads. A block is one
        // 64-byte line of a row: with blocks of 64 outputs a 64-wide layer's
        // sums (over every row of a QMIX batch) ran on one thread.
        enum { DB_BLOCK = 16 };
        int nblocks = (out + DB_BLOCK - 1) / DB_BLOCK;
        #pragma omp parallel for schedule(static) if (nblocks > 1 && (long)N * out > GRSN_PAR_MIN_WORK)
        for (int blk = 0; blk < nblocks; blk++) {
            int o0 = blk * DB_BLOCK, width = imin(DB_BLOCK, out - o0);
            float sum[DB_BLOCK] __attribute__((aligned(64)));
            memset(sum, 0, (size_t)width * sizeof(float));
            for (int n = 0; n < N; n++) {
                if (mask && mask[n] == 0.0f) continue;
                const float *g = dy + (size_t)n * out + o0;
                #pragma omp simd
                for (int o = 0; o < width; o++) sum[o] += g[o];
            }
            for (int o = 0; o < width; o++) db[o0 + o] += sum[o];
        }
    }
}

// Element-wise work is split into blocks of ACT_BLOCK values that threads
// share when there are enough of them (ReLU and copies only: they do no
// arithmetic whose rounding could depend on where a block starts).
enum { ACT_BLOCK = 8192 };

static void relu_block(float *y, const float *x, size_t n) {
    #pragma omp simd   // y == x (in place) is fine: element i reads x[i] only
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

// dx += dy [y > 0], or with set dx = 0 + dy [y > 0] (the bits of zeroing dx
// first: 0 + dy turns a -0 into +0).
static void relu_backward_block(float *dx, const float *dy, const float *y, size_t n, int set) {
    // A select rather than a branch: y > 0 falls at random.
    if (set) {
        #pragma omp simd
        for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? 0.0f + dy[i] : 0.0f;
    } else {
        #pragma omp simd
        for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dx[i] + dy[i] : dx[i];
    }
}

void grsn_act_forward(grsn_act a, float *y, const float *x, size_t n) {
    long nblocks = (long)((n + ACT_BLOCK - 1) / ACT_BLOCK);
    switch (a) {
    case GRSN_ACT_NONE: if (y != x) memmove(y, x, n * sizeof(float)); break;
    case GRSN_ACT_RELU:
        if (nblocks <= 2 || grsn_threads() < 2) { relu_block(y, x, n); break; }   // plain if (common.h); exact
        #pragma omp parallel for schedule(static)
        for (long blk = 0; blk < nblocks; blk++) {
            size_t i0 = (size_t)blk * ACT_BLOCK;
            relu_block(y + i0, x + i0, n - i0 < ACT_BLOCK ? n - i0 : ACT_BLOCK);
        }
        break;
    case GRSN_ACT_TANH: for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]); break;
    case GRSN_ACT_SIGMOID: for (size_t i = 0; i < n; i++) y[i] = grsn_sigmoidf(x[i]); break;
    }
}

static void act_backward(grsn_act a, float *dx, const float *dy, const float *y, size_t n, int set) {
    // With set, each dx[i] = +0 + term: the bits of zeroing dx first, and
    // dy is read before dx[i] is written, so dx may be dy (in place).
    long nblocks = (long)((n + ACT_BLOCK - 1) / ACT_BLOCK);
    switch (a) {
    case GRSN_ACT_NONE: for (size_t i = 0; i < n; i++) dx[i] = (set ? 0.0f : dx[i]) + dy[i]; break;
    case GRSN_ACT_RELU:
        #pragma omp parallel for schedule(static) if (nblocks > 2)
        for (long blk = 0; blk < nblocks; blk++) {
            size_t i0 = (size_t)blk * ACT_BLOCK;
            relu_backward_block(dx + i0, dy + i0, y + i0, n - i0 < ACT_BLOCK ? n - i0 : ACT_BLOCK, set);
        }
        break;
    case GRSN_ACT_TANH:
        for (size_t i = 0; i < n; i++) dx[i] = (set ? 0.0f : dx[i]) + dy[i] * (1.0f - y[i] * y[i]);
        break;
    case GRSN_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) dx[i] = (set ? 0.0f : dx[i]) + dy[i] * y[i] * (1.0f - y[i]);
        break;
    }
}

void grsn_act_backward(grsn_act a, float *dx, const float *dy, const float *y, size_t n) {
    act_backward(a, dx, dy, y, n, 0);
}

void grsn_act_backward_set(grsn_act a, float *dx, const float *dy, const float *y, size_t n) {
    act_backward(a, dx, dy, y, n, 1);
}

void grsn_softmax_forward(float *p, const float *logits, int N, int k) {
    for (int n = 0; n < N; n++) {
        const float *l = logits + (size_t)n * k; float *pn = p + (size_t)n * k;
        float mx = l[0];
        for (int j = 1; j < k; j++) mx = l[j] > mx ? l[j] : mx;
        float s = 0.0f;
        for (int j = 0; j < k; j++) { pn[j] = grsn_expf(l[j] - mx); s += pn[j]; }
        for (int j = 0; j < k; j++) pn[j] /= s;
    }
}

void grsn_log_softmax_forward(float *lp, const float *logits, int N, int k) {
    for (int n = 0; n < N; n++) {
        const float *l = logits + (size_t)n * k; float *o = lp + (size_t)n * k;
        float mx = l[0];
        for (int j = 1; j < k; j++) mx = l[j] > mx ? l[j] : mx;
        float s = 0.0f;
        for (int j = 0; j < k; j++) s += grsn_expf(l[j] - mx);
        float lse = mx + logf(s);
        for (int j = 0; j < k; j++) o[j] = l[j] - lse;
    }
}

void grsn_softmax_backward(float *dlogits, const float *dp, const float *p, int N, int k) {
    for (int n = 0; n < N; n++) {
        const float *pn = p + (size_t)n * k, *g = dp + (size_t)n * k;
        float dotp = 0.0f;
        for (int j = 0; j < k; j++) dotp += g[j] * pn[j];
        for (int j = 0; j < k; j++) dlogits[(size_t)n * k + j] += pn[j] * (g[j] - dotp);
    }
}

void grsn_log_softmax_backward(float *dlogits, const float *dlp, const float *lp, int N, int k) {
    for (int n = 0; n < N; n++) {
        const float *l = lp + (size_t)n * k, *g = dlp + (size_t)n * k;
        float s = 0.0f;
        for (int j = 0; j < k; j++) s += g[j];
        for (int j = 0; j < k; j++) dlogits[(size_t)n * k + j] += g[j] - grsn_expf(l[j]) * s;
    }
}

// Concatenation, column slices and zeroing are memory-bound copies over the
// [T][B] rows of a whole window, and threads share their rows as they share a
// product's: run serially, they took about 6% of a 2-thread TD3 update on the
// master thread while the other waited (perf, session 26). A copy is exact,
// so how the rows are split never changes a bit.
void grsn_copy_cols(float *dst, int dst_w, int doff, const float *src, int src_w, int soff, int w, int N) {
    if (grsn_par((long)N * w)) {
        #pragma omp parallel for schedule(static)
        for (int n = 0; n < N; n++)
            memcpy(dst + (size_t)n * dst_w + doff, src + (size_t)n * src_w + soff, (size_t)w * sizeof(float));
    } else {
        for (int n = 0; n < N; n++)
            memcpy(dst + (size_t)n * dst_w + doff, src + (size_t)n * src_w + soff, (size_t)w * sizeof(float));
    }
}

void grsn_concat_forward(float *y, const float *a, int na, const float *b, int nb, int N) {
    grsn_copy_cols(y, na + nb, 0, a, na, 0, na, N);
    grsn_copy_cols(y, na + nb, na, b, nb, 0, nb, N);
}

void grsn_zero(float *x, size_t n) {
    enum { CHUNK = 16384 };   // floats per piece: 64 KB
    long pieces = (long)((n + CHUNK - 1) / CHUNK);
    #pragma omp parallel for schedule(static) if ((long)n > GRSN_PAR_MIN_WORK)
    for (long p = 0; p < pieces; p++) {
        size_t i0 = (size_t)p * CHUNK, len = n - i0 < CHUNK ? n - i0 : CHUNK;
        memset(x + i0, 0, len * sizeof(float));
    }
}
