/*
 * flash.c - STM32U585 embedded flash on the real FLASH controller registers (NS view).
 * targets.md §1.2/§1.3 (STC, STHAL hal_flash.c / hal_flash_ex.c, Zephyr flash_stm32l5x.c).
 *
 * Erase: one 8 KiB page (PER + PNB + BKER + STRT). Program: quad-words (16 bytes) with PG
 * and four single 32-bit stores. Each operation: supply gate -> unlock -> wait idle ->
 * clear stale flags -> operate -> wait BSY/WDW clear -> collect NSSR errors (write-1 clear)
 * -> clear PG/PER -> lock. Every wait is bounded (STM32_POLL_LIMIT).
 */
#include "mut_hooks.h"
#include "port.h"
#include "regs.h"

/* The supply gate of every erase/program (PORT_ERR_GATED when low). Returns 1 when the supply
 * monitor reports low; planted bug (item 13, core/mut_hooks.h): never evaluated, writes start
 * at low supply. */
#define FLASH_SUPPLY_LOW() (!MUT_HOOK_SKIP_BROWNOUT_GATE() && port_supply_low())

#define BANK_SIZE (PLAT_FLASH_SIZE / PLAT_FLASH_BANKS)

/* Returns 1 if [addr, addr+len) is inside the flash, else 0. */
static int flash_range_ok(uint32_t addr, uint32_t len)
{
    /* Unsigned offset: an address below the base wraps to a huge offset and fails. */
    return len != 0u && len <= PLAT_FLASH_SIZE && (uint32_t)(addr - PLAT_FLASH_BASE) <= PLAT_FLASH_SIZE - len;
}

/* Sleep until the operation in flight ends (NSCR.EOPIE -> FLASH_IRQn wakes the core) or
 * FLASH_SLEEP_MAX_MS passed (an operation ending in an error raises no EOP). Interrupts stay
 * masked; EOP is cleared by flash_take_errors. No return value.
 * NSCR is rewritten without STRT: STRT reads 1 while an erase runs and hardware clears it at
 * the end, so writing back a 1 read before the end would start the same erase again. */
#define FLASH_SLEEP_MAX_MS 1u
static void flash_sleep(void)
{
    uint32_t pm = cm33_irq_save();

    REG32(FLASH_NSCR) = (REG32(FLASH_NSCR) & ~FLASH_CR_STRT) | FLASH_CR_EOPIE;
    if ((REG32(FLASH_NSSR) & FLASH_SR_BSY) != 0u) {
        cm33_sleep_irq(PLAT_PERIPH_FLASH_CTRL_IRQ_NS, port_core_clock_hz() / 1000u * FLASH_SLEEP_MAX_MS);
    }
    REG32(FLASH_NSCR) &= ~(FLASH_CR_EOPIE | FLASH_CR_STRT);
    cm33_irq_line_clear(PLAT_PERIPH_FLASH_CTRL_IRQ_NS);
    cm33_irq_restore(pm);
}

/* Wait until NSSR.BSY and NSSR.WDW are clear: polls back to back first, then sleeps until
 * the end of the operation (an erase or program then costs no instructions at any clock).
 * Returns PORT_OK or PORT_ERR_TIMEOUT. */
static int flash_wait_idle(void)
{
    uint32_t n;

    for (n = 0; n < STM32_POLL_LIMIT; n += cm33_poll_step(n)) {
        if ((REG32(FLASH_NSSR) & (FLASH_SR_BSY | FLASH_SR_WDW)) == 0u) {
            return PORT_OK;
        }
        if (n >= CM33_POLL_FAST) {
            flash_sleep();
        }
    }
    return PORT_ERR_TIMEOUT;
}

/*
 * Read and clear (write 1) the NSSR error flags and EOP.
 * Returns: PORT_OK if none was set, else the first of OPERR, PROGERR, WRPERR, PGAERR,
 *   SIZERR, PGSERR as a PORT_ERR_* code.
 */
static int flash_take_errors(void)
{
    uint32_t sr = REG32(FLASH_NSSR) & (FLASH_SR_ERRORS | FLASH_SR_EOP);

    if (sr != 0u) {
        REG32(FLASH_NSSR) = sr;
    }
    if ((sr & FLASH_SR_OPERR) != 0u) {
        return PORT_ERR_OPERR;
    }
    if ((sr & FLASH_SR_PROGERR) != 0u) {
        return PORT_ERR_PROGERR;
    }
    if ((sr & FLASH_SR_WRPERR) != 0u) {
        return PORT_ERR_WRPERR;
    }
    if ((sr & FLASH_SR_PGAERR) != 0u) {
        return PORT_ERR_PGAERR;
    }
    if ((sr & FLASH_SR_SIZERR) != 0u) {
        return PORT_ERR_SIZERR;
    }
    if ((sr & FLASH_SR_PGSERR) != 0u) {
        return PORT_ERR_PGSERR;
    }
    return PORT_OK;
}

