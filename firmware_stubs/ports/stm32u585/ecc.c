/*
 * ecc.c - STM32U585: what the NMI handler asks the flash controller about a double ECC error.
 */
#include <stdint.h>

#include "cm33.h"
#include "regs.h"

/*
 * port_nmi_ecc_check_clear - see cm33.h. An NMI with FLASH ECCR.ECCD set is a double ECC
 * error on a flash read (targets.md §1.2). ECCD and ECCC are cleared by writing 1 (ECCIE is
 * kept); ECCC is cleared too because ECCR only latches a new error while both are clear.
 * Returns: 1 if ECCD was set (now cleared), else 0 (then a set ECCC is left alone).
 */
int port_nmi_ecc_check_clear(void)
{
    uint32_t eccr = REG32(FLASH_ECCR);

    if ((eccr & FLASH_ECCR_ECCD) == 0u) {
        return 0;
    }
    REG32(FLASH_ECCR) = (eccr & FLASH_ECCR_ECCIE) | FLASH_ECCR_ECCD | FLASH_ECCR_ECCC;
    return 1;
}
