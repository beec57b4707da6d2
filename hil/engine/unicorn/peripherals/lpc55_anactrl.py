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
- The engine calls ``supply_changed`` on every supply change, which samples the supply; the
  BOD interrupt (output ``bod``, WDT_BOD_IRQn LPC:84) is asserted while BODVBAT_INT_STATUS is
  latched (it latches only with BODVBAT_INT_ENABLE).

Oscillators (LPC:4800-4805, FRO192M_CTRL 0x10 ENA_12MHZCLK b14 / ENA_96MHZCLK b30 LPC:4884,
:4920; FRO192M_STATUS 0x14 CLK_VALID b0 LPC:4938; XO32M_CTRL 0x20 ENABLE_SYSTEM_CLK_OUT b24
LPC:5005; XO32M_STATUS 0x24 XO_READY b0 LPC:5017): FRO192M_CTRL resets with the 12 MHz output
enabled (the SDK's FRO 12 MHz default, MCUX devices/LPC55S69/drivers/fsl_clock.c:673-676);
CLK_VALID reads 1 (assumed: the FRO is not power-gated here); XO_READY reads 1 while the PMC
powers the crystal oscillator and its LDO (PDRUNCFG0 PDEN_XTAL32M b8, PDEN_LDOXO32M b20 clear;
assumed: no start-up delay modelled). Writes to the two CTRL registers make the SYSCON
re-evaluate the core clock.
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import RegisterPeripheral, merge
from hil.errors import UnknownNameError
from hil.platform.model import PeripheralSpec

INT_CTRL, INT_STATUS = 0x30, 0x34
FRO192M_CTRL, FRO192M_STATUS, XO32M_CTRL, XO32M_STATUS = 0x10, 0x14, 0x20, 0x24
ENA_12MHZCLK = 1 << 14
PDRUNCFG0, PDEN_XTAL32M, PDEN_LDOXO32M = 0xB8, 1 << 8, 1 << 20
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
        self._regs = {FRO192M_CTRL: ENA_12MHZCLK}
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
                self.drive_irq("bod", True)
        return above

    def supply_changed(self) -> None:
        self.sample_supply()

    def _tell_clocks(self) -> None:
        try:
            model = self.soc.peripheral(str(self.spec.params.get("clocks", "syscon")))
        except UnknownNameError:
            return
        changed = getattr(model, "clock_changed", None)
        if changed is not None:
            changed()

    def read_reg(self, offset: int) -> int:
        if offset == INT_STATUS:
            val = VBAT_VAL if self.sample_supply() else 0
            return self._latched | val | CORE_VAL
        if offset == FRO192M_STATUS:
            return 1  # CLK_VALID
        if offset == XO32M_STATUS:
            pmc = self.soc.peripheral(self._pmc_name)
            return int(not pmc.read(PDRUNCFG0, 4) & (PDEN_XTAL32M | PDEN_LDOXO32M))
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == INT_STATUS:
            return
        if offset == INT_CTRL:
            if value & mask & VBAT_INT_CLEAR:
                self._latched = 0
                self.drive_irq("bod", False)
            new = merge(self._regs.get(INT_CTRL, 0), value, mask)
            self._regs[INT_CTRL] = new & ~(VBAT_INT_CLEAR | CORE_INT_CLEAR)
            return
        if offset in (FRO192M_STATUS, XO32M_STATUS):
            return
        self._regs[offset] = merge(self._regs.get(offset, 0), value, mask)
        if offset in (FRO192M_CTRL, XO32M_CTRL):
            self._tell_clocks()