/* Unlock NSCR with the two keys if LOCK is set. Returns PORT_OK or PORT_ERR_LOCKED. */
static int flash_unlock(void)
{
    if ((REG32(FLASH_NSCR) & FLASH_CR_LOCK) == 0u) {
        return PORT_OK;
    }
    REG32(FLASH_NSKEYR) = FLASH_KEY1;
    REG32(FLASH_NSKEYR) = FLASH_KEY2;
    return (REG32(FLASH_NSCR) & FLASH_CR_LOCK) == 0u ? PORT_OK : PORT_ERR_LOCKED;
}

/* Set NSCR.LOCK again. No return value. */
static void flash_lock(void)
{
    REG32(FLASH_NSCR) |= FLASH_CR_LOCK;
}

/*
 * Common prologue: unlock, wait for any earlier operation, clear stale flags.
 * Returns PORT_OK, PORT_ERR_LOCKED or PORT_ERR_TIMEOUT (the controller is locked again on
 * error).
 */
static int flash_begin(void)
{
    int rc = flash_unlock();

    if (rc != PORT_OK) {
        return rc;
    }
    rc = flash_wait_idle();
    if (rc != PORT_OK) {
        flash_lock();
        return rc;
    }
    (void)flash_take_errors(); /* stale flags from an earlier operation are not ours */
    return PORT_OK;
}

/* Returns 1 if addr is in a metadata area (only the planted MUT_UNGATED_META_ERASE asks). */
static int flash_is_meta(uint32_t addr)
{
    return (uint32_t)(addr - PLAT_AREA_META_A_ADDR) < PLAT_AREA_META_A_SIZE ||
           (uint32_t)(addr - PLAT_AREA_META_B_ADDR) < PLAT_AREA_META_B_SIZE;
}

/* See port.h. Returns PORT_OK or a PORT_ERR_* code. */
int port_flash_erase_page(uint32_t addr)
{
    uint32_t offset;
    uint32_t bank;
    uint32_t page;
    uint32_t cr;
    uint32_t pm;
    int rc;
    int rc2;

    if (!flash_range_ok(addr, PLAT_FLASH_PAGE_SIZE) ||
        ((addr - PLAT_FLASH_BASE) % PLAT_FLASH_PAGE_SIZE) != 0u) {
        return PORT_ERR_BADARG;
    }
    /* planted (brownout class, core/mut_hooks.h): a metadata page erase is not gated */
    if (!(MUT_HOOK_UNGATED_META_ERASE() && flash_is_meta(addr)) && FLASH_SUPPLY_LOW()) {
        return PORT_ERR_GATED; /* brownout write gating: nothing started */
    }
    rc = flash_begin();
    if (rc != PORT_OK) {
        return rc;
    }

    offset = addr - PLAT_FLASH_BASE;
    bank = offset / BANK_SIZE;
    page = (offset % BANK_SIZE) / PLAT_FLASH_PAGE_SIZE;
    if (PLAT_FLASH_BANKS > 1u && (REG32(FLASH_OPTR) & FLASH_OPTR_SWAP_BANK) != 0u) {
        bank ^= 1u; /* BKER selects the physical bank */
    }

    pm = cm33_irq_save();
    /* HAL order: BKER first, then PNB | PER | STRT in one write. */
    cr = REG32(FLASH_NSCR) & ~(FLASH_CR_PG | FLASH_CR_PER | FLASH_CR_MER1 | FLASH_CR_MER2 |
                               FLASH_CR_BWR | FLASH_CR_PNB_MSK | FLASH_CR_BKER | FLASH_CR_STRT);
    if (bank != 0u) {
        cr |= FLASH_CR_BKER;
    }
    REG32(FLASH_NSCR) = cr;
    REG32(FLASH_NSCR) = cr | ((page << FLASH_CR_PNB_POS) & FLASH_CR_PNB_MSK) | FLASH_CR_PER |
                        FLASH_CR_STRT;
    rc = flash_wait_idle();
    rc2 = flash_take_errors();
    REG32(FLASH_NSCR) &= ~(FLASH_CR_PER | FLASH_CR_PNB_MSK | FLASH_CR_BKER | FLASH_CR_STRT);
    cm33_irq_restore(pm);
    flash_lock();
    return rc2 != PORT_OK ? rc2 : rc;
}

/*
 * stm32_flash_store_quadword - the four 32-bit stores of one quad-word program.
 * Kept out of line so the build can check its disassembly: exactly four single STR
 * instructions (no STRD/STM, which would be 64-bit bursts on the bus).
 * Returns nothing.
 */
__attribute__((noinline)) void stm32_flash_store_quadword(volatile uint32_t *dst,
                                                          const uint32_t *src)
{
    dst[0] = src[0];
    dst[1] = src[1];
    dst[2] = src[2];
    dst[3] = src[3];
}

