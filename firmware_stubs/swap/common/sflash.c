/*
 * sflash.c - flash areas over a backend, with brownout write gating (see sflash.h).
 */
#include "sflash.h"

#include "slog.h"
#include "swap_hooks.h"

static const sflash_backend_t *sf_be;
static sflash_geom_t sf_geom;
static int sf_last_code;
static int sf_last_rc;
static uint32_t sf_last_addr;

int sflash_init(const sflash_backend_t *backend, const sflash_geom_t *geom)
{
    if (backend == NULL || geom == NULL || backend->read == NULL ||
        backend->erase_page == NULL || backend->program == NULL || geom->page_size == 0u ||
        geom->write_unit == 0u || geom->page_size % geom->write_unit != 0u) {
        return SF_ERR_ARG;
    }
    sf_be = backend;
    sf_geom = *geom;
    sf_last_code = SF_OK;
    sf_last_rc = 0;
    sf_last_addr = 0;
    return SF_OK;
}

const sflash_geom_t *sflash_geom(void)
{
    return &sf_geom;
}

/* Absolute address of [off, off+len) in fa, or 0 with *ok = 0 when out of range. */
static uint32_t area_addr(const struct flash_area *fa, uint32_t off, uint32_t len, int *ok)
{
    *ok = fa != NULL && sf_be != NULL && len <= fa->fa_size && off <= fa->fa_size - len;
    return *ok ? sf_geom.base + fa->fa_off + off : 0u;
}

static int fail(int rc, int backend_rc, uint32_t addr)
{
    sf_last_code = rc;
    sf_last_rc = backend_rc;
    sf_last_addr = addr;
    return rc;
}

int sflash_read(const struct flash_area *fa, uint32_t off, void *buf, uint32_t len, int *erased)
{
    int ok;
    int dummy = 0;
    uint32_t addr = area_addr(fa, off, len, &ok);
    int rc;

    if (!ok || buf == NULL) {
        return SF_ERR_ARG;
    }
    if (len == 0u) {
        return SF_OK;
    }
    rc = sf_be->read(sf_be->ctx, addr, buf, len, erased != NULL ? erased : &dummy);
    return rc == 0 ? SF_OK : fail(SF_ERR_READ, rc, addr);
}

/* Supply check before a write (logged when it refuses); SWAP_HOOK_IGNORE_SUPPLY plants the
 * missing gate. */
static int gated(const char *op, uint32_t addr)
{
    if (sf_be->supply_low != NULL && sf_be->supply_low(sf_be->ctx) &&
        !SWAP_HOOK_IGNORE_SUPPLY()) {
        fail(SF_ERR_GATED, 0, addr);
        slog(SLOG_ERR, "flash", "Flash write gated (supply low): %s at 0x%08x", op,
             (unsigned)addr);
        return 1;
    }
    return 0;
}

int sflash_erase(const struct flash_area *fa, uint32_t off, uint32_t len, int descending)
{
    int ok;
    uint32_t addr = area_addr(fa, off, len, &ok);
    uint32_t i;
    uint32_t pages;

    if (!ok || (addr - sf_geom.base) % sf_geom.page_size != 0u || len % sf_geom.page_size != 0u) {
        return SF_ERR_ARG;
    }
    pages = len / sf_geom.page_size;
    for (i = 0; i < pages; i++) {
        uint32_t page = descending ? pages - 1u - i : i;
        uint32_t a = addr + page * sf_geom.page_size;
        int rc;
        if (gated("erase", a)) {
            return SF_ERR_GATED;
        }
        rc = sf_be->erase_page(sf_be->ctx, a);
        if (rc != 0) {
            return fail(SF_ERR_IO, rc, a);
        }
    }
    return SF_OK;
}

int sflash_program(const struct flash_area *fa, uint32_t off, const void *data, uint32_t len)
{
    int ok;
    uint32_t addr = area_addr(fa, off, len, &ok);
    const uint8_t *src = data;
    uint32_t i;

    if (!ok || data == NULL || len == 0u || (addr - sf_geom.base) % sf_geom.write_unit != 0u ||
        len % sf_geom.write_unit != 0u) {
        return SF_ERR_ARG;
    }
    for (i = 0; i < len; i += sf_geom.write_unit) {
        int rc;
        if (gated("program", addr + i)) {
            return SF_ERR_GATED;
        }
        rc = sf_be->program(sf_be->ctx, addr + i, src + i, sf_geom.write_unit);
        if (rc != 0) {
            return fail(SF_ERR_IO, rc, addr + i);
        }
    }
    return SF_OK;
}

int sflash_unit_state(const struct flash_area *fa, uint32_t off)
{
    static uint32_t unit[512u / 4u]; /* the largest program unit (LPC55S69 page) */
    const uint8_t *b = (const uint8_t *)unit;
    uint32_t i;
    int erased = 0;
    int rc;

    if (sf_geom.write_unit > sizeof(unit)) {
        return SF_ERR_ARG;
    }
    rc = sflash_read(fa, off, unit, sf_geom.write_unit, &erased);
    if (rc != SF_OK) {
        return rc;
    }
    if (erased) {
        return 1;
    }
    for (i = 0; i < sf_geom.write_unit; i++) {
        if (b[i] != sf_geom.erased_value) {
            return 0;
        }
    }
    /* With a blank check (LPC55S69) a programmed unit whose cells hold the erased value is
     * written, not erased (erasure was reported through `erased`); without one (STM32U585)
     * such cells are indistinguishable from erased ones and count as erased. */
    return sf_geom.blank_check ? 0 : 1;
}

int sflash_last_error(int *backend_rc, uint32_t *addr)
{
    if (backend_rc != NULL) {
        *backend_rc = sf_last_rc;
    }
    if (addr != NULL) {
        *addr = sf_last_addr;
    }
    return sf_last_code;
}

const char *sflash_err_name(int rc)
{
    switch (rc) {
    case SF_OK:        return "ok";
    case SF_ERR_ARG:   return "arg";
    case SF_ERR_GATED: return "gated";
    case SF_ERR_IO:    return "io";
    case SF_ERR_READ:  return "read";
    default:           return "unknown";
    }
}
