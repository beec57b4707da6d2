/*
 * app/main.c - issue-2 walking-skeleton application (linked at SLOT_A).
 *
 *   port_init -> continue the evidence seq from the handoff -> BOOT + text line ->
 *   RAM_MARK -> loop: feed the watchdog, serve console commands (contracts §3).
 *
 * Build options: APP_BUILD=<n> (reported build number, default 1), APP_NO_WDT_FEED=1
 * (never feed the watchdog).
 */
#include "console.h"
#include "evidence.h"
#include "fmt.h"
#include "handoff.h"
#include "platform_gen.h"
#include "port.h"

#ifndef APP_BUILD
#define APP_BUILD 1
#endif
#ifndef APP_NO_WDT_FEED
#define APP_NO_WDT_FEED 0
#endif

/* Feed every this many main-loop iterations (the loop polls the UART each time). */
#define APP_FEED_EVERY 256u

#define RAM_MARK_MAGIC 0x52414D4Bu /* "RAMK" */

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

/* Evidence sink: the console UART. No return value. */
static void app_sink(const char *data, size_t len)
{
    (void)port_uart_write(data, len);
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
    case CMD_RESET: {
        ev_fields_t f;
        ev_fields_init(&f);
        (void)ev_add_str(&f, "kind", "software");
        (void)ev_emit("RESET_REQ", &f);
        port_system_reset();
    }
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

    ev_fields_init(&f);
    (void)ev_add_u32(&f, "valid", valid ? 1u : 0u);
    (void)ev_add_u32(&f, "count", count);
    (void)ev_emit("RAM_MARK", &f);
    m->magic = RAM_MARK_MAGIC;
    m->count = count + 1u;
}

/* BOOT slot=A build=<n> state=running and the text line. No return value. */
static void app_report_boot(void)
{
    static const char prefix[] = "running build ";
    static const char suffix[] = " from slot A";
    char text[sizeof(prefix) + FMT_U32_MAX_CHARS + sizeof(suffix)];
    ev_fields_t f;
    size_t n = 0;
    size_t i;
    int len;

    ev_fields_init(&f);
    (void)ev_add_str(&f, "slot", "A");
    (void)ev_add_u32(&f, "build", (uint32_t)(APP_BUILD));
    (void)ev_add_str(&f, "state", "running");
    (void)ev_emit("BOOT", &f);

    for (i = 0; i < sizeof(prefix) - 1u; i++) {
        text[n++] = prefix[i];
    }
    len = fmt_u32_dec(&text[n], sizeof(text) - n, (uint32_t)(APP_BUILD));
    n += len > 0 ? (size_t)len : 0u;
    for (i = 0; i < sizeof(suffix); i++) { /* includes the NUL */
        text[n++] = suffix[i];
    }
    (void)ev_emit_text(text);
}

/* Application entry (called by Reset_Handler). Never returns. */
int main(void)
{
    volatile handoff_t *h = &__plat_handoff;
    uint32_t seq = 0;
    uint32_t spins = 0;

    (void)port_init();
    if (handoff_valid(h)) {
        seq = h->next_seq;
    }
    h->magic = 0u; /* consumed: a later start without the bootloader starts from 0 */
    (void)ev_init("app", seq, app_sink);

    app_report_boot();
    app_ram_mark();
    console_init(&console);
    if (feeding) {
        port_wdt_feed();
    }

    for (;;) {
        console_cmd_t cmd;
        int ch;
        int rc;

        if (feeding && ++spins >= APP_FEED_EVERY) {
            spins = 0;
            port_wdt_feed();
        }
        ch = port_uart_getc();
        if (ch < 0) {
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
            if (feeding) {
                port_wdt_feed(); /* a flash command may have taken a while */
            }
        }
    }
    return 0;
}
