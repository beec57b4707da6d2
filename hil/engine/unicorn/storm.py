"""A fault storm: a fault handler that returns into the same fault, without end.

A handler that returns (an NMI handler that ignores a flash ECC error, a HardFault handler that
only logs) into an instruction that faults again repeats the same exception entry forever: the
chip loops at full speed and makes no progress until a reset. The engine enters each exception
in Python, so such a loop costs hours of wall time per second of virtual time, and a harness
waiting for the device to answer would seem to hang.

``FaultStorm.entered`` runs after every synchronous exception entry. Entries of the same exception
from the same instruction with the same stack pointer, with no peripheral access (load or store,
serial output included) since the previous one, form a run. Every ``LIMIT`` entries of a run, when
no interrupt could be taken between two entries (no external interrupt enabled in the NVIC, no
SysTick interrupt), it takes the whole state: every core register and RAM (flash changes only
through its controller). When that state equals the one taken ``LIMIT`` entries earlier, nothing
from outside can change what follows, so the loop repeats forever: the core is treated as locked up
(nothing executes, time passes, a watchdog or the harness resets it: ``ExceptionUnit.lockup``,
detail "fault storm: ..."; the run stops with ``StopReason.LOCKUP`` when nothing can reset it within
its budget). Anything else (a handler that counts in RAM, kicks a watchdog, prints, reads a timer,
or an interrupt that may arrive) keeps every entry executed exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from unicorn.arm_const import (
    UC_ARM_REG_BASEPRI,
    UC_ARM_REG_CONTROL,
    UC_ARM_REG_FAULTMASK,
    UC_ARM_REG_LR,
    UC_ARM_REG_MSP,
    UC_ARM_REG_PC,
    UC_ARM_REG_PRIMASK,
    UC_ARM_REG_PSP,
    UC_ARM_REG_R0,
    UC_ARM_REG_SP,
    UC_ARM_REG_XPSR,
)

from hil.engine.unicorn.core import Core
from hil.engine.unicorn.exceptions import ExceptionUnit
from hil.engine.unicorn.nvic import IRQ0
from hil.engine.unicorn.systick import TICKINT

if TYPE_CHECKING:
    from hil.engine.unicorn.engine import UnicornEngine

LIMIT = 256  # entries from one instruction, no peripheral access, between state comparisons

_REGS = (
    *range(UC_ARM_REG_R0, UC_ARM_REG_R0 + 13),
    UC_ARM_REG_SP,
    UC_ARM_REG_LR,
    UC_ARM_REG_PC,
    UC_ARM_REG_XPSR,
    UC_ARM_REG_CONTROL,
    UC_ARM_REG_PRIMASK,
    UC_ARM_REG_BASEPRI,
    UC_ARM_REG_FAULTMASK,
    UC_ARM_REG_MSP,
    UC_ARM_REG_PSP,
)


class FaultStorm:
    def __init__(
        self,
        core: Core,
        exceptions: ExceptionUnit,
        memory: Callable[[], Sequence[bytes]],
        activity: Callable[[], tuple[int, ...]],
        interrupts_possible: Callable[[], bool],
    ) -> None:
        """``memory``: RAM contents; ``activity``: counters that grow with any peripheral
        access (serial output included); ``interrupts_possible``: whether an interrupt could be
        taken between two entries."""
        self._core = core
        self._exceptions = exceptions
        self._memory = memory
        self._activity = activity
        self._interrupts_possible = interrupts_possible
        self._key: tuple[int, ...] | None = None
        self._count = 0
        self._snapshot: tuple[tuple[int, ...], bytes] | None = None

    @classmethod
    def of(cls, engine: UnicornEngine) -> FaultStorm:
        """Watching ``engine``'s core, RAM, peripheral accesses and interrupt enables."""

        def memory() -> list[bytes]:
            # flash changes only through the flash controller (a peripheral access ends a run)
            return [r.buffer.read(0, r.region.size) for r in engine.memory.regions]

        return cls(
            engine.core,
            engine.exceptions,
            memory,
            lambda: (engine.core.mmio_writes, engine.core.mmio_reads),
            lambda: bool(engine.nvic.enabled >> IRQ0 or engine.systick.csr & TICKINT),
        )

    def entered(self) -> None:
        """After a synchronous exception entry (module doc)."""
        sp = self._core.regs.read(UC_ARM_REG_SP)
        stacked_pc = int.from_bytes(self._core.uc.mem_read(sp + 24, 4), "little")
        key = (self._exceptions.vectactive, sp, stacked_pc, *self._activity())
        if key != self._key:
            self._key, self._count, self._snapshot = key, 1, None
            return
        self._count += 1
        if self._count % LIMIT or self._interrupts_possible():
            return
        regs = self._core.regs
        snapshot = (tuple(regs.read(r) for r in _REGS), self._contents())
        if snapshot != self._snapshot:
            # compared again LIMIT identical entries later: the whole state coming back after
            # a number of iterations with nothing from outside repeats forever
            self._snapshot = snapshot
            return
        self._exceptions.lockup(
            f"fault storm: exception {self._exceptions.vectactive} entered {self._count} times "
            "from the same instruction (its handler returns into the same fault; registers, "
            "RAM repeat, no peripheral access, no interrupt possible)"
        )
        self._key, self._count, self._snapshot = None, 0, None

    def _contents(self) -> bytes:
        h = hashlib.blake2b(digest_size=16)
        for block in self._memory():
            h.update(block)
        return h.digest()
