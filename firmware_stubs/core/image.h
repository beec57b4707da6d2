/*
 * image.h - signed image verification (docs/contracts.md §7): MCUboot image format with our
 * manifest TLVs, checked in a fixed order with a fixed result code per failure.
 *
 * The image is never addressed directly: every byte comes through a reader callback
 * (img_source_t), so the bootloader reads flash through the port's tolerant block read and
 * the host reads a buffer. Nothing here allocates; every buffer is fixed-size; every loop is
 * bounded by the slot size.
 *
 * ATTACKER-CONTROLLED: every byte of the image. Every length and offset taken from it is
 * bounds-checked (overflow-safe, in 32-bit unsigned arithmetic with the "b <= limit - a"
 * form) before it is used; such values are marked "ATTACKER" in image.c.
 *
 * Verification order (each step only after the previous one passed; the first failure is
 * the result). Same order and codes as hil/image (Python).
 *
 * | # | function          | step              | results                                      |
 * |---|-------------------|-------------------|----------------------------------------------|
 * | 1 | img_parse         | header            | BAD_MAGIC, BAD_HEADER, TOO_LARGE             |
 * | 2 | img_parse         | TLV structure     | TLV_MAGIC, TLV_OVERRUN, TLV_TRUNCATED,       |
 * |   |                   |  then fields      | DUPLICATE_TLV, MISSING_FIELD, BAD_FIELD,     |
 * |   |                   |                   | CHUNK_MAP                                    |
 * | 3 | img_verify        | integrity         | NO_HASH, HASH_MISMATCH                       |
 * | 4 | img_verify        | key policy        | NO_SIGNATURE, KEY_UNKNOWN, KEY_REVOKED,      |
 * |   |                   |                   | KEYID_MISMATCH                               |
 * | 5 | img_verify        | signature         | BAD_SIGNATURE                                |
 * | 6 | img_check_policy  | manifest policy   | CHUNK_HASH, HW_MISMATCH, WRONG_SLOT,         |
 * |   |                   |                   | WRONG_TYPE (in this order)                   |
 * | 7 | img_check_policy  | freshness         | BELOW_FLOOR, REPLAY                          |
 * | 8 | img_check_policy  | tail              | TRAILING_DATA                                |
 *
 * Detailed decision table (first matching row wins, top to bottom):
 *
 * | check                                                                  | result        |
 * |------------------------------------------------------------------------|---------------|
 * | source smaller than 4 bytes, or magic != 0x96f3b83d                    | BAD_MAGIC     |
 * | source smaller than 32 bytes                                           | BAD_HEADER    |
 * | hdr_size != platform header size, flags != 0, or img_size == 0        | BAD_HEADER    |
 * | hdr_size + img_size > source size (the slot)                           | TOO_LARGE     |
 * | protected area (only if protect_tlv_size != 0): info (4 B) not inside  | TLV_TRUNCATED |
 * |   the source                                                           |               |
 * | protected info magic != 0x6908                                         | TLV_MAGIC     |
 * | protected tlv_tot < 4, != protect_tlv_size, or runs past the source    | TLV_TRUNCATED |
 * | a protected TLV header or value runs past the protected area           | TLV_OVERRUN   |
 * | unprotected info (4 B) not inside the source                           | TLV_TRUNCATED |
 * | unprotected info magic != 0x6907                                       | TLV_MAGIC     |
 * | unprotected tlv_tot < 4, or the area runs past the source              | TLV_TRUNCATED |
 * | an unprotected TLV header or value runs past its area                  | TLV_OVERRUN   |
 * | a known type twice in its area (first such TLV in image order)         | DUPLICATE_TLV |
 * | a required protected field or KEYHASH missing (types are only known in | MISSING_FIELD |
 * |   their own area; the same type in the other area is ignored)          |               |
 * | field checks in type order: SEC_CNT len 4 and == header build_num;     | BAD_FIELD     |
 * |   KEY_ID/HW_COMPAT/IMAGE_TYPE len 4; TARGET_SLOT len 4 value 0..1;     |               |
 * |   PAYLOAD_SIZE len 4 == img_size; CHUNK_SIZE len 4, power of two in    |               |
 * |   512..65536; CHUNK_HASHES len multiple of 32; VERSION 1..32 printable |               |
 * |   ASCII (0x20..0x7e); SELF_TEST len 4 value 0..2; SHA256 len 32;       |               |
 * |   KEYHASH len 32                                                       |               |
 * | CHUNK_HASHES count != ceil(img_size / chunk_size)                      | CHUNK_MAP     |
 * | SHA256 TLV missing                                                     | NO_HASH       |
 * | SHA-256 of [0, hdr_size + img_size + protect_tlv_size) != SHA256 TLV   | HASH_MISMATCH |
 * | ECDSA_SIG TLV missing                                                  | NO_SIGNATURE  |
 * | no anchor entry with KEY_ID has REVOKED or ALLOWED; REVOKED on any     | KEY_UNKNOWN / |
 * |   entry with that id wins                                              | KEY_REVOKED   |
 * | KEYHASH != SHA-256(P-256 SubjectPublicKeyInfo DER of that entry's key) | KEYID_MISMATCH|
 * | DER malformed (or longer than IMG_SIG_MAX), key invalid, r/s out of    | BAD_SIGNATURE |
 * |   range, or the signature does not verify                              |               |
 * | chunk i: SHA-256 of payload chunk i != CHUNK_HASHES[i]                 | CHUNK_HASH    |
 * | HW_COMPAT != policy hw_compat                                          | HW_MISMATCH   |
 * | TARGET_SLOT != policy slot                                             | WRONG_SLOT    |
 * | IMAGE_TYPE != policy image_type                                        | WRONG_TYPE    |
 * | build < policy floor                                                   | BELOW_FLOOR   |
 * | policy running_build != 0 and build <= running_build                   | REPLAY        |
 * | one of the min(64, source size - image end) bytes after the image end  | TRAILING_DATA |
 * |   != policy erased_value                                               |               |
 *
 * Read errors (the reader returned non-zero, e.g. an ECC error in flash) give the result of
 * the step that was reading: BAD_HEADER (header), TLV_TRUNCATED (TLV infos and headers),
 * TLV_OVERRUN (TLV values), HASH_MISMATCH (signed region), CHUNK_HASH (payload/chunk map),
 * TRAILING_DATA (tail). The reader's own code is kept in img_source_t.io_err for
 * diagnostics.
 */
