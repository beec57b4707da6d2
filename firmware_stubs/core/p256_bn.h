/*
 * p256_bn.h - P-256 multi-limb helpers (8 x 32-bit little-endian limbs) and the modular
 * helpers of the scalar inversion (binary extended Euclid).
 *
 * Internal to p256.c (one translation unit, see there): static definitions included once by
 * p256.c, which defines fe_t, jpt_t, P256_MAC and the curve constants first; not an API.
 */
#ifndef OTA_CORE_P256_BN_H
#define OTA_CORE_P256_BN_H

#ifndef OTA_CORE_P256_UNIT
#error "p256_bn.h is internal to p256.c"
#endif

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

#endif /* OTA_CORE_P256_BN_H */
