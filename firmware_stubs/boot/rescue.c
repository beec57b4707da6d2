/*
 * rescue.c - rescue mode: SMP server + the shared updater on the console (rescue.h).
 */
#include "rescue.h"

#include "bev.h"
#include "bflash.h"
#include "bootsel.h"
#include "console.h"
#include "evidence.h"
#include "fmt.h"
#include "mut_hooks.h"
#include "platform_gen.h"
#include "port.h"
#include "smp_server.h"
#if BOOT_HAVE_UPDATER
#include "updater.h"
#endif

#ifndef BOOT_HAVE_UPDATER
#define BOOT_HAVE_UPDATER 0
#endif

#define RESCUE_WDT_MS 8000u /* p256_verify cannot feed (~1 s at the 4 MHz reset clock, ~30 ms at
                              * the run clock port_clock_init sets): a wide margin */

#if BOOT_HAVE_UPDATER
static smp_server_t server;
static upd_t upd;
#endif
static console_t console;

const char *rescue_cause_name(uint8_t cause)
{
    switch (cause) {
    case BS_RC_PIN:
        return "strap";
    case BS_RC_UART:
        return "uart";
    case BS_RC_NO_BOOTABLE:
        return "no_bootable";
    default:
        return "unknown";
    }
}

#if BOOT_HAVE_UPDATER
/* Updater tick: feed the watchdog between flash ops and hash blocks. */
static void rescue_tick(void *ctx)
{
    (void)ctx;
    port_wdt_feed();
}
#endif

/* Flush the evidence ring, then reset (SMP OS reset, console "reset"). Does not return. */
static void rescue_reset(void *ctx) __attribute__((noreturn));
static void rescue_reset(void *ctx)
{
    (void)ctx;
    (void)bev_flush();
    port_system_reset();
}

#if BOOT_HAVE_UPDATER
static void rescue_reset_cb(void *ctx)
{
    rescue_reset(ctx);
}

/* SMP response lines go straight to the UART (never into the ring). */
static void rescue_smp_out(void *ctx, const uint8_t *line, size_t len)
{
    (void)ctx;
    (void)port_uart_write((const char *)line, len);
}

/* Planted bug (mut_hooks.h RESCUE_INSTALL_REFUSED, item 5; only used in that mutation build):
 * install whatever was uploaded, gates or not. */
static smp_image_ops_t mut_ops;

/* Planted bug (mut_hooks.h RESCUE_IGNORE_REVOCATION, item 5): the rescue's keyring without the
 * revocation flags. */
static keyring_t mut_keyring;

static const keyring_t *mut_rescue_keyring(const keyring_t *kr)
{
    mut_keyring = *kr;
    for (uint32_t i = 0; i < mut_keyring.count && i < KR_MAX_KEYS; i++) {
        if ((mut_keyring.keys[i].flags & KR_FLAG_REVOKED) != 0u) {
            mut_keyring.keys[i].flags = KR_FLAG_ALLOWED;
        }
    }
    return &mut_keyring;
}

static int mut_upload_end(void *ctx)
{
    upd_t *u = (upd_t *)ctx;
    int rc = upd_smp_ops()->upload_end(ctx);
    meta_record_t rec;

    if (rc != SMP_OPS_OK && upd_record(u, &rec)) {
        rec.state[u->slot] = META_ST_PENDING;
        rec.attempts[u->slot] = 0u;
        rec.next = u->slot;
        rec.build[u->slot] = u->build;
        rec.image_id[u->slot] = u->image_id;
        rec.up_slot = META_SLOT_NONE;
        rec.up_offset = 0u;
        rec.up_image_id = 0u;
        rec.up_build = 0u;
        if (upd_commit_record(u, &rec) == UPD_OK) {
            bs_event_t ev = {0};
            ev.kind = BS_EV_SLOT_TRANSITION;
            ev.from = BS_PH_STAGING;
            ev.to = BS_PH_PENDING;
            ev.slot = u->slot;
            upd_emit_events(&ev, 1u);
            return SMP_OPS_OK;
        }
    }
    return rc;
}
#endif

