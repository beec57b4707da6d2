/*
 * p256.c - ECDSA P-256 verification (see p256.h).
 *
 * Representation: 256-bit numbers are 8 little-endian uint32_t limbs (limb 0 least
 * significant). Field elements are always fully reduced, in [0, p).
 *
 * - Field multiplication: fully unrolled 8x8-limb operand-scanning product built on the
 *   multiply-accumulate-accumulate step (UMAAL on Armv7-M / Armv8-M Mainline via inline asm,
 *   portable 64-bit C elsewhere), followed by the Solinas reduction of FIPS 186-4 D.2.3.
 * - Points: Jacobian coordinates (X/Z^2, Y/Z^3), Z == 0 is the point at infinity. Doubling
 *   uses a = -3 (dbl-2001-b, 3M+5S); addition add-1998-cmo-2 (12M+4S), or 8M+3S when the
 *   second point is affine (the const table of multiples of G).
 * - u1*G + u2*Q in one joint double-and-add over wNAF digits (Shamir's trick): width 7 for G
 *   with the precomputed affine table p256_table.h (1G, 3G, ..., 63G), width 4 for Q with a
 *   table of 4 Jacobian points (1Q, 3Q, 5Q, 7Q) built at run time.
 * - Scalars mod n: w = R/s by binary extended Euclid (modular division, R = 2^256), then
 *   u1 = e*w/R and u2 = r*w/R by two Montgomery multiplications mod n.
 * - wNAF digits are kept as a compact list of (position, digit) pairs (the digits are
 *   sparse), which keeps the stack small.
 * - The final check compares X with r*Z^2 (and (r+n)*Z^2 if r+n < p): no field inversion.
 *
 * No heap, no VLAs, no recursion; every loop has a constant bound.
 */
#include "p256.h"

#include "p256_table.h"

typedef uint32_t fe_t[8];

typedef struct {
    fe_t x;
    fe_t y;
    fe_t z;
} jpt_t;

/* Width of the run-time wNAF for Q; the table holds 2^(W-2) Jacobian points. */
#define P256_Q_WINDOW 4u
#define P256_Q_TABLE_SIZE (1u << (P256_Q_WINDOW - 2u))
/* wNAF digits: bits 0..256 (a 256-bit scalar can carry into bit 256). */
#define P256_NAF_LEN 257u
/* Nonzero wNAF digits are at least w apart: at most ceil(257 / w) of them. */
#define P256_NAF_MAX(w) ((P256_NAF_LEN + (w) - 1u) / (w))

/*
 * P256_MAC(lo, hi, a, b): (hi:lo) = a * b + lo + hi, which never overflows 64 bits.
 * One UMAAL instruction where available (all of Armv7-M / Armv8-M Mainline have it).
 */
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
#define P256_MAC(lo, hi, a, b) __asm__("umaal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(b))
#else
#define P256_MAC(lo, hi, a, b)                                    \
    do {                                                          \
        uint64_t x_ = (uint64_t)(a) * (b) + (lo) + (hi);          \
        (lo) = (uint32_t)x_;                                      \
        (hi) = (uint32_t)(x_ >> 32);                              \
    } while (0)
#endif

static const fe_t P256_P = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0x00000000u,
                            0x00000000u, 0x00000000u, 0x00000001u, 0xffffffffu};
static const fe_t P256_N = {0xfc632551u, 0xf3b9cac2u, 0xa7179e84u, 0xbce6faadu,
                            0xffffffffu, 0xffffffffu, 0x00000000u, 0xffffffffu};
/* 2^256 mod n (the Montgomery R mod n) and -n^-1 mod 2^32. */
static const fe_t P256_RMODN = {0x039cdaafu, 0x0c46353du, 0x58e8617bu, 0x43190552u,
                                0x00000000u, 0x00000000u, 0xffffffffu, 0x00000000u};
#define P256_N0INV 0xee00bc4fu
static const fe_t P256_B = {0x27d2604bu, 0x3bce3c3eu, 0xcc53b0f6u, 0x651d06b0u,
                            0x769886bcu, 0xb3ebbd55u, 0xaa3a93e7u, 0x5ac635d8u};

/* ---------------------------------------------------------------- multi-limb helpers */

