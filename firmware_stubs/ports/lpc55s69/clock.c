/*
 * clock.c - LPC55S69 run clock: main clock = core clock = 150 MHz from PLL0 fed by the FRO
 * 12 MHz, the way production firmware (the SDK's BOARD_BootClockPLL150M, MCUX
 * devices/LPC55S69/project_template/clock_config.c:259-301, with the FRO 12 MHz instead of
 * the board's 16 MHz crystal as PLL input) sets it up. The one place of this port that knows
 * the clock tree.
 *
 * Sequence:
 *   1. Main clock on FRO 12 MHz (MAINCLKSELA/B = 0) while the tree changes.
 *   2. Core voltage for 150 MHz (POWER_SetVoltageForFreq, MCUX fsl_power.c:1461-1485): the
 *      DCDC power profile HIGH; with no valid PVT trim in the protected flash the SDK takes the
 *      nominal (NNN) process corner (fsl_power.c:1286-1320): 1150 mV
 *      (lowpower_set_system_voltage, fsl_power.c:1100-1182): DCDC0.VOUT = 1.15 V,
 *      LDOPMU.VADJ = 1.16 V, VADJ_BOOST = 1.22 V.
 *   3. Flash wait states for 150 MHz (CLOCK_SetFLASHAccessCyclesForFreq, fsl_clock.c:300-392):
 *      11 (130..150 MHz), prefetch off, flash controller SET_READ_MODE (CMD 2 with DATAW0),
 *      wait DONE, then FMCCR.FLASHTIM = 11, prefetch restored.
 *   4. PLL0 from FRO 12 MHz (PLL0CLKSEL 0): N 4, M 100 (SEL_EXT), P 1 (post divider 2):
 *      12 / 4 * 100 / 2 = 150 MHz (CCO 300 MHz); written with the SDK's latch bits while
 *      powered down (CLOCK_SetPLL0Freq, fsl_clock.c:1696-1756), powered up, wait LOCK
 *      (500 us + 400 / F_ref at most).
 *   5. AHBCLKDIV = 0 (/1), MAINCLKSELB = PLL0.
 *   6. The console UART's OSR/BRG are recomputed for the 150 MHz function clock (uart.c).
 * Every wait is bounded (LPC_POLL_LIMIT); on a timeout the clock stays at FRO 12 MHz.
 */
#include "port.h"
#include "regs.h"

#define CLOCK_RUN_HZ       150000000u
#define FLASH_WAIT_STATES  11u   /* fsl_clock.c: 130 MHz < f <= 150 MHz */
#define DCDC_VOUT_1P150    8u    /* V_DCDC_1P150 (fsl_power.c:142) */
#define LDO_AO_1P160       30u   /* V_AO_1P160 */
#define LDO_AO_1P220       31u   /* V_AO_1P220 */
#define PLL0_N             4u
#define PLL0_M             100u
#define PLL0_P             1u    /* post divider 2 * P */
#define PLL0_SELI          53u   /* UM11126 bandwidth for M = 100: 2 * (M / 4) + 3 */
#define PLL0_SELP          26u   /* M / 4 + 1 */

void lpc_uart_init(void);

/* Wait (bounded) until (REG32(reg) & mask) != 0. Returns PORT_OK or PORT_ERR_TIMEOUT. */
static int clock_wait(uint32_t reg, uint32_t mask)
{
    uint32_t n;

    for (n = 0; n < LPC_POLL_LIMIT; n++) {
        if ((REG32(reg) & mask) != 0u) {
            return PORT_OK;
        }
    }
    return PORT_ERR_TIMEOUT;
}

/* 1 when the main clock is PLL0 (this port's run clock). */
static int clock_on_pll(void)
{
    return (REG32(SYSCON_MAINCLKSELB) & 3u) == SYSCON_MAINCLKSELB_PLL0;
}

/* See port.h. Returns CLOCK_RUN_HZ once the main clock is PLL0 (the only PLL setting this
 * port makes), else the reset clock. Read from the hardware, so the application sees the
 * clock the bootloader left. */
uint32_t port_core_clock_hz(void)
{
    return clock_on_pll() ? CLOCK_RUN_HZ : PLAT_CORE_CLOCK_HZ;
}

