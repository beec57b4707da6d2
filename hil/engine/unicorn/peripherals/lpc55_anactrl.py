"""LPC55S69 ANACTRL (NS 0x4001_3000): BOD status as firmware reads it.

Follows targets.md §2.6: BOD_DCDC_INT_CTRL at 0x30 (BODVBAT_INT_ENABLE b0, BODVBAT_INT_CLEAR
b1, BODCORE_INT_ENABLE b2, BODCORE_INT_CLEAR b3) and BOD_DCDC_INT_STATUS at 0x34
(BODVBAT_STATUS b0, BODVBAT_INT_STATUS b1, BODVBAT_VAL b2 = 1 when VBAT is above the threshold,
BODCORE_STATUS b3, BODCORE_INT_STATUS b4, BODCORE_VAL b5). The threshold is the PMC's
``bod_threshold_mv()`` (BODVBAT.TRIGLVL); the PMC is found as ``params.pmc`` (default "pmc").

Behaviour: the supply is sampled whenever BOD_DCDC_INT_STATUS is read and whenever the core
calls ``sample_supply()``. BODVBAT_VAL = supply_mv >= threshold. Seeing the supply below the
threshold latches BODVBAT_STATUS (and BODVBAT_INT_STATUS when BODVBAT_INT_ENABLE); writing
BODVBAT_INT_CLEAR clears both latches (the CLEAR bits read back 0). Every other register is
storage.

Modelling choices:
- Uncertain 21 (BOD core): the core-domain BOD is not modelled: BODCORE_VAL reads 1, its
  status bits 0. PMC PDRUNCFG0.PDEN_BODVBAT (BOD powered down) is not honoured: the BOD always
  works. Hysteresis (BODVBAT.HYST) is ignored.
- A dip shorter than the gap between two samples is missed unless the core calls
  ``sample_supply()`` when it changes the supply.
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import RegisterPeripheral, merge
from hil.platform.model import PeripheralSpec

INT_CTRL, INT_STATUS = 0x30, 0x34
VBAT_INT_ENABLE, VBAT_INT_CLEAR, CORE_INT_ENABLE, CORE_INT_CLEAR = 1, 1 << 1, 1 << 2, 1 << 3
VBAT_STATUS, VBAT_INT_STATUS, VBAT_VAL, CORE_VAL = 1, 1 << 1, 1 << 2, 1 << 5


@register
class Lpc55Anactrl(RegisterPeripheral):
    model = "lpc55_anactrl"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        raw = spec.params.get("pmc", "pmc")
        self._pmc_name = str(raw)
        self._regs: dict[int, int] = {}
        self._latched = 0
        self.power_on()

    def power_on(self) -> None:
        self._regs = {}
        self._latched = 0

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    def _threshold_mv(self) -> int | None:
        pmc = self.soc.peripheral(self._pmc_name)
        getter = getattr(pmc, "bod_threshold_mv", None)
        if getter is None:
            return None
        value = getter()
        return value if isinstance(value, int) else None

    def sample_supply(self) -> bool:
        """Compare the supply with the BODVBAT threshold now; returns BODVBAT_VAL."""
        threshold = self._threshold_mv()
        if threshold is None:
            return True
        above = self.soc.supply_mv >= threshold
        if not above:
            self._latched |= VBAT_STATUS
            if self._regs.get(INT_CTRL, 0) & VBAT_INT_ENABLE:
                self._latched |= VBAT_INT_STATUS
        return above

    def read_reg(self, offset: int) -> int:
        if offset == INT_STATUS:
            val = VBAT_VAL if self.sample_supply() else 0
            return self._latched | val | CORE_VAL
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == INT_STATUS:
            return
        if offset == INT_CTRL:
            if value & mask & VBAT_INT_CLEAR:
                self._latched = 0
            new = merge(self._regs.get(INT_CTRL, 0), value, mask)
            self._regs[INT_CTRL] = new & ~(VBAT_INT_CLEAR | CORE_INT_CLEAR)
            return
        self._regs[offset] = merge(self._regs.get(offset, 0), value, mask)
