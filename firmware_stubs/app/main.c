/*
 * app/main.c - the application (linked twice: app.elf at SLOT_A, app_b.elf at SLOT_B; same
 * sources, contracts §8).
 *
 *   port_init -> handoff (slot, build, trial, attempt, evidence seq) -> BOOT + text line ->
 *   RAM_MARK -> trial boot: SLOT_TRANSITION PENDING->BOOT_TEST, self-test from the image's own
 *   SELF_TEST TLV: pass -> confirm (CONFIRMED), then the staged floor bump (a second
 *   commit); fail ->
 *   reject + software reset; hang -> stop feeding the watchdog and spin
 *   -> loop: feed the watchdog, console RX multiplexed between the SMP server (lines starting
 *   0x06 0x09 / 0x04 0x14: image upload into the inactive slot by core/updater.c, image state,
 *   OS reset) and the console commands (contracts §3).
 *
 * Evidence goes to the console UART and, when the bootloader keeps one (handoff flag
 * HANDOFF_F_EVRING), to the flash evidence ring (boot/bev.c sink, shared with the
 * bootloader), continued from the state the bootloader handed over (HANDOFF_F_RING_STATE;
 * a scan of the evidence area only without it). Flash writes go through boot/bflash.c's
 * reporting table (WRITE_GATED on a write refused for low supply).
 *
 * Build options: APP_BUILD=<n> (reported build when the image carries none, default 1),
 * APP_NO_WDT_FEED=1 (never feed the watchdog). Planted bugs (mutation flags, never in normal
 * builds): the catalogue is core/mut_hooks.h; here MUT_NEVER_CONFIRM (SKIP_CONFIRM) and
 * MUT_FLOOR_BEFORE_CONFIRM (RAISE_FLOOR_BEFORE_TEST).
 */
#include "../boot/bev.h"
#include "../boot/bflash.h"
#include "console.h"
#include "evidence.h"
#include "fmt.h"
#include "handoff.h"
#include "keyring.h"
#include "mut_hooks.h"
#include "platform_gen.h"
#include "port.h"
#include "smp_server.h"
#include "updater.h"

#ifndef APP_BUILD
#define APP_BUILD 1
#endif
#ifndef APP_NO_WDT_FEED
#define APP_NO_WDT_FEED 0
#endif

/* Feed every this many main-loop iterations (the loop polls the UART each time). */
#define APP_FEED_EVERY 256u
/* Longest idle sleep between two UART polls (and watchdog feeds): far below every watchdog
 * timeout the firmware sets (BOOT_WDT_TIMEOUT_MS 2000). */
#define APP_IDLE_MS 20u

#define RAM_MARK_MAGIC 0x52414D4Bu /* "RAMK" */

/* SELF_TEST TLV values (contracts §7). */
#define SELF_TEST_PASS 0u
#define SELF_TEST_FAIL 1u
#define SELF_TEST_HANG 2u
#define SELF_TEST_LATE 3u         /* pass, after serving requests during the boot test */
#define SELF_TEST_CRASH_BEFORE 4u /* a fault before the boot test starts */
#define SELF_TEST_HANG_BEFORE 5u  /* a hang (no feed) before the boot test starts */
#define SELF_TEST_CRASH_DURING 6u /* a fault during the self-test */
#define APP_LATE_QUIET 250u       /* idle waits (APP_IDLE_MS each, 5 s) a late self-test lasts */

/* Survives warm resets: .noinit is neither copied nor zeroed by either image. */
typedef struct {
    uint32_t magic;
    uint32_t count;
} ram_mark_t;

static ram_mark_t ram_mark __attribute__((section(".noinit")));

/* One program unit (16 B on STM32U585, 512 B on LPC55S69) for the prog command. */
static uint32_t prog_buf[PLAT_FLASH_PROGRAM_UNIT / 4u];

static console_t console;
static int feeding = !APP_NO_WDT_FEED;

