/*
 * uart.c - STM32U585 console: USART1 polled, 115200 8N1, no FIFO (targets.md §1.4).
 */
#include "port.h"
#include "regs.h"

/* The kernel clock is PCLK2 (RCC_CCIPR1.USART1SEL = 0 at reset) = HCLK (no APB prescaler):
 * MSIS 4 MHz after reset, 160 MHz after port_clock_init (clock.c). */
#define USART_BRR_VALUE(clk) (((clk) + CONSOLE_BAUD / 2u) / CONSOLE_BAUD)

/*
 * stm32_uart_init - enable the USART1 clock, (optionally) mux the board pins, program BRR
 * (OVER8=0, rounded, for port_core_clock_hz()) with the USART disabled, then enable
 * UE|TE|RE. Called again by port_clock_init after the clock changed.
 * Returns nothing (cannot fail).
 */
void stm32_uart_init(void)
{
    REG32(RCC_APB2ENR) |= RCC_APB2ENR_USART1EN;
    (void)REG32(RCC_APB2ENR); /* read back: the clock is on before the first access */
#if PORT_BOARD_PINMUX
    REG32(RCC_AHB2ENR1) |= RCC_AHB2ENR1_GPIOAEN;
    (void)REG32(RCC_AHB2ENR1);
    REG32(GPIOA_MODER) = (REG32(GPIOA_MODER) & ~(0xFu << 18)) | (0xAu << 18); /* PA9/PA10 AF */
    REG32(GPIOA_AFRH) = (REG32(GPIOA_AFRH) & ~(0xFFu << 4)) | (0x77u << 4);   /* AF7 */
#endif
    REG32(USART_CR1) = 0u;
    REG32(USART_BRR) = USART_BRR_VALUE(port_core_clock_hz());
    REG32(USART_CR1) = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE;
}

/* See port.h. Waits for ISR.TXE, then writes TDR. Returns PORT_OK / PORT_ERR_TIMEOUT. */
int port_uart_putc(uint8_t c)
{
    uint32_t n;

    for (n = 0; n < STM32_POLL_LIMIT; n++) {
        if ((REG32(USART_ISR) & USART_ISR_TXE) != 0u) {
            REG32(USART_TDR) = c;
            return PORT_OK;
        }
    }
    return PORT_ERR_TIMEOUT;
}

/* See port.h. Reads RDR when ISR.RXNE; clears PE/FE/NE/ORE (ICR) if one is set so a line
 * error cannot wedge the receiver. Returns the byte or -1. */
int port_uart_getc(void)
{
    uint32_t isr = REG32(USART_ISR);

    if ((isr & USART_ISR_ERRORS) != 0u) {
        REG32(USART_ICR) = isr & USART_ISR_ERRORS; /* PECF/FECF/NECF/ORECF: same bit positions */
    }
    if ((isr & USART_ISR_RXNE) == 0u) {
        return -1;
    }
    return (int)(REG32(USART_RDR) & 0xFFu);
}

/* See port.h. Waits for ISR.TC (last frame sent). Returns PORT_OK / PORT_ERR_TIMEOUT. */
int port_uart_flush(void)
{
    uint32_t n;

    for (n = 0; n < STM32_POLL_LIMIT; n++) {
        if ((REG32(USART_ISR) & USART_ISR_TC) != 0u) {
            return PORT_OK;
        }
    }
    return PORT_ERR_TIMEOUT;
}

/* See port.h. RXNEIE + USART1_IRQn wake the core (cm33_sleep_irq). Returns 1 when a byte
 * waits, else 0. */
int port_uart_wait_rx(uint32_t max_ms)
{
    uint32_t pm = cm33_irq_save();
    int ready;

    REG32(USART_CR1) |= USART_CR1_RXNEIE;
    if ((REG32(USART_ISR) & USART_ISR_RXNE) == 0u) {
        cm33_sleep_irq(PLAT_PERIPH_USART1_IRQ_USART, port_core_clock_hz() / 1000u * max_ms);
    }
    REG32(USART_CR1) &= ~USART_CR1_RXNEIE;
    cm33_irq_line_clear(PLAT_PERIPH_USART1_IRQ_USART);
    ready = (REG32(USART_ISR) & USART_ISR_RXNE) != 0u ? 1 : 0;
    cm33_irq_restore(pm);
    return ready;
}
