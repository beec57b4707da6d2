/*
 * swapmove.c - swap using move with a power-safe status log (see swapmove.h).
 */
#include "swapmove.h"

#include <string.h>

#include "flash_map.h"
#include "layout.h"
#include "slog.h"
#include "swap_hooks.h"
#include "trailer.h"

/* Copy buffer: one LPC55S69 page / 32 STM32U585 program units. */
static uint32_t sm_buf[512u / 4u];

uint32_t swapmove_sectors(uint32_t swap_size)
{
    uint32_t n = (swap_size + SWAP_SECTOR_SIZE - 1u) / SWAP_SECTOR_SIZE;
    return n == 0u ? 1u : n;
}

uint32_t swapmove_max_sectors(void)
{
    /* primary sectors below its trailer, minus the spare the move needs */
    return tr_first_trailer_sector_off(fa_primary, SWAP_SECTOR_SIZE) / SWAP_SECTOR_SIZE - 1u;
}

/* Offset (in the primary trailer's status area) of the record of `step`. */
static uint32_t record_off(const swap_status_t *bs, uint32_t step)
{
    uint32_t index = step < bs->sectors ? step : SWAP_MAX_IMG_SECTORS + (step - bs->sectors);
    return tr_status_off(fa_primary) + index * SWAP_WRITE_ALIGN;
}

const char *swapmove_step_kind(const swap_status_t *bs, uint32_t step)
{
    return step < bs->sectors ? "move" : "swap";
}

void swapmove_status_read(swap_status_t *bs)
{
    tr_state_t st;
    uint32_t max = swapmove_max_sectors();
    uint32_t rec;
    int highest = -1;
    uint32_t holes = 0;

    tr_read(fa_primary, &st);
    memset(bs, 0, sizeof(*bs));
    bs->swap_type = st.swap_type;
    if (bs->swap_type == TR_SWAP_NONE) {
        bs->swap_type = TR_SWAP_TEST; /* cannot happen with our writer: swap_info precedes
                                         the magic; the conservative reading needs a confirm */
        bs->inconsistent = 1;
    }
    bs->swap_size = st.swap_size;
    bs->sectors = swapmove_sectors(st.swap_size == 0xFFFFFFFFu ? 0u : st.swap_size);
    if (st.swap_size == 0xFFFFFFFFu || bs->sectors > max) {
        bs->sectors = max;
        bs->inconsistent = 1;
    }
    /* Highest written record among the positions this swap uses (3L of the 3 * MAX). */
    for (rec = 0; rec < 3u * bs->sectors; rec++) {
        if (sflash_unit_state(fa_primary, record_off(bs, rec)) != 1) {
            highest = (int)rec;
        }
    }
    for (rec = 0; highest >= 0 && rec < (uint32_t)highest; rec++) {
        if (sflash_unit_state(fa_primary, record_off(bs, rec)) == 1) {
            holes++;
        }
    }
    /* Records outside the used positions mean a foreign or corrupt status area. */
    for (rec = 0; rec < 3u * SWAP_MAX_IMG_SECTORS; rec++) {
        uint32_t used = rec < bs->sectors ||
                        (rec >= SWAP_MAX_IMG_SECTORS && rec < SWAP_MAX_IMG_SECTORS + 2u * bs->sectors);
        if (!used && sflash_unit_state(fa_primary, tr_status_off(fa_primary) +
                                                       rec * SWAP_WRITE_ALIGN) != 1) {
            bs->inconsistent = 1;
        }
    }
    if (holes != 0u) {
        bs->inconsistent = 1;
    }
    bs->next_step = (uint32_t)(highest + 1);
}

/* Write the status record of a completed step (byte 0 = MCUboot's state: 1, or 2 for the
 * second half of a swap step). */
static int write_record(const swap_status_t *bs, uint32_t step)
{
    uint8_t *b = (uint8_t *)sm_buf;

    if (SWAP_HOOK_SKIP_STATUS_RECORD()) {
        return SF_OK; /* MUTATION (d): progress is never recorded */
    }
    memset(b, sflash_geom()->erased_value, SWAP_WRITE_ALIGN);
    b[0] = (step >= bs->sectors && (step - bs->sectors) % 2u == 1u) ? 0x02u : 0x01u;
    return sflash_program(fa_primary, record_off(bs, step), sm_buf, SWAP_WRITE_ALIGN);
}

/* 1 if every byte of buf[0, n) holds the erased value. */
static int all_erased(const uint8_t *buf, uint32_t n)
{
    uint32_t i;
    for (i = 0; i < n; i++) {
        if (buf[i] != sflash_geom()->erased_value) {
            return 0;
        }
    }
    return 1;
}

/*
 * Erase the destination sector, then copy the source sector into it. Units the source holds
 * erased are left erased (not programmed with the erased value: on the LPC55S69 a CPU read
 * of an erased page faults, so "erased" must stay "erased" and "programmed" stay
 * "programmed"); units the source cannot read (torn, beyond any image) are left erased.
 */
