/*
 * trailer.h - the MCUboot image trailer at the end of each slot (docs/contract-swap.md §2;
 * MCUboot docs/design.md "Image trailer"), its decoding, its writes, and the swap-type
 * decision of MCUboot's tables. Shared by the bootloader and the application.
 *
 * Layout, with A = the write unit (BOOT_MAX_ALIGN: 16 on STM32U585, 512 on LPC55S69) and
 * offsets from the slot start, size = slot size:
 *   magic      size - 16            (16 bytes, the end of the last unit; the unit's other
 *                                    bytes hold the erased value)
 *   image_ok   ALIGN_DOWN(size - 16 - A, A)   one unit, byte 0 = 0x01 when set
 *   copy_done  image_ok - A                   one unit, byte 0 = 0x01 when set
 *   swap_info  copy_done - A                  one unit, byte 0 = swap type | image << 4
 *   swap_size  swap_info - A                  one unit, bytes 0..3 = u32 LE
 *   status     swap_size - 3 * MAX_SECTORS * A   the swap status records
 * Magic: BOOT_MAX_ALIGN != 8, so the 16 bytes are u16 LE align followed by
 *   2d e1 5d 29 41 0b 8d 77 67 9c 11 0f 1f 8a.
 *
 * Decoding (values as MCUboot's BOOT_MAGIC_* / BOOT_FLAG_*):
 *   magic: GOOD (exact), UNSET (all erased), BAD (anything else, unreadable included);
 *   flags: UNSET (erased unit), SET (byte 0 == 0x01), BAD (anything else: torn, unreadable).
 * The decisions below treat a BAD flag as set: every flag is written only after what it
 * records was complete (copy_done after the swap's last step, image_ok by a confirm or
 * before the magic of a request), so a torn flag means its condition had been reached.
 * One exception: the secondary's image_ok under a good magic must read SET to make a request
 * permanent (see tr_swap_type).
 */
#ifndef SWAP_TRAILER_H
#define SWAP_TRAILER_H

#include <stdint.h>

#include "sflash.h"

#define TR_MAGIC_SZ 16u

/* BOOT_MAGIC_* and BOOT_FLAG_* (MCUboot bootutil_public.h numbering). */
#define TR_MAGIC_GOOD  1u
#define TR_MAGIC_BAD   2u
#define TR_MAGIC_UNSET 3u
#define TR_FLAG_SET    1u
#define TR_FLAG_BAD    2u
#define TR_FLAG_UNSET  3u

/* BOOT_SWAP_TYPE_* (MCUboot numbering; NONE 1, TEST 2, PERM 3, REVERT 4, FAIL 5). */
#define TR_SWAP_NONE   1u
#define TR_SWAP_TEST   2u
#define TR_SWAP_PERM   3u
#define TR_SWAP_REVERT 4u
#define TR_SWAP_FAIL   5u

/* Decoded trailer of one slot. */
typedef struct {
    uint8_t magic;      /* TR_MAGIC_* */
    uint8_t swap_type;  /* swap_info bits 0-3 (TR_SWAP_NONE when erased or > REVERT) */
    uint8_t image_num;  /* swap_info bits 4-7 */
    uint8_t copy_done;  /* TR_FLAG_* */
    uint8_t image_ok;   /* TR_FLAG_* */
    uint32_t swap_size; /* u32 LE, 0xFFFFFFFF when unreadable / erased */
} tr_state_t;

/* Geometry of a slot's trailer (derived from the area size, the unit and MAX_SECTORS). */
uint32_t tr_magic_off(const struct flash_area *fa);
uint32_t tr_image_ok_off(const struct flash_area *fa);
uint32_t tr_copy_done_off(const struct flash_area *fa);
uint32_t tr_swap_info_off(const struct flash_area *fa);
uint32_t tr_swap_size_off(const struct flash_area *fa);
uint32_t tr_status_off(const struct flash_area *fa);
/* Bytes of the trailer (status + fields + magic unit). */
uint32_t tr_trailer_size(void);
/* Offset of the first logical sector holding trailer bytes (the image must end before it). */
uint32_t tr_first_trailer_sector_off(const struct flash_area *fa, uint32_t sector_size);

/*
 * tr_read - decode the trailer of `fa` into *st (never fails: unreadable fields decode as
 * BAD / NONE / 0xFFFFFFFF).
 * Returns: nothing.
 */
void tr_read(const struct flash_area *fa, tr_state_t *st);

/* Flag/magic helpers: 1 when the decoded value counts as set (SET or BAD), else 0. */
static inline int tr_flag_is_set(uint8_t flag) { return flag != TR_FLAG_UNSET; }

/*
 * Writes of one field; each programs one write unit (the field byte(s), then the erased value)
 * into a unit that must be erased. Return SF_OK or an SF_ERR_* code.
 */
int tr_write_magic(const struct flash_area *fa);
int tr_write_image_ok(const struct flash_area *fa);
int tr_write_copy_done(const struct flash_area *fa);
int tr_write_swap_info(const struct flash_area *fa, uint8_t swap_type, uint8_t image_num);
int tr_write_swap_size(const struct flash_area *fa, uint32_t swap_size);

/*
 * tr_erase - erase every logical sector of `fa` that holds trailer bytes so that an
 * interrupted erase never leaves a good magic over garbled fields: the magic unit is zeroed
 * first where it shares its erase page with other fields and zeroing is allowed (STM32U585),
 * and the pages are erased in descending order (LPC55S69: the magic's own page goes first).
 * Returns: SF_OK or an sflash_erase code.
 */
int tr_erase(const struct flash_area *fa, uint32_t sector_size);

/*
 * tr_swap_type - MCUboot's swap-type tables (design.md "Image trailers", swap using move),
 * first matching row wins:
 *   secondary magic GOOD, secondary image_ok not SET (UNSET or BAD)    -> TEST
 *   secondary magic GOOD, image_ok SET, secondary swap_info REVERT    -> REVERT (ours: a
 *       revert that had written its permanent request into the secondary trailer and was
 *       cut before the primary status existed; MCUboot's table reads PERM here, which would
 *       subject the old image to the downgrade check of an upgrade)
 *   secondary magic GOOD, secondary image_ok SET                      -> PERM
 *   primary magic GOOD, primary image_ok UNSET, primary copy_done set -> REVERT
 *   otherwise                                                         -> NONE
 * Returns: TR_SWAP_TEST / PERM / REVERT / NONE.
 */
uint8_t tr_swap_type(const tr_state_t *primary, const tr_state_t *secondary);

/*
 * tr_swap_in_progress - MCUboot's status source rule for swap using move: the primary
 * trailer holds an unfinished swap's status when primary magic is GOOD, primary copy_done is
 * UNSET and secondary magic is not GOOD.
 * Returns: 1 (resume from the primary slot's status area) or 0 (status source: none).
 */
int tr_swap_in_progress(const tr_state_t *primary, const tr_state_t *secondary);

/* Log names: "good"/"unset"/"bad", "none"/"test"/"perm"/"revert"/"fail". */
const char *tr_magic_name(uint8_t magic);
const char *tr_flag_name(uint8_t flag);
const char *tr_swap_name(uint8_t swap_type);

#endif /* SWAP_TRAILER_H */