/* See port.h. Returns PORT_OK or a PORT_ERR_* code. */
int port_flash_program(uint32_t addr, const uint32_t *data, size_t len)
{
    uint32_t done;
    uint32_t pm;
    int rc;

    if (data == NULL || len == 0u || (len % PLAT_FLASH_PROGRAM_UNIT) != 0u ||
        len > PLAT_FLASH_SIZE || !flash_range_ok(addr, (uint32_t)len) ||
        ((addr - PLAT_FLASH_BASE) % PLAT_FLASH_PROGRAM_UNIT) != 0u ||
        ((uintptr_t)data & 3u) != 0u) {
        return PORT_ERR_BADARG;
    }
    if (FLASH_SUPPLY_LOW()) {
        return PORT_ERR_GATED;
    }
    rc = flash_begin();
    if (rc != PORT_OK) {
        return rc;
    }

    pm = cm33_irq_save();
    REG32(FLASH_NSCR) = (REG32(FLASH_NSCR) & ~(FLASH_CR_PER | FLASH_CR_MER1 | FLASH_CR_MER2 |
                                               FLASH_CR_BWR | FLASH_CR_STRT)) |
                        FLASH_CR_PG;
    for (done = 0; done < (uint32_t)len; done += PLAT_FLASH_PROGRAM_UNIT) {
        if (done != 0u && FLASH_SUPPLY_LOW()) {
            rc = PORT_ERR_GATED; /* the unit in flight finished; no new one starts */
            break;
        }
        stm32_flash_store_quadword((volatile uint32_t *)(uintptr_t)(addr + done),
                                   &data[done / 4u]);
        rc = flash_wait_idle();
        if (rc == PORT_OK) {
            rc = flash_take_errors();
        }
        if (rc != PORT_OK) {
            break;
        }
    }
    REG32(FLASH_NSCR) &= ~FLASH_CR_PG;
    cm33_irq_restore(pm);
    flash_lock();
    return rc;
}

/* Clear stale ECCC/ECCD (write 1, keep ECCIE): ECCR latches a new error only while both are
 * clear, and an old flag is not this read's. No return value. */
static void stm32_ecc_clear_stale(void)
{
    uint32_t eccr = REG32(FLASH_ECCR);

    if ((eccr & (FLASH_ECCR_ECCC | FLASH_ECCR_ECCD)) != 0u) {
        REG32(FLASH_ECCR) = (eccr & (FLASH_ECCR_ECCIE | FLASH_ECCR_ECCC | FLASH_ECCR_ECCD));
    }
}

/*
 * See port.h. A guarded load: a double-ECC NMI during it is absorbed by NMI_Handler
 * (cm33_exception) which clears ECCR.ECCD and skips the load. ECCD is also checked after
 * the load in case the flag was raised without the NMI being taken.
 * Returns PORT_OK, PORT_ERR_BADARG, PORT_ERR_ECC or PORT_ERR_FAULT.
 */
int port_flash_read(uint32_t addr, uint32_t *value)
{
    uint32_t outcome;
    uint32_t v;

    if (value == NULL || (addr & 3u) != 0u || !flash_range_ok(addr, 4u)) {
        return PORT_ERR_BADARG;
    }
    *value = 0u;
    stm32_ecc_clear_stale();
    v = cm33_guarded_load32(addr, &outcome);
    if (outcome == CM33_GUARD_ECC) {
        return PORT_ERR_ECC;
    }
    if (outcome == CM33_GUARD_FAULT) {
        return PORT_ERR_FAULT;
    }
    if (port_nmi_ecc_check_clear()) {
        return PORT_ERR_ECC;
    }
    *value = v;
    return PORT_OK;
}

/*
 * See port.h. One guarded block copy framed by one ECCR clear and one ECCD check (instead of
 * both around every word); a double-ECC NMI on a load abandons the copy (cm33.h). Anything
 * but a clean copy re-reads the block word by word through port_flash_read, which finds the
 * word and the code. Erased cells read 0xFF as data on this chip (*erased stays as it is).
 * Returns PORT_OK or the first port_flash_read error (PORT_ERR_ECC, PORT_ERR_FAULT).
 */
int port_flash_read_words(uint32_t addr, uint32_t *dst, uint32_t nwords, int *erased)
{
    uint32_t outcome;
    uint32_t i;

    stm32_ecc_clear_stale();
    cm33_guarded_copy32(dst, addr, nwords, &outcome);
    if (outcome == CM33_GUARD_NONE && !port_nmi_ecc_check_clear()) {
        return PORT_OK;
    }
    for (i = 0; i < nwords; i++) {
        int rc = port_flash_read(addr + 4u * i, &dst[i]);
        if (rc == PORT_ERR_ERASED) {
            *erased = 1; /* not on this chip (erased cells are data); kept for the contract */
        } else if (rc != PORT_OK) {
            return rc;
        }
    }
    return PORT_OK;
}
