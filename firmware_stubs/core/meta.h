/*
 * meta.h - A/B boot metadata that survives a power cut at any instant (docs/contract-meta.md).
 *
 * Two copies of one fixed 64-byte record, each alone on its own flash page (layout areas
 * meta_a / meta_b; only the first page of each area is used). Each copy carries a CRC-32 and
 * a generation counter. meta_load() takes the newest valid copy; meta_commit() always writes
 * the *other* copy (erase its page, program the record padded to the program unit, read it
 * back), so at every instant at least one complete copy exists.
 *
 * All flash access goes through a meta_flash_t ops table, so the same code runs on the
 * STM32U585 (8 KiB pages, 16-byte program unit, erased 0xFF, erased reads are data) and the
 * LPC55S69 (512-byte pages = program unit, raw erased 0x00, erased/torn pages fault on CPU
 * reads: the table's read must be the port's tolerant read) and on the host simulator.
 *
 * No heap, no recursion; the largest buffer is META_UNIT_MAX bytes (stack, in meta_commit).
 */
#ifndef OTA_CORE_META_H
#define OTA_CORE_META_H

#include <stdint.h>

/* ---- flash ops table ------------------------------------------------------------------- */

/* Return codes of the ops (the port's PORT_* codes fit: 0 ok, negative error). A read that
 * finds erased cells it cannot return as data (LPC55 blank page) should return
 * META_FLASH_ERASED (= PORT_ERR_ERASED); any other negative value means "unreadable". */
#define META_FLASH_OK      0
#define META_FLASH_ERASED  (-14)

typedef struct {
    /* erase the page starting at addr (page aligned). Returns 0 or a negative error. */
    int (*erase)(void *ctx, uint32_t addr);
    /* program len bytes at addr; addr and len are multiples of program_unit and the cells
     * were erased first. Returns 0 or a negative error. */
    int (*program)(void *ctx, uint32_t addr, const void *data, uint32_t len);
    /* tolerant read: returns 0, or a negative error (META_FLASH_ERASED, torn/ECC, ...)
     * instead of faulting; on error the buffer contents are unspecified. */
    int (*read)(void *ctx, uint32_t addr, void *data, uint32_t len);
    void *ctx;
    uint32_t program_unit; /* STM32U585 16, LPC55S69 512 */
    uint32_t page_size;    /* STM32U585 0x2000, LPC55S69 0x200 */
    uint32_t erased_value; /* STM32U585 0xFF, LPC55S69 0x00 */
} meta_flash_t;

/* ---- record ---------------------------------------------------------------------------- */

#define META_MAGIC        0x314D544Fu /* "OTM1" little endian */
#define META_VERSION      1u
#define META_RECORD_SIZE  64u         /* serialized bytes (CRC included) */
#define META_UNIT_MAX     512u        /* largest program unit supported (LPC55S69 page) */

/* Serialized layout (little endian), offsets in bytes:
 *   0 u32 magic  4 u16 version  6 u16 length(64)  8 u32 generation  12 u32 floor
 *  16 u8 active  17 u8 next  18 u8 state[A]  19 u8 state[B]  20 u8 attempts[A]
 *  21 u8 attempts[B]  22 u8 up_slot  23 u8 reserved(0)  24 u32 build[A]  28 u32 build[B]
 *  32 u32 image_id[A]  36 u32 image_id[B]  40 u32 up_offset  44 u32 up_image_id
 *  48 u32 up_build  52 u32 floor_next  56 u32 reserved(0)  60 u32 crc32 of [0,60) */
#define META_OFF_MAGIC     0u
#define META_OFF_VERSION   4u
#define META_OFF_LENGTH    6u
#define META_OFF_GEN       8u
#define META_OFF_FLOOR     12u
#define META_OFF_ACTIVE    16u
#define META_OFF_NEXT      17u
#define META_OFF_STATE     18u /* [2] */
#define META_OFF_ATTEMPTS  20u /* [2] */
#define META_OFF_UP_SLOT   22u
#define META_OFF_RSVD8     23u
#define META_OFF_BUILD     24u /* [2] */
#define META_OFF_IMAGE_ID  32u /* [2] */
#define META_OFF_UP_OFFSET 40u
#define META_OFF_UP_ID     44u
#define META_OFF_UP_BUILD  48u
#define META_OFF_FLOOR_NEXT 52u
#define META_OFF_RSVD32    56u /* 1 x u32 */
#define META_OFF_CRC       60u

