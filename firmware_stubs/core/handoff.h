/*
 * handoff.h - the bootloader -> application handoff block.
 *
 * Lives at the linker symbol __plat_handoff (top PLAT_HANDOFF_SIZE bytes of RAM, the
 * HANDOFF region of memory_gen.ld, outside both images' RAM regions). Written by the
 * bootloader just before the jump, read (and then invalidated) by the application.
 * All fields are little-endian 32-bit words; `check` is CRC-32/ISO-HDLC of the words
 * before it, so seeded power-on RAM contents are never taken for a valid block.
 */
#ifndef OTA_CORE_HANDOFF_H
#define OTA_CORE_HANDOFF_H

#include <stdint.h>

#include "crc32.h"

#define HANDOFF_MAGIC   0x48414E44u /* "HAND" */
#define HANDOFF_VERSION 1u

#define HANDOFF_SLOT_A 0u
#define HANDOFF_SLOT_B 1u

typedef struct {
    uint32_t magic;     /* HANDOFF_MAGIC */
    uint32_t version;   /* HANDOFF_VERSION */
    uint32_t next_seq;  /* seq of the next evidence event (the app continues from here) */
    uint32_t slot;      /* HANDOFF_SLOT_A / HANDOFF_SLOT_B: the slot that was jumped to */
    uint32_t vtor;      /* vector table address that was jumped to */
    uint32_t reset_cause; /* decoded port_reset_cause_t of this boot */
    uint32_t check;     /* crc32 of the words above */
} handoff_t;

/* Linker-provided location (PROVIDE(__plat_handoff = ...) in memory_gen.ld). */
extern handoff_t __plat_handoff;

/* handoff_crc - CRC over every field before `check`. Returns the CRC (never fails). */
static inline uint32_t handoff_crc(const volatile handoff_t *h)
{
    uint32_t w[6];
    w[0] = h->magic;
    w[1] = h->version;
    w[2] = h->next_seq;
    w[3] = h->slot;
    w[4] = h->vtor;
    w[5] = h->reset_cause;
    return crc32_compute(w, sizeof(w));
}

/* handoff_valid - Returns 1 if magic, version and check are right, else 0. */
static inline int handoff_valid(const volatile handoff_t *h)
{
    return h->magic == HANDOFF_MAGIC && h->version == HANDOFF_VERSION &&
           h->check == handoff_crc(h);
}

#endif /* OTA_CORE_HANDOFF_H */
