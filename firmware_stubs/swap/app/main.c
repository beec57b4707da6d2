/*
 * main.c - the swap target's application ("swapapp"): interrupt driven and SysTick timed
 * (docs/contract-swap.md §5, §10, §11).
 *
 *   - SysTick interrupt every millisecond: the uptime that times everything (self-test start,
 *     watchdog feeding, delayed resets) and stamps the log lines (Zephyr log format);
 *   - console UART and management UART receive by interrupt into ring buffers; the main loop
 *     drains them (console command lines; MCUmgr SMP frames) and sleeps (WFI) when idle;
 *   - boot test: SELF_TEST_AT_MS after start the self-test runs as its own image's SELF_TEST
 *     TLV says (pass / fail / hang / never), and a passing test confirms the image (writes
 *     image_ok in the primary trailer);
 *   - the watchdog (armed by the bootloader) is fed only while the running image is
 *     confirmed: an unconfirmed image that hangs or never confirms is reset within the
 *     bootloader's SWAP_WDT_MS and reverted at the next boot.
 */
#include <stdint.h>

#include "devflash.h"
#include "flash_map.h"
#include "hal.h"
#include "imgstate.h"
#include "layout.h"
#include "mgmt.h"
#include "port.h"
#include "slog.h"
#include "swap_hooks.h"
#include "trailer.h"

#define SELF_TEST_AT_MS  50u   /* the self-test starts this long after the app started */
#define WDT_FEED_EVERY_MS 100u
#define RESET_DELAY_MS   20u   /* log lines leave the UART before a requested reset */
#define LINE_MAX         64u   /* console command line */
#define CON_RING         256u  /* power of two */
#define MGMT_RING        2048u /* power of two: one whole SMP request (1024 B, base64) fits */

/* ---- time --------------------------------------------------------------------------------- */

static volatile uint32_t ticks_ms;

void SysTick_Handler(void)
{
    ticks_ms++;
}

static uint32_t now_ms(void)
{
    return ticks_ms;
}

/* ---- receive rings (one producer: the ISR; one consumer: the main loop) ------------------- */

typedef struct {
    volatile uint32_t head; /* written by the ISR */
    volatile uint32_t tail; /* written by the main loop */
    uint32_t dropped;       /* bytes lost because the ring was full (ISR only) */
} ring_t;

static ring_t con_ring;
static uint8_t con_buf[CON_RING];
static ring_t mgmt_ring;
static uint8_t mgmt_buf[MGMT_RING];

static void ring_put(ring_t *r, uint8_t *buf, uint32_t size, uint8_t b)
{
    uint32_t h = r->head;

    if (h - r->tail >= size) {
        r->dropped++;
        return;
    }
    buf[h & (size - 1u)] = b;
    r->head = h + 1u;
}

static int ring_get(ring_t *r, const uint8_t *buf, uint32_t size)
{
    uint32_t t = r->tail;
    int b;

    if (t == r->head) {
        return -1;
    }
    b = buf[t & (size - 1u)];
    r->tail = t + 1u;
    return b;
}

void Console_IRQHandler(void)
{
    int b;

    while ((b = port_uart_getc()) >= 0) {
        ring_put(&con_ring, con_buf, CON_RING, (uint8_t)b);
    }
}

void Mgmt_IRQHandler(void)
{
    int b;

    while ((b = hal_mgmt_getc()) >= 0) {
        ring_put(&mgmt_ring, mgmt_buf, MGMT_RING, (uint8_t)b);
    }
}

/* ---- output ------------------------------------------------------------------------------- */

static void console_sink(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    (void)port_uart_write(text, len);
}

static void mgmt_out(void *ctx, const uint8_t *line, size_t len)
{
    size_t i;

    (void)ctx;
    for (i = 0; i < len; i++) {
        (void)hal_mgmt_putc(line[i]);
    }
}

/* ---- state -------------------------------------------------------------------------------- */

