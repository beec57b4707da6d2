/*
 * evring.h - append-only evidence ring in flash (layout area `evidence`, >= 2 pages), so the
 * last events survive any power cut (docs/contract-meta.md §2).
 *
 * The area is split into pages; each page is 32-byte slots: slot 0 is the page header
 * (magic, page sequence number, CRC), slots 1.. hold one event record each (kind, src, a
 * record sequence number, up to EVR_MAX_VALS u32 values, CRC-32). Pages are used in ring
 * order; opening a page erases it (the oldest) first. Two write modes, chosen from the
 * geometry:
 *
 *  - WRITE-THROUGH (program unit divides 32, e.g. STM32U585 16 B): the header is programmed
 *    when a page opens and every record is programmed as it is appended. A record is durable
 *    when evring_append() returns 0. A cut loses at most the record being programmed (it reads
 *    as torn/bad and is skipped); opening a page loses only the recycled oldest page.
 *  - PAGE (program unit == page, e.g. LPC55S69 512 B, a page is programmed once per erase):
 *    records are buffered in RAM (up to slots-1 = 15 per 512-byte page) and evring_flush()
 *    programs header + records as one page into the next page of the ring (one page per
 *    flush). Records are durable only after a successful flush; a cut loses the RAM buffer.
 *    evring_append() flushes by itself when the buffer is full.
 *
 * Guarantee: after any cut the ring replays at least the newest (pages - 1) pages' worth of
 * durable records: write-through (pages-1)*(slots-1) records (STM32U585 evidence area: 2 x
 * 8 KiB -> 255), page mode the last (pages-1) flushes (LPC55S69: 16 x 512 B -> 15 flushes, up
 * to 225 records).
 *
 * Records hold only a kind code and small integers (IDs, counters, enum codes): the API has
 * no way to store byte strings, so key material cannot end up in the ring.
 * No heap, no recursion; every loop is bounded by pages x slots.
 */
#ifndef OTA_CORE_EVRING_H
#define OTA_CORE_EVRING_H

#include <stdint.h>

#include "meta.h" /* meta_flash_t */

#define EVR_MAGIC      0x31525645u /* "EVR1" little endian */
#define EVR_SLOT       32u         /* bytes per slot (header or record) */
#define EVR_MAX_VALS   5u
#define EVR_MAX_PAGES  64u
#define EVR_PAGE_BUF   512u        /* page-mode RAM buffer: largest page supported in PAGE mode */

/* Record slot: 0 u16 kind | 2 u8 src | 3 u8 nvals | 4 u32 seq | 8 u32 v[5] | 28 u32 crc32[0,28)
 * Header slot: 0 u32 magic | 4 u32 page_seq | 8 u16 slot size (32) | 10 u16 0 | 12..27 zero
 *              | 28 u32 crc32[0,28) */

#define EVR_MODE_WRITE_THROUGH 1u
#define EVR_MODE_PAGE          2u

#define EVR_NONE 0xFFFFFFFFu

/* Return codes (negative). */
#define EVR_ERR_ARG      (-1) /* NULL pointer, nvals > EVR_MAX_VALS, not opened */
#define EVR_ERR_GEOMETRY (-2) /* area < 2 pages, > EVR_MAX_PAGES, unsupported unit/page */
#define EVR_ERR_ERASE    (-3) /* opening a page: erase failed (nothing appended) */
#define EVR_ERR_PROGRAM  (-4) /* program failed (record lost; the ring stays consistent) */

typedef struct {
    uint16_t kind;  /* event code (caller's enum) */
    uint8_t src;    /* 0 boot, 1 app, 2 rescue */
    uint8_t nvals;  /* 0..EVR_MAX_VALS */
    uint32_t seq;   /* ring-wide record sequence number, +1 per append */
    uint32_t v[EVR_MAX_VALS];
} evr_record_t;

typedef struct {
    const meta_flash_t *fl;
    uint32_t base;
    uint32_t npages;
    uint32_t slots;        /* slots per page, header included */
    uint32_t mode;         /* EVR_MODE_* */
    uint32_t cur_page;     /* newest valid page, or EVR_NONE */
    uint32_t cur_seq;      /* its page_seq */
    uint32_t next_slot;    /* write-through: next free slot in cur_page */
    uint32_t next_rec_seq; /* seq of the next appended record */
    uint32_t buffered;     /* page mode: records in buf not yet programmed */
    uint8_t buf[EVR_PAGE_BUF];
} evring_t;

