/*
 * bootplan.c - which slot verification the boot decision needs next (see bootplan.h).
 */
#include "bootplan.h"

#include <stddef.h>

/* The first of A, B not in `known`. Returns META_SLOT_A / META_SLOT_B or BOOTPLAN_DONE. */
static uint8_t first_unknown(uint8_t known)
{
    if ((known & BOOTPLAN_BIT(META_SLOT_A)) == 0u) {
        return META_SLOT_A;
    }
    if ((known & BOOTPLAN_BIT(META_SLOT_B)) == 0u) {
        return META_SLOT_B;
    }
    return BOOTPLAN_DONE;
}

/* `slot` if it is not in `known`, else BOOTPLAN_DONE. */
static uint8_t if_unknown(uint8_t slot, uint8_t known)
{
    return (known & BOOTPLAN_BIT(slot)) == 0u ? slot : BOOTPLAN_DONE;
}

/* mv of the decision table: the same test as bootsel_decide. Returns 1 or 0. */
static int usable(const bs_input_t *in)
{
    return in->meta_result != META_BOTH_INVALID && meta_record_check(&in->rec);
}

/* See bootplan.h. Returns a slot or BOOTPLAN_DONE. */
uint8_t bootplan_next(const bs_input_t *in, uint8_t known)
{
    uint8_t a;
    uint8_t o;
    int pend;
    int is_next;

    if (in == NULL) {
        return BOOTPLAN_DONE;
    }
    /* A rescue request (R1) is planned like no request: R1 boots nothing, but the decision
     * still reports the pending class (the bootloader enters rescue before verifying). */
    if (!usable(in)) {
        return first_unknown(known); /* R2/R3: cand is over both slots */
    }
    /* meta_record_check holds: active is A or B */
    a = in->rec.active;
    o = (uint8_t)(a ^ 1u);
    pend = in->rec.state[o] == (uint8_t)META_ST_PENDING;
    is_next = in->rec.next == o;
    if (!pend && !is_next) {
        return if_unknown(a, known); /* pc = none whatever o holds: R5/R8 need cok only */
    }
    if (pend != is_next || in->rec.attempts[o] >= in->max_attempts) {
        /* pc = inconsistent / exhausted whatever o holds, but R6/R7 need cok and their
         * ROLLBACK event reports o's verified build */
        return first_unknown(known);
    }
    if ((known & BOOTPLAN_BIT(o)) == 0u) {
        return o; /* the class depends on o's image */
    }
    if (bootsel_pending_class(in) == BS_PC_READY) {
        return BOOTPLAN_DONE; /* R4: cok is not read (only by the fallback) */
    }
    return if_unknown(a, known); /* R6/R7: cok */
}

/* See bootplan.h. Returns the active slot or BOOTPLAN_DONE. */
uint8_t bootplan_active_next(const bs_input_t *in, uint8_t known)
{
    if (in == NULL || !usable(in)) {
        return BOOTPLAN_DONE;
    }
    return if_unknown(in->rec.active, known);
}
