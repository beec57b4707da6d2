/*
 * rescue.h - the bootloader's rescue mode (contracts §8 "Rescue"; ota-requirements §1).
 *
 * Entered by the strap pin, the console line "rescue" in the first 20 ms after reset, or when
 * nothing is bootable. Rescue runs the SMP server (core/smp_server.h, serial framing on the
 * console UART) with the same updater as the application (core/updater.h), so every gate of
 * the normal path holds: signature, key policy with revocation, hardware ID, floor
 * (max(anchor, metadata)). The image goes to the slot that is not CONFIRMED (A when there is
 * no usable metadata) and becomes PENDING; the SMP OS reset request resets the chip and the
 * bootloader boots it as a trial.
 *
 * Events (src=rescue from here on, seq continues): RESCUE_READY slot=A|B (the target slot;
 * sign the package for it), then the updater's (SLOT_TRANSITION, CHUNK, VERIFY_SIG,
 * PARSE_MANIFEST, WRITE_GATED). Console lines in rescue: "ping" -> PONG, "reset" ->
 * RESET_REQ kind=software + reset, "evidence" -> the flash ring replayed as text lines
 * ("evr <ring seq> <kind> <src> <v0> ..", bev.h) then EVRING records=N guaranteed=N.
 * The watchdog runs (RESCUE_WDT_MS) and is fed by the loop and between flash/hash steps.
 *
 * Planted bug MUT_RESCUE_NO_GATES (core/mut_hooks.h RESCUE_INSTALL_REFUSED, item 5; never in
 * normal builds): an upload the updater refused in rescue is installed anyway (PENDING).
 */
#ifndef OTA_BOOT_RESCUE_H
#define OTA_BOOT_RESCUE_H

#include <stdint.h>

#include "keyring.h"
#include "meta.h"

typedef struct {
    meta_ctx_t *meta;          /* bound to meta_a / meta_b */
    int meta_usable;           /* rec is a valid committed record */
    meta_record_t rec;         /* the winning record (defaults when not usable) */
    const keyring_t *keyring;  /* parsed trust anchor (empty when invalid) */
    uint8_t cause;             /* bs_rescue_cause_t */
    uint8_t target_slot;       /* META_SLOT_A / META_SLOT_B */
} rescue_env_t;

/* rescue_cause_name - the contracts §8 cause names: "strap", "uart", "no_bootable".
 * Returns a static string ("unknown" for other values). */
const char *rescue_cause_name(uint8_t cause);

/* rescue_run - rescue mode; never returns (leaves by a reset). */
void rescue_run(const rescue_env_t *env) __attribute__((noreturn));

#endif /* OTA_BOOT_RESCUE_H */
