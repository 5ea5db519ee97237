/*
 * steermesh's matmul kernels in C, over the packed layouts of io.steermesh.engine.tensor.Packed*.
 *
 * Every output y[t][r] is the same computation as the Java kernels': the row's weights decoded with
 * the same float operations (so each is its exact dequantized value), then one fused multiply-add
 * chain over the columns in order, starting from zero. Each lane of a vector is one row's chain, so
 * no reduction order enters, and the result is the same bits as the Java kernels for any batch and
 * any tile shape. The engine compiles this file at run time with the machine's C compiler
 * (-O3 -march=native -ffp-contract=off: only the explicit FMAs below fuse) and calls it through the
 * FFM API; see NativeKernels.java. SM_L, the Java float vector's lanes (16 for AVX-512, 8 for AVX2),
 * is given on the command line and fixes the panel layout.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#ifndef SM_L
#error "compile with -DSM_L=16 or -DSM_L=8 (the Java float vector's lanes)"
#endif
#define L SM_L
#define G 4                       /* panels per group */
#define CHUNK 128                 /* columns decoded at a time: 32 KB of floats, in L1 beside a tile's activations */
#define TILE 256                  /* tokens per pass over a decoded chunk */
#define FEW 16                    /* up to this many tokens, chunks of 16 KiB of floats: measured 3-5% faster at 9-16 */
#define CHUNK_FEW (CHUNK * 8 / L) /* tokens than 32 KiB ones (AVX-512), which were 0-8% faster at 256 */
#define SV ((int64_t) 4 * L)      /* bytes of one panel's vector */
#define WS ((int64_t) G * SV)     /* bytes of one vector of a group (one column, pair or field) */

enum { FMT_F32 = 0, FMT_BF16 = 1, FMT_F16 = 2, FMT_Q8 = 3, FMT_Q8_MIN = 4, FMT_Q4K = 5, FMT_Q4 = 6 };

#ifndef PF
#define PF 4096                   /* bytes ahead of the reads that the one-token kernels prefetch (into L2) */
#endif
#ifndef AHEAD_CHUNKS
#define AHEAD_CHUNKS 2            /* chunks ahead of the decoded one that the batched kernels prefetch */
#endif
#define INLINE static inline __attribute__((always_inline))

/*
 * Keeps the prefetches PF bytes ahead of a kernel's reads, which run through a group's bytes in order:
 * one core's demand misses alone reach about half the memory bandwidth, with them the kernels reach
 * about 90% of it.
 */
INLINE void ahead(const uint8_t **pf, const uint8_t *at) {
    while (*pf < at + PF) {
        _mm_prefetch((const char *) *pf, _MM_HINT_T1);
        *pf += 64;
    }
}

/*
 * The bytes [p, end) that a loop prefetches into L2, `per` lines at each of its steps: one burst of
 * a chunk's hundreds of lines fills the line-fill buffers and stalls the core until memory answers.
 */
typedef struct { const char *p, *end; int per; } ahead_q;

#if L == 16
typedef __m512 vf;
typedef __m512i vi;
INLINE vf ld(const void *p) { return _mm512_loadu_ps(p); }
INLINE void st(float *p, vf v) { _mm512_storeu_ps(p, v); }
INLINE vf fmadd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
INLINE vf mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
INLINE vf bc(float x) { return _mm512_set1_ps(x); }
INLINE vf zero(void) { return _mm512_setzero_ps(); }
INLINE vi ldi(const void *p) { return _mm512_loadu_si512(p); }
INLINE vi srl(vi v, unsigned n) { return _mm512_srli_epi32(v, n); }
INLINE vi andi(vi v, int m) { return _mm512_and_si512(v, _mm512_set1_epi32(m)); }
INLINE vf i2f(vi v) { return _mm512_cvtepi32_ps(v); }
INLINE vf b2f(const void *p) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) p))); }
INLINE vf h_even(vi v) { return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(v)); }
INLINE vf h_odd(vi v) { return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(v, 16))); }
INLINE vf bf_even(vi v) { return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16)); }
INLINE vf bf_odd(vi v) { return _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int) 0xffff0000))); }
/* both halves of every int lane: one word permute gathers the 16 low halves, then the 16 high ones */
INLINE void h_both(vi v, vf *even, vf *odd) {
    /* word indexes 0, 2, .., 30 then 1, 3, .., 31, two per int, from the low word up */
    const vi idx = _mm512_setr_epi32(0x00020000, 0x00060004, 0x000a0008, 0x000e000c, 0x00120010, 0x00160014, 0x001a0018, 0x001e001c,
                                     0x00030001, 0x00070005, 0x000b0009, 0x000f000d, 0x00130011, 0x00170015, 0x001b0019, 0x001f001d);
    vi p = _mm512_permutexvar_epi16(idx, v);
    *even = _mm512_cvtph_ps(_mm512_castsi512_si256(p));
    *odd = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(p, 1));
}
/* nibble j of every lane as a float: vpermps reads only an index's low four bits, so a table of 0..15 converts it in one step */
INLINE vf nib(vi q, int j) {
    const vf table = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm512_permutexvar_ps(j ? srl(q, 4 * j) : q, table);
}
#define TT 6                      /* tokens per register tile */
#define TP 4                      /* panels per register tile: 6 x 4 = 24 accumulators of the 32 registers, 10 loads per 24 FMAs */
#elif L == 8
typedef __m256 vf;
typedef __m256i vi;
INLINE vf ld(const void *p) { return _mm256_loadu_ps(p); }
INLINE void st(float *p, vf v) { _mm256_storeu_ps(p, v); }
INLINE vf fmadd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
INLINE vf mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
INLINE vf bc(float x) { return _mm256_set1_ps(x); }
INLINE vf zero(void) { return _mm256_setzero_ps(); }
INLINE vi ldi(const void *p) { return _mm256_loadu_si256((const __m256i *) p); }
INLINE vi srl(vi v, unsigned n) { return _mm256_srli_epi32(v, n); }
INLINE vi andi(vi v, int m) { return _mm256_and_si256(v, _mm256_set1_epi32(m)); }
INLINE vf i2f(vi v) { return _mm256_cvtepi32_ps(v); }
INLINE vf b2f(const void *p) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *) p))); }
/* the low (even) or high (odd) halves of the eight int lanes, gathered into one 128-bit half vector */
INLINE vf halves(vi v, int hi) {
    const vi lo = _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1,
                                   0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1);
    const vi up = _mm256_setr_epi8(2, 3, 6, 7, 10, 11, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1,
                                   2, 3, 6, 7, 10, 11, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1);
    vi t = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(v, hi ? up : lo), 0x08);
    return _mm256_cvtph_ps(_mm256_castsi256_si128(t));
}
INLINE vf h_even(vi v) { return halves(v, 0); }
INLINE vf h_odd(vi v) { return halves(v, 1); }
/* both: one byte shuffle puts each 128-bit lane's four low halves before its four high ones, a quad permute gathers them */
INLINE void h_both(vi v, vf *even, vf *odd) {
    const vi split = _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15,
                                      0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
    vi t = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(v, split), 0xD8);
    *even = _mm256_cvtph_ps(_mm256_castsi256_si128(t));
    *odd = _mm256_cvtph_ps(_mm256_extracti128_si256(t, 1));
}
INLINE vf bf_even(vi v) { return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)); }
INLINE vf bf_odd(vi v) { return _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int) 0xffff0000))); }
INLINE vf nib(vi q, int j) { return i2f(andi(srl(q, 4 * j), 0xF)); }
#define TT 6                      /* 6 x 2 panels = 12 of the 16 registers */
#define TP 2
#else
#error "SM_L must be 16 or 8"
#endif

