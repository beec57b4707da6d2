/*
 * trailer.c - MCUboot image trailer layout, decoding, writes and swap-type tables
 * (see trailer.h).
 */
#include "trailer.h"

#include <string.h>

#include "layout.h"

/* The 14 fixed bytes that follow the u16 alignment in the magic (BOOT_MAX_ALIGN != 8). */
static const uint8_t tr_magic_tail[14] = {0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
                                          0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a};

/* One write unit of scratch (the largest unit: LPC55S69 512-byte page). */
static uint32_t tr_unit[512u / 4u];

static uint32_t unit_size(void)
{
    return sflash_geom()->write_unit;
}

static uint32_t align_down(uint32_t v, uint32_t a)
{
    return v - v % a;
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1u) / a * a;
}

uint32_t tr_magic_off(const struct flash_area *fa)
{
    return fa->fa_size - TR_MAGIC_SZ;
}

uint32_t tr_image_ok_off(const struct flash_area *fa)
{
    return align_down(tr_magic_off(fa) - unit_size(), unit_size());
}

uint32_t tr_copy_done_off(const struct flash_area *fa)
{
    return tr_image_ok_off(fa) - unit_size();
}

uint32_t tr_swap_info_off(const struct flash_area *fa)
{
    return tr_copy_done_off(fa) - unit_size();
}

uint32_t tr_swap_size_off(const struct flash_area *fa)
{
    return tr_swap_info_off(fa) - unit_size();
}

uint32_t tr_status_off(const struct flash_area *fa)
{
    return tr_swap_size_off(fa) - 3u * SWAP_MAX_IMG_SECTORS * unit_size();
}

uint32_t tr_trailer_size(void)
{
    return 3u * SWAP_MAX_IMG_SECTORS * unit_size() + 4u * unit_size() +
           align_up(TR_MAGIC_SZ, unit_size());
}

uint32_t tr_first_trailer_sector_off(const struct flash_area *fa, uint32_t sector_size)
{
    return align_down(fa->fa_size - tr_trailer_size(), sector_size);
}

/* Fill tr_unit with the expected magic unit (erased value, then the 16 magic bytes). */
static void magic_unit(void)
{
    uint8_t *b = (uint8_t *)tr_unit;
    uint32_t a = unit_size();

    memset(b, sflash_geom()->erased_value, a);
    b[a - TR_MAGIC_SZ] = (uint8_t)(a & 0xFFu);
    b[a - TR_MAGIC_SZ + 1u] = (uint8_t)(a >> 8);
    memcpy(b + a - TR_MAGIC_SZ + 2u, tr_magic_tail, sizeof(tr_magic_tail));
}

/* Read one unit into tr_unit. Returns 1 erased, 0 readable content, -1 unreadable. */
static int read_unit(const struct flash_area *fa, uint32_t off)
{
    const uint8_t *b = (const uint8_t *)tr_unit;
    int state = sflash_unit_state(fa, off);
    uint32_t i;

    if (state < 0) {
        return -1;
    }
    if (state == 1) {
        return 1;
    }
    if (sflash_read(fa, off, tr_unit, unit_size(), NULL) != SF_OK) {
        return -1;
    }
    for (i = 0; i < unit_size(); i++) {
        if (b[i] != sflash_geom()->erased_value) {
            return 0;
        }
    }
    return 0; /* programmed cells that hold the erased value (blank-check chips) */
}

static uint8_t read_flag(const struct flash_area *fa, uint32_t off)
{
    int r = read_unit(fa, off);

    if (r == 1) {
        return TR_FLAG_UNSET;
    }
    if (r == 0 && ((const uint8_t *)tr_unit)[0] == 0x01u) {
        return TR_FLAG_SET;
    }
    return TR_FLAG_BAD;
}

void tr_read(const struct flash_area *fa, tr_state_t *st)
{
    uint32_t moff = align_down(tr_magic_off(fa), unit_size());
    static uint32_t expect[512u / 4u];
    const uint8_t *b = (const uint8_t *)tr_unit;
    int r;

    magic_unit();
    memcpy(expect, tr_unit, unit_size());
    r = read_unit(fa, moff);
    if (r == 1) {
        st->magic = TR_MAGIC_UNSET;
    } else if (r == 0 && memcmp(b + unit_size() - TR_MAGIC_SZ,
                                (const uint8_t *)expect + unit_size() - TR_MAGIC_SZ,
                                TR_MAGIC_SZ) == 0) {
        st->magic = TR_MAGIC_GOOD;
    } else {
        st->magic = TR_MAGIC_BAD;
    }

    r = read_unit(fa, tr_swap_info_off(fa));
    st->swap_type = TR_SWAP_NONE;
    st->image_num = 0;
    if (r == 0 && (b[0] & 0x0Fu) >= TR_SWAP_TEST && (b[0] & 0x0Fu) <= TR_SWAP_REVERT) {
        st->swap_type = (uint8_t)(b[0] & 0x0Fu);
        st->image_num = (uint8_t)(b[0] >> 4);
    }

    r = read_unit(fa, tr_swap_size_off(fa));
    st->swap_size = 0xFFFFFFFFu;
    if (r == 0) {
        st->swap_size = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                        (uint32_t)b[3] << 24;
    }

    st->copy_done = read_flag(fa, tr_copy_done_off(fa));
    st->image_ok = read_flag(fa, tr_image_ok_off(fa));
}

