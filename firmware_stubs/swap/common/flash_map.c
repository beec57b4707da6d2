/*
 * flash_map.c - the exported flash map and boot parameters (flash_map.h).
 * They live in section .rodata.swap_info, which ld/sections_swap.ld KEEPs, so that they stay
 * in the ELF even where no code refers to them (--gc-sections).
 */
#include "flash_map.h"

#include "layout.h"

/* Trailer bytes (status + 4 fields + the magic unit), as trailer.c computes it. */
#define SWAP_TRAILER_SIZE                                                                   \
    (3u * SWAP_MAX_IMG_SECTORS * SWAP_WRITE_ALIGN + 4u * SWAP_WRITE_ALIGN +                  \
     ((16u + SWAP_WRITE_ALIGN - 1u) / SWAP_WRITE_ALIGN) * SWAP_WRITE_ALIGN)

_Static_assert(SWAP_PRIMARY_SIZE == SWAP_SECONDARY_SIZE + SWAP_SECTOR_SIZE,
               "swap using move: the primary slot is one sector larger than the secondary");
_Static_assert(SWAP_SECTOR_SIZE % PLAT_FLASH_PAGE_SIZE == 0u,
               "a logical sector is a whole number of erase pages");
_Static_assert(SWAP_TRAILER_SIZE <= SWAP_SECTOR_SIZE, "the trailer fits in the last sector");
_Static_assert(SWAP_SECCNT_SIZE % PLAT_FLASH_PAGE_SIZE == 0u, "sec_cnt area is whole pages");

__attribute__((used, section(".rodata.swap_info"))) const struct flash_area flash_map[] = {
    {SWAP_FA_ID_BOOTLOADER, 0u, 0u, SWAP_BOOT_OFF, SWAP_BOOT_SIZE},
    {SWAP_FA_ID_PRIMARY, 0u, 0u, SWAP_PRIMARY_OFF, SWAP_PRIMARY_SIZE},
    {SWAP_FA_ID_SECONDARY, 0u, 0u, SWAP_SECONDARY_OFF, SWAP_SECONDARY_SIZE},
    {SWAP_FA_ID_SECCNT, 0u, 0u, SWAP_SECCNT_OFF, SWAP_SECCNT_SIZE},
};
__attribute__((used, section(".rodata.swap_info"))) const int flash_map_entries =
    (int)(sizeof(flash_map) / sizeof(flash_map[0]));

__attribute__((used, section(".rodata.swap_info"))) const swap_boot_params_t swap_boot_params = {
    .magic = SWAP_PARAMS_MAGIC,
    .version = SWAP_PARAMS_VERSION,
    .mode = SWAP_MODE_SWAP_USING_MOVE,
    .flash_base = PLAT_FLASH_BASE,
    .sector_size = SWAP_SECTOR_SIZE,
    .write_align = SWAP_WRITE_ALIGN,
    .max_img_sectors = SWAP_MAX_IMG_SECTORS,
    .header_size = SWAP_HDR_SIZE,
    .trailer_size = SWAP_TRAILER_SIZE,
    .erased_value = PLAT_FLASH_ERASED_VALUE,
    .wdt_ms = SWAP_WDT_MS,
};

const struct flash_area *const fa_boot = &flash_map[0];
const struct flash_area *const fa_primary = &flash_map[1];
const struct flash_area *const fa_secondary = &flash_map[2];
const struct flash_area *const fa_sec_cnt = &flash_map[3];
