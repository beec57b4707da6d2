"""The CPU core: one Unicorn instance, slice execution and the stop bookkeeping of callbacks.

Every Unicorn callback the engine installs is wrapped by :meth:`Core.guard`, so a Python
exception raised inside one is stored and re-raised as ``EngineError`` once ``emu_start``
returns, instead of being lost inside the C library.

Stops: a callback that needs the CPU to stop calls :meth:`Core.stop` with the number of counted
instructions that did not complete (1 when the instruction doing the access stops before it
completes, 0 when the stop comes after an instruction completed). The executed count of the
slice is ``emu_counter - adjust`` (see ``counter.py``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from unicorn import (
    UC_ARCH_ARM,
    UC_ERR_FETCH_PROT,
    UC_ERR_FETCH_UNMAPPED,
    UC_ERR_INSN_INVALID,
    UC_MODE_MCLASS,
    UC_MODE_THUMB,
)
from unicorn.arm_const import UC_ARM_REG_PC, UC_ARM_REG_XPSR, UC_CPU_ARM_CORTEX_M33

from hil.engine.unicorn._uc import MemReader, Regs, Uc, UcError, errno_of
from hil.engine.unicorn.counter import InstructionCounter
from hil.errors import EngineError

PAGE = 1024  # Unicorn page size used by the engine (set before any mapping)
END_ADDRESS = 0xFFFFFFFF  # never reached by a Thumb PC: slices end by count or stop only
THUMB_BIT = 1 << 24

F = TypeVar("F", bound=Callable[..., Any])


WFI, WFE = "wfi", "wfe"
# Thumb encodings: 16-bit hint (0xBF30 WFI, 0xBF20 WFE) and 32-bit (0xF3AF 0x8003 / 0x8002)
_SLEEP_T16 = {0xBF30: WFI, 0xBF20: WFE}
_SLEEP_T32 = {(0xF3AF, 0x8003): WFI, (0xF3AF, 0x8002): WFE}


@dataclass
class SliceResult:
    executed: int
    errno: int | None  # Unicorn's error code when the slice ended on an invalid access
    pc: int
    at_exit: bool = False  # stopped before the instruction at an exit address
    sleep: str | None = None  # the slice ended on a WFI or WFE that completed (PC after it)


class Core:
    def __init__(self) -> None:
        self.uc: Any = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        self.uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M33)
        self.uc.ctl_set_page_size(PAGE)
        self.regs = Regs(self.uc)
        self._mem = MemReader(self.uc)
        self.counter = InstructionCounter(self.uc)
        # symbol addresses are Unicorn "exits": the CPU stops before executing them, which costs
        # nothing elsewhere (a bounded UC_HOOK_CODE would halve the speed of every instruction)
        self.uc.ctl_exits_enabled(True)
        self.uc.ctl_set_exits([])
        self.exits: set[int] = set()  # what Unicorn stops before: the two sets below
        self._fixed: set[int] = set()  # symbol addresses (add_exit)
        self._extra: set[int] = set()  # set_extra_exits (the mask watch)
        self.base = 0  # instructions executed before the current slice
        self.running = False
        self._adjust: int | None = None
        self._error: BaseException | None = None
        self.access_address: int | None = None  # bus address of the access being serviced
        self.mmio_reads = 0  # peripheral loads and stores so far (a fault storm's check)
        self.mmio_writes = 0

    # -- virtual time -------------------------------------------------------------------------
    @property
    def instructions(self) -> int:
        if self.running:
            return self.base + max(0, self.counter.raw - 1)
        return self.base

    def advance(self, instructions: int) -> None:
        """Let virtual time pass without executing (lockup, held in reset)."""
        self.base += max(0, instructions)

    # -- callbacks ----------------------------------------------------------------------------
    def stop(self, adjust: int = 1) -> None:
        """Stop the running slice; ``adjust`` counted instructions did not complete."""
        if not self.running:
            return
        if self._adjust is None:
            self._adjust = adjust
        self.uc.emu_stop()

    def stop_after(self, instructions: int) -> None:
        """End the running slice once virtual time reaches ``instructions`` (at the latest),
        after whole instructions: the access being serviced completes."""
        if not self.running:
            return
        limit = max(instructions - self.base, self.counter.raw)
        if limit < self.counter.limit:
            self.counter.limit = limit

    def stop_after_current(self) -> None:
        """End the running slice right after the instruction being executed completes."""
        self.stop_after(0)

    def fail(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc
        self.stop()

    def guard(self, fn: F, default: Any = None) -> F:
        """Wrap a Unicorn callback so that a Python exception is kept, not lost."""

        def wrapper(*args: Any) -> Any:
            try:
                return fn(*args)
            except BaseException as exc:  # noqa: BLE001 - re-raised after emu_start
                self.fail(exc)
                return default

        return wrapper  # type: ignore[return-value]

    # -- execution ----------------------------------------------------------------------------
    @property
    def pc(self) -> int:
        return self.regs.read(UC_ARM_REG_PC)

    def run_slice(self, count: int) -> SliceResult:
        """Execute at most ``count`` instructions from the current PC."""
        self._adjust = None
        self._error = None
        start = self.pc | 1
        self.running = True
        error: int | None = None
        try:
            self.uc.emu_start(start, END_ADDRESS, count=count)
        except UcError as exc:
            error = errno_of(exc)
        finally:
            self.running = False
        raw = self.counter.raw
        count = min(count, self.counter.limit)
        at_exit = False
        sleep: str | None = None
        pc = self.pc
        if self._adjust is not None:
            executed = raw - self._adjust
        elif error is not None:
            # QEMU ends WFE with EXCP_YIELD, which Unicorn reports as an invalid instruction
            # with the PC already after the WFE (an undefined instruction leaves the PC on it)
            if error == UC_ERR_INSN_INVALID and pc != start & ~1 and self._sleep_before(pc) == WFE:
                sleep, error, executed = WFE, None, raw
            else:
                executed = raw - self._error_adjust(error)
        elif raw <= count and pc in self.exits:
            executed = raw  # stopped at an exit: its instruction was never counted
            at_exit = True
        elif raw <= count and self._sleep_before(pc) == WFI:
            executed = raw  # WFI halted the CPU (EXCP_HLT): the PC is after it, it completed
            sleep = WFI
        else:
            executed = raw - 1  # the count limit: the (count+1)th instruction was not run
        executed = max(0, min(executed, count))
        self.base += executed
        self.access_address = None
        if self._error is not None:
            exc, self._error = self._error, None
            if not isinstance(exc, Exception):
                raise exc
            raise EngineError(f"error inside an emulator callback: {exc!r}") from exc
        return SliceResult(executed, error, pc, at_exit, sleep)

    def sev_before_wfe(self, pc: int) -> bool:
        """Whether a SEV (0xBF40) directly precedes the 16-bit WFE that ends just before ``pc``
        (QEMU executes SEV as a NOP; the ``sev; wfe`` idiom must not sleep)."""
        try:
            return self._mem.read((pc - 4) & 0xFFFFFFFF, 2) == b"\x40\xbf"
        except UcError:
            return False

    def _sleep_before(self, pc: int) -> str | None:
        """WFI / WFE if the instruction ending just before ``pc`` is one."""
        try:
            h = struct.unpack("<2H", self._mem.read((pc - 4) & 0xFFFFFFFF, 4))
        except UcError:
            return None
        return _SLEEP_T16.get(h[1]) or _SLEEP_T32.get((h[0], h[1]))

    def add_exit(self, address: int) -> None:
        self._fixed.add(address)
        self.exits.add(address)
        self._apply_exit(address)

    def set_extra_exits(self, addresses: set[int]) -> None:
        """Replace the exits kept besides ``add_exit``'s (the mask watch's unmasking sites)."""
        changed = self._extra ^ addresses
        self._extra = set(addresses)
        self.exits = self._fixed | self._extra
        self.uc.ctl_set_exits(sorted(self.exits))
        for address in changed:
            self.uc.ctl_remove_cache(address, address + 4)  # exits are compiled in

    def _apply_exit(self, address: int) -> None:
        self.uc.ctl_set_exits(sorted(self.exits))
        self.uc.ctl_remove_cache(address, address + 4)  # exits are compiled into translations

    def step_over_exit(self) -> SliceResult:
        """Execute the one instruction at the exit address the CPU is stopped at."""
        address = self.pc
        self.exits.discard(address)
        self._apply_exit(address)
        try:
            return self.run_slice(1)
        finally:
            self.exits.add(address)
            self._apply_exit(address)

    def _error_adjust(self, error: int) -> int:
        if error in (UC_ERR_FETCH_UNMAPPED, UC_ERR_FETCH_PROT):
            return 0  # the branch completed; the target was never counted
        if error == UC_ERR_INSN_INVALID:
            # with the Thumb bit clear (INVSTATE after a branch) the target was not counted
            return 1 if int(self.uc.reg_read(UC_ARM_REG_XPSR)) & THUMB_BIT else 0
        return 1  # data access faults: the faulting instruction did not complete
