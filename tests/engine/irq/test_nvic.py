"""NVIC priorities, grouping, nesting, tail-chaining, PendSV/SVC and the masks, as firmware
observes them (the order its handlers run in), on both chips."""

from __future__ import annotations

from pathlib import Path

from irqfw import Program, build

from hil.platform.model import Platform


def _run(chip: Platform, tmp_path: Path, source: str) -> Program:
    prog = Program(chip, build(chip, source, tmp_path))
    prog.run()
    return prog


def test_priorities_nesting_and_tail_chaining(chip: Platform, tmp_path: Path) -> None:
    prog = _run(
        chip,
        tmp_path,
        r"""
#include "t.h"
void IRQ3_Handler(void) { mark(ipsr()); irq_pend(4); mark(0x33); irq_pend(6); mark(0x3F); }
void IRQ4_Handler(void) { mark(ipsr()); irq_pend(5); mark(0x44); mark(REG32(NVIC_IABR(0))); }
void IRQ5_Handler(void) { mark(ipsr()); }
void IRQ6_Handler(void) { mark(ipsr()); }
int main(void) {
    irq_prio(3, 0xC0); irq_prio(4, 0x40); irq_prio(5, 0x40); irq_prio(6, 0x80);
    for (uint32_t i = 3; i <= 6; i++) irq_enable(i);
    irq_pend(3);
    mark(ipsr());
    return 0;
}
""",
    )
    # IRQ4 preempts IRQ3 at once; IRQ5 (same priority as 4) waits and tail-chains; IRQ6 beats
    # IRQ3's priority and preempts it; Thread mode resumes last with IPSR 0
    # IABR inside IRQ4: IRQ3 and IRQ4 active
    assert prog.log == [19, 20, 0x44, 0x18, 21, 0x33, 22, 0x3F, 0]
    assert prog.engine.nvic.order == []


def test_prigroup_subpriority_does_not_preempt(chip: Platform, tmp_path: Path) -> None:
    prog = _run(
        chip,
        tmp_path,
        r"""
#include "t.h"
void IRQ1_Handler(void) { mark(1); }
void IRQ2_Handler(void) { mark(2); irq_pend(1); mark(0x22); }
void IRQ7_Handler(void) { mark(7); }
void IRQ8_Handler(void) { mark(8); }
int main(void) {
    irq_prio(1, 0x40); irq_prio(2, 0x60);
    irq_enable(1); irq_enable(2);
    irq_pend(2);                              /* PRIGROUP 0: 0x40 preempts 0x60 */
    REG32(SCB_AIRCR) = 0x05FA0000u | (5u << 8); /* group = bits 7:6: 0x40 and 0x60 tie */
    irq_pend(2);
    /* same group: the lower subpriority value goes first, then the lower number */
    irq_prio(7, 0x60); irq_prio(8, 0x40); irq_enable(7); irq_enable(8);
    cpsid(); irq_pend(7); irq_pend(8); cpsie();
    mark(0xEE);
    return 0;
}
""",
    )
    assert prog.log == [2, 1, 0x22, 2, 0x22, 1, 8, 7, 0xEE]


def test_pendsv_svc_and_masks_take_effect_at_the_unmasking_instruction(
    chip: Platform, tmp_path: Path
) -> None:
    prog = _run(
        chip,
        tmp_path,
        r"""
#include "t.h"
void SVC_Handler(void) { mark(0x5C); REG32(SCB_ICSR) = ICSR_PENDSVSET; mark(0x5D); }
void PendSV_Handler(void) { mark(ipsr()); }
void IRQ9_Handler(void) { mark(9); }
int main(void) {
    REG8(SCB_SHPR(14)) = 0xFF;                  /* PendSV lowest */
    __asm volatile("svc #0");                   /* PendSV tail-chains after SVC returns */
    mark(1);
    set_basepri(0x80);
    REG32(SCB_ICSR) = ICSR_PENDSVSET;           /* held back by BASEPRI */
    mark(2);
    set_basepri(0);                             /* taken before the next instruction */
    mark(3);
    irq_prio(9, 0x20); irq_enable(9);
    cpsid();
    irq_pend(9);
    for (volatile int i = 0; i < 300; i++) { }  /* a long critical section */
    mark(4);
    cpsie();
    mark(5);
    return 0;
}
""",
    )
    assert prog.log == [0x5C, 0x5D, 14, 1, 2, 14, 3, 4, 9, 5]
    assert prog.engine.mask_watch.hooked_stretches == 1  # the long one used the code hook


def test_handler_mode_uses_msp_and_returns_to_psp(chip: Platform, tmp_path: Path) -> None:
    prog = _run(
        chip,
        tmp_path,
        r"""
#include "t.h"
static uint32_t pstack[128] __attribute__((aligned(8)));
void IRQ2_Handler(void) {
    uint32_t sp, lr, ctl;
    __asm volatile("mov %0, sp\n mov %1, lr\n mrs %2, control" : "=r"(sp), "=r"(lr), "=r"(ctl));
    mark(sp >= (uint32_t)pstack && sp < (uint32_t)(pstack + 128));  /* 0: on MSP */
    mark(lr);
    mark(ctl & 2u);
}
int main(void) {
    uint32_t top = (uint32_t)(pstack + 128);
    __asm volatile("msr psp, %0\n movs r1, #2\n msr control, r1\n isb" :: "r"(top) : "r1");
    irq_enable(2);
    irq_pend(2);
    uint32_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    mark(sp >= (uint32_t)pstack && sp <= top);    /* back on PSP */
    return 0;
}
""",
    )
    exc_return = 0xFFFFFFFD if chip.name == "lpc55s69" else 0xFFFFFFBC
    assert prog.log == [0, exc_return, 0, 1]


def test_svc_with_primask_set_escalates_to_hardfault(chip: Platform, tmp_path: Path) -> None:
    prog = _run(
        chip,
        tmp_path,
        r"""
#include "t.h"
void HardFault_Handler(void) {
    mark(ipsr()); mark(REG32(0xE000ED2Cu) >> 30); test_done();
}
int main(void) { cpsid(); __asm volatile("svc #1"); mark(0xBAD); return 0; }
""",
    )
    assert prog.log == [3, 1]  # HardFault, HFSR.FORCED


def test_faultmask_holds_back_hardfault_priority_and_clears_on_return(
    chip: Platform, tmp_path: Path
) -> None:
    prog = _run(
        chip,
        tmp_path,
        r"""
#include "t.h"
void IRQ3_Handler(void) {
    mark(3);
    __asm volatile("cpsid f" ::: "memory");     /* FAULTMASK: even priority 0 waits */
    irq_pend(4);
    mark(0x33);
}
void IRQ4_Handler(void) { mark(4); }
int main(void) {
    irq_prio(3, 0x80); irq_prio(4, 0x00);
    irq_enable(3); irq_enable(4);
    irq_pend(3);                                /* IRQ4 runs only after IRQ3's return clears */
    uint32_t fm;                                /* FAULTMASK */
    __asm volatile("mrs %0, faultmask" : "=r"(fm));
    mark(fm);
    return 0;
}
""",
    )
    assert prog.log == [3, 0x33, 4, 0]
