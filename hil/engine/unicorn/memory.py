"""RAM-like memory regions: host buffers mapped at the base address and every alias.

SRAM content after a power-on (and, for ``ram`` regions, a brownout reset) is a seeded pattern,
not zeros, so firmware relying on uninitialised RAM fails loudly and replays exactly.
"""

from __future__ import annotations

import ctypes
import mmap
import random
from typing import Any

from unicorn import UC_PROT_ALL, UC_PROT_EXEC, UC_PROT_READ

from hil.engine.unicorn.core import PAGE
from hil.platform.model import MemoryRegion, RegionKind


def round_up(size: int, unit: int = PAGE) -> int:
    return (size + unit - 1) // unit * unit


def seeded_fill(seed: int, power_on_index: int, region: str, size: int) -> bytes:
    """The content of a volatile region after power-on number ``power_on_index``."""
    return random.Random(f"{seed}:{power_on_index}:{region}").randbytes(size)


class HostBuffer:
    """Page-aligned host memory that Unicorn maps (possibly at several addresses)."""

    def __init__(self, size: int, fill: int = 0) -> None:
        self.size = size
        # private, not Python's default shared mapping: a power-cut sweep forks the process
        # (snapshot and continue), and the child's writes must not reach the parent's memory
        self._mm = mmap.mmap(-1, round_up(size, mmap.PAGESIZE), flags=mmap.MAP_PRIVATE)
        self._anchor = ctypes.c_char.from_buffer(self._mm)
        self.pointer = ctypes.addressof(self._anchor)
        if fill:
            self._mm[:size] = bytes([fill]) * size

    def read(self, offset: int, size: int) -> bytes:
        return bytes(self._mm[offset : offset + size])

    def write(self, offset: int, data: bytes) -> None:
        self._mm[offset : offset + len(data)] = data

    def find(self, pattern: bytes, start: int = 0) -> int:
        """Offset of the next occurrence of ``pattern`` at or after ``start``, or -1."""
        return self._mm.find(pattern, start, self.size)

    def map(self, uc: Any, address: int, perms: int) -> None:
        uc.mem_map_ptr(address, round_up(self.size), perms, self.pointer)


class RamRegion:
    """One ``ram``, ``backup_ram`` or ``rom`` region."""

    def __init__(self, region: MemoryRegion, uc: Any) -> None:
        self.region = region
        self._next: tuple[tuple[int, int], bytes] | None = None  # (seed, index), pattern
        self.buffer = HostBuffer(round_up(region.size))
        perms = UC_PROT_READ | UC_PROT_EXEC if region.kind is RegionKind.ROM else UC_PROT_ALL
        for base in (region.base, *region.aliases):
            self.buffer.map(uc, base, perms)

    def offset(self, address: int) -> int | None:
        for base in (self.region.base, *self.region.aliases):
            if base <= address < base + self.region.size:
                return address - base
        return None

    def fill(self, seed: int, power_on_index: int, prefetch: bool = False) -> None:
        size, name = self.region.size, self.region.name
        kept = self._next
        if kept is not None and kept[0] == (seed, power_on_index):
            data = kept[1]
        else:
            data = seeded_fill(seed, power_on_index, name, size)
        self.buffer.write(0, data)
        # the next fill's pattern, made now: processes forked from here (the points of a
        # power-cut sweep) inherit it instead of each making it at its power-on
        self._next = (
            ((seed, power_on_index + 1), seeded_fill(seed, power_on_index + 1, name, size))
            if prefetch
            else None
        )


class Memory:
    """All non-flash regions of a platform."""

    def __init__(self, regions: list[MemoryRegion], uc: Any) -> None:
        self.regions = [RamRegion(r, uc) for r in regions]
        self.prefetch = False  # make the next power-on's patterns ahead (``RamRegion.fill``)

    def find(self, address: int, size: int = 1) -> tuple[RamRegion, int] | None:
        for r in self.regions:
            off = r.offset(address)
            if off is not None and off + size <= r.region.size:
                return r, off
        return None

    def power_on_fill(self, seed: int, power_on_index: int) -> None:
        """Power-on: every volatile region gets its seeded pattern (ROM is kept)."""
        for r in self.regions:
            if r.region.kind in (RegionKind.RAM, RegionKind.BACKUP_RAM):
                r.fill(seed, power_on_index, self.prefetch)

    def brownout_fill(self, seed: int, power_on_index: int) -> None:
        """Brownout reset: SRAM is lost, the battery-backed region is kept."""
        for r in self.regions:
            if r.region.kind is RegionKind.RAM:
                r.fill(seed, power_on_index, self.prefetch)
