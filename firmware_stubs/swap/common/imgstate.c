/*
 * imgstate.c - test / permanent requests, confirm, and MCUmgr slot flags (imgstate.h).
 */
#include "imgstate.h"

#include "flash_map.h"
#include "layout.h"
#include "trailer.h"

static uint32_t limit_of(const struct flash_area *fa)
{
    return tr_first_trailer_sector_off(fa, SWAP_SECTOR_SIZE);
}

int imgst_set_pending(int permanent)
{
    swapimg_info_t info;
    tr_state_t st;
    int rc;

    if (swapimg_parse(fa_secondary, limit_of(fa_secondary), &info) != SWAPIMG_OK) {
        return IMGST_ERR_NO_IMAGE;
    }
    if (swapimg_check_hash(fa_secondary, &info) != SWAPIMG_OK) {
        return IMGST_ERR_HASH;
    }
    tr_read(fa_secondary, &st);
    if (st.magic == TR_MAGIC_GOOD) {
        return IMGST_OK; /* a swap is already requested (MCUboot boot_set_next) */
    }
    rc = tr_erase(fa_secondary, SWAP_SECTOR_SIZE);
    if (rc == SF_OK) {
        rc = tr_write_swap_info(fa_secondary, permanent ? TR_SWAP_PERM : TR_SWAP_TEST, 0u);
    }
    if (rc == SF_OK && permanent) {
        rc = tr_write_image_ok(fa_secondary);
    }
    if (rc == SF_OK) {
        rc = tr_write_magic(fa_secondary);
    }
    return rc == SF_OK ? IMGST_OK : IMGST_ERR_FLASH;
}

int imgst_confirm(void)
{
    tr_state_t st;

    tr_read(fa_primary, &st);
    if (st.magic == TR_MAGIC_UNSET || tr_flag_is_set(st.image_ok)) {
        return IMGST_OK;
    }
    if (st.magic != TR_MAGIC_GOOD) {
        return IMGST_ERR_STATE;
    }
    return tr_write_image_ok(fa_primary) == SF_OK ? IMGST_OK : IMGST_ERR_FLASH;
}

int imgst_running_confirmed(void)
{
    tr_state_t st;

    tr_read(fa_primary, &st);
    return st.magic == TR_MAGIC_UNSET || tr_flag_is_set(st.image_ok);
}

int imgst_slot(uint32_t slot, swapimg_info_t *info, uint32_t *flags)
{
    const struct flash_area *fa = slot == 0u ? fa_primary : fa_secondary;
    tr_state_t pst;
    tr_state_t sst;
    uint8_t type;
    uint32_t f = 0;

    *flags = 0;
    if (slot > 1u || swapimg_parse(fa, limit_of(fa), info) != SWAPIMG_OK) {
        return IMGST_ERR_NO_IMAGE;
    }
    tr_read(fa_primary, &pst);
    tr_read(fa_secondary, &sst);
    /* Zephyr img_mgmt_state_flags: the swap type the bootloader would act on next. */
    type = tr_swap_type(&pst, &sst);
    switch (type) {
    case TR_SWAP_NONE:
        f |= slot == 0u ? IMGST_F_CONFIRMED : 0u;
        break;
    case TR_SWAP_TEST:
        f |= slot == 0u ? IMGST_F_CONFIRMED : IMGST_F_PENDING;
        break;
    case TR_SWAP_PERM:
        f |= slot == 0u ? IMGST_F_CONFIRMED : (IMGST_F_PENDING | IMGST_F_PERMANENT);
        break;
    case TR_SWAP_REVERT:
        f |= slot == 0u ? 0u : IMGST_F_CONFIRMED;
        break;
    default:
        break;
    }
    if (slot == 0u) {
        f |= IMGST_F_ACTIVE;
    }
    f |= IMGST_F_BOOTABLE; /* swapimg_parse refuses NON_BOOTABLE images */
    *flags = f;
    return IMGST_OK;
}
