/*
 * recovery.c - MCUboot-style serial recovery of the swap bootloader (docs/contract-swap.md
 * §10): MCUmgr SMP on the management UART, polled, no watchdog. Entered when the strap pin
 * is held at reset or when nothing is bootable. Uploads land in the secondary slot and are
 * checked like a swap candidate (signature, key not revoked, security counter, newer than a
 * valid primary image) before they are marked for a permanent swap; the OS reset command then
 * restarts into the bootloader, which swaps them in (checking them again).
 */
#include "recovery.h"

#include "hal.h"
#include "loader.h"
#include "mgmt.h"
#include "port.h"
#include "slog.h"

static void mgmt_out(void *ctx, const uint8_t *line, size_t len)
{
    size_t i;

    (void)ctx;
    for (i = 0; i < len; i++) {
        (void)hal_mgmt_putc(line[i]);
    }
}

static void recovery_reset(void)
{
    (void)hal_mgmt_flush();
    BLOG_INF("Serial recovery: reset requested");
    port_system_reset();
}

void recovery_run(const char *why)
{
    static const mgmt_cfg_t cfg = {1, mgmt_out, NULL, recovery_reset, boot_check_candidate};

    BLOG_INF("Enter the serial recovery mode");
    BLOG_INF("Serial recovery: %s; MCUmgr SMP on %s", why, HAL_MGMT_NAME);
    mgmt_init(&cfg);
    for (;;) {
        int b = hal_mgmt_getc();
        if (b >= 0) {
            mgmt_feed(b);
        }
    }
}
