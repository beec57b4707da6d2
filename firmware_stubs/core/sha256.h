/*
 * sha256.h - SHA-256 (FIPS 180-4), portable C11, no heap, no recursion.
 *
 * Streaming interface (init / update* / final) plus a one-shot helper. The context is a
 * plain struct the caller owns (stack or static); nothing is allocated. Stack use of any
 * function here is below 400 bytes (the 256-byte message schedule plus registers, and the
 * context of the one-shot helper).
 * Messages up to 2^61 - 1 bytes are supported (the bit count is kept in 64 bits).
 *
 * Backends (Makefile CRYPTO): with CRYPTO=hw (default) the chip's hash accelerator
 * (core/sha256_hw.h, ports/<chip>/sha256_hw.c) hashes the message of the first context that
 * sha256_init starts while the accelerator is free, until its sha256_final; contexts started
 * meanwhile (the verifier's chunk hashes while the whole-image hash runs) and the pending
 * partial block stay in software. A context abandoned without sha256_final keeps the
 * accelerator until sha256_init is called on it again. The digests are the same either way.
 * CRYPTO=sw (HIL_CRYPTO_SW) builds the software path only.
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
#ifndef HIL_CRYPTO_SW
    uint32_t engine;                 /* 1: the message runs on the port's accelerator */
#endif
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
 * sha256_update2 - hash the same `len` bytes of `data` into two contexts: the result is
 * exactly that of sha256_update(c1, data, len) followed by sha256_update(c2, data, len), in
 * every case (any offsets, any lengths, c1 == c2 included). When both contexts are at the
 * same offset in their current 64-byte block, every whole block of `data` after the pending
 * partial blocks has its message schedule computed once and both compression functions run
 * on it (on Cortex-M33 at -Os about 22% less work than two updates: the schedule is some
 * 45% of a block); otherwise it is two independent updates.
 * Returns: nothing (never fails; NULL contexts or data are ignored like sha256_update's).
 */
void sha256_update2(sha256_ctx_t *c1, sha256_ctx_t *c2, const void *data, size_t len);

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
