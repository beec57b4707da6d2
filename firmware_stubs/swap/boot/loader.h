/*
 * loader.h - what the swap bootloader decides and does at every boot (MCUboot's boot_go),
 * portable: the device's main.c and the host tests call the same code
 * (docs/contract-swap.md §3, §5).
 *
 *   1. read both trailers; an interrupted swap (status source: primary slot) is resumed
 *   2. swap type from the trailers (tr_swap_type)
 *   3. TEST / PERM: the secondary image must validate (signature, allowed key, not revoked),
 *      carry a security counter >= the monotonic counter, be newer than the primary image
 *      (downgrade prevention) and fit; else it is erased and nothing is swapped.
 *      REVERT: the secondary image must validate (signature), no freshness check.
 *      Then the swap (swapmove.h).
 *   4. the primary image must validate and its security counter be >= the monotonic counter,
 *      else nothing is bootable
 *   5. a confirmed primary image (trailer magic unset, or image_ok set) raises the monotonic
 *      counter to its security counter
 */
#ifndef SWAP_LOADER_H
#define SWAP_LOADER_H

#include <stdint.h>

#include "swapimg.h"

/* Return codes of boot_go. */
#define BOOT_OK        0   /* *rsp names the image to start */
#define BOOT_ENOIMAGE (-1) /* no bootable image ("Unable to find bootable image") */
#define BOOT_EFLASH   (-2) /* a flash operation of the swap failed (gated / controller error):
                              the swap stopped at a step boundary; reset and resume */

typedef struct {
    uint32_t image_off;   /* the primary area's offset from the flash base (chainload offset) */
    uint32_t vtor;        /* absolute address of the image's vector table */
    uint8_t swap_type;    /* the swap this boot performed (TR_SWAP_*; NONE if none) */
    int resumed;          /* 1 if an interrupted swap was completed */
    swapimg_info_t image; /* the primary image that validated */
} boot_rsp_t;

/*
 * boot_go - run steps 1..5.
 * Returns: BOOT_OK, BOOT_ENOIMAGE or BOOT_EFLASH (each logged on the console).
 */
int boot_go(boot_rsp_t *rsp);

/*
 * boot_check_candidate - step 3's checks of a TEST / PERM request on the image now in the
 * secondary slot (serial recovery uses them on an upload), logging the same lines.
 * Returns: 0 when it may be swapped in, -1 when refused.
 */
int boot_check_candidate(void);

#endif /* SWAP_LOADER_H */