/* One packed matrix: its format, bytes, shape and the format's two parameters. */
typedef struct {
    int fmt;
    const uint8_t *w;
    int64_t gb;          /* bytes of one group of G panels */
    int rows, cols;
    int64_t a, b;        /* Q8: columns per scale, bytes of one sub-block of a group */
    int g1;              /* the end of the groups this call multiplies (prefetches stop there) */
} mat;

/* Q4_K: per super-block of 256 columns and group, d, -dmin, four scale words, eight sub-blocks of four nibble words. */
#define Q4K_MINS WS
#define Q4K_SCALES (2 * WS)
#define Q4K_QUANTS (Q4K_SCALES + 4 * WS)
#define Q4K_SB (4 * WS)
#define Q4K_BB (Q4K_QUANTS + 8 * Q4K_SB)
/* Q4_0, Q4_1: per sub-block of 32 columns and group, the scales, the negated mins, four nibble words. */
#define Q4_QUANTS (2 * WS)
#define Q4_BB (Q4_QUANTS + 4 * WS)

/* Writes panel p's L rows of token t; masked on the last partial panel, nothing for padding panels. */
INLINE void store(const mat *m, vf acc, float *y, int t, int p) {
    int full = m->rows / L;
    float *o = y + (int64_t) t * m->rows + (int64_t) p * L;
    if (p < full) {
        st(o, acc);
    } else if (p == full && m->rows > full * L) {
        float tmp[L] __attribute__((aligned(64)));
        st(tmp, acc);
        for (int i = 0; i < m->rows - full * L; i++) o[i] = tmp[i];
    }
}

/* ---- one token: decode and multiply in one pass, the group's four panels at once ---- */

static void gemv_f32(const mat *m, int g, const float *x, float *y, int t) {
    const uint8_t *b = m->w + g * m->gb;
    const uint8_t *pf = b;
    vf a0 = zero(), a1 = a0, a2 = a0, a3 = a0;
    for (int c = 0; c < m->cols; c++) {
        const uint8_t *o = b + c * WS;
        ahead(&pf, o);
        vf v = bc(x[c]);
        a0 = fmadd(ld(o), v, a0);
        a1 = fmadd(ld(o + SV), v, a1);
        a2 = fmadd(ld(o + 2 * SV), v, a2);
        a3 = fmadd(ld(o + 3 * SV), v, a3);
    }
    int p = g * G;
    store(m, a0, y, t, p); store(m, a1, y, t, p + 1); store(m, a2, y, t, p + 2); store(m, a3, y, t, p + 3);
}

INLINE void bf_both(vi v, vf *even, vf *odd) { *even = bf_even(v); *odd = bf_odd(v); }

/* Four panels of one pair word into a0..a3: w += even * xe, then w += odd * xd (the column order). */
#define HALF_PANELS(BOTH, Q, A, xe, xd)                                                         \
    do {                                                                                        \
        vf e_, o_;                                                                              \
        BOTH(Q[0], &e_, &o_); A##0 = fmadd(e_, xe, A##0); A##0 = fmadd(o_, xd, A##0);          \
        BOTH(Q[1], &e_, &o_); A##1 = fmadd(e_, xe, A##1); A##1 = fmadd(o_, xd, A##1);          \
        BOTH(Q[2], &e_, &o_); A##2 = fmadd(e_, xe, A##2); A##2 = fmadd(o_, xd, A##2);          \
        BOTH(Q[3], &e_, &o_); A##3 = fmadd(e_, xe, A##3); A##3 = fmadd(o_, xd, A##3);          \
    } while (0)

/*
 * Group ga and, with two, group gb beside it: two streams through memory at once, which the memory
 * system served faster than one (one token, F16, 2 cores of a noisy Intel guest: faster in 16 of 20
 * paired runs of 1 GiB, median +6 to +16%). Each group's sums are the same chain either way.
 */
