/*
 * m33_harness.c - entry point for running the crypto on Cortex-M33 under Unicorn
 * (tests/crypto/test_crypto_m33.py, measure_m33.py). No startup code: the host calls
 * m33_check directly with r0 = blob and LR = a stop address.
 *
 * blob: u32 mode ('D' DER over SHA-256(msg), 'P' P1363 r || s over SHA-256(msg),
 *       'H' msg is the digest), u32 msglen, u32 siglen, pub[64], msg[msglen], sig[siglen].
 * Returns: the DER error (< 0), -100 for a P1363 signature that is not 64 bytes, or the
 * p256_verify result (0 = accepted).
 */
#include "p256.h"
#include "sha256.h"

int m33_check(const uint8_t *blob);

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

int m33_check(const uint8_t *blob)
{
    uint32_t mode = rd32(blob);
    uint32_t msglen = rd32(blob + 4);
    uint32_t siglen = rd32(blob + 8);
    const uint8_t *pub = blob + 12;
    const uint8_t *msg = pub + 64;
    const uint8_t *sig = msg + msglen;
    uint8_t digest[32], r[32], s[32];
    unsigned i;

    if (mode == 'H') {
        if (msglen != 32u) {
            return -101;
        }
        for (i = 0; i < 32u; i++) {
            digest[i] = msg[i];
        }
    } else {
        sha256(msg, msglen, digest);
    }
    if (mode == 'D') {
        int rc = p256_der_to_rs(sig, siglen, r, s);
        if (rc != 0) {
            return rc;
        }
    } else {
        if (siglen != 64u) {
            return -100;
        }
        for (i = 0; i < 32u; i++) {
            r[i] = sig[i];
            s[i] = sig[32u + i];
        }
    }
    return (int)p256_verify(pub, digest, r, s);
}
