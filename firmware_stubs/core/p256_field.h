/*
 * p256_field.h - P-256 arithmetic mod p (fold, add, sub, the unrolled product with the
 * Solinas reduction) and the Montgomery multiplication mod n.
 *
 * Internal to p256.c (one translation unit, see there): static definitions included once by
 * p256.c, which defines fe_t, jpt_t, P256_MAC and the curve constants first; not an API.
 */
#ifndef OTA_CORE_P256_FIELD_H
#define OTA_CORE_P256_FIELD_H

#ifndef OTA_CORE_P256_UNIT
#error "p256_field.h is internal to p256.c"
#endif

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

#endif /* OTA_CORE_P256_FIELD_H */
