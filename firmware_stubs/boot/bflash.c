/*
 * bflash.c - meta_flash_t ops tables over the port (see bflash.h).
 */
#include "bflash.h"

#include "evidence.h"
#include "platform_gen.h"
#include "port.h"

/* Program source buffer: port_flash_program needs a 32-bit aligned buffer; callers (meta,
 * evring, updater) may pass byte buffers, so data is copied through this in units. */
#define BFLASH_COPY_MAX 512u
static uint32_t copy_buf[BFLASH_COPY_MAX / 4u];
static uint32_t gated_count;

uint32_t bflash_gated_count(void)
{
    return gated_count;
}

/* WRITE_GATED operation=<op> address=0x.. (only from the reporting table). No return value. */
static void report_gated(int report, const char *op, uint32_t addr)
{
    ev_fields_t f;

    gated_count++;
    if (!report) {
        return;
    }
    ev_fields_init(&f);
    (void)ev_add_str(&f, "operation", op);
    (void)ev_add_hex(&f, "address", addr, 0u);
    (void)ev_emit("WRITE_GATED", &f);
}

/* Erase one page. Returns 0 or a negative PORT_ERR_* code. */
static int do_erase(int report, uint32_t addr)
{
    int rc = port_flash_erase_page(addr);
    if (rc == PORT_ERR_GATED) {
        report_gated(report, "erase", addr);
    }
    return rc;
}

/* Program `len` bytes (unit multiples) from any buffer. Returns 0 or a negative code. */
static int do_program(int report, uint32_t addr, const void *data, uint32_t len)
{
    const uint8_t *src = (const uint8_t *)data;
    uint32_t done = 0;

    if (data == NULL || len == 0u || len % PLAT_FLASH_PROGRAM_UNIT != 0u) {
        return PORT_ERR_BADARG;
    }
    while (done < len) {
        uint32_t n = len - done;
        uint32_t i;
        int rc;
        if (n > BFLASH_COPY_MAX) {
            n = BFLASH_COPY_MAX - (BFLASH_COPY_MAX % PLAT_FLASH_PROGRAM_UNIT);
        }
        for (i = 0; i < n; i++) {
            ((uint8_t *)copy_buf)[i] = src[done + i];
        }
        rc = port_flash_program(addr + done, copy_buf, n);
        if (rc == PORT_ERR_GATED) {
            report_gated(report, "program", addr + done);
        }
        if (rc != PORT_OK) {
            return rc;
        }
        done += n;
    }
    return 0;
}

/* Bounce buffer for reads into a buffer whose alignment differs from the flash address's
 * (the block reader's fast path needs both word aligned at the same time). */
#define BFLASH_BOUNCE 256u
static uint32_t bounce[BFLASH_BOUNCE / 4u + 1u];

int bflash_read_bytes(uint32_t addr, void *dst, uint32_t len)
{
    uint8_t *out = (uint8_t *)dst;
    uint32_t done = 0;
    int erased = 0;

    if (dst == NULL) {
        return PORT_ERR_BADARG;
    }
    if (((uintptr_t)out & 3u) == (addr & 3u)) {
        /* same offset in a word: the block reader copies the aligned middle directly */
        int rc = port_flash_read_span(addr, out, len, &erased);
        if (rc != PORT_OK) {
            return rc;
        }
        return erased ? META_FLASH_ERASED : 0;
    }
    while (done < len) {
        uint32_t a = addr + done;
        uint8_t *b = (uint8_t *)bounce + (a & 3u); /* a's offset in a word, like `b` */
        uint32_t n = len - done;
        uint32_t i;
        int e = 0;
        int rc;

        if (n > BFLASH_BOUNCE) {
            n = BFLASH_BOUNCE;
        }
        rc = port_flash_read_span(a, b, n, &e);
        if (rc != PORT_OK) {
            return rc;
        }
        erased |= e;
        for (i = 0; i < n; i++) {
            out[done + i] = b[i];
        }
        done += n;
    }
    return erased ? META_FLASH_ERASED : 0;
}

static int meta_erase(void *ctx, uint32_t addr)
{
    (void)ctx;
    return do_erase(1, addr);
}
static int meta_program(void *ctx, uint32_t addr, const void *data, uint32_t len)
{
    (void)ctx;
    return do_program(1, addr, data, len);
}
static int quiet_erase(void *ctx, uint32_t addr)
{
    (void)ctx;
    return do_erase(0, addr);
}
static int quiet_program(void *ctx, uint32_t addr, const void *data, uint32_t len)
{
    (void)ctx;
    return do_program(0, addr, data, len);
}
static int any_read(void *ctx, uint32_t addr, void *data, uint32_t len)
{
    (void)ctx;
    return bflash_read_bytes(addr, data, len);
}

const meta_flash_t bflash_meta = {meta_erase, meta_program, any_read, 0,
                                  PLAT_FLASH_PROGRAM_UNIT, PLAT_FLASH_PAGE_SIZE,
                                  PLAT_FLASH_ERASED_VALUE};
const meta_flash_t bflash_quiet = {quiet_erase, quiet_program, any_read, 0,
                                   PLAT_FLASH_PROGRAM_UNIT, PLAT_FLASH_PAGE_SIZE,
                                   PLAT_FLASH_ERASED_VALUE};