#ifndef OTA_CORE_IMAGE_H
#define OTA_CORE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "keyring.h"

/* Result codes: numbers fixed by contracts §7 (15 is unassigned). */
typedef enum {
    IMG_OK = 0,
    IMG_BAD_MAGIC = 1,
    IMG_BAD_HEADER = 2,
    IMG_TOO_LARGE = 3,
    IMG_TLV_MAGIC = 4,
    IMG_TLV_OVERRUN = 5,
    IMG_TLV_TRUNCATED = 6,
    IMG_DUPLICATE_TLV = 7,
    IMG_MISSING_FIELD = 8,
    IMG_BAD_FIELD = 9,
    IMG_CHUNK_MAP = 10,
    IMG_CHUNK_HASH = 11,
    IMG_NO_HASH = 12,
    IMG_HASH_MISMATCH = 13,
    IMG_NO_SIGNATURE = 14,
    IMG_KEY_UNKNOWN = 16,
    IMG_KEY_REVOKED = 17,
    IMG_KEYID_MISMATCH = 18,
    IMG_BAD_SIGNATURE = 19,
    IMG_HW_MISMATCH = 20,
    IMG_WRONG_SLOT = 21,
    IMG_BELOW_FLOOR = 22,
    IMG_REPLAY = 23,
    IMG_TRAILING_DATA = 24,
    IMG_WRONG_TYPE = 25,
} img_result_t;

#define IMG_RESULT_MAX 25 /* highest assigned code */

/*
 * img_result_name - evidence name of a result (error_code=<name>): the enum name in lower
 * case ("ok", "bad_magic", ..., "wrong_type").
 * Returns: a static string; "unknown" for an unassigned number (15, < 0, > 25).
 */
const char *img_result_name(int result);