/* r = big-endian 32 bytes `in` as limbs. Returns nothing. */
static void bn_from_be(uint32_t r[8], const uint8_t in[32])
{
    unsigned i;
    for (i = 0; i < 8u; i++) {
        const uint8_t *p = in + 28u - 4u * i;
        r[i] = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
               (uint32_t)p[3];
    }
}

/* r = a. Returns nothing. */
static void bn_copy(uint32_t r[8], const uint32_t a[8])
{
    unsigned i;
    for (i = 0; i < 8u; i++) {
        r[i] = a[i];
    }
}

/* Returns 1 if a == 0, else 0. */
static int bn_is_zero(const uint32_t a[8])
{
    uint32_t acc = 0;
    unsigned i;
    for (i = 0; i < 8u; i++) {
        acc |= a[i];
    }
    return acc == 0u;
}

/* Returns 1 if a == 1, else 0. */
static int bn_is_one(const uint32_t a[8])
{
    uint32_t acc = a[0] ^ 1u;
    unsigned i;
    for (i = 1; i < 8u; i++) {
        acc |= a[i];
    }
    return acc == 0u;
}

/* Returns 1 if a == b, else 0. */
static int bn_eq(const uint32_t a[8], const uint32_t b[8])
{
    uint32_t acc = 0;
    unsigned i;
    for (i = 0; i < 8u; i++) {
        acc |= a[i] ^ b[i];
    }
    return acc == 0u;
}

/* Returns 1 if a < b, else 0. */
static int bn_lt(const uint32_t a[8], const uint32_t b[8])
{
    unsigned i = 8u;
    while (i-- > 0u) {
        if (a[i] != b[i]) {
            return a[i] < b[i];
        }
    }
    return 0;
}

/* r = a + b (r may alias a or b). Returns the carry out (0 or 1). */
static uint32_t bn_add(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
    uint64_t acc = 0;
    unsigned i;
    for (i = 0; i < 8u; i++) {
        acc += (uint64_t)a[i] + b[i];
        r[i] = (uint32_t)acc;
        acc >>= 32;
    }
    return (uint32_t)acc;
}

/* r = a - b (r may alias a or b). Returns the borrow out (0 or 1). */
static uint32_t bn_sub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
    int64_t acc = 0;
    unsigned i;
    for (i = 0; i < 8u; i++) {
        acc += (int64_t)a[i] - b[i];
        r[i] = (uint32_t)acc;
        acc >>= 32; /* arithmetic shift: 0 or -1 (GCC semantics) */
    }
    return (uint32_t)(acc & 1);
}

/* a >>= k in place, 1 <= k <= 31. Returns nothing. */
static void bn_shr(uint32_t a[8], unsigned k)
{
    unsigned i;
    for (i = 0; i < 7u; i++) {
        a[i] = (a[i] >> k) | (a[i + 1u] << (32u - k));
    }
    a[7] >>= k;
}

/* Returns the number of trailing zero bits of a nonzero even v, capped at 31. */
static unsigned ctz31(uint32_t v)
{
    return (unsigned)__builtin_ctz(v | 0x80000000u);
}

/* ---------------------------------------------------------------- modular helpers */

/* r = a - b mod m, for a, b < m. Returns nothing. */
static void mod_sub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8], const uint32_t m[8])
{
    if (bn_sub(r, a, b) != 0u) {
        (void)bn_add(r, r, m);
    }
}

/*
 * mod_div2k - x = x / 2^k mod m for odd m, x < m, 1 <= k <= 31, minv = -m^-1 mod 2^32:
 * x + q m with q = x minv mod 2^k is divisible by 2^k and below 2^k m.
 * Returns nothing.
 */
static void mod_div2k(uint32_t x[8], unsigned k, const uint32_t m[8], uint32_t minv)
{
    uint32_t q = (x[0] * minv) & ((1u << k) - 1u);
    uint32_t c = 0;
    uint32_t top;
    unsigned i;

    for (i = 0; i < 8u; i++) {
        P256_MAC(x[i], c, q, m[i]);
    }
    top = c;
    bn_shr(x, k);
    x[7] |= top << (32u - k);
}

/*
 * mod_div - out = y / a mod m by the binary extended Euclidean algorithm (not constant
 * time), stripping all trailing zero bits at once. Requires m odd, 0 < a < m,
 * gcd(a, m) = 1, y < m, minv = -m^-1 mod 2^32.
 * Returns: 0 on success; -1 if the preconditions are violated (a == 0 or gcd != 1).
 */
