/*
 * sha256.c - SHA-256 (FIPS 180-4), see sha256.h.
 *
 * The compression function is split in two: the message schedule of a block with the round
 * constants folded in (64 words, sha256_schedule), then the 64 rounds on it (eight unrolled
 * rounds per pass, register renaming instead of moves: sha256_rounds). sha256_update2 hashes
 * the same bytes into two contexts and, when both sit at a block boundary, computes each
 * block's schedule once for both (the whole-image hash and a chunk-map hash of the image
 * verifier read the same payload). About 1.8 KiB of code at -Os on Cortex-M33. No heap, no
 * recursion, no tables besides K.
 */
#include "sha256.h"

#ifndef HIL_CRYPTO_SW
#include "sha256_hw.h"

/* The context whose message is on the accelerator (sha256.h "Backends"), or NULL. */
static const sha256_ctx_t *sha256_hw_owner;
#endif

static const uint32_t sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32u - (n))))
#define BSIG0(x) (ROR32((x), 2u) ^ ROR32((x), 13u) ^ ROR32((x), 22u))
#define BSIG1(x) (ROR32((x), 6u) ^ ROR32((x), 11u) ^ ROR32((x), 25u))
#define SSIG0(x) (ROR32((x), 7u) ^ ROR32((x), 18u) ^ ((x) >> 3u))
#define SSIG1(x) (ROR32((x), 17u) ^ ROR32((x), 19u) ^ ((x) >> 10u))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))

/* Big-endian 32-bit load (GCC turns this into LDR + REV on Cortex-M33). */
static inline uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * sha256_schedule - the message schedule of the 64-byte block at `p` (any alignment) with the
 * round constants folded in: kw[t] = W[t] + K[t], t = 0..63. Two words per pass: W[t - 1] and
 * W[t - 2] stay in registers from the pass before, W[t - 15] serves both words. W[t - 16] is
 * last read by W[t], so it takes its K right then. The schedule depends only on the block:
 * every state that hashes this block uses the same kw[] (sha256_rounds).
 * Returns: nothing.
 */
static void sha256_schedule(uint32_t kw[64], const uint8_t *p)
{
    uint32_t w1;
    uint32_t w2;
    unsigned t;

    for (t = 0; t < 16u; t++) {
        kw[t] = load_be32(p + 4u * t);
    }
    w2 = kw[14];
    w1 = kw[15];
    for (t = 16u; t < 64u; t += 2u) {
        uint32_t w16 = kw[t - 16u];
        uint32_t w15 = kw[t - 15u];
        w2 = SSIG1(w2) + kw[t - 7u] + SSIG0(w15) + w16;
        w1 = SSIG1(w1) + kw[t - 6u] + SSIG0(kw[t - 14u]) + w15;
        kw[t] = w2;
        kw[t + 1u] = w1;
        kw[t - 16u] = w16 + sha256_k[t - 16u];
        kw[t - 15u] = w15 + sha256_k[t - 15u];
    }
    for (t = 48u; t < 64u; t++) {
        kw[t] += sha256_k[t];
    }
}

/*
 * One round on the renamed state; `i` is a constant 0..7 (offset into the 8 words at kp).
 * Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)): a ^ b goes to `x` and b ^ c is the previous round's
 * a ^ b, in `y` (two variables, alternating).
 */
#define SHA_RND(a, b, c, d, e, f, g, h, i, x, y)                                               \
    do {                                                                                       \
        (h) += BSIG1(e) + CH((e), (f), (g)) + kp[i];                                           \
        (d) += (h);                                                                            \
        (x) = (a) ^ (b);                                                                       \
        (h) += BSIG0(a) + ((b) ^ ((x) & (y)));                                                 \
    } while (0)

/*
 * sha256_rounds - the 64 rounds of the compression function on st[8] with the schedule kw
 * (sha256_schedule), eight rounds per pass (register renaming instead of moves), then the
 * feed-forward into st.
 * Returns: nothing.
 */