#define HALF_GEMV(NAME, BOTH, EVEN)                                                             \
INLINE void NAME##_impl(const mat *m, int ga, int gb, const float *x, float *y, int t, int two) { \
    const uint8_t *b = m->w + ga * m->gb, *b2 = m->w + gb * m->gb;                               \
    vf a0 = zero(), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;              \
    int pairs = m->cols / 2, j = 0;                                                             \
    const uint8_t *pf = b, *pf2 = b2;                                                           \
    for (; j < pairs; j++) {                                                                    \
        const uint8_t *o = b + j * WS, *o2 = b2 + j * WS;                                       \
        ahead(&pf, o);                                                                          \
        if (two) ahead(&pf2, o2);                                                               \
        vi q[4] = {ldi(o), ldi(o + SV), ldi(o + 2 * SV), ldi(o + 3 * SV)}, r[4];                \
        if (two) { r[0] = ldi(o2); r[1] = ldi(o2 + SV); r[2] = ldi(o2 + 2 * SV); r[3] = ldi(o2 + 3 * SV); } \
        vf xe = bc(x[2 * j]), xd = bc(x[2 * j + 1]);                                            \
        HALF_PANELS(BOTH, q, a, xe, xd);                                                        \
        if (two) HALF_PANELS(BOTH, r, c, xe, xd);                                               \
    }                                                                                           \
    if (2 * pairs < m->cols) {                                                                  \
        const uint8_t *o = b + j * WS, *o2 = b2 + j * WS;                                       \
        vf xe = bc(x[2 * j]);                                                                   \
        a0 = fmadd(EVEN(ldi(o)), xe, a0); a1 = fmadd(EVEN(ldi(o + SV)), xe, a1);                \
        a2 = fmadd(EVEN(ldi(o + 2 * SV)), xe, a2); a3 = fmadd(EVEN(ldi(o + 3 * SV)), xe, a3);   \
        if (two) {                                                                              \
            c0 = fmadd(EVEN(ldi(o2)), xe, c0); c1 = fmadd(EVEN(ldi(o2 + SV)), xe, c1);          \
            c2 = fmadd(EVEN(ldi(o2 + 2 * SV)), xe, c2); c3 = fmadd(EVEN(ldi(o2 + 3 * SV)), xe, c3); \
        }                                                                                       \
    }                                                                                           \
    int p = ga * G;                                                                             \
    store(m, a0, y, t, p); store(m, a1, y, t, p + 1); store(m, a2, y, t, p + 2); store(m, a3, y, t, p + 3); \
    if (two) {                                                                                  \
        p = gb * G;                                                                             \
        store(m, c0, y, t, p); store(m, c1, y, t, p + 1); store(m, c2, y, t, p + 2); store(m, c3, y, t, p + 3); \
    }                                                                                           \
}                                                                                               \
static void NAME(const mat *m, int g, const float *x, float *y, int t) { NAME##_impl(m, g, g, x, y, t, 0); } \
static void NAME##_two(const mat *m, int ga, int gb, const float *x, float *y, int t) { NAME##_impl(m, ga, gb, x, y, t, 1); }
HALF_GEMV(gemv_bf16, bf_both, bf_even)
HALF_GEMV(gemv_f16, h_both, h_even)

/* Q8_0 and the other byte-per-weight types: weight = scale * q, or q * scale + (-min) as one FMA. */
INLINE void gemv_q8_impl(const mat *m, int g, const float *x, float *y, int t, int withMin) {
    int sub = (int) m->a, subs = m->cols / sub;
    int64_t bb = m->b, quants = withMin ? 2 * WS : WS, qs = G * L;
    const uint8_t *base = m->w + g * m->gb;
    const uint8_t *pf = base;
    vf a0 = zero(), a1 = a0, a2 = a0, a3 = a0;
    for (int s = 0; s < subs; s++) {
        const uint8_t *so = base + s * bb, *qo = so + quants;
        vf d0 = ld(so), d1 = ld(so + SV), d2 = ld(so + 2 * SV), d3 = ld(so + 3 * SV);
        vf m0 = zero(), m1 = m0, m2 = m0, m3 = m0;
        if (withMin) { m0 = ld(so + WS); m1 = ld(so + WS + SV); m2 = ld(so + WS + 2 * SV); m3 = ld(so + WS + 3 * SV); }
        const float *xc = x + s * sub;
        for (int i = 0; i < sub; i++) {
            const uint8_t *o = qo + i * qs;
            ahead(&pf, o);
            vf v = bc(xc[i]);
            vf w0, w1, w2, w3;
            if (withMin) {
                w0 = fmadd(b2f(o), d0, m0); w1 = fmadd(b2f(o + L), d1, m1);
                w2 = fmadd(b2f(o + 2 * L), d2, m2); w3 = fmadd(b2f(o + 3 * L), d3, m3);
            } else {
                w0 = mul(d0, b2f(o)); w1 = mul(d1, b2f(o + L)); w2 = mul(d2, b2f(o + 2 * L)); w3 = mul(d3, b2f(o + 3 * L));
            }
            a0 = fmadd(w0, v, a0); a1 = fmadd(w1, v, a1); a2 = fmadd(w2, v, a2); a3 = fmadd(w3, v, a3);
        }
    }
    int p = g * G;
    store(m, a0, y, t, p); store(m, a1, y, t, p + 1); store(m, a2, y, t, p + 2); store(m, a3, y, t, p + 3);
}
static void gemv_q8(const mat *m, int g, const float *x, float *y, int t) { gemv_q8_impl(m, g, x, y, t, 0); }
static void gemv_q8_min(const mat *m, int g, const float *x, float *y, int t) { gemv_q8_impl(m, g, x, y, t, 1); }

/* Q4_K sub-block s (0..7) of the super-block at bo, one panel: scale d * sc and negated min (-dmin) * m. */
INLINE void q4k_scales(const uint8_t *bo, int s, vf *d, vf *mn) {
    vi sw = srl(ldi(bo + Q4K_SCALES + (s / 2) * WS), 16 * (s % 2));
    *d = mul(ld(bo), i2f(andi(sw, 0xFF)));
    *mn = mul(ld(bo + Q4K_MINS), i2f(andi(srl(sw, 8), 0xFF)));
}

INLINE vf q4k_weight(vi q, int j, vf d, vf mn) { return fmadd(nib(q, j), d, mn); }

/* Sub-block b (32 columns) of the Q4_K or Q4_0 / Q4_1 panel whose bytes start at p: its scale, negated min and first nibble word. */
INLINE const uint8_t *nibble_sub(int fmt, const uint8_t *p, int b, vf *d, vf *mn) {
    if (fmt == FMT_Q4K) {
        const uint8_t *bo = p + (b / 8) * Q4K_BB;
        q4k_scales(bo, b % 8, d, mn);
        return bo + Q4K_QUANTS + (b % 8) * Q4K_SB;
    }
    const uint8_t *bo = p + b * Q4_BB;
    *d = ld(bo);
    *mn = ld(bo + WS);
    return bo + Q4_QUANTS;
}

/* Q4_K (scales from super-block words) or Q4_0 / Q4_1 (a float scale and negated min per sub-block). */
INLINE void gemv_nibbles(const mat *m, int g, const float *x, float *y, int t, int k4) {
    const uint8_t *base = m->w + g * m->gb;
    int subs = m->cols / 32;
    const uint8_t *pf = base;
    vf a0 = zero(), a1 = a0, a2 = a0, a3 = a0;
    for (int b = 0; b < subs; b++) {
        int fmt = k4 ? FMT_Q4K : FMT_Q4;
        vf d0, d1, d2, d3, n0, n1, n2, n3;
        const uint8_t *qo = nibble_sub(fmt, base, b, &d0, &n0);
        nibble_sub(fmt, base + SV, b, &d1, &n1);
        nibble_sub(fmt, base + 2 * SV, b, &d2, &n2);
        nibble_sub(fmt, base + 3 * SV, b, &d3, &n3);
        for (int wd = 0; wd < 4; wd++) {
            const uint8_t *o = qo + wd * WS;
            ahead(&pf, o);
            vi q0 = ldi(o), q1 = ldi(o + SV), q2 = ldi(o + 2 * SV), q3 = ldi(o + 3 * SV);
            const float *xc = x + b * 32 + 8 * wd;
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++) {
                vf v = bc(xc[j]);
                a0 = fmadd(q4k_weight(q0, j, d0, n0), v, a0);
                a1 = fmadd(q4k_weight(q1, j, d1, n1), v, a1);
                a2 = fmadd(q4k_weight(q2, j, d2, n2), v, a2);
                a3 = fmadd(q4k_weight(q3, j, d3, n3), v, a3);
            }
        }
    }
    int p = g * G;
    store(m, a0, y, t, p); store(m, a1, y, t, p + 1); store(m, a2, y, t, p + 2); store(m, a3, y, t, p + 3);
}
static void gemv_q4k(const mat *m, int g, const float *x, float *y, int t) { gemv_nibbles(m, g, x, y, t, 1); }
static void gemv_q4(const mat *m, int g, const float *x, float *y, int t) { gemv_nibbles(m, g, x, y, t, 0); }

/* ---- several tokens: decode a chunk of the group once into floats, multiply it by every token ---- */

/* Writes the exact weights of group g at columns [c0, c1) into w: panel k's L rows at column c from ((c - c0) * G + k) * L. */
/* F16 or BF16 columns [c0, c1) of a group as floats (the format a constant, so the loop holds no branch) */
INLINE void decode_halves(const uint8_t *base, int c0, int c1, float *w, int f16) {
    int j = c0 / 2;
    for (; 2 * j + 1 < c1; j++) {
        float *e = w + (2 * j - c0) * G * L;
#pragma GCC unroll 4
        for (int k = 0; k < G; k++) {
            vi q = ldi(base + j * WS + k * SV);
            vf ev, od;
            if (f16) h_both(q, &ev, &od);
            else { ev = bf_even(q); od = bf_odd(q); }
            st(e + k * L, ev);
            st(e + (G + k) * L, od);
        }
    }
    if (2 * j < c1) {
        for (int k = 0; k < G; k++) {
            vi q = ldi(base + j * WS + k * SV);
            st(w + ((2 * j - c0) * G + k) * L, f16 ? h_even(q) : bf_even(q));
        }
    }
}

static void decode(const mat *m, int g, int c0, int c1, float *w) {
    const uint8_t *base = m->w + g * m->gb;
    switch (m->fmt) {
    case FMT_F32:
        for (int c = c0; c < c1; c++)
            for (int k = 0; k < G; k++) st(w + ((c - c0) * G + k) * L, ld(base + c * WS + k * SV));
        break;
    case FMT_BF16:
        decode_halves(base, c0, c1, w, 0);
        break;
    case FMT_F16:
        decode_halves(base, c0, c1, w, 1);
        break;
    case FMT_Q8:
    case FMT_Q8_MIN: {
        int sub = (int) m->a, withMin = m->fmt == FMT_Q8_MIN;
        int64_t bb = m->b, quants = withMin ? 2 * WS : WS;
        for (int s = c0 / sub; s < c1 / sub; s++) {
            const uint8_t *so = base + s * bb, *qo = so + quants;
            float *wo = w + (s * sub - c0) * G * L;
            for (int k = 0; k < G; k++) {
                vf d = ld(so + k * SV), mn = withMin ? ld(so + WS + k * SV) : zero();
                for (int i = 0; i < sub; i++) {
                    const uint8_t *o = qo + i * G * L + k * L;
                    st(wo + (i * G + k) * L, withMin ? fmadd(b2f(o), d, mn) : mul(d, b2f(o)));
                }
            }
        }
        break;
    }
    case FMT_Q4K:
    case FMT_Q4:
        for (int b = c0 / 32; b < c1 / 32; b++) {
            float *wo = w + (b * 32 - c0) * G * L;
            for (int k = 0; k < G; k++) {
                vf d, mn;
                const uint8_t *qo = nibble_sub(m->fmt, base + k * SV, b, &d, &mn);
                for (int wd = 0; wd < 4; wd++) {
                    vi q = ldi(qo + wd * WS);
#pragma GCC unroll 8
                    for (int j = 0; j < 8; j++) st(wo + ((8 * wd + j) * G + k) * L, q4k_weight(q, j, d, mn));
                }
            }
        }
        break;
    }
}

