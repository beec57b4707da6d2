/*
 * upd_host.c - host glue for tests/updater: one emulated device = the host flash simulator
 * (firmware_stubs/host/flashsim.c) with a slot/metadata layout, the trust anchor, the SMP
 * server and the updater (firmware_stubs/core/updater.c) wired as the application wires them.
 * Everything the device sends (SMP response lines and evidence lines) is collected in one
 * output buffer that Python drains with h_take(). Built by tests/updater/conftest.py.
 */
#include <stdint.h>
#include <string.h>

#include "evidence.h"
#include "flashsim.h"
#include "keyring.h"
#include "meta.h"
#include "smp_server.h"
#include "updater.h"

#define OUT_MAX (1u << 20)

typedef struct {
    uint32_t base, size, page, unit, erased;
    uint32_t slot[2], slot_size, meta[2], hdr;
} layout_t;

static const layout_t layouts[2] = {
    /* STM32U585 (platform.yaml layout) */
    {0x08000000u, 0x100000u, 0x2000u, 16u, 0xFFu,
     {0x08020000u, 0x08060000u}, 0x40000u, {0x08012000u, 0x08014000u}, 0x400u},
    /* LPC55S69 */
    {0x00000000u, 0xA0000u, 0x200u, 0x200u, 0x00u,
     {0x00020000u, 0x00058000u}, 0x38000u, {0x00011000u, 0x00012000u}, 0x200u},
};

static flashsim_t *g_fs;
static int g_chip;
static int g_gated;       /* 1: every erase/program is refused with PORT_ERR_GATED (-3) */
static uint32_t g_resets;
static uint32_t g_ticks;
static meta_flash_t g_fl;
static keyring_t g_kr;
static upd_t g_upd;
static smp_server_t g_srv;
static uint8_t g_out[OUT_MAX];
static size_t g_out_len;

static void out_add(const void *d, size_t n)
{
    if (n > OUT_MAX - g_out_len) {
        n = OUT_MAX - g_out_len;
    }
    memcpy(&g_out[g_out_len], d, n);
    g_out_len += n;
}

static void sink(const char *data, size_t len)
{
    out_add(data, len);
}

static void emit(void *ctx, const uint8_t *line, size_t len)
{
    (void)ctx;
    out_add(line, len);
}

static int g_erase(void *ctx, uint32_t addr)
{
    return g_gated ? -3 : fs_erase(ctx, addr);
}

static int g_program(void *ctx, uint32_t addr, const void *data, uint32_t len)
{
    return g_gated ? -3 : fs_program(ctx, addr, data, len);
}

static void tick(void *ctx)
{
    (void)ctx;
    g_ticks++;
}

static void do_reset(void *ctx)
{
    (void)ctx;
    g_resets++;
}

/* h_create - a fresh device (all flash erased). chip 0 STM32U585, 1 LPC55S69. Returns 0/-1. */
int h_create(int chip)
{
    const layout_t *l;

    if (chip < 0 || chip > 1) {
        return -1;
    }
    if (g_fs != NULL) {
        fs_destroy(g_fs);
    }
    l = &layouts[chip];
    g_chip = chip;
    g_fs = fs_create(chip == 0 ? FS_CHIP_STM32U585 : FS_CHIP_LPC55S69, l->base, l->size,
                     l->page, l->unit, l->erased);
    if (g_fs == NULL) {
        return -1;
    }
    g_fl.erase = g_erase;
    g_fl.program = g_program;
    g_fl.read = fs_read;
    g_fl.ctx = g_fs;
    g_fl.program_unit = l->unit;
    g_fl.page_size = l->page;
    g_fl.erased_value = l->erased;
    g_gated = 0;
    keyring_init_empty(&g_kr);
    return 0;
}

/* h_anchor - parse the trust anchor. Returns the keyring_parse result. */
int h_anchor(const uint8_t *buf, size_t len)
{
    return keyring_parse(buf, len, &g_kr);
}

/* h_boot - a (simulated) reset: new updater + SMP server state, flash kept.
 * Returns 0 or a negative error. */