#define META_SLOT_A     0u
#define META_SLOT_B     1u
#define META_SLOT_NONE  0xFFu

/* Slot states (never 0x00/0xFF so an erased byte is never a state). */
typedef enum {
    META_ST_EMPTY = 1,     /* nothing bootable claimed (also: superseded by a newer confirm) */
    META_ST_STAGING = 2,   /* an upload is being written here (see up_*) */
    META_ST_PENDING = 3,   /* verified, installed, on trial: boots at most N times */
    META_ST_CONFIRMED = 4, /* self-test passed: the last confirmed slot (= active) */
    META_ST_FAILED = 5,    /* rolled back (attempts, self-test, verify, inconsistent, floor) */
} meta_slot_state_t;

typedef struct {
    uint32_t generation;  /* set by meta_commit(); serial-number order, see meta_gen_newer */
    uint32_t floor;       /* rollback floor (rises only by a staged floor bump) */
    uint8_t active;       /* the CONFIRMED slot */
    uint8_t next;         /* slot to boot next: active, or the PENDING slot */
    uint8_t state[2];     /* meta_slot_state_t */
    uint8_t attempts[2];  /* boots of a PENDING image so far (incremented before the jump) */
    uint8_t up_slot;      /* upload in progress into this slot, or META_SLOT_NONE */
    uint32_t build[2];    /* build number of the image the state refers to */
    uint32_t image_id[2]; /* image identity (first 4 bytes of its SHA-256, big endian) */
    uint32_t up_offset;   /* bytes of the upload written AND verified (chunk aligned) */
    uint32_t up_image_id; /* identity of the image being uploaded */
    uint32_t up_build;    /* its build number */
    uint32_t floor_next;  /* staged floor bump: the build the confirm commit staged
                           * (== build[active] > floor), 0 = none; the floor bump commit
                           * (app, or the bootloader after a cut) moves it into floor */
} meta_record_t;

/* ---- load / commit -------------------------------------------------------------------- */

typedef enum {
    META_OK = 0,           /* both copies valid ("ok") */
    META_RECOVERED = 1,    /* one copy invalid (torn/erased/bad), the other used ("recovered") */
    META_BOTH_INVALID = 2, /* no valid copy ("both-invalid"): record = defaults, copy = none */
} meta_result_t;

typedef enum {
    META_COPY_VALID = 0,
    META_COPY_ERASED = 1,     /* every byte reads as erased (or the read said erased) */
    META_COPY_UNREADABLE = 2, /* the tolerant read failed (torn unit / ECC / fault) */
    META_COPY_BAD = 3,        /* readable but magic / version / length / CRC / fields wrong */
} meta_copy_status_t;

typedef struct {
    const meta_flash_t *fl;
    uint32_t addr[2];   /* page address of copy A (meta_a) and copy B (meta_b) */
    uint8_t cur;        /* copy holding the newest valid record, or META_SLOT_NONE */
    uint32_t gen;       /* its generation */
} meta_ctx_t;

typedef struct {
    meta_result_t result;
    uint8_t copy;                 /* winning copy (META_SLOT_A/B) or META_SLOT_NONE */
    uint32_t generation;          /* winner's generation (0 when both-invalid) */
    uint8_t status[2];            /* meta_copy_status_t of copy A and B */
    meta_record_t rec;            /* the winner; meta_defaults() when both-invalid */
} meta_load_t;

/* Error codes (negative). */
#define META_ERR_ARG      (-1) /* NULL pointer, bad geometry or unaligned/overlapping addresses */
#define META_ERR_ERASE    (-2) /* the erase op failed */
#define META_ERR_PROGRAM  (-3) /* the program op failed */
#define META_ERR_VERIFY   (-4) /* read back failed or differs */
#define META_ERR_RECORD   (-5) /* the record to commit fails meta_record_check() */

