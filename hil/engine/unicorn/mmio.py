"""Peripheral windows: each model's window is mapped as MMIO at its base and every alias.

Loads and stores call the model's ``read``/``write`` with the offset inside the window. An access
beyond the model's ``size`` (inside the 1 KiB-rounded mapping) is a precise BusFault.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hil.engine.unicorn.memory import round_up
from hil.engine.unicorn.peripheral import Peripheral

BusFault = Callable[[int], None]  # bus address -> raise a precise BusFault there


class PeripheralBus:
    def __init__(self, models: list[Peripheral]) -> None:
        self.models = models
        self._windows: list[tuple[int, int, Peripheral]] = []
        for m in models:
            for base in (m.spec.base, *m.spec.aliases):
                self._windows.append((base, m.spec.size, m))

    def map(
        self,
        uc: Any,
        guard: Callable[..., Any],
        set_access: Callable[[int], None],
        bus_fault: BusFault,
    ) -> None:
        for base, size, model in self._windows:

            def read(
                _uc: Any,
                offset: int,
                width: int,
                _ud: object,
                base: int = base,
                size: int = size,
                model: Peripheral = model,
            ) -> int:
                set_access(base + offset)
                if offset + width > size:
                    bus_fault(base + offset)
                    return 0
                return model.read(offset, width) & ((1 << (8 * width)) - 1)

            def write(
                _uc: Any,
                offset: int,
                width: int,
                value: int,
                _ud: object,
                base: int = base,
                size: int = size,
                model: Peripheral = model,
            ) -> None:
                set_access(base + offset)
                if offset + width > size:
                    bus_fault(base + offset)
                    return
                model.write(offset, width, value & ((1 << (8 * width)) - 1))

            uc.mmio_map(base, round_up(size), guard(read, 0), None, guard(write), None)

    def find(self, address: int) -> tuple[Peripheral, int] | None:
        for base, size, model in self._windows:
            if base <= address < base + size:
                return model, address - base
        return None
