/*
 * sha256_hw.h - the accelerator seam of core/sha256.c (CRYPTO=hw builds; HIL_CRYPTO_SW not
 * defined). One implementation per chip: ports/<chip>/sha256_hw.c drives the chip's hash
 * processor (STM32U585 HASH, LPC55S69 HASHCRYPT). Only core/sha256.c calls these; callers keep
 * using sha256.h.
 *
 * The accelerator holds one message at a time and keeps no state across a reset or power loss:
 * a message cut there is started over by whoever hashes it again (the recovery). core/sha256.c
 * gives it to the first context started while it is free (sha256_init) until that context's
 * sha256_final; contexts started meanwhile hash in software (see sha256.h).
 * Every wait is bounded; the data bytes may be attacker controlled (only hashed).
 */
#ifndef OTA_CORE_SHA256_HW_H
#define OTA_CORE_SHA256_HW_H

#include <stddef.h>
#include <stdint.h>

/*
 * port_sha256_start - clock the accelerator and start a new SHA-256 message on it (whatever
 * message it held is dropped).
 * Returns: 0, or a negative PORT_ERR_* code when the accelerator is not usable (the caller then
 *   hashes in software).
 */
int port_sha256_start(void);

/*
 * port_sha256_blocks - feed `nblocks` whole 64-byte blocks at `p` (any alignment) of the
 * message started by port_sha256_start.
 * Returns: 0, or PORT_ERR_TIMEOUT when the accelerator never took a block (the digest of this
 *   message is then wrong: port_sha256_finish reports it).
 */
int port_sha256_blocks(const uint8_t *p, size_t nblocks);

/*
 * port_sha256_finish - feed the last `n` (< 64) bytes at `tail`, pad the message of `total`
 * bytes and write its digest to `out`.
 * Returns: 0, or PORT_ERR_TIMEOUT (an earlier call failed or the digest never came: `out` is
 *   then all zero, which matches no expected digest, so a verification fails closed).
 */
int port_sha256_finish(const uint8_t *tail, size_t n, uint64_t total, uint8_t out[32]);

#endif /* OTA_CORE_SHA256_HW_H */
