"""Clock trees on both chips: oscillator and PLL ready bits after their delay, the voltage /
wait-state handshakes, and the core clock the firmware switches to changing how many
instructions a fixed stretch of virtual time holds (a watchdog's early warning measured in
cycles before and after the switch)."""

from __future__ import annotations

from pathlib import Path

import pytest
from irqfw import Program, build

from hil.platform import load_platform

STM32 = r"""
#include "t.h"
#define RCC 0x46020C00u
#define PWR_VOSR 0x4602080Cu
#define FLASH_ACR 0x40022000u
#define IWDG 0x40003000u
static volatile uint32_t ew_at[2];
static volatile uint32_t ew_n;
void IRQ27_Handler(void) {                     /* IWDG early wakeup */
    ew_at[ew_n++] = REG32(DWT_CYCCNT);
    REG32(IWDG + 0x14u) |= 1u << 14;            /* EWIC */
}
static uint32_t ew_period(void) {
    uint32_t n = ew_n;
    REG32(IWDG) = 0xAAAAu;                      /* reload */
    uint32_t t0 = REG32(DWT_CYCCNT);
    while (ew_n == n) { wfi(); }
    REG32(IWDG) = 0xAAAAu;
    return ew_at[n] - t0;
}
static uint32_t wait_bit(uint32_t reg, uint32_t bit) {
    uint32_t t0 = REG32(DWT_CYCCNT);
    while (!(REG32(reg) & bit)) { }
    return REG32(DWT_CYCCNT) - t0;
}
int main(void) {
    uint32_t cr = REG32(RCC);
    mark((cr >> 2) & 1u);                       /* MSISRDY at reset */
    mark((cr >> 10) & 1u);                      /* HSIRDY clear */
    REG32(RCC) = cr | (1u << 8);                /* HSION */
    mark((REG32(RCC) >> 10) & 1u);              /* not ready yet */
    mark(wait_bit(RCC, 1u << 10) > 0u);
    /* IWDG: LSI 32 kHz / 4, RLR 99, EWIT 49, EWIE */
    REG32(IWDG) = 0xCCCCu;
    REG32(IWDG) = 0x5555u;
    REG32(IWDG + 0x04u) = 0u;
    REG32(IWDG + 0x08u) = 99u;
    REG32(IWDG + 0x14u) = (1u << 15) | 49u;
    irq_enable(27);
    uint32_t before = ew_period();
    /* range 1 with the EPOD booster, 4 wait states, PLL1 = MSIS 4 MHz * 80 / 2 = 160 MHz */
    REG32(PWR_VOSR) = (3u << 16) | (1u << 18);
    mark((REG32(PWR_VOSR) >> 15) & 1u);         /* VOSRDY dropped */
    wait_bit(PWR_VOSR, 1u << 15);
    wait_bit(PWR_VOSR, 1u << 14);               /* BOOSTRDY */
    REG32(FLASH_ACR) = 4u;
    mark(REG32(FLASH_ACR) & 0xFu);
    REG32(RCC + 0x28u) = 1u | (1u << 2) | (1u << 18);  /* MSIS source, 4-8 MHz input, R out */
    REG32(RCC + 0x34u) = (1u << 24) | (1u << 9) | (1u << 16) | 79u;
    REG32(RCC) |= 1u << 24;                     /* PLL1ON */
    mark(wait_bit(RCC, 1u << 25) > 100u);       /* ~40 us at 4 MHz */
    REG32(RCC + 0x1Cu) = 3u;                    /* SW = PLL1 */
    while (((REG32(RCC + 0x1Cu) >> 2) & 3u) != 3u) { }
    uint32_t after = ew_period();
    mark(before);
    mark(after);
    REG32(RCC) &= ~(1u << 24);                  /* the running PLL cannot be stopped */
    mark((REG32(RCC) >> 25) & 1u);
    return 0;
}
"""

