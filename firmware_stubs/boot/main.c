/*
 * boot/main.c - A/B bootloader with signed-image verification, boot metadata, boot test,
 * rollback and rescue (issues 3 and 4; docs/contracts.md §7-§8, docs/contract-meta.md).
 *
 * Every reset:
 *   port_init, DWT CYCCNT zeroed (virtual time), strap pin sampled (strap.h)
 *   -> REBOOT_REASON -> LAYOUT
 *   -> rescue UART window: until 20 ms after reset (BOOT_RESCUE_WINDOW_MS, measured with
 *      CYCCNT at PLAT_CORE_CLOCK_HZ, the reset clock) a console line "rescue" requests rescue
 *   -> port_clock_init: the run clock (ports/<chip>/clock.c; 160 / 150 MHz)
 *   -> evidence ring opened (bev.h: every evidence line from here on, and the ones above, is
 *      also kept in the flash ring of the `evidence` area)
 *   -> ANCHOR (trust anchor, keys area)
 *   -> META (meta_load over meta_a / meta_b)
 *   -> rescue requested: RESCUE cause=strap|uart -> rescue mode (rescue.h)
 *   -> the slots the decision needs, verified lazily (boot/bootplan.h: nothing pending ->
 *      the active slot only; a PENDING next slot -> that slot, the active one only when the
 *      pending one is not ready; unusable metadata -> both), each one: SLOT_CHECK slot=A|B
 *      state=empty|present, then for a present image the §7 events (PARSE_MANIFEST /
 *      VERIFY_SIG / PARSE_MANIFEST), policy: anchor hw_compat, the slot's own index as
 *      TARGET_SLOT, image type 1, floor = max(anchor floor, record floor) (boot/verify.h)
 *   -> bootsel_decide (contract-meta §3); its commits are made BEFORE acting (a trial boot's
 *      attempt + 1 is on flash before the jump); a failed commit takes the table's fallback
 *      (META_COMMIT result=fail rc=N, then the fallback's events; a trial's fallback reads
 *      the active slot, which is verified then if the trial did not need it)
 *   -> the row's events (SLOT_TRANSITION, ROLLBACK, RESCUE)
 *   -> BOOT: watchdog (BOOT_WDT_TIMEOUT_MS; it bounds the boot test: a hanging image is reset
 *      and the next boot counts the next attempt), JUMP slot=A|B addr=.., ring flush, handoff
 *      (with the ring's state: the app resumes the ring without scanning it), jump; RESCUE
 *      (nothing bootable): RESCUE cause=no_bootable -> rescue mode.
 *
 * The image verification result fed to bootsel_decide ignores the floor (bootsel applies the
 * floors itself so that a below-floor image is classified below-floor, not invalid); the
 * PARSE_MANIFEST event reports the check WITH the effective floor, so a below-floor image
 * shows error_code=below_floor and then ROLLBACK reason=below-floor (pending) or is never
 * booted (no adoption below the anchor floor).
 *
 * RESCUE causes follow contracts §8: strap | uart | no_bootable. ROLLBACK reasons are
 * bootsel's (contract-meta §5): attempts | verify | inconsistent | below-floor.
 *
 * Planted bugs (core/mut_hooks.h; never in normal builds): MUT_NO_ROLLBACK (item 4:
 * VERIFY_BOTH_SLOTS, BOOT_FAILED_OTHER_SLOT), MUT_NO_ATTEMPTS (item 14: SKIP_ATTEMPT_COUNT),
 * MUT_FLOOR_LE (item 9: LOWER_DECISION_FLOORS here, FLOOR_SLACK in core/image.c),
 * MUT_RESCUE_NO_GATES (item 5: rescue.c).
 *
 * Evidence seq starts at 0 on every reset (contracts §3) and the next value is passed to
 * the application in the handoff block (core/handoff.h, version 2), with the evidence ring's
 * append state (HANDOFF_F_RING_STATE).
 */
#include "bev.h"
#include "bfloor.h"
#include "bjournal.h"
#include "bflash.h"
#include "bootplan.h"
#include "bootsel.h"
#include "evidence.h"
#include "fmt.h"
#include "handoff.h"
#include "meta.h"
#include "mut_hooks.h"
#include "platform_gen.h"
#include "port.h"
#include "rescue.h"
#include "strap.h"
#include "verify.h"

