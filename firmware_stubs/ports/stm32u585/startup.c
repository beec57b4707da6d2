/*
 * startup.c - STM32U585 vector table, reset handler and fault handlers.
 *
 * The same file serves the bootloader (linked at BOOT) and the application (linked at
 * SLOT_A): the vector table is the first thing in the image (section .vectors).
 * STM32U585 has 125 external interrupts (IRQ 0..124); all point at Default_Handler because
 * the firmware is polled and never enables an interrupt.
 */
#include <stdint.h>

#include "cm33.h"
#include "regs.h"

#define STM32U585_NUM_IRQS 125u

extern uint32_t _estack;
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss;
extern int main(void);

void Reset_Handler(void);
void NMI_Handler(void);
void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void SecureFault_Handler(void);
void Default_Handler(void);

/* Exception entry stubs: NMI carries the flash double-ECC error (ECCR.ECCD). */
CM33_EXCEPTION_ENTRY(NMI_Handler, 2)
CM33_EXCEPTION_ENTRY(HardFault_Handler, 3)
CM33_EXCEPTION_ENTRY(MemManage_Handler, 4)
CM33_EXCEPTION_ENTRY(BusFault_Handler, 5)
CM33_EXCEPTION_ENTRY(UsageFault_Handler, 6)
CM33_EXCEPTION_ENTRY(SecureFault_Handler, 7)
CM33_EXCEPTION_ENTRY(Default_Handler, 0)

typedef void (*vector_t)(void);

/* Vector table: initial MSP, 15 system exceptions, then the device interrupts. */
__attribute__((section(".vectors"), used))
const vector_t vector_table[16u + STM32U585_NUM_IRQS] = {
    [0] = (vector_t)(uintptr_t)&_estack,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [7] = SecureFault_Handler,
    [11] = Default_Handler, /* SVCall */
    [12] = Default_Handler, /* DebugMonitor */
    [14] = Default_Handler, /* PendSV */
    [15] = Default_Handler, /* SysTick */
    [16 ... (16u + STM32U585_NUM_IRQS - 1u)] = Default_Handler,
};

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

/*
 * Reset_Handler - copy .data from flash, zero .bss, run main(). .noinit is left alone.
 * Runs on the MSP from the vector table. Does not return (main() never returns; if it did,
 * the chip is reset).
 */
void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    uint32_t *dst = &_sdata;

    while (dst < &_edata) {
        *dst++ = *src++;
    }
    for (dst = &_sbss; dst < &_ebss; dst++) {
        *dst = 0u;
    }
    (void)main();
    cm33_system_reset();
}
