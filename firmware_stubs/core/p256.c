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
 *
 * One translation unit in four files, so that the compiler sees every static helper next to
 * its callers (it inlines most of them; the verification's instruction counts are part of the
 * evidence): p256_bn.h (multi-limb and modular helpers), p256_field.h (arithmetic mod p and
 * Montgomery multiplication mod n) and p256_point.h (Jacobian points, scalar recoding) are
 * internal to this file and included once, below, in that order.
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

/* Included here, after the representation above: definitions keep their source order. */
#define OTA_CORE_P256_UNIT 1 /* the internal parts check it */
#include "p256_bn.h"
#include "p256_field.h"
#include "p256_point.h"

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

/*
 * See p256.h. The default: the software p256_verify (weak: a port with an accelerator
 * supplies its own). Returns P256_OK or a P256_ERR_* code. All arguments are attacker
 * controlled.
 */
__attribute__((weak)) p256_result_t p256_verify_sig(const uint8_t pub[64], const uint8_t hash[32],
                                                    const uint8_t r[32], const uint8_t s[32])
{
    return p256_verify(pub, hash, r, s);
}