#define BOOT_WDT_TIMEOUT_MS 2000u
#define BOOT_RESCUE_WINDOW_MS 20u
#define BOOT_RESCUE_WINDOW_CYCLES (PLAT_CORE_CLOCK_HZ / 1000u * BOOT_RESCUE_WINDOW_MS)
#define BOOT_POLL_PAUSE_LOOPS 48u /* about 150 cycles between two empty UART polls */
#define LAYOUT_AREAS 7u
#define LAYOUT_VALUE_MAX 24u /* "0x" + 8 + "+" + "0x" + 8 + NUL = 22 */

/* DWT cycle counter (the emulator counts instructions there). */
#define DEMCR      (*(volatile uint32_t *)0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL   (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)

/* ---- small helpers ------------------------------------------------------------------- */

/* Start the cycle counter from 0. No return value. */
static void boot_clock_start(void)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0u;
    DWT_CTRL |= 1u; /* CYCCNTENA */
}

/* Name of a slot index for evidence. Returns "A", "B" or "?". */
static const char *boot_slot_name(uint32_t slot)
{
    return slot == 0u ? "A" : (slot == 1u ? "B" : "?");
}

/* REBOOT_REASON cause=.. brownout_flag=0/1 raw=0x........ Returns the decoded cause. */
static port_reset_cause_t boot_report_reset(void)
{
    ev_fields_t f;
    uint32_t raw = 0;
    port_reset_cause_t cause = port_reset_cause(&raw);
    int brownout_flag = (cause == PORT_RESET_BROWNOUT) || port_supply_low();

    ev_fields_init(&f);
    (void)ev_add_str(&f, "cause", port_reset_cause_name(cause));
    (void)ev_add_u32(&f, "brownout_flag", brownout_flag ? 1u : 0u);
    (void)ev_add_hex(&f, "raw", raw, 8u);
    (void)ev_emit("REBOOT_REASON", &f);
    return cause;
}

/*
 * Format "0xADDR+0xSIZE" (shortest hex) into out[LAYOUT_VALUE_MAX].
 * Returns the length, or -1 if it did not fit (cannot happen with the sizes used).
 */
static int boot_area_text(char *out, uint32_t addr, uint32_t size)
{
    int a = fmt_u32_hex(out, LAYOUT_VALUE_MAX, addr, 0u);
    int b;

    if (a < 0 || (size_t)a + 1u >= LAYOUT_VALUE_MAX) {
        return -1;
    }
    out[a] = '+';
    b = fmt_u32_hex(&out[a + 1], LAYOUT_VALUE_MAX - (size_t)a - 1u, size, 0u);
    return b < 0 ? -1 : a + 1 + b;
}

/*
 * LAYOUT platform=<PLAT_NAME> <area>=0xADDR+0xSIZE ... in layout order, packed greedily into
 * as few lines as fit; every line starts with platform=. A consumer merges them.
 * Returns nothing (a refused line is reported by ev_emit as console text).
 */
static void boot_report_layout(void)
{
    static const char *const names[LAYOUT_AREAS] = {
        "bootloader", "keys", "meta_a", "meta_b", "evidence", "slot_a", "slot_b"};
    static const uint32_t addrs[LAYOUT_AREAS] = {
        PLAT_AREA_BOOTLOADER_ADDR, PLAT_AREA_KEYS_ADDR,     PLAT_AREA_META_A_ADDR,
        PLAT_AREA_META_B_ADDR,     PLAT_AREA_EVIDENCE_ADDR, PLAT_AREA_SLOT_A_ADDR,
        PLAT_AREA_SLOT_B_ADDR};
    static const uint32_t sizes[LAYOUT_AREAS] = {
        PLAT_AREA_BOOTLOADER_SIZE, PLAT_AREA_KEYS_SIZE,     PLAT_AREA_META_A_SIZE,
        PLAT_AREA_META_B_SIZE,     PLAT_AREA_EVIDENCE_SIZE, PLAT_AREA_SLOT_A_SIZE,
        PLAT_AREA_SLOT_B_SIZE};
    static char values[LAYOUT_AREAS][LAYOUT_VALUE_MAX];
    static char scratch[EV_LINE_BUF];
    ev_fields_t f;
    size_t i;
    size_t first = 0;

    for (i = 0; i < LAYOUT_AREAS; i++) {
        if (boot_area_text(values[i], addrs[i], sizes[i]) < 0) {
            values[i][0] = '\0'; /* refused by the formatter -> visible error line */
        }
    }
    while (first < LAYOUT_AREAS) {
        size_t take = 0;
        size_t k;
        for (k = first + 1u; k <= LAYOUT_AREAS; k++) {
            ev_fields_init(&f);
            (void)ev_add_str(&f, "platform", PLAT_NAME);
            for (i = first; i < k; i++) {
                (void)ev_add_str(&f, names[i], values[i]);
            }
            if (ev_format(scratch, sizeof(scratch), ev_next_seq(), "boot", "LAYOUT", f.keys,
                          f.values, f.n) < 0) {
                break;
            }
            take = k - first;
        }
        if (take == 0u) {
            take = 1u;
        }
        ev_fields_init(&f);
        (void)ev_add_str(&f, "platform", PLAT_NAME);
        for (i = first; i < first + take; i++) {
            (void)ev_add_str(&f, names[i], values[i]);
        }
        (void)ev_emit("LAYOUT", &f);
        first += take;
    }
}

