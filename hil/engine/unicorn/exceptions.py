"""Exception entry and return, done by the engine (Unicorn has no NVIC).

Unicorn stays in Thread mode with IPSR 0; the active exceptions are tracked here. Entry pushes
the 8-word basic frame on the current stack pointer (8-byte aligned, xPSR bit 9 recording the
realignment), sets LR to an EXC_RETURN value and PC to the vector read through VTOR. Returning is
a branch to 0xFFFFFFxx, which QEMU reports as an exception-exit trap; the engine pops the frame.
Configurable faults escalate to HardFault when disabled in SHCSR or raised inside a fault
handler; a synchronous exception while HardFault or NMI is active locks the core up.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from unicorn.arm_const import (
    UC_ARM_REG_LR,
    UC_ARM_REG_PC,
    UC_ARM_REG_R0,
    UC_ARM_REG_R1,
    UC_ARM_REG_R2,
    UC_ARM_REG_R3,
    UC_ARM_REG_R12,
    UC_ARM_REG_SP,
    UC_ARM_REG_XPSR,
)

from hil.engine.unicorn._uc import UcError
from hil.engine.unicorn.core import THUMB_BIT, Core
from hil.engine.unicorn.ppb import (
    BFARVALID,
    HFSR_FORCED,
    HFSR_VECTTBL,
    SHCSR_BUSFAULTENA,
    SHCSR_MEMFAULTENA,
    SHCSR_USGFAULTENA,
    SystemControlSpace,
)

NMI, HARDFAULT, MEMMANAGE, BUSFAULT, USAGEFAULT, SVCALL = 2, 3, 4, 5, 6, 11
_ENABLE = {MEMMANAGE: SHCSR_MEMFAULTENA, BUSFAULT: SHCSR_BUSFAULTENA, USAGEFAULT: SHCSR_USGFAULTENA}
_FRAME_REGS = (
    UC_ARM_REG_R0,
    UC_ARM_REG_R1,
    UC_ARM_REG_R2,
    UC_ARM_REG_R3,
    UC_ARM_REG_R12,
    UC_ARM_REG_LR,
    UC_ARM_REG_PC,
    UC_ARM_REG_XPSR,
)
EXC_RETURN_THREAD = 0xFFFFFFF9
EXC_RETURN_HANDLER = 0xFFFFFFF1
STACK_ALIGN_BIT = 1 << 9


@dataclass(frozen=True)
class PendingException:
    number: int
    cfsr: int = 0
    bfar: int | None = None
    hfsr: int = 0


class ExceptionUnit:
    def __init__(
        self,
        core: Core,
        scs: SystemControlSpace,
        read_vector: Callable[[int], int | None],
        stack_ok: Callable[[int, int], bool],
    ) -> None:
        self._core = core
        self._scs = scs
        self._read_vector = read_vector
        self._stack_ok = stack_ok
        self.active: list[int] = []
        self.pending: PendingException | None = None
        self.locked = False
        self.lockup_detail = ""

    def reset(self) -> None:
        self.active = []
        self.pending = None
        self.locked = False
        self.lockup_detail = ""

    @property
    def vectactive(self) -> int:
        return self.active[-1] if self.active else 0

    def pend(self, number: int, cfsr: int = 0, bfar: int | None = None, hfsr: int = 0) -> None:
        """Record an exception to enter at the next slice boundary (the first one wins)."""
        if self.pending is None:
            self.pending = PendingException(number, cfsr, bfar, hfsr)

    def take_pending(self) -> None:
        if self.pending is not None:
            p, self.pending = self.pending, None
            self.fault(p.number, p.cfsr, p.bfar, p.hfsr)

    def fault(self, number: int, cfsr: int = 0, bfar: int | None = None, hfsr: int = 0) -> None:
        """Raise exception ``number`` now, at the current PC, with fault status to record."""
        scs = self._scs
        scs.cfsr |= cfsr
        scs.hfsr |= hfsr
        if bfar is not None and cfsr & BFARVALID:
            scs.bfar = bfar & 0xFFFFFFFF
        target = number
        top = self.active[-1] if self.active else 0
        if (
            number in _ENABLE
            and (
                not scs.shcsr & _ENABLE[number]
                or top in (HARDFAULT, MEMMANAGE, BUSFAULT, USAGEFAULT)
            )
            or number == SVCALL
            and top
        ):
            target = HARDFAULT
        if target == HARDFAULT and number != HARDFAULT:
            scs.hfsr |= HFSR_FORCED
        if top in (NMI, HARDFAULT) and (target != NMI or top == NMI):
            self.lockup(f"exception {number} while exception {top} was active")
            return
        self._enter(target)

    def lockup(self, detail: str) -> None:
        self.locked = True
        self.lockup_detail = f"{detail} (pc=0x{self._core.pc:08x})"

    def _enter(self, number: int) -> None:
        uc = self._core.uc
        values = [int(uc.reg_read(r)) for r in _FRAME_REGS]
        sp = int(uc.reg_read(UC_ARM_REG_SP))
        frame = (sp - 32) & 0xFFFFFFFF
        xpsr = (values[7] & ~(STACK_ALIGN_BIT | 0x1FF)) | THUMB_BIT | self.vectactive
        if frame & 4:
            frame -= 4
            xpsr |= STACK_ALIGN_BIT
        values[6] &= ~1
        values[7] = xpsr
        if not self._stack_ok(frame, 32):
            self.lockup(f"stacking exception {number} at sp=0x{sp:08x} failed")
            return
        vector = self._read_vector((self._scs.vtor + 4 * number) & 0xFFFFFFFF)
        if vector is None:
            self._scs.hfsr |= HFSR_VECTTBL
            self.lockup(f"vector {number} at VTOR 0x{self._scs.vtor:08x} unreadable")
            return
        try:
            uc.mem_write(frame, struct.pack("<8I", *(v & 0xFFFFFFFF for v in values)))
        except UcError:
            self.lockup(f"stacking exception {number} at sp=0x{sp:08x} failed")
            return
        uc.reg_write(UC_ARM_REG_SP, frame)
        uc.reg_write(UC_ARM_REG_LR, EXC_RETURN_HANDLER if self.active else EXC_RETURN_THREAD)
        uc.reg_write(UC_ARM_REG_XPSR, (values[7] & 0xF8000000) | THUMB_BIT)
        uc.reg_write(UC_ARM_REG_PC, vector & ~1)
        self.active.append(number)

    def exception_return(self) -> None:
        """The CPU branched to an EXC_RETURN value: pop the frame of the active exception."""
        uc = self._core.uc
        if not self.active:
            self.fault(USAGEFAULT, cfsr=1 << 18)  # INVPC: exception return in Thread mode
            return
        sp = int(uc.reg_read(UC_ARM_REG_SP))
        if not self._stack_ok(sp, 32):
            self.lockup(f"unstacking from sp=0x{sp:08x} failed")
            return
        values = struct.unpack("<8I", bytes(uc.mem_read(sp, 32)))
        self.active.pop()
        for reg, value in zip(_FRAME_REGS[:6], values[:6], strict=True):
            uc.reg_write(reg, value)
        xpsr = values[7]
        uc.reg_write(UC_ARM_REG_XPSR, (xpsr & ~(STACK_ALIGN_BIT | 0x1FF)) | THUMB_BIT)
        uc.reg_write(UC_ARM_REG_SP, sp + 32 + (4 if xpsr & STACK_ALIGN_BIT else 0))
        uc.reg_write(UC_ARM_REG_PC, values[6] & ~1)
