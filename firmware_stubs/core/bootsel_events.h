/*
 * bootsel_events.h - the names of the boot-selection vocabulary (phases, rollback reasons,
 * rescue causes, steps, slots) and the evidence NAME and fields of a bs_event_t (bootsel.h).
 * No state; every returned string is static.
 *
 * Internal to bootsel.c (one translation unit, see there): definitions included once, at the
 * end of bootsel.c; not an API.
 */
#ifndef OTA_CORE_BOOTSEL_EVENTS_H
#define OTA_CORE_BOOTSEL_EVENTS_H

#ifndef OTA_CORE_BOOTSEL_UNIT
#error "bootsel_events.h is internal to bootsel.c"
#endif

/* See bootsel.h. Returns a static string. */
const char *bootsel_phase_name(uint8_t phase)
{
    static const char *const names[BS_PH_COUNT] = {
        "IDLE", "DOWNLOADING", "VERIFYING", "STAGING", "PENDING",
        "BOOT_TEST", "CONFIRMED", "REJECTED", "ROLLBACK", "RESCUE",
    };

    return (phase < BS_PH_COUNT) ? names[phase] : "UNKNOWN";
}

/* See bootsel.h. Returns a static string. */
const char *bootsel_reason_name(uint8_t reason)
{
    static const char *const names[BS_RB_COUNT] = {
        "attempts", "self-test", "verify", "inconsistent", "below-floor",
    };

    return (reason < BS_RB_COUNT) ? names[reason] : "unknown";
}

/* See bootsel.h. Returns a static string. */
const char *bootsel_cause_name(uint8_t cause)
{
    static const char *const names[BS_RC_COUNT] = {"pin", "uart", "no-bootable"};

    return (cause < BS_RC_COUNT) ? names[cause] : "unknown";
}

/* See bootsel.h. Returns a static string. */
const char *bootsel_step_name(uint8_t step)
{
    static const char *const names[BS_STEP_COUNT] = {
        "re_verify", "meta_commit", "confirm", "floor_bump",
    };

    return (step < BS_STEP_COUNT) ? names[step] : "unknown";
}

/* See bootsel.h. Returns a static string. */
const char *bootsel_slot_name(uint8_t slot)
{
    return (slot == META_SLOT_A) ? "A" : (slot == META_SLOT_B) ? "B" : "none";
}

/* See bootsel.h. Returns the event NAME or NULL. */
const char *bootsel_event_fields(const bs_event_t *ev, ev_fields_t *f)
{
    if (ev == NULL || f == NULL) {
        return NULL;
    }
    switch (ev->kind) {
    case BS_EV_META:
        (void)ev_add_str(f, "result", meta_result_name((meta_result_t)ev->result));
        (void)ev_add_u32(f, "generation", ev->generation);
        (void)ev_add_str(f, "copy", bootsel_slot_name(ev->copy));
        return "META";
    case BS_EV_SLOT_TRANSITION:
        (void)ev_add_str(f, "from", bootsel_phase_name(ev->from));
        (void)ev_add_str(f, "to", bootsel_phase_name(ev->to));
        (void)ev_add_str(f, "slot", bootsel_slot_name(ev->slot));
        (void)ev_add_u32(f, "attempt", ev->attempt);
        return "SLOT_TRANSITION";
    case BS_EV_ROLLBACK:
        (void)ev_add_str(f, "reason", bootsel_reason_name(ev->reason));
        (void)ev_add_u32(f, "floor", ev->floor);
        (void)ev_add_u32(f, "candidate_build", ev->candidate_build);
        return "ROLLBACK";
    case BS_EV_RESCUE:
        (void)ev_add_str(f, "cause", bootsel_cause_name(ev->cause));
        return "RESCUE";
    case BS_EV_PHASE:
        (void)ev_add_str(f, "name", bootsel_step_name(ev->step));
        return "PHASE";
    default:
        return NULL;
    }
}

#endif /* OTA_CORE_BOOTSEL_EVENTS_H */
