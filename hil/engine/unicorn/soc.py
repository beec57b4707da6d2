"""The ``Soc`` services the engine offers to peripheral models (see ``peripheral.py``)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from unicorn.arm_const import UC_ARM_REG_LR, UC_ARM_REG_PC, UC_ARM_REG_R0, UC_ARM_REG_SP

from hil.engine.base import FlashOpKind, ResetCause
from hil.engine.unicorn.exceptions import BUSFAULT
from hil.engine.unicorn.flash_array import UcFlashArray
from hil.engine.unicorn.nvic import IRQ0
from hil.engine.unicorn.peripheral import Peripheral
from hil.engine.unicorn.ppb import BFARVALID, PRECISERR
from hil.errors import EngineError, UnknownNameError
from hil.platform.model import Platform

_SPECIAL = {13: UC_ARM_REG_SP, 14: UC_ARM_REG_LR, 15: UC_ARM_REG_PC}

if TYPE_CHECKING:
    from hil.engine.unicorn.engine import UnicornEngine


class SocServices:
    """Implements ``peripheral.Soc`` on top of a :class:`UnicornEngine`."""

    def __init__(self, engine: UnicornEngine, flash: UcFlashArray) -> None:
        self._engine = engine
        self.platform: Platform = engine.platform
        self.flash = flash
        self.rng = random.Random(f"{engine.seed}:soc")
        self._drivers: dict[int, set[str]] = {}  # IRQ line -> sources asserting it
        self._by_name: dict[str, Peripheral] = {}  # ``peripheral`` lookups (first model wins)

    @property
    def instructions(self) -> int:
        return self._engine.timebase.ticks()

    def us_to_instructions(self, microseconds: float) -> int:
        return self._engine.power.us_to_instructions(microseconds)

    @property
    def core_clock_hz(self) -> int:
        return self._engine.timebase.hz

    def set_core_clock_hz(self, hz: int) -> None:
        engine = self._engine
        if engine.timebase.set_hz(hz):
            engine.core.stop_after_current()  # plan the next slice with the new clock

    def set_irq(self, line: int, asserted: bool, source: str = "") -> None:
        engine = self._engine
        nvic = engine.nvic
        if not 0 <= line < nvic.irq_lines:
            return
        drivers = self._drivers.setdefault(line, set())
        if asserted:
            drivers.add(source)
        else:
            drivers.discard(source)
        number = IRQ0 + line
        was = nvic.level >> number & 1
        nvic.set_level(number, bool(drivers))  # a shared line is the OR of its sources
        if drivers and not was:
            engine.interrupts_changed()

    def reset_irqs(self) -> None:
        self._drivers.clear()

    def pulse_irq(self, line: int) -> None:
        engine = self._engine
        if 0 <= line < engine.nvic.irq_lines:
            engine.nvic.pulse(IRQ0 + line)
            engine.interrupts_changed()

    def on_uart_rx(self, peripheral_name: str, callback: Callable[[], None]) -> None:
        self._engine.port(peripheral_name).rx_listeners.append(callback)

    @property
    def supply_mv(self) -> int:
        return self._engine.power.supply_mv

    def request_reset(self, cause: ResetCause) -> None:
        self._engine.request_reset(cause)

    def raise_exception(self, number: int, precise: bool = True) -> None:
        engine = self._engine
        address = engine.core.access_address
        if number == BUSFAULT:
            cfsr = PRECISERR | (BFARVALID if address is not None else 0)
            engine.exceptions.pend(number, cfsr=cfsr, bfar=address)
        else:
            engine.exceptions.pend(number)
        if precise:
            engine.core.stop(adjust=1)  # the access does not complete; it is re-executed on return

    def schedule(self, at_instructions: int, callback: Callable[[], None]) -> None:
        engine = self._engine
        engine.scheduler.schedule(at_instructions, callback)
        engine.core.stop_after(engine.timebase.cycles_at(at_instructions))

    def flash_op(self, kind: FlashOpKind, address: int, size: int) -> bool:
        return self._engine.announce_flash_op(kind, address, size)

    def uart_tx(self, peripheral_name: str, data: bytes) -> None:
        self._engine.port(peripheral_name).device_sent(data)
        engine = self._engine
        if engine.until_active:  # let the caller's condition see it after the reaction latency
            latency = max(1, engine.timebase.cycles_for_us(engine.until_latency_us))
            engine.core.stop_after(engine.core.instructions + latency)

    def uart_rx_pending(self, peripheral_name: str) -> int:
        return self._engine.port(peripheral_name).rx_pending()

    def uart_rx_pop(self, peripheral_name: str) -> int | None:
        return self._engine.port(peripheral_name).rx_pop()

    def peripheral(self, name: str) -> Peripheral:
        m = self._by_name.get(name)
        if m is not None:
            return m
        for m in self._engine.models:  # models hot paths ask by name: keep a map
            self._by_name.setdefault(m.spec.name, m)
            if m.spec.name == name:
                return m
        raise UnknownNameError("peripheral", name, [m.spec.name for m in self._engine.models])

    def pin(self, name: str) -> int:
        return self._engine.pins.get(name, 0)

    def core_reg(self, index: int) -> int:
        if not 0 <= index <= 15:
            raise UnknownNameError("core register", f"r{index}", [f"r{i}" for i in range(16)])
        return int(self._engine.core.uc.reg_read(UC_ARM_REG_R0 + index if index < 13 else
                                                 _SPECIAL[index]))  # fmt: skip

    def mem_read(self, address: int, size: int) -> bytes:
        return bytes(self._engine.core.uc.mem_read(address, size))

    def master_read(self, address: int, size: int) -> bytes | None:
        flash = self._engine.flash
        ns = flash.to_ns(address)
        if ns is not None:
            if size <= 0 or flash.to_ns(address + size - 1) is None:
                return None
            return None if flash.read_faults(ns, size) else flash.read(ns, size)
        found = self._engine.memory.find(address, size)
        if found is None:
            return None
        region, off = found
        return region.buffer.read(off, size)

    def mem_write(self, address: int, data: bytes) -> None:
        if self._engine.flash.to_ns(address) is not None:
            raise EngineError(f"mem_write: expected RAM or ROM, found flash 0x{address:08x}")
        self._engine.core.uc.mem_write(address, data)

    def report_unmodelled(
        self, block: str, register: str, address: int, width: int, write: bool, value: int
    ) -> None:
        self._engine.unmodelled.record(block, register, address, width, write, value)
