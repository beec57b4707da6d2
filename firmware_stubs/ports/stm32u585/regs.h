/*
 * regs.h - STM32U585 register map used by this port (non-secure aliases; TZEN=0 assumed).
 * Facts and sources: shared/spec/targets.md §1 (STC = cmsis_device_u5 stm32u585xx.h).
 * Peripheral bases come from platform_gen.h (generated from platforms/stm32u585).
 */
#ifndef OTA_STM32U585_REGS_H
#define OTA_STM32U585_REGS_H

#include "cm33.h"
#include "platform_gen.h"

/* Bound for every busy-wait loop (iterations). */
#define STM32_POLL_LIMIT 2000000u

/* ---- FLASH (targets.md §1.3) ---- */
#define FLASH_BASE_   PLAT_PERIPH_FLASH_CTRL_BASE
#define FLASH_ACR     (FLASH_BASE_ + 0x00u)
#define FLASH_NSKEYR  (FLASH_BASE_ + 0x08u)
#define FLASH_NSSR    (FLASH_BASE_ + 0x20u)
#define FLASH_NSCR    (FLASH_BASE_ + 0x28u)
#define FLASH_ECCR    (FLASH_BASE_ + 0x30u)
#define FLASH_OPTR    (FLASH_BASE_ + 0x40u)

#define FLASH_ACR_LATENCY_MSK 0xFu

#define FLASH_KEY1 0x45670123u
#define FLASH_KEY2 0xCDEF89ABu

#define FLASH_SR_EOP     (1u << 0)
#define FLASH_SR_OPERR   (1u << 1)
#define FLASH_SR_PROGERR (1u << 3)
#define FLASH_SR_WRPERR  (1u << 4)
#define FLASH_SR_PGAERR  (1u << 5)
#define FLASH_SR_SIZERR  (1u << 6)
#define FLASH_SR_PGSERR  (1u << 7)
#define FLASH_SR_BSY     (1u << 16)
#define FLASH_SR_WDW     (1u << 17)
#define FLASH_SR_ERRORS  (FLASH_SR_OPERR | FLASH_SR_PROGERR | FLASH_SR_WRPERR | \
                          FLASH_SR_PGAERR | FLASH_SR_SIZERR | FLASH_SR_PGSERR)

#define FLASH_CR_PG      (1u << 0)
#define FLASH_CR_PER     (1u << 1)
#define FLASH_CR_MER1    (1u << 2)
#define FLASH_CR_PNB_POS 3u
#define FLASH_CR_PNB_MSK (0x7Fu << FLASH_CR_PNB_POS) /* 7 bits per STC (128 pages/bank) */
#define FLASH_CR_BKER    (1u << 11)
#define FLASH_CR_BWR     (1u << 14)
#define FLASH_CR_MER2    (1u << 15)
#define FLASH_CR_STRT    (1u << 16)
#define FLASH_CR_EOPIE   (1u << 24)
#define FLASH_CR_LOCK    (1u << 31)

#define FLASH_ECCR_ECCIE (1u << 24)
#define FLASH_ECCR_ECCC  (1u << 30)
#define FLASH_ECCR_ECCD  (1u << 31)

#define FLASH_OPTR_SWAP_BANK (1u << 20)

/* ---- RCC (targets.md §1.4, §1.5; STC RCC_TypeDef offsets) ---- */
#define RCC_BASE_    PLAT_PERIPH_RCC_BASE
#define RCC_AHB1ENR  (RCC_BASE_ + 0x88u)
#define RCC_AHB3ENR  (RCC_BASE_ + 0x94u)
#define RCC_APB2ENR  (RCC_BASE_ + 0xA4u)
#define RCC_CSR      (RCC_BASE_ + 0xF4u)
#define RCC_CR       (RCC_BASE_ + 0x00u)
#define RCC_CFGR1    (RCC_BASE_ + 0x1Cu)
#define RCC_CFGR2    (RCC_BASE_ + 0x20u)
#define RCC_PLL1CFGR (RCC_BASE_ + 0x28u)
#define RCC_PLL1DIVR (RCC_BASE_ + 0x34u)

/* Clock tree bits (STC:15619-16058) */
#define RCC_CR_HSION       (1u << 8)
#define RCC_CR_HSIRDY      (1u << 10)
#define RCC_CR_PLL1ON      (1u << 24)
#define RCC_CR_PLL1RDY     (1u << 25)
#define RCC_CFGR1_SW_MSK   0x3u
#define RCC_CFGR1_SW_PLL1  0x3u
#define RCC_CFGR1_SWS_POS  2u
#define RCC_CFGR2_HPRE_MSK 0xFu
#define RCC_CFGR2_HPRE_DIV2 0x8u
#define RCC_PLL1CFGR_SRC_HSI16  2u          /* PLL1SRC[1:0] */
#define RCC_PLL1CFGR_RGE_8_16   (3u << 2)   /* PLL1RGE: input 8..16 MHz */
#define RCC_PLL1CFGR_M_POS      8u          /* PLL1M[11:8] = M - 1 */
#define RCC_PLL1CFGR_MBOOST_POS 12u         /* PLL1MBOOST[15:12]: EPOD clock divider */
#define RCC_PLL1CFGR_REN        (1u << 18)  /* PLL1 R output enable */
#define RCC_PLL1DIVR_N_POS 0u               /* PLL1N[8:0] = N - 1 */
#define RCC_PLL1DIVR_P_POS 9u
#define RCC_PLL1DIVR_Q_POS 16u
#define RCC_PLL1DIVR_R_POS 24u

