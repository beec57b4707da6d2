/*
 * startup.c - vector table, reset handler and fault-handler entries for both chips.
 *
 * The same file serves the bootloader (linked at BOOT) and the application (linked at SLOT_A
 * or SLOT_B): the vector table is the first thing in the image (section .vectors). The
 * chip's interrupt count comes from its chip.h; every interrupt points at Default_Handler
 * because the firmware is polled and never enables one. What an NMI means is the chip's
 * port_nmi_ecc_check_clear (ports/<chip>/ecc.c).
 *
 * Words 8-10 of the table (0x20-0x28, reserved on the core) stay 0: the LPC55 boot ROM reads
 * its image length/type fields there, and 0 means a plain image (assumption from NXP SDK
 * startup files, not from targets.md; only matters on silicon).
 */
#include <stdint.h>

#include "cm33.h"
#include "chip.h"

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

/* Exception entry stubs (cm33.h): faults on a guarded load are absorbed there. */
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
const vector_t vector_table[16u + PORT_NUM_IRQS] = {
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
    [16 ... (16u + PORT_NUM_IRQS - 1u)] = Default_Handler,
};

/*
 * Reset_Handler - copy .data from flash, zero .bss (four words per pass: about 20 KiB of it
 * on every boot of either image), run main(). .noinit is left alone.
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
    for (dst = &_sbss; (uint32_t)(&_ebss - dst) >= 4u; dst += 4) {
        dst[0] = 0u;
        dst[1] = 0u;
        dst[2] = 0u;
        dst[3] = 0u;
    }
    for (; dst < &_ebss; dst++) {
        *dst = 0u;
    }
    (void)main();
    cm33_system_reset();
}
