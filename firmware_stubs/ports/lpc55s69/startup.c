/*
 * startup.c - LPC55S69 (core0) vector table, reset handler and fault handlers.
 *
 * The same file serves the bootloader (linked at BOOT) and the application (linked at
 * SLOT_A). LPC55S69 core0 has 60 external interrupts; all point at Default_Handler because
 * the firmware is polled.
 *
 * Reading an erased or torn flash page raises a bus error (BusFault, escalated to HardFault
 * since BusFault is not enabled; targets.md §2.2). HardFault_Handler / BusFault_Handler
 * absorb it when it hits the guarded load of port_flash_read (cm33_exception).
 */
#include <stdint.h>

#include "cm33.h"
#include "regs.h"

#define LPC55S69_NUM_IRQS 60u

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

CM33_EXCEPTION_ENTRY(NMI_Handler, 2)
CM33_EXCEPTION_ENTRY(HardFault_Handler, 3)
CM33_EXCEPTION_ENTRY(MemManage_Handler, 4)
CM33_EXCEPTION_ENTRY(BusFault_Handler, 5)
CM33_EXCEPTION_ENTRY(UsageFault_Handler, 6)
CM33_EXCEPTION_ENTRY(SecureFault_Handler, 7)
CM33_EXCEPTION_ENTRY(Default_Handler, 0)

typedef void (*vector_t)(void);

/* Vector table: initial MSP, 15 system exceptions, then the device interrupts.
 * Words 8-10 (0x20-0x28, reserved on the core) are left 0: the LPC55 boot ROM reads its
 * image length/type fields there, and 0 there means a plain (unsigned, non-CRC) image.
 * (Assumption from NXP SDK startup files, not from targets.md; only matters on silicon.) */
__attribute__((section(".vectors"), used))
const vector_t vector_table[16u + LPC55S69_NUM_IRQS] = {
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
    [16 ... (16u + LPC55S69_NUM_IRQS - 1u)] = Default_Handler,
};

/* See cm33.h. The LPC55S69 reports flash ECC errors as bus faults, never as an NMI.
 * Returns 0. */
int port_nmi_ecc_check_clear(void)
{
    return 0;
}

/*
 * Reset_Handler - copy .data from flash, zero .bss, run main(). .noinit is left alone.
 * Does not return (main() never returns; if it did, the chip is reset).
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
