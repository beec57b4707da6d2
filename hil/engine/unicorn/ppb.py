"""The parts of the Private Peripheral Bus that Unicorn's core does not model.

Mapped as one MMIO window over 0xE0000000..0xE00FFFFF; the System Control Space is visible at
0xE000E000 and at its non-secure alias 0xE002E000. SCB registers behave as on a Cortex-M33
(VTOR, AIRCR with VECTKEY and SYSRESETREQ, SHCSR, fault status), NVIC and SysTick are plain
storage (the firmware is polled), DWT CYCCNT reads virtual time. Unknown offsets read 0 and
ignore writes.
"""

from __future__ import annotations

from collections.abc import Callable

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

# SCS offsets (from 0xE000E000)
_ICSR, _VTOR, _AIRCR, _CCR = 0xD04, 0xD08, 0xD0C, 0xD14
_SHCSR, _CFSR, _HFSR, _DFSR = 0xD24, 0xD28, 0xD2C, 0xD30
_MMFAR, _BFAR = 0xD34, 0xD38
_ISER, _ICER, _ISPR, _ICPR = 0x100, 0x180, 0x200, 0x280
_W1C = {_CFSR, _HFSR, _DFSR}
# plain read/write storage (SysTick, NVIC priorities, SHPR, SCR, CPACR, FPU, DEMCR, ...)
_STORAGE = (
    {0x010, 0x014, 0x018, 0xD10, 0xD18, 0xD1C, 0xD20, 0xD3C, 0xD88, 0xD8C, 0xDF0, 0xDFC}
    | set(range(0x400, 0x5F0, 4))
    | {0xF34, 0xF38, 0xF3C}
)
_RESET_VALUES = {0x01C: 0x40000000, _CCR: 0x00000201, 0xF34: 0xC0000000}


class SystemControlSpace:
    """Register state of SCB, NVIC, SysTick and DWT."""

    def __init__(
        self,
        boot_address: int,
        instructions: Callable[[], int],
        sysresetreq: Callable[[], None],
        vectactive: Callable[[], int],
    ) -> None:
        self._boot_address = boot_address
        self._instructions = instructions
        self._sysresetreq = sysresetreq
        self._vectactive = vectactive
        self.reset()

    def reset(self) -> None:
        self.vtor = self._boot_address
        self.shcsr = 0
        self.cfsr = 0
        self.hfsr = 0
        self.bfar = 0
        self.mmfar = 0
        self.dfsr = 0
        self.prigroup = 0
        self.nvic_enabled = [0] * 16
        self.nvic_pending = [0] * 16
        self.storage: dict[int, int] = dict(_RESET_VALUES)
        self.cyccnt_base = 0

    # -- bus access (offset inside the 1 MiB PPB window) --------------------------------------
    def read(self, offset: int, size: int) -> int:
        word = self.read32(offset & ~3)
        shift = (offset & 3) * 8
        return (word >> shift) & ((1 << (size * 8)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        aligned = offset & ~3
        shift = (offset & 3) * 8
        mask = ((1 << (size * 8)) - 1) << shift
        value = (value << shift) & mask
        scs = self._scs_offset(aligned)
        if scs in _W1C or scs in (_ISER, _ICER, _ISPR, _ICPR) or scs is None:
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

    def read32(self, offset: int) -> int:
        if offset == DWT + 4:
            return (self._instructions() - self.cyccnt_base) & 0xFFFFFFFF
        scs = self._scs_offset(offset)
        if scs is None:
            return 0x40000000 if offset == DWT else 0  # DWT CTRL: NUMCOMP=4
        if scs == 0xD00:
            return CPUID_M33
        if scs == _ICSR:
            return self._vectactive() & 0x1FF
        if scs == _VTOR:
            return self.vtor
        if scs == _AIRCR:
            return (AIRCR_VECTKEYSTAT << 16) | (self.prigroup << 8)
        if scs == _SHCSR:
            return self.shcsr
        if scs == _CFSR:
            return self.cfsr
        if scs == _HFSR:
            return self.hfsr
        if scs == _DFSR:
            return self.dfsr
        if scs == _MMFAR:
            return self.mmfar
        if scs == _BFAR:
            return self.bfar
        for base, regs in (
            (_ISER, self.nvic_enabled),
            (_ICER, self.nvic_enabled),
            (_ISPR, self.nvic_pending),
            (_ICPR, self.nvic_pending),
        ):
            if base <= scs < base + 0x40:
                return regs[(scs - base) // 4]
        return self.storage.get(scs, 0)

    def write32(self, offset: int, value: int) -> None:
        if offset == DWT + 4:
            self.cyccnt_base = (self._instructions() - value) & 0xFFFFFFFF
            return
        scs = self._scs_offset(offset)
        if scs is None:
            return
        if scs == _VTOR:
            self.vtor = value & 0xFFFFFF80
        elif scs == _AIRCR:
            if (value >> 16) == AIRCR_VECTKEY:
                self.prigroup = (value >> 8) & 7
                if value & AIRCR_SYSRESETREQ:
                    self._sysresetreq()
        elif scs == _SHCSR:
            self.shcsr = value & 0x003F0000 | (self.shcsr & 0xFFFF)
        elif scs == _CFSR:
            self.cfsr &= ~value
        elif scs == _HFSR:
            self.hfsr &= ~value
        elif scs == _DFSR:
            self.dfsr &= ~value
        elif scs == _MMFAR:
            self.mmfar = value
        elif scs == _BFAR:
            self.bfar = value
        elif _ISER <= scs < _ISER + 0x40:
            self.nvic_enabled[(scs - _ISER) // 4] |= value
        elif _ICER <= scs < _ICER + 0x40:
            self.nvic_enabled[(scs - _ICER) // 4] &= ~value
        elif _ISPR <= scs < _ISPR + 0x40:
            self.nvic_pending[(scs - _ISPR) // 4] |= value
        elif _ICPR <= scs < _ICPR + 0x40:
            self.nvic_pending[(scs - _ICPR) // 4] &= ~value
        elif scs in _STORAGE:
            self.storage[scs] = value & 0xFFFFFFFF