static keyring_t keyring;
static uint8_t anchor_buf[KR_MAX_BYTES];
static upd_t upd;
static smp_server_t smp;
static img_manifest_t own; /* the running image's manifest */

/* What this boot is (from the handoff, or worked out when there is none). */
typedef struct {
    uint8_t slot;     /* META_SLOT_A / META_SLOT_B */
    uint32_t build;
    uint8_t trial;    /* a PENDING image on its boot test */
    uint32_t attempt; /* boot-test attempt (1..N) */
} boot_info_t;

static boot_info_t info;

/* Feed the watchdog unless feeding was stopped (wdt-stop, APP_NO_WDT_FEED). */
static void app_feed(void)
{
    if (feeding) {
        port_wdt_feed();
    }
}

/* updater tick: feed the watchdog between flash ops and hash blocks. */
static void app_tick(void *ctx)
{
    (void)ctx;
    app_feed();
}

/* RESET_REQ kind=software, flush the ring (LPC55S69 page mode), reset. Does not return. */
static void app_reset(void) __attribute__((noreturn));
static void app_reset(void)
{
    ev_fields_t f;

    ev_fields_init(&f);
    (void)ev_add_str(&f, "kind", "software");
    (void)ev_emit("RESET_REQ", &f);
    (void)bev_flush();
    port_system_reset();
}

/* SMP OS reset (after the response was sent). Does not return. */
static void app_smp_reset(void *ctx)
{
    (void)ctx;
    app_reset();
}

/* SMP response lines go straight to the UART. */
static void app_smp_out(void *ctx, const uint8_t *line, size_t len)
{
    (void)ctx;
    (void)port_uart_write((const char *)line, len);
}

/* Emit an event with one result field plus addr (and optionally value). No return value. */
static void app_emit_result(const char *name, uint32_t addr, int rc, int with_value,
                            uint32_t value)
{
    ev_fields_t f;

    ev_fields_init(&f);
    (void)ev_add_hex(&f, "addr", addr, 0u);
    (void)ev_add_str(&f, "result", port_err_name(rc));
    if (with_value) {
        (void)ev_add_hex(&f, "value", value, 8u);
    }
    (void)ev_emit(name, &f);
}

/* Returns 1 if [addr, addr+len) touches the bootloader area (never written by the app). */
static int app_hits_bootloader(uint32_t addr, uint32_t len)
{
    uint32_t end = addr + len;
    return addr < PLAT_AREA_BOOTLOADER_ADDR + PLAT_AREA_BOOTLOADER_SIZE &&
           end > PLAT_AREA_BOOTLOADER_ADDR;
}

/* Execute one parsed command. No return value (reset does not return). */
static void app_run(const console_cmd_t *cmd)
{
    uint32_t value = 0;
    size_t i;
    int rc;

    switch (cmd->kind) {
    case CMD_WDT_STOP:
        feeding = 0;
        (void)ev_emit("WDT_STOP", NULL);
        break;
    case CMD_RESET:
        app_reset();
    case CMD_PING:
        (void)ev_emit("PONG", NULL);
        break;
    case CMD_READ:
        rc = port_flash_read(cmd->addr, &value);
        app_emit_result("READ", cmd->addr, rc, 1, value);
        break;
    case CMD_PEEK:
        rc = port_cpu_peek(cmd->addr, &value);
        app_emit_result("PEEK", cmd->addr, rc, 1, value);
        break;
    case CMD_ERASE:
        rc = app_hits_bootloader(cmd->addr, PLAT_FLASH_PAGE_SIZE)
                 ? PORT_ERR_BADARG
                 : port_flash_erase_page(cmd->addr);
        app_emit_result("ERASE", cmd->addr, rc, 0, 0u);
        break;
    case CMD_PROG:
        for (i = 0; i < sizeof(prog_buf) / sizeof(prog_buf[0]); i++) {
            prog_buf[i] = cmd->word;
        }
        rc = app_hits_bootloader(cmd->addr, PLAT_FLASH_PROGRAM_UNIT)
                 ? PORT_ERR_BADARG
                 : port_flash_program(cmd->addr, prog_buf, sizeof(prog_buf));
        app_emit_result("PROG", cmd->addr, rc, 0, 0u);
        break;
    case CMD_NONE:
    default:
        break;
    }
}

