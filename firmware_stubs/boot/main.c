/*
 * boot/main.c - bootloader with signed-image verification (issue 3).
 *
 *   port_init -> REBOOT_REASON -> LAYOUT -> ANCHOR (trust anchor from the keys area)
 *   -> verify slot A (img_parse, img_verify, img_check_policy; events below)
 *   -> watchdog (~2 s) -> JUMP -> handoff -> jump to slot A's vector table
 *      (PLAT_AREA_SLOT_A_ADDR + PLAT_IMAGE_HEADER_SIZE)
 *   or, on any failure: watchdog -> BOOT_HALT reason=no_valid_image -> safe loop that feeds
 *      the watchdog (nothing boots; rescue comes in a later issue).
 *
 * Events (contracts §7):
 *
 * | situation                         | events                                              |
 * |-----------------------------------|-----------------------------------------------------|
 * | anchor valid                      | ANCHOR result=ok keys=N floor=N compat=0x..         |
 * | anchor missing/corrupt            | ANCHOR result=fail error_code=<keyring_err_name>;   |
 * |                                   | verification then runs with an empty keyring, so a  |
 * |                                   | well-formed image ends in VERIFY_SIG result=fail    |
 * |                                   | error_code=key_unknown (nothing boots)              |
 * | step 1-2 failure                  | PARSE_MANIFEST result=fail error_code=..            |
 * | steps 3-5                         | VERIFY_SIG result=ok|fail key_id=0x.. error_code=.. |
 * | steps 6-8 (signature verified)    | PARSE_MANIFEST result=ok|fail build=N slot=A|B      |
 * |                                   | compat=0x.. error_code=..                           |
 * | all ok                            | JUMP slot=A addr=0x..                               |
 * | any failure                       | BOOT_HALT reason=no_valid_image                     |
 *
 * Policy for slot A: hw_compat and floor from the anchor, target slot 0 (A), image type 1,
 * no running build (0), erased value PLAT_FLASH_ERASED_VALUE for the tail check.
 *
 * Watchdog: started AFTER verification (just before the jump, or before the halt loop).
 * Verification is bounded by construction (every loop is bounded by the slot size and no
 * wait loop depends on the image). Measured in the emulator with the 6 KiB reference app:
 * reset to JUMP about 4.9 M instructions, of which one p256_verify call (which cannot be
 * interrupted to feed) is about 3.9 M; that is ~1.2 s at the STM32U585's 4 MHz, too close
 * to the ~2 s watchdog period to be safe. The halt loop feeds the watchdog so that whatever
 * runs there later (rescue) is supervised. img_source_t.tick is there for callers that
 * verify with the watchdog running (e.g. a later updater).
 *
 * Flash is read only through port_flash_read_block (tolerant: torn/ECC units give an error
 * code instead of a fault; erased units read as the erased value). A read error fails the
 * step that was reading (image.h) and is shown as a console text line
 * "! flash read <err> at 0x<addr>".
 *
 * Evidence seq starts at 0 on every reset (contracts §3) and the next value is passed to
 * the application in the handoff block.
 */
#include "evidence.h"
#include "fmt.h"
#include "handoff.h"
#include "image.h"
#include "keyring.h"
#include "platform_gen.h"
#include "port.h"

#define BOOT_WDT_TIMEOUT_MS 2000u
/* Halt loop: spin iterations between watchdog feeds (about 4 instructions each, so about
 * 50 ms at 4 MHz, far below the ~2 s period; keeps the halted chip cheap to emulate). */
#define BOOT_HALT_SPIN 50000u
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

/* ---- trust anchor ----------------------------------------------------------------- */

static uint8_t anchor_buf[KR_MAX_BYTES];
static keyring_t keyring;

/*
 * Read and validate the trust anchor in the keys area into `keyring` (left empty on any
 * error) and emit ANCHOR. The 20-byte head is read first; its count (ATTACKER-controlled
 * until the CRC matched) sizes the second read only after keyring_anchor_size() bounded it
 * to KR_MAX_BYTES, and the keys area must hold that many bytes.
 * Returns: KR_OK or a KR_ERR_* code (KR_ERR_READ when the flash read failed).
 */
