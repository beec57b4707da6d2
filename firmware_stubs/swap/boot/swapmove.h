/*
 * swapmove.h - the swap itself: MCUboot's "swap using move" data flow, our implementation,
 * with its progress in the primary slot's swap status area (docs/contract-swap.md §3-4).
 *
 * With L = ceil(swap_size / sector) sectors to swap, P[i] / S[i] the i-th logical sector of
 * the primary / secondary slot, MAX = SWAP_MAX_IMG_SECTORS, the swap is 3L steps:
 *   steps 0..L-1   move:  k = step, j = L-1-k: erase P[j+1], copy P[j] -> P[j+1];
 *                  then status record k
 *   steps L..3L-1  swap:  t = step-L, i = t/2; t even: erase P[i], copy S[i] -> P[i]
 *                                             t odd:  erase S[i], copy P[i+1] -> S[i]
 *                  then status record MAX + t
 * A step's destination holds nothing that is not also elsewhere and recorded (its content was
 * copied by an earlier step whose record was written), and a step's source is never written
 * by that step, so redoing a step is harmless. The record of a step is written only after the
 * step's copy completed. Resume: the highest record that is not erased (a torn or unreadable
 * record counts as written: its write started after the copy) names the last completed step;
 * the next step is redone from its erase.
 * Before step 0 the secondary trailer is erased (so a finished or half-done swap never leaves
 * a request behind); after the last step copy_done is written in the primary trailer.
 */
#ifndef SWAP_SWAPMOVE_H
#define SWAP_SWAPMOVE_H

#include <stdint.h>

#define SWAPMOVE_OK       0
#define SWAPMOVE_ERR_FLASH (-1) /* a flash operation failed (sflash_last_error has it) */

typedef struct {
    uint8_t swap_type;    /* TR_SWAP_TEST / PERM / REVERT */
    uint32_t swap_size;   /* bytes to swap (the larger image of the two) */
    uint32_t sectors;     /* L */
    uint32_t next_step;   /* 0..3L (3L: every step done, copy_done pending) */
    int inconsistent;     /* the status area had holes / records out of range */
} swap_status_t;

/* Sectors to swap for swap_size bytes (at least 1). */
uint32_t swapmove_sectors(uint32_t swap_size);

/* Largest L the slots allow: the move needs L + 1 sectors of the primary below its trailer. */
uint32_t swapmove_max_sectors(void);

/*
 * swapmove_status_read - rebuild the progress of an interrupted swap from the primary
 * trailer (swap_info, swap_size, status records). Call only when tr_swap_in_progress().
 * Returns: nothing (*bs filled; bs->inconsistent set when the area did not look like a
 * record sequence this code writes).
 */
void swapmove_status_read(swap_status_t *bs);

/*
 * swapmove_start - begin a new swap of `swap_size` bytes of type `swap_type`: for REVERT
 * first make the secondary trailer a request that survives the primary trailer's erase
 * (swap_size, swap_info REVERT, image_ok, magic: tr_swap_type reads it as REVERT, so a cut
 * before the primary status exists starts the revert again), then erase the
 * primary trailer and write swap_size, swap_info, image_ok (PERM and REVERT only) and, last,
 * the magic. Fills *bs for swapmove_run (next_step 0).
 * Returns: SWAPMOVE_OK or SWAPMOVE_ERR_FLASH.
 */
int swapmove_start(uint8_t swap_type, uint32_t swap_size, swap_status_t *bs);

/*
 * swapmove_run - run the steps from bs->next_step to the end, then write copy_done.
 * Returns: SWAPMOVE_OK or SWAPMOVE_ERR_FLASH (stopped at the failing operation; the next
 * boot resumes).
 */
int swapmove_run(swap_status_t *bs);

/* Step kind names for logs: "move" / "swap". */
const char *swapmove_step_kind(const swap_status_t *bs, uint32_t step);

#endif /* SWAP_SWAPMOVE_H */
