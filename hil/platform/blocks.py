"""The chip's peripheral block map: every block of the memory map, with its registers.

A platform description names a block map file (``blocks: {file: ..., alias_offset: ...,
source: ...}`` in ``platform.yaml``). The file is generated once from the chip's register
description (``hil.platform.blockgen``: an SVD a registry package ships, or the vendor's CMSIS
device header) and committed beside ``platform.yaml`` with its source and licence. The engine
maps every block that no peripheral model covers as a generic register block: registers answer
from their reset values, stores to writable registers are kept until the next reset, and every
access is recorded with the block and register name.

File format (JSON)::

    {"schema": 1, "chip": "lpc55s69", "source": "...", "licence": "...", "generator": "...",
     "blocks": [
        {"name": "SYSCON", "base": 1073741824, "size": 4096,
         "regs": [[offset, "NAME", reset, width_bytes, "rw" | "r" | "w"], ...]},
        {"name": "CTIMER1", "base": 1073774592, "size": 4096, "like": "CTIMER0"}, ...]}

``like`` reuses the registers of an earlier block (derived peripherals).
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from hil.errors import PlatformError

SCHEMA = 1
ACCESS = ("rw", "r", "w")


@dataclass(frozen=True)
class RegisterSpec:
    name: str
    offset: int  # inside the block
    reset: int
    width: int  # bytes: 1, 2 or 4
    access: str  # rw | r (read-only: stores are dropped) | w (write-only: reads return 0)


@dataclass(frozen=True)
class BlockSpec:
    name: str
    base: int  # non-secure address
    size: int
    registers: Mapping[int, RegisterSpec]  # by offset

    def register_at(self, offset: int) -> RegisterSpec | None:
        """The register holding byte ``offset`` (a sub-word access names its register)."""
        reg = self.registers.get(offset)
        if reg is not None:
            return reg
        for back in (1, 2, 3):
            reg = self.registers.get(offset - back)
            if reg is not None and offset < reg.offset + reg.width:
                return reg
        return None


@dataclass(frozen=True)
class BlockMap:
    """The blocks of one chip, sorted by base, plus where their other alias lies."""

    file: str
    source: str
    alias_offset: int  # secure alias = base + alias_offset (0: none)
    blocks: tuple[BlockSpec, ...]

    def windows(self) -> list[tuple[int, BlockSpec]]:
        """(start address, block) for the base and the alias of every block, sorted."""
        out = [(b.base, b) for b in self.blocks]
        if self.alias_offset:
            out += [(b.base + self.alias_offset, b) for b in self.blocks]
        return sorted(out, key=lambda w: w[0])

    def find(self, address: int) -> tuple[BlockSpec, int] | None:
        """(block, offset) of a bus address in any alias, or None."""
        for start in (address, address - self.alias_offset if self.alias_offset else None):
            if start is None:
                continue
            i = bisect.bisect_right(self._bases, start) - 1
            if i >= 0:
                b = self.blocks[i]
                if b.base <= start < b.base + b.size:
                    return b, start - b.base
        return None

    @functools.cached_property
    def _bases(self) -> list[int]:
        return [b.base for b in self.blocks]


def load_block_map(path: Path, source: str, alias_offset: int, field: str) -> BlockMap:
    """Read and check a block map file; every problem is a PlatformError naming ``field``."""
    st = path.stat() if path.is_file() else None
    if st is None:
        raise PlatformError(str(path), field, "a block map file (JSON)", "no such file")
    return _load(str(path), st.st_mtime_ns, source, alias_offset, field)


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, source: str, alias_offset: int, field: str) -> BlockMap:
    del mtime_ns  # cache key only

    def fail(where: str, expected: str, found: object) -> PlatformError:
        return PlatformError(path, f"{field}{where}", expected, repr(found)[:80])

    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlatformError(path, field, "a JSON block map", str(exc)) from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else doc
        raise fail("", f"a JSON object with schema {SCHEMA}", found)
    raw = doc.get("blocks")
    if not isinstance(raw, list) or not raw:
        raise fail(".blocks", "a non-empty list of blocks", raw)
    blocks: list[BlockSpec] = []
    by_name: dict[str, BlockSpec] = {}
    for i, item in enumerate(raw):
        where = f".blocks[{i}]"
        if not isinstance(item, dict):
            raise fail(where, "a block object", item)
        name, base, size = item.get("name"), item.get("base"), item.get("size")
        if not isinstance(name, str) or not name or name in by_name:
            raise fail(f"{where}.name", "a block name not used before", name)
        if not isinstance(base, int) or not isinstance(size, int) or not _is_int(base):
            raise fail(where, "integer base and size", (base, size))
        if size <= 0 or base + size > 1 << 32:
            raise fail(where, "base and size inside the 32-bit address space", (base, size))
        like = item.get("like")
        if like is not None:
            if like not in by_name:
                raise fail(f"{where}.like", "the name of an earlier block", like)
            regs = by_name[like].registers
        else:
            regs = _registers(item.get("regs", []), size, where, fail)
        block = BlockSpec(name, base, size, regs)
        blocks.append(block)
        by_name[name] = block
    blocks.sort(key=lambda b: b.base)
    for a, b in zip(blocks, blocks[1:], strict=False):
        if a.base + a.size > b.base:
            raise fail(".blocks", "blocks that do not overlap", f"{a.name} and {b.name}")
    return BlockMap(path, source, alias_offset, tuple(blocks))


def _registers(
    raw: object, size: int, where: str, fail: Callable[[str, str, object], PlatformError]
) -> Mapping[int, RegisterSpec]:
    if not isinstance(raw, list):
        raise fail(f"{where}.regs", "a list of [offset, name, reset, width, access]", raw)
    out: dict[int, RegisterSpec] = {}
    for j, r in enumerate(raw):
        ok = (
            isinstance(r, list)
            and len(r) == 5
            and _is_int(r[0])
            and isinstance(r[1], str)
            and _is_int(r[2])
            and r[3] in (1, 2, 4)
            and r[4] in ACCESS
            and 0 <= r[0] <= size - r[3]
        )
        if not ok:
            shape = "[offset inside the block, name, reset, 1|2|4, rw|r|w]"
            raise fail(f"{where}.regs[{j}]", shape, r)
        out.setdefault(r[0], RegisterSpec(r[1], r[0], r[2] & 0xFFFF_FFFF, r[3], r[4]))
    return MappingProxyType(out)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
