/*
 * bootsel.h - the A/B boot decision and the metadata paths of the update state machine, as
 * pure functions (no flash, no globals): input = what the bootloader/app knows, output = what
 * to boot, which metadata record to commit first and which events to emit.
 * The decision table is bootsel_table[] in bootsel.c and docs/contract-meta.md §3.
 *
 * Paths:
 *   boot     bootsel_decide()        (bootloader, every reset)
 *   upload   bootsel_upload_begin()  (updater: the target slot becomes STAGING, progress 0)
 *            bootsel_upload_advance()(updater: after a chunk was written, read back, verified)
 *            bootsel_upload_rewind() (updater: resume found a half-written page tail)
 *   install  bootsel_install()       (updater: whole image verified -> PENDING, inactive slot)
 *   confirm  bootsel_confirm()       (app: self-test passed -> CONFIRMED, floor bump staged)
 *   floor    bootsel_floor_bump()    (app after the confirm commit, or the bootloader when
 *                                     bootsel_floor_due(): the staged floor bump, a commit
 *                                     of its own)
 *   reject   bootsel_reject()        (app: self-test failed -> FAILED, rollback next boot)
 */
#ifndef OTA_CORE_BOOTSEL_H
#define OTA_CORE_BOOTSEL_H

#include <stdint.h>

#include "evidence.h"
#include "meta.h"

#define BS_MAX_EVENTS 4u

/* Reset causes: same order and values as port_reset_cause_t (ports/port.h). */
typedef enum {
    BS_RESET_UNKNOWN = 0,
    BS_RESET_POWER_ON,
    BS_RESET_BROWNOUT,
    BS_RESET_WATCHDOG,
    BS_RESET_SOFTWARE,
    BS_RESET_PIN,
    BS_RESET_COUNT
} bs_reset_t;

/* Rescue requests sampled at reset (strap/button = pin, UART command = uart). */
typedef enum { BS_RQ_NONE = 0, BS_RQ_PIN, BS_RQ_UART, BS_RQ_COUNT } bs_rescue_req_t;

/* Update state machine phases (ota-requirements §2), used in SLOT_TRANSITION from/to. */
typedef enum {
    BS_PH_IDLE = 0,
    BS_PH_DOWNLOADING,
    BS_PH_VERIFYING,
    BS_PH_STAGING,
    BS_PH_PENDING,
    BS_PH_BOOT_TEST,
    BS_PH_CONFIRMED,
    BS_PH_REJECTED,
    BS_PH_ROLLBACK,
    BS_PH_RESCUE,
    BS_PH_COUNT
} bs_phase_t;

/* ROLLBACK reason values. */
typedef enum {
    BS_RB_ATTEMPTS = 0, /* "attempts": N boots without confirmation */
    BS_RB_SELF_TEST,    /* "self-test": the app reported a failed self-test */
    BS_RB_VERIFY,       /* "verify": the pending image no longer verifies */
    BS_RB_INCONSISTENT, /* "inconsistent": pending record does not match state or image */
    BS_RB_BELOW_FLOOR,  /* "below-floor": pending build < rollback floor */
    BS_RB_COUNT
} bs_rollback_t;

/* RESCUE cause values. */
typedef enum { BS_RC_PIN = 0, BS_RC_UART, BS_RC_NO_BOOTABLE, BS_RC_COUNT } bs_rescue_cause_t;

typedef enum {
    BS_EV_META = 0,
    BS_EV_SLOT_TRANSITION,
    BS_EV_ROLLBACK,
    BS_EV_RESCUE,
    BS_EV_PHASE
} bs_ev_kind_t;

/* Steps of an update that have no state of their own (ota-requirements §2 power-cut
 * phases): announced by PHASE name=<step> right BEFORE the device starts them. */
