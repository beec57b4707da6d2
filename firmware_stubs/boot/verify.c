/*
 * verify.c - trust anchor and slot verification for the bootloader (see verify.h).
 */
#include "verify.h"

#include "evidence.h"
#include "fmt.h"
#include "platform_gen.h"
#include "port.h"

/* ---- trust anchor ----------------------------------------------------------------- */

static uint8_t anchor_buf[KR_MAX_BYTES];
static keyring_t keyring;

/* See verify.h. Returns the keyring. */
const keyring_t *bverify_keyring(void)
{
    return &keyring;
}

/*
 * See verify.h. The count in the head sizes the second read only after
 * keyring_anchor_size() bounded it to KR_MAX_BYTES (ATTACKER-controlled until the CRC
 * matched). Returns KR_OK or a KR_ERR_* code.
 */
int bverify_load_anchor(void)
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

/* ---- slot verification ------------------------------------------------------------- */

/* See verify.h. Returns the slot's start address. */
uint32_t bverify_slot_addr(uint8_t slot)
{
    return slot == 0u ? PLAT_AREA_SLOT_A_ADDR : PLAT_AREA_SLOT_B_ADDR;
}

/* Size of slot 0 (A) / 1 (B) in bytes. */
static uint32_t slot_size(uint8_t slot)
{
    return slot == 0u ? PLAT_AREA_SLOT_A_SIZE : PLAT_AREA_SLOT_B_SIZE;
}

/* Name of a slot index for evidence. Returns "A", "B" or "?". */
static const char *slot_name(uint32_t slot)
{
    return slot == 0u ? "A" : (slot == 1u ? "B" : "?");
}

/* img_read_fn over one slot; ctx points at the slot index. Returns 0 or a PORT_ERR_*. */
static int slot_read(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    uint8_t slot = *(const uint8_t *)ctx;
    uint32_t size = slot_size(slot);

    if (off > size || len > size - off) {
        return PORT_ERR_BADARG;
    }
    return port_flash_read_block(bverify_slot_addr(slot) + off, dst, len);
}

/* Console text for a failed flash read during verification. No return value. */
static void report_io(const img_source_t *src, uint8_t slot)
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
    k = fmt_u32_hex(&line[n], sizeof(line) - n, bverify_slot_addr(slot) + src->io_off, 0u);
    if (k < 0) {
        line[n] = '\0';
    }
    (void)ev_emit_text(line);
}

/* Is the slot empty (first header word reads erased)? Returns 1 if empty, 0 otherwise. */
static int slot_empty(uint8_t slot)
{
    uint32_t w = 0;
    int rc = port_flash_read(bverify_slot_addr(slot), &w);

    if (rc == PORT_ERR_ERASED) {
        return 1;
    }
    return rc == PORT_OK && w == PLAT_FLASH_ERASED_VALUE * 0x01010101u;
}

/* See verify.h. Returns the img_result_t of the check with the floor. */
img_result_t bverify_slot(uint8_t slot, uint32_t floor, bs_image_t *out)
{
    static img_manifest_t m;
    static uint8_t slot_ctx;
    img_source_t src = {0};
    img_policy_t pol;
    img_result_t r;
    ev_fields_t f;
    int empty = slot_empty(slot);

    out->valid = 0u;
    out->build = 0u;
    out->image_id = 0u;
    ev_fields_init(&f);
    (void)ev_add_str(&f, "slot", slot_name(slot));
    (void)ev_add_str(&f, "state", empty ? "empty" : "present");
    (void)ev_emit("SLOT_CHECK", &f);
    if (empty) {
        return IMG_BAD_MAGIC;
    }

    slot_ctx = slot;
    src.read = slot_read;
    src.ctx = &slot_ctx;
    src.size = slot_size(slot);
    src.tick = NULL; /* the watchdog is not running yet */

    r = img_parse(&src, PLAT_IMAGE_HEADER_SIZE, &m);
    if (r != IMG_OK) {
        report_io(&src, slot);
        ev_fields_init(&f);
        (void)ev_add_str(&f, "result", "fail");
        (void)ev_add_str(&f, "error_code", img_result_name(r));
        (void)ev_emit("PARSE_MANIFEST", &f);
        return r;
    }

    r = img_verify(&src, &m, &keyring);
    report_io(&src, slot);
    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", r == IMG_OK ? "ok" : "fail");
    (void)ev_add_hex(&f, "key_id", m.key_id, 0u);
    (void)ev_add_str(&f, "error_code", img_result_name(r));
    (void)ev_emit("VERIFY_SIG", &f);
    if (r != IMG_OK) {
        return r;
    }

    pol.hw_compat = keyring.hw_compat;
    pol.slot = slot;
    pol.image_type = IMG_TYPE_APP;
    pol.floor = floor; /* MUT_FLOOR_LE: image.c adds MUT_HOOK_FLOOR_SLACK() (1) */
    pol.running_build = 0u;
    pol.erased_value = PLAT_FLASH_ERASED_VALUE;
    r = img_check_policy(&src, &m, &pol);
    report_io(&src, slot);
    ev_fields_init(&f);
    (void)ev_add_str(&f, "result", r == IMG_OK ? "ok" : "fail");
    (void)ev_add_u32(&f, "build", m.sec_cnt);
    (void)ev_add_str(&f, "slot", slot_name(m.target_slot));
    (void)ev_add_hex(&f, "compat", m.hw_compat, 0u);
    (void)ev_add_str(&f, "error_code", img_result_name(r));
    (void)ev_emit("PARSE_MANIFEST", &f);

    if (r == IMG_OK) {
        out->valid = 1u;
    } else if (r == IMG_BELOW_FLOOR) {
        /* step 6 passed; the tail (step 8) was not reached: check it without the floor */
        pol.floor = 0u;
        out->valid = img_check_policy(&src, &m, &pol) == IMG_OK ? 1u : 0u;
    }
    if (out->valid) {
        out->build = m.sec_cnt;
        out->image_id = ((uint32_t)m.computed_hash[0] << 24) |
                        ((uint32_t)m.computed_hash[1] << 16) |
                        ((uint32_t)m.computed_hash[2] << 8) | (uint32_t)m.computed_hash[3];
    }
    return r;
}