/* Program one unit at off holding `len` bytes of `val` then the erased value. */
static int write_field(const struct flash_area *fa, uint32_t off, const uint8_t *val,
                       uint32_t len)
{
    uint8_t *b = (uint8_t *)tr_unit;

    memset(b, sflash_geom()->erased_value, unit_size());
    memcpy(b, val, len);
    return sflash_program(fa, off, tr_unit, unit_size());
}

int tr_write_magic(const struct flash_area *fa)
{
    magic_unit();
    return sflash_program(fa, align_down(tr_magic_off(fa), unit_size()), tr_unit, unit_size());
}

int tr_write_image_ok(const struct flash_area *fa)
{
    static const uint8_t one = 0x01u;
    return write_field(fa, tr_image_ok_off(fa), &one, 1u);
}

int tr_write_copy_done(const struct flash_area *fa)
{
    static const uint8_t one = 0x01u;
    return write_field(fa, tr_copy_done_off(fa), &one, 1u);
}

int tr_write_swap_info(const struct flash_area *fa, uint8_t swap_type, uint8_t image_num)
{
    uint8_t v = (uint8_t)((swap_type & 0x0Fu) | (uint8_t)(image_num << 4));
    return write_field(fa, tr_swap_info_off(fa), &v, 1u);
}

int tr_write_swap_size(const struct flash_area *fa, uint32_t swap_size)
{
    uint8_t v[4];

    v[0] = (uint8_t)swap_size;
    v[1] = (uint8_t)(swap_size >> 8);
    v[2] = (uint8_t)(swap_size >> 16);
    v[3] = (uint8_t)(swap_size >> 24);
    return write_field(fa, tr_swap_size_off(fa), v, 4u);
}

int tr_erase(const struct flash_area *fa, uint32_t sector_size)
{
    uint32_t first = tr_first_trailer_sector_off(fa, sector_size);
    uint32_t moff = align_down(tr_magic_off(fa), unit_size());
    const sflash_geom_t *g = sflash_geom();

    /* Where the magic shares its erase page with other fields (STM32U585), an interrupted
     * page erase could leave the magic intact over garbled fields: zero it first (allowed
     * over written cells there), so that it can never read GOOD again. Where each field has
     * its own page (LPC55S69), the descending erase below removes the magic's page first. */
    if (g->page_size > g->write_unit && g->zero_overwrite && sflash_unit_state(fa, moff) != 1) {
        int rc;
        memset(tr_unit, 0, unit_size());
        rc = sflash_program(fa, moff, tr_unit, unit_size());
        if (rc != SF_OK) {
            return rc;
        }
    }
    return sflash_erase(fa, first, fa->fa_size - first, 1);
}

uint8_t tr_swap_type(const tr_state_t *primary, const tr_state_t *secondary)
{
    if (secondary->magic == TR_MAGIC_GOOD) {
        /* A request is permanent only when its image_ok reads exactly SET: every writer
         * completes image_ok before the magic, so a BAD one under a good magic was garbled by
         * an interrupted erase of the trailer that left the magic intact; a test swap (which
         * the image must confirm) is the safe reading. */
        if (secondary->image_ok != TR_FLAG_SET) {
            return TR_SWAP_TEST;
        }
        /* a revert whose primary status was not written yet (swapmove_start's first step) */
        return secondary->swap_type == TR_SWAP_REVERT ? TR_SWAP_REVERT : TR_SWAP_PERM;
    }
    if (primary->magic == TR_MAGIC_GOOD && primary->image_ok == TR_FLAG_UNSET &&
        tr_flag_is_set(primary->copy_done)) {
        return TR_SWAP_REVERT;
    }
    return TR_SWAP_NONE;
}

int tr_swap_in_progress(const tr_state_t *primary, const tr_state_t *secondary)
{
    return primary->magic == TR_MAGIC_GOOD && primary->copy_done == TR_FLAG_UNSET &&
           secondary->magic != TR_MAGIC_GOOD;
}

const char *tr_magic_name(uint8_t magic)
{
    return magic == TR_MAGIC_GOOD ? "good" : magic == TR_MAGIC_UNSET ? "unset" : "bad";
}

const char *tr_flag_name(uint8_t flag)
{
    return flag == TR_FLAG_SET ? "set" : flag == TR_FLAG_UNSET ? "unset" : "bad";
}

const char *tr_swap_name(uint8_t swap_type)
{
    switch (swap_type) {
    case TR_SWAP_NONE:   return "none";
    case TR_SWAP_TEST:   return "test";
    case TR_SWAP_PERM:   return "perm";
    case TR_SWAP_REVERT: return "revert";
    case TR_SWAP_FAIL:   return "fail";
    default:             return "unknown";
    }
}
