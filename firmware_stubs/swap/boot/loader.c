/*
 * loader.c - the boot decision of the swap bootloader (loader.h). Every line it prints is
 * listed in docs/contract-swap.md §5.
 */
#include "loader.h"

#include <string.h>

#include "flash_map.h"
#include "layout.h"
#include "nvcnt.h"
#include "slog.h"
#include "swap_hooks.h"
#include "swapmove.h"
#include "trailer.h"

/* Bytes of a slot an image may occupy: up to the slot's first trailer sector. */
static uint32_t image_limit(const struct flash_area *fa)
{
    return tr_first_trailer_sector_off(fa, SWAP_SECTOR_SIZE);
}

static void log_state(const char *area, const tr_state_t *st)
{
    BLOG_INF("%s: magic=%s, swap_type=0x%x, copy_done=0x%x, image_ok=0x%x", area,
             tr_magic_name(st->magic), st->swap_type, st->copy_done, st->image_ok);
}

static void log_version(const char *slot, const swapimg_info_t *in)
{
    BLOG_INF("%-9s slot: version=%u.%u.%u+%u", slot, in->ver_major, in->ver_minor,
             in->ver_revision, (unsigned)in->ver_build);
}

static void log_flash_failure(void)
{
    int brc = 0;
    uint32_t addr = 0;
    int code = sflash_last_error(&brc, &addr);

    BLOG_ERR("Swap stopped: flash %s error %d at 0x%08x", sflash_err_name(code), brc,
             (unsigned)addr);
}

/* Erase the whole secondary slot, trailer first (the request disappears before the data). */
static void erase_secondary(void)
{
    uint32_t first = image_limit(fa_secondary);

    BLOG_ERR("Erasing image from secondary slot");
    if (tr_erase(fa_secondary, SWAP_SECTOR_SIZE) != SF_OK ||
        sflash_erase(fa_secondary, 0u, first, 0) != SF_OK) {
        BLOG_ERR("Erase of the secondary slot failed");
    }
}

/*
 * Check the secondary image of a TEST / PERM request. Returns 1 to swap, 0 when refused
 * (reason logged). *sec gets its info, *pri the primary's (pri_ok: whether it parsed).
 */
static int upgrade_allowed(uint32_t counter, swapimg_info_t *sec, swapimg_info_t *pri,
                           int *pri_ok)
{
    swapimg_result_t r = swapimg_validate(fa_secondary, image_limit(fa_secondary), sec);

    *pri_ok = swapimg_parse(fa_primary, image_limit(fa_primary), pri) == SWAPIMG_OK;
    if (*pri_ok) {
        log_version("Primary", pri);
    }
    if (r != SWAPIMG_OK) {
        BLOG_ERR("Image 0 secondary slot: %s", swapimg_result_name(r));
        return 0;
    }
    log_version("Secondary", sec);
    if (sec->sec_cnt < counter && !SWAP_HOOK_SKIP_SEC_CNT_CHECK()) {
        BLOG_ERR("Image security counter value %u lower than monotonic value %u",
                 (unsigned)sec->sec_cnt, (unsigned)counter);
        return 0;
    }
    if (*pri_ok && swapimg_version_cmp(sec, pri) <= 0 && !SWAP_HOOK_SKIP_DOWNGRADE_CHECK()) {
        BLOG_ERR("Insufficient version in secondary slot");
        return 0;
    }
    return 1;
}

int boot_check_candidate(void)
{
    swapimg_info_t sec;
    swapimg_info_t pri;
    uint32_t counter = 0;
    int pri_ok;

    nvcnt_read(fa_sec_cnt, &counter, NULL);
    return upgrade_allowed(counter, &sec, &pri, &pri_ok) ? 0 : -1;
}

/* Run a swap from *bs (new or resumed). Returns BOOT_OK or BOOT_EFLASH. */
static int run_swap(swap_status_t *bs)
{
    if (swapmove_run(bs) != SWAPMOVE_OK) {
        log_flash_failure();
        return BOOT_EFLASH;
    }
    BLOG_INF("Swap complete: %u sectors", (unsigned)bs->sectors);
    return BOOT_OK;
}

/* Decide and perform a new swap. Returns BOOT_OK (swapped or nothing to do) or BOOT_EFLASH.
 * *type is set to the swap performed (NONE when refused). */
