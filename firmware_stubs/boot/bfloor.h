/*
 * bfloor.h - the bootloader's half of the staged floor bump (docs/contract-meta.md §3-§4).
 *
 * The app confirms a new image in one metadata commit (CONFIRMED + active, floor_next = its
 * build) and raises the floor in a second one. A power cut (or a gated write) between the two
 * leaves the bump staged; the bootloader completes it at the next boot that finds the active
 * (CONFIRMED) slot's image verified and matching the record: PHASE name=floor_bump (src boot),
 * then the commit floor = floor_next. Nothing else ever raises the floor at boot (adoption
 * stages no bump), so the floor never rises for an image that is not the verified CONFIRMED
 * one.
 */
#ifndef OTA_BOOT_BFLOOR_H
#define OTA_BOOT_BFLOOR_H

#include "bootsel.h"
#include "meta.h"

/*
 * bfloor_complete - reload the record through `ctx` (after this boot's decision commits) and,
 * when bootsel_floor_due(in, record): PHASE name=floor_bump, commit bootsel_floor_bump. A
 * failed commit is reported as META_COMMIT result=fail rc=<erase|program|verify|record>; the
 * bump stays staged for the next boot.
 * Returns: 1 (committed), 0 (nothing due), or the negative META_ERR_* of the failed commit.
 */
int bfloor_complete(meta_ctx_t *ctx, const bs_input_t *in);

#endif /* OTA_BOOT_BFLOOR_H */