/*
 * Tokens i..i+T-1 of the tile (x rows from x, xs apart), panels k..k+P-1, over n decoded columns; the
 * running sums come from and go back to acc (a float stored and loaded back is the same float).
 */
INLINE void tile(const float *w, int n, int k, int P, int T, const float *x, int64_t xs, float *acc, int i, ahead_q *q) {
    vf a[TT][G];
    const char *qp = q->p, *qe = q->end;
    int per = q->per;
#pragma GCC unroll 16
    for (int tt = 0; tt < T; tt++)
#pragma GCC unroll 4
        for (int pp = 0; pp < P; pp++) a[tt][pp] = ld(acc + ((i + tt) * G + k + pp) * L);
    for (int c = 0; c < n; c++) {
        vf wv[G];
        for (int l = 0; l < per && qp < qe; l++, qp += 64) _mm_prefetch(qp, _MM_HINT_T1);
#pragma GCC unroll 4
        for (int pp = 0; pp < P; pp++) wv[pp] = ld(w + (c * G + k + pp) * L);
#pragma GCC unroll 16
        for (int tt = 0; tt < T; tt++) {
            vf v = bc(x[c * xs + tt]);
#pragma GCC unroll 4
            for (int pp = 0; pp < P; pp++) a[tt][pp] = fmadd(wv[pp], v, a[tt][pp]);
        }
    }
#pragma GCC unroll 16
    for (int tt = 0; tt < T; tt++)
#pragma GCC unroll 4
        for (int pp = 0; pp < P; pp++) st(acc + ((i + tt) * G + k + pp) * L, a[tt][pp]);
    q->p = qp;
}

/* T tokens by the group's panels over n decoded columns; token tt's activation for column c at x[c * xs + tt] */
__attribute__((noinline)) static void tiles(const float *w, int n, int T, const float *x, int64_t xs, float *acc, int i, ahead_q *q) {
    switch (T) {
    case TT: for (int k = 0; k < G; k += TP) tile(w, n, k, TP, TT, x, xs, acc, i, q); break;
#if L == 8
    case 5: for (int k = 0; k < G; k += TP) tile(w, n, k, TP, 5, x, xs, acc, i, q); break;   /* next_tile's fives */
#endif
    case 4: for (int k = 0; k < G; k += TP) tile(w, n, k, TP, 4, x, xs, acc, i, q); break;
    case 2: tile(w, n, 0, 4, 2, x, xs, acc, i, q); break;
    case 1: tile(w, n, 0, 4, 1, x, xs, acc, i, q); break;
    }
}

/*
 * A few tokens: each weight vector decoded in registers and multiplied by T tokens at once (T
 * accumulators of one panel), with no decoded copy to store and load back. xt holds the activations
 * column by column (xt[c * ts + t]: the tokens of a column side by side, one pointer for all T) from
 * the tile's first token; acc its running sums; panel k of group g over columns [c0, c1).
 */
#define APPLY2(W0, W1, C)                                                   \
    do {                                                                    \
        vf w0_ = (W0), w1_ = (W1);                                          \
        const float *xc_ = xt + (int64_t) (C) * ts;                         \
        for (int l_ = 0; l_ < per && qp < qe; l_++, qp += 64)               \
            _mm_prefetch(qp, _MM_HINT_T1);                                  \
        _Pragma("GCC unroll 16")                                            \
        for (int tt = 0; tt < T; tt++) {                                    \
            vf v_ = bc(xc_[tt]);                                            \
            a[tt][0] = fmadd(w0_, v_, a[tt][0]);                            \
            a[tt][1] = fmadd(w1_, v_, a[tt][1]);                            \
        }                                                                   \
    } while (0)

/* Panels k and k + 1: two decoded vectors share each broadcast activation (loads, not arithmetic, bound these tiles). */
INLINE void fused(const mat *m, int g, int k, int c0, int c1, const float *xt, int ts, float *acc, int T, ahead_q *q) {
    vf a[8][2];
    const char *qp = q->p, *qe = q->end;
    int per = q->per;
#pragma GCC unroll 8
    for (int tt = 0; tt < T; tt++) {
        a[tt][0] = ld(acc + (tt * G + k) * L);
        a[tt][1] = ld(acc + (tt * G + k + 1) * L);
    }
    const uint8_t *base = m->w + g * m->gb;
    switch (m->fmt) {
    case FMT_F32:
        for (int c = c0; c < c1; c++) APPLY2(ld(base + c * WS + k * SV), ld(base + c * WS + (k + 1) * SV), c);
        break;
    case FMT_BF16:
    case FMT_F16: {
        int j = c0 / 2, f16 = m->fmt == FMT_F16;
        for (; 2 * j + 1 < c1; j++) {
            vi q0 = ldi(base + j * WS + k * SV), q1 = ldi(base + j * WS + (k + 1) * SV);
            vf e0, o0, e1, o1;
            if (f16) { h_both(q0, &e0, &o0); h_both(q1, &e1, &o1); }
            else { e0 = bf_even(q0); o0 = bf_odd(q0); e1 = bf_even(q1); o1 = bf_odd(q1); }
            APPLY2(e0, e1, 2 * j);
            APPLY2(o0, o1, 2 * j + 1);
        }
        if (2 * j < c1) {
            vi q0 = ldi(base + j * WS + k * SV), q1 = ldi(base + j * WS + (k + 1) * SV);
            APPLY2(f16 ? h_even(q0) : bf_even(q0), f16 ? h_even(q1) : bf_even(q1), 2 * j);
        }
        break;
    }
    case FMT_Q8:
    case FMT_Q8_MIN: {
        int sub = (int) m->a, withMin = m->fmt == FMT_Q8_MIN;
        int64_t bb = m->b, quants = withMin ? 2 * WS : WS;
        for (int s = c0 / sub; s < c1 / sub; s++) {
            const uint8_t *so = base + s * bb, *qo = so + quants + k * L;
            vf d0 = ld(so + k * SV), d1 = ld(so + (k + 1) * SV);
            if (withMin) {
                vf n0 = ld(so + WS + k * SV), n1 = ld(so + WS + (k + 1) * SV);
                for (int i = 0; i < sub; i++)
                    APPLY2(fmadd(b2f(qo + i * G * L), d0, n0), fmadd(b2f(qo + i * G * L + L), d1, n1), s * sub + i);
            } else {
                for (int i = 0; i < sub; i++) APPLY2(mul(d0, b2f(qo + i * G * L)), mul(d1, b2f(qo + i * G * L + L)), s * sub + i);
            }
        }
        break;
    }
    case FMT_Q4K:
    case FMT_Q4:
        for (int b = c0 / 32; b < c1 / 32; b++) {
            vf d0, n0, d1, n1;
            const uint8_t *qo = nibble_sub(m->fmt, base + k * SV, b, &d0, &n0);
            nibble_sub(m->fmt, base + (k + 1) * SV, b, &d1, &n1);
            for (int wd = 0; wd < 4; wd++) {
                vi q0 = ldi(qo + wd * WS), q1 = ldi(qo + wd * WS + SV);
#pragma GCC unroll 8
                for (int j = 0; j < 8; j++) APPLY2(q4k_weight(q0, j, d0, n0), q4k_weight(q1, j, d1, n1), b * 32 + 8 * wd + j);
            }
        }
        break;
    }
#pragma GCC unroll 8
    for (int tt = 0; tt < T; tt++) {
        st(acc + (tt * G + k) * L, a[tt][0]);
        st(acc + (tt * G + k + 1) * L, a[tt][1]);
    }
    q->p = qp;
}

