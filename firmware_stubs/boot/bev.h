/*
 * bev.h - the bootloader's evidence sinks: every line goes to the console UART, and every
 * evidence line is also kept as a record in the flash evidence ring (core/evring.h, layout
 * area `evidence`), so the events survive a power cut (ota-requirements §1 "Evidence").
 *
 * Ring record of one evidence line (evr_record_t, src = 0 boot / 1 app / 2 rescue):
 *   kind  BEV_K_* code of the event NAME (BEV_K_OTHER for names not in the table)
 *   v[0]  the line's evidence seq
 *   v[1]  the line's CRC-32 (the value after '#'): matches the console line exactly
 *   v[2..4] the first three field values in line order: a decimal or 0x-hex value as the
 *         number, any other value as the CRC-32 of its text (enum names such as "ok",
 *         "watchdog": compare with zlib.crc32(b"ok")); missing fields are not stored
 *         (nvals = 2 + fields, at most 5)
 * Only integers reach the ring (the evring API cannot store byte strings), and evidence lines
 * never carry key material. LAYOUT lines and console text are not stored.
 *
 * Durability: STM32U585 (write-through) each record is programmed when emitted; LPC55S69
 * (page mode) records are buffered and programmed by bev_flush() (called before every jump
 * and reset) or when 15 are buffered.
 */
#ifndef OTA_BOOT_BEV_H
#define OTA_BOOT_BEV_H

#include <stddef.h>
#include <stdint.h>

#include "evring.h"

/* Event kind codes stored in ring records (stable: replay tools depend on them). */
enum {
    BEV_K_OTHER = 0,
    BEV_K_REBOOT_REASON = 1,
    BEV_K_ANCHOR = 3,
    BEV_K_META = 4,
    BEV_K_PARSE_MANIFEST = 5,
    BEV_K_VERIFY_SIG = 6,
    BEV_K_SLOT_TRANSITION = 7,
    BEV_K_ROLLBACK = 8,
    BEV_K_RESCUE = 9,
    BEV_K_JUMP = 10,
    BEV_K_BOOT = 11,
    BEV_K_WRITE_GATED = 12,
    BEV_K_CHUNK = 13,
    BEV_K_BOOT_HALT = 14,
    BEV_K_SLOT_CHECK = 15,
    BEV_K_EVRING = 16,
    BEV_K_REJECT = 17,
    BEV_K_PHASE = 18,
    BEV_K_RESUME = 19,
};

/* bev_sink - the ev_sink_fn of the bootloader (UART + ring). No return value. */
void bev_sink(const char *data, size_t len);

/*
 * bev_ring_open - open the ring in the evidence area (recovering its state from flash) and
 * start storing evidence lines. Lines emitted before this call are not stored.
 * Returns: 0 or an EVR_ERR_* code (then nothing is stored; the console is unaffected).
 */
int bev_ring_open(void);

/*
 * bev_ring_resume - bev_ring_open without the scan of the evidence area: the ring continues
 * from *st, the state the bootloader's ring had at the jump (bev_ring_state, passed in the
 * handoff block, core/handoff.h). Nothing may have written the area since.
 * Returns: 0 or an EVR_ERR_* code (EVR_ERR_ARG for a state out of range; then nothing is
 *   stored, as after a failed bev_ring_open: the caller may fall back to bev_ring_open).
 */
int bev_ring_resume(const evr_state_t *st);

/*
 * bev_ring_state - the open ring's state for bev_ring_resume (evring_state): call after a
 * successful bev_flush (nothing buffered).
 * Returns: 0, or EVR_ERR_ARG (ring not open, or records still buffered).
 */
int bev_ring_state(evr_state_t *st);

/* bev_flush - program buffered records (LPC55S69 page mode). Returns 0 or EVR_ERR_*. */
int bev_flush(void);

/* bev_ring_stats - records stored / failed since reset, and the ring's guarantee
 * (evring_guaranteed). Any pointer may be NULL. No return value. */
void bev_ring_stats(uint32_t *stored, uint32_t *failed, uint32_t *guaranteed);

/*
 * bev_replay - send the ring's durable records to the console, oldest first, as console
 * text lines "evr <seq> <kind> <src> v0 v1 ..." (decimal; not evidence lines, so they never
 * mix with the live seq). Returns the number of records sent.
 */
uint32_t bev_replay(void);

#endif /* OTA_BOOT_BEV_H */
