/*
 * devflash.c - the device backend of sflash.h over the chip port (ports/port.h):
 * port_flash_read_span (tolerant reads; LPC55S69 reports blank pages), port_flash_erase_page,
 * port_flash_program (each unit gated on the supply monitor by the port as well) and
 * port_supply_low.
 */
#include "devflash.h"

#include "platform_gen.h"
#include "port.h"

static int dev_read(void *ctx, uint32_t addr, void *buf, uint32_t len, int *erased)
{
    int e = 0;
    int rc;

    (void)ctx;
    rc = port_flash_read_span(addr, buf, len, &e);
    if (rc == PORT_OK && e) {
        *erased = 1;
    }
    return rc;
}

static int dev_erase(void *ctx, uint32_t addr)
{
    (void)ctx;
    return port_flash_erase_page(addr);
}

static int dev_program(void *ctx, uint32_t addr, const void *data, uint32_t len)
{
    (void)ctx;
    return port_flash_program(addr, (const uint32_t *)data, len);
}

static int dev_supply_low(void *ctx)
{
    (void)ctx;
    return port_supply_low();
}

static const sflash_backend_t dev_backend = {dev_read, dev_erase, dev_program, dev_supply_low,
                                             NULL};

int devflash_init(void)
{
    static const sflash_geom_t geom = {
        PLAT_FLASH_BASE,
        PLAT_FLASH_SIZE,
        PLAT_FLASH_PAGE_SIZE,
        PLAT_FLASH_PROGRAM_UNIT,
        PLAT_FLASH_ERASED_VALUE,
#if defined(SWAP_CHIP_LPC55S69)
        1, /* BLANK_CHECK tells erased pages apart */
        0, /* PROGRAM needs an erased page */
#else
        0, /* erased cells read as 0xFF data */
        1, /* a written quad-word may be zeroed */
#endif
    };
    return sflash_init(&dev_backend, &geom);
}
