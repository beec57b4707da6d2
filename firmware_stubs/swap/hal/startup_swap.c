/*
 * startup_swap.c - vector table and reset handler of the swap target's images (bootloader
 * and application; both chips). Unlike the first target's polled startup, the table names
 * the handlers the application uses: SysTick_Handler, Console_IRQHandler (console UART
 * receive) and Mgmt_IRQHandler (management UART receive), weak aliases of Default_Handler
 * that an image overrides by defining them. Faults go through the ports' CM33 entry stubs
 * (ports/common/cm33.h: a fault on a guarded flash load is absorbed, anything else prints
 * "! fatal <kind> pc=0x.. lr=0x.." and spins until the watchdog resets).
 */
#include <stdint.h>

#include "chip.h"
#include "cm33.h"
#include "hal.h"

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
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
void Console_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void Mgmt_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));

CM33_EXCEPTION_ENTRY(NMI_Handler, 2)
CM33_EXCEPTION_ENTRY(HardFault_Handler, 3)
CM33_EXCEPTION_ENTRY(MemManage_Handler, 4)
CM33_EXCEPTION_ENTRY(BusFault_Handler, 5)
CM33_EXCEPTION_ENTRY(UsageFault_Handler, 6)
CM33_EXCEPTION_ENTRY(SecureFault_Handler, 7)
CM33_EXCEPTION_ENTRY(Default_Handler, 0)

typedef void (*vector_t)(void);

/* The two UART entries override the range default: intended. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
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
    [15] = SysTick_Handler,
    [16 ... (16u + PORT_NUM_IRQS - 1u)] = Default_Handler,
    [16u + HAL_IRQ_CONSOLE] = Console_IRQHandler,
    [16u + HAL_IRQ_MGMT] = Mgmt_IRQHandler,
};
#pragma GCC diagnostic pop

/* Reset_Handler - copy .data, zero .bss, run main() (which never returns; if it did, the
 * chip is reset). No return. */
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
