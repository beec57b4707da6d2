"""STM32U585 PWR (NS 0x4602_0800, window 0x400): the programmable voltage detector and the
voltage-scaling / EPOD-booster handshakes.

Follows targets.md §1.6: PWR_SVMCR at 0x10 (PVDE b4, PVDLS[7:5]), PWR_SVMSR at 0x3C (PVDO b4),
PVDLS levels 0..6 = ``params.pvd_levels_mv`` (contracts §6), 7 = external PVD_IN pin. PVDO is
computed at every read of SVMSR from ``soc.supply_mv``.

PVD interrupt: the PVD output is internally connected to EXTI line 16 (STHAL
Src/stm32u5xx_hal_pwr.c:253-256, Inc/stm32u5xx_hal_pwr.h:562). Whenever the supply changes
(``supply_changed``) or SVMCR is written, the model hands the new PVDO level to the EXTI model
named ``params.exti`` (``line_level(16, PVDO)``): a rising edge is VDD falling below the level.

Voltage scaling (PWR_VOSR 0x0C: BOOSTRDY b14, VOSRDY b15, VOS[17:16], BOOSTEN b18,
STC:14176-14187; SVMSR ACTVOSRDY b15, ACTVOS[17:16], STC:14410-14417; the HAL's sequence
STHAL Src/stm32u5xx_hal_pwr_ex.c:339-395): a write changing VOS clears VOSRDY and ACTVOSRDY;
after ``params.vos_ready_us`` ACTVOS takes the new range and both rise. Setting BOOSTEN raises
BOOSTRDY after ``params.boost_ready_us`` (cleared at once with BOOSTEN). Reset: VOS = 0
(range 4) ready, booster off.

Every other register is storage, cleared by every reset.

Modelling choices:
- Uncertain 10 (PVDO polarity): PVDO = 1 means VDD is *below* the selected threshold (the STM32
  convention): PVDO = PVDE and supply_mv < pvd_levels_mv[PVDLS]. With PVDE = 0 PVDO reads 0.
- PVDLS = 7 (external PVD_IN pin vs VREFINT) is not modelled: PVDO reads 0.
- The ready delays are assumed (no datasheet figure in the sources; both far below the HAL's
  PWR_FLAG_SETTING_DELAY-based and EPOD timeouts). The core is not slowed down by a VOS range
  too low for its clock; the RCC model (``params.clocks``, default "rcc") checks the active
  range and BOOSTRDY against HCLK whenever either changes (``voltage_range``, ``boost_ready``).
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Peripheral, Soc, register
from hil.engine.unicorn.peripherals._common import (
    RegisterPeripheral,
    merge,
    notify_clock_tree,
    param_int,
    param_int_list,
)
from hil.errors import UnknownNameError
from hil.platform.model import PeripheralSpec

VOSR, SVMCR, SVMSR = 0x0C, 0x10, 0x3C
PVDE = 1 << 4
PVDLS_SHIFT, PVDLS_MASK = 5, 0x7
PVDO = 1 << 4
BOOSTRDY, VOSRDY = 1 << 14, 1 << 15
ACTVOSRDY = 1 << 15
VOS_SHIFT, VOS_MASK, BOOSTEN = 16, 0x3 << 16, 1 << 18
VOSR_WRITABLE = VOS_MASK | BOOSTEN | (1 << 20) | (1 << 21)  # + USBBOOSTEN, USBPWREN
DEFAULT_LEVELS = [2000, 2200, 2400, 2500, 2600, 2800, 2900]
PVD_LINE = 16


@register
class Stm32u5Pwr(RegisterPeripheral):
    model = "stm32u5_pwr"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._levels = param_int_list(spec, "pvd_levels_mv", DEFAULT_LEVELS)
        self._vos_us = param_int(spec, "vos_ready_us", 10)
        self._boost_us = param_int(spec, "boost_ready_us", 20)
        raw = spec.params.get("exti")
        self._exti_name = None if raw is None else str(raw)
        self._regs: dict[int, int] = {}
        self._vos_ready = True
        self._active_vos = 0
        self._boost_ready = False
        self._gen = 0
        self._pvdo = False

    def power_on(self) -> None:
        self._regs = {}
        self._vos_ready = True
        self._active_vos = 0
        self._boost_ready = False
        self._gen += 1
        self._pvdo = False

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    # ------------------------------------------------------------------ PVD

    def pvd_threshold_mv(self) -> int | None:
        """The threshold PVDLS selects, or None (PVD off or external input)."""
        cr = self._regs.get(SVMCR, 0)
        if not cr & PVDE:
            return None
        level = (cr >> PVDLS_SHIFT) & PVDLS_MASK
        return self._levels[level] if level < len(self._levels) else None

    def pvd_output(self) -> bool:
        threshold = self.pvd_threshold_mv()
        return threshold is not None and self.soc.supply_mv < threshold

    def _exti(self) -> Peripheral | None:
        if self._exti_name is None:
            return None
        try:
            return self.soc.peripheral(self._exti_name)
        except UnknownNameError:
            return None

    def supply_changed(self) -> None:
        pvdo = self.pvd_output()
        if pvdo == self._pvdo:
            return
        self._pvdo = pvdo
        exti = self._exti()
        line_level = getattr(exti, "line_level", None)
        if line_level is not None:
            line_level(param_int(self.spec, "pvd_line", PVD_LINE), pvdo)

    # ------------------------------------------------------------------ voltage scaling

    def _later(self, microseconds: int, then: str) -> None:
        gen = self._gen

        def done() -> None:
            if gen != self._gen:
                return
            vosr = self._regs.get(VOSR, 0)
            if then == "vos":
                self._active_vos = (vosr & VOS_MASK) >> VOS_SHIFT
                self._vos_ready = True
            elif vosr & BOOSTEN:
                self._boost_ready = True
            self._notify()

        t = self.soc.us_to_instructions(microseconds)
        self.soc.schedule(self.soc.instructions + t, done)

    def voltage_range(self) -> int:
        """The active voltage range, 1 (VOS = 3, highest) .. 4 (VOS = 0, reset)."""
        return 4 - self._active_vos

    def boost_ready(self) -> bool:
        return self._boost_ready

    def _notify(self) -> None:
        notify_clock_tree(self.soc, str(self.spec.params.get("clocks", "rcc")))

    def _write_vosr(self, value: int, mask: int) -> None:
        old = self._regs.get(VOSR, 0)
        new = merge(old, value, mask) & VOSR_WRITABLE
        self._regs[VOSR] = new
        if (new ^ old) & VOS_MASK:
            self._gen += 1  # a pending range change is superseded
            self._vos_ready = False
            self._later(self._vos_us, "vos")
            if self._boost_ready or new & BOOSTEN and not old & BOOSTEN:
                self._boost_ready = False
                self._later(self._boost_us, "boost")
        elif new & BOOSTEN and not old & BOOSTEN:
            self._later(self._boost_us, "boost")
        if not new & BOOSTEN:
            self._boost_ready = False
        self._notify()

    # ------------------------------------------------------------------ registers

    def read_reg(self, offset: int) -> int:
        if offset == SVMSR:
            value = self._regs.get(SVMSR, 0) & ~(PVDO | ACTVOSRDY | VOS_MASK)
            value |= self._active_vos << VOS_SHIFT
            if self._vos_ready:
                value |= ACTVOSRDY
            if self.pvd_output():
                value |= PVDO
            return value
        if offset == VOSR:
            value = self._regs.get(VOSR, 0)
            if self._vos_ready:
                value |= VOSRDY
            if self._boost_ready:
                value |= BOOSTRDY
            return value
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == SVMSR:
            return  # status register: read-only
        if offset == VOSR:
            self._write_vosr(value, mask)
            return
        self._regs[offset] = merge(self._regs.get(offset, 0), value, mask)
        if offset == SVMCR:
            self.supply_changed()
