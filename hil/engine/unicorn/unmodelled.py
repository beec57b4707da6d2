"""Peripheral blocks no model covers: generic register blocks that record every access.

Every block of the chip's block map (``platform.blocks``, ``hil/platform/blocks.py``) whose
window no peripheral model, memory region or other block already covers is *present*: it is
mapped into Unicorn as MMIO the first time firmware touches it (from the engine's unmapped-access
hook, which then lets the access retry), so a run that never touches one pays nothing and maps
nothing. A mapped block behaves as a plain register file:

- a load returns the register's current value: its reset value from the block map until a store
  changed it; write-only registers and offsets with no register read 0;
- a store to a read-write register is kept (sub-word stores merge into the register); stores to
  read-only registers and to offsets with no register are dropped;
- every reset and power-on restores the reset values.

Every access is recorded (:class:`~hil.engine.base.MmioAccess`, consecutive identical accesses
merged with a count) in memory and, once a log file is set, appended to it at the end of each
run. In strict mode the first access stops the CPU before it completes and ``run`` raises
:class:`~hil.engine.base.StrictMmioStop` naming block, register, address and PC.
"""

from __future__ import annotations

import bisect
import json
from pathlib import Path
from typing import Any

from unicorn.arm_const import UC_ARM_REG_PC

from hil.engine.base import MmioAccess, StrictMmioStop
from hil.engine.unicorn.core import Core
from hil.engine.unicorn.memory import round_up
from hil.engine.unicorn.mmio import raw_mmio_map
from hil.platform.blocks import BlockSpec, RegisterSpec
from hil.platform.model import Platform

MAX_RECORDS = 100_000  # merged records kept in memory and written (the rest are counted)


class UnmodelledBlocks:
    def __init__(self, platform: Platform, core: Core) -> None:
        self._core = core
        taken = [(s, r.size) for r in platform.memory for s in (r.base, *r.aliases)]
        taken += [(s, p.size) for p in platform.peripherals for s in (p.base, *p.aliases)]
        self._starts: list[int] = []
        self._windows: list[tuple[int, int, BlockSpec]] = []  # (start, size, block)
        self._mapped: set[int] = set()
        blocks = platform.blocks
        if blocks is not None:
            spans = [(s, s + round_up(n)) for s, n in taken]
            for start, block in blocks.windows():
                end = start + block.size
                if any(lo < end and start < hi for lo, hi in spans):
                    continue  # a model (or memory) owns this window
                self._windows.append((start, block.size, block))
                self._starts.append(start)
        self._values: dict[tuple[str, int], int] = {}  # (block, register offset) -> value
        self.records: list[MmioAccess] = []
        self.dropped = 0
        self.strict = False
        self.stopped: MmioAccess | None = None
        self._log: Path | None = None
        self._written = 0
        self._merge_from = 0  # records before this index are written and never grow again

    @property
    def blocks(self) -> list[BlockSpec]:
        """The blocks answered here (each once, whatever its aliases)."""
        seen: dict[str, BlockSpec] = {}
        for _, _, b in self._windows:
            seen.setdefault(b.name, b)
        return list(seen.values())

    # -- mapping ------------------------------------------------------------------------------
    def find(self, address: int) -> tuple[int, BlockSpec] | None:
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0:
            start, size, block = self._windows[i]
            if address < start + size:
                return start, block
        return None

    def claim(self, uc: Any, address: int) -> bool:
        """Map the block holding ``address`` (first touch); False if no block holds it."""
        found = self.find(address)
        if found is None:
            return False
        start, block = found
        if start in self._mapped:
            return False  # mapped already: the fault is not ours
        self._mapped.add(start)

        def read(offset: int, width: int) -> int:
            return self._access(start, block, offset, width, None)

        def write(offset: int, width: int, value: int) -> None:
            self._access(start, block, offset, width, value)

        raw_mmio_map(uc, start, block.size, self._core, read, write)
        return True

    # -- registers ----------------------------------------------------------------------------
    def reset(self) -> None:
        self._values.clear()

    def _value(self, block: BlockSpec, reg: RegisterSpec) -> int:
        return self._values.get((block.name, reg.offset), reg.reset)

    def _access(
        self, start: int, block: BlockSpec, offset: int, width: int, store: int | None
    ) -> int:
        if self.strict and self.stopped is None:
            store = None  # the access does not complete: nothing is stored
        reg = block.register_at(offset)
        mask = (1 << (8 * width)) - 1
        if reg is None:
            value = 0 if store is None else store & mask
            name = f"+0x{offset:x}"
        else:
            shift = 8 * (offset - reg.offset)
            name = reg.name
            if store is None:
                value = 0 if reg.access == "w" else (self._value(block, reg) >> shift) & mask
            else:
                value = store & mask
                if reg.access != "r":
                    old = self._value(block, reg)
                    key = (block.name, reg.offset)
                    self._values[key] = (old & ~(mask << shift)) | (value << shift)
        self._record(block.name, name, start + offset, width, store is not None, value)
        return value

    def record(
        self, block: str, register: str, address: int, width: int, write: bool, value: int
    ) -> None:
        """An access a peripheral model reports as unmodelled (a mode or register of a modelled
        block that the model does not implement): recorded and, strict, stops the CPU."""
        self._record(block, register, address, width, write, value)

    def _record(
        self, block: str, register: str, address: int, width: int, write: bool, value: int
    ) -> None:
        core = self._core
        pc = int(core.uc.reg_read(UC_ARM_REG_PC))
        recs = self.records
        if len(recs) > self._merge_from:
            last = recs[-1]
            if (
                last.address == address
                and last.write == write
                and last.value == value
                and last.pc == pc
                and last.width == width
            ):
                recs[-1] = MmioAccess(
                    block, register, address, width, write, value, pc, last.instructions,
                    last.count + 1,
                )  # fmt: skip
                return
        access = MmioAccess(block, register, address, width, write, value, pc, core.instructions)
        if self.strict and self.stopped is None:
            self.stopped = access
            core.stop(adjust=1)  # the access does not complete
        if len(recs) >= MAX_RECORDS:
            self.dropped += 1
            return
        recs.append(access)

    # -- after a slice / a run ------------------------------------------------------------------
    def raise_if_stopped(self) -> None:
        access, self.stopped = self.stopped, None
        if access is not None:
            self.flush()
            raise StrictMmioStop(access)

    def set_log(self, path: Path) -> None:
        self._log = path
        self._written = 0
        self.flush()

    def flush(self) -> None:
        """Append the records not yet in the log file (created only when there is one)."""
        self._merge_from = len(self.records)
        if self._log is None or self._written >= len(self.records):
            return
        self._log.parent.mkdir(parents=True, exist_ok=True)
        with self._log.open("a", encoding="utf-8") as f:
            for r in self.records[self._written :]:
                f.write(json.dumps(record_json(r), sort_keys=True) + "\n")
        self._written = len(self.records)


def record_json(r: MmioAccess) -> dict[str, object]:
    return {
        "block": r.block,
        "register": r.register,
        "address": f"0x{r.address:08x}",
        "access": "write" if r.write else "read",
        "width": r.width,
        "value": f"0x{r.value:x}",
        "pc": f"0x{r.pc:08x}",
        "instructions": r.instructions,
        "count": r.count,
    }