static int mod_div(uint32_t out[8], const uint32_t y[8], const uint32_t a[8], const uint32_t m[8],
                   uint32_t minv)
{
    uint32_t u[8], v[8], x1[8], x2[8];
    unsigned guard;
    unsigned i;

    bn_copy(u, a);
    bn_copy(v, m);
    bn_copy(x1, y);
    for (i = 0; i < 8u; i++) {
        x2[i] = 0u;
    }
    /*
     * Invariants: a*x1 = y*u, a*x2 = y*v (mod m); u, v odd at the subtraction. u + v
     * loses at least one bit per round after the first (the difference of two odd numbers
     * is even), and u, v < 2^256, so 2 * 256 + 2 rounds always suffice.
     */
    for (guard = 0; guard < 2u * 256u + 2u; guard++) {
        if (bn_is_one(u)) {
            bn_copy(out, x1);
            return 0;
        }
        if (bn_is_one(v)) {
            bn_copy(out, x2);
            return 0;
        }
        if (bn_is_zero(u) || bn_is_zero(v)) {
            return -1; /* gcd(a, m) != 1 */
        }
        while ((u[0] & 1u) == 0u) { /* u != 0: at most 255 bits to strip */
            unsigned k = ctz31(u[0]);
            bn_shr(u, k);
            mod_div2k(x1, k, m, minv);
        }
        while ((v[0] & 1u) == 0u) {
            unsigned k = ctz31(v[0]);
            bn_shr(v, k);
            mod_div2k(x2, k, m, minv);
        }
        if (bn_lt(u, v)) {
            (void)bn_sub(v, v, u);
            mod_sub(x2, x2, x1, m);
        } else {
            (void)bn_sub(u, u, v);
            mod_sub(x1, x1, x2, m);
        }
    }
    return -1;
}

/* ---------------------------------------------------------------- field mod p */

/*
 * fe_fold - r += c * 2^256 mod p for a small signed c, using
 * 2^256 = 2^224 - 2^192 - 2^96 + 1 (mod p), with r < 2^256.
 * Returns: the new carry out of bit 256 (signed; see fe_finish for the bound).
 */
static int32_t fe_fold(uint32_t r[8], int32_t c)
{
    int64_t acc;
    acc = (int64_t)r[0] + c;
    r[0] = (uint32_t)acc;
    acc >>= 32; /* arithmetic shift (GCC semantics) */
    acc += r[1];
    r[1] = (uint32_t)acc;
    acc >>= 32;
    acc += r[2];
    r[2] = (uint32_t)acc;
    acc >>= 32;
    acc += (int64_t)r[3] - c;
    r[3] = (uint32_t)acc;
    acc >>= 32;
    acc += r[4];
    r[4] = (uint32_t)acc;
    acc >>= 32;
    acc += r[5];
    r[5] = (uint32_t)acc;
    acc >>= 32;
    acc += (int64_t)r[6] - c;
    r[6] = (uint32_t)acc;
    acc >>= 32;
    acc += (int64_t)r[7] + c;
    r[7] = (uint32_t)acc;
    acc >>= 32;
    return (int32_t)acc;
}

/*
 * fe_finish - r = (r + c * 2^256) mod p, fully reduced, for r < 2^256 and c in [-7, 7].
 * One fold leaves r + c' 2^256 with c' in {-1, 0, 1} (|c (2^224 - 2^192 - 2^96 + 1)| <
 * 7 * 2^224); a second fold always ends with carry 0 and r < 2^256 < 2p, so at most one
 * subtraction of p remains.
 * Returns nothing.
 */
static void fe_finish(uint32_t r[8], int32_t c)
{
    if (c != 0) {
        c = fe_fold(r, c);
        if (c != 0) {
            (void)fe_fold(r, c);
        }
    }
    if (r[7] == 0xffffffffu && !bn_lt(r, P256_P)) {
        (void)fe_fold(r, 1); /* r - p: adds 2^256 - p, the carry out is dropped */
    }
}

/* r = a + b mod p (a, b < p; r may alias). Returns nothing. */
static void fe_add(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
    uint64_t acc = 0;
#define FE_ADDW(i)                        \
    acc += (uint64_t)a[i] + b[i];         \
    r[i] = (uint32_t)acc;                 \
    acc >>= 32
    FE_ADDW(0);
    FE_ADDW(1);
    FE_ADDW(2);
    FE_ADDW(3);
    FE_ADDW(4);
    FE_ADDW(5);
    FE_ADDW(6);
    FE_ADDW(7);
#undef FE_ADDW
    fe_finish(r, (int32_t)acc);
}

