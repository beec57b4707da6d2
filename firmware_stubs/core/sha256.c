/*
 * sha256.c - SHA-256 (FIPS 180-4), see sha256.h.
 *
 * The compression function unrolls 16 rounds (register renaming instead of moves) and keeps
 * the message schedule in a 16-word circular window, which is a good size/speed trade at
 * -Os on Cortex-M33 (about 1.5 KiB of code). No heap, no recursion, no tables besides K.
 */
#include "sha256.h"

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
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))

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
 * One round; `i` is a constant 0..15 (index into the circular window), `j` the round base
 * (0, 16, 32, 48). For j > 0 the schedule word is expanded in place first.
 */
#define SHA_RND(a, b, c, d, e, f, g, h, i)                                                     \
    do {                                                                                       \
        uint32_t t1_;                                                                          \
        if (j != 0u) {                                                                         \
            w[i] += SSIG1(w[((i) + 14u) & 15u]) + w[((i) + 9u) & 15u] + SSIG0(w[((i) + 1u) & 15u]); \
        }                                                                                      \
        t1_ = (h) + BSIG1(e) + CH((e), (f), (g)) + kk[i] + w[i];                               \
        (d) += t1_;                                                                            \
        (h) = t1_ + BSIG0(a) + MAJ((a), (b), (c));                                             \
    } while (0)

/*
 * sha256_compress - process `nblocks` consecutive 64-byte blocks at `p` (any alignment).
 * Returns: nothing.
 */
static void sha256_compress(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    uint32_t w[16];

    while (nblocks-- > 0u) {
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
        unsigned i;
        unsigned j;

        for (i = 0; i < 16u; i++) {
            w[i] = load_be32(p + 4u * i);
        }
        for (j = 0; j < 64u; j += 16u) {
            const uint32_t *kk = &sha256_k[j];
            SHA_RND(a, b, c, d, e, f, g, h, 0u);
            SHA_RND(h, a, b, c, d, e, f, g, 1u);
            SHA_RND(g, h, a, b, c, d, e, f, 2u);
            SHA_RND(f, g, h, a, b, c, d, e, 3u);
            SHA_RND(e, f, g, h, a, b, c, d, 4u);
            SHA_RND(d, e, f, g, h, a, b, c, 5u);
            SHA_RND(c, d, e, f, g, h, a, b, 6u);
            SHA_RND(b, c, d, e, f, g, h, a, 7u);
            SHA_RND(a, b, c, d, e, f, g, h, 8u);
            SHA_RND(h, a, b, c, d, e, f, g, 9u);
            SHA_RND(g, h, a, b, c, d, e, f, 10u);
            SHA_RND(f, g, h, a, b, c, d, e, 11u);
            SHA_RND(e, f, g, h, a, b, c, d, 12u);
            SHA_RND(d, e, f, g, h, a, b, c, 13u);
            SHA_RND(c, d, e, f, g, h, a, b, 14u);
            SHA_RND(b, c, d, e, f, g, h, a, 15u);
        }
        st[0] += a;
        st[1] += b;
        st[2] += c;
        st[3] += d;
        st[4] += e;
        st[5] += f;
        st[6] += g;
        st[7] += h;
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
        sha256_compress(ctx->h, ctx->buf, 1u);
        ctx->buflen = 0;
    }
    nblocks = len / SHA256_BLOCK_SIZE;
    if (nblocks != 0u) {
        sha256_compress(ctx->h, p, nblocks);
        p += nblocks * SHA256_BLOCK_SIZE;
        len -= nblocks * SHA256_BLOCK_SIZE;
    }
    while (len > 0u) { /* len < 64 here */
        ctx->buf[ctx->buflen++] = *p++;
        len--;
    }
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
    bits = ctx->total << 3;
    n = ctx->buflen;
    ctx->buf[n++] = 0x80u;
    if (n > SHA256_BLOCK_SIZE - 8u) {
        while (n < SHA256_BLOCK_SIZE) {
            ctx->buf[n++] = 0u;
        }
        sha256_compress(ctx->h, ctx->buf, 1u);
        n = 0;
    }
    while (n < SHA256_BLOCK_SIZE - 8u) {
        ctx->buf[n++] = 0u;
    }
    store_be32(&ctx->buf[56], (uint32_t)(bits >> 32));
    store_be32(&ctx->buf[60], (uint32_t)bits);
    sha256_compress(ctx->h, ctx->buf, 1u);
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
