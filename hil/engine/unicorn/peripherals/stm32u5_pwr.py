"""STM32U585 PWR (NS 0x4602_0800, window 0x400): the programmable voltage detector.

Follows targets.md §1.6: PWR_SVMCR at 0x10 (PVDE b4, PVDLS[7:5]), PWR_SVMSR at 0x3C (PVDO b4),
PVDLS levels 0..6 = ``params.pvd_levels_mv`` (contracts §6), 7 = external PVD_IN pin.

PVDO is computed at every read of SVMSR from ``soc.supply_mv``. Every other register is
storage, cleared by every reset.

Modelling choices:
- Uncertain 10 (PVDO polarity): PVDO = 1 means VDD is *below* the selected threshold (the STM32
  convention): PVDO = PVDE and supply_mv < pvd_levels_mv[PVDLS]. With PVDE = 0 PVDO reads 0.
- PVDLS = 7 (external PVD_IN pin vs VREFINT) is not modelled: PVDO reads 0.
- Voltage scaling is always ready: VOSR.VOSRDY (b15) and SVMSR.ACTVOSRDY (b15) read 1, so
  firmware that changes the range does not spin.
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import RegisterPeripheral, merge, param_int_list
from hil.platform.model import PeripheralSpec

VOSR, SVMCR, SVMSR = 0x0C, 0x10, 0x3C
PVDE = 1 << 4
PVDLS_SHIFT, PVDLS_MASK = 5, 0x7
PVDO = 1 << 4
VOSRDY = ACTVOSRDY = 1 << 15
DEFAULT_LEVELS = [2000, 2200, 2400, 2500, 2600, 2800, 2900]


@register
class Stm32u5Pwr(RegisterPeripheral):
    model = "stm32u5_pwr"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._levels = param_int_list(spec, "pvd_levels_mv", DEFAULT_LEVELS)
        self._regs: dict[int, int] = {}

    def power_on(self) -> None:
        self._regs = {}

    def reset(self, cause: ResetCause) -> None:
        self._regs = {}

    def pvd_threshold_mv(self) -> int | None:
        """The threshold PVDLS selects, or None (PVD off or external input)."""
        cr = self._regs.get(SVMCR, 0)
        if not cr & PVDE:
            return None
        level = (cr >> PVDLS_SHIFT) & PVDLS_MASK
        return self._levels[level] if level < len(self._levels) else None

    def read_reg(self, offset: int) -> int:
        if offset == SVMSR:
            value = (self._regs.get(SVMSR, 0) & ~PVDO) | ACTVOSRDY
            threshold = self.pvd_threshold_mv()
            if threshold is not None and self.soc.supply_mv < threshold:
                value |= PVDO
            return value
        if offset == VOSR:
            return self._regs.get(VOSR, 0) | VOSRDY
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == SVMSR:
            return  # status register: read-only
        self._regs[offset] = merge(self._regs.get(offset, 0), value, mask)