/* r = a - b mod p (a, b < p; r may alias). Returns nothing. */
static void fe_sub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
    int64_t acc = 0;
#define FE_SUBW(i)                        \
    acc += (int64_t)a[i] - b[i];          \
    r[i] = (uint32_t)acc;                 \
    acc >>= 32
    FE_SUBW(0);
    FE_SUBW(1);
    FE_SUBW(2);
    FE_SUBW(3);
    FE_SUBW(4);
    FE_SUBW(5);
    FE_SUBW(6);
    FE_SUBW(7);
#undef FE_SUBW
    if (acc != 0) {
        (void)fe_fold(r, -1); /* a - b + p: subtracts 2^256 - p, the borrow cancels */
    }
}

/* r = k * a mod p for a < p, 1 <= k <= 8 (r may alias a). Returns nothing. */
static void fe_mul_small(uint32_t r[8], const uint32_t a[8], uint32_t k)
{
    uint32_t c = 0;
    unsigned i;
    for (i = 0; i < 8u; i++) {
        uint32_t lo = 0;
        P256_MAC(lo, c, a[i], k);
        r[i] = lo;
    }
    fe_finish(r, (int32_t)c);
}

/*
 * fe_reduce - r = c mod p for a 512-bit c (16 limbs), fully reduced. FIPS 186-4 D.2.3:
 * c = s1 + 2 s2 + 2 s3 + s4 + s5 - s6 - s7 - s8 - s9 (mod p).
 * Returns nothing.
 */
static void fe_reduce(uint32_t r[8], const uint32_t c[16])
{
    int64_t acc;

    acc = (int64_t)c[0] + c[8] + c[9] - c[11] - c[12] - c[13] - c[14];
    r[0] = (uint32_t)acc;
    acc >>= 32;
    acc += (int64_t)c[1] + c[9] + c[10] - c[12] - c[13] - c[14] - c[15];
    r[1] = (uint32_t)acc;
    acc >>= 32;
    acc += (int64_t)c[2] + c[10] + c[11] - c[13] - c[14] - c[15];
    r[2] = (uint32_t)acc;
    acc >>= 32;
    acc += (int64_t)c[3] + 2 * ((int64_t)c[11] + c[12]) + c[13] - c[15] - c[8] - c[9];
    r[3] = (uint32_t)acc;
    acc >>= 32;
    acc += (int64_t)c[4] + 2 * ((int64_t)c[12] + c[13]) + c[14] - c[9] - c[10];
    r[4] = (uint32_t)acc;
    acc >>= 32;
    acc += (int64_t)c[5] + 2 * ((int64_t)c[13] + c[14]) + c[15] - c[10] - c[11];
    r[5] = (uint32_t)acc;
    acc >>= 32;
    acc += (int64_t)c[6] + 3 * (int64_t)c[14] + 2 * (int64_t)c[15] + c[13] - c[8] - c[9];
    r[6] = (uint32_t)acc;
    acc >>= 32;
    acc += (int64_t)c[7] + 3 * (int64_t)c[15] + c[8] - c[10] - c[11] - c[12] - c[13];
    r[7] = (uint32_t)acc;
    acc >>= 32;
    /* The sum lies in (-4 * 2^256, 7 * 2^256): the carry is in [-4, 6]. */
    fe_finish(r, (int32_t)acc);
}

/*
 * One row of the operand-scanning product: t[i..i+8] += a_i * b, where the running
 * window t[i..i+7] lives in w0..w7 (w0 = t[i] is final afterwards and stored), and the
 * window slides by one limb.
 */
#define FE_ROW(i)                         \
    do {                                  \
        uint32_t ai_ = a[i];              \
        uint32_t c_ = 0;                  \
        P256_MAC(w0, c_, ai_, b0);        \
        t[i] = w0;                        \
        P256_MAC(w1, c_, ai_, b1);        \
        P256_MAC(w2, c_, ai_, b2);        \
        P256_MAC(w3, c_, ai_, b3);        \
        P256_MAC(w4, c_, ai_, b4);        \
        P256_MAC(w5, c_, ai_, b5);        \
        P256_MAC(w6, c_, ai_, b6);        \
        P256_MAC(w7, c_, ai_, b7);        \
        w0 = w1;                          \
        w1 = w2;                          \
        w2 = w3;                          \
        w3 = w4;                          \
        w4 = w5;                          \
        w5 = w6;                          \
        w6 = w7;                          \
        w7 = c_;                          \
    } while (0)