LPC = r"""
#include "t.h"
#define SYSCON 0x40000000u
#define ANACTRL 0x40013000u
#define PMC 0x40020000u
#define WWDT 0x4000C000u
static volatile uint32_t warn_at[2];
static volatile uint32_t warn_n;
void IRQ0_Handler(void) {                      /* WDT_BOD: the watchdog warning */
    if (REG32(WWDT) & (1u << 3)) {
        warn_at[warn_n++] = REG32(DWT_CYCCNT);
        REG32(WWDT) = REG32(WWDT) | (1u << 3);  /* clear WDINT */
    }
}
static uint32_t warn_period(void) {
    uint32_t n = warn_n;
    REG32(WWDT + 0x08u) = 0xAAu;                /* feed: TV = TC */
    REG32(WWDT + 0x08u) = 0x55u;
    uint32_t t0 = REG32(DWT_CYCCNT);
    while (warn_n == n) { wfi(); }
    return warn_at[n] - t0;
}
static uint32_t wait_bit(uint32_t reg, uint32_t bit) {
    uint32_t t0 = REG32(DWT_CYCCNT);
    while (!(REG32(reg) & bit)) { }
    return REG32(DWT_CYCCNT) - t0;
}
int main(void) {
    mark(REG32(ANACTRL + 0x14u) & 1u);          /* FRO192M CLK_VALID */
    mark(REG32(SYSCON + 0x584u) & 1u);          /* PLL0 not locked (powered down) */
    /* WWDT: 1 MHz / 4, TC 2000, warning at TV 1000: 4 ms */
    REG32(WWDT + 0x04u) = 2000u;
    REG32(WWDT + 0x14u) = 1000u;
    REG32(WWDT) = 1u;                           /* WDEN, no reset */
    irq_enable(0);
    uint32_t before = warn_period();
    /* core voltage and flash wait states for up to 150 MHz first (the SYSCON checks them) */
    REG32(PMC + 0x10u) = (REG32(PMC + 0x10u) & ~(0xFu << 17)) | (8u << 17);     /* 1.15 V */
    REG32(SYSCON + 0x400u) = (REG32(SYSCON + 0x400u) & ~0xF000u) | (11u << 12); /* FLASHTIM */
    /* FRO_HF 96 MHz as main clock */
    REG32(ANACTRL + 0x10u) |= 1u << 30;
    REG32(SYSCON + 0x280u) = 3u;
    uint32_t fro_hf = warn_period();
    /* PLL0 = 12 MHz / 4 * 100 / 2 = 150 MHz from FRO 12 MHz */
    REG32(SYSCON + 0x280u) = 0u;
    REG32(SYSCON + 0x290u) = 0u;
    REG32(SYSCON + 0x580u) = 1u << 21;          /* CLKEN */
    REG32(SYSCON + 0x588u) = 4u;
    REG32(SYSCON + 0x58Cu) = 1u;
    REG32(SYSCON + 0x594u) = (1u << 28) | (100u << 10);
    REG32(PMC + 0xC8u) = (1u << 9) | (1u << 23);  /* power PLL0 and its SSCG */
    mark(REG32(SYSCON + 0x584u) & 1u);
    mark(wait_bit(SYSCON + 0x584u, 1u));        /* 500 us + 400 / 3 MHz */
    REG32(SYSCON + 0x284u) = 1u;                /* main clock = PLL0 */
    uint32_t pll = warn_period();
    REG32(SYSCON + 0x380u) = 1u;                /* AHBCLKDIV /2: 75 MHz */
    uint32_t half = warn_period();
    mark(before);
    mark(fro_hf);
    mark(pll);
    mark(half);
    return 0;
}
"""


@pytest.mark.parametrize("name", ["stm32u585", "lpc55s69"])
def test_ready_bits_and_clock_switch_scale_virtual_time(name: str, tmp_path: Path) -> None:
    chip = load_platform(name)
    prog = Program(chip, build(chip, STM32 if name == "stm32u585" else LPC, tmp_path))
    prog.run(2_000_000)
    e = prog.engine
    if name == "stm32u585":
        ready, hsi_off, not_yet, waited, vos_dropped, latency, pll_wait, before, after, off = (
            prog.log
        )
        assert (ready, hsi_off, not_yet, waited, vos_dropped, latency, pll_wait) == (
            1, 0, 0, 1, 0, 4, 1,
        )  # fmt: skip
        assert e.timebase.hz == 160_000_000
        assert off == 1
        # the same 6.25 ms of LSI time: 25 000 cycles at 4 MHz, 1 000 000 at 160 MHz
        assert abs(before - 25_000) <= 50 and abs(after - 1_000_000) <= 2_000
    else:
        valid, unlocked, still, lock_cycles, before, fro_hf, pll, half = prog.log
        assert (valid, unlocked, still) == (1, 0, 0)
        # lock after 500 us + 133 us at 12 MHz
        assert abs(lock_cycles - 12 * 633) <= 60
        # 4 ms of watchdog time at 12, 96, 150 and 75 MHz
        for cycles, mhz in ((before, 12), (fro_hf, 96), (pll, 150), (half, 75)):
            assert abs(cycles - 4000 * mhz) <= 4 * mhz + 100, (cycles, mhz)
        assert e.timebase.hz == 75_000_000
    # virtual time is integrated over the clock changes: the cycle count grew much faster
    assert e.time_ns < e.instructions * 1_000_000_000 // chip.core.clock_hz
    # the sequence kept every clock limit
    clocks = e.soc.peripheral("rcc" if name == "stm32u585" else "syscon")
    assert clocks.violations == []  # type: ignore[attr-defined]


