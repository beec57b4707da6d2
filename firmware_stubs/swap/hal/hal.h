/*
 * hal.h - what the swap target needs from the chip beyond ports/port.h (which it reuses for
 * the console UART, flash, supply monitor, watchdog, reset cause and the jump): the management
 * UART (MCUmgr SMP; STM32U585 USART2, LPC55S69 FLEXCOMM2), UART receive interrupts, and the
 * Cortex-M33 NVIC / SysTick / sleep. One implementation per chip: hal_<chip>.c.
 * Register facts: platforms/<chip>/platform.yaml sources (usart2 / flexcomm2 entries).
 */
#ifndef SWAP_HAL_H
#define SWAP_HAL_H

#include <stdint.h>

#include "platform_gen.h"

#if defined(SWAP_CHIP_STM32U585)
#define HAL_IRQ_CONSOLE PLAT_PERIPH_USART1_IRQ_USART
#define HAL_IRQ_MGMT    PLAT_PERIPH_USART2_IRQ_USART
#define HAL_MGMT_NAME   "usart2"
#elif defined(SWAP_CHIP_LPC55S69)
#define HAL_IRQ_CONSOLE PLAT_PERIPH_FLEXCOMM0_IRQ_USART
#define HAL_IRQ_MGMT    PLAT_PERIPH_FLEXCOMM2_IRQ_USART
#define HAL_MGMT_NAME   "flexcomm2"
#endif

#define HAL_MGMT_BAUD 115200u

/* ---- management UART (polled TX, RX polled or by interrupt) ------------------------------ */

/* hal_mgmt_init - clock on, 115200 8N1, TX and RX enabled, RX interrupt off. No return. */
void hal_mgmt_init(void);

/* hal_mgmt_putc - send one byte (bounded wait). Returns 0, or -1 on timeout (dropped). */
int hal_mgmt_putc(uint8_t c);

/* hal_mgmt_getc - non-blocking receive. Returns the byte (0..255) or -1 when none waits. */
int hal_mgmt_getc(void);

/* hal_mgmt_flush - wait (bounded) until the last byte left. Returns 0 or -1 on timeout. */
int hal_mgmt_flush(void);

/* ---- receive interrupts (peripheral side; the NVIC side is nvic_enable) ------------------- */

/* hal_console_rx_irq / hal_mgmt_rx_irq - raise the UART's interrupt line while a received
 * byte waits (1) or never (0). No return. */
void hal_console_rx_irq(int enable);
void hal_mgmt_rx_irq(int enable);

/* ---- Cortex-M33 core (same on both chips; Arm v8-M ARM, CMSIS core_cm33.h) --------------- */

#define NVIC_ISER0   0xE000E100u
#define NVIC_ICER0   0xE000E180u
#define NVIC_IPR0    0xE000E400u
#define SYST_CSR     0xE000E010u
#define SYST_RVR     0xE000E014u
#define SYST_CVR     0xE000E018u
#define SYST_CSR_ENABLE    (1u << 0)
#define SYST_CSR_TICKINT   (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2) /* processor clock */

#define HAL_REG(a) (*(volatile uint32_t *)(uintptr_t)(a))

/* nvic_enable - set the IRQ's priority (upper bits of the byte) and enable it. No return. */
static inline void nvic_enable(uint32_t irq, uint8_t priority)
{
    volatile uint8_t *ipr = (volatile uint8_t *)(uintptr_t)NVIC_IPR0;
    ipr[irq] = priority;
    HAL_REG(NVIC_ISER0 + 4u * (irq / 32u)) = 1u << (irq % 32u);
}

/* nvic_disable - disable the IRQ. No return. */
static inline void nvic_disable(uint32_t irq)
{
    HAL_REG(NVIC_ICER0 + 4u * (irq / 32u)) = 1u << (irq % 32u);
}

/* systick_start_1ms - SysTick from the processor clock, one interrupt per millisecond.
 * No return. */
static inline void systick_start_1ms(void)
{
    HAL_REG(SYST_CSR) = 0u;
    HAL_REG(SYST_RVR) = PLAT_CORE_CLOCK_HZ / 1000u - 1u;
    HAL_REG(SYST_CVR) = 0u;
    HAL_REG(SYST_CSR) = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

static inline void irq_enable_all(void) { __asm volatile("cpsie i" ::: "memory"); }
static inline void irq_disable_all(void) { __asm volatile("cpsid i" ::: "memory"); }
/* wait_for_interrupt - sleep until an interrupt is pending (DSB first, as CMSIS __WFI use). */
static inline void wait_for_interrupt(void) { __asm volatile("dsb 0xF\n\twfi" ::: "memory"); }

#endif /* SWAP_HAL_H */