static int new_swap(uint32_t counter, uint8_t *type)
{
    swapimg_info_t sec;
    swapimg_info_t pri;
    swap_status_t bs;
    uint32_t size;
    int pri_ok;

    if (*type == TR_SWAP_REVERT) {
        swapimg_result_t r = swapimg_validate(fa_secondary, image_limit(fa_secondary), &sec);
        pri_ok = swapimg_parse(fa_primary, image_limit(fa_primary), &pri) == SWAPIMG_OK;
        if (r != SWAPIMG_OK) {
            BLOG_ERR("Image 0 secondary slot: %s", swapimg_result_name(r));
            BLOG_ERR("Image in the secondary slot is not valid!");
            *type = TR_SWAP_NONE; /* nothing to revert to: keep the primary as it is */
            return BOOT_OK;
        }
    } else if (!upgrade_allowed(counter, &sec, &pri, &pri_ok)) {
        BLOG_ERR("Image in the secondary slot is not valid!");
        erase_secondary();
        *type = TR_SWAP_NONE;
        return BOOT_OK;
    }
    size = sec.image_end;
    if (pri_ok && pri.image_end > size) {
        size = pri.image_end;
    }
    if (swapmove_sectors(size) > swapmove_max_sectors()) {
        BLOG_WRN("Not enough free space to run swap upgrade");
        *type = TR_SWAP_NONE;
        return BOOT_OK;
    }
    BLOG_INF("Starting swap using move algorithm.");
    if (*type == TR_SWAP_REVERT) {
        BLOG_INF("Image 0 revert secondary slot -> primary slot");
    } else {
        BLOG_INF("Image 0 upgrade secondary slot -> primary slot");
    }
    if (swapmove_start(*type, size, &bs) != SWAPMOVE_OK) {
        log_flash_failure();
        return BOOT_EFLASH;
    }
    return run_swap(&bs);
}

int boot_go(boot_rsp_t *rsp)
{
    tr_state_t pst;
    tr_state_t sst;
    uint32_t counter = 0;
    uint8_t type;
    swapimg_result_t r;
    int bootable = 0;
    int rc;

    memset(rsp, 0, sizeof(*rsp));
    rsp->swap_type = TR_SWAP_NONE;
    nvcnt_read(fa_sec_cnt, &counter, NULL);

    tr_read(fa_primary, &pst);
    tr_read(fa_secondary, &sst);
    log_state("Primary image", &pst);
    log_state("Secondary image", &sst);

    if (tr_swap_in_progress(&pst, &sst)) {
        swap_status_t bs;
        BLOG_INF("Boot source: primary slot");
        swapmove_status_read(&bs);
        if (bs.inconsistent) {
            BLOG_ERR("Detected inconsistent status!");
        }
        BLOG_INF("Resuming interrupted swap: type=%s, step %u of %u", tr_swap_name(bs.swap_type),
                 (unsigned)bs.next_step, (unsigned)(3u * bs.sectors));
        rc = run_swap(&bs);
        if (rc != BOOT_OK) {
            return rc;
        }
        rsp->resumed = 1;
        rsp->swap_type = bs.swap_type;
        tr_read(fa_primary, &pst);
        tr_read(fa_secondary, &sst);
    } else {
        BLOG_INF("Boot source: none");
    }

    if (rsp->resumed) {
        /* A completed resumed swap is this boot's swap (MCUboot: the resumed type, no new
         * table lookup, so a resumed test swap gets its test boot). */
        BLOG_INF("Image index: 0, Swap type: %s", tr_swap_name(rsp->swap_type));
    } else {
        type = tr_swap_type(&pst, &sst);
        if (type == TR_SWAP_REVERT && SWAP_HOOK_IGNORE_REVERT()) {
            type = TR_SWAP_NONE; /* MUTATION (c): an unconfirmed image is never reverted */
        }
        BLOG_INF("Image index: 0, Swap type: %s", tr_swap_name(type));
        if (type != TR_SWAP_NONE) {
            rc = new_swap(counter, &type);
            if (rc != BOOT_OK) {
                return rc;
            }
            rsp->swap_type = type;
            tr_read(fa_primary, &pst);
        }
    }

    r = swapimg_validate(fa_primary, image_limit(fa_primary), &rsp->image);
    if (r != SWAPIMG_OK) {
        BLOG_ERR("Image 0 primary slot: %s", swapimg_result_name(r));
    } else if (rsp->image.sec_cnt < counter && !SWAP_HOOK_SKIP_SEC_CNT_CHECK()) {
        BLOG_ERR("Image security counter value %u lower than monotonic value %u",
                 (unsigned)rsp->image.sec_cnt, (unsigned)counter);
    } else {
        bootable = 1;
    }
    if (!bootable) {
        BLOG_ERR("Image in the primary slot is not valid!");
        BLOG_ERR("Unable to find bootable image");
        return BOOT_ENOIMAGE;
    }

    /* A confirmed image (factory image without a trailer, or image_ok set) raises the floor. */
    if ((pst.magic == TR_MAGIC_UNSET || tr_flag_is_set(pst.image_ok)) &&
        rsp->image.sec_cnt > counter) {
        rc = nvcnt_raise(fa_sec_cnt, rsp->image.sec_cnt);
        if (rc == NVCNT_OK) {
            BLOG_INF("Security counter raised to %u", (unsigned)rsp->image.sec_cnt);
        } else {
            BLOG_WRN("Security counter update failed (%d)", rc);
        }
    }

    rsp->image_off = fa_primary->fa_off;
    rsp->vtor = sflash_geom()->base + fa_primary->fa_off + rsp->image.hdr_size;
    BLOG_INF("Bootloader chainload address offset: 0x%x", (unsigned)rsp->image_off);
    return BOOT_OK;
}
