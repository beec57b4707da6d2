/*
 * regs.h - LPC55S69 (core0, non-secure aliases) register map used by this port.
 * Facts and sources: shared/spec/targets.md §2 (LPC = mcux-sdk LPC55S69_cm33_core0.h,
 * HUB = hubris lpc55-flash). Peripheral bases come from platform_gen.h.
 */
#ifndef OTA_LPC55S69_REGS_H
#define OTA_LPC55S69_REGS_H

#include "cm33.h"
#include "platform_gen.h"

/* Bound for every busy-wait loop (iterations). */
#define LPC_POLL_LIMIT 2000000u

/* ---- FLASH controller (targets.md §2.3 b) ---- */
#define FLASH_BASE_          PLAT_PERIPH_FLASH_CTRL_BASE
#define FLASH_CMD            (FLASH_BASE_ + 0x000u)
#define FLASH_STARTA         (FLASH_BASE_ + 0x010u)
#define FLASH_STOPA          (FLASH_BASE_ + 0x014u)
#define FLASH_DATAW(i)       (FLASH_BASE_ + 0x080u + 4u * (uint32_t)(i))
#define FLASH_INT_STATUS     (FLASH_BASE_ + 0xFE0u)
#define FLASH_INT_CLR_STATUS (FLASH_BASE_ + 0xFE8u)
#define FLASH_INT_CLR_ENABLE (FLASH_BASE_ + 0xFD8u)
#define FLASH_INT_SET_ENABLE (FLASH_BASE_ + 0xFDCu)

#define FLASH_CMD_SET_READ_MODE    2u
#define FLASH_CMD_READ_SINGLE_WORD 3u
#define FLASH_CMD_ERASE_RANGE      4u
#define FLASH_CMD_BLANK_CHECK      5u
#define FLASH_CMD_WRITE            8u
#define FLASH_CMD_PROGRAM          12u

#define FLASH_INT_FAIL    (1u << 0)
#define FLASH_INT_ERR     (1u << 1)
#define FLASH_INT_DONE    (1u << 2)
#define FLASH_INT_ECC_ERR (1u << 3)
#define FLASH_INT_ALL     0xFu

#define FLASH_WORD_BYTES  16u                       /* one flash word = 128 bits */
#define FLASH_WORD_MASK   0x3FFFFu                  /* STARTA/STOPA [17:0] */
#define FLASH_ROWS_PER_PAGE (PLAT_FLASH_PAGE_SIZE / FLASH_WORD_BYTES) /* 32 */

/* Top of flash this port will erase/program: 0x9D800 and above hold the reserved area and
 * the protected flash region (CFPA/CMPA/key store, targets.md §2.1 and §3 item 13);
 * erasing those can brick a real chip. */
#define LPC_FLASH_WRITABLE_END 0x0009D800u

/* ---- FLEXCOMM0 / USART0 (targets.md §2.4) ---- */
#define FC_BASE_      PLAT_CONSOLE_UART_BASE
#define USART_CFG     (FC_BASE_ + 0x000u)
#define USART_STAT    (FC_BASE_ + 0x008u)
#define USART_BRG     (FC_BASE_ + 0x020u)
#define USART_OSR     (FC_BASE_ + 0x028u)
#define USART_FIFOCFG  (FC_BASE_ + 0xE00u)
#define USART_FIFOSTAT (FC_BASE_ + 0xE04u)
#define USART_FIFOTRIG (FC_BASE_ + 0xE08u)
#define USART_FIFOINTENSET (FC_BASE_ + 0xE10u)
#define USART_FIFOINTENCLR (FC_BASE_ + 0xE14u)
#define USART_FIFOWR   (FC_BASE_ + 0xE20u)
#define USART_FIFORD   (FC_BASE_ + 0xE30u)
#define FC_PSELID      (FC_BASE_ + 0xFF8u)

#define FC_PSELID_PERSEL_USART 1u
#define FC_PSELID_PERSEL_MSK   0x7u
#define FC_PSELID_LOCK         (1u << 3)