/* r = a * b mod p (r may alias a or b). Returns nothing. */
static void fe_mul(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
    uint32_t t[16];
    uint32_t b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    uint32_t b4 = b[4], b5 = b[5], b6 = b[6], b7 = b[7];
    uint32_t w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0;

    FE_ROW(0);
    FE_ROW(1);
    FE_ROW(2);
    FE_ROW(3);
    FE_ROW(4);
    FE_ROW(5);
    FE_ROW(6);
    FE_ROW(7);
    t[8] = w0;
    t[9] = w1;
    t[10] = w2;
    t[11] = w3;
    t[12] = w4;
    t[13] = w5;
    t[14] = w6;
    t[15] = w7;
    fe_reduce(r, t);
}

#define fe_sqr(r, a) fe_mul((r), (a), (a))

/* ---------------------------------------------------------------- Montgomery mod n */

/*
 * mont_mul_n - r = a * b / 2^256 mod n (CIOS Montgomery multiplication), for a < 2^256,
 * b < n; the result is fully reduced. Used twice per verify, so compact loops.
 * Returns nothing.
 */
static void mont_mul_n(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
    uint32_t t[10];
    unsigned i, j;

    for (i = 0; i < 10u; i++) {
        t[i] = 0u;
    }
    for (i = 0; i < 8u; i++) {
        uint32_t c = 0;
        uint32_t m;
        uint64_t top;
        for (j = 0; j < 8u; j++) {
            P256_MAC(t[j], c, a[i], b[j]);
        }
        top = (uint64_t)t[8] + c;
        t[8] = (uint32_t)top;
        t[9] = (uint32_t)(top >> 32);
        m = t[0] * P256_N0INV;
        c = 0;
        P256_MAC(t[0], c, m, P256_N[0]); /* t[0] becomes 0 */
        for (j = 1; j < 8u; j++) {
            P256_MAC(t[j], c, m, P256_N[j]);
            t[j - 1u] = t[j];
        }
        top = (uint64_t)t[8] + c;
        t[7] = (uint32_t)top;
        t[8] = t[9] + (uint32_t)(top >> 32);
    }
    /* t < 2n < 2^257 */
    if (t[8] != 0u || !bn_lt(t, P256_N)) {
        (void)bn_sub(t, t, P256_N);
    }
    bn_copy(r, t);
}

/* ---------------------------------------------------------------- points */

/*
 * pt_dbl - p = 2p in place (Jacobian, a = -3, dbl-2001-b). Infinity stays infinity.
 * Returns nothing.
 */
static void pt_dbl(jpt_t *p)
{
    fe_t delta, gamma, beta, alpha, t;

    if (bn_is_zero(p->z)) {
        return;
    }
    fe_sqr(delta, p->z);
    fe_sqr(gamma, p->y);
    fe_mul(beta, p->x, gamma);
    fe_sub(t, p->x, delta);
    fe_add(alpha, p->x, delta);
    fe_mul(alpha, alpha, t);
    fe_mul_small(alpha, alpha, 3u); /* alpha = 3 (X - delta)(X + delta) */
    fe_mul(p->z, p->z, p->y);
    fe_add(p->z, p->z, p->z); /* Z3 = 2 Y Z */
    fe_mul_small(beta, beta, 4u); /* 4 beta */
    fe_sqr(t, alpha);
    fe_add(delta, beta, beta);
    fe_sub(p->x, t, delta); /* X3 = alpha^2 - 8 beta */
    fe_sub(t, beta, p->x);
    fe_mul(t, alpha, t);
    fe_sqr(gamma, gamma);
    fe_mul_small(gamma, gamma, 8u);
    fe_sub(p->y, t, gamma); /* Y3 = alpha (4 beta - X3) - 8 gamma^2 */
}