/* What evring_open recovers from flash, as evring_state hands it on (evring_resume). */
typedef struct {
    uint32_t cur_page;     /* newest valid page, or EVR_NONE */
    uint32_t cur_seq;      /* its page_seq (0 when none) */
    uint32_t next_slot;    /* write-through: next free slot in cur_page; page mode: 0 */
    uint32_t next_rec_seq; /* seq of the next appended record */
} evr_state_t;

typedef struct {
    uint8_t order[EVR_MAX_PAGES]; /* valid pages, oldest first */
    uint32_t n;
    uint32_t pi;
    uint32_t slot;
} evr_iter_t;

/*
 * evring_open - bind the ring to [base, base+size) and recover its state from flash: the
 * newest page with a valid header is current; in write-through mode the next free slot is
 * the one after the last non-erased slot (torn slots are skipped, never reprogrammed); the
 * next record seq is one past the highest valid record seq. Does not write flash. One pass
 * over the area: each page's header alone, its record slots in reads of 8 slots (a read that
 * is not clean, an error or erased units, is redone slot by slot, so every slot is classified
 * exactly as a read of that slot alone would).
 * Returns: 0, EVR_ERR_ARG or EVR_ERR_GEOMETRY.
 */
int evring_open(evring_t *r, const meta_flash_t *fl, uint32_t base, uint32_t size);

/*
 * evring_state - the ring's append state (page, page seq, next slot, next record seq), for a
 * later evring_resume over the same area by code that cannot share this evring_t (the
 * bootloader hands it to the application, core/handoff.h). Only with nothing buffered (page
 * mode: after a successful evring_flush): buffered records would be lost.
 * Returns: 0, or EVR_ERR_ARG (NULL, not opened, records buffered).
 */
int evring_state(const evring_t *r, evr_state_t *st);

/*
 * evring_resume - evring_open without the scan: bind the ring to [base, base+size) (the same
 * geometry checks) and take the state from *st, which must come from evring_state of a ring
 * over the same area with no flash write to the area since (then the ring continues exactly
 * as that one would have: same page, slot and record seq). The state is checked for range
 * (page inside the area or EVR_NONE; write-through next slot 1..slots, page mode 0); its
 * values are not re-read from flash. Does not write flash.
 * Returns: 0, EVR_ERR_ARG (NULL, or a state out of range: the ring is then not opened) or
 *   EVR_ERR_GEOMETRY.
 */
int evring_resume(evring_t *r, const meta_flash_t *fl, uint32_t base, uint32_t size,
                  const evr_state_t *st);

/*
 * evring_append - add one record (kind, src, vals[0..nvals)). Write-through: programmed now
 * (opening the next page first when the current one is full). Page mode: buffered, flushed
 * when the buffer fills. *seq_out (may be NULL) receives the record's seq.
 * Returns: 0, EVR_ERR_ARG, EVR_ERR_ERASE or EVR_ERR_PROGRAM.
 */
int evring_append(evring_t *r, uint16_t kind, uint8_t src, const uint32_t *vals, uint8_t nvals,
                  uint32_t *seq_out);

/*
 * evring_flush - page mode: program the buffered records into the next page (erase first).
 * Write-through mode: nothing to do.
 * Returns: 0 (also when nothing was buffered), EVR_ERR_ARG, EVR_ERR_ERASE or EVR_ERR_PROGRAM
 *   (the records stay buffered for a later retry).
 */
int evring_flush(evring_t *r);

/* evring_guaranteed - records the ring keeps through any cut in write-through mode
 * ((pages-1) * (slots-1)), or flushes kept in page mode (pages-1). 0 if not opened. */
uint32_t evring_guaranteed(const evring_t *r);

/*
 * evring_iter_init / evring_iter_next - replay the durable records, oldest page first, slot
 * order within a page; torn, erased and bad-CRC slots are skipped.
 * iter_next returns 1 (*rec filled), 0 at the end, or EVR_ERR_ARG.
 */
int evring_iter_init(const evring_t *r, evr_iter_t *it);
int evring_iter_next(const evring_t *r, evr_iter_t *it, evr_record_t *rec);

#endif /* OTA_CORE_EVRING_H */
