"""The parts of the Private Peripheral Bus that Unicorn's core does not model.

Mapped as one MMIO window over 0xE0000000..0xE00FFFFF; the System Control Space is visible at
0xE000E000 and at its non-secure alias 0xE002E000. Registers behave as on a Cortex-M33 without
the Security Extension's banking (Arm v8-M ARM, CMSIS core_cm33.h):

- SCB: CPUID, ICSR (VECTACTIVE, RETTOBASE, VECTPENDING, ISRPENDING, PENDSTSET/CLR,
  PENDSVSET/CLR, NMIPENDSET), VTOR, AIRCR (VECTKEY, PRIGROUP, SYSRESETREQ), SCR (SLEEPONEXIT,
  SEVONPEND), CCR, SHPR1-3 (system handler priorities), SHCSR (fault enables; active and
  pending bits of the system handlers), CFSR/HFSR/DFSR (write-one-to-clear), MMFAR, BFAR,
  CPACR (storage: Unicorn's core executes FP instructions whatever CPACR says).
- NVIC: ICTR, ISER/ICER, ISPR/ICPR, IABR (read-only), ITNS (storage), IPR (byte priorities),
  STIR. SysTick: ``systick.py``. FPU: FPCCR/FPCAR/FPDSCR storage, MVFR0-2 read-only.
- DWT CYCCNT reads the cycle counter (virtual time in cycles).

Every write that can make an exception ready calls ``changed()`` (the engine then ends the
slice after the current instruction and takes it). Unknown offsets read 0 and ignore writes.
"""

from __future__ import annotations

from collections.abc import Callable

from hil.engine.unicorn.nvic import (
    BUSFAULT,
    HARDFAULT,
    IRQ0,
    MEMMANAGE,
    NMI,
    PENDSV,
    SECUREFAULT,
    SVCALL,
    SYSTICK,
    USAGEFAULT,
    Nvic,
)
from hil.engine.unicorn.systick import SysTick

PPB_BASE = 0xE0000000
PPB_SIZE = 0x100000
SCS = 0xE000
SCS_NS = 0x2E000
DWT = 0x1000

CPUID_M33 = 0x410FD214  # Arm, r0p4, Cortex-M33
AIRCR_VECTKEY = 0x05FA
AIRCR_VECTKEYSTAT = 0xFA05
AIRCR_SYSRESETREQ = 1 << 2

SHCSR_MEMFAULTENA = 1 << 16
SHCSR_BUSFAULTENA = 1 << 17
SHCSR_USGFAULTENA = 1 << 18
SHCSR_SECUREFAULTENA = 1 << 19
SCR_SLEEPONEXIT, SCR_SEVONPEND = 1 << 1, 1 << 4

# CFSR bits
IBUSERR = 1 << 8
PRECISERR = 1 << 9
BFARVALID = 1 << 15
UNDEFINSTR = 1 << 16
INVSTATE = 1 << 17
INVPC = 1 << 18
NOCP = 1 << 19
UNALIGNED = 1 << 24
DIVBYZERO = 1 << 25
# HFSR bits
HFSR_VECTTBL = 1 << 1
HFSR_FORCED = 1 << 30
HFSR_DEBUGEVT = 1 << 31

# ICSR bits
ICSR_RETTOBASE, ICSR_ISRPENDING = 1 << 11, 1 << 22
ICSR_PENDSTCLR, ICSR_PENDSTSET, ICSR_PENDSVCLR, ICSR_PENDSVSET = 1 << 25, 1 << 26, 1 << 27, 1 << 28
ICSR_NMIPENDSET = 1 << 31

# SCS offsets (from 0xE000E000)
_ICTR, _SYST = 0x004, 0x010
_CPUID, _ICSR, _VTOR, _AIRCR, _SCR, _CCR = 0xD00, 0xD04, 0xD08, 0xD0C, 0xD10, 0xD14
_SHPR, _SHCSR, _CFSR, _HFSR, _DFSR = 0xD18, 0xD24, 0xD28, 0xD2C, 0xD30
_MMFAR, _BFAR, _STIR = 0xD34, 0xD38, 0xF00
_ISER, _ICER, _ISPR, _ICPR, _IABR, _ITNS, _IPR = 0x100, 0x180, 0x200, 0x280, 0x300, 0x380, 0x400
_W1C = {_CFSR, _HFSR, _DFSR}
_BITWISE = {_ISER, _ICER, _ISPR, _ICPR}
# plain read/write storage (SCR, CCR, AFSR, CPACR, NSACR, DHCSR, DEMCR, FPCCR, FPCAR, FPDSCR, ITNS)
_STORAGE = {_SCR, _CCR, 0xD3C, 0xD88, 0xD8C, 0xDF0, 0xDFC, 0xF34, 0xF38, 0xF3C} | set(
    range(_ITNS, _ITNS + 0x40, 4)
)
_RESET_VALUES = {_CCR: 0x00000201, 0xF34: 0xC0000000}  # STKALIGN|UNALIGN_TRP..., ASPEN|LSPEN
_MVFR = {0xF40: 0x10110021, 0xF44: 0x11000011, 0xF48: 0x00000040}  # FPv5 single precision
# SHCSR active / pended bits of the system handlers
_SHCSR_ACTIVE = {
    MEMMANAGE: 0, BUSFAULT: 1, HARDFAULT: 2, USAGEFAULT: 3, SECUREFAULT: 4, NMI: 5,
    SVCALL: 7, 12: 8, PENDSV: 10, SYSTICK: 11,
}  # fmt: skip
_SHCSR_PENDED = {USAGEFAULT: 12, MEMMANAGE: 13, BUSFAULT: 14, SVCALL: 15, SECUREFAULT: 20,
                 HARDFAULT: 21}  # fmt: skip
