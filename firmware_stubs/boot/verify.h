/*
 * verify.h - the bootloader's trust anchor and slot verification (contracts §7, §8;
 * docs/contract-meta.md §6).
 *
 * Events: ANCHOR (bverify_load_anchor); per verified slot SLOT_CHECK slot=A|B
 * state=empty|present, then for a present image its §7 events (PARSE_MANIFEST on a
 * step-1/2 failure; else VERIFY_SIG, then PARSE_MANIFEST if the signature verified). A slot
 * the boot decision does not need (boot/bootplan.h) is never passed here and emits nothing.
 *
 * One read pass per slot: img_verify streams the signed region once and computes the whole
 * SHA-256 and the chunk-map hashes together (core/image.h); img_check_policy then only
 * compares.
 */
#ifndef OTA_BOOT_VERIFY_H
#define OTA_BOOT_VERIFY_H

#include <stdint.h>

#include "bootsel.h"
#include "image.h"
#include "keyring.h"

/*
 * bverify_load_anchor - read and validate the trust anchor (keys area) and emit ANCHOR. An
 * invalid anchor leaves an empty keyring (every key KEY_UNKNOWN).
 * Returns: KR_OK or a KR_ERR_* code (KR_ERR_READ when the flash read failed).
 */
int bverify_load_anchor(void);

/* bverify_keyring - the parsed trust anchor (empty until loaded / when invalid).
 * Returns a pointer to the bootloader's keyring (never NULL). */
const keyring_t *bverify_keyring(void);

/*
 * bverify_slot - verify one slot and emit SLOT_CHECK + the §7 events. Policy: anchor
 * hw_compat, the slot's own index as TARGET_SLOT, image type 1, `floor` (the effective floor)
 * for the event. The result stored in *out (for bootsel_decide) ignores the floor: bootsel
 * applies the floors itself, so that a below-floor image is classified below-floor, not
 * invalid.
 * Returns: the img_result_t of the check with the floor (IMG_OK: bootable as far as the
 *   image goes); IMG_BAD_MAGIC for an empty slot.
 */
img_result_t bverify_slot(uint8_t slot, uint32_t floor, bs_image_t *out);

/* bverify_slot_addr - start address of slot 0 (A) / 1 (B). Returns the address. */
uint32_t bverify_slot_addr(uint8_t slot);

#endif /* OTA_BOOT_VERIFY_H */
