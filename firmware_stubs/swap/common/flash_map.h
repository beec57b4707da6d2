/*
 * flash_map.h - the swap target's flash areas, exported as data a tool reads from the ELF
 * (docs/contract-swap.md §1):
 *
 *   flash_map          const struct flash_area[flash_map_entries]  (Zephyr/MCUboot layout:
 *                      u8 fa_id, u8 fa_device_id, u16 pad, u32 fa_off, u32 fa_size; 12 bytes
 *                      each, little endian; fa_off from the flash base)
 *   flash_map_entries  const int
 *   swap_boot_params   const swap_boot_params_t (below)
 *
 * Both ELFs (swapboot.elf and swapapp.elf) define all three, with the same contents.
 */
#ifndef SWAP_FLASH_MAP_H
#define SWAP_FLASH_MAP_H

#include <stdint.h>

#include "sflash.h"

#define SWAP_PARAMS_MAGIC   0x50415753u /* "SWAP" */
#define SWAP_PARAMS_VERSION 1u
/* MCUmgr bootloader-info "mode" of MCUboot: 3 = swap without scratch (swap using move). */
#define SWAP_MODE_SWAP_USING_MOVE 3u

typedef struct {
    uint32_t magic;           /* SWAP_PARAMS_MAGIC */
    uint32_t version;         /* SWAP_PARAMS_VERSION */
    uint32_t mode;            /* SWAP_MODE_SWAP_USING_MOVE */
    uint32_t flash_base;      /* PLAT_FLASH_BASE */
    uint32_t sector_size;     /* logical sector (SWAP_SECTOR_SIZE) */
    uint32_t write_align;     /* BOOT_MAX_ALIGN (program unit) */
    uint32_t max_img_sectors; /* BOOT_MAX_IMG_SECTORS: status entries per trailer */
    uint32_t header_size;     /* image header size the app is linked for */
    uint32_t trailer_size;    /* bytes of one slot trailer */
    uint32_t erased_value;    /* what erased flash reads as */
    uint32_t wdt_ms;          /* watchdog period armed before the jump */
} swap_boot_params_t;

extern const struct flash_area flash_map[];
extern const int flash_map_entries;
extern const swap_boot_params_t swap_boot_params;

/* The areas by role (pointers into flash_map). */
extern const struct flash_area *const fa_boot;
extern const struct flash_area *const fa_primary;
extern const struct flash_area *const fa_secondary;
extern const struct flash_area *const fa_sec_cnt;

#endif /* SWAP_FLASH_MAP_H */
