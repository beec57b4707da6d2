"""SysTick (SYST_CSR/RVR/CVR/CALIB at 0xE000E010), computed lazily from the cycle counter.

Nothing runs per instruction: the counter's state is a reference point (cycle ``c0``, value
``v0``) plus the reload value; a read computes the value from the cycles since, and the engine
is told the cycle of the next wrap (``next_event``) so that a slice ends exactly there and the
SysTick exception is pended on time.

Counting (Arm v8-M ARM, SysTick): while ENABLE is set the counter decrements once per count
clock; the decrement from 1 to 0 sets COUNTFLAG and, with TICKINT, pends SysTick; the count
after 0 reloads RVR (so the period is RVR+1). A counter at 0 when enabled reloads at its first
count. RVR = 0 stops it at its next wrap. Any write to CVR clears it and COUNTFLAG; reading CSR
clears COUNTFLAG. The count clock is the processor clock (CLKSOURCE = 1, one count per cycle)
or the platform's external reference (CLKSOURCE = 0): one count every ``external_divider``
cycles, or none when the platform has no reference (divider 0).
"""

from __future__ import annotations

from collections.abc import Callable

ENABLE, TICKINT, CLKSOURCE, COUNTFLAG = 1, 1 << 1, 1 << 2, 1 << 16
CSR, RVR, CVR, CALIB = 0x0, 0x4, 0x8, 0xC
MASK24 = 0xFF_FFFF


class SysTick:
    def __init__(
        self,
        cycles: Callable[[], int],
        external_divider: int,
        calib: int,
        pend: Callable[[], None],
        moved: Callable[[int], None],
    ) -> None:
        self._cycles = cycles
        self._external = external_divider
        self.calib = calib & 0xFFFFFFFF
        self._pend = pend
        self._moved = moved  # the next wrap is now at this cycle (the engine cuts its slice)
        self.reset()

    def reset(self) -> None:
        self.csr = 0
        self.rvr = 0
        self._c0 = 0
        self._v0 = 0
        self._flag = False
        self._flag_step = 0  # wraps after this step (relative to c0) set COUNTFLAG
        self._next: int | None = None

    # -- counting -------------------------------------------------------------------------------
    def _divider(self) -> int:
        if self.csr & CLKSOURCE:
            return 1
        return self._external

    def _running(self) -> bool:
        return bool(self.csr & ENABLE) and self._divider() > 0

    def _step(self, cycles: int) -> int:
        return (cycles - self._c0) // self._divider() if self._running() else 0

    def _first_wrap(self) -> int | None:
        """Step (relative to c0) of the first 1 -> 0 transition, or None."""
        if self._v0 > 0:
            return self._v0
        return self.rvr + 1 if self.rvr > 0 else None

    def _wrap_after(self, step: int) -> int | None:
        """The first wrap at a step > ``step``."""
        first = self._first_wrap()
        if first is None:
            return None
        if step < first:
            return first
        if self.rvr == 0:
            return None
        period = self.rvr + 1
        return first + ((step - first) // period + 1) * period

    def _value(self, step: int) -> int:
        if step == 0:
            return self._v0
        first = self._first_wrap()
        if first is None:
            return 0
        if step < first:
            return first - step
        if self.rvr == 0:
            return 0
        m = (step - first) % (self.rvr + 1)
        return 0 if m == 0 else self.rvr + 1 - m

    def _wrapped_since_flag(self, step: int) -> bool:
        nxt = self._wrap_after(self._flag_step)
        return nxt is not None and nxt <= step

    def _rebase(self) -> None:
        """Make now the reference point (before a configuration change)."""
        now = self._cycles()
        step = self._step(now)
        if self._wrapped_since_flag(step):
            self._flag = True
        self._v0 = self._value(step)
        if self._running():
            now -= (now - self._c0) % self._divider()  # keep the count clock's phase
        self._c0 = now
        self._flag_step = 0

    def _plan(self) -> None:
        self._next = None
        if self._running():
            step = self._step(self._cycles())
            wrap = self._wrap_after(step)
            if wrap is not None:
                self._next = self._c0 + wrap * self._divider()
        if self._next is not None:
            self._moved(self._next)

    @property
    def next_event(self) -> int | None:
        """Cycle of the next wrap (COUNTFLAG, and the exception when TICKINT), or None."""
        return self._next

    def due(self, cycles: int) -> None:
        """The engine reached ``cycles`` >= ``next_event``: the wrap happens."""
        if self._next is None or cycles < self._next:
            return
        if self.csr & TICKINT:
            self._pend()
        self._plan()

    # -- registers ------------------------------------------------------------------------------
    def read(self, offset: int) -> int:
        if offset == CSR:
            step = self._step(self._cycles())
            flag = self._flag or self._wrapped_since_flag(step)
            self._flag = False
            self._flag_step = step
            return (self.csr & 7) | (COUNTFLAG if flag else 0)
        if offset == RVR:
            return self.rvr
        if offset == CVR:
            return self._value(self._step(self._cycles()))
        if offset == CALIB:
            return self.calib
        return 0

    def write(self, offset: int, value: int) -> None:
        if offset == CSR:
            self._rebase()
            self.csr = value & 7
        elif offset == RVR:
            self._rebase()
            self.rvr = value & MASK24
        elif offset == CVR:
            self._rebase()
            self._v0 = 0
            self._flag = False
        else:
            return
        self._plan()
