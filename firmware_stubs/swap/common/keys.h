/*
 * keys.h - the swap target's compiled-in public keys (MCUboot's bootutil_keys, plus a status
 * per key so that one can be revoked). docs/contract-swap.md §7.
 *
 * An image names its signer with the KEYHASH TLV = SHA-256 of the key's DER
 * SubjectPublicKeyInfo. Lookup: the first entry whose hash matches; an entry marked
 * SWAP_KEY_REVOKED is refused on every path (boot, swap, serial recovery).
 */
#ifndef SWAP_KEYS_H
#define SWAP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define SWAP_KEY_ALLOWED 1u
#define SWAP_KEY_REVOKED 2u

typedef struct {
    const char *name;   /* file stem of the PEM in firmware_stubs/swap/keys/ */
    const uint8_t *der; /* DER SubjectPublicKeyInfo, 91 bytes for P-256 */
    size_t der_len;
    uint32_t status;    /* SWAP_KEY_ALLOWED or SWAP_KEY_REVOKED */
} swap_key_t;

extern const swap_key_t swap_keys[];
extern const unsigned swap_key_count;

/* Offset of the uncompressed point (0x04 || X || Y) in a P-256 SubjectPublicKeyInfo. */
#define SWAP_KEY_POINT_OFF 26u
#define SWAP_KEY_DER_LEN   91u

/*
 * swap_key_find - the index of the key whose SHA-256(DER) equals `keyhash` (32 bytes,
 * attacker-controlled: compared, never used as an index).
 * Returns: the index (0..swap_key_count-1), or -1 when no key matches.
 */
int swap_key_find(const uint8_t keyhash[32]);

#endif /* SWAP_KEYS_H */