/* Handle one console line in rescue. No return value (reset does not return). */
static void rescue_line(const char *line)
{
    ev_fields_t f;

    if (fmt_streq("ping", line, fmt_strlen_bounded(line, CONSOLE_LINE_MAX))) {
        (void)ev_emit("PONG", NULL);
    } else if (fmt_streq("reset", line, fmt_strlen_bounded(line, CONSOLE_LINE_MAX))) {
        ev_fields_init(&f);
        (void)ev_add_str(&f, "kind", "software");
        (void)ev_emit("RESET_REQ", &f);
        rescue_reset(NULL);
    } else if (fmt_streq("evidence", line, fmt_strlen_bounded(line, CONSOLE_LINE_MAX))) {
        uint32_t n;
        uint32_t g;
        uint32_t stored;
        uint32_t lost;
        (void)bev_flush();
        n = bev_replay();
        bev_ring_stats(&stored, &lost, &g);
        ev_fields_init(&f);
        (void)ev_add_u32(&f, "records", n);
        (void)ev_add_u32(&f, "guaranteed", g);
        (void)ev_add_u32(&f, "stored", stored);
        (void)ev_add_u32(&f, "lost", lost);
        (void)ev_emit("EVRING", &f);
    } else if (line[0] != '\0') {
        (void)ev_emit_text("! unknown command");
    }
}

void rescue_run(const rescue_env_t *env)
{
    ev_fields_t f;
    uint8_t target = env->target_slot;
    uint32_t idle = 0;
#if BOOT_HAVE_UPDATER
    upd_config_t cfg;
    const smp_image_ops_t *ops;
#endif

    (void)ev_init("rescue", ev_next_seq(), bev_sink);
    (void)port_wdt_start(RESCUE_WDT_MS);
#if BOOT_HAVE_UPDATER
    cfg.fl = &bflash_meta; /* reports WRITE_GATED itself */
    cfg.slot_addr[0] = PLAT_AREA_SLOT_A_ADDR;
    cfg.slot_addr[1] = PLAT_AREA_SLOT_B_ADDR;
    cfg.slot_size[0] = PLAT_AREA_SLOT_A_SIZE;
    cfg.slot_size[1] = PLAT_AREA_SLOT_B_SIZE;
    cfg.meta_addr[0] = PLAT_AREA_META_A_ADDR;
    cfg.meta_addr[1] = PLAT_AREA_META_B_ADDR;
    cfg.hdr_size = PLAT_IMAGE_HEADER_SIZE;
    cfg.kr = MUT_HOOK_RESCUE_IGNORE_REVOCATION() ? mut_rescue_keyring(env->keyring) : env->keyring;
    cfg.running_slot = META_SLOT_NONE; /* nothing runs: no replay check, the floor holds */
    cfg.running_build = 0u;
    cfg.gated_events = 0u;
    cfg.tick = rescue_tick;
    cfg.reset = rescue_reset_cb;
    cfg.ctx = NULL;
    (void)upd_init(&upd, &cfg);
    ops = upd_smp_ops();
    if (MUT_HOOK_RESCUE_INSTALL_REFUSED()) {
        mut_ops = *ops;
        mut_ops.upload_end = mut_upload_end;
        ops = &mut_ops;
    }
    (void)smp_server_init(&server, ops, &upd, rescue_smp_out, NULL);
    if (upd_target_slot(&upd) != META_SLOT_NONE) {
        target = upd_target_slot(&upd);
    }
#endif
    console_init(&console);
    ev_fields_init(&f);
    (void)ev_add_str(&f, "slot", target == META_SLOT_B ? "B" : "A");
    (void)ev_emit("RESCUE_READY", &f);
    (void)bev_flush();

    for (;;) {
        int c = port_uart_getc();
        if (c < 0) {
            if (++idle >= 4096u) {
                idle = 0;
                port_wdt_feed();
            }
            continue;
        }
#if BOOT_HAVE_UPDATER
        if (smp_server_feed(&server, c) != SMP_RX_TEXT) {
            port_wdt_feed();
            continue;
        }
#endif
        if (console_feed(&console, c) == CONSOLE_LINE) {
            rescue_line(console.buf);
        }
        port_wdt_feed();
    }
}