#define USART_CFG_ENABLE    (1u << 0)
#define USART_CFG_DATALEN_8 (1u << 2) /* DATALEN[3:2] = 1 */
#define USART_STAT_TXIDLE   (1u << 3)
#define USART_FIFOTRIG_RXLVLENA (1u << 1) /* RXLVL[19:16] = 0: a request at 1 byte */
#define USART_FIFOINT_RXLVL     (1u << 3)
#define USART_FIFOCFG_ENABLETX (1u << 0)
#define USART_FIFOCFG_ENABLERX (1u << 1)
#define USART_FIFOCFG_EMPTYTX  (1u << 16)
#define USART_FIFOCFG_EMPTYRX  (1u << 17)
#define USART_FIFOSTAT_TXERR      (1u << 0)
#define USART_FIFOSTAT_RXERR      (1u << 1)
#define USART_FIFOSTAT_TXEMPTY    (1u << 4)
#define USART_FIFOSTAT_TXNOTFULL  (1u << 5)
#define USART_FIFOSTAT_RXNOTEMPTY (1u << 6)
#define USART_FIFORD_ERRORS ((1u << 13) | (1u << 14) | (1u << 15)) /* FRAMERR|PARITYERR|RXNOISE */

#define CONSOLE_BAUD 115200u

/* ---- SYSCON (clock enables, clock selects, WDT divider; SWR_RESET) ---- */
#define SYSCON_BASE_        PLAT_PERIPH_SYSCON_BASE
#define SYSCON_SWR_RESET    (SYSCON_BASE_ + 0x160u)
#define SYSCON_AHBCLKCTRL0  (SYSCON_BASE_ + 0x200u)
#define SYSCON_AHBCLKCTRL1  (SYSCON_BASE_ + 0x204u)
#define SYSCON_FCCLKSEL0    (SYSCON_BASE_ + 0x2B0u)
#define SYSCON_WDTCLKDIV    (SYSCON_BASE_ + 0x38Cu)
#define SYSCON_CLOCK_CTRL   (SYSCON_BASE_ + 0xA18u)
#define SYSCON_MAINCLKSELA  (SYSCON_BASE_ + 0x280u)
#define SYSCON_MAINCLKSELB  (SYSCON_BASE_ + 0x284u)
#define SYSCON_PLL0CLKSEL   (SYSCON_BASE_ + 0x290u)
#define SYSCON_AHBCLKDIV    (SYSCON_BASE_ + 0x380u)
#define SYSCON_FMCCR        (SYSCON_BASE_ + 0x400u)
#define SYSCON_PLL0CTRL     (SYSCON_BASE_ + 0x580u)
#define SYSCON_PLL0STAT     (SYSCON_BASE_ + 0x584u)
#define SYSCON_PLL0NDEC     (SYSCON_BASE_ + 0x588u)
#define SYSCON_PLL0PDEC     (SYSCON_BASE_ + 0x58Cu)
#define SYSCON_PLL0SSCG0    (SYSCON_BASE_ + 0x590u)
#define SYSCON_PLL0SSCG1    (SYSCON_BASE_ + 0x594u)

/* Clock tree bits (LPC:21480-21704, LPC:24518-24777, LPC:24129-24162) */
#define SYSCON_MAINCLKSELB_PLL0   1u
#define SYSCON_FMCCR_PREFEN       (1u << 5)
#define SYSCON_FMCCR_FLASHTIM_POS 12u
#define SYSCON_FMCCR_FLASHTIM_MSK (0xFu << SYSCON_FMCCR_FLASHTIM_POS)
#define SYSCON_PLL0CTRL_SELI_POS  4u
#define SYSCON_PLL0CTRL_SELP_POS  10u
#define SYSCON_PLL0CTRL_CLKEN     (1u << 21)
#define SYSCON_PLL0STAT_LOCK      (1u << 0)
#define SYSCON_PLL0NDEC_NREQ      (1u << 8)
#define SYSCON_PLL0PDEC_PREQ      (1u << 5)
#define SYSCON_PLL0SSCG1_MD_REQ   (1u << 1)
#define SYSCON_PLL0SSCG1_MDIV_POS 10u
#define SYSCON_PLL0SSCG1_MREQ     (1u << 26)
#define SYSCON_PLL0SSCG1_SEL_EXT  (1u << 28)

