/*
 * sha256.h - SHA-256 (FIPS 180-4), portable C11, no heap, no recursion.
 *
 * Streaming interface (init / update* / final) plus a one-shot helper. The context is a
 * plain struct the caller owns (stack or static); nothing is allocated. Stack use of any
 * function here is below 200 bytes (the 64-byte message schedule window plus registers).
 * Messages up to 2^61 - 1 bytes are supported (the bit count is kept in 64 bits).
 */
#ifndef OTA_CORE_SHA256_H
#define OTA_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32u
#define SHA256_BLOCK_SIZE 64u

typedef struct {
    uint32_t h[8];                   /* chaining state */
    uint64_t total;                  /* bytes hashed so far (including those in buf) */
    uint32_t buflen;                 /* bytes pending in buf, 0..63 */
    uint8_t buf[SHA256_BLOCK_SIZE];  /* partial block */
} sha256_ctx_t;

/*
 * sha256_init - start a new hash in `ctx`.
 * Returns: nothing (never fails; a NULL ctx is ignored).
 */
void sha256_init(sha256_ctx_t *ctx);

/*
 * sha256_update - hash `len` more bytes of `data` (any alignment, any split).
 * `data` may be NULL only when `len` is 0. The bytes may be attacker controlled; they
 * are only read, never interpreted.
 * Returns: nothing (never fails; a NULL ctx, or NULL data, is ignored).
 */
void sha256_update(sha256_ctx_t *ctx, const void *data, size_t len);

/*
 * sha256_final - finish the hash and write the 32-byte digest to `out`. The context is
 * wiped afterwards; call sha256_init to reuse it.
 * Returns: nothing (never fails; a NULL ctx or out is ignored).
 */
void sha256_final(sha256_ctx_t *ctx, uint8_t out[32]);

/*
 * sha256 - one-shot: out = SHA-256(data[0..len)).
 * Returns: nothing (never fails; a NULL out is ignored, NULL data only with len 0).
 */
void sha256(const void *data, size_t len, uint8_t out[32]);

#endif /* OTA_CORE_SHA256_H */