/* ---- format constants (contracts §7) ------------------------------------------------- */
#define IMG_MAGIC            0x96f3b83du
#define IMG_HEADER_BYTES     32u      /* the fixed image_header fields */
#define IMG_TLV_INFO_MAGIC   0x6907u  /* unprotected area */
#define IMG_TLV_PROT_MAGIC   0x6908u  /* protected area */
#define IMG_TAIL_BYTES       64u      /* checked erased after the image end */

#define IMG_TLV_SHA256       0x10u    /* unprotected */
#define IMG_TLV_KEYHASH      0x01u    /* unprotected */
#define IMG_TLV_ECDSA_SIG    0x22u    /* unprotected */
#define IMG_TLV_SEC_CNT      0x50u    /* protected from here on */
#define IMG_TLV_KEY_ID       0xA0u
#define IMG_TLV_HW_COMPAT    0xA1u
#define IMG_TLV_IMAGE_TYPE   0xA2u
#define IMG_TLV_TARGET_SLOT  0xA3u
#define IMG_TLV_PAYLOAD_SIZE 0xA4u
#define IMG_TLV_CHUNK_SIZE   0xA5u
#define IMG_TLV_CHUNK_HASHES 0xA6u
#define IMG_TLV_VERSION      0xA7u
#define IMG_TLV_SELF_TEST    0xA8u

#define IMG_CHUNK_MIN        512u
#define IMG_CHUNK_MAX        65536u
#define IMG_VERSION_MAX      32u
#define IMG_SIG_MAX          80u      /* DER P-256 signature: at most 72 B (+ imgtool pad) */
#define IMG_TYPE_APP         1u
#define IMG_SELF_TEST_MAX    6u       /* 0 pass, 1 fail, 2 hang, 3 late, 4..6 early/in-test (§7) */

/* ---- reader ------------------------------------------------------------------------- */

/*
 * Read `len` bytes at byte offset `off` of the image source into `dst`. The library only
 * asks for ranges inside [0, size) (size from img_source_t) and len <= IMG_IO_CHUNK.
 * Returns: 0 on success, any non-zero value on an error (kept in io_err).
 */
typedef int (*img_read_fn)(void *ctx, uint32_t off, void *dst, uint32_t len);

/* Optional progress hook, called once per streamed block (e.g. to feed a watchdog). */
typedef void (*img_tick_fn)(void *ctx);

#define IMG_IO_CHUNK 256u /* bytes per read / per SHA-256 update while streaming */

typedef struct {
    img_read_fn read;   /* required */
    void *ctx;          /* passed to read and tick */
    uint32_t size;      /* bytes readable: the slot size (device) or buffer length (host) */
    img_tick_fn tick;   /* may be NULL */
    int io_err;         /* last non-zero reader return (0 if none) */
    uint32_t io_off;    /* offset of that failed read */
} img_source_t;

/* ---- manifest (filled by img_parse; fixed-size fields only) -------------------------- */
typedef struct {
    /* header */
    uint32_t hdr_size;
    uint32_t protect_tlv_size;
    uint32_t img_size;
    uint32_t flags;
    uint8_t ver_major;
    uint8_t ver_minor;
    uint16_t ver_revision;
    uint32_t build_num;         /* header build_num */
    /* derived offsets (all checked to lie inside the source) */
    uint32_t signed_end;        /* hdr_size + img_size + protect_tlv_size */
    uint32_t image_end;         /* end of the unprotected TLV area */
    /* protected fields */
    uint32_t sec_cnt;           /* the build number */
    uint32_t key_id;
    uint32_t hw_compat;
    uint32_t image_type;
    uint32_t target_slot;
    uint32_t payload_size;
    uint32_t chunk_size;
    uint32_t chunk_hashes_off;  /* source offset of the CHUNK_HASHES value */
    uint32_t chunk_hashes_len;
    uint32_t chunk_count;       /* chunk_hashes_len / 32 */
    uint32_t self_test;         /* 0 when absent */
    uint32_t has_version;
    char version[IMG_VERSION_MAX + 1u]; /* NUL-terminated, "" when absent */
    /* unprotected fields */
    uint8_t sha256[32];
    uint8_t keyhash[32];
    uint8_t sig[IMG_SIG_MAX];
    uint32_t sig_len;           /* as declared in the TLV (may exceed IMG_SIG_MAX) */
    uint32_t present;           /* bit set of IMG_HAVE_* */
    /* filled by img_verify (step 3's single read pass) */
    uint8_t computed_hash[32];  /* SHA-256 of the signed region (valid after step 3 ran) */
    uint32_t chunk_result;      /* IMG_OK or IMG_CHUNK_HASH: the chunk map against the payload,
                                 * hashed in the same pass (IMG_HAVE_CHUNKS); reported by
                                 * img_check_policy as step 6a */
} img_manifest_t;

