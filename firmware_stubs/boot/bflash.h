/*
 * bflash.h - the bootloader's flash ops tables (core/meta.h meta_flash_t) over the port.
 *
 * Two tables over the same port functions:
 *   bflash_meta  - for metadata, the updater and anything whose refused write must be
 *                  reported: a write refused with PORT_ERR_GATED emits
 *                  WRITE_GATED operation=erase|program address=0x.. (contracts §8);
 *   bflash_quiet - for the evidence ring (its writes run inside the evidence sink, which must
 *                  not emit events itself); gated writes are only counted.
 * Reads are tolerant (never fault): a unit the port reports erased (LPC55S69 blank page)
 * gives META_FLASH_ERASED, any other read error is returned as is.
 */
#ifndef OTA_BOOT_BFLASH_H
#define OTA_BOOT_BFLASH_H

#include <stdint.h>

#include "meta.h"

extern const meta_flash_t bflash_meta;
extern const meta_flash_t bflash_quiet;

/* bflash_gated_count - writes refused by brownout gating since reset (both tables).
 * Returns the count. */
uint32_t bflash_gated_count(void);

/*
 * bflash_read_bytes - tolerant byte-range read (any alignment) through the port's block
 * reader (port_flash_read_span: one guarded copy per block, a block that does not read
 * cleanly re-read word by word through port_flash_read), so the outcome is the word-by-word
 * one: the first read error, else META_FLASH_ERASED when a unit of the range reads as erased
 * (LPC55S69 blank page; the buffer then holds erased bytes there), else 0. A buffer whose
 * offset in a word differs from the address's goes through a 256-byte bounce buffer.
 * Returns: 0, META_FLASH_ERASED or another negative PORT_ERR_* code (the buffer contents are
 *   then unspecified).
 */
int bflash_read_bytes(uint32_t addr, void *dst, uint32_t len);

#endif /* OTA_BOOT_BFLASH_H */