/*
 * Busy-wait about 3 * `loops` cycles without touching the bus. No return value.
 */
static void boot_pause(uint32_t loops)
{
    while (loops-- > 0u) {
        __asm volatile("" ::: "memory"); /* kept: not a removable empty loop */
    }
}

/*
 * The rescue UART window: poll the console until BOOT_RESCUE_WINDOW_MS after reset (CYCCNT)
 * for the line "rescue" ("\r" ignored). Other lines are dropped.
 * When no byte is waiting, pause BOOT_POLL_PAUSE_LOOPS (about 150 cycles, never past the
 * window's end) before the next poll: a byte takes 87 us at 115200 baud (>= 348 cycles), so
 * none is lost (STM32U585 has a one-byte RDR), and the poll touches the UART and the cycle
 * counter a few times less often (each such access is a host call in the emulator).
 * Returns: 1 if the line arrived inside the window, 0 otherwise.
 */
static int boot_uart_window(void)
{
    static const char want[] = "rescue";
    char line[8];
    size_t n = 0;
    int overflow = 0;
    uint32_t now;

    while ((now = DWT_CYCCNT) < BOOT_RESCUE_WINDOW_CYCLES) {
        int c = port_uart_getc();
        if (c < 0) {
            uint32_t left = (BOOT_RESCUE_WINDOW_CYCLES - now) / 4u;
            boot_pause(left < BOOT_POLL_PAUSE_LOOPS ? left : BOOT_POLL_PAUSE_LOOPS);
            continue;
        }
        if (c == '\r') {
            continue;
        }
        if (c == '\n') {
            if (!overflow && n == sizeof(want) - 1u && fmt_streq(want, line, n)) {
                return 1;
            }
            n = 0;
            overflow = 0;
            continue;
        }
        if (n < sizeof(line)) {
            line[n++] = (char)c;
        } else {
            overflow = 1;
        }
    }
    return 0;
}

/* ---- metadata ------------------------------------------------------------------------ */

static meta_ctx_t meta_ctx;
static meta_load_t meta_ld;
static bs_input_t bs_in;
static bs_output_t bs_out;

/* Emit one bootsel event; RESCUE uses the §8 cause names. No return value. */
static void boot_emit_bs_event(const bs_event_t *ev)
{
    ev_fields_t f;
    const char *name;

    ev_fields_init(&f);
    if (ev->kind == BS_EV_RESCUE) {
        (void)ev_add_str(&f, "cause", rescue_cause_name(ev->cause));
        (void)ev_emit("RESCUE", &f);
        return;
    }
    name = bootsel_event_fields(ev, &f);
    if (name != NULL) {
        (void)ev_emit(name, &f);
    }
}

/* RESCUE cause=<cause> (bootloader side, before rescue mode). No return value. */
static void boot_emit_rescue(uint8_t cause)
{
    bs_event_t ev = {0};
    ev.kind = BS_EV_RESCUE;
    ev.cause = cause;
    boot_emit_bs_event(&ev);
}

_Static_assert(sizeof(handoff_t) <= PLAT_HANDOFF_SIZE, "handoff block larger than its region");

/* Fill the handoff block for the application, the evidence ring's state included (call
 * after the last bev_flush). No return value. */