/*
 * pt_add - p = p + (x2, y2, z2) (add-1998-cmo-2). z2 == NULL means the second point is
 * affine (Z = 1). The second point is never infinity (callers pass table points); `p`
 * may be. p == -second gives infinity. p == second is left to the caller (so that this
 * function never nests pt_dbl on the stack): p is then unchanged and 1 is returned.
 * Returns: 0 when p holds the sum; 1 when p equals the second point (caller doubles p).
 */
static int pt_add(jpt_t *p, const uint32_t x2[8], const uint32_t y2[8], const uint32_t *z2)
{
    fe_t z1z1, u2, s2, h, r, t, v;
    fe_t u1buf, s1buf;
    const uint32_t *u1 = p->x;
    const uint32_t *s1 = p->y;

    if (bn_is_zero(p->z)) {
        bn_copy(p->x, x2);
        bn_copy(p->y, y2);
        if (z2 != NULL) {
            bn_copy(p->z, z2);
        } else {
            unsigned i;
            p->z[0] = 1u;
            for (i = 1; i < 8u; i++) {
                p->z[i] = 0u;
            }
        }
        return 0;
    }
    if (z2 != NULL) {
        fe_sqr(t, z2);
        fe_mul(u1buf, p->x, t);
        fe_mul(t, t, z2);
        fe_mul(s1buf, p->y, t);
        u1 = u1buf;
        s1 = s1buf;
    }
    fe_sqr(z1z1, p->z);
    fe_mul(u2, x2, z1z1);
    fe_mul(t, z1z1, p->z);
    fe_mul(s2, y2, t);
    fe_sub(h, u2, u1);
    fe_sub(r, s2, s1);
    if (bn_is_zero(h)) {
        unsigned i;
        if (bn_is_zero(r)) {
            return 1; /* same point: p untouched, the caller doubles */
        }
        for (i = 0; i < 8u; i++) {
            p->z[i] = 0u; /* p + (-p) = infinity */
        }
        return 0;
    }
    fe_sqr(t, h);        /* HH */
    fe_mul(v, u1, t);    /* V = U1 HH */
    fe_mul(z1z1, h, t);  /* HHH (z1z1 no longer needed) */
    fe_mul(p->z, p->z, h);
    if (z2 != NULL) {
        fe_mul(p->z, p->z, z2); /* Z3 = Z1 Z2 H */
    }
    fe_mul(s2, s1, z1z1); /* S1 HHH, before p->y (maybe s1) is overwritten */
    fe_sqr(t, r);
    fe_sub(t, t, z1z1);
    fe_sub(t, t, v);
    fe_sub(p->x, t, v); /* X3 = R^2 - HHH - 2V */
    fe_sub(t, v, p->x);
    fe_mul(t, r, t);
    fe_sub(p->y, t, s2); /* Y3 = R (V - X3) - S1 HHH */
    return 0;
}

/* ---------------------------------------------------------------- scalars */

/* Returns bits [bit, bit + n) of k (n <= 8), bits at 256 and above read as zero. */
static uint32_t scalar_bits(const uint32_t k[8], unsigned bit, unsigned n)
{
    unsigned idx = bit >> 5;
    unsigned off = bit & 31u;
    uint32_t lo = (idx < 8u) ? k[idx] : 0u;
    uint32_t hi = (idx + 1u < 8u) ? k[idx + 1u] : 0u;
    uint32_t v = lo >> off;
    if (off != 0u) {
        v |= hi << (32u - off);
    }
    return v & ((1u << n) - 1u);
}

/*
 * wnaf - width-w NAF of k < 2^256 (2 <= w <= 7): every nonzero digit is odd, in
 * [-(2^(w-1) - 1), 2^(w-1) - 1], and is followed by at least w - 1 zero digits. Only the
 * nonzero digits are stored, in increasing position order, each as
 * (position << 7) | (digit + 64), into out[0..P256_NAF_MAX(w)).
 * Returns: the number of entries written (at most P256_NAF_MAX(w)).
 */
static unsigned wnaf(uint16_t *out, const uint32_t k[8], unsigned w)
{
    unsigned bit = 0;
    unsigned count = 0;
    uint32_t carry = 0;

    while (bit < P256_NAF_LEN) { /* bit grows every round */
        unsigned now;
        int32_t word;
        if (scalar_bits(k, bit, 1u) == carry) {
            bit++;
            continue;
        }
        now = w;
        if (now > P256_NAF_LEN - bit) {
            now = P256_NAF_LEN - bit;
        }
        word = (int32_t)(scalar_bits(k, bit, now) + carry); /* odd, in [1, 2^w - 1] */
        carry = ((uint32_t)word >> (w - 1u)) & 1u;
        word -= (int32_t)(carry << w);
        out[count++] = (uint16_t)((bit << 7) | (unsigned)(word + 64));
        bit += now; /* the next digit is at least w positions higher */
    }
    return count;
}

