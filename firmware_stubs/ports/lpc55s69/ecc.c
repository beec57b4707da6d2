/*
 * ecc.c - LPC55S69: flash ECC errors on reads are bus faults (targets.md §2.2), never an NMI.
 * HardFault_Handler / BusFault_Handler absorb them when they hit the guarded load of
 * port_flash_read (cm33_exception).
 */
#include "cm33.h"

/* See cm33.h. The LPC55S69 reports flash ECC errors as bus faults, never as an NMI.
 * Returns 0. */
int port_nmi_ecc_check_clear(void)
{
    return 0;
}
