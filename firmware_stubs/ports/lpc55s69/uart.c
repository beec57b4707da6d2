/*
 * uart.c - LPC55S69 console: FLEXCOMM0 as USART, polled, 115200 8N1 (targets.md §2.4,
 * SDK init order: PSELID -> FIFOCFG -> CFG -> OSR/BRG).
 */
#include "port.h"
#include "regs.h"

/*
 * Pick OSR (oversampling, 5..16 clocks per bit) and BRG divider giving the baud rate closest
 * to CONSOLE_BAUD from `clk` (baud = clk / (osr * (brg + 1))), like the SDK does.
 * Writes the register values (OSRVAL = osr - 1, BRGVAL = div - 1) to *osrval / *brgval.
 * Returns nothing.
 */
static void lpc_uart_divisors(uint32_t clk, uint32_t *osrval, uint32_t *brgval)
{
    uint32_t best_err = 0xFFFFFFFFu;
    uint32_t osr;

    *osrval = 15u;
    *brgval = 0u;
    for (osr = 16u; osr >= 5u; osr--) {
        uint32_t step = osr * CONSOLE_BAUD;
        uint32_t div = (clk + step / 2u) / step;
        uint32_t actual;
        uint32_t err;
        if (div == 0u || div > 0x10000u) {
            continue;
        }
        actual = clk / (osr * div);
        err = actual > CONSOLE_BAUD ? actual - CONSOLE_BAUD : CONSOLE_BAUD - actual;
        if (err < best_err) {
            best_err = err;
            *osrval = osr - 1u;
            *brgval = div - 1u;
        }
    }
}

/*
 * lpc_uart_init - FLEXCOMM0 clock on (AHBCLKCTRL1.FC0) and fed from the main clock
 * (FCCLKSEL0 = 0), optional pin muxing, PSELID = USART, FIFOs enabled and flushed,
 * CFG = ENABLE | 8 data bits, OSR/BRG for CONSOLE_BAUD at port_core_clock_hz() (the main
 * clock: FRO 12 MHz after reset, 150 MHz after port_clock_init; called again by it).
 * Returns nothing (cannot fail; a locked PSELID with another function is left alone).
 */
void lpc_uart_init(void)
{
    uint32_t osrval;
    uint32_t brgval;
    uint32_t psel;

    REG32(SYSCON_AHBCLKCTRL1) |= SYSCON_AHBCLKCTRL1_FC0;
    REG32(SYSCON_FCCLKSEL0) = SYSCON_FCCLKSEL_MAINCLK;
#if PORT_BOARD_PINMUX
    REG32(SYSCON_AHBCLKCTRL0) |= SYSCON_AHBCLKCTRL0_IOCON;
    REG32(IOCON_PIO0_29) = IOCON_FUNC1_DIGITAL;
    REG32(IOCON_PIO0_30) = IOCON_FUNC1_DIGITAL;
#endif
    psel = REG32(FC_PSELID);
    if ((psel & FC_PSELID_LOCK) == 0u) {
        REG32(FC_PSELID) = (psel & ~(FC_PSELID_PERSEL_MSK | FC_PSELID_LOCK)) |
                           FC_PSELID_PERSEL_USART;
    }
    /* RX is not emptied (no EMPTYRX): a console line the host sent right at reset, such as
     * the bootloader's "rescue" request (contracts §8), must survive port_init (the STM32U585
     * port does not flush either). */
    REG32(USART_FIFOCFG) = USART_FIFOCFG_ENABLETX | USART_FIFOCFG_ENABLERX |
                           USART_FIFOCFG_EMPTYTX;
    REG32(USART_CFG) = USART_CFG_ENABLE | USART_CFG_DATALEN_8;
    lpc_uart_divisors(port_core_clock_hz(), &osrval, &brgval);
    REG32(USART_OSR) = osrval;
    REG32(USART_BRG) = brgval;
}

/* See port.h. Waits for FIFOSTAT.TXNOTFULL, then writes FIFOWR.
 * Returns PORT_OK / PORT_ERR_TIMEOUT. */
int port_uart_putc(uint8_t c)
{
    uint32_t n;

    for (n = 0; n < LPC_POLL_LIMIT; n++) {
        if ((REG32(USART_FIFOSTAT) & USART_FIFOSTAT_TXNOTFULL) != 0u) {
            REG32(USART_FIFOWR) = c;
            return PORT_OK;
        }
    }
    return PORT_ERR_TIMEOUT;
}

/* See port.h. Reads FIFORD when FIFOSTAT.RXNOTEMPTY; clears a FIFO overflow (RXERR,
 * write 1) and drops bytes received with framing/parity/noise errors.
 * Returns the byte or -1. */
int port_uart_getc(void)
{
    uint32_t st = REG32(USART_FIFOSTAT);
    uint32_t rd;

    if ((st & USART_FIFOSTAT_RXERR) != 0u) {
        REG32(USART_FIFOSTAT) = USART_FIFOSTAT_RXERR;
    }
    if ((st & USART_FIFOSTAT_RXNOTEMPTY) == 0u) {
        return -1;
    }
    rd = REG32(USART_FIFORD);
    if ((rd & USART_FIFORD_ERRORS) != 0u) {
        return -1;
    }
    return (int)(rd & 0xFFu);
}

/* See port.h. Waits for FIFOSTAT.TXEMPTY and STAT.TXIDLE. Returns PORT_OK /
 * PORT_ERR_TIMEOUT. */
int port_uart_flush(void)
{
    uint32_t n;

    for (n = 0; n < LPC_POLL_LIMIT; n++) {
        if ((REG32(USART_FIFOSTAT) & USART_FIFOSTAT_TXEMPTY) != 0u &&
            (REG32(USART_STAT) & USART_STAT_TXIDLE) != 0u) {
            return PORT_OK;
        }
    }
    return PORT_ERR_TIMEOUT;
}

/* See port.h. FIFOTRIG.RXLVLENA (level 0) + FIFOINTENSET.RXLVL + FLEXCOMM0_IRQn wake the
 * core (cm33_sleep_irq). Returns 1 when a byte waits, else 0. */
int port_uart_wait_rx(uint32_t max_ms)
{
    uint32_t pm = cm33_irq_save();
    int ready;

    REG32(USART_FIFOTRIG) = USART_FIFOTRIG_RXLVLENA;
    REG32(USART_FIFOINTENSET) = USART_FIFOINT_RXLVL;
    if ((REG32(USART_FIFOSTAT) & USART_FIFOSTAT_RXNOTEMPTY) == 0u) {
        cm33_sleep_irq(PLAT_PERIPH_FLEXCOMM0_IRQ_USART, port_core_clock_hz() / 1000u * max_ms);
    }
    REG32(USART_FIFOINTENCLR) = USART_FIFOINT_RXLVL;
    cm33_irq_line_clear(PLAT_PERIPH_FLEXCOMM0_IRQ_USART);
    ready = (REG32(USART_FIFOSTAT) & USART_FIFOSTAT_RXNOTEMPTY) != 0u ? 1 : 0;
    cm33_irq_restore(pm);
    return ready;
}
