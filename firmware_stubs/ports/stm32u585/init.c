/*
 * init.c - STM32U585 port_init: clocks for PWR and backup SRAM, backup-domain write access,
 * the PVD (supply monitor, level 0 = ~2.0 V) and the console UART.
 */
#include "port.h"
#include "regs.h"

void stm32_uart_init(void);

/* See port.h. Returns PORT_OK (cannot fail). */
int port_init(void)
{
    /* PWR registers are clock-gated (RCC_AHB3ENR.PWREN); BKPSRAM needs RCC_AHB1ENR.BKPSRAMEN
     * and PWR_DBPR.DBP for writes (backup domain write protection). */
    REG32(RCC_AHB3ENR) |= RCC_AHB3ENR_PWREN;
    (void)REG32(RCC_AHB3ENR);
    REG32(RCC_AHB1ENR) |= RCC_AHB1ENR_BKPSRAMEN;
    (void)REG32(RCC_AHB1ENR);
    REG32(PWR_DBPR) |= PWR_DBPR_DBP;

    /* PVD on, level 0 (PVDLS=0, ~2.0 V): SVMSR.PVDO then reports VDD below the level. */
    REG32(PWR_SVMCR) = (REG32(PWR_SVMCR) & ~PWR_SVMCR_PVDLS_MSK) | PWR_SVMCR_PVDE;

    stm32_uart_init();
    return PORT_OK;
}
