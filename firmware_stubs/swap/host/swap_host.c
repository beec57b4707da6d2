/*
 * swap_host.c - host build of the swap target's bootloader logic and trailer code over the
 * flash simulator (firmware_stubs/host/flashsim.c), for tests/swap (ctypes). Host only.
 *
 * Built once per chip with -DSWAP_CHIP_<CHIP> and that chip's generated platform_gen.h, so
 * the layout, geometry and erased value are the device's. Exports (C ABI):
 *   int  sh_init(void)                       fresh erased flash; 0 or -1
 *   int  sh_boot(sh_boot_t *out)             boot_go once; returns its code; *out filled
 *   size_t sh_log(char *out, size_t cap)     the console text since the last call (then
 *                                            cleared); returns its length
 *   int  sh_provision(addr, data, len)       program like a debugger (pads the last unit
 *                                            with the erased value); ops not counted
 *   int  sh_read(addr, out, len)             raw cells (what the oracle reads)
 *   int  sh_erase_range(addr, len)           erase whole pages (provisioning)
 *   int  sh_set_pending(int permanent), sh_confirm(void), sh_running_confirmed(void)
 *   int  sh_slot_flags(int slot, uint32_t *flags)
 *   void sh_trailer(int slot, tr_state_t *out)
 *   uint32_t sh_counter(void)                the monotonic security counter
 *   void sh_supply_low(int low)              what the supply monitor reports
 *   flash-simulator control: sh_arm_cut(op, seed, torn), sh_disarm(), sh_ops(), sh_reset_ops(),
 *   sh_dead(), sh_power_on(), sh_save(slot), sh_restore(slot), sh_is_torn(addr)
 *   layout: sh_layout(sh_layout_t *out)
 *   MCUmgr SMP server: sh_mgmt_init(int recovery), sh_mgmt_feed(data, len),
 *   size_t sh_mgmt_take(out, cap) (response bytes since the last call), int sh_mgmt_resets()
 */
#include <stdlib.h>
#include <string.h>

#include "flash_map.h"
#include "flashsim.h"
#include "imgstate.h"
#include "layout.h"
#include "loader.h"
#include "mgmt.h"
#include "nvcnt.h"
#include "sflash.h"
#include "slog.h"
#include "trailer.h"

typedef struct {
    int32_t rc;
    uint32_t image_off;
    uint32_t vtor;
    uint32_t swap_type;
    uint32_t resumed;
    uint32_t sec_cnt;
    uint32_t ver_build;
    uint32_t image_end;
    uint32_t self_test;
} sh_boot_t;

typedef struct {
    uint32_t flash_base, flash_size, page_size, write_unit, erased_value;
    uint32_t sector_size, primary_off, primary_size, secondary_off, secondary_size;
    uint32_t seccnt_off, seccnt_size, trailer_size, max_sectors, hdr_size;
} sh_layout_t;

static flashsim_t *fs;
static int supply_is_low;
static char logbuf[1u << 16];
static size_t loglen;

static void sink(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    if (len > sizeof(logbuf) - loglen) {
        len = sizeof(logbuf) - loglen;
    }
    memcpy(logbuf + loglen, text, len);
    loglen += len;
}

/* Backend read: page by page so that erased pages (LPC55S69) are reported, not failed. */
static int be_read(void *ctx, uint32_t addr, void *buf, uint32_t len, int *erased)
{
    uint8_t *out = buf;
    uint32_t page = PLAT_FLASH_PAGE_SIZE;

    while (len > 0u) {
        uint32_t n = page - (addr - PLAT_FLASH_BASE) % page;
        int rc;
        if (n > len) {
            n = len;
        }
        rc = fs_read(ctx, addr, out, n);
        if (rc == FS_ERR_ERASED) {
            memset(out, PLAT_FLASH_ERASED_VALUE, n);
            *erased = 1;
        } else if (rc != FS_OK) {
            return rc;
        }
        addr += n;
        out += n;
        len -= n;
    }
    return 0;
}

