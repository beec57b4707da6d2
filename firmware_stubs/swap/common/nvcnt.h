/*
 * nvcnt.h - the monotonic security counter (MCUboot's hardware rollback protection,
 * MCUBOOT_HW_ROLLBACK_PROT, kept in flash): an append-only log in the sec_cnt area, never
 * erased. docs/contract-swap.md §8.
 *
 * Entry = one write unit: u32 magic 0x544e4353 ("SCNT"), u32 value, u32 ~value, then the
 * erased value. Reading scans every entry: the counter is the largest value of a valid entry
 * (0 when there is none); entries that are torn or invalid are skipped. Raising appends an
 * entry after the last non-erased one (a cut during the append leaves the old value, and the
 * next raise uses the next entry). Capacity: area size / write unit (STM32U585 512, LPC55S69
 * 32); when full the counter stays where it is.
 */
#ifndef SWAP_NVCNT_H
#define SWAP_NVCNT_H

#include <stdint.h>

#include "sflash.h"

#define NVCNT_MAGIC 0x544e4353u

#define NVCNT_OK        0
#define NVCNT_ERR_FULL (-20) /* no erased entry left */
/* or a negative SF_ERR_* code from the append */

/*
 * nvcnt_read - scan the area.
 * *value: the counter; *next (may be NULL): index of the entry the next raise writes
 * (== capacity when full).
 * Returns: NVCNT_OK (unreadable entries are skipped, never an error).
 */
int nvcnt_read(const struct flash_area *fa, uint32_t *value, uint32_t *next);

/*
 * nvcnt_raise - make the counter at least `value` (nothing is written when it already is).
 * Returns: NVCNT_OK, NVCNT_ERR_FULL, or an SF_ERR_* code from the program (e.g. gated).
 */
int nvcnt_raise(const struct flash_area *fa, uint32_t value);

#endif /* SWAP_NVCNT_H */
