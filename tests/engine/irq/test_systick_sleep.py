"""SysTick counting in cycles and interrupting, WFI/WFE skipping idle virtual time, and the
extended exception frame of a live FP context, on both chips."""

from __future__ import annotations

from pathlib import Path

import pytest
from irqfw import Program, build

from hil.platform.model import Platform


def test_systick_period_countflag_and_reload(chip: Platform, tmp_path: Path) -> None:
    prog = Program(
        chip,
        build(
            chip,
            r"""
#include "t.h"
static volatile uint32_t ticks;
void SysTick_Handler(void) { if (ticks < 5u) mark(REG32(DWT_CYCCNT)); ticks++; }
int main(void) {
    REG32(SYST_RVR) = 999u;
    REG32(SYST_CVR) = 123u;                     /* any write clears it */
    mark(REG32(SYST_CVR));
    REG32(SYST_CSR) = 7u;                       /* processor clock, TICKINT, ENABLE */
    while (ticks < 5u) { }
    REG32(SYST_CSR) = 5u;                       /* no TICKINT: COUNTFLAG only */
    (void)REG32(SYST_CSR);
    uint32_t a = REG32(SYST_CVR);
    for (volatile int i = 0; i < 10; i++) { }
    uint32_t b = REG32(SYST_CVR);
    mark(a > b);
    while (!(REG32(SYST_CSR) & (1u << 16))) { }
    mark(REG32(SYST_CSR) >> 16);                /* read-to-clear */
    mark(ticks);
    return 0;
}
""",
            tmp_path,
        ),
    )
    prog.run()
    log = prog.log
    assert log[0] == 0
    entries = log[1:6]
    assert [b - a for a, b in zip(entries, entries[1:], strict=False)] == [1000] * 4
    assert log[6:] == [1, 0, 5]


def test_systick_external_reference(chip: Platform, tmp_path: Path) -> None:
    prog = Program(
        chip,
        build(
            chip,
            r"""
#include "t.h"
int main(void) {
    REG32(SYST_RVR) = 0xFFFFFFu;
    REG32(SYST_CVR) = 0u;
    REG32(SYST_CSR) = 1u;                       /* ENABLE, CLKSOURCE = external reference */
    uint32_t c0 = REG32(DWT_CYCCNT);
    while (REG32(SYST_CVR) == 0u && REG32(DWT_CYCCNT) - c0 < 100u) { }  /* first count: reload */
    c0 = REG32(DWT_CYCCNT);
    uint32_t v0 = REG32(SYST_CVR);
    while (REG32(DWT_CYCCNT) - c0 < 8000u) { }
    mark(v0 - REG32(SYST_CVR));
    mark(REG32(SYST_CALIB));
    return 0;
}
""",
            tmp_path,
        ),
    )
    prog.run()
    divider = chip.core.systick.external_divider
    counted, calib = prog.log
    if divider:
        assert 8000 // divider - 1 <= counted <= 8000 // divider + 2
    else:
        assert counted == 0  # no reference clock: the counter does not move
    assert calib == chip.core.systick.calib


def test_wfi_skips_idle_time_to_the_next_tick(chip: Platform, tmp_path: Path) -> None:
    # 100 SysTick periods of 10 ms each, the core asleep in WFI in between
    period = chip.core.clock_hz // 100
    prog = Program(
        chip,
        build(
            chip,
            r"""
#include "t.h"
static volatile uint32_t ticks;
void SysTick_Handler(void) { ticks++; }
int main(void) {
    REG32(SYST_RVR) = PERIOD - 1u;
    REG32(SYST_CVR) = 0u;
    REG32(SYST_CSR) = 7u;
    uint32_t wakes = 0;
    while (ticks < 100u) { wfi(); wakes++; }
    mark(wakes);
    cpsid();                                    /* WFI with PRIMASK set still wakes */
    uint32_t t = ticks;
    wfi();
    mark(ticks == t);                           /* ... but does not take the interrupt */
    cpsie();
    mark(ticks == t + 1u);
    REG32(SYST_CSR) = 0u;
    REG32(SCB_SCR) = 1u << 4;                   /* SEVONPEND: a new pending is an event */
    irq_pend(1);                                /* disabled line: pends, is not taken */
    wfe();                                      /* the event register is set: continues */
    mark(0xE);
    return 0;
}
""",
            tmp_path,
            {"PERIOD": period},
        ),
    )
    e = prog.engine
    prog.run(2_000_000)
    assert prog.log == [100, 1, 1, 0xE]
    assert e.time_ns >= 1_000_000_000
    # nearly all of that second was skipped asleep, not executed
    assert e.idle_cycles > 0.99 * 100 * period


