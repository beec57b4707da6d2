/*
 * sflash.h - flash access for the swap target: one backend (the chip port on the device,
 * the flash simulator on the host) behind a small ops table, plus flash areas in the MCUboot
 * sense (flash_map: id, offset, size). Every erase and program is preceded by a supply check
 * (brownout write gating): with the supply monitor reporting low voltage nothing starts.
 *
 * Reads are tolerant: erased units read as the erased value (LPC55S69: erased pages would
 * fault on a CPU load; the backend asks the controller first), and a unit that cannot be read
 * (torn: STM32U585 double ECC, LPC55S69 torn page) is an error for that read, never a fault.
 */
#ifndef SWAP_SFLASH_H
#define SWAP_SFLASH_H

#include <stddef.h>
#include <stdint.h>

/* Return codes (0 = success). */
#define SF_OK         0
#define SF_ERR_ARG   (-1) /* range outside the area/flash, misaligned address or length */
#define SF_ERR_GATED (-2) /* supply low: the operation was not started (brownout gating) */
#define SF_ERR_IO    (-3) /* the controller reported an error (detail: sflash_last_error) */
#define SF_ERR_READ  (-4) /* a unit could not be read (torn / ECC / bus fault) */

/* Backend: device (ports/<chip>) or host (flash simulator). Return 0 or a negative code. */
typedef struct {
    /* read `len` bytes; erased units read as the erased value; *erased (never NULL) is set
     * to 1 when some of them were erased (only reported where the chip can tell, LPC55S69),
     * else left alone. Returns 0, or negative on an unreadable unit. */
    int (*read)(void *ctx, uint32_t addr, void *buf, uint32_t len, int *erased);
    int (*erase_page)(void *ctx, uint32_t addr);                             /* one page */
    int (*program)(void *ctx, uint32_t addr, const void *data, uint32_t len); /* units */
    int (*supply_low)(void *ctx);                                            /* 1 = low */
    void *ctx;
} sflash_backend_t;

/* Chip facts the swap code needs (from platform_gen.h on the device). */
typedef struct {
    uint32_t base;         /* flash base address */
    uint32_t size;         /* flash size */
    uint32_t page_size;    /* erase page */
    uint32_t write_unit;   /* program unit (BOOT_MAX_ALIGN) */
    uint8_t erased_value;  /* 0xFF or 0x00 */
    uint8_t blank_check;   /* 1: the backend reports erased units (LPC55S69 BLANK_CHECK), so
                              programmed cells holding the erased value are "written";
                              0: erased cells are plain data (STM32U585) */
    uint8_t zero_overwrite; /* 1: a programmed unit may be programmed again to all zeros
                               (STM32U585: targets.md "Overwrite rule", RM0456 7.3.7);
                               0: a unit is programmed once per erase (LPC55S69) */
} sflash_geom_t;

/* MCUboot/Zephyr flash area (the exported flash_map table has exactly this layout). */
struct flash_area {
    uint8_t fa_id;
    uint8_t fa_device_id;
    uint16_t pad16;
    uint32_t fa_off;  /* offset from the flash base */
    uint32_t fa_size;
};

/*
 * sflash_init - install the backend and geometry (once at start).
 * Returns: SF_OK, or SF_ERR_ARG for a NULL/inconsistent argument.
 */
int sflash_init(const sflash_backend_t *backend, const sflash_geom_t *geom);

/* sflash_geom - the geometry given to sflash_init. */
const sflash_geom_t *sflash_geom(void);

/*
 * sflash_read - read `len` bytes at `off` of area `fa` into buf (tolerant, see above).
 * *erased (may be NULL) as in the backend.
 * Returns: SF_OK, SF_ERR_ARG, SF_ERR_READ.
 */
int sflash_read(const struct flash_area *fa, uint32_t off, void *buf, uint32_t len, int *erased);

/*
 * sflash_erase - erase [off, off+len) of area `fa`; both page aligned. Pages are erased in
 * ascending order, or in descending order with `descending` = 1 (trailers: the magic at
 * the end disappears first). Each page is gated on the supply first; a refusal is logged
 * ("Flash write gated (supply low): erase at 0x...", module "flash").
 * Returns: SF_OK, SF_ERR_ARG, SF_ERR_GATED (nothing more started), SF_ERR_IO.
 */
int sflash_erase(const struct flash_area *fa, uint32_t off, uint32_t len, int descending);

/*
 * sflash_program - program `len` bytes (a multiple of the write unit, at a unit-aligned
 * `off`) of area `fa` from `data`. Gated on the supply before each unit.
 * Returns: SF_OK, SF_ERR_ARG, SF_ERR_GATED, SF_ERR_IO.
 */
int sflash_program(const struct flash_area *fa, uint32_t off, const void *data, uint32_t len);

/*
 * sflash_unit_state - read the write unit at `off` of `fa` and tell its state.
 * Returns: 1 erased, 0 written (any other content), SF_ERR_READ unreadable (torn),
 *   SF_ERR_ARG.
 */
int sflash_unit_state(const struct flash_area *fa, uint32_t off);

/*
 * sflash_last_error - the last failure: *backend_rc = the backend's code (a PORT_ERR_* on
 * the device; 0 for gating), *addr = the address (both may be NULL).
 * Returns: its SF_ERR_* code (SF_OK before any failure).
 */
int sflash_last_error(int *backend_rc, uint32_t *addr);

/* Name of an SF_* code ("ok", "arg", "gated", "io", "read"). */
const char *sflash_err_name(int rc);

#endif /* SWAP_SFLASH_H */