/* RAM_MARK valid=0/1 count=<n> (count as found, 0 when invalid); then mark and count this
 * start. No return value. */
static void app_ram_mark(void)
{
    volatile ram_mark_t *m = &ram_mark;
    int valid = (m->magic == RAM_MARK_MAGIC);
    uint32_t count = valid ? m->count : 0u;
    ev_fields_t f;

    m->magic = RAM_MARK_MAGIC; /* before the event: storing it in the ring takes time */
    m->count = count + 1u;
    ev_fields_init(&f);
    (void)ev_add_u32(&f, "valid", valid ? 1u : 0u);
    (void)ev_add_u32(&f, "count", count);
    (void)ev_emit("RAM_MARK", &f);
}

/* The text line "running build N from slot S", then BOOT slot=S build=N
 * state=running|trial. No return value. */
static void app_report_boot(void)
{
    static const char prefix[] = "running build ";
    static const char middle[] = " from slot ";
    char text[sizeof(prefix) + FMT_U32_MAX_CHARS + sizeof(middle) + 2u];
    const char *slot = info.slot == META_SLOT_B ? "B" : "A";
    ev_fields_t f;
    size_t n = 0;
    size_t i;
    int len;

    for (i = 0; i < sizeof(prefix) - 1u; i++) {
        text[n++] = prefix[i];
    }
    len = fmt_u32_dec(&text[n], sizeof(text) - n, info.build);
    n += len > 0 ? (size_t)len : 0u;
    for (i = 0; i < sizeof(middle) - 1u; i++) {
        text[n++] = middle[i];
    }
    text[n++] = slot[0];
    text[n] = '\0';
    (void)ev_emit_text(text);

    /* after the text line: a ring-backed sink may take a while to store BOOT */
    ev_fields_init(&f);
    (void)ev_add_str(&f, "slot", slot);
    (void)ev_add_u32(&f, "build", info.build);
    (void)ev_add_str(&f, "state", info.trial ? "trial" : "running");
    (void)ev_emit("BOOT", &f);
}

/*
 * Read and validate the trust anchor in the keys area into `keyring` (left empty on any
 * error: every upload is then refused with key_unknown). No event (the bootloader reports
 * ANCHOR). `count` in the head is ATTACKER-controlled until the CRC matched: it sizes the
 * second read only after keyring_anchor_size() bounded it. No return value.
 */
static void app_load_anchor(void)
{
    size_t need;

    keyring_init_empty(&keyring);
    if (port_flash_read_block(PLAT_AREA_KEYS_ADDR, anchor_buf, KR_HEAD_BYTES) != PORT_OK) {
        return;
    }
    need = keyring_anchor_size(anchor_buf);
    if (need <= KR_HEAD_BYTES || need > sizeof(anchor_buf) || need > PLAT_AREA_KEYS_SIZE ||
        port_flash_read_block(PLAT_AREA_KEYS_ADDR + KR_HEAD_BYTES, &anchor_buf[KR_HEAD_BYTES],
                              (uint32_t)(need - KR_HEAD_BYTES)) != PORT_OK) {
        return;
    }
    if (keyring_parse(anchor_buf, need, &keyring) != KR_OK) {
        keyring_init_empty(&keyring);
    }
}