static void fused8(const mat *m, int g, int k, int c0, int c1, const float *xt, int ts, float *acc, ahead_q *q) { fused(m, g, k, c0, c1, xt, ts, acc, 8, q); }
static void fused4(const mat *m, int g, int k, int c0, int c1, const float *xt, int ts, float *acc, ahead_q *q) { fused(m, g, k, c0, c1, xt, ts, acc, 4, q); }
static void fused2(const mat *m, int g, int k, int c0, int c1, const float *xt, int ts, float *acc, ahead_q *q) { fused(m, g, k, c0, c1, xt, ts, acc, 2, q); }
static void fused1(const mat *m, int g, int k, int c0, int c1, const float *xt, int ts, float *acc, ahead_q *q) { fused(m, g, k, c0, c1, xt, ts, acc, 1, q); }


#if L == 16
/*
 * 9 to 16 tokens (AVX-512): panel k alone by all T tokens, so that each weight vector, decoded once in
 * registers, meets every token: T accumulators and one broadcast per FMA, whose loads the memory operand
 * of the FMA takes. On a Zen 4 core (AVX-512 at half rate) this ran 12-30% faster than decoding the
 * chunk into floats first (2 cores, 2048 x 8192, 12 and 16 tokens: F16 70-83 -> 86-101 G MAC/s, Q8_0
 * 81-84 -> 89-93), where the decode's stores and reloads cost as much as a fifth of the FMAs.
 */
#define APPLY1(W0, C)                                                       \
    do {                                                                    \
        vf w0_ = (W0);                                                      \
        const float *xc_ = xt + (int64_t) (C) * ts;                         \
        for (int l_ = 0; l_ < per && qp < qe; l_++, qp += 64)               \
            _mm_prefetch(qp, _MM_HINT_T1);                                  \
        _Pragma("GCC unroll 16")                                            \
        for (int tt = 0; tt < T; tt++) a[tt] = fmadd(w0_, bc(xc_[tt]), a[tt]); \
    } while (0)

INLINE void fused_panel(const mat *m, int g, int k, int c0, int c1, const float *xt, int ts, float *acc, int T, ahead_q *q) {
    vf a[16];
    const char *qp = q->p, *qe = q->end;
    int per = q->per;
#pragma GCC unroll 16
    for (int tt = 0; tt < T; tt++) a[tt] = ld(acc + (tt * G + k) * L);
    const uint8_t *base = m->w + g * m->gb;
    switch (m->fmt) {
    case FMT_F32:
        for (int c = c0; c < c1; c++) APPLY1(ld(base + c * WS + k * SV), c);
        break;
    case FMT_BF16:
    case FMT_F16: {
        int j = c0 / 2, f16 = m->fmt == FMT_F16;
        for (; 2 * j + 1 < c1; j++) {
            vi q0 = ldi(base + j * WS + k * SV);
            vf e0, o0;
            if (f16) h_both(q0, &e0, &o0);
            else bf_both(q0, &e0, &o0);
            APPLY1(e0, 2 * j);
            APPLY1(o0, 2 * j + 1);
        }
        if (2 * j < c1) {
            vi q0 = ldi(base + j * WS + k * SV);
            APPLY1(f16 ? h_even(q0) : bf_even(q0), 2 * j);
        }
        break;
    }
    case FMT_Q8:
    case FMT_Q8_MIN: {
        int sub = (int) m->a, withMin = m->fmt == FMT_Q8_MIN;
        int64_t bb = m->b, quants = withMin ? 2 * WS : WS;
        for (int s = c0 / sub; s < c1 / sub; s++) {
            const uint8_t *so = base + s * bb, *qo = so + quants + k * L;
            vf d0 = ld(so + k * SV);
            if (withMin) {
                vf n0 = ld(so + WS + k * SV);
                for (int i = 0; i < sub; i++) APPLY1(fmadd(b2f(qo + i * G * L), d0, n0), s * sub + i);
            } else {
                for (int i = 0; i < sub; i++) APPLY1(mul(d0, b2f(qo + i * G * L)), s * sub + i);
            }
        }
        break;
    }
    case FMT_Q4K:
    case FMT_Q4:
        for (int b = c0 / 32; b < c1 / 32; b++) {
            vf d0, n0;
            const uint8_t *qo = nibble_sub(m->fmt, base + k * SV, b, &d0, &n0);
            for (int wd = 0; wd < 4; wd++) {
                vi q0 = ldi(qo + wd * WS);
#pragma GCC unroll 8
                for (int j = 0; j < 8; j++) APPLY1(q4k_weight(q0, j, d0, n0), b * 32 + 8 * wd + j);
            }
        }
        break;
    }
#pragma GCC unroll 16
    for (int tt = 0; tt < T; tt++) st(acc + (tt * G + k) * L, a[tt]);
    q->p = qp;
}

/* fused_panel with the token count as a constant, so that its loops unroll into registers */
__attribute__((noinline)) static void fused_panel_n(const mat *m, int g, int k, int c0, int c1, const float *xt, int ts, float *acc, int T, ahead_q *q) {
    switch (T) {
#define TOKENS_(n) case n: fused_panel(m, g, k, c0, c1, xt, ts, acc, n, q); break;
    TOKENS_(9) TOKENS_(10) TOKENS_(11) TOKENS_(12) TOKENS_(13) TOKENS_(14) TOKENS_(15) TOKENS_(16)
#undef TOKENS_
    }
}
#endif

#ifndef FUSED_TOKENS               /* up to this many tokens, the fused tiles; more share one decoded chunk (measured: */
#if L == 16                        /* with 2 and 4 tokens, 4 and 8 fused beat the chunk 1.1-1.25x; 9 to 16 take fused_panel) */
#define FUSED_TOKENS 16
#else
#define FUSED_TOKENS 4             /* AVX2's 16 registers: four by two at most */
#endif
#endif

/*
 * Sets q to the bytes of the AHEAD_CHUNKS chunks of nc columns after column c1 of group g (their share of
 * the group: every format lays columns out in order; past the group's end, the next group's first bytes),
 * spread over the passes of the nc columns that the tiles make over the current chunk.
 */
static void chunks_ahead(const mat *m, int g, int c1, int nc, int passes, ahead_q *q) {
    const char *base = (const char *) m->w + g * m->gb;
    int64_t to = m->gb * (c1 + (int64_t) AHEAD_CHUNKS * nc) / m->cols, last = (m->g1 - g) * m->gb;
    q->end = base + (to < last ? to : last);
    const char *from = base + ((m->gb * c1 / m->cols) & ~63L);
    if (q->p < from) q->p = from;
    int64_t steps = (int64_t) nc * passes;
    q->per = q->end > q->p ? (int) ((q->end - q->p + 64 * steps - 1) / (64 * steps)) : 0;
}