static uint32_t self_test;       /* SWAPIMG_SELF_TEST_* of the running image */
static int self_test_done;
static uint32_t reset_at;        /* 0: no reset scheduled; else the tick to reset at */
static uint32_t last_feed;

static void schedule_reset(void)
{
    slog(SLOG_INF, "app", "resetting");
    reset_at = now_ms() + RESET_DELAY_MS;
    if (reset_at == 0u) {
        reset_at = 1u;
    }
}

static void smp_reset(void)
{
    slog(SLOG_INF, "os_mgmt", "reset requested");
    (void)hal_mgmt_flush();
    schedule_reset();
}

static void run_self_test(void)
{
    self_test_done = 1;
    switch (self_test) {
    case SWAPIMG_SELF_TEST_FAIL:
        slog(SLOG_ERR, "app", "self-test failed: resetting without confirming");
        schedule_reset();
        return;
    case SWAPIMG_SELF_TEST_HANG:
        /* the main loop stops (interrupts are still served: SysTick counts on) */
        slog(SLOG_WRN, "app", "self-test hangs: the main loop stops, no watchdog feed");
        for (;;) {
            __asm volatile("" ::: "memory");
        }
    case SWAPIMG_SELF_TEST_NEVER:
        slog(SLOG_WRN, "app", "self-test never confirms: running on, no watchdog feed");
        return;
    default:
        break;
    }
    slog(SLOG_INF, "app", "self-test passed");
    if (!imgst_running_confirmed()) {
        if (imgst_confirm() == IMGST_OK) {
            slog(SLOG_INF, "app", "image confirmed");
        } else {
            slog(SLOG_ERR, "app", "confirm failed");
        }
    }
}

/* ---- console commands ----------------------------------------------------------------------- */

static int line_is(const char *line, uint32_t len, const char *cmd)
{
    uint32_t i;

    for (i = 0; i < len; i++) {
        if (cmd[i] == '\0' || cmd[i] != line[i]) {
            return 0;
        }
    }
    return cmd[len] == '\0';
}

static void cmd_status(void)
{
    tr_state_t p;
    tr_state_t s;

    tr_read(fa_primary, &p);
    tr_read(fa_secondary, &s);
    slog(SLOG_INF, "app", "primary: magic=%s copy_done=%s image_ok=%s", tr_magic_name(p.magic),
         tr_flag_name(p.copy_done), tr_flag_name(p.image_ok));
    slog(SLOG_INF, "app", "secondary: magic=%s image_ok=%s swap_type=%s", tr_magic_name(s.magic),
         tr_flag_name(s.image_ok), tr_swap_name(s.swap_type));
    slog(SLOG_INF, "app", "running image %s", imgst_running_confirmed() ? "confirmed" : "on test");
}

static void cmd_upgrade(int permanent)
{
    int rc;

    if (!imgst_running_confirmed()) {
        slog(SLOG_ERR, "app", "upgrade refused: the running image is not confirmed");
        return;
    }
    rc = imgst_set_pending(permanent);
    if (rc != IMGST_OK) {
        slog(SLOG_ERR, "app", "upgrade refused: %s",
             rc == IMGST_ERR_NO_IMAGE ? "no image in the secondary slot"
             : rc == IMGST_ERR_HASH   ? "the secondary slot does not match its hash"
                                      : "flash write failed");
        return;
    }
    slog(SLOG_INF, "app", "secondary slot marked for a %s swap", permanent ? "permanent" : "test");
    schedule_reset();
}