static void boot_write_handoff(uint8_t slot, uint32_t vtor, port_reset_cause_t cause,
                               uint32_t build, uint32_t trial, uint32_t attempt)
{
    volatile handoff_t *h = &__plat_handoff;
    evr_state_t rs;

    h->magic = HANDOFF_MAGIC;
    h->version = HANDOFF_VERSION;
    h->next_seq = ev_next_seq();
    h->slot = slot;
    h->vtor = vtor;
    h->reset_cause = (uint32_t)cause;
    h->build = build;
    h->trial = trial;
    h->attempt = attempt;
    h->image_addr = bverify_slot_addr(slot);
    h->meta_gen = meta_ctx.cur == META_SLOT_NONE ? 0u : meta_ctx.gen;
    h->flags = HANDOFF_F_EVRING;
    h->ring_page = EVR_NONE;
    h->ring_seq = 0u;
    h->ring_slot = 0u;
    h->ring_rec_seq = 0u;
    if (bev_ring_state(&rs) == 0) { /* after bev_flush: the app resumes the ring from here */
        h->flags |= HANDOFF_F_RING_STATE;
        h->ring_page = rs.cur_page;
        h->ring_seq = rs.cur_seq;
        h->ring_slot = rs.next_slot;
        h->ring_rec_seq = rs.next_rec_seq;
    }
    h->check = handoff_crc(h);
    h->ring_check = handoff_ring_crc(h);
}

/* Enter rescue mode with the current metadata view. Does not return. */
static void boot_rescue(uint8_t cause) __attribute__((noreturn));
static void boot_rescue(uint8_t cause)
{
    static rescue_env_t env;
    meta_load_t again;

    /* re-load: commits made by this boot (a rollback) are part of the view */
    (void)meta_load(&meta_ctx, &again);
    env.meta = &meta_ctx;
    env.meta_usable = again.result != META_BOTH_INVALID && meta_record_check(&again.rec);
    env.rec = again.rec;
    env.keyring = bverify_keyring();
    env.cause = cause;
    env.target_slot = META_SLOT_A;
    if (env.meta_usable) {
        env.target_slot = (uint8_t)(again.rec.active == META_SLOT_A ? META_SLOT_B : META_SLOT_A);
    }
    rescue_run(&env);
}

/* ---- decision ------------------------------------------------------------------------ */

static uint32_t boot_floor; /* effective floor: max(anchor, record) (anchor alone if !mv) */
static uint8_t boot_known;  /* BOOTPLAN_BIT of each slot verified in this boot */

/*
 * Verify (bverify_slot: SLOT_CHECK + §7 events) each slot the decision on bs_in still needs,
 * in bootplan order; with `active`, the active slot if it is not verified yet (the trial
 * fallback, or any other reader of the active slot's result). No return value.
 */
static void boot_verify_needed(int active)
{
    for (;;) {
        uint8_t s = active ? bootplan_active_next(&bs_in, boot_known)
                           : bootplan_next(&bs_in, boot_known);
        if (MUT_HOOK_VERIFY_BOTH_SLOTS() && s == BOOTPLAN_DONE && !active && boot_known != 3u) {
            /* planted (item 4): boot_decide's bug reads the slot the table ignores here */
            s = (boot_known & BOOTPLAN_BIT(META_SLOT_A)) == 0u ? META_SLOT_A : META_SLOT_B;
        }
        if (s == BOOTPLAN_DONE) {
            return;
        }
        (void)bverify_slot(s, boot_floor, &bs_in.image[s]);
        boot_known = (uint8_t)(boot_known | BOOTPLAN_BIT(s));
    }
}

/*
 * bootsel_decide on bs_in into bs_out, with the planted mutations (never in normal builds).
 * `mv`: the metadata is usable. No return value (an impossible refusal becomes RESCUE).
 */
