/*
 * hal_lpc55s69.c - management UART (FLEXCOMM2 as USART) and UART receive interrupts of the
 * LPC55S69 (hal.h). FLEXCOMM2 at 0x40088000 (LPC:9707), registers as FLEXCOMM0
 * (LPC:25627-25656), clock SYSCON AHBCLKCTRL1.FC2 (bit 13, LPC:22672) fed by FCCLKSELX[2]
 * (SYSCON + 0x2B8, LPC:21608; 0 = main clock). Receive interrupt: FIFOTRIG.RXLVLENA with
 * RXLVL 0 ("one entry received") and FIFOINTENSET.RXLVL.
 * Init order as the SDK: PSELID -> FIFOCFG -> CFG -> OSR/BRG.
 */
#include "hal.h"

#define FC2_BASE        PLAT_PERIPH_FLEXCOMM2_BASE
#define U_CFG(b)        ((b) + 0x000u)
#define U_STAT(b)       ((b) + 0x008u)
#define U_BRG(b)        ((b) + 0x020u)
#define U_OSR(b)        ((b) + 0x028u)
#define U_FIFOCFG(b)    ((b) + 0xE00u)
#define U_FIFOSTAT(b)   ((b) + 0xE04u)
#define U_FIFOTRIG(b)   ((b) + 0xE08u)
#define U_FIFOINTSET(b) ((b) + 0xE10u)
#define U_FIFOINTCLR(b) ((b) + 0xE14u)
#define U_FIFOWR(b)     ((b) + 0xE20u)
#define U_FIFORD(b)     ((b) + 0xE30u)
#define U_PSELID(b)     ((b) + 0xFF8u)
#define CFG_ENABLE      (1u << 0)
#define CFG_DATALEN_8   (1u << 2)
#define STAT_TXIDLE     (1u << 3)
#define FIFOCFG_ENABLETX (1u << 0)
#define FIFOCFG_ENABLERX (1u << 1)
#define FIFOCFG_EMPTYTX  (1u << 16)
#define FIFOSTAT_RXERR   (1u << 1)
#define FIFOSTAT_TXEMPTY (1u << 4)
#define FIFOSTAT_TXNOTFULL (1u << 5)
#define FIFOSTAT_RXNOTEMPTY (1u << 6)
#define FIFOTRIG_RXLVLENA (1u << 1) /* RXLVL[19:16] = 0: one entry triggers */
#define FIFOINT_RXLVL    (1u << 3)
#define FIFORD_ERRORS    ((1u << 13) | (1u << 14) | (1u << 15))
#define PSELID_PERSEL_MSK 0x7u
#define PSELID_USART     1u
#define PSELID_LOCK      (1u << 3)
#define SYSCON_AHBCLKCTRL1 (PLAT_PERIPH_SYSCON_BASE + 0x204u)
#define SYSCON_FCCLKSEL2   (PLAT_PERIPH_SYSCON_BASE + 0x2B8u)
#define AHBCLKCTRL1_FC2  (1u << 13)
#define POLL_LIMIT       2000000u

/* OSR (5..16 clocks per bit) and BRG giving the baud closest to HAL_MGMT_BAUD. */
static void divisors(uint32_t clk, uint32_t *osrval, uint32_t *brgval)
{
    uint32_t best = 0xFFFFFFFFu;
    uint32_t osr;

    *osrval = 15u;
    *brgval = 0u;
    for (osr = 16u; osr >= 5u; osr--) {
        uint32_t step = osr * HAL_MGMT_BAUD;
        uint32_t div = (clk + step / 2u) / step;
        uint32_t actual;
        uint32_t err;
        if (div == 0u || div > 0x10000u) {
            continue;
        }
        actual = clk / (osr * div);
        err = actual > HAL_MGMT_BAUD ? actual - HAL_MGMT_BAUD : HAL_MGMT_BAUD - actual;
        if (err < best) {
            best = err;
            *osrval = osr - 1u;
            *brgval = div - 1u;
        }
    }
}

void hal_mgmt_init(void)
{
    uint32_t osr;
    uint32_t brg;
    uint32_t psel;

    HAL_REG(SYSCON_AHBCLKCTRL1) |= AHBCLKCTRL1_FC2;
    HAL_REG(SYSCON_FCCLKSEL2) = 0u; /* main clock */
    psel = HAL_REG(U_PSELID(FC2_BASE));
    if ((psel & PSELID_LOCK) == 0u) {
        HAL_REG(U_PSELID(FC2_BASE)) = (psel & ~(PSELID_PERSEL_MSK | PSELID_LOCK)) | PSELID_USART;
    }
    HAL_REG(U_FIFOCFG(FC2_BASE)) = FIFOCFG_ENABLETX | FIFOCFG_ENABLERX | FIFOCFG_EMPTYTX;
    HAL_REG(U_CFG(FC2_BASE)) = CFG_ENABLE | CFG_DATALEN_8;
    divisors(PLAT_CORE_CLOCK_HZ, &osr, &brg);
    HAL_REG(U_OSR(FC2_BASE)) = osr;
    HAL_REG(U_BRG(FC2_BASE)) = brg;
}

int hal_mgmt_putc(uint8_t c)
{
    uint32_t n;

    for (n = 0; n < POLL_LIMIT; n++) {
        if ((HAL_REG(U_FIFOSTAT(FC2_BASE)) & FIFOSTAT_TXNOTFULL) != 0u) {
            HAL_REG(U_FIFOWR(FC2_BASE)) = c;
            return 0;
        }
    }
    return -1;
}

int hal_mgmt_getc(void)
{
    uint32_t st = HAL_REG(U_FIFOSTAT(FC2_BASE));
    uint32_t rd;

    if ((st & FIFOSTAT_RXERR) != 0u) {
        HAL_REG(U_FIFOSTAT(FC2_BASE)) = FIFOSTAT_RXERR;
    }
    if ((st & FIFOSTAT_RXNOTEMPTY) == 0u) {
        return -1;
    }
    rd = HAL_REG(U_FIFORD(FC2_BASE));
    return (rd & FIFORD_ERRORS) != 0u ? -1 : (int)(rd & 0xFFu);
}

int hal_mgmt_flush(void)
{
    uint32_t n;

    for (n = 0; n < POLL_LIMIT; n++) {
        if ((HAL_REG(U_FIFOSTAT(FC2_BASE)) & FIFOSTAT_TXEMPTY) != 0u &&
            (HAL_REG(U_STAT(FC2_BASE)) & STAT_TXIDLE) != 0u) {
            return 0;
        }
    }
    return -1;
}

static void rx_irq(uint32_t base, int enable)
{
    if (enable) {
        HAL_REG(U_FIFOTRIG(base)) = (HAL_REG(U_FIFOTRIG(base)) & ~(0xFu << 16)) | FIFOTRIG_RXLVLENA;
        HAL_REG(U_FIFOINTSET(base)) = FIFOINT_RXLVL;
    } else {
        HAL_REG(U_FIFOINTCLR(base)) = FIFOINT_RXLVL;
    }
}

void hal_console_rx_irq(int enable)
{
    rx_irq(PLAT_CONSOLE_UART_BASE, enable);
}

void hal_mgmt_rx_irq(int enable)
{
    rx_irq(FC2_BASE, enable);
}