static void run_command(const char *line, uint32_t len)
{
    if (len == 0u) {
        return;
    }
    if (line_is(line, len, "status")) {
        cmd_status();
    } else if (line_is(line, len, "upgrade test")) {
        cmd_upgrade(0);
    } else if (line_is(line, len, "upgrade perm")) {
        cmd_upgrade(1);
    } else if (line_is(line, len, "confirm")) {
        slog(imgst_confirm() == IMGST_OK ? SLOG_INF : SLOG_ERR, "app", "confirm: %s",
             imgst_running_confirmed() ? "confirmed" : "failed");
    } else if (line_is(line, len, "reset")) {
        schedule_reset();
    } else if (line_is(line, len, "uptime")) {
        slog(SLOG_INF, "app", "uptime %u ms", (unsigned)now_ms());
    } else {
        slog(SLOG_ERR, "app", "unknown command");
    }
}

static void console_byte(int b)
{
    static char line[LINE_MAX];
    static uint32_t len;
    static int overflow;

    if (b == '\r') {
        return;
    }
    if (b == '\n') {
        if (overflow) {
            slog(SLOG_ERR, "app", "line too long");
        } else {
            run_command(line, len);
        }
        len = 0;
        overflow = 0;
        return;
    }
    if (len < LINE_MAX - 1u) {
        line[len++] = (char)b;
    } else {
        overflow = 1;
    }
}

/* ---- main ------------------------------------------------------------------------------------- */

int main(void)
{
    static const mgmt_cfg_t mcfg = {0, mgmt_out, NULL, smp_reset, NULL};
    swapimg_info_t me;
    int confirmed;

    (void)port_init();
    (void)devflash_init();
    hal_mgmt_init();
    slog_init(SLOG_STYLE_ZEPHYR, console_sink, NULL, now_ms);
    mgmt_init(&mcfg);

    systick_start_1ms();
    nvic_enable(HAL_IRQ_CONSOLE, 0x80u);
    nvic_enable(HAL_IRQ_MGMT, 0x80u);
    hal_console_rx_irq(1);
    hal_mgmt_rx_irq(1);
    irq_enable_all();

    slog_raw("*** Booting swapapp: MCUmgr SMP on " HAL_MGMT_NAME " ***\r\n",
             sizeof("*** Booting swapapp: MCUmgr SMP on " HAL_MGMT_NAME " ***\r\n") - 1u);
    self_test = SWAPIMG_SELF_TEST_PASS;
    if (swapimg_parse(fa_primary, tr_first_trailer_sector_off(fa_primary, SWAP_SECTOR_SIZE),
                      &me) == SWAPIMG_OK) {
        self_test = me.self_test;
    }
    confirmed = imgst_running_confirmed();
    slog(SLOG_INF, "app", "image 0 in the primary slot: %s",
         confirmed ? "confirmed" : "on test, not confirmed");
    if (SWAP_HOOK_CONFIRM_BEFORE_SELF_TEST() && !confirmed && imgst_confirm() == IMGST_OK) {
        slog(SLOG_INF, "app", "image confirmed"); /* MUTATION: before the self-test */
    }

    for (;;) {
        int b;
        int busy = 0;

        while ((b = ring_get(&con_ring, con_buf, CON_RING)) >= 0) {
            console_byte(b);
            busy = 1;
        }
        while ((b = ring_get(&mgmt_ring, mgmt_buf, MGMT_RING)) >= 0) {
            mgmt_feed(b);
            busy = 1;
        }
        if (!self_test_done && now_ms() >= SELF_TEST_AT_MS) {
            run_self_test();
        }
        if (now_ms() - last_feed >= WDT_FEED_EVERY_MS) {
            last_feed = now_ms();
            if (imgst_running_confirmed()) {
                port_wdt_feed();
            }
        }
        if (reset_at != 0u && (int32_t)(now_ms() - reset_at) >= 0) {
            (void)port_uart_flush();
            (void)hal_mgmt_flush();
            port_system_reset();
        }
        if (!busy) {
            /* sleep until the next interrupt (SysTick at the latest); masked so that a byte
             * arriving between the check and the WFI still wakes it */
            irq_disable_all();
            if (con_ring.head == con_ring.tail && mgmt_ring.head == mgmt_ring.tail) {
                wait_for_interrupt();
            }
            irq_enable_all();
        }
    }
}