/* Group g for 2..FUSED_TOKENS tokens, their activations column by column in xt (see sm_matmul). */
static void group_fused(const mat *m, int g, const float *xt, int tokens, float *y, ahead_q *q) {
    float acc[FUSED_TOKENS * G * L] __attribute__((aligned(64)));
    int cols = m->cols;
    for (int i = 0; i < tokens * G * L; i++) acc[i] = 0.0f;
    for (int c0 = 0; c0 < cols; c0 += CHUNK) {
        int c1 = cols < c0 + CHUNK ? cols : c0 + CHUNK;
#if L == 16
        if (tokens > 8) {
            /* one pass per panel, each with every token */
            chunks_ahead(m, g, c1, c1 - c0, G, q);
            for (int k = 0; k < G; k++) fused_panel_n(m, g, k, c0, c1, xt, tokens, acc, tokens, q);
            continue;
        }
#endif
        /* passes over the chunk: the calls below, per panel pair (tokens <= 8, so one of each size at most) */
        int calls = tokens / 8 + (tokens & 4) / 4 + (tokens & 2) / 2 + (tokens & 1);
        chunks_ahead(m, g, c1, c1 - c0, calls * (G / 2), q);
        for (int k = 0; k < G; k += 2) {
            int i = 0;
            for (; i + 8 <= tokens; i += 8) fused8(m, g, k, c0, c1, xt + i, tokens, acc + i * G * L, q);
            if (i + 4 <= tokens) { fused4(m, g, k, c0, c1, xt + i, tokens, acc + i * G * L, q); i += 4; }
            if (i + 2 <= tokens) { fused2(m, g, k, c0, c1, xt + i, tokens, acc + i * G * L, q); i += 2; }
            if (i < tokens) fused1(m, g, k, c0, c1, xt + i, tokens, acc + i * G * L, q);
        }
    }
    for (int i = 0; i < tokens; i++)
        for (int k = 0; k < G; k++) store(m, ld(acc + (i * G + k) * L), y, i, g * G + k);
}
/*
 * AVX2: whether the next tile of r >= 5 tokens (of at most TT = 6) should take five: where r is fives and sixes, the
 * sixes first, as 16 = 6 + 5 + 5, not 6 + 6 + 4. On AVX2 four by two holds 8 accumulators, too few chains for
 * a Zen 3 core's two FMA pipes (alone, in L1: 2.9 G FMAs/s, against 5.5-5.6 with 5 x 2 and 6 x 2).
 */
INLINE int five(int r) { return r == 5 * ((r + 5) / 6); }

/* the size of the next token tile where r tokens are left: TT (AVX2: 6 or 5), then 4, 2, 1 */
INLINE int next_tile(int r) {
    if (L == 8 && r >= 5 && five(r)) return 5;
    return r >= TT ? TT : r >= 4 ? 4 : r >= 2 ? 2 : 1;
}

/*
 * Tokens [0, n) of x (rows of cols) as group_batched's tiles read them: tile by tile (next_tile), each tile's
 * activations column by column, the tile of tokens [t, t + T) at xp + t * cols. Rows of x would be T streams
 * 4 * cols bytes apart: for a real model's widths all in one set of the L1 cache.
 */
static void pack_tiles(const float *x, int n, int cols, float *xp) {
    for (int i = 0, T; i < n; i += T) {
        T = next_tile(n - i);
        const float *xr = x + (int64_t) i * cols;
        float *o = xp + (int64_t) i * cols;
        for (int c = 0; c < cols; c++)
            for (int tt = 0; tt < T; tt++) o[c * T + tt] = xr[(int64_t) tt * cols + c];
    }
}

/* x (tokens rows of cols) as sm_matmul reads more than sm_transposed_tokens() tokens: per block of TILE tokens, pack_tiles */
void sm_pack(const float *x, int tokens, int cols, float *xp) {
    for (int t0 = 0; t0 < tokens; t0 += TILE) {
        int n = tokens - t0 < TILE ? tokens - t0 : TILE;
        pack_tiles(x + (int64_t) t0 * cols, n, cols, xp + (int64_t) t0 * cols);
    }
}

/*
 * More tokens than the fused tiles take, tokens [t0, t0 + n) (n <= TILE): per chunk of columns, the group's
 * weights decoded into floats once, then register tiles of tokens by panels over them. The activations come
 * column by column: all n tokens side by side (xt[c * n + t], packed 0), or tile by tile (pack_tiles).
 */
static void group_batched(const mat *m, int g, const float *xt, int packed, int t0, int n, float *y, ahead_q *q) {
    float w[CHUNK * G * L] __attribute__((aligned(64)));
    float acc[TILE * G * L] __attribute__((aligned(64)));
    int cols = m->cols;
    int chunk = n <= FEW ? CHUNK_FEW : CHUNK;   /* a multiple of every format's block (32 columns at most) */
    for (int i = 0; i < n * G * L; i++) acc[i] = 0.0f;
    for (int c0 = 0; c0 < cols; c0 += chunk) {
        int c1 = cols < c0 + chunk ? cols : c0 + chunk, nc = c1 - c0;
        decode(m, g, c0, c1, w);
        chunks_ahead(m, g, c1, nc, ((n + TT - 1) / TT) * (G / TP), q);
        for (int i = 0, T; i < n; i += T) {
            T = next_tile(n - i);
            if (packed) tiles(w, nc, T, xt + (int64_t) i * cols + (int64_t) c0 * T, T, acc, i, q);
            else tiles(w, nc, T, xt + (int64_t) c0 * n + i, n, acc, i, q);
        }
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < G; k++) store(m, ld(acc + (i * G + k) * L), y, t0 + i, g * G + k);
}


/* ---- opt-in: activations quantized to int8 (Int8Activations.java), integer dot products (AVX-512 VNNI) ---- */

#if (L == 16 && defined(__AVX512VNNI__)) || (L == 8 && defined(__AVX2__))
#define SM_INT8 1
enum { FMT_Q6K = 7 };
/* Q6_K panels (PackedQ6K.java): per super-block and group d, four scale words, then per sub-block of 16 columns three words */
#define Q6K_SCALES WS
#define Q6K_QUANTS (Q6K_SCALES + 4 * WS)
#define Q6K_SB (3 * WS)
#define Q6K_HIGH (2 * WS)
#define Q6K_BB (Q6K_QUANTS + 16 * Q6K_SB)
#define IT 8                      /* tokens per pass over a panel's sub-blocks */

/* four activation bytes, in every int lane */
INLINE int32_t x4(const int8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }
#if L == 16
INLINE vi iset(int v) { return _mm512_set1_epi32(v); }
INLINE vi iand(vi a, vi b) { return _mm512_and_si512(a, b); }
INLINE vi ior(vi a, vi b) { return _mm512_or_si512(a, b); }
INLINE vi ixor(vi a, vi b) { return _mm512_xor_si512(a, b); }
INLINE vi isub(vi a, vi b) { return _mm512_sub_epi32(a, b); }
INLINE vi isll(vi v, unsigned n) { return _mm512_slli_epi32(v, n); }
INLINE vi isra(vi v, unsigned n) { return _mm512_srai_epi32(v, n); }
INLINE vi dot4(vi acc, vi u8, const int8_t *x) { return _mm512_dpbusd_epi32(acc, u8, iset(x4(x))); }
/* a Q4_K sub-block's sum of q * x per lane: words wd's low nibbles meet xb[8wd..8wd+3], its high ones xb[8wd+4..8wd+7] */
INLINE vi q4_sum(const vi lo[4], const vi hi[4], const int8_t *xb) {
    vi s = _mm512_setzero_si512();
    for (int wd = 0; wd < 4; wd++) {
        s = dot4(s, lo[wd], xb + 8 * wd);
        s = dot4(s, hi[wd], xb + 8 * wd + 4);
    }
    return s;
}
/* a Q6_K sub-block's sum of (q + 32) * x per lane: u[gg] meets xb[4gg..4gg+3] */
INLINE vi q6_sum(const vi u[4], const int8_t *xb) {
    vi s = _mm512_setzero_si512();
    for (int gg = 0; gg < 4; gg++) s = dot4(s, u[gg], xb + 4 * gg);
    return s;
}
#else
/*
 * AVX2 has no 4-byte dot product: vpmaddubsw multiplies unsigned by signed bytes and adds neighbours into
 * 16-bit lanes, vpmaddwd by ones adds those pairs into the int lanes. Both stay exact here: a 4-bit q times
 * |x| <= 128 twice is at most 3,840, eight such sums 30,720; a 6-bit q + 32 <= 63 twice 16,128, two such
 * 32,256; all below 32,767. So the integer sums, and the bits, are the VNNI kernels' and the Java ones'.
 */
