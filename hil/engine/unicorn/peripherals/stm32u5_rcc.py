"""STM32U585 RCC (NS 0x4602_0C00, window 0x400): reset-cause flags in RCC_CSR.

Follows targets.md §1.5 (RCC_CSR at 0xF4; RMVF b23, OBLRSTF b25, PINRSTF b26, BORRSTF b27,
SFTRSTF b28, IWDGRSTF b29, WWDGRSTF b30, LPWRRSTF b31; flags set by hardware on their reset
event and cleared only by writing RMVF=1, so they persist across other resets) and contracts §6
(``csr_offset``, ``flag_bits``, ``cause_flags``).

Every other register of the window is plain storage (clock enables, reset registers, ...),
cleared by every reset; ready-bit handshakes of the oscillators are not modelled.

Modelling choices:
- Uncertain 9 (RCC_CSR reset value, co-occurring flags): the flags a reset sets are
  ``params.cause_flags[cause]`` (contracts §6: power-on and brownout -> BORRSTF+PINRSTF,
  software -> SFTRSTF+PINRSTF, watchdog -> IWDGRSTF+PINRSTF, pin -> PINRSTF). ``power_on()``
  clears every flag first, then sets the power-on flags; other resets OR their flags into the
  kept ones. A ``lockup`` cause has no flag of its own. MSIKSRANGE/MSISSRANGE (bits 15:8) reset
  to 4/4 (0x4400) and are storage.
- RMVF reads 0; writing RMVF=1 clears every *RSTF flag.
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import (
    RegisterPeripheral,
    merge,
    param_int,
    param_int_map,
    param_name_lists,
)
from hil.platform.model import PeripheralSpec

DEFAULT_FLAG_BITS = {
    "RMVF": 23, "OBLRSTF": 25, "PINRSTF": 26, "BORRSTF": 27, "SFTRSTF": 28,
    "IWDGRSTF": 29, "WWDGRSTF": 30, "LPWRRSTF": 31,
}  # fmt: skip
DEFAULT_CAUSE_FLAGS = {
    "power-on": ["BORRSTF", "PINRSTF"],
    "brownout": ["BORRSTF", "PINRSTF"],
    "software": ["SFTRSTF", "PINRSTF"],
    "watchdog": ["IWDGRSTF", "PINRSTF"],
    "pin": ["PINRSTF"],
    "option-bytes": ["OBLRSTF", "PINRSTF"],
}
CSR_STORAGE_MASK = 0x0000_FF00  # MSIKSRANGE[11:8], MSISSRANGE[15:12]
CSR_STORAGE_RESET = 0x0000_4400


@register
class Stm32u5Rcc(RegisterPeripheral):
    model = "stm32u5_rcc"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._csr_offset = param_int(spec, "csr_offset", 0xF4)
        self._flag_bits = param_int_map(spec, "flag_bits", DEFAULT_FLAG_BITS)
        self._cause_flags = param_name_lists(spec, "cause_flags", DEFAULT_CAUSE_FLAGS)
        self._rmvf = 1 << self._flag_bits.get("RMVF", 23)
        self._flag_mask = 0
        for name, bit in self._flag_bits.items():
            if name != "RMVF":
                self._flag_mask |= 1 << bit
        self._regs: dict[int, int] = {}
        self._flags = 0
        self._csr_storage = CSR_STORAGE_RESET
        self.power_on()

    @property
    def flags(self) -> int:
        """The *RSTF bits currently set (for the harness)."""
        return self._flags

    def _clear_registers(self) -> None:
        self._regs = {}
        self._csr_storage = CSR_STORAGE_RESET

    def power_on(self) -> None:
        self._clear_registers()
        self._flags = 0
        self.record_cause(ResetCause.POWER_ON)

    def reset(self, cause: ResetCause) -> None:
        self._clear_registers()
        self.record_cause(cause)

    def record_cause(self, cause: ResetCause) -> None:
        """OR the flags of ``cause`` into RCC_CSR (kept until RMVF)."""
        for name in self._cause_flags.get(cause.value, []):
            bit = self._flag_bits.get(name)
            if bit is not None:
                self._flags |= 1 << bit

    def read_reg(self, offset: int) -> int:
        if offset == self._csr_offset:
            return self._flags | self._csr_storage
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == self._csr_offset:
            self._csr_storage = merge(self._csr_storage, value, mask) & CSR_STORAGE_MASK
            if value & mask & self._rmvf:
                self._flags &= ~self._flag_mask
            return
        self._regs[offset] = merge(self._regs.get(offset, 0), value, mask)
