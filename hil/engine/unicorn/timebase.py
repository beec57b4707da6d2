"""Virtual time over a core clock the firmware may change.

The core counts *cycles*: every executed instruction is one cycle, and time spent asleep (WFI),
locked up or held in reset adds the cycles that pass meanwhile. Models, the scheduler and run
budgets count *ticks*: virtual time in periods of the reset clock (``core.clock_hz`` of the
platform). While the core runs at the reset clock a tick is a cycle, so firmware that never
touches its clock tree sees exactly the numbers it always saw.

When the firmware switches the core clock (a model calls ``set_hz``) the time base starts a new
segment: ``ticks(c) = t0 + (c - c0) * reset_hz / hz``. Ticks are kept exactly (``Fraction``)
and rounded down where an integer is asked for; cycles for a tick deadline are rounded up, so a
deadline is never reached early. Integrating over segments makes "X ms of virtual time" mean
the same at any clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction


class TimeBase:
    def __init__(self, reset_hz: int, cycles: Callable[[], int]) -> None:
        self.reset_hz = reset_hz
        self._cycles = cycles
        self.hz = reset_hz
        self._c0 = 0  # cycle count where the current segment starts
        # ticks at that point, exactly: _tn / _td (integers; Fraction only off the hot path)
        self._tn = 0
        self._td = 1
        self._offset: int | None = 0  # ticks - cycles while hz == reset_hz and t0 integral

    # -- conversions ----------------------------------------------------------------------------
    def ticks_exact(self, cycles: int | None = None) -> Fraction:
        c = self._cycles() if cycles is None else cycles
        if self._offset is not None:
            return Fraction(c + self._offset)
        return Fraction(self._tn * self.hz + (c - self._c0) * self.reset_hz * self._td,
                        self._td * self.hz)  # fmt: skip

    def ticks(self, cycles: int | None = None) -> int:
        """Virtual time in reset-clock periods, rounded down."""
        c = self._cycles() if cycles is None else cycles
        if self._offset is not None:
            return c + self._offset
        # floor(t0 + (c - c0) * reset_hz / hz) in integers (the hot path at a switched clock)
        return (self._tn * self.hz + (c - self._c0) * self.reset_hz * self._td) // (
            self._td * self.hz
        )

    def cycles_at(self, ticks: int | Fraction) -> int:
        """The first cycle count at which virtual time has reached ``ticks`` (at the current
        clock; never earlier than the start of the current segment)."""
        if self._offset is not None:
            return max(self._c0, math.ceil(ticks) - self._offset)
        if isinstance(ticks, int):
            num, den = ticks, 1
        else:
            num, den = ticks.numerator, ticks.denominator
        # ceil((ticks - t0) * hz / reset_hz) with ticks = num/den, t0 = tn/td
        top = (num * self._td - self._tn * den) * self.hz
        bottom = den * self._td * self.reset_hz
        return self._c0 + max(0, -(-top // bottom))

    def cycles_for_us(self, microseconds: float) -> int:
        """Cycles of ``microseconds`` at the current clock (rounded up)."""
        return math.ceil(microseconds * self.hz / 1_000_000)

    def ns(self) -> int:
        return math.floor(self.ticks_exact() * 1_000_000_000 / self.reset_hz)

    # -- clock changes --------------------------------------------------------------------------
    def set_hz(self, hz: int) -> bool:
        """The core clock becomes ``hz`` from now on; True if it changed."""
        hz = max(1, int(hz))
        if hz == self.hz:
            return False
        now = self._cycles()
        t0 = self.ticks_exact(now)
        self._tn, self._td = t0.numerator, t0.denominator
        self._c0 = now
        self.hz = hz
        if hz == self.reset_hz and self._td == 1:
            self._offset = self._tn - now
        else:
            self._offset = None
        return True
