/*
 * init.c - LPC55S69 port_init: BOD VBAT level (supply monitor) and the console UART.
 */
#include "port.h"
#include "regs.h"

void lpc_uart_init(void);

/* See port.h. Returns PORT_OK (cannot fail). */
int port_init(void)
{
    /* BODVBAT trigger level 2.0 V (SDK kPOWER_BodVbatLevel2000mv), hysteresis 25 mV (0):
     * ANACTRL BOD_DCDC_INT_STATUS.BODVBAT_VAL then says whether VBAT is above it. */
    REG32(PMC_BODVBAT) = (REG32(PMC_BODVBAT) & ~(PMC_BODVBAT_TRIGLVL_MSK | PMC_BODVBAT_HYST_MSK)) |
                         PMC_BODVBAT_LEVEL_2V0;
    lpc_uart_init();
    return PORT_OK;
}
