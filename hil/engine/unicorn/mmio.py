"""Peripheral windows: each model's window is mapped as MMIO at its base and every alias.

Loads and stores call the model's ``read``/``write`` with the offset inside the window. An access
beyond the model's ``size`` (inside the 1 KiB-rounded mapping) is a precise BusFault.

Firmware polls status registers in tight loops (flash controller commands, UART FIFOs, the
cycle counter), so every MMIO access costs one Python call from QEMU. The callbacks are
registered with Unicorn's C API directly (:func:`raw_mmio_map`): one Python frame per access,
instead of the binding's generic wrapper, its per-range trampoline and the engine's exception
guard stacked on top. What an access does is unchanged: a Python exception inside a model is
kept by :meth:`Core.fail` and re-raised once ``emu_start`` returns, exactly as
:meth:`Core.guard` does for the other callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from unicorn.unicorn_py3 import unicorn as _binding

from hil.engine.unicorn.core import Core
from hil.engine.unicorn.memory import round_up
from hil.engine.unicorn.peripheral import Peripheral
from hil.errors import EngineError

BusFault = Callable[[int], None]  # bus address -> raise a precise BusFault there
ReadFn = Callable[[int, int], int]  # (offset, width) -> value
WriteFn = Callable[[int, int, int], None]  # (offset, width, value)

# Unicorn's C entry point and callback prototypes (the binding exposes no public name for
# them; unicorn==2.1.4 is pinned in pyproject.toml)
_uclib: Any = _binding.uclib
_READ_CFUNC: Any = _binding.MMIO_READ_CFUNC
_WRITE_CFUNC: Any = _binding.MMIO_WRITE_CFUNC


def raw_mmio_map(
    uc: Any, address: int, size: int, core: Core, read: ReadFn, write: WriteFn
) -> None:
    """Map [address, address+size) as MMIO served by ``read``/``write`` (offsets inside the
    range). A Python exception inside them is handed to ``core.fail`` (the access reads 0)."""
    fail = core.fail

    def read_cb(_h: object, offset: int, width: int, _ud: object) -> int:
        try:
            return read(offset, width)
        except BaseException as exc:  # noqa: BLE001 - re-raised after emu_start
            fail(exc)
            return 0

    def write_cb(_h: object, offset: int, width: int, value: int, _ud: object) -> None:
        try:
            write(offset, width, value)
        except BaseException as exc:  # noqa: BLE001 - re-raised after emu_start
            fail(exc)

    read_fp = _READ_CFUNC(read_cb)
    write_fp = _WRITE_CFUNC(write_cb)
    status = _uclib.uc_mmio_map(uc._uch, address, size, read_fp, None, write_fp, None)
    if status != 0:
        raise EngineError(
            f"mmio map: expected Unicorn to map 0x{address:08x}+0x{size:x}, found error {status}"
        )
    # the C library keeps only the function pointers: the ctypes objects must stay alive as
    # long as the Unicorn instance (the binding keeps its own the same way)
    uc._mmio_callbacks[(address, address + size)] = (read_fp, write_fp)


class PeripheralBus:
    def __init__(self, models: list[Peripheral]) -> None:
        self.models = models
        self._windows: list[tuple[int, int, Peripheral]] = []
        for m in models:
            for base in (m.spec.base, *m.spec.aliases):
                self._windows.append((base, m.spec.size, m))

    def map(self, uc: Any, core: Core, bus_fault: BusFault) -> None:
        for base, size, model in self._windows:
            self._map_window(uc, core, bus_fault, base, size, model)

    @staticmethod
    def _map_window(
        uc: Any, core: Core, bus_fault: BusFault, base: int, size: int, model: Peripheral
    ) -> None:
        def read(offset: int, width: int) -> int:
            core.access_address = base + offset
            core.mmio_reads += 1
            if offset + width > size:
                bus_fault(base + offset)
                return 0
            return model.read(offset, width) & ((1 << (width << 3)) - 1)

        def write(offset: int, width: int, value: int) -> None:
            core.access_address = base + offset
            core.mmio_writes += 1
            if offset + width > size:
                bus_fault(base + offset)
                return
            model.write(offset, width, value & ((1 << (width << 3)) - 1))

        raw_mmio_map(uc, base, round_up(size), core, read, write)

    def find(self, address: int) -> tuple[Peripheral, int] | None:
        for base, size, model in self._windows:
            if base <= address < base + size:
                return model, address - base
        return None