/* The slot this code runs from (the image is linked for one slot). Returns META_SLOT_A/B. */
static uint8_t app_own_slot(void)
{
    uint32_t pc = (uint32_t)(uintptr_t)&app_own_slot;

    return (pc >= PLAT_AREA_SLOT_B_ADDR && pc - PLAT_AREA_SLOT_B_ADDR < PLAT_AREA_SLOT_B_SIZE)
               ? META_SLOT_B
               : META_SLOT_A;
}

/* Updater configuration for this device. No return value. */
static void app_updater_init(void)
{
    upd_config_t cfg;

    cfg.fl = &bflash_meta; /* reports WRITE_GATED itself */
    cfg.slot_addr[0] = PLAT_AREA_SLOT_A_ADDR;
    cfg.slot_addr[1] = PLAT_AREA_SLOT_B_ADDR;
    cfg.slot_size[0] = PLAT_AREA_SLOT_A_SIZE;
    cfg.slot_size[1] = PLAT_AREA_SLOT_B_SIZE;
    cfg.meta_addr[0] = PLAT_AREA_META_A_ADDR;
    cfg.meta_addr[1] = PLAT_AREA_META_B_ADDR;
    cfg.hdr_size = PLAT_IMAGE_HEADER_SIZE;
    cfg.kr = &keyring;
    cfg.running_slot = info.slot;
    cfg.running_build = info.build;
    cfg.gated_events = 0u;
    cfg.tick = app_tick;
    cfg.reset = app_smp_reset;
    cfg.ctx = NULL;
    (void)upd_init(&upd, &cfg);
    (void)smp_server_init(&smp, upd_smp_ops(), &upd, app_smp_out, NULL);
}

/*
 * What this boot is: from a valid handoff (version 2) when there is one; otherwise the slot
 * from the code's own address, the build from the image's own manifest (APP_BUILD if it has
 * none), trial from the metadata (this slot PENDING and next). Sets `info`; returns the
 * evidence seq to continue from, *ring = 1 when the bootloader keeps an evidence ring (2 when
 * it also handed over the ring's state, then in *rs) and *valid = 1 when the handoff was
 * valid.
 */
static uint32_t app_boot_info(int *ring, int *valid, evr_state_t *rs)
{
    volatile handoff_t *h = &__plat_handoff;
    uint32_t seq = 0;

    *ring = 0;
    *valid = 0;
    info.slot = app_own_slot();
    info.build = APP_BUILD;
    info.trial = 0u;
    info.attempt = 0u;
    if (handoff_valid(h)) {
        seq = h->next_seq;
        info.slot = h->slot == HANDOFF_SLOT_B ? META_SLOT_B : META_SLOT_A;
        info.build = h->build;
        info.trial = h->trial != 0u ? 1u : 0u;
        info.attempt = h->attempt;
        *ring = (h->flags & HANDOFF_F_EVRING) != 0u;
        if (*ring && handoff_ring_valid(h)) {
            rs->cur_page = h->ring_page;
            rs->cur_seq = h->ring_seq;
            rs->next_slot = h->ring_slot;
            rs->next_rec_seq = h->ring_rec_seq;
            *ring = 2;
        }
        *valid = 1;
        h->magic = 0u; /* consumed: a later start without the bootloader starts from 0 */
        return seq;
    }
    h->magic = 0u;
    return seq;
}

/* Without a handoff: build and trial state from flash (needs the updater for the reads). */
static void app_boot_info_fallback(void)
{
    meta_record_t rec;

    if (upd_read_manifest(&upd, info.slot, &own) == IMG_OK) {
        info.build = own.sec_cnt;
    }
    if (upd_record(&upd, &rec) && rec.active != info.slot &&
        rec.state[info.slot] == (uint8_t)META_ST_PENDING && rec.next == info.slot) {
        info.trial = 1u;
        info.attempt = rec.attempts[info.slot];
    }
}