static int boot_load_anchor(void)
{
    ev_fields_t f;
    size_t need;
    int rc;

    keyring_init_empty(&keyring);
    if (port_flash_read_block(PLAT_AREA_KEYS_ADDR, anchor_buf, KR_HEAD_BYTES) != PORT_OK) {
        rc = KR_ERR_READ;
    } else {
        need = keyring_anchor_size(anchor_buf); /* 0 when count > KR_MAX_KEYS */
        if (need > KR_HEAD_BYTES && need <= sizeof(anchor_buf) && need <= PLAT_AREA_KEYS_SIZE &&
            port_flash_read_block(PLAT_AREA_KEYS_ADDR + KR_HEAD_BYTES,
                                  &anchor_buf[KR_HEAD_BYTES],
                                  (uint32_t)(need - KR_HEAD_BYTES)) != PORT_OK) {
            rc = KR_ERR_READ;
        } else {
            /* need == 0: the head alone gives the error (magic/version/count) */
            rc = keyring_parse(anchor_buf, need == 0u ? KR_HEAD_BYTES : need, &keyring);
        }
    }
    ev_fields_init(&f);
    if (rc == KR_OK) {
        (void)ev_add_str(&f, "result", "ok");
        (void)ev_add_u32(&f, "keys", keyring.count);
        (void)ev_add_u32(&f, "floor", keyring.floor);
        (void)ev_add_hex(&f, "compat", keyring.hw_compat, 0u);
    } else {
        keyring_init_empty(&keyring);
        (void)ev_add_str(&f, "result", "fail");
        (void)ev_add_str(&f, "error_code", keyring_err_name(rc));
    }
    (void)ev_emit("ANCHOR", &f);
    return rc;
}

/* ---- slot A verification ------------------------------------------------------------ */

/*
 * img_read_fn over slot A: `off` is relative to the slot start (img_parse keeps every read
 * inside [0, PLAT_AREA_SLOT_A_SIZE)).
 * Returns: 0 or the negative PORT_ERR_* of port_flash_read_block.
 */
static int boot_slot_read(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    (void)ctx;
    if (off > PLAT_AREA_SLOT_A_SIZE || len > PLAT_AREA_SLOT_A_SIZE - off) {
        return PORT_ERR_BADARG;
    }
    return port_flash_read_block(PLAT_AREA_SLOT_A_ADDR + off, dst, len);
}

/* Console text for a failed flash read during verification. No return value. */
static void boot_report_io(const img_source_t *src)
{
    static char line[64];
    static const char prefix[] = "! flash read ";
    const char *name;
    size_t n = 0;
    size_t i;
    int k;

    if (src->io_err == 0) {
        return;
    }
    for (i = 0; prefix[i] != '\0'; i++) {
        line[n++] = prefix[i];
    }
    name = port_err_name(src->io_err);
    for (i = 0; name[i] != '\0' && n < 40u; i++) {
        line[n++] = name[i];
    }
    line[n++] = ' ';
    line[n++] = 'a';
    line[n++] = 't';
    line[n++] = ' ';
    k = fmt_u32_hex(&line[n], sizeof(line) - n, PLAT_AREA_SLOT_A_ADDR + src->io_off, 0u);
    if (k < 0) {
        line[n] = '\0';
    }
    (void)ev_emit_text(line);
}

/* Name of a target slot value for evidence. Returns "A", "B" or "?". */
static const char *boot_slot_name(uint32_t slot)
{
    return slot == 0u ? "A" : (slot == 1u ? "B" : "?");
}

/*
 * Verify slot A against `keyring` and emit PARSE_MANIFEST / VERIFY_SIG / PARSE_MANIFEST as
 * contracts §7 prescribes (see the table at the top).
 * Returns: IMG_OK when slot A may be started, else the first failing img_result_t.
 */