static void sha256_rounds(uint32_t st[8], const uint32_t kw[64])
{
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
    uint32_t x0;
    uint32_t x1 = b ^ c;
    const uint32_t *kp = kw;

    do {
        SHA_RND(a, b, c, d, e, f, g, h, 0u, x0, x1);
        SHA_RND(h, a, b, c, d, e, f, g, 1u, x1, x0);
        SHA_RND(g, h, a, b, c, d, e, f, 2u, x0, x1);
        SHA_RND(f, g, h, a, b, c, d, e, 3u, x1, x0);
        SHA_RND(e, f, g, h, a, b, c, d, 4u, x0, x1);
        SHA_RND(d, e, f, g, h, a, b, c, 5u, x1, x0);
        SHA_RND(c, d, e, f, g, h, a, b, 6u, x0, x1);
        SHA_RND(b, c, d, e, f, g, h, a, 7u, x1, x0);
        kp += 8;
    } while (kp != &kw[64]);
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += h;
}

/*
 * sha256_compress - process `nblocks` consecutive 64-byte blocks at `p` (any alignment) into
 * the chaining state st1 and, when st2 is not NULL, into st2 too: the schedule of each block
 * is computed once and both compression functions run on it.
 * Returns: nothing.
 */
static void sha256_compress(uint32_t st1[8], uint32_t st2[8], const uint8_t *p, size_t nblocks)
{
    uint32_t kw[64];

    while (nblocks-- > 0u) {
        sha256_schedule(kw, p);
        sha256_rounds(st1, kw);
        if (st2 != NULL) {
            sha256_rounds(st2, kw);
        }
        p += SHA256_BLOCK_SIZE;
    }
}

/* See sha256.h. Returns nothing. */
void sha256_init(sha256_ctx_t *ctx)
{
    if (ctx == NULL) {
        return;
    }
    ctx->h[0] = 0x6a09e667u;
    ctx->h[1] = 0xbb67ae85u;
    ctx->h[2] = 0x3c6ef372u;
    ctx->h[3] = 0xa54ff53au;
    ctx->h[4] = 0x510e527fu;
    ctx->h[5] = 0x9b05688cu;
    ctx->h[6] = 0x1f83d9abu;
    ctx->h[7] = 0x5be0cd19u;
    ctx->total = 0;
    ctx->buflen = 0;
#ifndef HIL_CRYPTO_SW
    ctx->engine = 0u;
    if (sha256_hw_owner == NULL || sha256_hw_owner == ctx) {
        sha256_hw_owner = NULL;
        if (port_sha256_start() == 0) {
            sha256_hw_owner = ctx;
            ctx->engine = 1u;
        }
    }
#endif
}

/*
 * sha256_blocks - `nblocks` whole blocks at `p` into ctx's message: on the accelerator when
 * ctx owns it, else in software.
 * Returns: nothing.
 */
static void sha256_blocks(sha256_ctx_t *ctx, const uint8_t *p, size_t nblocks)
{
#ifndef HIL_CRYPTO_SW
    if (ctx->engine != 0u) {
        (void)port_sha256_blocks(p, nblocks); /* a failure shows in port_sha256_finish */
        return;
    }
#endif
    sha256_compress(ctx->h, NULL, p, nblocks);
}

/* See sha256.h. Returns nothing. `data` (len bytes) may be attacker controlled. */
void sha256_update(sha256_ctx_t *ctx, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    size_t nblocks;

    if (ctx == NULL || p == NULL || len == 0u || ctx->buflen >= SHA256_BLOCK_SIZE) {
        return;
    }
    ctx->total += (uint64_t)len;
    if (ctx->buflen != 0u) {
        /* Fill the pending partial block first. */
        while (len > 0u && ctx->buflen < SHA256_BLOCK_SIZE) {
            ctx->buf[ctx->buflen++] = *p++;
            len--;
        }
        if (ctx->buflen < SHA256_BLOCK_SIZE) {
            return;
        }
        sha256_blocks(ctx, ctx->buf, 1u);
        ctx->buflen = 0;
    }
    nblocks = len / SHA256_BLOCK_SIZE;
    if (nblocks != 0u) {
        sha256_blocks(ctx, p, nblocks);
        p += nblocks * SHA256_BLOCK_SIZE;
        len -= nblocks * SHA256_BLOCK_SIZE;
    }
    while (len > 0u) { /* len < 64 here */
        ctx->buf[ctx->buflen++] = *p++;
        len--;
    }
}