typedef enum {
    BS_STEP_RE_VERIFY = 0, /* "re_verify": updater, final re-read + hash of the written slot */
    BS_STEP_META_COMMIT,   /* "meta_commit": updater, the PENDING metadata commit */
    BS_STEP_CONFIRM,       /* "confirm": app, the CONFIRMED metadata commit */
    BS_STEP_FLOOR_BUMP,    /* "floor_bump": app (or bootloader), the staged floor bump commit */
    BS_STEP_COUNT
} bs_step_t;

/* One event; which members matter depends on kind:
 *   META            result (meta_result_t), generation, copy (A/B/NONE)
 *   SLOT_TRANSITION from, to (bs_phase_t), slot, attempt
 *   ROLLBACK        reason (bs_rollback_t), floor, candidate_build
 *   RESCUE          cause (bs_rescue_cause_t)
 *   PHASE           step (bs_step_t) */
typedef struct {
    uint8_t kind;
    uint8_t from;
    uint8_t to;
    uint8_t slot;
    uint8_t reason;
    uint8_t cause;
    uint8_t result;
    uint8_t copy;
    uint8_t step;
    uint32_t attempt;
    uint32_t floor;
    uint32_t candidate_build;
    uint32_t generation;
} bs_event_t;

/* Verification result of one slot's image (from img_verify + img_check_policy). */
typedef struct {
    uint8_t valid;     /* 1: signature, key policy, hash, manifest all OK */
    uint32_t build;    /* its build number (SEC_CNT) when valid */
    uint32_t image_id; /* first 4 bytes of its SHA-256, big endian, when valid */
} bs_image_t;

typedef struct {
    meta_result_t meta_result; /* from meta_load */
    uint8_t meta_copy;
    uint32_t meta_generation;
    meta_record_t rec;         /* the winning record (ignored when both-invalid) */
    bs_image_t image[2];
    uint32_t anchor_floor;     /* floor from the trust anchor (keys area) */
    uint8_t reset_cause;       /* bs_reset_t: recorded, never changes the decision */
    uint8_t rescue;            /* bs_rescue_req_t */
    uint8_t max_attempts;      /* N = PLAT_BOOT_ATTEMPTS (>= 1) */
} bs_input_t;

typedef enum { BS_ACT_BOOT = 0, BS_ACT_RESCUE = 1 } bs_action_t;

/* Derived classification of the non-active slot (the pending candidate). */
typedef enum {
    BS_PC_NONE = 0,      /* nothing pending: state not PENDING and next == active */
    BS_PC_READY,         /* PENDING, next, verifies, matches the record, >= floor, attempts < N */
    BS_PC_EXHAUSTED,     /* attempts >= N */
    BS_PC_INVALID,       /* image does not verify */
    BS_PC_INCONSISTENT,  /* next/state disagree, or image build/id differs from the record */
    BS_PC_BELOW_FLOOR,   /* build < effective floor */
    BS_PC_COUNT
} bs_pending_t;

/* Rows of the decision table (bootsel_table). */
typedef enum {
    BS_ROW_RESCUE_REQUEST = 0, /* R1 */
    BS_ROW_ADOPT,              /* R2 */
    BS_ROW_NO_META_RESCUE,     /* R3 */
    BS_ROW_TRIAL,              /* R4 */
    BS_ROW_CONFIRMED,          /* R5 */
    BS_ROW_ROLLBACK,           /* R6 */
    BS_ROW_ROLLBACK_RESCUE,    /* R7 */
    BS_ROW_NOTHING_RESCUE,     /* R8 */
    BS_ROW_COUNT
} bs_row_t;

typedef struct {
    uint8_t action;       /* bs_action_t */
    uint8_t slot;         /* slot to boot (BOOT), else META_SLOT_NONE */
    uint8_t trial;        /* 1: booting a PENDING image (boot test; arm the watchdog) */
    uint8_t rescue_cause; /* bs_rescue_cause_t when action == RESCUE */
    uint32_t build;       /* build of the image booted */
    uint8_t commits;      /* meta_commit(rec) calls to make BEFORE acting: 0, 1 or 2 */
    meta_record_t rec;    /* record to commit (generation set by meta_commit) */
    uint8_t fb_action;    /* if a required commit fails: do this instead ... */
    uint8_t fb_slot;      /* ... (never a trial boot whose attempt was not recorded) */
    uint8_t row;          /* bs_row_t that fired */
    uint8_t pending;      /* bs_pending_t of the non-active slot */
    uint8_t n_events;
    bs_event_t events[BS_MAX_EVENTS]; /* META first, then the row's events, in emit order */
} bs_output_t;

