/*
 * layout.h - flash layout of the second reference target ("swap": an MCUboot-style swap
 * bootloader + an interrupt-driven application), per chip. docs/contract-swap.md §1.
 *
 * Chip facts (flash base, erase page, program unit, erased value) come from the generated
 * platform_gen.h (platforms/<chip>/platform.yaml); this file only places the firmware's own
 * areas. It is included by C files AND by the linker-script templates (ld/swap*.ld.in, run through
 * the C preprocessor), so it holds nothing but #defines.
 *
 * Areas (offsets from PLAT_FLASH_BASE, MCUboot flash-area IDs in brackets):
 *   bootloader [0]        the swap bootloader (swapboot)
 *   sec_cnt    [16]       the monotonic security counter log (common/nvcnt.h)
 *   primary    [1]        image 0 primary slot: the image runs from here (XIP)
 *   secondary  [2]        image 0 secondary slot: uploads land here
 * Swap mode: swap using move (MCUboot MCUBOOT_SWAP_USING_MOVE): the primary slot is one
 * logical sector larger than the secondary (the spare sector the move needs), each slot ends
 * with an MCUboot image trailer in its last logical sector(s).
 *
 * Logical sector = the unit the swap erases and copies (MCUboot lets it be any multiple of the
 * erase page, MCUBOOT_LOGICAL_SECTOR_SIZE):
 *   STM32U585: 8 KiB = one page. Program unit 16 B -> BOOT_MAX_ALIGN 16; trailer
 *              17*3*16 + 4*16 + 16 = 896 B: one sector.
 *   LPC55S69:  16 KiB = 32 pages. The program unit is the 512-byte page, so every trailer
 *              field takes a page; 8*3*512 + 4*512 + 512 = 14848 B: one sector. With the
 *              512-byte page as the sector the status area alone would need 3 pages per
 *              sector of the slot, i.e. most of the slot.
 */
#ifndef SWAP_LAYOUT_H
#define SWAP_LAYOUT_H

#include "platform_gen.h"

#if defined(SWAP_CHIP_STM32U585)
#define SWAP_SECTOR_SIZE      0x2000u  /* logical sector: 1 page of 8 KiB */
#define SWAP_HDR_SIZE         0x400u   /* image header: the vector table (141 words) needs
                                          1 KiB alignment for VTOR */
#define SWAP_BOOT_OFF         0x00000u
#define SWAP_BOOT_SIZE        0x10000u
#define SWAP_SECCNT_OFF       0x10000u
#define SWAP_SECCNT_SIZE      0x02000u /* 512 entries of 16 B */
#define SWAP_PRIMARY_OFF      0x20000u
#define SWAP_PRIMARY_SIZE     0x22000u /* 17 sectors */
#define SWAP_SECONDARY_OFF    0x42000u
#define SWAP_SECONDARY_SIZE   0x20000u /* 16 sectors */
#elif defined(SWAP_CHIP_LPC55S69)
#define SWAP_SECTOR_SIZE      0x4000u  /* logical sector: 32 pages of 512 B */
#define SWAP_HDR_SIZE         0x200u   /* image header: the vector table (76 words) needs
                                          512-byte alignment for VTOR */
#define SWAP_BOOT_OFF         0x00000u
#define SWAP_BOOT_SIZE        0x10000u
#define SWAP_SECCNT_OFF       0x10000u
#define SWAP_SECCNT_SIZE      0x04000u /* 32 entries of 512 B */
#define SWAP_PRIMARY_OFF      0x20000u
#define SWAP_PRIMARY_SIZE     0x20000u /* 8 sectors */
#define SWAP_SECONDARY_OFF    0x40000u
#define SWAP_SECONDARY_SIZE   0x1C000u /* 7 sectors */
#else
#error "define SWAP_CHIP_STM32U585 or SWAP_CHIP_LPC55S69"
#endif

/* MCUboot flash-area IDs (docs/design.md "Flash map"; 16 is ours: the security counter). */
#define SWAP_FA_ID_BOOTLOADER 0u
#define SWAP_FA_ID_PRIMARY    1u
#define SWAP_FA_ID_SECONDARY  2u
#define SWAP_FA_ID_SECCNT     16u

/* BOOT_MAX_ALIGN: every trailer field and status record takes one program unit. */
#define SWAP_WRITE_ALIGN      PLAT_FLASH_PROGRAM_UNIT
/* BOOT_MAX_IMG_SECTORS: one status entry per sector of the (larger) primary slot. */
#define SWAP_MAX_IMG_SECTORS  (SWAP_PRIMARY_SIZE / SWAP_SECTOR_SIZE)

/* The application binary (linked after the header at the primary slot) may use the secondary
 * slot's image area (all sectors but the trailer's) minus the header and 1 KiB of TLVs. */
#define SWAP_APP_MAX          (SWAP_SECONDARY_SIZE - SWAP_SECTOR_SIZE - SWAP_HDR_SIZE - 0x400u)

/* Absolute addresses (for linker scripts and the jump). */
#define SWAP_BOOT_ADDR        (PLAT_FLASH_BASE + SWAP_BOOT_OFF)
#define SWAP_PRIMARY_ADDR     (PLAT_FLASH_BASE + SWAP_PRIMARY_OFF)
#define SWAP_SECONDARY_ADDR   (PLAT_FLASH_BASE + SWAP_SECONDARY_OFF)
#define SWAP_SECCNT_ADDR      (PLAT_FLASH_BASE + SWAP_SECCNT_OFF)

/* RAM: the whole main RAM region; no handoff block (MCUboot passes nothing to the app). */
#define SWAP_RAM_ADDR         PLAT_RAM_BASE
#define SWAP_RAM_SIZE         PLAT_RAM_SIZE

/* Watchdog period armed by the bootloader before every jump: bounds the boot test of an
 * unconfirmed image (the application feeds only once its image is confirmed). */
#define SWAP_WDT_MS           2000u

#endif /* SWAP_LAYOUT_H */