static int be_erase(void *ctx, uint32_t addr)
{
    return fs_erase(ctx, addr);
}

static int be_program(void *ctx, uint32_t addr, const void *data, uint32_t len)
{
    return fs_program(ctx, addr, data, len);
}

static int be_supply_low(void *ctx)
{
    (void)ctx;
    return supply_is_low;
}

static const sflash_backend_t backend = {be_read, be_erase, be_program, be_supply_low, NULL};

int sh_init(void)
{
    static sflash_backend_t be;
    sflash_geom_t g = {PLAT_FLASH_BASE, PLAT_FLASH_SIZE, PLAT_FLASH_PAGE_SIZE,
                       PLAT_FLASH_PROGRAM_UNIT, PLAT_FLASH_ERASED_VALUE,
                       PLAT_FLASH_ERASED_VALUE == 0x00u, PLAT_FLASH_ERASED_VALUE == 0xFFu};
    int chip = PLAT_FLASH_ERASED_VALUE == 0x00u ? FS_CHIP_LPC55S69 : FS_CHIP_STM32U585;

    if (fs != NULL) {
        fs_destroy(fs);
    }
    fs = fs_create(chip, PLAT_FLASH_BASE, PLAT_FLASH_SIZE, PLAT_FLASH_PAGE_SIZE,
                   PLAT_FLASH_PROGRAM_UNIT, PLAT_FLASH_ERASED_VALUE);
    if (fs == NULL) {
        return -1;
    }
    be = backend;
    be.ctx = fs;
    supply_is_low = 0;
    loglen = 0;
    slog_init(SLOG_STYLE_MCUBOOT, sink, NULL, NULL);
    return sflash_init(&be, &g) == SF_OK ? 0 : -1;
}

int sh_boot(sh_boot_t *out)
{
    boot_rsp_t rsp;
    int rc = boot_go(&rsp);

    memset(out, 0, sizeof(*out));
    out->rc = rc;
    out->image_off = rsp.image_off;
    out->vtor = rsp.vtor;
    out->swap_type = rsp.swap_type;
    out->resumed = (uint32_t)rsp.resumed;
    out->sec_cnt = rsp.image.sec_cnt;
    out->ver_build = rsp.image.ver_build;
    out->image_end = rsp.image.image_end;
    out->self_test = rsp.image.self_test;
    return rc;
}

size_t sh_log(char *out, size_t cap)
{
    size_t n = loglen < cap ? loglen : cap;
    memcpy(out, logbuf, n);
    loglen = 0;
    return n;
}

int sh_provision(uint32_t addr, const uint8_t *data, uint32_t len)
{
    uint32_t unit = PLAT_FLASH_PROGRAM_UNIT;
    uint32_t done = 0;
    uint8_t tmp[512];

    while (done < len) {
        uint32_t n = len - done < unit ? len - done : unit;
        int rc;
        memset(tmp, PLAT_FLASH_ERASED_VALUE, unit);
        memcpy(tmp, data + done, n);
        rc = fs_program(fs, addr + done, tmp, unit);
        if (rc != FS_OK) {
            return rc;
        }
        done += unit;
    }
    fs_reset_ops(fs);
    return 0;
}

int sh_read(uint32_t addr, uint8_t *out, uint32_t len)
{
    return fs_raw(fs, addr, out, len);
}

int sh_erase_range(uint32_t addr, uint32_t len)
{
    uint32_t a;
    for (a = addr; a < addr + len; a += PLAT_FLASH_PAGE_SIZE) {
        int rc = fs_erase(fs, a);
        if (rc != FS_OK) {
            return rc;
        }
    }
    fs_reset_ops(fs);
    return 0;
}

int sh_set_pending(int permanent) { return imgst_set_pending(permanent); }
int sh_confirm(void) { return imgst_confirm(); }
int sh_running_confirmed(void) { return imgst_running_confirmed(); }

