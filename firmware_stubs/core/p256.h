/*
 * p256.h - ECDSA P-256 (secp256r1) signature verification, verify only.
 *
 * Portable C11, 32-bit limbs, no heap, no VLAs, no recursion. Not constant time (a
 * verifier handles only public data). Maximum stack use of p256_verify (all callees
 * included): see P256_VERIFY_STACK_MAX; p256_der_to_rs uses well under 100 bytes.
 *
 * All inputs are attacker controlled (they come from the image being verified, or for
 * `pub` from the trust anchor) and are fully range checked here.
 */
#ifndef OTA_CORE_P256_H
#define OTA_CORE_P256_H

#include <stddef.h>
#include <stdint.h>

/*
 * Upper bound, in bytes, of the stack p256_verify needs on Cortex-M33 at -Os, all callees
 * included: the worst path over the static call graph (-fcallgraph-info=su) is 1468 bytes
 * with arm-none-eabi-gcc 12.2 (p256_verify 1016 > pt_add 328 > fe_mul 104 > ...), rounded
 * up. tests/crypto checks the bound; measure_m33.py prints the path.
 */
#define P256_VERIFY_STACK_MAX 1536u

typedef enum {
    P256_OK = 0,           /* the signature is valid for (pub, hash) */
    P256_ERR_KEY = 1,      /* pub: a coordinate >= p, not on the curve (this includes the
                              point at infinity, which has no X || Y encoding) */
    P256_ERR_RANGE = 2,    /* r or s not in [1, n-1] */
    P256_ERR_MISMATCH = 3, /* well-formed but wrong signature (also: a NULL argument) */
} p256_result_t;

/*
 * p256_verify - verify the ECDSA P-256 signature (r, s) of the 32-byte message digest
 * `hash` (e.g. SHA-256 of the signed data; taken as a big-endian integer, reduced mod n)
 * under the public key `pub` = X || Y (32 bytes each, big endian, uncompressed without
 * the 0x04 prefix). `r` and `s` are 32-byte big-endian integers.
 * Checks, in order: the key (P256_ERR_KEY), then r and s (P256_ERR_RANGE), then the
 * signature equation (P256_ERR_MISMATCH).
 * Returns: P256_OK only for a valid signature; otherwise one of the P256_ERR_* codes.
 */
p256_result_t p256_verify(const uint8_t pub[64], const uint8_t hash[32], const uint8_t r[32],
                          const uint8_t s[32]);

/*
 * p256_verify_sig - the ECDSA P-256 verification image checks use (core/image.c). Same
 * arguments (all ATTACKER controlled, as for p256_verify) and return codes as p256_verify,
 * except that an accelerator that only reports valid / invalid returns P256_ERR_MISMATCH for
 * a key that is not on the curve. The default is a weak definition in p256.c that calls the
 * software p256_verify; a port with an accelerator supplies its own (STM32U585: the PKA,
 * ports/stm32u585/pka.c), unless the firmware is built with CRYPTO=sw (HIL_CRYPTO_SW).
 * Returns: P256_OK only for a valid signature; otherwise one of the P256_ERR_* codes.
 */
p256_result_t p256_verify_sig(const uint8_t pub[64], const uint8_t hash[32], const uint8_t r[32],
                              const uint8_t s[32]);

/* Error codes of p256_der_to_rs (all negative). */
#define P256_DER_ERR_ARG (-1)      /* NULL pointer */
#define P256_DER_ERR_SEQ (-2)      /* not a SEQUENCE, bad / non-minimal / long-form length, or
                                      the SEQUENCE length disagrees with `len` (trailing bytes) */
#define P256_DER_ERR_INT (-3)      /* an element is not an INTEGER, has an empty, long-form or
                                      truncated length */
#define P256_DER_ERR_ENCODING (-4) /* negative INTEGER, or an unneeded leading zero byte */
#define P256_DER_ERR_TOO_LONG (-5) /* a value is longer than 32 bytes (sign byte removed) */
#define P256_DER_ERR_TRAILING (-6) /* bytes inside the SEQUENCE after the second INTEGER */

/*
 * p256_der_to_rs - decode a strict-DER ECDSA signature SEQUENCE { INTEGER r, INTEGER s }
 * of exactly `len` bytes into 32-byte big-endian r and s (left padded with zeros).
 * Strict: definite minimal short-form lengths only (a P-256 signature is at most 72 bytes,
 * so any long-form length is non-minimal or too long), no negative numbers, no unneeded
 * leading zero, nothing after the SEQUENCE or inside it after s. Zero values decode
 * (p256_verify then rejects them with P256_ERR_RANGE). `der` is attacker controlled.
 * Returns: 0 on success (r, s written); a negative P256_DER_ERR_* code otherwise (r and s
 * are left untouched).
 */
int p256_der_to_rs(const uint8_t *der, size_t len, uint8_t r[32], uint8_t s[32]);

#endif /* OTA_CORE_P256_H */
