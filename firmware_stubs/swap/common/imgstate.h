/*
 * imgstate.h - the application side of the MCUboot trailers: mark the secondary image for a
 * test or permanent swap, confirm the running image, and the per-slot flags MCUmgr's image
 * state read reports (Zephyr img_mgmt semantics). docs/contract-swap.md §2, §10.
 * Used by the application (SMP and console), by serial recovery and by the host tests.
 */
#ifndef SWAP_IMGSTATE_H
#define SWAP_IMGSTATE_H

#include <stdint.h>

#include "swapimg.h"

#define IMGST_OK           0
#define IMGST_ERR_NO_IMAGE (-1) /* no image (bad magic / structure) in the slot */
#define IMGST_ERR_HASH     (-2) /* the slot's bytes do not match the image's SHA256 TLV */
#define IMGST_ERR_STATE    (-3) /* not allowed now (e.g. the trailer magic is bad) */
#define IMGST_ERR_FLASH    (-4) /* a flash write failed (gated / controller error) */

/* Flags of one slot, as MCUmgr image state read reports them. */
#define IMGST_F_BOOTABLE  0x01u
#define IMGST_F_PENDING   0x02u
#define IMGST_F_CONFIRMED 0x04u
#define IMGST_F_ACTIVE    0x08u
#define IMGST_F_PERMANENT 0x10u

/*
 * imgst_set_pending - request a swap of the secondary image at the next boot: parse it and
 * re-read it against its SHA256 TLV (integrity before any boot flag), then, unless already
 * requested, erase the secondary trailer and write swap_info (TEST, or PERM when permanent),
 * image_ok (permanent only) and finally the magic (a cut before the magic leaves no request).
 * Returns: IMGST_OK, IMGST_ERR_NO_IMAGE, IMGST_ERR_HASH, IMGST_ERR_FLASH.
 */
int imgst_set_pending(int permanent);

/*
 * imgst_confirm - confirm the running (primary) image: write image_ok when the primary magic
 * is good and image_ok unset; nothing to do when already confirmed or when the primary has no
 * trailer (a factory image is permanent).
 * Returns: IMGST_OK, IMGST_ERR_STATE (magic bad), IMGST_ERR_FLASH.
 */
int imgst_confirm(void);

/*
 * imgst_running_confirmed - whether the running image is confirmed (primary magic unset, or
 * image_ok set): the application feeds the watchdog only then, and accepts uploads only then
 * (the secondary slot holds the image a revert needs).
 * Returns: 1 or 0.
 */
int imgst_running_confirmed(void);

/*
 * imgst_slot - the image in slot 0 (primary) or 1 (secondary) and its MCUmgr flags.
 * Returns: IMGST_OK with *info and *flags filled, or IMGST_ERR_NO_IMAGE (no image there).
 */
int imgst_slot(uint32_t slot, swapimg_info_t *info, uint32_t *flags);

#endif /* SWAP_IMGSTATE_H */
