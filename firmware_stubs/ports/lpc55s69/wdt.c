/*
 * wdt.c - LPC55S69 WWDT (targets.md §2.7): clock FRO 1 MHz / (WDTCLKDIV.DIV + 1), fixed /4
 * prescaler, 24-bit TC (values below 0xFF load 0xFF). Timeout = TC * 4 / f_wdclk.
 * Started with WDEN | WDRESET and a feed; WDEN then cannot be cleared.
 */
#include "port.h"
#include "regs.h"

#define WWDT_TC_MIN 0xFFu
#define WWDT_TC_MAX 0xFFFFFFu

/* See port.h. Returns PORT_OK or PORT_ERR_BADARG (ms == 0 or above the 24-bit counter). */
int port_wdt_start(uint32_t ms)
{
    uint64_t ticks;
    uint32_t n;
    uint32_t pm;

    if (ms == 0u) {
        return PORT_ERR_BADARG;
    }
    ticks = ((uint64_t)ms * (PLAT_WATCHDOG_CLOCK_HZ / 4u)) / 1000u;
    if (ticks > WWDT_TC_MAX) {
        return PORT_ERR_BADARG;
    }
    if (ticks < WWDT_TC_MIN) {
        ticks = WWDT_TC_MIN;
    }

    /* FRO 1 MHz on for the clock generator, WDT clock divider 1 (DIV=0, not halted), wait
     * for the divider update (bounded), WWDT bus clock on. */
    REG32(SYSCON_CLOCK_CTRL) |= SYSCON_CLOCK_CTRL_FRO1MHZ_CLK_ENA;
    REG32(SYSCON_WDTCLKDIV) = 0u;
    for (n = 0; n < LPC_POLL_LIMIT; n++) {
        if ((REG32(SYSCON_WDTCLKDIV) & SYSCON_WDTCLKDIV_REQFLAG) == 0u) {
            break;
        }
    }
    REG32(SYSCON_AHBCLKCTRL0) |= SYSCON_AHBCLKCTRL0_WWDT;

    REG32(WWDT_TC) = (uint32_t)ticks;
    REG32(WWDT_MOD) = WWDT_MOD_WDEN | WWDT_MOD_WDRESET;
    pm = cm33_irq_save();
    REG32(WWDT_FEED) = 0xAAu; /* the first feed starts the counter */
    REG32(WWDT_FEED) = 0x55u;
    cm33_irq_restore(pm);
    return PORT_OK;
}

/* See port.h. Feed sequence 0xAA, 0x55 with IRQs masked (must not be split). */
void port_wdt_feed(void)
{
    uint32_t pm = cm33_irq_save();

    REG32(WWDT_FEED) = 0xAAu;
    REG32(WWDT_FEED) = 0x55u;
    cm33_irq_restore(pm);
}
