/*
 * boot/main.c - issue-2 walking-skeleton bootloader.
 *
 *   port_init -> REBOOT_REASON -> LAYOUT -> watchdog (~2 s) -> JUMP -> handoff -> jump to
 *   slot A's vector table (PLAT_AREA_SLOT_A_ADDR + PLAT_IMAGE_HEADER_SIZE).
 *
 * No image verification yet. Evidence seq starts at 0 on every reset (contracts §3) and the
 * next value is passed to the application in the handoff block.
 */
#include "evidence.h"
#include "fmt.h"
#include "handoff.h"
#include "platform_gen.h"
#include "port.h"

#define BOOT_WDT_TIMEOUT_MS 2000u
#define LAYOUT_AREAS 7u
#define LAYOUT_VALUE_MAX 24u /* "0x" + 8 + "+" + "0x" + 8 + NUL = 22 */

/* Evidence sink: the console UART. No return value. */
static void boot_sink(const char *data, size_t len)
{
    (void)port_uart_write(data, len);
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
 * LAYOUT platform=<PLAT_NAME> <area>=0xADDR+0xSIZE ... in layout order.
 * The areas are packed greedily into as few LAYOUT lines as fit (one with today's layouts
 * and the 255-byte line limit); every line starts with platform=. A consumer merges the area
 * fields of all LAYOUT events of one boot.
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
        /* Largest run [first, first+take) that still formats into one line. */
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
            take = 1u; /* a single area that does not fit: ev_emit reports the refusal */
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

/* Fill the handoff block for the application. No return value. */
static void boot_write_handoff(uint32_t slot, uint32_t vtor, port_reset_cause_t cause)
{
    volatile handoff_t *h = &__plat_handoff;

    h->magic = HANDOFF_MAGIC;
    h->version = HANDOFF_VERSION;
    h->next_seq = ev_next_seq();
    h->slot = slot;
    h->vtor = vtor;
    h->reset_cause = (uint32_t)cause;
    h->check = handoff_crc(h);
}

/* Bootloader entry (called by Reset_Handler). Returns only if the jump is refused, after
 * which Reset_Handler resets the chip. */
int main(void)
{
    const uint32_t vtor = PLAT_AREA_SLOT_A_ADDR + PLAT_IMAGE_HEADER_SIZE;
    port_reset_cause_t cause;
    ev_fields_t f;
    int rc;

    (void)port_init();
    (void)ev_init("boot", 0u, boot_sink);

    cause = boot_report_reset();
    boot_report_layout();
    (void)port_wdt_start(BOOT_WDT_TIMEOUT_MS);

    ev_fields_init(&f);
    (void)ev_add_str(&f, "slot", "A");
    (void)ev_add_hex(&f, "addr", vtor, 0u);
    (void)ev_emit("JUMP", &f);

    boot_write_handoff(HANDOFF_SLOT_A, vtor, cause);
    rc = port_jump(vtor);

    /* Only reached when slot A's vector table is unusable (e.g. an erased slot). */
    (void)ev_emit_text("! jump refused: slot A has no valid vector table");
    (void)rc;
    for (;;) {
        /* no feed: the watchdog resets the chip (rescue comes in a later issue) */
    }
    return 0;
}