/* ---------------------------------------------------------------- public API */

/* See p256.h. Returns P256_OK or a P256_ERR_* code. All arguments are attacker controlled. */
p256_result_t p256_verify(const uint8_t pub[64], const uint8_t hash[32], const uint8_t r[32],
                          const uint8_t s[32])
{
    fe_t qx, qy, rr, ss, e, u1, u2, t1, t2;
    jpt_t qtab[P256_Q_TABLE_SIZE];
    jpt_t acc;
    uint16_t naf_g[P256_NAF_MAX(P256_G_WINDOW)];
    uint16_t naf_q[P256_NAF_MAX(P256_Q_WINDOW)];
    unsigned i, ng, nq;

    if (pub == NULL || hash == NULL || r == NULL || s == NULL) {
        return P256_ERR_MISMATCH;
    }

    /* 1. Public key: coordinates < p, y^2 = x^3 - 3x + b. */
    bn_from_be(qx, pub);
    bn_from_be(qy, pub + 32);
    if (!bn_lt(qx, P256_P) || !bn_lt(qy, P256_P)) {
        return P256_ERR_KEY;
    }
    fe_sqr(t1, qy);
    fe_sqr(t2, qx);
    fe_mul(t2, t2, qx);
    fe_sub(t2, t2, qx);
    fe_sub(t2, t2, qx);
    fe_sub(t2, t2, qx);
    fe_add(t2, t2, P256_B);
    if (!bn_eq(t1, t2)) {
        return P256_ERR_KEY; /* also rejects (0, 0), the usual stand-in for infinity */
    }

    /* 2. r, s in [1, n-1]. */
    bn_from_be(rr, r);
    bn_from_be(ss, s);
    if (bn_is_zero(rr) || bn_is_zero(ss) || !bn_lt(rr, P256_N) || !bn_lt(ss, P256_N)) {
        return P256_ERR_RANGE;
    }

    /* 3. e = hash mod n (hash < 2^256 < 2n); w = R / s, u1 = e w / R, u2 = r w / R (mod n). */
    bn_from_be(e, hash);
    if (!bn_lt(e, P256_N)) {
        (void)bn_sub(e, e, P256_N);
    }
    if (mod_div(t1, P256_RMODN, ss, P256_N, P256_N0INV) != 0) {
        return P256_ERR_MISMATCH; /* unreachable: n is prime and 0 < s < n */
    }
    mont_mul_n(u1, e, t1);
    mont_mul_n(u2, rr, t1);

    /* 4. Table of odd multiples of Q: qtab[i] = (2i + 1) Q. */
    bn_copy(qtab[0].x, qx);
    bn_copy(qtab[0].y, qy);
    for (i = 0; i < 8u; i++) {
        qtab[0].z[i] = (i == 0u) ? 1u : 0u;
    }
    acc = qtab[0];
    pt_dbl(&acc); /* 2Q */
    for (i = 1; i < P256_Q_TABLE_SIZE; i++) {
        qtab[i] = qtab[i - 1u];
        if (pt_add(&qtab[i], acc.x, acc.y, acc.z) != 0) {
            pt_dbl(&qtab[i]); /* unreachable for a point of order n */
        }
    }

    /* 5. R = u1 G + u2 Q, joint wNAF double-and-add from the top digit. */
    ng = wnaf(naf_g, u1, P256_G_WINDOW);
    nq = wnaf(naf_q, u2, P256_Q_WINDOW);
    for (i = 0; i < 8u; i++) {
        acc.z[i] = 0u; /* infinity */
    }
    i = P256_NAF_LEN;
    while (i-- > 0u) {
        pt_dbl(&acc); /* no-op while acc is infinity */
        if (ng > 0u && (naf_g[ng - 1u] >> 7) == i) {
            int32_t d = (int32_t)(naf_g[ng - 1u] & 0x7fu) - 64;
            const uint32_t(*pg)[8] = p256_g_table[(unsigned)((d < 0 ? -d : d) - 1) >> 1];
            ng--;
            if (d < 0) {
                fe_sub(t1, P256_P, pg[1]); /* -y = p - y; table y is never 0 */
            } else {
                bn_copy(t1, pg[1]);
            }
            if (pt_add(&acc, pg[0], t1, NULL) != 0) {
                pt_dbl(&acc);
            }
        }
        if (nq > 0u && (naf_q[nq - 1u] >> 7) == i) {
            int32_t d = (int32_t)(naf_q[nq - 1u] & 0x7fu) - 64;
            const jpt_t *pq = &qtab[(unsigned)((d < 0 ? -d : d) - 1) >> 1];
            nq--;
            if (d < 0) {
                fe_sub(t1, P256_P, pq->y); /* Q has odd order: y != 0 */
            } else {
                bn_copy(t1, pq->y);
            }
            if (pt_add(&acc, pq->x, t1, pq->z) != 0) {
                pt_dbl(&acc);
            }
        }
    }

    /* 6. Accept iff R != infinity and x(R) mod n == r, i.e. X == r Z^2 or (r + n) Z^2. */
    if (bn_is_zero(acc.z)) {
        return P256_ERR_MISMATCH;
    }
    fe_sqr(t2, acc.z);
    fe_mul(t1, rr, t2); /* r < n < p: a valid field element */
    if (bn_eq(t1, acc.x)) {
        return P256_OK;
    }
    if (bn_add(rr, rr, P256_N) == 0u && bn_lt(rr, P256_P)) {
        fe_mul(t1, rr, t2);
        if (bn_eq(t1, acc.x)) {
            return P256_OK;
        }
    }
    return P256_ERR_MISMATCH;
}

