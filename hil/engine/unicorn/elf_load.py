"""Placing an ELF image's loadable segments in the emulated chip: a segment inside the flash
array is written to its cells (as a programmer would), one inside a RAM region to that RAM;
anything else (a ROM, a gap, a segment across two regions) is a one-line error naming the
regions that exist."""

from __future__ import annotations

from hil.engine.unicorn.flash_array import UcFlashArray
from hil.engine.unicorn.memory import Memory
from hil.engine.unicorn.symbols import read_elf
from hil.errors import EngineError
from hil.platform.model import Platform, RegionKind


def load_elf_image(
    path: str, platform: Platform, flash: UcFlashArray, memory: Memory
) -> dict[str, int]:
    """Write the segments of the ELF at ``path``; its symbol table."""
    image = read_elf(path)
    for address, data in image.segments:
        ns = flash.to_ns(address)
        if ns is not None and flash.to_ns(address + len(data) - 1) is not None:
            flash.write_raw(ns, data)
            continue
        found = memory.find(address, len(data))
        if found is not None and found[0].region.kind is not RegionKind.ROM:
            found[0].buffer.write(found[1], data)
            continue
        areas = ", ".join(f"{r.name} 0x{r.base:08x}+0x{r.size:x}" for r in platform.memory)
        raise EngineError(
            f"load_elf {path}: expected every loadable segment inside flash or RAM ({areas}), "
            f"found a segment at 0x{address:08x}+0x{len(data):x}"
        )
    return image.symbols


__all__ = ["load_elf_image"]