# The production sequences with one step left out: the clock model records the violation and
# the core takes a HardFault (ipsr 3) right at the switch.
STM32_BAD = r"""
#include "t.h"
#define RCC 0x46020C00u
#define PWR_VOSR 0x4602080Cu
#define FLASH_ACR 0x40022000u
int main(void) {
    if (VOS) {
        REG32(PWR_VOSR) = (3u << 16) | (BOOST ? 1u << 18 : 0u);
        while (!(REG32(PWR_VOSR) & (1u << 15))) { }
        while (BOOST && !(REG32(PWR_VOSR) & (1u << 14))) { }
    }
    REG32(FLASH_ACR) = LATENCY;
    REG32(RCC) |= 1u << 8;                          /* HSI16 */
    while (!(REG32(RCC) & (1u << 10))) { }
    REG32(RCC + 0x28u) = 2u | (3u << 2) | (1u << 18);  /* HSI16 / 1 */
    REG32(RCC + 0x34u) = (1u << 24) | (1u << 9) | (1u << 16) | 19u;  /* * 20 / 2 = 160 MHz */
    REG32(RCC) |= 1u << 24;
    while (!(REG32(RCC) & (1u << 25))) { }
    REG32(RCC + 0x1Cu) = 3u;                        /* SW = PLL1 */
    mark(1u);
    return 0;
}
"""

LPC_BAD = r"""
#include "t.h"
#define SYSCON 0x40000000u
#define PMC 0x40020000u
int main(void) {
    REG32(PMC + 0x10u) = (REG32(PMC + 0x10u) & ~(0xFu << 17)) | (VOUT << 17);
    REG32(SYSCON + 0x400u) = (REG32(SYSCON + 0x400u) & ~0xF000u) | (FLASHTIM << 12);
    REG32(SYSCON + 0x580u) = 1u << 21;              /* PLL0 12 MHz / 4 * 100 / 2 = 150 MHz */
    REG32(SYSCON + 0x588u) = 4u;
    REG32(SYSCON + 0x58Cu) = 1u;
    REG32(SYSCON + 0x594u) = (1u << 28) | (100u << 10);
    REG32(PMC + 0xC8u) = (1u << 9) | (1u << 23);
    while (!(REG32(SYSCON + 0x584u) & 1u)) { }
    REG32(SYSCON + 0x284u) = 1u;                    /* main clock = PLL0 */
    mark(1u);
    return 0;
}
"""


@pytest.mark.parametrize(
    ("name", "defines", "problem"),
    [
        ("stm32u585", (1, 1, 0), "FLASH_ACR.LATENCY 0 below the 4 wait states HCLK 160000000 Hz"),
        ("stm32u585", (1, 1, 3), "FLASH_ACR.LATENCY 3 below the 4 wait states"),
        ("stm32u585", (0, 0, 4), "HCLK 160000000 Hz above 24000000 Hz, the maximum of voltage"),
        ("stm32u585", (1, 0, 4), "above 55000000 Hz without the EPOD booster ready"),
        ("lpc55s69", (8, 1), "FMCCR.FLASHTIM 1 below the 11 the core clock 150000000 Hz needs"),
        ("lpc55s69", (6, 11), "PMC DCDC0.VOUT 6 below 8 for the core clock 150000000 Hz"),
    ],
)
def test_a_missing_step_of_the_clock_sequence_faults(
    name: str, defines: tuple[int, ...], problem: str, tmp_path: Path
) -> None:
    chip = load_platform(name)
    if name == "stm32u585":
        head = "#define VOS {}u\n#define BOOST {}u\n#define LATENCY {}u\n".format(*defines)
        source = STM32_BAD
    else:
        head = "#define VOUT {}u\n#define FLASHTIM {}u\n".format(*defines)
        source = LPC_BAD
    prog = Program(chip, build(chip, head + source, tmp_path))
    prog.engine.run(2_000_000)
    assert prog.fault == 0x103  # HardFault, before the switch's next instruction completed
    assert prog.log == []
    clocks = prog.engine.soc.peripheral("rcc" if name == "stm32u585" else "syscon")
    violations = clocks.violations  # type: ignore[attr-defined]
    assert len(violations) == 1 and problem in violations[0], violations


def test_a_violation_only_recorded_lets_the_core_run_on(tmp_path: Path) -> None:
    """``set_clock_limit_faults(False)`` (a profile's ``overrides.clock_limits: record``): the
    same violation is recorded, reported by the engine, and the program runs to its end."""
    chip = load_platform("stm32u585")
    head = "#define VOS 1u\n#define BOOST 1u\n#define LATENCY 0u\n"
    prog = Program(chip, build(chip, head + STM32_BAD, tmp_path))
    prog.engine.set_clock_limit_faults(False)
    prog.engine.run(2_000_000)
    assert prog.fault == 0 and prog.log == [1]
    (violation,) = prog.engine.clock_violations()
    assert "FLASH_ACR.LATENCY 0 below the 4 wait states HCLK 160000000 Hz" in violation


def test_reset_restores_the_reset_clock(tmp_path: Path) -> None:
    chip = load_platform("lpc55s69")
    prog = Program(chip, build(chip, LPC, tmp_path))
    prog.run(2_000_000)
    assert prog.engine.timebase.hz != chip.core.clock_hz
    from hil.engine.base import ResetCause

    prog.engine.reset(ResetCause.PIN)
    assert prog.engine.timebase.hz == chip.core.clock_hz
    t0, i0 = prog.engine.time_ns, prog.engine.instructions
    prog.engine.run(1000)
    # 1 ms at 12 MHz again
    assert prog.engine.instructions - i0 == 12_000
    assert prog.engine.time_ns - t0 == 1_000_000