static void boot_decide(int mv)
{
    (void)mv;
    if (bootsel_decide(&bs_in, &bs_out) != BS_OK) {
        bs_out.action = BS_ACT_RESCUE; /* unreachable: the table is complete */
        bs_out.commits = 0u;
        bs_out.n_events = 0u;
        bs_out.rescue_cause = BS_RC_NO_BOOTABLE;
        bs_out.fb_action = BS_ACT_RESCUE;
    }
    if (MUT_HOOK_LOWER_DECISION_FLOORS() && mv && bs_out.rec.floor == bs_in.rec.floor) {
        bs_out.rec.floor = meta_ld.rec.floor; /* never write the lowered floor back */
    }
    if ((MUT_HOOK_SKIP_ATTEMPT_COUNT() || MUT_HOOK_APP_COUNTS_ATTEMPTS()) &&
        bs_out.row == BS_ROW_TRIAL) {
        bs_out.commits = 0u; /* planted (item 14): the attempt is never counted */
    }
    if (MUT_HOOK_BOOT_FAILED_OTHER_SLOT() && mv && bs_out.action == BS_ACT_BOOT &&
        bs_out.slot == meta_ld.rec.active) {
        uint8_t o = (uint8_t)(1u - meta_ld.rec.active);
        if (bs_in.image[o].valid && (meta_ld.rec.state[o] == META_ST_PENDING ||
                                     meta_ld.rec.state[o] == META_ST_FAILED)) {
            /* planted (item 4): keep running the failed/exhausted image, no rollback */
            bs_out.slot = o;
            bs_out.build = bs_in.image[o].build;
            bs_out.trial = 1u;
            bs_out.commits = 0u;
            bs_out.n_events = 1u; /* META only: no ROLLBACK */
            bs_out.fb_action = BS_ACT_BOOT;
            bs_out.fb_slot = o;
        }
    }
}

/* Planted bug (mut_hooks.h LOWER_DECISION_FLOORS, item 9; only used in that mutation build):
 * the floors bootsel_decide sees are one lower, so build = floor - 1 passes. */
static void boot_lower_floors(int mv)
{
    if (bs_in.anchor_floor > 0u) {
        bs_in.anchor_floor--;
    }
    if (mv && bs_in.rec.floor > 0u) {
        bs_in.rec.floor--;
    }
}

/* ---- main ------------------------------------------------------------------------------ */

