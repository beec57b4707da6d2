"""Exception entry and return, done by the engine (Unicorn has no NVIC).

The priorities and the pending/active state live in the NVIC (``nvic.py``); this unit moves the
CPU. Entry (Arm v8-M ARM ExceptionTaken, as QEMU's v7m_exception_taken does it): push the basic
frame (r0-r3, r12, lr, pc, xPSR) on the current stack, 8-byte aligned with xPSR bit 9 recording
the realignment, or the extended frame (plus s0-s15, FPSCR, a reserved word) when CONTROL.FPCA
says a floating-point context is live (eager stacking: FPCCR.LSPEN is not honoured, FPCAR gets
the address of the FP area); set IPSR to the exception (Handler mode: the core uses MSP and is
privileged), clear CONTROL.SPSEL/FPCA/SFPA and the IT bits, LR = EXC_RETURN, PC = the vector
read through VTOR. EXC_RETURN = 0xFFFFFF80 | DCRS (b5) | FType (b4) | Mode (b3) | SPSEL (b2),
with S (b6) and ES (b0) set when the platform's core runs in the Secure state.

Return is a branch to 0xFFFFFFxx, which QEMU reports as an exception-exit trap: the active
exception is deactivated, the frame is popped from the stack EXC_RETURN names (PSP for Thread
mode with SPSEL, else MSP), CONTROL.SPSEL and FPCA follow EXC_RETURN, IPSR and the flags come
from the stacked xPSR, FAULTMASK clears (except on a return from NMI). An exception pending at
that point is taken at once (tail-chaining, not cycle-exact).

Synchronous faults (``pend``/``fault``) escalate to HardFault when disabled in SHCSR or when
their priority does not beat the execution priority (also SVCall); a HardFault that cannot
preempt (inside HardFault or NMI, or with FAULTMASK set) locks the core up.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from unicorn.arm_const import (
    UC_ARM_REG_BASEPRI,
    UC_ARM_REG_CONTROL,
    UC_ARM_REG_FAULTMASK,
    UC_ARM_REG_FPSCR,
    UC_ARM_REG_LR,
    UC_ARM_REG_MSP,
    UC_ARM_REG_PC,
    UC_ARM_REG_PRIMASK,
    UC_ARM_REG_PSP,
    UC_ARM_REG_R0,
    UC_ARM_REG_R1,
    UC_ARM_REG_R2,
    UC_ARM_REG_R3,
    UC_ARM_REG_R12,
    UC_ARM_REG_S0,
    UC_ARM_REG_SP,
    UC_ARM_REG_XPSR,
    UC_ARM_REG_XPSR_NZCVQG,
)

from hil.engine.unicorn._uc import UcError
from hil.engine.unicorn.core import THUMB_BIT, Core
from hil.engine.unicorn.nvic import (
    BUSFAULT,
    HARDFAULT,
    MEMMANAGE,
    NMI,
    SVCALL,
    USAGEFAULT,
    Nvic,
)
from hil.engine.unicorn.ppb import (
    HFSR_FORCED,
    HFSR_VECTTBL,
    INVPC,
    SHCSR_BUSFAULTENA,
    SHCSR_MEMFAULTENA,
    SHCSR_USGFAULTENA,
    SystemControlSpace,
)

__all__ = [
    "BUSFAULT", "HARDFAULT", "MEMMANAGE", "NMI", "SVCALL", "USAGEFAULT",
    "ExceptionUnit", "PendingException",
]  # fmt: skip

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
CONTROL_NPRIV, CONTROL_SPSEL, CONTROL_FPCA, CONTROL_SFPA = 1, 1 << 1, 1 << 2, 1 << 3
EXC_RETURN_BASE = 0xFFFFFF80
EXC_DCRS, EXC_FTYPE, EXC_MODE, EXC_SPSEL, EXC_S, EXC_ES = 1 << 5, 1 << 4, 1 << 3, 1 << 2, 1 << 6, 1
STACK_ALIGN_BIT = 1 << 9
BASIC_FRAME, EXTENDED_FRAME = 32, 104
XPSR_FLAGS = 0xF80F0000  # NZCVQ and GE
FPCAR = 0xF38  # SCS offset (the engine keeps it in the SCS storage)


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
        nvic: Nvic,
        read_vector: Callable[[int], int | None],
        stack_ok: Callable[[int, int], bool],
        secure: bool = False,
    ) -> None:
        self._core = core
        self._scs = scs
        self.nvic = nvic
        self._read_vector = read_vector
        self._stack_ok = stack_ok
        self._secure_bits = (EXC_S | EXC_ES) if secure else 0
        self.pending: PendingException | None = None
        self.locked = False
        self.lockup_detail = ""
        self.event = False  # the WFE event register
        self.entered = 0  # exception entries (for tests and the bench)

    def reset(self) -> None:
        self.pending = None
        self.locked = False
        self.lockup_detail = ""
        self.event = False

    @property
    def vectactive(self) -> int:
        return self.nvic.current

    @property
    def active(self) -> list[int]:
        """The active exceptions, oldest first."""
        return list(self.nvic.order)

    def masks(self) -> tuple[int, int, int]:
        regs = self._core.regs
        return (
            regs.read(UC_ARM_REG_PRIMASK),
            regs.read(UC_ARM_REG_BASEPRI),
            regs.read(UC_ARM_REG_FAULTMASK),
        )

    # -- synchronous faults ---------------------------------------------------------------------
    def pend(self, number: int, cfsr: int = 0, bfar: int | None = None, hfsr: int = 0) -> None:
        """Record a synchronous exception to enter at the next slice boundary (the first wins)."""
        if self.pending is None:
            self.pending = PendingException(number, cfsr, bfar, hfsr)

    def take_pending(self) -> None:
        if self.pending is not None:
            p, self.pending = self.pending, None
            self.fault(p.number, p.cfsr, p.bfar, p.hfsr)

    def fault(self, number: int, cfsr: int = 0, bfar: int | None = None, hfsr: int = 0) -> None:
        """Raise exception ``number`` now, at the current PC, with fault status to record."""
        scs, nvic = self._scs, self.nvic
        scs.cfsr |= cfsr
        scs.hfsr |= hfsr
        if bfar is not None and cfsr & 0x8000:  # BFARVALID
            scs.bfar = bfar & 0xFFFFFFFF
        current = nvic.execution_priority(*self.masks())
        target = number
        if number in _ENABLE or number == SVCALL:
            enabled = number == SVCALL or bool(scs.shcsr & _ENABLE[number])
            if not enabled or nvic.group(nvic.priority_of(number)) >= current:
                target = HARDFAULT
        if target == HARDFAULT and number != HARDFAULT:
            scs.hfsr |= HFSR_FORCED
        if nvic.priority_of(target) >= current:
            top = nvic.current
            self.lockup(f"exception {number} while exception {top} was active")
            return
        self._enter(target)

    def lockup(self, detail: str) -> None:
        self.locked = True
        self.lockup_detail = f"{detail} (pc=0x{self._core.pc:08x})"

    # -- interrupts -----------------------------------------------------------------------------
    def take_interrupt(self) -> bool:
        """Enter the pending exception that preempts now, if any."""
        nvic = self.nvic
        if not nvic.effective_pending & nvic.enabled:
            return False
        number = nvic.candidate()
        if number is None:
            return False
        group = nvic.group(nvic.priority_of(number))
        if group >= nvic.active_priority() or group >= nvic.boost(*self.masks()):
            return False  # (the masks are read only when they decide)
        self._enter(number)
        return True

    # -- entry ----------------------------------------------------------------------------------
    def _enter(self, number: int) -> None:
        uc = self._core.uc
        regs = self._core.regs
        values = [regs.read(r) for r in _FRAME_REGS]
        control = regs.read(UC_ARM_REG_CONTROL)
        sp = regs.read(UC_ARM_REG_SP)
        thread = self.nvic.current == 0
        fp = bool(control & CONTROL_FPCA)
        size = EXTENDED_FRAME if fp else BASIC_FRAME
        frame = (sp - size) & 0xFFFFFFFF
        xpsr = (values[7] & ~(STACK_ALIGN_BIT | 0x1FF)) | THUMB_BIT | self.nvic.current
        if frame & 4:
            frame -= 4
            xpsr |= STACK_ALIGN_BIT
        values[6] &= ~1
        values[7] = xpsr
        if not self._stack_ok(frame, size):
            self.lockup(f"stacking exception {number} at sp=0x{sp:08x} failed")
            return
        vector = self._read_vector((self._scs.vtor + 4 * number) & 0xFFFFFFFF)
        if vector is None:
            self._scs.hfsr |= HFSR_VECTTBL
            self.lockup(f"vector {number} at VTOR 0x{self._scs.vtor:08x} unreadable")
            return
        data = struct.pack("<8I", *(v & 0xFFFFFFFF for v in values))
        if fp:
            fpregs = [regs.read(UC_ARM_REG_S0 + i) for i in range(16)]
            data += struct.pack("<18I", *fpregs, regs.read(UC_ARM_REG_FPSCR), 0)
            self._scs.storage[FPCAR] = (frame + BASIC_FRAME) & 0xFFFFFFF8
        try:
            uc.mem_write(frame, data)
        except UcError:
            self.lockup(f"stacking exception {number} at sp=0x{sp:08x} failed")
            return
        exc_return = EXC_RETURN_BASE | EXC_DCRS | self._secure_bits
        if not fp:
            exc_return |= EXC_FTYPE
        if thread:
            exc_return |= EXC_MODE
            if control & CONTROL_SPSEL:
                exc_return |= EXC_SPSEL
        regs.write(UC_ARM_REG_SP, frame)
        # Handler mode first (privileged, MSP), then CONTROL
        regs.write(UC_ARM_REG_XPSR_NZCVQG, (values[7] & XPSR_FLAGS) | THUMB_BIT | number)
        regs.write(UC_ARM_REG_CONTROL, control & ~(CONTROL_SPSEL | CONTROL_FPCA | CONTROL_SFPA))
        regs.write(UC_ARM_REG_LR, exc_return)
        regs.write(UC_ARM_REG_PC, vector & ~1)
        self.nvic.activate(number)
        self.event = True
        self.entered += 1

    # -- return ---------------------------------------------------------------------------------
    def exception_return(self) -> bool:
        """The CPU branched to an EXC_RETURN value: pop the frame of the active exception.
        Returns True when the core returned to Thread mode."""
        uc = self._core.uc
        regs = self._core.regs
        exc_return = self._core.pc | 1
        nvic = self.nvic
        number = nvic.current
        if not number:
            self.fault(USAGEFAULT, cfsr=INVPC)  # exception return in Thread mode
            return False
        to_thread = bool(exc_return & EXC_MODE)
        use_psp = to_thread and bool(exc_return & EXC_SPSEL)
        fp = not exc_return & EXC_FTYPE
        size = EXTENDED_FRAME if fp else BASIC_FRAME
        sp = regs.read(UC_ARM_REG_PSP if use_psp else UC_ARM_REG_MSP)
        if not self._stack_ok(sp, size):
            self.lockup(f"unstacking from sp=0x{sp:08x} failed")
            return False
        raw = bytes(uc.mem_read(sp, size))
        values = struct.unpack_from("<8I", raw)
        xpsr = values[7]
        ipsr = 0 if to_thread else xpsr & 0x1FF
        if not to_thread and not ipsr:
            ipsr = nvic.order[-2] if len(nvic.order) > 1 else 0
        nvic.deactivate(number)
        control = regs.read(UC_ARM_REG_CONTROL)
        control &= ~(CONTROL_SPSEL | CONTROL_FPCA | CONTROL_SFPA)
        if use_psp:
            control |= CONTROL_SPSEL
        if fp:
            # QEMU's core always runs Secure: without SFPA its next FP instruction would start a
            # new FP context (FPSCR from FPDSCR) instead of continuing the restored one
            control |= CONTROL_FPCA | CONTROL_SFPA
            fpregs = struct.unpack_from("<17I", raw, BASIC_FRAME)
            for i in range(16):
                regs.write(UC_ARM_REG_S0 + i, fpregs[i])
            regs.write(UC_ARM_REG_FPSCR, fpregs[16])
        new_sp = sp + size + (4 if xpsr & STACK_ALIGN_BIT else 0)
        if number != NMI:
            regs.write(UC_ARM_REG_FAULTMASK, 0)  # cleared by a return from all but NMI
        regs.write(UC_ARM_REG_CONTROL, control)  # still in Handler mode: no stack switch
        regs.write(UC_ARM_REG_PSP if use_psp else UC_ARM_REG_MSP, new_sp)
        for reg, value in zip(_FRAME_REGS[:6], values[:6], strict=True):
            regs.write(reg, value)
        # IPSR from the frame: leaving Handler mode switches to PSP when SPSEL says so
        regs.write(UC_ARM_REG_XPSR_NZCVQG, (xpsr & ~(STACK_ALIGN_BIT | 0x1FF)) | ipsr)
        regs.write(UC_ARM_REG_PC, values[6] & ~1)
        self.event = True
        return to_thread
