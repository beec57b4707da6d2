/*
 * clock.c - STM32U585 run clock: SYSCLK = HCLK = 160 MHz from PLL1 fed by HSI16, the way
 * production firmware (the HAL's SystemClock_Config for 160 MHz) sets it up. The one place of
 * this port that knows the clock tree.
 *
 * Sequence (STHAL Src/stm32u5xx_hal_pwr_ex.c:339-395 HAL_PWREx_ControlVoltageScaling,
 * Src/stm32u5xx_hal_rcc.c HAL_RCC_OscConfig / HAL_RCC_ClockConfig; wait states from the
 * table at stm32u5xx_hal_rcc.c:325-341):
 *   1. PWR clock on (RCC_AHB3ENR.PWREN, done by port_init).
 *   2. PWR_VOSR: VOS = range 1 with the EPOD booster (BOOSTEN); wait VOSRDY, then BOOSTRDY
 *      (above 55 MHz the booster must be ready before SYSCLK gets there; the EPOD clock is
 *      PLL1's input divided by PLL1MBOOST, 16 MHz / 1 here).
 *   3. FLASH_ACR.LATENCY = 4 wait states (range 1: 128 < HCLK <= 160 MHz), read back.
 *   4. HSI16 on, wait HSIRDY.
 *   5. PLL1 = HSI16 / M 1 * N 20 / R 2 = 160 MHz (VCO 320 MHz), R output on; PLL1ON,
 *      wait PLL1RDY.
 *   6. HCLK = SYSCLK / 2 first (the HAL's transition step above 80 MHz), SW = PLL1, wait
 *      SWS = PLL1, then HCLK = SYSCLK / 1.
 *   7. The console UART's BRR is recomputed for PCLK2 = 160 MHz (uart.c).
 * Every wait is bounded (STM32_POLL_LIMIT); if one times out the clock stays where it was
 * (the reset clock MSIS 4 MHz), which keeps the firmware working, only slower.
 */
#include "port.h"
#include "regs.h"

#define CLOCK_RUN_HZ    160000000u
#define CLOCK_LATENCY   4u   /* wait states for 160 MHz in range 1 */
#define PLL1_M          1u   /* HSI16 / 1 = 16 MHz input (8..16 MHz range) */
#define PLL1_N          20u  /* VCO 320 MHz */
#define PLL1_R          2u   /* 160 MHz */
#define PLL1_PQ_DEFAULT 2u   /* P and Q dividers (outputs off) as at reset */

void stm32_uart_init(void);

/* Wait (bounded) until (REG32(reg) & mask) == want. Returns PORT_OK or PORT_ERR_TIMEOUT. */
static int clock_wait(uint32_t reg, uint32_t mask, uint32_t want)
{
    uint32_t n;

    for (n = 0; n < STM32_POLL_LIMIT; n++) {
        if ((REG32(reg) & mask) == want) {
            return PORT_OK;
        }
    }
    return PORT_ERR_TIMEOUT;
}

/* 1 when SYSCLK runs from PLL1 (this port's run clock), from CFGR1.SWS. */
static int clock_on_pll(void)
{
    return ((REG32(RCC_CFGR1) >> RCC_CFGR1_SWS_POS) & RCC_CFGR1_SW_MSK) == RCC_CFGR1_SW_PLL1;
}

/* See port.h. Returns CLOCK_RUN_HZ once SYSCLK is PLL1 (the only PLL setting this port
 * makes), else the reset clock. Read from the hardware, so the application sees the clock
 * the bootloader left. */
uint32_t port_core_clock_hz(void)
{
    return clock_on_pll() ? CLOCK_RUN_HZ : PLAT_CORE_CLOCK_HZ;
}

/* See port.h. Returns PORT_OK, or PORT_ERR_TIMEOUT (a ready flag never rose). */
int port_clock_init(void)
{
    int rc;

    if (clock_on_pll()) {
        return PORT_OK; /* the bootloader left PLL1 running (port_init set BRR for it) */
    }
    (void)port_uart_flush(); /* no byte in flight while the baud clock changes */

    REG32(PWR_VOSR) = (REG32(PWR_VOSR) & ~PWR_VOSR_VOS_MSK) | PWR_VOSR_VOS_RANGE1 |
                      PWR_VOSR_BOOSTEN;
    rc = clock_wait(PWR_VOSR, PWR_VOSR_VOSRDY, PWR_VOSR_VOSRDY);
    if (rc == PORT_OK) {
        rc = clock_wait(PWR_VOSR, PWR_VOSR_BOOSTRDY, PWR_VOSR_BOOSTRDY);
    }
    if (rc != PORT_OK) {
        return rc;
    }

    REG32(FLASH_ACR) = (REG32(FLASH_ACR) & ~FLASH_ACR_LATENCY_MSK) | CLOCK_LATENCY;
    if ((REG32(FLASH_ACR) & FLASH_ACR_LATENCY_MSK) != CLOCK_LATENCY) {
        return PORT_ERR_TIMEOUT; /* the HAL's read-back check */
    }

    REG32(RCC_CR) |= RCC_CR_HSION;
    rc = clock_wait(RCC_CR, RCC_CR_HSIRDY, RCC_CR_HSIRDY);
    if (rc != PORT_OK) {
        return rc;
    }

    REG32(RCC_PLL1CFGR) = RCC_PLL1CFGR_SRC_HSI16 | RCC_PLL1CFGR_RGE_8_16 |
                          ((PLL1_M - 1u) << RCC_PLL1CFGR_M_POS) |
                          (0u << RCC_PLL1CFGR_MBOOST_POS) | RCC_PLL1CFGR_REN;
    REG32(RCC_PLL1DIVR) = ((PLL1_N - 1u) << RCC_PLL1DIVR_N_POS) |
                          ((PLL1_PQ_DEFAULT - 1u) << RCC_PLL1DIVR_P_POS) |
                          ((PLL1_PQ_DEFAULT - 1u) << RCC_PLL1DIVR_Q_POS) |
                          ((PLL1_R - 1u) << RCC_PLL1DIVR_R_POS);
    REG32(RCC_CR) |= RCC_CR_PLL1ON;
    rc = clock_wait(RCC_CR, RCC_CR_PLL1RDY, RCC_CR_PLL1RDY);
    if (rc != PORT_OK) {
        return rc;
    }

    REG32(RCC_CFGR2) = (REG32(RCC_CFGR2) & ~RCC_CFGR2_HPRE_MSK) | RCC_CFGR2_HPRE_DIV2;
    REG32(RCC_CFGR1) = (REG32(RCC_CFGR1) & ~RCC_CFGR1_SW_MSK) | RCC_CFGR1_SW_PLL1;
    rc = clock_wait(RCC_CFGR1, RCC_CFGR1_SW_MSK << RCC_CFGR1_SWS_POS,
                    RCC_CFGR1_SW_PLL1 << RCC_CFGR1_SWS_POS);
    REG32(RCC_CFGR2) &= ~RCC_CFGR2_HPRE_MSK;
    if (rc != PORT_OK) {
        return rc;
    }
    stm32_uart_init(); /* BRR for the new PCLK2 */
    return PORT_OK;
}
