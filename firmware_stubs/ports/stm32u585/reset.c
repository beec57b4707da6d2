/*
 * reset.c - STM32U585 reset cause from RCC_CSR (targets.md §1.5, contracts §3).
 *
 * Priority IWDG (or WWDG) > SFT > BOR > PIN. BORRSTF is set on every power-on and brownout;
 * the two are told apart by a magic word pair in backup SRAM, which a brownout keeps and a
 * power-on loses. Afterwards RMVF clears the flags and the magic is (re)written.
 */
#include "port.h"
#include "regs.h"

/* Returns 1 if the backup-SRAM magic pair is intact, else 0. */
static int bkpsram_magic_ok(void)
{
    return REG32(BKPSRAM_MAGIC_ADDR) == BKPSRAM_MAGIC &&
           REG32(BKPSRAM_MAGIC_ADDR + 4u) == ~BKPSRAM_MAGIC;
}

/* See port.h. Returns the decoded cause; *raw = RCC_CSR as read. */
port_reset_cause_t port_reset_cause(uint32_t *raw)
{
    uint32_t csr = REG32(RCC_CSR);
    port_reset_cause_t cause;

    if (raw != NULL) {
        *raw = csr;
    }
    if ((csr & (RCC_CSR_IWDGRSTF | RCC_CSR_WWDGRSTF)) != 0u) {
        cause = PORT_RESET_WATCHDOG;
    } else if ((csr & RCC_CSR_SFTRSTF) != 0u) {
        cause = PORT_RESET_SOFTWARE;
    } else if ((csr & RCC_CSR_BORRSTF) != 0u) {
        cause = bkpsram_magic_ok() ? PORT_RESET_BROWNOUT : PORT_RESET_POWER_ON;
    } else if ((csr & RCC_CSR_PINRSTF) != 0u) {
        cause = PORT_RESET_PIN;
    } else {
        cause = PORT_RESET_UNKNOWN;
    }

    REG32(RCC_CSR) = csr | RCC_CSR_RMVF; /* clear all *RSTF (keeps the MSI range fields) */
    REG32(BKPSRAM_MAGIC_ADDR) = BKPSRAM_MAGIC;
    REG32(BKPSRAM_MAGIC_ADDR + 4u) = ~BKPSRAM_MAGIC;
    return cause;
}
