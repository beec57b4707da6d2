"""Interrupts raised by the peripheral models, taken by real handlers on both chips: UART
receive (the host's bytes arrive while the core sleeps in WFI), flash end-of-operation and
error, and the supply monitor (STM32U585 PVD through EXTI line 16, LPC55S69 BODVBAT)."""

from __future__ import annotations

from pathlib import Path

from irqfw import Program, build

from hil.engine.base import StopReason
from hil.platform.model import Platform

UART = r"""
#include "t.h"
static volatile uint32_t got;
#if CHIP_STM32U585
#define U 0x40013800u
#define UART_IRQ 61u
void IRQ61_Handler(void) {
    while (REG32(U + 0x1Cu) & (1u << 5)) { mark(REG32(U + 0x24u)); got++; }   /* RXNE: RDR */
}
static void uart_setup(void) {
    REG32(U) = 1u | (1u << 2) | (1u << 3) | (1u << 5);                       /* UE RE TE RXNEIE */
}
#else
#define U 0x40086000u
#define UART_IRQ 14u
void IRQ14_Handler(void) {
    while (REG32(U + 0xE18u) & (1u << 3)) { mark(REG32(U + 0xE30u)); got++; } /* RXLVL: FIFORD */
}
static void uart_setup(void) {
    REG32(U + 0xFF8u) = 1u;                                                   /* PSELID = USART */
    REG32(U + 0xE00u) = 3u;                                                   /* FIFOs on */
    REG32(U) = 1u | (1u << 2);                                                /* ENABLE, 8 bit */
    REG32(U + 0xE08u) = 1u << 1;  /* RXLVLENA, 1 entry */
    REG32(U + 0xE10u) = 1u << 3;  /* FIFOINTENSET RXLVL */
}
#endif
int main(void) {
    uart_setup();
    irq_enable(UART_IRQ);
    mark(0xAA);
    while (got < 3u) { wfi(); }
    return 0;
}
"""


def test_uart_rx_interrupt_wakes_wfi(chip: Platform, tmp_path: Path) -> None:
    prog = Program(chip, build(chip, UART, tmp_path))
    e = prog.engine
    result = e.run(10_000)  # the program sleeps, waiting for bytes
    assert result.reason is StopReason.BUDGET and prog.log == [0xAA]
    assert e.sleeping == "wfi"
    e.serial().write(b"hi!")
    prog.run(1000)
    assert prog.log == [0xAA, ord("h"), ord("i"), ord("!")]


FLASH = r"""
#include "t.h"
static volatile uint32_t events;
#if CHIP_STM32U585
#define F 0x40022000u
void IRQ6_Handler(void) {                       /* FLASH_IRQn (non-secure domain) */
    uint32_t sr = REG32(F + 0x20u);
    mark(sr & 0x3Bu);                           /* EOP, OPERR, PROGERR, WRPERR */
    REG32(F + 0x20u) = sr;                      /* clear */
    events++;
}
static void erase(uint32_t page) {
    REG32(F + 0x28u) = (1u << 24) | (1u << 25) | (1u << 1) | (page << 3);  /* EOPIE ERRIE PER */
    REG32(F + 0x28u) |= 1u << 16;                                          /* STRT */
}
static void setup(void) {
    REG32(F + 0x08u) = 0x45670123u;
    REG32(F + 0x08u) = 0xCDEF89ABu;
    irq_enable(6);
}
#define PAGE_OK 100u
#define PAGE_PROTECTED 101u
#else
#define F 0x40034000u
void IRQ0_Handler(void) {                       /* WDT_BOD_IRQn: the flash controller's DONE */
    uint32_t st = REG32(F + 0xFE0u);
    mark(st);
    REG32(F + 0xFE8u) = st;                     /* INT_CLR_STATUS */
    events++;
}
static void erase(uint32_t page) {
    REG32(F + 0x010u) = page * 32u;             /* STARTA/STOPA in 16-byte words */
    REG32(F + 0x014u) = page * 32u + 31u;
    REG32(F + 0x000u) = 4u;                     /* ERASE_RANGE */
}
static void setup(void) {
    REG32(F + 0xFE8u) = 0xFu;
    REG32(F + 0xFDCu) = 1u << 2;                /* INT_SET_ENABLE: DONE */
    irq_enable(0);
}
#define PAGE_OK 800u
#define PAGE_PROTECTED 801u
#endif
int main(void) {
    setup();
    erase(PAGE_OK);
    mark(0xE0);                                 /* the erase is running: no interrupt yet */
    while (events < 1u) { wfi(); }
    erase(PAGE_PROTECTED);
    while (events < 2u) { wfi(); }
    return 0;
}
"""


def test_flash_end_of_operation_and_error_interrupts(chip: Platform, tmp_path: Path) -> None:
    prog = Program(chip, build(chip, FLASH, tmp_path))
    geo = chip.flash
    page_protected = 101 if chip.name == "stm32u585" else 801
    prog.engine.write_protect(geo.base + page_protected * geo.page_size, geo.page_size)
    prog.run()
    if chip.name == "stm32u585":
        assert prog.log == [0xE0, 0x01, 0x12]  # EOP; then WRPERR with OPERR (ERRIE)
    else:
        assert prog.log == [0xE0, 0x04, 0x05]  # DONE; then FAIL | DONE
    assert prog.engine.flash_ops[0][0].kind.value == "erase"