/* See sha256.h. Returns nothing. `data` (len bytes) may be attacker controlled. */
void sha256_update2(sha256_ctx_t *c1, sha256_ctx_t *c2, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    size_t nblocks;
    size_t k;

    if (c1 == NULL || c2 == NULL || c1 == c2 || p == NULL || c1->buflen != c2->buflen ||
        c1->buflen >= SHA256_BLOCK_SIZE
#ifndef HIL_CRYPTO_SW
        || c1->engine != 0u || c2->engine != 0u /* one of them is on the accelerator */
#endif
    ) {
        /* not at the same block offset (or nothing to share): two independent updates */
        sha256_update(c1, data, len);
        sha256_update(c2, data, len);
        return;
    }
    if (c1->buflen != 0u) {
        /* the pending partial blocks differ: complete each on its own */
        k = SHA256_BLOCK_SIZE - c1->buflen;
        k = k < len ? k : len;
        sha256_update(c1, p, k);
        sha256_update(c2, p, k);
        p += k;
        len -= k;
        if (len == 0u) {
            return;
        }
    }
    /* both at a block boundary here: the remaining blocks are the same for both */
    c1->total += (uint64_t)len;
    c2->total += (uint64_t)len;
    nblocks = len / SHA256_BLOCK_SIZE;
    if (nblocks != 0u) {
        sha256_compress(c1->h, c2->h, p, nblocks);
        p += nblocks * SHA256_BLOCK_SIZE;
        len -= nblocks * SHA256_BLOCK_SIZE;
    }
    for (k = 0; k < len; k++) { /* len < 64 here */
        c1->buf[k] = p[k];
        c2->buf[k] = p[k];
    }
    c1->buflen = (uint32_t)len;
    c2->buflen = (uint32_t)len;
}

/* See sha256.h. Returns nothing. */
void sha256_final(sha256_ctx_t *ctx, uint8_t out[32])
{
    uint64_t bits;
    uint32_t n;
    unsigned i;

    if (ctx == NULL || out == NULL || ctx->buflen >= SHA256_BLOCK_SIZE) {
        return;
    }
#ifndef HIL_CRYPTO_SW
    if (ctx->engine != 0u) {
        /* a failure leaves `out` all zero: matches no expected digest (fails closed) */
        (void)port_sha256_finish(ctx->buf, ctx->buflen, ctx->total, out);
        ctx->engine = 0u;
        if (sha256_hw_owner == ctx) {
            sha256_hw_owner = NULL;
        }
        for (i = 0; i < SHA256_BLOCK_SIZE; i++) {
            ctx->buf[i] = 0u;
        }
        ctx->total = 0;
        ctx->buflen = 0;
        return;
    }
#endif
    bits = ctx->total << 3;
    n = ctx->buflen;
    ctx->buf[n++] = 0x80u;
    if (n > SHA256_BLOCK_SIZE - 8u) {
        while (n < SHA256_BLOCK_SIZE) {
            ctx->buf[n++] = 0u;
        }
        sha256_compress(ctx->h, NULL, ctx->buf, 1u);
        n = 0;
    }
    while (n < SHA256_BLOCK_SIZE - 8u) {
        ctx->buf[n++] = 0u;
    }
    store_be32(&ctx->buf[56], (uint32_t)(bits >> 32));
    store_be32(&ctx->buf[60], (uint32_t)bits);
    sha256_compress(ctx->h, NULL, ctx->buf, 1u);
    for (i = 0; i < 8u; i++) {
        store_be32(out + 4u * i, ctx->h[i]);
    }
    /* Wipe: the context is not reusable without sha256_init. */
    for (i = 0; i < 8u; i++) {
        ctx->h[i] = 0u;
    }
    for (i = 0; i < SHA256_BLOCK_SIZE; i++) {
        ctx->buf[i] = 0u;
    }
    ctx->total = 0;
    ctx->buflen = 0;
}

/* See sha256.h. Returns nothing. */
void sha256(const void *data, size_t len, uint8_t out[32])
{
    sha256_ctx_t ctx;

    if (out == NULL) {
        return;
    }
    sha256_init(&ctx);
    sha256_update(&ctx, data, len);
    sha256_final(&ctx, out);
}
