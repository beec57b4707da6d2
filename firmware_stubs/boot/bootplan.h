/*
 * bootplan.h - lazy slot verification for the boot decision (docs/contract-meta.md §3, §6).
 *
 * bootsel_decide() reads a slot's verification result (bs_input_t.image[s]) only in some
 * rows of the decision table, so the bootloader verifies a slot only when the decision
 * depends on it. Pure functions of the decision input: no flash, no globals, host-testable
 * (tests/boot/test_lazy_verify.py proves lazy == eager over every input combination).
 *
 * With o = the non-active slot, a = the active slot (metadata usable, mv = 1):
 *
 * | metadata says                                  | needed (in this order)   | rows      |
 * |------------------------------------------------|--------------------------|-----------|
 * | mv = 0 (both copies invalid / bad record)      | A, B (cand)              | R2, R3    |
 * | o neither PENDING nor next                     | a (cok)                  | R5, R8    |
 * | o PENDING xor next, or attempts[o] >= N        | A, B (ROLLBACK reports   | R6, R7    |
 * |                                                | o's build; cok)          |           |
 * | o PENDING and next, attempts[o] < N            | o; then a only when o is | R4 / R6,  |
 * |                                                | not READY (cok)          | R7        |
 *
 * A rescue request (R1) does not change the plan (the bootloader enters rescue before it
 * verifies anything; the plan keeps bootsel_decide's pending class exact anyway).
 *
 * R4 (trial) does not read cok, except for its fallback (fb_action/fb_slot) when the
 * attempt commit fails: bootplan_active_next() names the active slot then, and the
 * caller decides again with it verified. Any other reader of image[active] outside
 * bootsel_decide (e.g. bootsel_floor_due() for a staged floor bump) needs the same: call
 * bootplan_active_next() and verify what it names first.
 *
 * A slot not verified keeps image[s] = {valid 0, build 0, image_id 0}; the decision never
 * reads it (that is what the table above guarantees).
 */
#ifndef OTA_BOOT_BOOTPLAN_H
#define OTA_BOOT_BOOTPLAN_H

#include <stdint.h>

#include "bootsel.h"

#define BOOTPLAN_DONE 0xFFu /* no further slot is needed */

/* Bit of slot s in a `known` mask. */
#define BOOTPLAN_BIT(s) ((uint8_t)(1u << (s)))

/*
 * bootplan_next - the next slot whose verification bootsel_decide(in) depends on.
 *   in: the decision input; image[s] is meaningful only for slots in `known`.
 *   known: bit s (BOOTPLAN_BIT) set = image[s] holds slot s's verification result.
 * Returns: META_SLOT_A / META_SLOT_B (verify it, set its bit, call again) or BOOTPLAN_DONE
 *   (bootsel_decide(in) now gives the same action, slot, build, commits, record, row,
 *   pending class and events as with both slots verified). BOOTPLAN_DONE for NULL `in`.
 */
uint8_t bootplan_next(const bs_input_t *in, uint8_t known);

/*
 * bootplan_active_next - the slot a reader of the active slot's result still needs: the
 * fallback of a trial (R4) decision whose attempt commit failed (fb_action / fb_slot depend
 * on cok), or any other use of image[active] beyond bootsel_decide.
 * Returns: the active slot if it is not in `known`, else BOOTPLAN_DONE (also when the
 *   metadata is not usable or `in` is NULL).
 */
uint8_t bootplan_active_next(const bs_input_t *in, uint8_t known);

#endif /* OTA_BOOT_BOOTPLAN_H */
