/*
 * supply.c - STM32U585 supply monitor: PVD output PWR_SVMSR.PVDO (PVDE set in SVMCR by
 * port_init, level 0). PVDO = 1 means VDD is below the PVD threshold (STM32 convention;
 * targets.md §3 item 10 notes the polarity is not confirmed from RM text).
 */
#include "port.h"
#include "regs.h"

/* See port.h. Returns 1 if PVDO is set (supply low), else 0. */
int port_supply_low(void)
{
    return (REG32(PWR_SVMSR) & PWR_SVMSR_PVDO) != 0u;
}
