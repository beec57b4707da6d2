"""Unicorn's own instruction counter, read straight from its engine struct.

With ``emu_start(..., count=N)`` Unicorn keeps two adjacent ``uint64`` fields ``emu_counter`` and
``emu_count`` in its ``uc_struct``. ``emu_counter`` is the number of instructions whose code hook
ran in the current ``emu_start`` (including an instruction that was stopped before completing).
The field offset is not part of Unicorn's API, so it is found once per process by running a
scratch instance with two different counts and looking for the pair ``(N + 1, N)``.
"""

from __future__ import annotations

import ctypes
import struct
from typing import Any

from unicorn import UC_ARCH_ARM, UC_MODE_MCLASS, UC_MODE_THUMB
from unicorn.arm_const import UC_CPU_ARM_CORTEX_M33

from hil.engine.unicorn._uc import Uc
from hil.errors import EngineError

_SCAN_SIZES = (1 << 12, 1 << 16)
_offset: int | None = None


def _handle(uc: Any) -> int:
    value = uc._uch.value
    if not isinstance(value, int):
        raise EngineError("unicorn handle: expected a native pointer, found none")
    return value


def _run_scratch(count: int) -> tuple[Any, int]:
    uc: Any = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M33)
    uc.ctl_set_page_size(1024)
    uc.mem_map(0x1000, 0x400)
    uc.mem_write(0x1000, b"\xfe\xe7")  # b .
    uc.emu_start(0x1001, 0xFFFFFFFF, count=count)
    return uc, _handle(uc)


def _candidates(handle: int, count: int, size: int) -> set[int]:
    raw = ctypes.string_at(handle, size)
    want = struct.pack("<QQ", count + 1, count)
    found: set[int] = set()
    start = raw.find(want)
    while start >= 0:
        if start % 8 == 0:
            found.add(start)
        start = raw.find(want, start + 1)
    return found


def calibrate() -> int:
    """Find (once per process) the offset of ``emu_counter`` inside ``uc_struct``."""
    global _offset
    if _offset is not None:
        return _offset
    first, second = 1237, 4099
    for size in _SCAN_SIZES:
        uc1, h1 = _run_scratch(first)
        a = _candidates(h1, first, size)
        uc2, h2 = _run_scratch(second)
        b = _candidates(h2, second, size)
        both = a & b
        del uc1, uc2
        if len(both) == 1:
            _offset = both.pop()
            return _offset
        if len(both) > 1:
            break
    raise EngineError(
        "instruction counter calibration: expected exactly one offset of Unicorn's "
        f"(emu_counter, emu_count) pair, found {len(both)}; this Unicorn build is not supported"
    )


class InstructionCounter:
    """Reads ``emu_counter`` of one Unicorn instance (valid during and after ``emu_start``)."""

    def __init__(self, uc: Any) -> None:
        address = _handle(uc) + calibrate()
        self._cell = ctypes.c_uint64.from_address(address)
        self._limit = ctypes.c_uint64.from_address(address + 8)
        self._uc = uc  # keep the struct alive as long as we read it

    @property
    def raw(self) -> int:
        return int(self._cell.value)

    @property
    def limit(self) -> int:
        """``emu_count``: the running slice stops once ``raw`` exceeds it (checked per instruction,
        so lowering it during a run ends the slice exactly there)."""
        return int(self._limit.value)

    @limit.setter
    def limit(self, value: int) -> None:
        self._limit.value = value