#define RCC_AHB1ENR_BKPSRAMEN (1u << 28)
#define RCC_AHB3ENR_PWREN     (1u << 2)
#define RCC_APB2ENR_USART1EN  (1u << 14)

#define RCC_CSR_RMVF     (1u << 23)
#define RCC_CSR_OBLRSTF  (1u << 25)
#define RCC_CSR_PINRSTF  (1u << 26)
#define RCC_CSR_BORRSTF  (1u << 27)
#define RCC_CSR_SFTRSTF  (1u << 28)
#define RCC_CSR_IWDGRSTF (1u << 29)
#define RCC_CSR_WWDGRSTF (1u << 30)
#define RCC_CSR_LPWRRSTF (1u << 31)

/* ---- PWR (targets.md §1.6) ---- */
#define PWR_BASE_   PLAT_PERIPH_PWR_BASE
#define PWR_VOSR    (PWR_BASE_ + 0x0Cu)
#define PWR_SVMCR   (PWR_BASE_ + 0x10u)
#define PWR_DBPR    (PWR_BASE_ + 0x28u)
#define PWR_SVMSR   (PWR_BASE_ + 0x3Cu)

#define PWR_SVMCR_PVDE      (1u << 4)
#define PWR_SVMCR_PVDLS_POS 5u
#define PWR_SVMCR_PVDLS_MSK (0x7u << PWR_SVMCR_PVDLS_POS)
#define PWR_DBPR_DBP        (1u << 0)
#define PWR_VOSR_BOOSTRDY   (1u << 14)
#define PWR_VOSR_VOSRDY     (1u << 15)
#define PWR_VOSR_VOS_MSK    (0x3u << 16)
#define PWR_VOSR_VOS_RANGE1 (0x3u << 16) /* VOS = 11: range 1 (STHAL PWR_REGULATOR_VOLTAGE_SCALE1) */
#define PWR_VOSR_BOOSTEN    (1u << 18)
#define PWR_SVMSR_PVDO      (1u << 4)

/* ---- IWDG (targets.md §1.7) ---- */
#define IWDG_BASE_ PLAT_PERIPH_IWDG_BASE
#define IWDG_KR    (IWDG_BASE_ + 0x00u)
#define IWDG_PR    (IWDG_BASE_ + 0x04u)
#define IWDG_RLR   (IWDG_BASE_ + 0x08u)
#define IWDG_SR    (IWDG_BASE_ + 0x0Cu)

#define IWDG_KEY_RELOAD 0xAAAAu
#define IWDG_KEY_START  0xCCCCu
#define IWDG_KEY_ACCESS 0x5555u
#define IWDG_SR_PVU     (1u << 0)
#define IWDG_SR_RVU     (1u << 1)

/* ---- USART1 (targets.md §1.4) ---- */
#define USART_BASE_ PLAT_CONSOLE_UART_BASE
#define USART_CR1   (USART_BASE_ + 0x00u)
#define USART_BRR   (USART_BASE_ + 0x0Cu)
#define USART_ISR   (USART_BASE_ + 0x1Cu)
#define USART_ICR   (USART_BASE_ + 0x20u)
#define USART_RDR   (USART_BASE_ + 0x24u)
#define USART_TDR   (USART_BASE_ + 0x28u)

#define USART_CR1_UE   (1u << 0)
#define USART_CR1_RE   (1u << 2)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_CR1_TE   (1u << 3)
#define USART_ISR_PE   (1u << 0)
#define USART_ISR_FE   (1u << 1)
#define USART_ISR_NE   (1u << 2)
#define USART_ISR_ORE  (1u << 3)
#define USART_ISR_RXNE (1u << 5)
#define USART_ISR_TC   (1u << 6)
#define USART_ISR_TXE  (1u << 7)
#define USART_ISR_ERRORS (USART_ISR_PE | USART_ISR_FE | USART_ISR_NE | USART_ISR_ORE)

#define CONSOLE_BAUD 115200u

/* ---- Backup SRAM (reset-cause magic) ---- */
#define BKPSRAM_MAGIC_ADDR (PLAT_REGION_BKPSRAM_BASE + 0x0u)
#define BKPSRAM_MAGIC      0x4F544142u /* "OTAB" */

/* ---- Optional board pin muxing (B-U585I-IOT02A: USART1 TX PA9 / RX PA10, AF7).
 * Not modelled by the emulator; enable with EXTRA_CFLAGS=-DPORT_BOARD_PINMUX=1 for a board. */
#ifndef PORT_BOARD_PINMUX
#define PORT_BOARD_PINMUX 0
#endif
#define RCC_AHB2ENR1        (RCC_BASE_ + 0x8Cu)
#define RCC_AHB2ENR1_GPIOAEN (1u << 0)
#define GPIOA_BASE_         0x42020000u
#define GPIOA_MODER         (GPIOA_BASE_ + 0x00u)
#define GPIOA_AFRH          (GPIOA_BASE_ + 0x24u)

#endif /* OTA_STM32U585_REGS_H */