/* Step 3: flash controller read mode and FMC wait states. Returns PORT_OK / _TIMEOUT. */
static int clock_flash_wait_states(uint32_t ws)
{
    uint32_t prefetch = REG32(SYSCON_FMCCR) & SYSCON_FMCCR_PREFEN;
    int rc;

    REG32(SYSCON_FMCCR) &= ~SYSCON_FMCCR_PREFEN;
    REG32(FLASH_INT_CLR_STATUS) = FLASH_INT_ALL;
    REG32(FLASH_DATAW(0)) = (REG32(FLASH_DATAW(0)) & ~0xFu) | (ws & 0xFu);
    REG32(FLASH_CMD) = FLASH_CMD_SET_READ_MODE;
    rc = clock_wait(FLASH_INT_STATUS, FLASH_INT_DONE);
    if (rc == PORT_OK) {
        REG32(SYSCON_FMCCR) = (REG32(SYSCON_FMCCR) & ~SYSCON_FMCCR_FLASHTIM_MSK) |
                              (ws << SYSCON_FMCCR_FLASHTIM_POS);
    }
    REG32(SYSCON_FMCCR) |= prefetch;
    return rc;
}

/* See port.h. Returns PORT_OK, or PORT_ERR_TIMEOUT (a flag never rose). */
int port_clock_init(void)
{
    uint32_t sscg1 = (PLL0_M << SYSCON_PLL0SSCG1_MDIV_POS) | SYSCON_PLL0SSCG1_SEL_EXT;
    int rc;

    if (clock_on_pll()) {
        return PORT_OK; /* the bootloader left PLL0 running (port_init set the UART for it) */
    }
    (void)port_uart_flush(); /* no byte in flight while the baud clock changes */
    REG32(SYSCON_MAINCLKSELA) = 0u;
    REG32(SYSCON_MAINCLKSELB) = 0u;

    REG32(PMC_LDOPMU) = (REG32(PMC_LDOPMU) & ~(PMC_LDOPMU_VADJ_MSK | PMC_LDOPMU_VADJ_BOOST_MSK)) |
                        LDO_AO_1P160 | (LDO_AO_1P220 << PMC_LDOPMU_VADJ_BOOST_POS);
    REG32(PMC_DCDC0) = (REG32(PMC_DCDC0) & ~PMC_DCDC0_VOUT_MSK) |
                       (DCDC_VOUT_1P150 << PMC_DCDC0_VOUT_POS);

    rc = clock_flash_wait_states(FLASH_WAIT_STATES);
    if (rc != PORT_OK) {
        return rc;
    }

    REG32(SYSCON_PLL0CLKSEL) = 0u; /* FRO 12 MHz */
    REG32(PMC_PDRUNCFGSET0) = PMC_PDEN_PLL0 | PMC_PDEN_PLL0_SSCG;
    REG32(SYSCON_PLL0CTRL) = SYSCON_PLL0CTRL_CLKEN | (PLL0_SELI << SYSCON_PLL0CTRL_SELI_POS) |
                             (PLL0_SELP << SYSCON_PLL0CTRL_SELP_POS);
    REG32(SYSCON_PLL0NDEC) = PLL0_N;
    REG32(SYSCON_PLL0NDEC) = PLL0_N | SYSCON_PLL0NDEC_NREQ;
    REG32(SYSCON_PLL0PDEC) = PLL0_P;
    REG32(SYSCON_PLL0PDEC) = PLL0_P | SYSCON_PLL0PDEC_PREQ;
    REG32(SYSCON_PLL0SSCG0) = 0u;
    REG32(SYSCON_PLL0SSCG1) = sscg1;
    REG32(SYSCON_PLL0SSCG1) = sscg1 | SYSCON_PLL0SSCG1_MD_REQ | SYSCON_PLL0SSCG1_MREQ;
    REG32(PMC_PDRUNCFGCLR0) = PMC_PDEN_PLL0 | PMC_PDEN_PLL0_SSCG;
    rc = clock_wait(SYSCON_PLL0STAT, SYSCON_PLL0STAT_LOCK);
    if (rc != PORT_OK) {
        return rc;
    }

    REG32(SYSCON_AHBCLKDIV) = 0u;
    REG32(SYSCON_MAINCLKSELB) = SYSCON_MAINCLKSELB_PLL0;
    lpc_uart_init(); /* OSR/BRG for the new function clock */
    return PORT_OK;
}
