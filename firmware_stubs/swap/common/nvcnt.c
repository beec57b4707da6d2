/*
 * nvcnt.c - append-only monotonic security counter in flash (see nvcnt.h).
 */
#include "nvcnt.h"

#include <string.h>

static uint32_t nv_unit[512u / 4u];

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

int nvcnt_read(const struct flash_area *fa, uint32_t *value, uint32_t *next)
{
    uint32_t unit = sflash_geom()->write_unit;
    uint32_t count = fa->fa_size / unit;
    uint32_t best = 0;
    uint32_t after_last = 0;
    uint32_t i;
    const uint8_t *b = (const uint8_t *)nv_unit;

    for (i = 0; i < count; i++) {
        int st = sflash_unit_state(fa, i * unit);
        if (st == 1) {
            continue; /* erased */
        }
        after_last = i + 1u; /* written or unreadable: used */
        if (st == 0 && sflash_read(fa, i * unit, nv_unit, unit, NULL) == SF_OK &&
            le32(b) == NVCNT_MAGIC && le32(b + 4) == (uint32_t)~le32(b + 8) &&
            le32(b + 4) > best) {
            best = le32(b + 4);
        }
    }
    *value = best;
    if (next != NULL) {
        *next = after_last;
    }
    return NVCNT_OK;
}

int nvcnt_raise(const struct flash_area *fa, uint32_t value)
{
    uint32_t unit = sflash_geom()->write_unit;
    uint32_t cur;
    uint32_t next;
    uint8_t *b = (uint8_t *)nv_unit;

    nvcnt_read(fa, &cur, &next);
    if (cur >= value) {
        return NVCNT_OK;
    }
    if (next >= fa->fa_size / unit) {
        return NVCNT_ERR_FULL;
    }
    memset(b, sflash_geom()->erased_value, unit);
    put32(b, NVCNT_MAGIC);
    put32(b + 4, value);
    put32(b + 8, ~value);
    return sflash_program(fa, next * unit, nv_unit, unit);
}
