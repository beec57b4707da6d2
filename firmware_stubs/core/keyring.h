/*
 * keyring.h - the trust anchor (docs/contracts.md §7), provisioned by the harness into the
 * `keys` layout area and write-protected afterwards:
 *
 *   u32 magic 0x314B5254 ("TRK1") | u16 version 1 | u16 count (<= 16) | u32 floor
 *   | u32 hw_compat | u32 crc32 (CRC-32/ISO-HDLC of bytes [0,16) followed by the entries)
 *   count x { u32 key_id | u32 flags (bit0 ALLOWED, bit1 REVOKED) | u8 pub[64] (X || Y) }
 *
 * Little endian. Total size KR_HEAD_BYTES + count * KR_ENTRY_BYTES (at most 1172 bytes).
 *
 * ATTACKER-CONTROLLED (in the sense of "not trusted until the CRC matched"): every byte of
 * the anchor buffer; `count` is range-checked before it sizes anything.
 *
 * | check (in this order)                               | result        | error name    |
 * |-----------------------------------------------------|---------------|---------------|
 * | buffer NULL                                         | KR_ERR_ARG    | bad_arg       |
 * | fewer than 20 bytes                                 | KR_ERR_SHORT  | short         |
 * | magic != 0x314B5254                                 | KR_ERR_MAGIC  | bad_magic     |
 * | version != 1                                        | KR_ERR_VERSION| bad_version   |
 * | count > 16                                          | KR_ERR_COUNT  | bad_count     |
 * | fewer than 20 + count * 72 bytes                    | KR_ERR_SHORT  | short         |
 * | crc32 mismatch                                      | KR_ERR_CRC    | bad_crc       |
 * | (device only) the keys area could not be read       | KR_ERR_READ   | read_error    |
 */
#ifndef OTA_CORE_KEYRING_H
#define OTA_CORE_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#define KR_MAGIC        0x314B5254u /* "TRK1" little endian */
#define KR_VERSION      1u
#define KR_MAX_KEYS     16u
#define KR_HEAD_BYTES   20u         /* magic .. crc32 */
#define KR_ENTRY_BYTES  72u         /* key_id, flags, pub[64] */
#define KR_MAX_BYTES    (KR_HEAD_BYTES + KR_MAX_KEYS * KR_ENTRY_BYTES)

#define KR_FLAG_ALLOWED 0x1u
#define KR_FLAG_REVOKED 0x2u

#define KR_OK           0
#define KR_ERR_ARG      (-1)
#define KR_ERR_SHORT    (-2)
#define KR_ERR_MAGIC    (-3)
#define KR_ERR_VERSION  (-4)
#define KR_ERR_COUNT    (-5)
#define KR_ERR_CRC      (-6)
#define KR_ERR_READ     (-7)

typedef struct {
    uint32_t key_id;
    uint32_t flags;  /* KR_FLAG_* (other bits ignored) */
    uint8_t pub[64]; /* X || Y, big endian */
} kr_key_t;

typedef struct {
    uint32_t count;      /* 0..KR_MAX_KEYS valid entries in keys[] */
    uint32_t floor;      /* rollback floor */
    uint32_t hw_compat;  /* device hardware compatibility ID */
    kr_key_t keys[KR_MAX_KEYS];
} keyring_t;

/* Lookup results. */
typedef enum {
    KR_KEY_FOUND = 0,   /* an ALLOWED entry, and no entry with that id is REVOKED */
    KR_KEY_UNKNOWN = 1, /* no entry with that id, or none of them ALLOWED */
    KR_KEY_REVOKED = 2, /* some entry with that id has REVOKED (revoked wins) */
} kr_lookup_t;

/*
 * keyring_init_empty - a keyring with no keys, floor 0, hw_compat 0 (what the bootloader
 * uses when the anchor is invalid: every key is then unknown). `kr` must not be NULL.
 * Returns nothing.
 */
void keyring_init_empty(keyring_t *kr);

/*
 * keyring_parse - validate the anchor in buf[0..len) and fill `kr`. Bytes after the last
 * entry are ignored (the keys area is larger than the anchor).
 * On any error `kr` is left as keyring_init_empty() makes it.
 * Returns: KR_OK, KR_ERR_ARG, KR_ERR_SHORT, KR_ERR_MAGIC, KR_ERR_VERSION, KR_ERR_COUNT or
 *   KR_ERR_CRC (table above).
 */
int keyring_parse(const uint8_t *buf, size_t len, keyring_t *kr);

/*
 * keyring_anchor_size - the anchor size that the 20-byte head `head` declares
 * (20 + count * 72), for readers that fetch the head first.
 * Returns: that size, or 0 when head is NULL or count > KR_MAX_KEYS.
 */
size_t keyring_anchor_size(const uint8_t head[KR_HEAD_BYTES]);

/*
 * keyring_lookup - find `key_id`. Every entry with that id is considered: REVOKED on any
 * of them wins; otherwise the first ALLOWED one is returned in *key (may be NULL).
 * Returns: KR_KEY_FOUND, KR_KEY_UNKNOWN or KR_KEY_REVOKED (KR_KEY_UNKNOWN for a NULL kr).
 */
kr_lookup_t keyring_lookup(const keyring_t *kr, uint32_t key_id, const kr_key_t **key);

/*
 * keyring_err_name - evidence name of a KR_* code (ANCHOR error_code=<name>).
 * Returns: "ok", "bad_arg", "short", "bad_magic", "bad_version", "bad_count", "bad_crc",
 *   "read_error", or "unknown".
 */
const char *keyring_err_name(int err);

#endif /* OTA_CORE_KEYRING_H */