#define SYSCON_AHBCLKCTRL0_IOCON (1u << 13)
#define SYSCON_AHBCLKCTRL0_WWDT  (1u << 22)
#define SYSCON_AHBCLKCTRL1_FC0   (1u << 11)
#define SYSCON_FCCLKSEL_MAINCLK  0u          /* main clock (FRO 12 MHz after reset) */
#define SYSCON_WDTCLKDIV_DIV_MSK 0x3Fu
#define SYSCON_WDTCLKDIV_HALT    (1u << 30)
#define SYSCON_WDTCLKDIV_REQFLAG (1u << 31)
#define SYSCON_CLOCK_CTRL_FRO1MHZ_CLK_ENA (1u << 6)

/* ---- PMC (targets.md §2.5, §2.6) ---- */
#define PMC_BASE_   PLAT_PERIPH_PMC_BASE
#define PMC_BODVBAT (PMC_BASE_ + 0x30u)
#define PMC_DCDC0   (PMC_BASE_ + 0x10u)
#define PMC_LDOPMU  (PMC_BASE_ + 0x1Cu)
#define PMC_PDRUNCFGCLR0 (PMC_BASE_ + 0xC8u)
#define PMC_PDRUNCFGSET0 (PMC_BASE_ + 0xC0u)

#define PMC_DCDC0_VOUT_POS 17u          /* VOUT[20:17] (LPC:14760) */
#define PMC_DCDC0_VOUT_MSK (0xFu << PMC_DCDC0_VOUT_POS)
#define PMC_LDOPMU_VADJ_MSK       0x1Fu /* VADJ[4:0] (LPC:14881) */
#define PMC_LDOPMU_VADJ_BOOST_POS 10u   /* VADJ_BOOST[14:10] (LPC:14925) */
#define PMC_LDOPMU_VADJ_BOOST_MSK (0x1Fu << PMC_LDOPMU_VADJ_BOOST_POS)
#define PMC_PDEN_PLL0      (1u << 9)
#define PMC_PDEN_PLL0_SSCG (1u << 23)
#define PMC_AOREG1  (PMC_BASE_ + 0x84u)

#define PMC_BODVBAT_TRIGLVL_MSK 0x1Fu
#define PMC_BODVBAT_HYST_MSK    (0x3u << 5)
#define PMC_BODVBAT_LEVEL_2V0   12u /* SDK kPOWER_BodVbatLevel2000mv */

#define AOREG1_POR         (1u << 4)
#define AOREG1_PADRESET    (1u << 5)
#define AOREG1_BODRESET    (1u << 6)
#define AOREG1_SYSTEMRESET (1u << 7)
#define AOREG1_WDTRESET    (1u << 8)
#define AOREG1_SWRRESET    (1u << 9)
#define AOREG1_CAUSE_MSK   0x1FF0u /* SDK mask for LPC55S69: bits 4..12 */

/* ---- ANACTRL (BOD status) ---- */
#define ANACTRL_BASE_               PLAT_PERIPH_ANACTRL_BASE
#define ANACTRL_BOD_DCDC_INT_STATUS (ANACTRL_BASE_ + 0x34u)
#define ANACTRL_BODVBAT_VAL         (1u << 2) /* 1 = VBAT above the BOD threshold */

/* ---- WWDT (targets.md §2.7) ---- */
#define WWDT_BASE_ PLAT_PERIPH_WWDT_BASE
#define WWDT_MOD   (WWDT_BASE_ + 0x00u)
#define WWDT_TC    (WWDT_BASE_ + 0x04u)
#define WWDT_FEED  (WWDT_BASE_ + 0x08u)

#define WWDT_MOD_WDEN    (1u << 0)
#define WWDT_MOD_WDRESET (1u << 1)

/* ---- Optional board pin muxing (LPC55S69-EVK: FC0 RXD P0_29, TXD P0_30, function 1).
 * Not modelled by the emulator; enable with EXTRA_CFLAGS=-DPORT_BOARD_PINMUX=1 for a board. */
#ifndef PORT_BOARD_PINMUX
#define PORT_BOARD_PINMUX 0
#endif
#define IOCON_BASE_     0x40001000u
#define IOCON_PIO0_29   (IOCON_BASE_ + 0x074u)
#define IOCON_PIO0_30   (IOCON_BASE_ + 0x078u)
#define IOCON_FUNC1_DIGITAL 0x101u /* FUNC=1, DIGIMODE (bit 8) */

#endif /* OTA_LPC55S69_REGS_H */
