"""Loops that only spend time: `b .` and `nop; b .-2`, the firmware's hang and fault-handler
spins (`for (;;) {}`, `for (;;) nop`) that wait for a watchdog, a timer or the harness.

Run turn by turn, such a loop costs the emulator as much as real code: a two-second watchdog
bound is hundreds of millions of instructions. A turn changes no register, flag or memory, so
after any whole number of turns the core is exactly as it was. ``SpinSkip`` uses that: when a
slice ended inside such a loop (``after_slice``), the next slice is replaced by advancing
virtual time to the next event the engine knows of (the scheduler, a SysTick wrap, a brownout,
the run's budget: the ``gap`` the run loop computed), in whole turns (``skip``). The cycle
count, PC and memory at that event equal those of running every turn; only wall time differs.

Not skipped: inside an IT block (the branch may be conditional), at an address the CPU stops
before (a symbol hook, a breakpoint), while a flash operation runs (its end may change what the
core fetches). For read tracking the loop's bytes count as fetched, as its turns would fetch
them. ``enabled = False`` runs every turn; ``cycles`` counts the cycles skipped.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from unicorn.arm_const import UC_ARM_REG_XPSR

from hil.engine.unicorn._uc import UcError

if TYPE_CHECKING:
    from hil.engine.unicorn.engine import UnicornEngine

# Thumb: `b .` 0xE7FE; `nop` 0xBF00 and `b` back over it 0xE7FD
B_SELF, NOP, B_BACK_2 = 0xE7FE, 0xBF00, 0xE7FD
IT_BITS = 0x0600FC00  # xPSR ICI/IT[1:0] (26:25) and IT[7:2] (15:10)


class SpinSkip:
    """The spin skip of one engine (module doc)."""

    def __init__(self, engine: UnicornEngine) -> None:
        self._e = engine
        self.enabled = True
        self.cycles = 0  # cycles skipped (part of the engine's ``instructions``)
        self._pc: int | None = None  # the last slice ended in such a loop, at this PC

    def turn(self, pc: int) -> int:
        """The instructions of one turn when the code at ``pc`` is such a loop (from either of
        its instructions), else 0."""
        core = self._e.core
        try:
            h = struct.unpack("<3H", core.uc.mem_read((pc - 2) & 0xFFFFFFFE, 6))
        except UcError:
            return 0
        if h[1] == B_SELF:
            turn = 1
        elif (h[1], h[2]) == (NOP, B_BACK_2) or (h[0], h[1]) == (NOP, B_BACK_2):
            turn = 2
        else:
            return 0  # after most slices: no second register read
        return 0 if int(core.uc.reg_read(UC_ARM_REG_XPSR)) & IT_BITS else turn

    def after_slice(self) -> None:
        """A slice ended: note whether it ended inside such a loop."""
        core = self._e.core
        pc = core.pc
        self._pc = pc if self.enabled and pc not in core.exits and self.turn(pc) else None

    def skip(self, gap: int) -> bool:
        """Instead of the next slice: advance whole turns up to ``gap`` cycles if the core is
        still in the loop the last slice ended in. Whether it did."""
        if self._pc is None:
            return False
        e = self._e
        pc = e.core.pc
        if self._pc != pc or pc in e.core.exits or e.flash_busy():
            return False
        turn = self.turn(pc)
        if not turn or gap < turn:
            return False
        flash = e.flash
        ns = flash.to_ns(pc - 2) if flash.tracking else None
        if ns is not None:
            flash.touch(ns - flash.geometry.base, 6)
        e.core.advance(gap - gap % turn)
        self.cycles += gap - gap % turn
        return True