/*
 * The boot test of a PENDING image: SLOT_TRANSITION PENDING->BOOT_TEST, then the self-test
 * the image's own SELF_TEST TLV asks for (SELF_TEST result=pass|fail|hang).
 * pass: confirm (bootsel_confirm: CONFIRMED), then the floor bump (bootsel_floor_bump, its
 * own commit) and return;
 * fail: reject (ROLLBACK reason=self-test) and reset; hang: stop feeding and spin until the
 * watchdog resets the chip (the attempt was counted by the bootloader).
 */
/* An undefined instruction: a UsageFault (escalated to HardFault); the fault handler reports
 * "! fatal" and spins, the watchdog ends the attempt (ports/common/cm33.h). */
static void app_crash(void) __attribute__((noreturn));
static void app_crash(void)
{
    (void)bev_flush();
    __asm__ volatile(".inst.n 0xde00" ::: "memory"); /* udf #0 */
    for (;;) {
    }
}

/* The image's SELF_TEST value (pass when absent or unknown). */
static uint32_t app_self_test_value(void)
{
    if (upd_read_manifest(&upd, info.slot, &own) == IMG_OK && own.self_test <= IMG_SELF_TEST_MAX) {
        return own.self_test;
    }
    return SELF_TEST_PASS;
}

/* Before the boot test: the early failures of a new image (SELF_TEST 4, 5). */
static void app_before_boot_test(uint32_t st)
{
    if (st == SELF_TEST_CRASH_BEFORE) {
        app_crash();
    }
    if (st == SELF_TEST_HANG_BEFORE) {
        (void)bev_flush();
        for (;;) {
            __asm__ volatile("nop"); /* no feeding: the watchdog ends this attempt */
        }
    }
}

static void app_boot_test(void)
{
    static const char *const names[7] = {"pass", "fail", "hang", "pass", "pass", "pass", "crash"};
    bs_event_t e = {0};
    uint32_t st = SELF_TEST_PASS;
    ev_fields_t f;

    e.kind = BS_EV_SLOT_TRANSITION;
    e.from = BS_PH_PENDING;
    e.to = BS_PH_BOOT_TEST;
    e.slot = info.slot;
    if (MUT_HOOK_APP_COUNTS_ATTEMPTS()) {
        /* planted (boot-stage class): the application, not the bootloader, counts the
         * attempt, at the start of its boot test */
        meta_record_t rec;
        if (upd_record(&upd, &rec) && rec.attempts[info.slot] < 0xFFu) {
            rec.attempts[info.slot]++;
            (void)upd_commit_record(&upd, &rec);
            info.attempt = rec.attempts[info.slot];
        }
    }
    e.attempt = info.attempt;
    upd_emit_events(&e, 1u);

    if (MUT_HOOK_RAISE_FLOOR_BEFORE_TEST()) {
        /* planted (item 4): the floor is raised to the new build before its boot test
         * passed (staged floor bump skipped) */
        meta_record_t rec;
        if (upd_record(&upd, &rec) && rec.build[info.slot] > rec.floor) {
            rec.floor = rec.build[info.slot];
            (void)upd_commit_record(&upd, &rec);
        }
    }

    st = app_self_test_value();
    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", names[st]);
    (void)ev_emit("SELF_TEST", &f);

    if (st == SELF_TEST_HANG) {
        (void)bev_flush();
        for (;;) {
            __asm__ volatile("nop"); /* no feeding: the watchdog ends this attempt */
        }
    }
    if (st == SELF_TEST_FAIL) {
        (void)upd_reject(&upd, info.slot);
        app_reset();
    }
    if (st == SELF_TEST_CRASH_DURING) {
        app_crash();
    }
    /* PHASE name=confirm + the CONFIRMED commit, then PHASE name=floor_bump + the floor
     * commit: two commits, so the floor never rises before CONFIRMED is on flash (a cut in
     * between leaves the bump staged; the bootloader completes it, boot/bfloor.h). Planted
     * (item 1): never confirmed. */
    if (!MUT_HOOK_SKIP_CONFIRM() && upd_confirm(&upd, info.slot) == UPD_OK) {
        info.trial = 0u;
        (void)upd_floor_bump(&upd, info.slot);
    }
    (void)bev_flush();
}