/* Bootloader entry (called by Reset_Handler). Does not return: jumps or enters rescue. */
int main(void)
{
    port_reset_cause_t cause;
    ev_fields_t f;
    uint32_t vtor;
    uint8_t rq = BS_RQ_NONE;
    uint8_t action;
    uint8_t slot;
    uint8_t trial;
    uint8_t i;
    int mv;
    int rc;

    (void)port_init();
    boot_clock_start();
    if (strap_rescue_requested()) {
        rq = BS_RQ_PIN;
    }
    (void)ev_init("boot", 0u, bev_sink);

    cause = boot_report_reset();
    boot_report_layout();
    if (boot_uart_window() && rq == BS_RQ_NONE) {
        rq = BS_RQ_UART;
    }
    /* The run clock (ports/<chip>/clock.c) after the window: the window is measured at the
     * reset clock and costs no more than it did; image verification and rescue run fast. */
    (void)port_clock_init();
    (void)bev_ring_open();
    (void)bverify_load_anchor(); /* an invalid anchor leaves an empty keyring */

    /* META */
    (void)meta_init(&meta_ctx, &bflash_meta, PLAT_AREA_META_A_ADDR, PLAT_AREA_META_B_ADDR);
    (void)meta_load(&meta_ctx, &meta_ld);
    {
        bs_event_t ev = {0};
        ev.kind = BS_EV_META;
        ev.result = (uint8_t)meta_ld.result;
        ev.copy = meta_ld.copy;
        ev.generation = meta_ld.generation;
        boot_emit_bs_event(&ev);
    }
    if (MUT_HOOK_ROLLBACK_META_IN_PLACE() && meta_ld.result == META_RECOVERED) {
        /* planted (issue 15): the rollback to the surviving record is rewritten in place */
        (void)meta_commit_in_place(&meta_ctx, &meta_ld.rec);
        (void)meta_load(&meta_ctx, &meta_ld);
    }
    if (MUT_HOOK_META_JOURNAL_IN_RAM()) {
        /* planted (issue 15): the same rollback, journaled in RAM (boot/bjournal.h) */
        (void)bjournal_rollback(&meta_ctx, &meta_ld);
    }
    mv = meta_ld.result != META_BOTH_INVALID && meta_record_check(&meta_ld.rec);

    if (rq != BS_RQ_NONE) {
        boot_emit_rescue(rq == BS_RQ_PIN ? BS_RC_PIN : BS_RC_UART);
        boot_rescue(rq == BS_RQ_PIN ? BS_RC_PIN : BS_RC_UART);
    }

    /* the decision input; the slots are verified on demand (boot/bootplan.h) */
    boot_floor = bverify_keyring()->floor;
    if (mv && meta_ld.rec.floor > boot_floor) {
        boot_floor = meta_ld.rec.floor;
    }
    bs_in.meta_result = meta_ld.result;
    bs_in.meta_copy = meta_ld.copy;
    bs_in.meta_generation = meta_ld.generation;
    bs_in.rec = meta_ld.rec;
    bs_in.anchor_floor = bverify_keyring()->floor;
    bs_in.reset_cause = (uint8_t)cause;
    bs_in.rescue = BS_RQ_NONE;
    bs_in.max_attempts = (uint8_t)PLAT_BOOT_ATTEMPTS;
    for (i = 0; i < 2u; i++) {
        bs_in.image[i].valid = 0u; /* not verified (yet): never read by the decision */
        bs_in.image[i].build = 0u;
        bs_in.image[i].image_id = 0u;
    }
    if (MUT_HOOK_LOWER_DECISION_FLOORS()) {
        boot_lower_floors(mv);
    }
    boot_verify_needed(0);
    boot_decide(mv);

    /* commit before acting */
    action = bs_out.action;
    slot = bs_out.slot;
    trial = bs_out.trial;
    rc = 0;
    for (i = 0; i < bs_out.commits; i++) {
        rc = meta_commit(&meta_ctx, &bs_out.rec, NULL);
        if (rc != 0) {
            break;
        }
    }
    if (rc != 0) {
        ev_fields_init(&f);
        (void)ev_add_str(&f, "result", "fail");
        (void)ev_add_str(&f, "rc", rc == META_ERR_ERASE     ? "erase"
                                   : rc == META_ERR_PROGRAM ? "program"
                                   : rc == META_ERR_VERIFY  ? "verify"
                                                            : "record");
        (void)ev_emit("META_COMMIT", &f);
        if (bs_out.row == BS_ROW_TRIAL) {
            /* the attempt is not on flash: never boot the trial; take the fallback, which
             * depends on the active slot (cok): verify it now if the trial did not need it */
            boot_verify_needed(1);
            boot_decide(mv);
            action = bs_out.fb_action;
            slot = bs_out.fb_slot;
            trial = 0u;
            bs_out.n_events = 1u; /* no BOOT_TEST transition */
            if (action == BS_ACT_RESCUE) {
                bs_out.rescue_cause = BS_RC_NO_BOOTABLE;
            }
        }
    }
    for (i = 1; i < bs_out.n_events; i++) { /* META (index 0) was emitted after meta_load */
        if (bs_out.events[i].kind != BS_EV_RESCUE) {
            boot_emit_bs_event(&bs_out.events[i]);
        }
    }

    if (meta_ld.rec.floor_next != 0u) {
        /* bootsel_floor_due reads the active slot's result: verify it if the decision did
         * not need it (a trial boot). The decision's commits never stage a bump, so a bump
         * can be due only if the loaded record stages one. */
        boot_verify_needed(1);
    }
    (void)bfloor_complete(&meta_ctx, &bs_in); /* a staged floor bump (boot/bfloor.h) */
    if (action != BS_ACT_BOOT || slot > 1u) {
        boot_emit_rescue(BS_RC_NO_BOOTABLE);
        boot_rescue(BS_RC_NO_BOOTABLE);
    }

    /* jump */
    vtor = bverify_slot_addr(slot) + PLAT_IMAGE_HEADER_SIZE;
    (void)port_wdt_start(BOOT_WDT_TIMEOUT_MS); /* bounds the boot test */
    ev_fields_init(&f);
    (void)ev_add_str(&f, "slot", boot_slot_name(slot));
    (void)ev_add_hex(&f, "addr", vtor, 0u);
    (void)ev_emit("JUMP", &f);
    (void)bev_flush();
    boot_write_handoff(slot, vtor, cause, bs_in.image[slot].build, trial,
                       trial ? bs_out.rec.attempts[slot] : 0u);
    rc = port_jump(vtor);

    /* Only reached when the verified image's vector table is unusable. */
    (void)ev_emit_text("! jump refused: the image has no valid vector table");
    (void)rc;
    boot_emit_rescue(BS_RC_NO_BOOTABLE);
    boot_rescue(BS_RC_NO_BOOTABLE);
    return 0;
}