/*
 * meta_init - bind a context to a flash ops table and the two copy addresses.
 * Requires: program_unit a power of two in [4, META_UNIT_MAX], page_size a multiple of it
 * and >= the padded record, both addresses page aligned and on different pages.
 * Returns: 0 or META_ERR_ARG.
 */
int meta_init(meta_ctx_t *ctx, const meta_flash_t *fl, uint32_t addr_a, uint32_t addr_b);

/*
 * meta_load - read both copies, validate each (magic, version, length, CRC, meta_record_check)
 * and choose the newest valid one (meta_gen_newer; equal generations: copy A). Updates ctx
 * (cur, gen) so that the next meta_commit() writes the other copy.
 * Returns: 0 (out filled; out->result says ok / recovered / both-invalid) or META_ERR_ARG.
 */
int meta_load(meta_ctx_t *ctx, meta_load_t *out);

/*
 * meta_commit - write `rec` with generation = current + 1 (1 when nothing is valid) into the
 * copy that is NOT the current winner (copy A when none): erase that page, program the
 * record padded with the erased value to the program unit, read back and compare. On success
 * ctx->cur/gen move to the new copy and *gen_out (may be NULL) receives the generation.
 * On failure ctx is unchanged: the previous winner is still intact and still wins.
 * Returns: 0, META_ERR_ARG, META_ERR_RECORD, META_ERR_ERASE, META_ERR_PROGRAM or
 *   META_ERR_VERIFY.
 */
int meta_commit(meta_ctx_t *ctx, const meta_record_t *rec, uint32_t *gen_out);

/*
 * meta_commit_in_place - the same commit, written over the CURRENT winner copy itself (copy A
 * when none). Only planted bugs call it (core/mut_hooks.h: MUT_ROLLBACK_META_IN_PLACE,
 * MUT_UNJOURNALED_FLOOR_BUMP): between its erase and its program the winner is gone.
 * Returns: as meta_commit.
 */
int meta_commit_in_place(meta_ctx_t *ctx, const meta_record_t *rec);

/*
 * meta_erase_other - erase the copy that is not the current winner (planted bugs only:
 * MUT_UNJOURNALED_FLOOR_BUMP clears the stale copy). Returns 0 or META_ERR_ARG / META_ERR_ERASE.
 */
int meta_erase_other(meta_ctx_t *ctx);

/* meta_defaults - the record used when both copies are invalid: no active slot
 * (active = next = up_slot = META_SLOT_NONE), states EMPTY, floor 0. Never fails. */
void meta_defaults(meta_record_t *rec);

/*
 * meta_record_check - structural rules every committed record obeys: active in {A,B} and
 * CONFIRMED, the other slot not CONFIRMED, next in {A,B}, attempts[active] == 0, states in
 * range, up_slot NONE or the non-active slot, floor <= build[active], floor_next 0 or
 * (floor_next == build[active] and > floor).
 * Returns: 1 if the record obeys them, 0 otherwise.
 */
int meta_record_check(const meta_record_t *rec);

/* meta_serialize / meta_parse - the 64-byte wire form (CRC written / checked).
 * meta_parse returns 1 if magic, version, length and CRC are right (fields not checked). */
void meta_serialize(const meta_record_t *rec, uint8_t out[META_RECORD_SIZE]);
int meta_parse(const uint8_t in[META_RECORD_SIZE], meta_record_t *rec);

/* meta_gen_newer - 1 if generation a is newer than b: (int32_t)(a - b) > 0 (serial-number
 * arithmetic, so 0x00000000 is newer than 0xFFFFFFFF; the two copies are always exactly one
 * apart, far from the ambiguous distance 2^31). */
int meta_gen_newer(uint32_t a, uint32_t b);

/* meta_result_name - "ok", "recovered", "both-invalid". meta_state_name - "EMPTY", ...
 * Returns: a static string; "unknown" / "UNKNOWN" out of range. */
const char *meta_result_name(meta_result_t r);
const char *meta_state_name(uint8_t state);

#endif /* OTA_CORE_META_H */
