/*
 * supply.c - LPC55S69 supply monitor: ANACTRL BOD_DCDC_INT_STATUS.BODVBAT_VAL
 * (1 = VBAT above the PMC BODVBAT trigger level set by port_init; targets.md §2.6).
 */
#include "port.h"
#include "regs.h"

/* See port.h. Returns 1 if BODVBAT_VAL is 0 (supply below the BOD level), else 0. */
int port_supply_low(void)
{
    return (REG32(ANACTRL_BOD_DCDC_INT_STATUS) & ANACTRL_BODVBAT_VAL) == 0u;
}