/* Return codes. */
#define BS_OK            0  /* out filled: commit out->rec (commits times) then act */
#define BS_NOOP          1  /* nothing to commit (e.g. already confirmed, upload resumes) */
#define BS_ERR_ARG      (-1) /* NULL pointer, slot out of range, max_attempts 0 */
#define BS_ERR_STATE    (-2) /* not allowed in the current metadata state */
#define BS_ERR_SLOT     (-3) /* target is the confirmed (active) slot: refused */
#define BS_ERR_FRESH    (-4) /* build <= running confirmed build, or < floor */
#define BS_ERR_PROGRESS (-5) /* upload does not match, or offset would not advance */

/*
 * bootsel_decide - the boot decision (table in bootsel.c / contract-meta.md §3).
 * Returns: BS_OK (out filled; commits may be 0) or BS_ERR_ARG.
 */
int bootsel_decide(const bs_input_t *in, bs_output_t *out);

/* bootsel_pending_class - the classification of the non-active slot used by the table
 * (exposed for tests). Returns a bs_pending_t; BS_PC_NONE if rec is unusable. */
bs_pending_t bootsel_pending_class(const bs_input_t *in);

/* Output of the app/updater paths. */
typedef struct {
    meta_record_t rec; /* record to commit when the call returned BS_OK */
    uint8_t n_events;
    bs_event_t events[BS_MAX_EVENTS];
} bs_path_t;

/*
 * bootsel_upload_begin - start (or resume) an upload of image `image_id`/`build` into `slot`.
 * Resume: same slot, id and build as the recorded progress -> BS_NOOP, *resume_offset = the
 * recorded verified offset, nothing to commit. Otherwise the slot becomes STAGING with
 * progress 0 (a PENDING image there is cancelled; next = active) and the record must be
 * committed BEFORE the slot is erased. *resume_offset = 0.
 * Returns: BS_OK, BS_NOOP, BS_ERR_ARG, BS_ERR_STATE (no confirmed slot), BS_ERR_SLOT (slot is
 *   the active one), BS_ERR_FRESH (build <= build[active] or < floor).
 */
int bootsel_upload_begin(const meta_record_t *cur, uint8_t slot, uint32_t image_id,
                         uint32_t build, bs_path_t *out, uint32_t *resume_offset);

/*
 * bootsel_upload_advance - record that bytes [0, new_offset) of the upload are written, read
 * back and verified against the signed chunk map. Call only after that check passed.
 * Returns: BS_OK, BS_ERR_ARG, BS_ERR_STATE (no confirmed slot) or BS_ERR_PROGRESS (no upload
 *   of this id into this slot, or new_offset <= the recorded offset).
 */
int bootsel_upload_advance(const meta_record_t *cur, uint8_t slot, uint32_t image_id,
                           uint32_t new_offset, bs_path_t *out);

/*
 * bootsel_upload_rewind - move the recorded progress BACK to new_offset (< recorded), e.g.
 * to the start of a flash page whose unverified tail a cut left half-programmed, which must
 * be erased again (erasing it also erases verified chunks before the tail). Commit this
 * BEFORE the erase, so the progress never points past verified data.
 * Returns: BS_OK, BS_ERR_ARG, BS_ERR_STATE or BS_ERR_PROGRESS (no such upload, or
 *   new_offset >= the recorded offset).
 */
int bootsel_upload_rewind(const meta_record_t *cur, uint8_t slot, uint32_t image_id,
                          uint32_t new_offset, bs_path_t *out);