static img_result_t boot_verify_slot_a(void)
{
    static img_manifest_t m;
    img_source_t src = {0};
    img_policy_t pol;
    img_result_t r;
    ev_fields_t f;

    src.read = boot_slot_read;
    src.ctx = NULL;
    src.size = PLAT_AREA_SLOT_A_SIZE;
    src.tick = NULL; /* the watchdog is not running yet (see the top) */

    r = img_parse(&src, PLAT_IMAGE_HEADER_SIZE, &m);
    if (r != IMG_OK) {
        boot_report_io(&src);
        ev_fields_init(&f);
        (void)ev_add_str(&f, "result", "fail");
        (void)ev_add_str(&f, "error_code", img_result_name(r));
        (void)ev_emit("PARSE_MANIFEST", &f);
        return r;
    }

    r = img_verify(&src, &m, &keyring);
    boot_report_io(&src);
    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", r == IMG_OK ? "ok" : "fail");
    (void)ev_add_hex(&f, "key_id", m.key_id, 0u);
    (void)ev_add_str(&f, "error_code", img_result_name(r));
    (void)ev_emit("VERIFY_SIG", &f);
    if (r != IMG_OK) {
        return r;
    }

    pol.hw_compat = keyring.hw_compat;
    pol.slot = 0u;
    pol.image_type = IMG_TYPE_APP;
    pol.floor = keyring.floor;
    pol.running_build = 0u;
    pol.erased_value = PLAT_FLASH_ERASED_VALUE;
    r = img_check_policy(&src, &m, &pol);
    boot_report_io(&src);
    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", r == IMG_OK ? "ok" : "fail");
    (void)ev_add_u32(&f, "build", m.sec_cnt);
    (void)ev_add_str(&f, "slot", boot_slot_name(m.target_slot));
    (void)ev_add_hex(&f, "compat", m.hw_compat, 0u);
    (void)ev_add_str(&f, "error_code", img_result_name(r));
    (void)ev_emit("PARSE_MANIFEST", &f);
    return r;
}

/* Nothing bootable: BOOT_HALT, then feed the watchdog forever. Does not return. */
static void boot_halt(void) __attribute__((noreturn));
static void boot_halt(void)
{
    ev_fields_t f;

    ev_fields_init(&f);
    (void)ev_add_str(&f, "reason", "no_valid_image");
    (void)ev_emit("BOOT_HALT", &f);
    for (;;) {
        uint32_t i;
        port_wdt_feed(); /* safe loop; rescue comes in a later issue */
        for (i = 0; i < BOOT_HALT_SPIN; i++) {
            __asm__ volatile("nop"); /* no peripheral access between feeds */
        }
    }
}

/* Bootloader entry (called by Reset_Handler). Does not return: jumps to slot A or halts. */
int main(void)
{
    const uint32_t vtor = PLAT_AREA_SLOT_A_ADDR + PLAT_IMAGE_HEADER_SIZE;
    port_reset_cause_t cause;
    img_result_t r;
    ev_fields_t f;
    int rc;

    (void)port_init();
    (void)ev_init("boot", 0u, boot_sink);

    cause = boot_report_reset();
    boot_report_layout();
    (void)boot_load_anchor(); /* an invalid anchor leaves an empty keyring */
    r = boot_verify_slot_a();
    (void)port_wdt_start(BOOT_WDT_TIMEOUT_MS);
    if (r != IMG_OK) {
        boot_halt();
    }

    ev_fields_init(&f);
    (void)ev_add_str(&f, "slot", "A");
    (void)ev_add_hex(&f, "addr", vtor, 0u);
    (void)ev_emit("JUMP", &f);

    boot_write_handoff(HANDOFF_SLOT_A, vtor, cause);
    rc = port_jump(vtor);

    /* Only reached when the verified image's vector table is unusable. */
    (void)ev_emit_text("! jump refused: slot A has no valid vector table");
    (void)rc;
    boot_halt();
    return 0;
}