/*
 * der_int - parse one strict-DER INTEGER at p[0..avail) into a 32-byte big-endian value.
 * `p` is attacker controlled. On success *used is the element's total length.
 * Returns: 0, or a negative P256_DER_ERR_* code.
 */
static int der_int(const uint8_t *p, size_t avail, uint8_t out[32], size_t *used)
{
    size_t len;
    const uint8_t *v;
    size_t i;

    if (avail < 2u || p[0] != 0x02u) {
        return P256_DER_ERR_INT;
    }
    len = p[1]; /* attacker controlled */
    if ((len & 0x80u) != 0u || len == 0u || len > avail - 2u) {
        return P256_DER_ERR_INT; /* long form (never minimal here), empty, truncated */
    }
    v = p + 2;
    *used = 2u + len;
    if ((v[0] & 0x80u) != 0u) {
        return P256_DER_ERR_ENCODING; /* negative */
    }
    if (v[0] == 0u && len > 1u) {
        if ((v[1] & 0x80u) == 0u) {
            return P256_DER_ERR_ENCODING; /* unneeded leading zero */
        }
        v++;
        len--;
    }
    if (len > 32u) {
        return P256_DER_ERR_TOO_LONG;
    }
    for (i = 0; i < 32u - len; i++) {
        out[i] = 0u;
    }
    for (i = 0; i < len; i++) {
        out[32u - len + i] = v[i];
    }
    return 0;
}

/* See p256.h. Returns 0 or a negative P256_DER_ERR_* code. `der` is attacker controlled. */
int p256_der_to_rs(const uint8_t *der, size_t len, uint8_t r[32], uint8_t s[32])
{
    uint8_t rb[32], sb[32];
    size_t seqlen, used_r, used_s;
    int rc;
    unsigned i;

    if (der == NULL || r == NULL || s == NULL) {
        return P256_DER_ERR_ARG;
    }
    if (len < 2u || der[0] != 0x30u) {
        return P256_DER_ERR_SEQ;
    }
    seqlen = der[1]; /* attacker controlled */
    if ((seqlen & 0x80u) != 0u || seqlen != len - 2u) {
        return P256_DER_ERR_SEQ; /* long form, or trailing / missing bytes */
    }
    rc = der_int(der + 2, seqlen, rb, &used_r);
    if (rc != 0) {
        return rc;
    }
    rc = der_int(der + 2 + used_r, seqlen - used_r, sb, &used_s);
    if (rc != 0) {
        return rc;
    }
    if (used_r + used_s != seqlen) {
        return P256_DER_ERR_TRAILING;
    }
    for (i = 0; i < 32u; i++) {
        r[i] = rb[i];
        s[i] = sb[i];
    }
    return 0;
}