INLINE vi iset(int v) { return _mm256_set1_epi32(v); }
INLINE vi iand(vi a, vi b) { return _mm256_and_si256(a, b); }
INLINE vi ior(vi a, vi b) { return _mm256_or_si256(a, b); }
INLINE vi ixor(vi a, vi b) { return _mm256_xor_si256(a, b); }
INLINE vi isub(vi a, vi b) { return _mm256_sub_epi32(a, b); }
INLINE vi isll(vi v, unsigned n) { return _mm256_slli_epi32(v, n); }
INLINE vi isra(vi v, unsigned n) { return _mm256_srai_epi32(v, n); }
INLINE vi pairs(vi u8, const int8_t *x) { return _mm256_maddubs_epi16(u8, iset(x4(x))); }
INLINE vi q4_sum(const vi lo[4], const vi hi[4], const int8_t *xb) {
    vi s = _mm256_setzero_si256();
    for (int wd = 0; wd < 4; wd++) {
        s = _mm256_add_epi16(s, pairs(lo[wd], xb + 8 * wd));
        s = _mm256_add_epi16(s, pairs(hi[wd], xb + 8 * wd + 4));
    }
    return _mm256_madd_epi16(s, _mm256_set1_epi16(1));
}
INLINE vi q6_sum(const vi u[4], const int8_t *xb) {
    vi a = _mm256_add_epi16(pairs(u[0], xb), pairs(u[1], xb + 4));
    vi b = _mm256_add_epi16(pairs(u[2], xb + 8), pairs(u[3], xb + 12));
    const vi ones = _mm256_set1_epi16(1);
    return _mm256_add_epi32(_mm256_madd_epi16(a, ones), _mm256_madd_epi16(b, ones));
}
#endif

/*
 * Q4_K, panel k of group g, tokens t0..t0+T-1: per sub-block of 32 columns the nibbles of each word split
 * into its even and odd columns' bytes (the activations arrive as x0 x2 x4 x6 x1 x3 x5 x7 per 8 columns, so
 * each byte meets its column), the exact integer sum, then the Java kernel's float steps:
 * acc = sum * (d * xd) + (-min * xsum + acc).
 */
INLINE void q4k_int8(const mat *m, int g, int k, const int8_t *xq, const float *xd, const float *xs, int t0, int T, float *y) {
    const uint8_t *base = m->w + g * m->gb + k * SV;
    int cols = m->cols, nb = cols / 32;
    vf acc[IT];
    for (int tt = 0; tt < T; tt++) acc[tt] = zero();
    const vi nib = iset(0x0F0F0F0F);
    for (int b = 0; b < nb; b++) {
        vf d, mn;
        const uint8_t *qo = nibble_sub(FMT_Q4K, base, b, &d, &mn);
        vi lo[4], hi[4];
        for (int wd = 0; wd < 4; wd++) {
            vi q = ldi(qo + wd * WS);
            lo[wd] = iand(q, nib);
            hi[wd] = iand(srl(q, 4), nib);
        }
        for (int tt = 0; tt < T; tt++) {
            int t = t0 + tt;
            const int8_t *xb = xq + (int64_t) t * cols + b * 32;
            vi s = q4_sum(lo, hi, xb);
            int xi = t * nb + b;
            acc[tt] = fmadd(i2f(s), mul(d, bc(xd[xi])), fmadd(mn, bc(xs[xi]), acc[tt]));
        }
    }
    for (int tt = 0; tt < T; tt++) store(m, acc[tt], y, t0 + tt, g * G + k);
}

/*
 * Q6_K, panel k of group g: per sub-block of 16 columns, four columns at a time their 6-bit q gathered into
 * the bytes of one int (PackedQ6K.four) and offset to q + 32 in [0, 63], so the unsigned-by-signed dot
 * product serves; the sum of q * x is that minus 32 times the sub-block's activation sum (x16). Then
 * acc = sum * (d * sc * xd) + acc, as the Java kernel.
 */
INLINE void q6k_int8(const mat *m, int g, int k, const int8_t *xq, const float *xd, const int32_t *x16, int t0, int T, float *y) {
    const uint8_t *base = m->w + g * m->gb + k * SV;
    int cols = m->cols, nb = cols / 32, ns = cols / 16;
    vf acc[IT];
    for (int tt = 0; tt < T; tt++) acc[tt] = zero();
    const vi low4 = iset(0x0F0F0F0F), high2 = iset(0x30303030), flip = iset(0x20202020);
    for (int b = 0; b < ns; b++) {
        const uint8_t *bo = base + (b / 16) * Q6K_BB, *qo = bo + Q6K_QUANTS + (b % 16) * Q6K_SB;
        vi sw = ldi(bo + Q6K_SCALES + ((b % 16) / 4) * WS);
        vf d = mul(ld(bo), i2f(isra(isll(sw, 24 - 8 * (b % 4)), 24)));
        vi lo0 = ldi(qo), lo1 = ldi(qo + WS), hi = ldi(qo + Q6K_HIGH), u[4];
        for (int gg = 0; gg < 4; gg++) {
            vi low = iand(srl(gg < 2 ? lo0 : lo1, 4 * (gg % 2)), low4);
            u[gg] = ixor(ior(low, iand(isll(srl(hi, 2 * gg), 4), high2)), flip);
        }
        for (int tt = 0; tt < T; tt++) {
            int t = t0 + tt;
            const int8_t *xb = xq + (int64_t) t * cols + b * 16;
            vi s = isub(q6_sum(u, xb), iset(32 * x16[t * ns + b]));
            acc[tt] = fmadd(i2f(s), mul(d, bc(xd[t * nb + b / 2])), acc[tt]);
        }
    }
    for (int tt = 0; tt < T; tt++) store(m, acc[tt], y, t0 + tt, g * G + k);
}
/* One token, the group's four panels in one pass through its bytes in order (with the prefetches of the exact kernels). */
static void q4k_int8_one(const mat *m, int g, const int8_t *xq, const float *xd, const float *xs, int t, float *y) {
    const uint8_t *base = m->w + g * m->gb, *pf = base;
    int cols = m->cols, nb = cols / 32;
    const vi nib = iset(0x0F0F0F0F);
    vf acc[G];
    for (int k = 0; k < G; k++) acc[k] = zero();
    for (int b = 0; b < nb; b++) {
        const uint8_t *bo = base + (b / 8) * Q4K_BB, *qo = bo + Q4K_QUANTS + (b % 8) * Q4K_SB;
        const int8_t *xb = xq + (int64_t) t * cols + b * 32;
        int xi = t * nb + b;
        vf dx = bc(xd[xi]), sx = bc(xs[xi]);
        ahead(&pf, qo);
#pragma GCC unroll 4
        for (int k = 0; k < G; k++) {
            vf d, mn;
            q4k_scales(bo + k * SV, b % 8, &d, &mn);
            vi lo[4], hi[4];
#pragma GCC unroll 4
            for (int wd = 0; wd < 4; wd++) {
                vi q = ldi(qo + wd * WS + k * SV);
                lo[wd] = iand(q, nib);
                hi[wd] = iand(srl(q, 4), nib);
            }
            vi s = q4_sum(lo, hi, xb);
            acc[k] = fmadd(i2f(s), mul(d, dx), fmadd(mn, sx, acc[k]));
        }
    }
    for (int k = 0; k < G; k++) store(m, acc[k], y, t, g * G + k);
}

