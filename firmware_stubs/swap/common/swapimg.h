/*
 * swapimg.h - MCUboot image format: parse, integrity and signature checks for the swap
 * target (docs/contract-swap.md §6). Standard images as `imgtool sign` writes them:
 *
 *   header (32 bytes, LE): magic 0x96f3b83d, load_addr, hdr_size u16, protect_tlv_size u16,
 *     img_size, flags, version {major u8, minor u8, revision u16, build_num u32}, pad
 *   payload (img_size bytes at hdr_size)
 *   protected TLV area (optional): info {0x6908, tlv_tot == protect_tlv_size}, TLVs
 *     0x50 SEC_CNT (u32, required), 0xA8 SELF_TEST (1..4 bytes LE, optional); others ignored
 *   unprotected TLV area: info {0x6907, tlv_tot}, TLVs (allow list, each exactly once)
 *     0x10 SHA256 (32 bytes: SHA-256 of header + payload + protected area)
 *     0x01 KEYHASH (32 bytes: SHA-256 of the signer's DER SubjectPublicKeyInfo)
 *     0x22 ECDSA_SIG (DER, ECDSA P-256 over that SHA-256)
 *
 * Everything read from the slot is attacker-controlled (marked ATTACKER below and in the
 * code): every size and offset is checked against the slot before use, with no overflow.
 */
#ifndef SWAP_SWAPIMG_H
#define SWAP_SWAPIMG_H

#include <stdint.h>

#include "sflash.h"

#define SWAPIMG_MAGIC          0x96f3b83du
#define SWAPIMG_HDR_MIN        32u
#define SWAPIMG_TLV_INFO_MAGIC 0x6907u
#define SWAPIMG_TLV_PROT_MAGIC 0x6908u
#define SWAPIMG_TLV_KEYHASH    0x01u
#define SWAPIMG_TLV_SHA256     0x10u
#define SWAPIMG_TLV_ECDSA_SIG  0x22u
#define SWAPIMG_TLV_SEC_CNT    0x50u
#define SWAPIMG_TLV_SELF_TEST  0xA8u /* same meaning as the first target's SELF_TEST TLV */

/* Header flags the swap target refuses (it supports plain XIP images only). */
#define SWAPIMG_F_ENCRYPTED_AES128 0x04u
#define SWAPIMG_F_ENCRYPTED_AES256 0x08u
#define SWAPIMG_F_NON_BOOTABLE     0x10u
#define SWAPIMG_F_RAM_LOAD         0x20u

/* SELF_TEST values (what the application does on its boot test). */
#define SWAPIMG_SELF_TEST_PASS  0u
#define SWAPIMG_SELF_TEST_FAIL  1u /* report failure, reset without confirming */
#define SWAPIMG_SELF_TEST_HANG  2u /* the main loop hangs (the watchdog resets) */
#define SWAPIMG_SELF_TEST_NEVER 3u /* keep running, never confirm (the watchdog resets) */

/* Results, in check order (first failure wins). */
typedef enum {
    SWAPIMG_OK = 0,
    SWAPIMG_ERR_READ = 1,        /* a flash read of the image failed (torn unit) */
    SWAPIMG_ERR_MAGIC = 2,       /* no image header magic (empty or foreign slot) */
    SWAPIMG_ERR_HEADER = 3,      /* hdr_size / img_size out of range */
    SWAPIMG_ERR_FLAGS = 4,       /* encrypted / non-bootable / RAM-load image */
    SWAPIMG_ERR_TLV = 5,         /* TLV area malformed, type not allowed, duplicate */
    SWAPIMG_ERR_TOO_LARGE = 6,   /* the image runs into the slot's trailer */
    SWAPIMG_ERR_NO_HASH = 7,     /* no SHA256 TLV */
    SWAPIMG_ERR_HASH = 8,        /* SHA-256 mismatch */
    SWAPIMG_ERR_NO_SIG = 9,      /* KEYHASH or ECDSA_SIG missing */
    SWAPIMG_ERR_KEY_UNKNOWN = 10, /* KEYHASH matches no compiled-in key */
    SWAPIMG_ERR_KEY_REVOKED = 11, /* KEYHASH matches a revoked key */
    SWAPIMG_ERR_SIGNATURE = 12,  /* malformed DER or the signature does not verify */
    SWAPIMG_ERR_NO_SEC_CNT = 13, /* no SEC_CNT TLV in the protected area */
} swapimg_result_t;

typedef struct {
    uint32_t hdr_size;
    uint32_t img_size;
    uint32_t protect_tlv_size;
    uint32_t flags;
    uint8_t ver_major;
    uint8_t ver_minor;
    uint16_t ver_revision;
    uint32_t ver_build;
    uint32_t signed_end;  /* hdr_size + img_size + protect_tlv_size: the hashed region */
    uint32_t image_end;   /* end of the unprotected TLV area: the image's total size */
    uint32_t sha_off;     /* offsets (in the slot) of the TLV values found, 0 = absent */
    uint32_t keyhash_off;
    uint32_t sig_off;
    uint32_t sig_len;
    int has_sec_cnt;
    uint32_t sec_cnt;
    uint32_t self_test;   /* SWAPIMG_SELF_TEST_*, PASS when absent */
    int key_index;        /* set by swapimg_validate once the key is known, else -1 */
    uint8_t sha256[32];   /* the SHA256 TLV value (the image hash MCUmgr reports) */
} swapimg_info_t;

/*
 * swapimg_parse - header and TLV structure of the image at the start of area `fa`
 * (steps MAGIC..TOO_LARGE and NO_HASH). `limit` = bytes of the slot the image may use
 * (up to its first trailer sector).
 * Returns: SWAPIMG_OK with *info filled, or the first failing result.
 */
swapimg_result_t swapimg_parse(const struct flash_area *fa, uint32_t limit, swapimg_info_t *info);

/*
 * swapimg_check_hash - re-read the hashed region and compare with the SHA256 TLV.
 * Returns: SWAPIMG_OK, SWAPIMG_ERR_READ or SWAPIMG_ERR_HASH.
 */
swapimg_result_t swapimg_check_hash(const struct flash_area *fa, const swapimg_info_t *info);

/*
 * swapimg_validate - everything: parse, hash, key lookup (revoked refused), ECDSA P-256
 * signature, SEC_CNT present (bootloader and serial recovery; swapsig.c).
 * Returns: SWAPIMG_OK with *info filled (key_index set), or the first failing result.
 */
swapimg_result_t swapimg_validate(const struct flash_area *fa, uint32_t limit,
                                  swapimg_info_t *info);

/*
 * swapimg_version_cmp - compare image versions (major, minor, revision, build_num).
 * Returns: -1, 0 or 1 as a is older, equal, newer than b.
 */
int swapimg_version_cmp(const swapimg_info_t *a, const swapimg_info_t *b);

/* Log name of a result: "ok", "read error", "bad magic", ... */
const char *swapimg_result_name(swapimg_result_t r);

#endif /* SWAP_SWAPIMG_H */