_SHCSR_ENABLES = 0x000F0000


class SystemControlSpace:
    """Register state of SCB, NVIC, SysTick and DWT."""

    def __init__(
        self,
        boot_address: int,
        cycles: Callable[[], int],
        sysresetreq: Callable[[], None],
        nvic: Nvic,
        systick: SysTick,
        changed: Callable[[], None],
    ) -> None:
        self._boot_address = boot_address
        self._cycles = cycles
        self._sysresetreq = sysresetreq
        self.nvic = nvic
        self.systick = systick
        self._changed = changed
        self.reset()

    def reset(self) -> None:
        self.vtor = self._boot_address
        self.shcsr = 0  # the enable bits; active/pended bits come from the NVIC
        self.cfsr = 0
        self.hfsr = 0
        self.bfar = 0
        self.mmfar = 0
        self.dfsr = 0
        self.storage: dict[int, int] = dict(_RESET_VALUES)
        self.cyccnt_base = 0
        self.nvic.reset()
        self.systick.reset()

    @property
    def scr(self) -> int:
        return self.storage.get(_SCR, 0)

    # -- bus access (offset inside the 1 MiB PPB window) --------------------------------------
    def read(self, offset: int, size: int) -> int:
        scs = self._scs_offset(offset & ~3)
        if scs is not None and (_IPR <= scs < _IPR + 0x200 or _SHPR <= scs < _SHPR + 12):
            return self._read_priority_bytes(offset, size)
        word = self.read32(offset & ~3)
        shift = (offset & 3) * 8
        return (word >> shift) & ((1 << (size * 8)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        aligned = offset & ~3
        shift = (offset & 3) * 8
        mask = ((1 << (size * 8)) - 1) << shift
        value = (value << shift) & mask
        scs = self._scs_offset(aligned)
        if scs is not None and (_IPR <= scs < _IPR + 0x200 or _SHPR <= scs < _SHPR + 12):
            for i in range(4):
                if mask >> (8 * i) & 0xFF:
                    self._write_priority(scs + i, (value >> (8 * i)) & 0xFF)
            self._changed()
        elif scs is None or scs in _W1C or scs in _BITWISE or scs in (_ICSR, _STIR):
            self.write32(aligned, value)  # bitwise registers: only the written bits act
        else:
            self.write32(aligned, (self.read32(aligned) & ~mask) | value)

    @staticmethod
    def _scs_offset(offset: int) -> int | None:
        if SCS <= offset < SCS + 0x1000:
            return offset - SCS
        if SCS_NS <= offset < SCS_NS + 0x1000:
            return offset - SCS_NS
        return None

    # -- priorities (byte registers) -----------------------------------------------------------
    @staticmethod
    def _priority_number(scs: int) -> int:
        if _IPR <= scs < _IPR + 0x200:
            return IRQ0 + scs - _IPR
        return 4 + scs - _SHPR

    def _read_priority_bytes(self, offset: int, size: int) -> int:
        value = 0
        for i in range(size):
            scs = self._scs_offset(offset + i)
            number = self._priority_number(scs) if scs is not None else 0
            byte = self.nvic.priority[number] if 4 <= number < self.nvic.count else 0
            value |= byte << (8 * i)
        return value

    def _write_priority(self, scs: int, byte: int) -> None:
        number = self._priority_number(scs)
        if number in (7, 8, 9, 10, 13):  # reserved SHPR bytes (no such handlers)
            return
        self.nvic.set_priority(number, byte)

    # -- words ---------------------------------------------------------------------------------
    def read32(self, offset: int) -> int:
        if offset == DWT + 4:
            return (self._cycles() - self.cyccnt_base) & 0xFFFFFFFF
        scs = self._scs_offset(offset)
        if scs is None:
            return 0x40000000 if offset == DWT else 0  # DWT CTRL: NUMCOMP=4
        nvic = self.nvic
        if _SYST <= scs < _SYST + 0x10:
            return self.systick.read(scs - _SYST)
        if _IPR <= scs < _IPR + 0x200 or _SHPR <= scs < _SHPR + 12:
            return self.read(offset, 4)
        if scs == _ICTR:
            return max(0, (nvic.irq_lines + 31) // 32 - 1)
        if scs == _CPUID:
            return CPUID_M33
        if scs == _ICSR:
            return self._icsr()
        if scs == _VTOR:
            return self.vtor
        if scs == _AIRCR:
            return (AIRCR_VECTKEYSTAT << 16) | (nvic.prigroup << 8)
        if scs == _SHCSR:
            return self._shcsr()
        if scs in (_CFSR, _HFSR, _DFSR, _MMFAR, _BFAR):
            return {
                _CFSR: self.cfsr, _HFSR: self.hfsr, _DFSR: self.dfsr,
                _MMFAR: self.mmfar, _BFAR: self.bfar,
            }[scs]  # fmt: skip
        if scs in _MVFR:
            return _MVFR[scs]
        for base, value in (
            (_ISER, nvic.enabled),
            (_ICER, nvic.enabled),
            (_ISPR, nvic.effective_pending),
            (_ICPR, nvic.effective_pending),
            (_IABR, nvic.active),
        ):
            if base <= scs < base + 0x40:
                return nvic.irq_word(value, (scs - base) // 4)
        return self.storage.get(scs, 0)

    def _icsr(self) -> int:
        nvic = self.nvic
        pending = nvic.effective_pending
        value = nvic.current & 0x1FF
        candidate = nvic.candidate()
        if candidate is not None:
            value |= (candidate & 0x1FF) << 12
        if nvic.rettobase():
            value |= ICSR_RETTOBASE
        if pending & nvic.line_mask:
            value |= ICSR_ISRPENDING
        if pending & (1 << SYSTICK):
            value |= ICSR_PENDSTSET
        if pending & (1 << PENDSV):
            value |= ICSR_PENDSVSET
        if pending & (1 << NMI):
            value |= ICSR_NMIPENDSET
        return value

    def _shcsr(self) -> int:
        nvic = self.nvic
        value = self.shcsr & _SHCSR_ENABLES
        for number, bit in _SHCSR_ACTIVE.items():
            if nvic.active >> number & 1:
                value |= 1 << bit
        for number, bit in _SHCSR_PENDED.items():
            if nvic.pending >> number & 1:
                value |= 1 << bit
        return value

    def write32(self, offset: int, value: int) -> None:
        if offset == DWT + 4:
            self.cyccnt_base = (self._cycles() - value) & 0xFFFFFFFF
            return
        scs = self._scs_offset(offset)
        if scs is None:
            return
        nvic = self.nvic
        if _SYST <= scs < _SYST + 0x10:
            self.systick.write(scs - _SYST, value)
        elif scs == _ICSR:
            self._write_icsr(value)
        elif scs == _VTOR:
            self.vtor = value & 0xFFFFFF80
        elif scs == _AIRCR:
            if (value >> 16) == AIRCR_VECTKEY:
                nvic.prigroup = (value >> 8) & 7
                self._changed()
                if value & AIRCR_SYSRESETREQ:
                    self._sysresetreq()
        elif scs == _SHCSR:
            self.shcsr = value & _SHCSR_ENABLES
            for number, bit in _SHCSR_PENDED.items():
                if value >> bit & 1:
                    nvic.set_pending(number)
                else:
                    nvic.clear_pending(number)
            self._changed()
        elif scs in (_CFSR, _HFSR, _DFSR):
            if scs == _CFSR:
                self.cfsr &= ~value
            elif scs == _HFSR:
                self.hfsr &= ~value
            else:
                self.dfsr &= ~value
        elif scs == _MMFAR:
            self.mmfar = value
        elif scs == _BFAR:
            self.bfar = value
        elif scs == _STIR:
            number = IRQ0 + (value & 0x1FF)
            if number < nvic.count:
                nvic.set_pending(number)
                self._changed()
        elif _ISER <= scs < _ISPR + 0x80 + 0x80:  # ISER, ICER, ISPR, ICPR
            self._write_nvic_bits(scs, value)
        elif scs in _STORAGE:
            self.storage[scs] = value & 0xFFFFFFFF

    def _write_icsr(self, value: int) -> None:
        nvic = self.nvic
        if value & ICSR_PENDSVSET:
            nvic.set_pending(PENDSV)
        elif value & ICSR_PENDSVCLR:
            nvic.clear_pending(PENDSV)
        if value & ICSR_PENDSTSET:
            nvic.set_pending(SYSTICK)
        elif value & ICSR_PENDSTCLR:
            nvic.clear_pending(SYSTICK)
        if value & ICSR_NMIPENDSET:
            nvic.set_pending(NMI)
        self._changed()

    def _write_nvic_bits(self, scs: int, value: int) -> None:
        nvic = self.nvic
        base = scs & ~0x7F
        bits = nvic.irq_bits((scs - base) // 4, value)
        if base == _ISER:
            nvic.enabled |= bits
        elif base == _ICER:
            nvic.enabled &= ~bits
        elif base == _ISPR:
            for number in range(IRQ0, nvic.count):
                if bits >> number & 1:
                    nvic.set_pending(number)
        else:
            nvic.pending &= ~bits
        self._changed()
