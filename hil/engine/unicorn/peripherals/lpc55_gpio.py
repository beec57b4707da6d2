"""LPC55S69 GPIO (NS 0x4008_C000): the input pins of one port that the harness drives, such
as the rescue strap (ISP button PIO0_5 on the LPC55S69-EVK).

Registers (UM11126 GPIO chapter; CMSIS ``GPIO_Type``), for port p and pin n:
B[p][n] byte at 0x0000 + 0x20 p + n, W[p][n] word at 0x1000 + 0x80 p + 4 n, DIR[p] 0x2000 + 4 p,
MASK[p] 0x2080, PIN[p] 0x2100, MPIN[p] 0x2180, SET[p] 0x2200, CLR[p] 0x2280, NOT[p] 0x2300,
DIRSET[p] 0x2380, DIRCLR[p] 0x2400, DIRNOT[p] 0x2480 (each + 4 p). Window 0x2500.

Parameters: ``port`` (default 0) and ``pins: {<pin name>: {bit: N}}``: pin N of that port
reads ``soc.pin(name)`` (set by ``engine.set_pin``).

Behaviour: PIN, B and W of a mapped input pin (DIR bit 0) read the pin level at the read (B: 0
or 1, W: 0 or 0xFFFFFFFF); output pins (DIR bit 1) read the output latch; MPIN reads PIN with
the MASK bits zeroed. SET/CLR/NOT change the output latch (reads of SET return the latch),
DIRSET/DIRCLR/DIRNOT change DIR. Every register resets to 0.

Modelling choices: only the configured port has mapped pins (other ports read their output
latch / 0); IOCON (digital mode, pull-ups) and the AHBCLKCTRL0 GPIO clock are not modelled.
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import (
    MASK32,
    RegisterPeripheral,
    param_int,
    param_pin_bits,
)
from hil.platform.model import PeripheralSpec

B_BASE, W_BASE = 0x0000, 0x1000
DIR, MASK, PIN, MPIN, SET, CLR, NOT = 0x2000, 0x2080, 0x2100, 0x2180, 0x2200, 0x2280, 0x2300
DIRSET, DIRCLR, DIRNOT = 0x2380, 0x2400, 0x2480
PORTS = 4  # LPC55S69 ports 0 and 1 exist; the register arrays have room for 4 (CMSIS)


@register
class Lpc55Gpio(RegisterPeripheral):
    model = "lpc55_gpio"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._port = param_int(spec, "port", 0)
        if not 0 <= self._port < PORTS:
            raise ValueError(
                f"{spec.name}.params.port: expected 0..{PORTS - 1}, found {self._port}"
            )
        self._pins = param_pin_bits(spec, 32)
        self.power_on()

    def power_on(self) -> None:
        self._dir = [0] * PORTS
        self._out = [0] * PORTS
        self._mask = [0] * PORTS

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    def pin_word(self, port: int) -> int:
        """PIN[port] as read now."""
        value = self._out[port] & self._dir[port]
        if port == self._port:
            for bit, name in self._pins.items():
                if not (self._dir[port] >> bit) & 1 and self.soc.pin(name):
                    value |= 1 << bit
        return value & MASK32

    def read(self, offset: int, size: int) -> int:
        if offset < W_BASE:  # byte pin registers B[p][n]
            port, bit = divmod(offset, 0x20)
            if port < PORTS:
                return (self.pin_word(port) >> bit) & 1
            return 0
        if offset < DIR:  # word pin registers W[p][n]
            port, rest = divmod(offset - W_BASE, 0x80)
            if port < PORTS:
                word = MASK32 if (self.pin_word(port) >> (rest // 4)) & 1 else 0
                shift = (offset & 3) * 8
                return (word >> shift) & ((1 << (size * 8)) - 1)
            return 0
        return super().read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        if offset < W_BASE:
            port, bit = divmod(offset, 0x20)
            if port < PORTS:
                self._set_out(port, bit, value & 1)
            return
        if offset < DIR:
            port, rest = divmod(offset - W_BASE, 0x80)
            if port < PORTS:
                self._set_out(port, rest // 4, 1 if value else 0)
            return
        super().write(offset, size, value)

    def _set_out(self, port: int, bit: int, level: int) -> None:
        if level:
            self._out[port] |= 1 << bit
        else:
            self._out[port] &= ~(1 << bit)

    @staticmethod
    def _index(offset: int, base: int) -> int | None:
        if base <= offset < base + 4 * PORTS:
            return (offset - base) // 4
        return None

    def read_reg(self, offset: int) -> int:
        for base, regs in ((DIR, self._dir), (MASK, self._mask), (SET, self._out)):
            i = self._index(offset, base)
            if i is not None:
                return regs[i]
        i = self._index(offset, PIN)
        if i is not None:
            return self.pin_word(i)
        i = self._index(offset, MPIN)
        if i is not None:
            return self.pin_word(i) & ~self._mask[i] & MASK32
        return 0

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        v = value & mask
        for base, regs in ((DIR, self._dir), (MASK, self._mask)):
            i = self._index(offset, base)
            if i is not None:
                regs[i] = ((regs[i] & ~mask) | v) & MASK32
                return
        i = self._index(offset, PIN)
        if i is not None:  # writing PIN sets the output latch
            self._out[i] = ((self._out[i] & ~mask) | v) & MASK32
            return
        i = self._index(offset, MPIN)
        if i is not None:
            keep = self._mask[i] | ~mask
            self._out[i] = ((self._out[i] & keep) | (v & ~self._mask[i])) & MASK32
            return
        for base, op in ((SET, "set"), (CLR, "clr"), (NOT, "not")):
            i = self._index(offset, base)
            if i is not None:
                if op == "set":
                    self._out[i] |= v
                elif op == "clr":
                    self._out[i] &= ~v
                else:
                    self._out[i] ^= v
                self._out[i] &= MASK32
                return
        for base, op in ((DIRSET, "set"), (DIRCLR, "clr"), (DIRNOT, "not")):
            i = self._index(offset, base)
            if i is not None:
                if op == "set":
                    self._dir[i] |= v
                elif op == "clr":
                    self._dir[i] &= ~v
                else:
                    self._dir[i] ^= v
                self._dir[i] &= MASK32
                return