int sh_slot_flags(int slot, uint32_t *flags)
{
    swapimg_info_t info;
    return imgst_slot((uint32_t)slot, &info, flags);
}

void sh_trailer(int slot, tr_state_t *out)
{
    tr_read(slot == 0 ? fa_primary : fa_secondary, out);
}

uint32_t sh_counter(void)
{
    uint32_t v = 0;
    nvcnt_read(fa_sec_cnt, &v, NULL);
    return v;
}

void sh_supply_low(int low) { supply_is_low = low; }
void sh_arm_cut(uint32_t op, uint32_t seed, int torn) { fs_arm_cut(fs, op, seed, torn); }
void sh_disarm(void) { fs_disarm(fs); }
uint32_t sh_ops(void) { return fs_ops(fs); }
void sh_reset_ops(void) { fs_reset_ops(fs); }
int sh_dead(void) { return fs_dead(fs); }
void sh_power_on(void) { fs_power_on(fs); }
int sh_save(int slot) { return fs_save(fs, slot); }
int sh_restore(int slot) { return fs_restore(fs, slot); }
int sh_is_torn(uint32_t addr) { return fs_is_torn(fs, addr); }

void sh_layout(sh_layout_t *out)
{
    out->flash_base = PLAT_FLASH_BASE;
    out->flash_size = PLAT_FLASH_SIZE;
    out->page_size = PLAT_FLASH_PAGE_SIZE;
    out->write_unit = PLAT_FLASH_PROGRAM_UNIT;
    out->erased_value = PLAT_FLASH_ERASED_VALUE;
    out->sector_size = SWAP_SECTOR_SIZE;
    out->primary_off = SWAP_PRIMARY_OFF;
    out->primary_size = SWAP_PRIMARY_SIZE;
    out->secondary_off = SWAP_SECONDARY_OFF;
    out->secondary_size = SWAP_SECONDARY_SIZE;
    out->seccnt_off = SWAP_SECCNT_OFF;
    out->seccnt_size = SWAP_SECCNT_SIZE;
    out->trailer_size = swap_boot_params.trailer_size;
    out->max_sectors = SWAP_MAX_IMG_SECTORS;
    out->hdr_size = SWAP_HDR_SIZE;
}

/* ---- MCUmgr SMP server (common/mgmt.c) over a byte pipe ---------------------------------- */

static uint8_t mgmt_outbuf[1u << 16];
static size_t mgmt_outlen;
static int mgmt_resets;

static void mgmt_sink(void *ctx, const uint8_t *line, size_t len)
{
    (void)ctx;
    if (len > sizeof(mgmt_outbuf) - mgmt_outlen) {
        len = sizeof(mgmt_outbuf) - mgmt_outlen;
    }
    memcpy(mgmt_outbuf + mgmt_outlen, line, len);
    mgmt_outlen += len;
}

static void mgmt_reset_cb(void)
{
    mgmt_resets++;
}

void sh_mgmt_init(int recovery)
{
    static mgmt_cfg_t cfg;
    cfg.recovery = recovery;
    cfg.out = mgmt_sink;
    cfg.out_ctx = NULL;
    cfg.reset = mgmt_reset_cb;
    cfg.validate = recovery ? boot_check_candidate : NULL;
    mgmt_outlen = 0;
    mgmt_resets = 0;
    mgmt_init(&cfg);
}

void sh_mgmt_feed(const uint8_t *data, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        mgmt_feed(data[i]);
    }
}

size_t sh_mgmt_take(uint8_t *out, size_t cap)
{
    size_t n = mgmt_outlen < cap ? mgmt_outlen : cap;
    memcpy(out, mgmt_outbuf, n);
    memmove(mgmt_outbuf, mgmt_outbuf + n, mgmt_outlen - n);
    mgmt_outlen -= n;
    return n;
}

int sh_mgmt_resets(void)
{
    return mgmt_resets;
}
