"""ELF images: loadable segments (by load address) and the symbol table."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from hil.errors import EngineError


@dataclass
class ElfImage:
    path: str
    segments: list[tuple[int, bytes]] = field(default_factory=list)  # (load address, bytes)
    symbols: dict[str, int] = field(default_factory=dict)
    entry: int = 0


def read_elf(path: str) -> ElfImage:
    if not os.path.isfile(path):
        raise EngineError(f"load_elf: expected an ELF file at {path!r}, found no such file")
    try:
        with open(path, "rb") as fh:
            elf = ELFFile(fh)
            if elf.get_machine_arch() != "ARM" or elf.elfclass != 32:
                raise EngineError(
                    f"load_elf: expected a 32-bit ARM ELF, found {elf.elfclass}-bit "
                    f"{elf.get_machine_arch()} in {path}"
                )
            image = ElfImage(path, entry=int(elf.header["e_entry"]))
            for seg in elf.iter_segments():
                if seg["p_type"] == "PT_LOAD" and seg["p_filesz"] > 0:
                    image.segments.append((int(seg["p_paddr"]), seg.data()[: seg["p_filesz"]]))
            for sec in elf.iter_sections():
                if not isinstance(sec, SymbolTableSection):
                    continue
                for sym in sec.iter_symbols():
                    kind = sym["st_info"]["type"]
                    if (
                        sym.name
                        and kind in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE")
                        and (sym["st_shndx"] != "SHN_UNDEF")
                    ):
                        value = int(sym["st_value"])
                        if kind == "STT_FUNC":
                            value &= ~1
                        image.symbols.setdefault(sym.name, value)
    except ELFError as exc:
        raise EngineError(f"load_elf: expected an ELF file at {path}, found: {exc}") from None
    return image
