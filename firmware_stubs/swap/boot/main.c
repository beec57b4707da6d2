/*
 * main.c - the swap bootloader ("swapboot"): an MCUboot-style bootloader with swap using move,
 * plain-text log on the console UART (docs/contract-swap.md §5), serial recovery on the
 * management UART. Polled: no interrupt is enabled.
 *
 *   reset cause -> strap pin (serial recovery) -> boot_go (resume / swap / validate) ->
 *   watchdog armed (bounds the test boot of an unconfirmed image) -> jump; or serial recovery
 *   when nothing is bootable; or a reset after a failed flash operation (the swap resumes).
 */
#include "devflash.h"
#include "flash_map.h"
#include "hal.h"
#include "layout.h"
#include "loader.h"
#include "port.h"
#include "recovery.h"
#include "slog.h"
#include "strap.h"
#include "swap_hooks.h"

static void console_sink(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    (void)port_uart_write(text, len);
}

/* About `ms` milliseconds of busy waiting (4 cycles per loop pass, roughly). No return. */
static void delay_ms(uint32_t ms)
{
    uint32_t n = ms * (PLAT_CORE_CLOCK_HZ / 4000u);

    while (n-- != 0u) {
        __asm volatile("" ::: "memory");
    }
}

int main(void)
{
    boot_rsp_t rsp;
    uint32_t raw = 0;
    port_reset_cause_t cause;
    int rc;

    (void)port_init();
    slog_init(SLOG_STYLE_MCUBOOT, console_sink, NULL, NULL);
    BLOG_INF("Starting bootloader");
    cause = port_reset_cause(&raw);
    BLOG_INF("Reset cause: %s (raw 0x%08x)", port_reset_cause_name(cause), (unsigned)raw);
    (void)devflash_init();
    hal_mgmt_init();

    if (strap_rescue_requested()) {
        recovery_run("strap pin held at reset");
    }
    rc = boot_go(&rsp);
    if (rc == BOOT_EFLASH) {
        BLOG_ERR("Resetting to resume the swap");
        delay_ms(100u);
        port_system_reset();
    }
    if (rc != BOOT_OK) {
        recovery_run("no bootable image");
    }
    if (!SWAP_HOOK_SKIP_WATCHDOG()) {
        (void)port_wdt_start(SWAP_WDT_MS);
        BLOG_INF("Watchdog armed: %u ms", (unsigned)SWAP_WDT_MS);
    }
    BLOG_INF("Jumping to the first image slot");
    (void)port_uart_flush();
    (void)port_jump(rsp.vtor);
    BLOG_ERR("Jump refused: no valid vector table at 0x%08x", (unsigned)rsp.vtor);
    recovery_run("jump refused");
}