#define IMG_HAVE_SEC_CNT      (1u << 0)
#define IMG_HAVE_KEY_ID       (1u << 1)
#define IMG_HAVE_HW_COMPAT    (1u << 2)
#define IMG_HAVE_IMAGE_TYPE   (1u << 3)
#define IMG_HAVE_TARGET_SLOT  (1u << 4)
#define IMG_HAVE_PAYLOAD_SIZE (1u << 5)
#define IMG_HAVE_CHUNK_SIZE   (1u << 6)
#define IMG_HAVE_CHUNK_HASHES (1u << 7)
#define IMG_HAVE_VERSION      (1u << 8)
#define IMG_HAVE_SELF_TEST    (1u << 9)
#define IMG_HAVE_SHA256       (1u << 10)
#define IMG_HAVE_KEYHASH      (1u << 11)
#define IMG_HAVE_ECDSA_SIG    (1u << 12)
#define IMG_HAVE_COMPUTED     (1u << 13) /* computed_hash is valid */
#define IMG_HAVE_CHUNKS       (1u << 14) /* chunk_result is valid (img_verify's pass ran) */

/* Policy for steps 6-8. */
typedef struct {
    uint32_t hw_compat;     /* the device's hardware ID (anchor hw_compat on the device) */
    uint32_t slot;          /* expected TARGET_SLOT: 0 = A, 1 = B */
    uint32_t image_type;    /* expected IMAGE_TYPE (IMG_TYPE_APP) */
    uint32_t floor;         /* rollback floor: build < floor is refused */
    uint32_t running_build; /* build of the running image, 0 = none (no replay check) */
    uint32_t erased_value;  /* flash erased byte value (low 8 bits used) */
} img_policy_t;

/*
 * img_parse - steps 1-2: header and TLV structure, then the manifest fields.
 *   src: the image source (read callback + size); io_err/io_off are updated.
 *   hdr_size: the platform's image header size (layout.image_header_size).
 *   m: receives the manifest (zeroed first); valid only when IMG_OK is returned.
 * Returns: IMG_OK, IMG_BAD_MAGIC, IMG_BAD_HEADER, IMG_TOO_LARGE, IMG_TLV_MAGIC,
 *   IMG_TLV_OVERRUN, IMG_TLV_TRUNCATED, IMG_DUPLICATE_TLV, IMG_MISSING_FIELD,
 *   IMG_BAD_FIELD or IMG_CHUNK_MAP (see the decision table). IMG_BAD_HEADER also for NULL
 *   arguments.
 */
img_result_t img_parse(img_source_t *src, uint32_t hdr_size, img_manifest_t *m);

/*
 * img_verify - steps 3-5 on a manifest img_parse accepted: hash of the signed region, key
 * lookup in `kr`, KEYHASH check, ECDSA P-256. Step 3 reads the signed region ONCE (in
 * IMG_IO_CHUNK blocks) and computes in the same pass the whole
 * SHA-256 and the SHA-256 of every chunk-map chunk of the payload, compared with
 * CHUNK_HASHES; that outcome is only reported by img_check_policy (step 6a), so the result
 * order of the table above is unchanged. A read error in the pass is HASH_MISMATCH (step 3).
 *   m: from img_parse; m->computed_hash and m->chunk_result are filled once step 3 ran.
 *   kr: the parsed trust anchor (an empty keyring refuses every key with KEY_UNKNOWN).
 * Returns: IMG_OK, IMG_NO_HASH, IMG_HASH_MISMATCH, IMG_NO_SIGNATURE, IMG_KEY_UNKNOWN,
 *   IMG_KEY_REVOKED, IMG_KEYID_MISMATCH or IMG_BAD_SIGNATURE. IMG_HASH_MISMATCH also for
 *   NULL arguments.
 */
