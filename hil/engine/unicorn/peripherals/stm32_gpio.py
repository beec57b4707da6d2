"""STM32U585 GPIO port (one port per instance, e.g. GPIOC at NS 0x4202_0800, window 0x400):
input pins that the harness drives, such as the rescue strap.

Registers (RM0456 GPIO register map; offsets as in the CMSIS ``GPIO_TypeDef``): MODER 0x00,
OTYPER 0x04, OSPEEDR 0x08, PUPDR 0x0C, IDR 0x10, ODR 0x14, BSRR 0x18, LCKR 0x1C, AFRL 0x20,
AFRH 0x24, BRR 0x28, HSLVR 0x2C, SECCFGR 0x30.

Parameters: ``pins: {<pin name>: {bit: N}}`` maps a named board input (``soc.pin(name)``, set
by ``engine.set_pin``) to bit N of the port; ``moder_reset`` (default 0xFFFFFFFF: every pin
analog, the reset value of ports C..I), ``ospeedr_reset`` and ``pupdr_reset`` (default 0; ports
A and B differ: their debug pins reset as alternate function with pull-ups/downs).

Behaviour:
- IDR bit N reads the level of the pin mapped to N, sampled at the read, but only while
  MODER[N] is not analog (0b11): in analog mode the Schmitt trigger is off and IDR reads 0, so
  firmware must configure the pin as an input first (as on the chip). Unmapped bits read 0
  (input mode) or the ODR bit (output / alternate mode).
- BSRR (write-only, reads 0) sets ODR bits [15:0] and clears bits [31:16]; BRR clears.
- Every other register is storage, cleared to its reset value by every reset.

Modelling choices: no clock gating (RCC AHB2ENR1.GPIOxEN is not checked), no pull-up/down
(an unmapped input reads 0), no lock sequence (LCKR is storage), no secure/non-secure split.
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import (
    MASK32,
    RegisterPeripheral,
    merge,
    param_int,
    param_pin_bits,
)
from hil.platform.model import PeripheralSpec

MODER, OSPEEDR, PUPDR, IDR, ODR, BSRR, BRR = 0x00, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x28
MODE_ANALOG = 0b11


@register
class Stm32Gpio(RegisterPeripheral):
    model = "stm32_gpio"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._pins = param_pin_bits(spec, 16)
        self._reset = {
            MODER: param_int(spec, "moder_reset", MASK32) & MASK32,
            OSPEEDR: param_int(spec, "ospeedr_reset", 0) & MASK32,
            PUPDR: param_int(spec, "pupdr_reset", 0) & MASK32,
        }
        self._regs: dict[int, int] = {}
        self.power_on()

    def power_on(self) -> None:
        self._regs = dict(self._reset)

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    def input_bits(self) -> int:
        """IDR as read now."""
        moder = self._regs.get(MODER, 0)
        odr = self._regs.get(ODR, 0)
        value = 0
        for bit in range(16):
            mode = (moder >> (2 * bit)) & 0b11
            if mode == MODE_ANALOG:
                continue
            if bit in self._pins:
                level = self.soc.pin(self._pins[bit])
            else:
                level = (odr >> bit) & 1 if mode != 0 else 0
            value |= (1 if level else 0) << bit
        return value

    def read_reg(self, offset: int) -> int:
        if offset == IDR:
            return self.input_bits()
        if offset in (BSRR, BRR):
            return 0
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == IDR:
            return  # read-only
        if offset == BSRR:
            odr = self._regs.get(ODR, 0)
            odr |= value & mask & 0xFFFF
            odr &= ~(((value & mask) >> 16) & 0xFFFF)
            self._regs[ODR] = odr & 0xFFFF
            return
        if offset == BRR:
            self._regs[ODR] = self._regs.get(ODR, 0) & ~(value & mask & 0xFFFF)
            return
        self._regs[offset] = merge(self._regs.get(offset, 0), value, mask)