def test_fp_context_is_stacked_in_an_extended_frame(chip: Platform, tmp_path: Path) -> None:
    prog = Program(
        chip,
        build(
            chip,
            r"""
#include "t.h"
static volatile uint32_t lr_seen[2];
static volatile uint32_t n;
void IRQ2_Handler(void) {
    uint32_t lr;
    __asm volatile("mov %0, lr" : "=r"(lr));
    lr_seen[n++] = lr;
    /* clobber the caller-saved FP registers and FPSCR flags */
    __asm volatile("vmov s0, %0\n vmov s1, %0\n vmov s15, %0\n vmsr fpscr, %0"
                   :: "r"(0xF0000000u) : "s0", "s1", "s15");
}
__attribute__((noinline)) static void with_fp(void) {
    float a = 1.5f, b = 2.25f;
    uint32_t fpscr_in = 0x00400000u, fpscr_out, s15;
    __asm volatile("vmsr fpscr, %2\n vmov s15, %1\n vadd.f32 %0, %0, s15\n"
                   : "+t"(a) : "r"(b), "r"(fpscr_in) : "s15");
    irq_pend(2);                                /* live FP context: extended frame */
    __asm volatile("vmov %0, s15\n vmrs %1, fpscr" : "=r"(s15), "=r"(fpscr_out));
    mark(s15 == 0x40100000u);                   /* 2.25f survived */
    mark((uint32_t)(a * 4.0f));                 /* 3.75 * 4 */
    mark(fpscr_out == fpscr_in);
}
int main(void) {
    irq_enable(2);
    irq_pend(2);                                /* no FP context yet: basic frame */
    with_fp();
    mark(lr_seen[0] & 0x10u);
    mark(lr_seen[1] & 0x10u);
    uint32_t ctl;
    __asm volatile("mrs %0, control" : "=r"(ctl));
    mark((ctl >> 2) & 1u);                      /* FPCA restored after the return */
    return 0;
}
""",
            tmp_path,
        ),
    )
    prog.run()
    assert prog.log == [1, 15, 1, 0x10, 0, 1]


@pytest.mark.parametrize("body", ["", '__asm volatile("nop");'])
def test_a_loop_that_only_spends_time_is_skipped_to_the_next_event(
    chip: Platform, tmp_path: Path, body: str
) -> None:
    """`for (;;) {}` and `for (;;) nop` while SysTick interrupts it: skipping the loop's turns
    to the next wrap (the engine's spin skip) leaves the same cycles, results and PC as running
    every turn, and the skip fired."""
    elf = build(
        chip,
        r"""
#include "t.h"
static volatile uint32_t ticks;
void SysTick_Handler(void) {
    mark(REG32(DWT_CYCCNT));
    if (++ticks == 6u) { test_done(); }
}
int main(void) {
    REG32(SYST_RVR) = 49999u;
    REG32(SYST_CVR) = 0u;
    REG32(SYST_CSR) = 7u;                       /* processor clock, TICKINT, ENABLE */
    for (;;) { BODY }
}
""".replace("BODY", body),
        tmp_path,
    )
    runs = []
    for skip in (True, False):
        prog = Program(chip, elf)
        prog.engine.spins.enabled = skip
        prog.engine.slice_instructions = 1000  # a period spans many slices
        prog.run()
        runs.append((prog.log, prog.engine.instructions, prog.engine.pc, prog.engine.spins.cycles))
    (log, cycles, pc, spun), (log_off, cycles_off, pc_off, spun_off) = runs
    assert (log, cycles, pc) == (log_off, cycles_off, pc_off)
    assert [b - a for a, b in zip(log, log[1:], strict=False)] == [50_000] * 5
    assert spun > 5 * 40_000 and spun_off == 0
