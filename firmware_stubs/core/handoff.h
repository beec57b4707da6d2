/*
 * handoff.h - the bootloader -> application handoff block.
 *
 * Lives at the linker symbol __plat_handoff (top PLAT_HANDOFF_SIZE bytes of RAM, the
 * HANDOFF region of memory_gen.ld, outside both images' RAM regions). Written by the
 * bootloader just before the jump, read (and then invalidated) by the application.
 * All fields are little-endian 32-bit words; `check` is CRC-32/ISO-HDLC of the words
 * before it, so seeded power-on RAM contents are never taken for a valid block.
 *
 * Version 2 (issue 4) adds what the application needs for the A/B boot test:
 *
 *   word  field          meaning
 *   0     magic          HANDOFF_MAGIC
 *   1     version        HANDOFF_VERSION (2); an app must refuse other versions
 *   2     next_seq       seq of the next evidence event (the app continues from here)
 *   3     slot           HANDOFF_SLOT_A / HANDOFF_SLOT_B: the slot that was jumped to
 *   4     vtor           vector table address that was jumped to (= image + header size)
 *   5     reset_cause    decoded port_reset_cause_t of this boot
 *   6     build          build number (SEC_CNT) of the image that was verified and started
 *   7     trial          1: a PENDING image on its boot test (run the self-test, then
 *                        bootsel_confirm / bootsel_reject); 0: the CONFIRMED image
 *   8     attempt        boot-test attempt number of this boot (1..N, committed to the
 *                        metadata before the jump); 0 when trial == 0
 *   9     image_addr     flash address of the running image's header (the slot start):
 *                        the app reads its own manifest (SELF_TEST TLV) from here
 *   10    meta_gen       generation of the metadata copy that wins after this boot's
 *                        commits (0: no valid metadata)
 *   11    flags          HANDOFF_F_* bits
 *   12    check          crc32 of words 0..11
 *
 * Words 13..17 are meaningful only with flag HANDOFF_F_RING_STATE (an additive extension of
 * version 2: an application that does not know the flag ignores them and scans the ring):
 * the evidence ring's append state at the jump (core/evring.h evr_state_t, taken by
 * evring_state after the last flush), so the application continues the ring with
 * evring_resume instead of scanning the whole evidence area again.
 *
 *   13    ring_page      current ring page (index in the area), 0xFFFFFFFF for none
 *   14    ring_seq       its page sequence number
 *   15    ring_slot      next free record slot of that page (write-through), 0 (page mode)
 *   16    ring_rec_seq   seq of the next ring record
 *   17    ring_check     crc32 of words 0..16
 */
#ifndef OTA_CORE_HANDOFF_H
#define OTA_CORE_HANDOFF_H

#include <stdint.h>

#include "crc32.h"

#define HANDOFF_MAGIC   0x48414E44u /* "HAND" */
#define HANDOFF_VERSION 2u

#define HANDOFF_SLOT_A 0u
#define HANDOFF_SLOT_B 1u

/* flags */
#define HANDOFF_F_EVRING 0x1u /* the bootloader keeps an evidence ring in the evidence area */
#define HANDOFF_F_RING_STATE 0x2u /* words 13..17 hold the ring's state (ring_check valid) */

#define HANDOFF_WORDS 12u /* words covered by `check` */
#define HANDOFF_RING_WORDS 17u /* words covered by `ring_check` */

typedef struct {
    uint32_t magic;       /* HANDOFF_MAGIC */
    uint32_t version;     /* HANDOFF_VERSION */
    uint32_t next_seq;    /* seq of the next evidence event (the app continues from here) */
    uint32_t slot;        /* HANDOFF_SLOT_A / HANDOFF_SLOT_B: the slot that was jumped to */
    uint32_t vtor;        /* vector table address that was jumped to */
    uint32_t reset_cause; /* decoded port_reset_cause_t of this boot */
    uint32_t build;       /* build (SEC_CNT) of the verified image that was started */
    uint32_t trial;       /* 1: PENDING image on its boot test, 0: CONFIRMED image */
    uint32_t attempt;     /* boot-test attempt of this boot (1..N), 0 when not a trial */
    uint32_t image_addr;  /* flash address of the running image's header (slot start) */
    uint32_t meta_gen;    /* winning metadata generation after this boot's commits */
    uint32_t flags;       /* HANDOFF_F_* */
    uint32_t check;       /* crc32 of the words above */
    /* with HANDOFF_F_RING_STATE only: */
    uint32_t ring_page;    /* evr_state_t.cur_page */
    uint32_t ring_seq;     /* evr_state_t.cur_seq */
    uint32_t ring_slot;    /* evr_state_t.next_slot */
    uint32_t ring_rec_seq; /* evr_state_t.next_rec_seq */
    uint32_t ring_check;   /* crc32 of words 0..16 */
} handoff_t;

/* Linker-provided location (PROVIDE(__plat_handoff = ...) in memory_gen.ld). */
extern handoff_t __plat_handoff;

/* handoff_crc - CRC over every field before `check`. Returns the CRC (never fails). */
static inline uint32_t handoff_crc(const volatile handoff_t *h)
{
    uint32_t w[HANDOFF_WORDS];
    w[0] = h->magic;
    w[1] = h->version;
    w[2] = h->next_seq;
    w[3] = h->slot;
    w[4] = h->vtor;
    w[5] = h->reset_cause;
    w[6] = h->build;
    w[7] = h->trial;
    w[8] = h->attempt;
    w[9] = h->image_addr;
    w[10] = h->meta_gen;
    w[11] = h->flags;
    return crc32_compute(w, sizeof(w));
}

/* handoff_ring_crc - CRC over every word before `ring_check` (words 0..16).
 * Returns the CRC (never fails). */
static inline uint32_t handoff_ring_crc(const volatile handoff_t *h)
{
    uint32_t w[HANDOFF_RING_WORDS - HANDOFF_WORDS];
    w[0] = h->check;
    w[1] = h->ring_page;
    w[2] = h->ring_seq;
    w[3] = h->ring_slot;
    w[4] = h->ring_rec_seq;
    return crc32_update(handoff_crc(h), w, sizeof(w)); /* continues the CRC of words 0..11 */
}

/* handoff_valid - Returns 1 if magic, version and check are right, else 0. */
static inline int handoff_valid(const volatile handoff_t *h)
{
    return h->magic == HANDOFF_MAGIC && h->version == HANDOFF_VERSION &&
           h->check == handoff_crc(h);
}

/* handoff_ring_valid - Returns 1 if the block is valid and carries the ring state
 * (HANDOFF_F_RING_STATE and ring_check right), else 0. */
static inline int handoff_ring_valid(const volatile handoff_t *h)
{
    return handoff_valid(h) && (h->flags & HANDOFF_F_RING_STATE) != 0u &&
           h->ring_check == handoff_ring_crc(h);
}

#endif /* OTA_CORE_HANDOFF_H */