static void q6k_int8_one(const mat *m, int g, const int8_t *xq, const float *xd, const int32_t *x16, int t, float *y) {
    const uint8_t *base = m->w + g * m->gb, *pf = base;
    int cols = m->cols, nb = cols / 32, ns = cols / 16;
    const vi low4 = iset(0x0F0F0F0F), high2 = iset(0x30303030), flip = iset(0x20202020);
    vf acc[G];
    for (int k = 0; k < G; k++) acc[k] = zero();
    for (int b = 0; b < ns; b++) {
        const uint8_t *bo = base + (b / 16) * Q6K_BB, *qo = bo + Q6K_QUANTS + (b % 16) * Q6K_SB;
        const int8_t *xb = xq + (int64_t) t * cols + b * 16;
        vf dx = bc(xd[t * nb + b / 2]);
        vi corr = iset(32 * x16[t * ns + b]);
        ahead(&pf, qo);
#pragma GCC unroll 4
        for (int k = 0; k < G; k++) {
            vi sw = ldi(bo + Q6K_SCALES + ((b % 16) / 4) * WS + k * SV);
            vf d = mul(ld(bo + k * SV), i2f(isra(isll(sw, 24 - 8 * (b % 4)), 24)));
            vi lo0 = ldi(qo + k * SV), lo1 = ldi(qo + WS + k * SV), hi = ldi(qo + Q6K_HIGH + k * SV);
            vi u[4];
#pragma GCC unroll 4
            for (int gg = 0; gg < 4; gg++) {
                vi low = iand(srl(gg < 2 ? lo0 : lo1, 4 * (gg % 2)), low4);
                u[gg] = ixor(ior(low, iand(isll(srl(hi, 2 * gg), 4), high2)), flip);
            }
            acc[k] = fmadd(i2f(isub(q6_sum(u, xb), corr)), mul(d, dx), acc[k]);
        }
    }
    for (int k = 0; k < G; k++) store(m, acc[k], y, t, g * G + k);
}
#else
#define SM_INT8 0
#endif

/* Whether sm_matmul_int8 is here (AVX-512 with VNNI, or AVX2); without it the engine keeps its Java int8 kernels. */
int sm_int8(void) { return SM_INT8; }

/*
 * The opt-in int8 path for groups [g0, g1) of a Q4_K (fmt 5) or Q6_K (fmt 7) matrix: xq holds each token's
 * cols int8 activations (Q4_K: x0 x2 x4 x6 x1 x3 x5 x7 per 8 columns; Q6_K: in order), xd and xs per token
 * and block of 32 columns the scale and d * sum(q), x16 (Q6_K) per token and 16 columns the sum of q.
 */
void sm_matmul_int8(int fmt, const uint8_t *w, int64_t gb, int rows, int cols, int g0, int g1,
                    const int8_t *xq, const float *xd, const float *xs, const int32_t *x16, int tokens, float *y) {
#if SM_INT8
    mat m = {fmt, w, gb, rows, cols, 0, 0, g1};
    if (tokens == 1) {
        for (int g = g0; g < g1; g++) {
            if (fmt == FMT_Q4K) q4k_int8_one(&m, g, xq, xd, xs, 0, y);
            else q6k_int8_one(&m, g, xq, xd, x16, 0, y);
        }
        return;
    }
    for (int g = g0; g < g1; g++)
        for (int k = 0; k < G; k++)
            for (int t0 = 0; t0 < tokens; t0 += IT) {
                int T = tokens - t0 < IT ? tokens - t0 : IT;
                if (fmt == FMT_Q4K) q4k_int8(&m, g, k, xq, xd, xs, t0, T, y);
                else q6k_int8(&m, g, k, xq, xd, x16, t0, T, y);
            }
#else
    (void) fmt; (void) w; (void) gb; (void) rows; (void) cols; (void) g0; (void) g1;
    (void) xq; (void) xd; (void) xs; (void) x16; (void) tokens; (void) y;
#endif
}

/* The lanes this library was compiled for: the engine checks them against its own vectors. */
int sm_lanes(void) { return L; }

/* The most tokens for which sm_matmul reads the activations column by column (xt), not row by row (x): the fused
   tiles take up to FUSED_TOKENS, group_batched the rest (on AVX2, 5 to 16). */
int sm_transposed_tokens(void) { return FEW; }

/**
 * y[t * rows + r] = sum over c of w[r][c] * x[t * cols + c], for the rows of groups [g0, g1) and every
 * token t < tokens: one token through the format's one-pass kernel; 2..FUSED_TOKENS tokens through the
 * fused tiles, more through decoded chunks and register tiles. For 2..sm_transposed_tokens() tokens xt holds
 * the same activations column by column (xt[c * tokens + t]), which both read; for more, xt holds them tile by
 * tile, as sm_pack writes them.
 */
void sm_matmul(int fmt, const uint8_t *w, int64_t gb, int rows, int cols, int64_t a, int64_t b,
               int g0, int g1, const float *x, const float *xt, int tokens, float *y) {
    mat m = {fmt, w, gb, rows, cols, a, b, g1};
    ahead_q q = {0, 0, 0};
    if (tokens > FEW) {
        for (int t0 = 0; t0 < tokens; t0 += TILE) {
            int n = tokens - t0 < TILE ? tokens - t0 : TILE;
            for (int g = g0; g < g1; g++) group_batched(&m, g, xt + (int64_t) t0 * cols, 1, t0, n, y, &q);
        }
        return;
    }
    if (tokens == 1 && (fmt == FMT_F16 || fmt == FMT_BF16)) {
        /* the first half of the groups beside the second half: two streams (see HALF_GEMV); an odd last group below */
        int half = (g1 - g0) / 2;
        for (int i = 0; i < half; i++) {
            if (fmt == FMT_F16) gemv_f16_two(&m, g0 + i, g0 + half + i, x, y, 0);
            else gemv_bf16_two(&m, g0 + i, g0 + half + i, x, y, 0);
        }
        g0 += 2 * half;
    }
    for (int g = g0; g < g1; g++) {
        if (tokens >= 2) {
            if (tokens <= FUSED_TOKENS) group_fused(&m, g, xt, tokens, y, &q);
            else group_batched(&m, g, xt, 0, 0, tokens, y, &q);
            continue;
        }
        for (int t = 0; t < tokens; t++) {
            const float *xt = x + (int64_t) t * cols;
            switch (fmt) {
            case FMT_F32: gemv_f32(&m, g, xt, y, t); break;
            case FMT_BF16: gemv_bf16(&m, g, xt, y, t); break;
            case FMT_F16: gemv_f16(&m, g, xt, y, t); break;
            case FMT_Q8: gemv_q8(&m, g, xt, y, t); break;
            case FMT_Q8_MIN: gemv_q8_min(&m, g, xt, y, t); break;
            case FMT_Q4K: gemv_q4k(&m, g, xt, y, t); break;
            case FMT_Q4: gemv_q4(&m, g, xt, y, t); break;
            }
        }
    }
}