img_result_t img_verify(img_source_t *src, img_manifest_t *m, const keyring_t *kr);

/*
 * img_check_policy - steps 6-8 on a manifest whose signature verified: chunk hashes
 * recomputed over the payload, hw compat, target slot, image type, floor, replay, the
 * erased tail after the image end.
 * Returns: IMG_OK, IMG_CHUNK_HASH, IMG_HW_MISMATCH, IMG_WRONG_SLOT, IMG_WRONG_TYPE,
 *   IMG_BELOW_FLOOR, IMG_REPLAY or IMG_TRAILING_DATA. IMG_CHUNK_HASH also for NULL
 *   arguments.
 */
img_result_t img_check_policy(img_source_t *src, const img_manifest_t *m,
                              const img_policy_t *pol);

/*
 * img_spki_hash - SHA-256 of the DER SubjectPublicKeyInfo of a P-256 key (X || Y, 64 bytes
 * big endian): the fixed 26-byte prefix, 0x04, X, Y (91 bytes), as imgtool's KEYHASH.
 * Returns nothing; `pub64` and `out32` must not be NULL.
 */
void img_spki_hash(const uint8_t pub64[64], uint8_t out32[32]);

/* ---- host convenience API (libotacore.so, ctypes) ----------------------------------- */

/* Policy for img_verify_buffer. All fields u32 (ctypes: c_uint32 each, in this order). */
typedef struct {
    uint32_t hdr_size;      /* platform image header size */
    uint32_t hw_compat;     /* used when use_anchor == 0 */
    uint32_t floor;         /* used when use_anchor == 0 */
    uint32_t slot;          /* expected TARGET_SLOT */
    uint32_t image_type;    /* expected IMAGE_TYPE */
    uint32_t running_build; /* 0 = none */
    uint32_t erased_value;  /* 0xFF (STM32U585) / 0x00 (LPC55S69) */
    uint32_t use_anchor;    /* 1: hw_compat and floor come from the anchor (as the device) */
} img_host_policy_t;

/* Report of img_verify_buffer. int32/uint32 fields, then byte arrays (ctypes order). */
typedef struct {
    int32_t result;          /* the img_result_t (also the return value) */
    int32_t anchor_result;   /* keyring_parse() result (KR_OK = 0, else negative) */
    uint32_t stage;          /* last stage reached: 1 parse, 2 verify, 3 policy, 4 all ok */
    uint32_t build;          /* SEC_CNT (valid from stage 2) */
    uint32_t key_id;
    uint32_t hw_compat;
    uint32_t target_slot;
    uint32_t image_type;
    uint32_t img_size;
    uint32_t hdr_size;
    uint32_t protect_tlv_size;
    uint32_t chunk_size;
    uint32_t chunk_count;
    uint32_t self_test;
    uint32_t signed_end;
    uint32_t image_end;
    uint32_t hash_valid;     /* 1 when `hash` holds the computed SHA-256 */
    uint8_t hash[32];        /* computed SHA-256 of the signed region */
    uint8_t tlv_hash[32];    /* the SHA256 TLV value */
    char version[IMG_VERSION_MAX + 1u];
} img_host_report_t;

/*
 * img_verify_buffer - all steps over an in-memory slot image, the way the bootloader does
 * it: parse the anchor (an invalid anchor leaves an empty keyring, so every key is
 * KEY_UNKNOWN), then img_parse, img_verify and img_check_policy.
 *   slot/slot_len: the slot contents (image followed by erased bytes, or just the image).
 *   anchor/anchor_len: the trust-anchor bytes (may be NULL/0 = no anchor).
 *   pol: policy (NULL -> result IMG_BAD_HEADER). out: report (may be NULL).
 * Returns: the img_result_t (IMG_OK when every step passed).
 */
int img_verify_buffer(const uint8_t *slot, uint32_t slot_len, const uint8_t *anchor,
                      uint32_t anchor_len, const img_host_policy_t *pol,
                      img_host_report_t *out);

#endif /* OTA_CORE_IMAGE_H */
