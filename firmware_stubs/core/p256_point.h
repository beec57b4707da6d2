/*
 * p256_point.h - P-256 Jacobian point doubling and (mixed) addition, scalar bit access and
 * the wNAF recoding.
 *
 * Internal to p256.c (one translation unit, see there): static definitions included once by
 * p256.c, which defines fe_t, jpt_t, P256_MAC and the curve constants first; not an API.
 */
#ifndef OTA_CORE_P256_POINT_H
#define OTA_CORE_P256_POINT_H

#ifndef OTA_CORE_P256_UNIT
#error "p256_point.h is internal to p256.c"
#endif

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

#endif /* OTA_CORE_P256_POINT_H */