int h_boot(int running_slot, uint32_t running_build)
{
    const layout_t *l = &layouts[g_chip];
    upd_config_t cfg;

    fs_power_on(g_fs);
    memset(&cfg, 0, sizeof(cfg));
    cfg.fl = &g_fl;
    cfg.slot_addr[0] = l->slot[0];
    cfg.slot_addr[1] = l->slot[1];
    cfg.slot_size[0] = l->slot_size;
    cfg.slot_size[1] = l->slot_size;
    cfg.meta_addr[0] = l->meta[0];
    cfg.meta_addr[1] = l->meta[1];
    cfg.hdr_size = l->hdr;
    cfg.kr = &g_kr;
    cfg.running_slot = (uint8_t)running_slot;
    cfg.running_build = running_build;
    cfg.gated_events = 1;
    cfg.tick = tick;
    cfg.reset = do_reset;
    (void)ev_init("app", 0u, sink);
    if (upd_init(&g_upd, &cfg) != UPD_OK) {
        return -1;
    }
    return smp_server_init(&g_srv, upd_smp_ops(), &g_upd, emit, NULL);
}

/* h_feed - bytes received on the console UART. Returns the number of text bytes. */
int h_feed(const uint8_t *data, size_t len)
{
    size_t i;
    int text = 0;

    for (i = 0; i < len; i++) {
        if (smp_server_feed(&g_srv, data[i]) == SMP_RX_TEXT) {
            text++;
        }
    }
    return text;
}

/* h_take - drain the output. Returns the byte count copied (the rest stays). */
size_t h_take(uint8_t *out, size_t cap)
{
    size_t n = g_out_len < cap ? g_out_len : cap;

    memcpy(out, g_out, n);
    memmove(g_out, &g_out[n], g_out_len - n);
    g_out_len -= n;
    return n;
}

/* h_commit - commit a metadata record as is. Returns meta_commit's result. */
int h_commit(const meta_record_t *rec)
{
    meta_ctx_t m;
    meta_load_t ld;
    const layout_t *l = &layouts[g_chip];

    if (meta_init(&m, &g_fl, l->meta[0], l->meta[1]) != 0 || meta_load(&m, &ld) != 0) {
        return -100;
    }
    return meta_commit(&m, rec, NULL);
}

/* h_load - the winning metadata record. Returns the meta_result_t, or -1. */
int h_load(meta_record_t *rec)
{
    meta_ctx_t m;
    meta_load_t ld;
    const layout_t *l = &layouts[g_chip];

    if (meta_init(&m, &g_fl, l->meta[0], l->meta[1]) != 0 || meta_load(&m, &ld) != 0) {
        return -1;
    }
    *rec = ld.rec;
    return (int)ld.result;
}

/* h_write_slot - erase slot `slot` (whole) and program `data` padded with the erased value.
 * Returns 0 or a flash error. */
int h_write_slot(int slot, const uint8_t *data, uint32_t len)
{
    static uint8_t unit[512];
    const layout_t *l = &layouts[g_chip];
    uint32_t a;
    int rc;

    for (a = 0; a < l->slot_size; a += l->page) {
        rc = fs_erase(g_fs, l->slot[slot] + a);
        if (rc != 0) {
            return rc;
        }
    }
    for (a = 0; a < len; a += l->unit) {
        uint32_t n = len - a < l->unit ? len - a : l->unit;
        memset(unit, (int)l->erased, l->unit);
        memcpy(unit, &data[a], n);
        rc = fs_program(g_fs, l->slot[slot] + a, unit, l->unit);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* h_raw - raw flash cells (debug). Returns fs_raw's result. */
int h_raw(uint32_t addr, uint8_t *out, uint32_t len)
{
    return fs_raw(g_fs, addr, out, len);
}

void h_gate(int on)
{
    g_gated = on;
}

/* h_cut - cut the power at flash op n from now (torn 0/1). */
void h_cut(uint32_t op, uint32_t seed, int torn)
{
    fs_reset_ops(g_fs);
    fs_arm_cut(g_fs, op, seed, torn);
}

int h_dead(void)
{
    return fs_dead(g_fs);
}

uint32_t h_ops(void)
{
    return fs_ops(g_fs);
}

uint32_t h_resets(void)
{
    return g_resets;
}

uint32_t h_slot_addr(int slot)
{
    return layouts[g_chip].slot[slot];
}

uint32_t h_erase_count(void)
{
    return fs_erase_count(g_fs);
}

/* h_confirm / h_reject - the app's boot-test outcome for the running slot. Returns the
 * upd_confirm / upd_reject result. */
int h_confirm(int slot)
{
    return upd_confirm(&g_upd, (uint8_t)slot);
}

int h_reject(int slot)
{
    return upd_reject(&g_upd, (uint8_t)slot);
}

/* h_floor_bump - the app's second commit after a confirm. Returns upd_floor_bump's result. */
int h_floor_bump(int slot)
{
    return upd_floor_bump(&g_upd, (uint8_t)slot);
}