SUPPLY = r"""
#include "t.h"
#if CHIP_STM32U585
#define PWR 0x46020800u
#define EXTI 0x46022000u
void IRQ1_Handler(void) {                       /* PVD_PVM_IRQn */
    mark(REG32(EXTI + 0x0Cu) >> 16 & 1u);       /* RPR1: rising edge on line 16 */
    mark(REG32(PWR + 0x3Cu) >> 4 & 1u);         /* PVDO */
    REG32(EXTI + 0x0Cu) = 1u << 16;
}
static void setup(void) {
    REG32(PWR + 0x10u) = 1u << 4;               /* PVDE, level 0 (2.0 V) */
    REG32(EXTI + 0x00u) = 1u << 16;             /* rising trigger */
    REG32(EXTI + 0x80u) = 1u << 16;             /* unmask */
    irq_enable(1);
}
#else
#define PMC 0x40020000u
#define ANACTRL 0x40013000u
void IRQ0_Handler(void) {                       /* WDT_BOD_IRQn: BODVBAT */
    uint32_t st = REG32(ANACTRL + 0x34u);
    mark(st >> 1 & 1u);                         /* BODVBAT_INT_STATUS */
    mark((st >> 2 & 1u) ^ 1u);                  /* below the level */
    REG32(ANACTRL + 0x30u) = 1u | (1u << 1);    /* keep enabled, clear */
}
static void setup(void) {
    REG32(PMC + 0x30u) = 12u;                   /* TRIGLVL 2.0 V */
    REG32(ANACTRL + 0x30u) = 1u;                /* BODVBAT_INT_ENABLE */
    irq_enable(0);
}
#endif
int main(void) {
    setup();
    mark(0x5);
    while (t_n < 3u) { wfi(); }
    return 0;
}
"""


def test_supply_monitor_interrupt(chip: Platform, tmp_path: Path) -> None:
    prog = Program(chip, build(chip, SUPPLY, tmp_path))
    e = prog.engine
    assert e.run(5_000).reason is StopReason.BUDGET and prog.log == [0x5]
    e.set_supply_mv(1900)  # below the 2.0 V monitor level, above the 1.7 V reset level
    prog.run(1000)
    assert prog.log == [0x5, 1, 1]


def test_wfe_wakes_on_a_new_pending_interrupt_with_sevonpend(
    chip: Platform, tmp_path: Path
) -> None:
    # the UART's line is not enabled in the NVIC: only SEVONPEND makes its pending a wake-up
    source = UART.replace(
        """    irq_enable(UART_IRQ);
    mark(0xAA);
    while (got < 3u) { wfi(); }""",
        """    REG32(SCB_SCR) = 1u << 4;
    __asm volatile("sev");
    wfe();                                      /* clear the event register */
    mark(0xAA);
    wfe();                                      /* sleeps until the byte pends the line */
    mark(REG32(NVIC_ISPR(UART_IRQ / 32u)) >> (UART_IRQ % 32u) & 1u);""",
    )
    assert source != UART
    prog = Program(chip, build(chip, source, tmp_path))
    e = prog.engine
    e.run(10_000)
    assert prog.log == [0xAA] and e.sleeping == "wfe"
    e.run(50_000)
    assert e.sleeping == "wfe" and e.idle_cycles > 0  # still asleep: time skipped
    e.serial().write(b"x")
    prog.run(1000)
    assert prog.log == [0xAA, 1]


TX = r"""
#include "t.h"
static const char msg[] = "irq-tx";
static volatile uint32_t pos;
#if CHIP_STM32U585
#define U 0x40013800u
#define UART_IRQ 61u
void IRQ61_Handler(void) {
    uint32_t isr = REG32(U + 0x1Cu);
    if ((REG32(U) & (1u << 7)) && (isr & (1u << 7))) {         /* TXEIE and TXE */
        REG32(U + 0x28u) = (uint8_t)msg[pos++];
        if (msg[pos] == 0) { REG32(U) = (REG32(U) & ~(1u << 7)) | (1u << 6); } /* -> TCIE */
    } else if ((REG32(U) & (1u << 6)) && (isr & (1u << 6))) {  /* TCIE and TC: done */
        REG32(U) &= ~(1u << 6);
        mark(0xDC);
    }
}
static void start(void) { REG32(U) = 1u | (1u << 3) | (1u << 7); }  /* UE TE TXEIE */
#else
#define U 0x40086000u
#define UART_IRQ 14u
void IRQ14_Handler(void) {
    if (REG32(U + 0xE18u) & (1u << 2)) {                        /* TXLVL */
        REG32(U + 0xE20u) = (uint8_t)msg[pos++];
        if (msg[pos] == 0) { REG32(U + 0xE14u) = 1u << 2; mark(0xDC); }  /* FIFOINTENCLR */
    }
}
static void start(void) {
    REG32(U + 0xFF8u) = 1u;
    REG32(U + 0xE00u) = 1u;                     /* ENABLETX */
    REG32(U) = 1u | (1u << 2);
    REG32(U + 0xE08u) = 1u;                     /* TXLVLENA, level 0 */
    REG32(U + 0xE10u) = 1u << 2;                /* FIFOINTENSET TXLVL */
}
#endif
int main(void) {
    irq_enable(UART_IRQ);
    start();
    while (t_n < 1u) { wfi(); }
    return 0;
}
"""


def test_uart_tx_interrupts_drive_a_transmission(chip: Platform, tmp_path: Path) -> None:
    prog = Program(chip, build(chip, TX, tmp_path))
    prog.run(1000)
    assert prog.log == [0xDC]
    assert prog.engine.serial().read() == b"irq-tx"
