"""STM32U585 EXTI (NS 0x4602_2000): edge detection and interrupt masking for the configurable
lines, as far as the PVD (line 16) and software triggers need it.

Registers (STC:494-509): RTSR1 0x00, FTSR1 0x04, SWIER1 0x08, RPR1 0x0C, FPR1 0x10, SECCFGR1
0x14, PRIVCFGR1 0x18, EXTICR1-4 0x60-0x6C, LOCKR 0x70, IMR1 0x80, EMR1 0x84. A model feeding a
line (the PWR's PVD output, ``params.pvd_line``, line 16 by the HAL's PWR_EXTI_LINE_PVD,
STHAL Inc/stm32u5xx_hal_pwr.h:562) calls ``line_level(line, level)``: a rising edge with RTSR1
set latches RPR1, a falling edge with FTSR1 latches FPR1. Writing 1 to SWIER1 latches RPR1
(software trigger). RPR1/FPR1 are write-one-to-clear.

Interrupts: the output of line ``n`` is asserted while IMR1[n] and (RPR1 | FPR1)[n]; the
platform wires outputs ``exti0`` .. ``exti15`` (EXTI0_IRQn .. EXTI15_IRQn) and ``pvd``
(PVD_PVM_IRQn) by name; unwired lines only latch.

Modelling choices: GPIO pins do not feed lines 0-15 (EXTICR is storage); events (EMR1) wake
nothing; every register resets to 0 (assumed: RM0456 reset values not in the sources), LOCKR
and the security/privilege configuration are storage.
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import RegisterPeripheral, merge, param_int
from hil.platform.model import PeripheralSpec

RTSR1, FTSR1, SWIER1, RPR1, FPR1, IMR1 = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x80
LINES = 23  # configurable and direct lines of EXTI1 registers the model keeps
LINE_MASK = (1 << LINES) - 1


@register
class Stm32u5Exti(RegisterPeripheral):
    model = "stm32u5_exti"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self.pvd_line = param_int(spec, "pvd_line", 16)
        self._regs: dict[int, int] = {}
        self._levels = 0
        self.power_on()

    def power_on(self) -> None:
        self._regs = {}
        self._levels = 0

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    def _output(self, line: int) -> str:
        return "pvd" if line == self.pvd_line else f"exti{line}"

    def _update(self, lines: int) -> None:
        pending = self._regs.get(RPR1, 0) | self._regs.get(FPR1, 0)
        active = pending & self._regs.get(IMR1, 0)
        for line in range(LINES):
            if lines >> line & 1:
                self.drive_irq(self._output(line), bool(active >> line & 1))

    def line_level(self, line: int, level: bool) -> None:
        """A model's signal on ``line`` is now ``level``; edges latch the pending bits."""
        bit = 1 << line
        was = bool(self._levels & bit)
        if was == level:
            return
        self._levels ^= bit
        edge_reg, pend_reg = (RTSR1, RPR1) if level else (FTSR1, FPR1)
        if self._regs.get(edge_reg, 0) & bit:
            self._regs[pend_reg] = self._regs.get(pend_reg, 0) | bit
            self._update(bit)

    def read_reg(self, offset: int) -> int:
        if offset == SWIER1:
            return 0
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        v = value & mask & LINE_MASK
        if offset in (RPR1, FPR1):
            self._regs[offset] = self._regs.get(offset, 0) & ~v
            self._update(v)
        elif offset == SWIER1:
            self._regs[RPR1] = self._regs.get(RPR1, 0) | v
            self._update(v)
        else:
            old = self._regs.get(offset, 0)
            self._regs[offset] = merge(old, value, mask)
            if offset == IMR1:
                self._update((old ^ self._regs[offset]) & LINE_MASK)