/*
 * bootsel_install - the complete upload in `slot` (image_id/build, whole image re-verified
 * after writing) becomes PENDING: attempts 0, next = slot, progress cleared. Active slot,
 * its state and the floor are untouched. Events: SLOT_TRANSITION STAGING->PENDING.
 * Returns: BS_OK, BS_ERR_ARG, BS_ERR_STATE, BS_ERR_SLOT (slot is active), BS_ERR_FRESH,
 *   BS_ERR_PROGRESS (the recorded upload is not this image in this slot).
 */
int bootsel_install(const meta_record_t *cur, uint8_t slot, uint32_t image_id, uint32_t build,
                    bs_path_t *out);

/*
 * bootsel_confirm - the app running from `running` passed its self-test. If that slot is the
 * PENDING `next` slot: it becomes CONFIRMED and active, the previous active becomes EMPTY,
 * attempts reset. The floor is NOT moved here: the bump is staged (floor_next =
 * build[running] when that is above the floor, else 0) and made by a commit of its own,
 * bootsel_floor_bump(). Events: SLOT_TRANSITION BOOT_TEST->CONFIRMED.
 * Returns: BS_OK, BS_NOOP (running is already the confirmed slot), BS_ERR_ARG, BS_ERR_STATE.
 */
int bootsel_confirm(const meta_record_t *cur, uint8_t running, bs_path_t *out);

/*
 * bootsel_floor_bump - the staged floor bump of the CONFIRMED slot `running` (== active):
 * floor = floor_next (== build[active], meta_record_check), floor_next = 0. No events (the
 * caller announces PHASE name=floor_bump before committing).
 * Returns: BS_OK, BS_NOOP (nothing staged), BS_ERR_ARG, BS_ERR_STATE (running is not the
 *   active slot, or the record is not usable).
 */
int bootsel_floor_bump(const meta_record_t *cur, uint8_t running, bs_path_t *out);

/*
 * bootsel_floor_due - must the bootloader complete a staged floor bump now? `rec` is the
 * record on flash after this boot's decision commits, `in` the decision's input (the slots'
 * verification). 1 when rec is usable, stages a bump (floor_next != 0, which the record rules
 * tie to build[active] > floor) and the active (CONFIRMED) slot's image is valid, matches
 * rec's build and id and is >= max(rec floor, anchor floor); else 0. A floor never rises for
 * an image that is not the verified CONFIRMED one, nor for an adopted image (adoption stages
 * nothing).
 */
int bootsel_floor_due(const bs_input_t *in, const meta_record_t *rec);

/*
 * bootsel_reject - the app running the PENDING `running` image failed its self-test: FAILED,
 * next = active (the app then resets). Events: ROLLBACK reason=self-test,
 * SLOT_TRANSITION BOOT_TEST->ROLLBACK.
 * Returns: BS_OK, BS_NOOP (running is the confirmed slot), BS_ERR_ARG, BS_ERR_STATE.
 */
int bootsel_reject(const meta_record_t *cur, uint8_t running, bs_path_t *out);

/*
 * bootsel_event_fields - the evidence NAME and fields of an event (field names as
 * ota-requirements §4): META result/generation/copy, SLOT_TRANSITION from/to/slot/attempt,
 * ROLLBACK reason/floor/candidate_build, RESCUE cause, PHASE name.
 * Returns: the NAME (static string), or NULL for an unknown kind; f->err latches add errors.
 */
const char *bootsel_event_fields(const bs_event_t *ev, ev_fields_t *f);

/* Names: phase "BOOT_TEST", reason "attempts", cause "no-bootable", slot "A"/"B"/"none",
 * step "re_verify" | "meta_commit" | "confirm" | "floor_bump".
 * Returns: a static string; "UNKNOWN" (phase) or "unknown" (the others) out of range. */
const char *bootsel_phase_name(uint8_t phase);
const char *bootsel_step_name(uint8_t step);
const char *bootsel_reason_name(uint8_t reason);
const char *bootsel_cause_name(uint8_t cause);
const char *bootsel_slot_name(uint8_t slot);

#endif /* OTA_CORE_BOOTSEL_H */
