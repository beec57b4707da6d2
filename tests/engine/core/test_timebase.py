"""The time base: ticks of the reset clock integrated over core clock changes."""

from __future__ import annotations

from fractions import Fraction

from hil.engine.unicorn.timebase import TimeBase


def test_ticks_equal_cycles_at_the_reset_clock() -> None:
    now = [0]
    tb = TimeBase(4_000_000, lambda: now[0])
    now[0] = 12_345
    assert tb.ticks() == 12_345 and tb.cycles_at(20_000) == 20_000
    assert tb.ns() == 12_345 * 250
    assert not tb.set_hz(4_000_000)


def test_clock_changes_integrate_and_deadlines_round_up() -> None:
    now = [1000]
    tb = TimeBase(12_000_000, lambda: now[0])
    assert tb.set_hz(150_000_000)  # from cycle 1000 on, 12.5 cycles per tick
    now[0] = 1000 + 125
    assert tb.ticks_exact() == 1010 and tb.ticks() == 1010
    now[0] = 1000 + 130
    assert tb.ticks_exact() == Fraction(1000) + Fraction(130 * 12, 150)
    assert tb.ticks() == 1010  # rounded down
    assert tb.cycles_at(1011) == 1000 + 138  # 12.5 * 11 = 137.5 -> 138: never early
    assert tb.cycles_for_us(1) == 150
    tb.set_hz(12_000_000)  # back: ticks no longer integral at the switch
    assert tb.ticks(now[0]) == 1010
    now[0] += 12
    assert tb.ticks_exact() == Fraction(1000) + Fraction(130 * 12, 150) + 12
    # 1 ms at 150 MHz then 1 ms at 12 MHz is 2 ms of virtual time
    now2 = [0]
    tb2 = TimeBase(12_000_000, lambda: now2[0])
    tb2.set_hz(150_000_000)
    now2[0] = 150_000
    tb2.set_hz(12_000_000)
    now2[0] += 12_000
    assert tb2.ns() == 2_000_000
