/*
 * hal_stm32u585.c - management UART (USART2) and UART receive interrupts of the STM32U585
 * (hal.h). Register layout as USART1 (STC:1196-1208); USART2 at 0x40004400 (STC:1756),
 * clock RCC_APB1ENR1.USART2EN (RCC + 0x9C bit 17, STC:1052 / STC:16740).
 */
#include "hal.h"

#define USART2_BASE PLAT_PERIPH_USART2_BASE
#define U_CR1(b)    ((b) + 0x00u)
#define U_BRR(b)    ((b) + 0x0Cu)
#define U_ISR(b)    ((b) + 0x1Cu)
#define U_ICR(b)    ((b) + 0x20u)
#define U_RDR(b)    ((b) + 0x24u)
#define U_TDR(b)    ((b) + 0x28u)
#define CR1_UE      (1u << 0)
#define CR1_RE      (1u << 2)
#define CR1_TE      (1u << 3)
#define CR1_RXNEIE  (1u << 5)
#define ISR_ERRORS  0x0Fu /* PE, FE, NE, ORE (ICR: same bits clear them) */
#define ISR_RXNE    (1u << 5)
#define ISR_TC      (1u << 6)
#define ISR_TXE     (1u << 7)
#define RCC_APB1ENR1 (PLAT_PERIPH_RCC_BASE + 0x9Cu)
#define RCC_APB1ENR1_USART2EN (1u << 17)
#define POLL_LIMIT  2000000u

void hal_mgmt_init(void)
{
    HAL_REG(RCC_APB1ENR1) |= RCC_APB1ENR1_USART2EN;
    (void)HAL_REG(RCC_APB1ENR1); /* read back: the clock is on before the first access */
    HAL_REG(U_CR1(USART2_BASE)) = 0u;
    /* kernel clock after reset = PCLK1 = the core clock (no prescalers), OVER8 = 0 */
    HAL_REG(U_BRR(USART2_BASE)) = (PLAT_CORE_CLOCK_HZ + HAL_MGMT_BAUD / 2u) / HAL_MGMT_BAUD;
    HAL_REG(U_CR1(USART2_BASE)) = CR1_UE | CR1_TE | CR1_RE;
}

int hal_mgmt_putc(uint8_t c)
{
    uint32_t n;

    for (n = 0; n < POLL_LIMIT; n++) {
        if ((HAL_REG(U_ISR(USART2_BASE)) & ISR_TXE) != 0u) {
            HAL_REG(U_TDR(USART2_BASE)) = c;
            return 0;
        }
    }
    return -1;
}

int hal_mgmt_getc(void)
{
    uint32_t isr = HAL_REG(U_ISR(USART2_BASE));

    if ((isr & ISR_ERRORS) != 0u) {
        HAL_REG(U_ICR(USART2_BASE)) = isr & ISR_ERRORS;
    }
    if ((isr & ISR_RXNE) == 0u) {
        return -1;
    }
    return (int)(HAL_REG(U_RDR(USART2_BASE)) & 0xFFu);
}

int hal_mgmt_flush(void)
{
    uint32_t n;

    for (n = 0; n < POLL_LIMIT; n++) {
        if ((HAL_REG(U_ISR(USART2_BASE)) & ISR_TC) != 0u) {
            return 0;
        }
    }
    return -1;
}

static void rx_irq(uint32_t base, int enable)
{
    if (enable) {
        HAL_REG(U_CR1(base)) |= CR1_RXNEIE;
    } else {
        HAL_REG(U_CR1(base)) &= ~CR1_RXNEIE;
    }
}

void hal_console_rx_irq(int enable)
{
    rx_irq(PLAT_CONSOLE_UART_BASE, enable);
}

void hal_mgmt_rx_irq(int enable)
{
    rx_irq(USART2_BASE, enable);
}
