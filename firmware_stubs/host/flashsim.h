/*
 * flashsim.h - host flash simulator with the STM32U585 and LPC55S69 array rules, for the
 * metadata / evidence-ring power-cut tests (tests/meta/). Host only (uses malloc).
 *
 * Rules (mirroring hil/engine/unicorn/peripherals/stm32u5_flash.py and lpc55_flash.py):
 *  - erased value, page size and program unit per chip; the ECC unit is the program unit;
 *  - STM32: a 16-byte unit may be programmed only if it reads all 0xFF, except that an
 *    all-zero unit may always be written (else FS_ERR_PROGERR, array untouched); erased
 *    cells read as data; a torn unit reads as FS_ERR_ECC;
 *  - LPC: a 512-byte page is programmed whole, only when erased (else FS_ERR_FAIL); an erased
 *    page reads as FS_ERR_ERASED (the port's tolerant read) and a torn page as FS_ERR_ECC.
 *
 * Operations: one page erase = one op, one program unit = one op (a multi-unit program call
 * is several ops, programmed in address order). fs_arm_cut(n, seed, torn) cuts power at op n
 * (0-based, counted since fs_reset_ops): with torn = 0 the op never starts; with torn = 1 it
 * is torn with seeded states: torn erase = each unit independently erased / keeps its old
 * data / torn mix (STM32 old | random, LPC old & random) marked torn; torn program = the unit
 * holds a random subset of the bit transitions and is marked torn (reads as an error).
 * After a cut every op (reads included) fails with FS_ERR_POWER until fs_power_on().
 */
#ifndef OTA_HOST_FLASHSIM_H
#define OTA_HOST_FLASHSIM_H

#include <stdint.h>

#define FS_CHIP_STM32U585 0
#define FS_CHIP_LPC55S69  1

#define FS_OK           0
#define FS_ERR_ARG     (-1)  /* outside the array, misaligned, bad length */
#define FS_ERR_PROGERR (-6)  /* STM32: unit not erased (PORT_ERR_PROGERR) */
#define FS_ERR_WRPERR  (-7)  /* write into a range protected with fs_protect */
#define FS_ERR_FAIL    (-11) /* LPC: page not erased (PORT_ERR_FAIL) */
#define FS_ERR_ECC     (-13) /* read hit a torn unit (PORT_ERR_ECC) */
#define FS_ERR_ERASED  (-14) /* LPC: read of an erased page (PORT_ERR_ERASED) */
#define FS_ERR_POWER   (-20) /* power is cut */

#define FS_SAVE_SLOTS 4

typedef struct flashsim flashsim_t;

/* fs_create - an array of `size` bytes at `base` (all erased), chip rules FS_CHIP_*.
 * Returns: the simulator, or NULL (bad geometry / out of memory). */
flashsim_t *fs_create(int chip, uint32_t base, uint32_t size, uint32_t page_size,
                      uint32_t program_unit, uint32_t erased_value);
void fs_destroy(flashsim_t *fs);

/* The meta_flash_t ops (ctx = the flashsim_t). Return FS_OK or an FS_ERR_* code. */
int fs_erase(void *ctx, uint32_t addr);
int fs_program(void *ctx, uint32_t addr, const void *data, uint32_t len);
int fs_read(void *ctx, uint32_t addr, void *data, uint32_t len);

/* Cut control. */
void fs_arm_cut(flashsim_t *fs, uint32_t op, uint32_t seed, int torn);
void fs_disarm(flashsim_t *fs);
uint32_t fs_ops(const flashsim_t *fs);   /* ops since fs_reset_ops */
void fs_reset_ops(flashsim_t *fs);
int fs_dead(const flashsim_t *fs);       /* 1 after a cut */
void fs_power_on(flashsim_t *fs);        /* power back: ops work again, cut disarmed */

/* State save/restore (slot 0..FS_SAVE_SLOTS-1). Return FS_OK or FS_ERR_ARG. */
int fs_save(flashsim_t *fs, int slot);
int fs_restore(flashsim_t *fs, int slot);

/* Write protection for invariant checks: writes into [addr, addr+len) are refused with
 * FS_ERR_WRPERR and counted. len 0 clears all ranges. */
void fs_protect(flashsim_t *fs, uint32_t addr, uint32_t len);
uint32_t fs_violations(const flashsim_t *fs);

/* Debug: raw cells (ignores torn/erased/power); 1 if the unit holding addr is torn. */
int fs_raw(const flashsim_t *fs, uint32_t addr, void *data, uint32_t len);
int fs_is_torn(const flashsim_t *fs, uint32_t addr);
/* Counters of completed erases/program units (not reset by fs_reset_ops). */
uint32_t fs_erase_count(const flashsim_t *fs);

#endif /* OTA_HOST_FLASHSIM_H */