/* Application entry (called by Reset_Handler). Never returns. */
int main(void)
{
    uint32_t spins = 0;
    uint32_t late_quiet = 0;
    int late;
    uint32_t seq;
    evr_state_t ring_state;
    int ring = 0;
    int handoff = 0;

    (void)port_init();
    (void)port_clock_init(); /* kept as the bootloader left it, or raised (ports/<chip>/clock.c) */
    seq = app_boot_info(&ring, &handoff, &ring_state);
    (void)ev_init("app", seq, bev_sink);
    /* the bootloader's ring state (nothing written the area since its last flush): no scan */
    if (ring == 2 && bev_ring_resume(&ring_state) != 0) {
        ring = 1;
    }
    if (ring == 1) {
        (void)bev_ring_open();
    }
    app_load_anchor();
    app_updater_init();
    if (!handoff) {
        app_boot_info_fallback(); /* no handoff: started without (or by an older) bootloader */
        upd.cfg.running_slot = info.slot;
        upd.cfg.running_build = info.build;
    }

    app_report_boot();
    app_ram_mark();
    console_init(&console);
    app_feed();
    if (info.trial) {
        app_before_boot_test(app_self_test_value());
    }
    late = info.trial && app_self_test_value() == SELF_TEST_LATE;
    if (info.trial && !late) {
        app_boot_test();
        if (info.trial) {
            /* Unconfirmed is failure (ota-requirements §1, bounded boot test): a trial image
             * that did not confirm stops feeding, so the watchdog ends this attempt and the
             * bootloader counts it; pending never lasts forever. */
            ev_fields_t f;
            ev_fields_init(&f);
            (void)ev_add_str(&f, "result", "unconfirmed");
            (void)ev_emit("BOOT_TEST", &f);
            (void)bev_flush();
            feeding = 0;
        }
    }

    for (;;) {
        console_cmd_t cmd;
        int ch;
        int rc;

        if (feeding && ++spins >= APP_FEED_EVERY) {
            spins = 0;
            port_wdt_feed();
        }
        if (late && late_quiet >= APP_LATE_QUIET) {
            late = 0; /* SELF_TEST late: the requests served so far came during the test */
            app_boot_test();
        }
        ch = port_uart_getc();
        if (ch < 0) {
            /* idle: sleep until a byte arrives (at most APP_IDLE_MS, well inside the
             * watchdog period), then feed; no instruction is spent while waiting */
            if (port_uart_wait_rx(APP_IDLE_MS) == 0 && late) {
                ++late_quiet; /* the test's clock: quiet time, not busy turns */
            }
            if (feeding) {
                spins = 0;
                port_wdt_feed();
            }
            continue;
        }
        rc = smp_server_feed(&smp, ch);
        if (rc != SMP_RX_TEXT) {
            app_feed(); /* an SMP request may have taken a while (flash, verification) */
            if (rc == SMP_RX_FRAME && upd.phase == UPD_IDLE) {
                (void)bev_flush(); /* LPC55S69 ring: keep an upload's outcome durable */
            }
            continue;
        }
        rc = console_feed(&console, ch);
        if (rc == CONSOLE_TOO_LONG) {
            (void)ev_emit_text("! line too long");
            continue;
        }
        if (rc != CONSOLE_LINE) {
            continue;
        }
        rc = console_parse(console.buf, &cmd);
        if (rc == CONSOLE_ERR_UNKNOWN) {
            (void)ev_emit_text("! unknown command");
        } else if (rc != CONSOLE_OK) {
            (void)ev_emit_text("! bad arguments");
        } else {
            app_run(&cmd);
            app_feed(); /* a flash command may have taken a while */
        }
    }
    return 0;
}