static int copy_sector(const struct flash_area *src, uint32_t src_off,
                       const struct flash_area *dst, uint32_t dst_off)
{
    uint32_t unit = SWAP_WRITE_ALIGN;
    uint32_t off;
    int rc;

    rc = sflash_erase(dst, dst_off, SWAP_SECTOR_SIZE, 0);
    if (rc != SF_OK) {
        return rc;
    }
    for (off = 0; off < SWAP_SECTOR_SIZE; off += sizeof(sm_buf)) {
        const uint8_t *b = (const uint8_t *)sm_buf;
        uint32_t u;
        int erased = 0;
        int rrc = sflash_read(src, src_off + off, sm_buf, sizeof(sm_buf), &erased);
        for (u = 0; u < sizeof(sm_buf); u += unit) {
            if (rrc != SF_OK || erased) {
                /* per unit: find what can be read and what is erased */
                int e1 = 0;
                if (sflash_read(src, src_off + off + u, sm_buf, unit, &e1) != SF_OK || e1) {
                    continue;
                }
                rc = sflash_program(dst, dst_off + off + u, sm_buf, unit);
                /* sm_buf now holds only this unit: re-read the rest unit by unit */
            } else if (!sflash_geom()->blank_check && all_erased(b + u, unit)) {
                continue;
            } else {
                rc = sflash_program(dst, dst_off + off + u, b + u, unit);
            }
            if (rc != SF_OK) {
                return rc;
            }
        }
    }
    return SF_OK;
}

/* Run one step (erase + copy unless the planted bug skips the data). */
static int run_step(const swap_status_t *bs, uint32_t step)
{
    uint32_t s = SWAP_SECTOR_SIZE;

    if (SWAP_HOOK_SKIP_SWAP_DATA()) {
        return SF_OK; /* MUTATION (a): say it, do not do it */
    }
    if (step < bs->sectors) {
        uint32_t j = bs->sectors - 1u - step;
        return copy_sector(fa_primary, j * s, fa_primary, (j + 1u) * s);
    }
    step -= bs->sectors;
    if (step % 2u == 0u) {
        return copy_sector(fa_secondary, (step / 2u) * s, fa_primary, (step / 2u) * s);
    }
    return copy_sector(fa_primary, (step / 2u + 1u) * s, fa_secondary, (step / 2u) * s);
}

int swapmove_start(uint8_t swap_type, uint32_t swap_size, swap_status_t *bs)
{
    tr_state_t sec;
    int rc;

    memset(bs, 0, sizeof(*bs));
    bs->swap_type = swap_type;
    bs->swap_size = swap_size;
    bs->sectors = swapmove_sectors(swap_size);

    if (swap_type == TR_SWAP_REVERT) {
        tr_read(fa_secondary, &sec);
        if (sec.magic != TR_MAGIC_GOOD || sec.image_ok != TR_FLAG_SET ||
            sec.swap_type != TR_SWAP_REVERT) {
            rc = tr_erase(fa_secondary, SWAP_SECTOR_SIZE);
            if (rc == SF_OK) {
                rc = tr_write_swap_size(fa_secondary, swap_size);
            }
            if (rc == SF_OK) {
                rc = tr_write_swap_info(fa_secondary, TR_SWAP_REVERT, 0u);
            }
            if (rc == SF_OK) {
                rc = tr_write_image_ok(fa_secondary);
            }
            if (rc == SF_OK) {
                rc = tr_write_magic(fa_secondary);
            }
            if (rc != SF_OK) {
                return SWAPMOVE_ERR_FLASH;
            }
        }
    }
    rc = tr_erase(fa_primary, SWAP_SECTOR_SIZE);
    if (rc == SF_OK) {
        rc = tr_write_swap_size(fa_primary, swap_size);
    }
    if (rc == SF_OK) {
        rc = tr_write_swap_info(fa_primary, swap_type, 0u);
    }
    if (rc == SF_OK && swap_type != TR_SWAP_TEST) {
        rc = tr_write_image_ok(fa_primary);
    }
    if (rc == SF_OK) {
        rc = tr_write_magic(fa_primary);
    }
    return rc == SF_OK ? SWAPMOVE_OK : SWAPMOVE_ERR_FLASH;
}

int swapmove_run(swap_status_t *bs)
{
    uint32_t steps = 3u * bs->sectors;
    uint32_t step;
    int rc;

    if (bs->next_step == 0u) {
        rc = tr_erase(fa_secondary, SWAP_SECTOR_SIZE);
        if (rc != SF_OK) {
            return SWAPMOVE_ERR_FLASH;
        }
    }
    for (step = bs->next_step; step < steps; step++) {
        rc = run_step(bs, step);
        if (rc == SF_OK) {
            rc = write_record(bs, step);
        }
        if (rc != SF_OK) {
            return SWAPMOVE_ERR_FLASH;
        }
        bs->next_step = step + 1u;
    }
    return tr_write_copy_done(fa_primary) == SF_OK ? SWAPMOVE_OK : SWAPMOVE_ERR_FLASH;
}
