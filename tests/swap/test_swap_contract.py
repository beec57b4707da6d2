"""docs/contract-swap.md against the sources: every console line the swap target can print is
listed, every planted-bug flag documented, the committed test keys match their table, and the
flash map exported in the ELFs is the documented layout."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests.swap.emu import build

REPO = Path(__file__).resolve().parents[2]
SWAP = REPO / "firmware_stubs" / "swap"
DOC = (REPO / "docs" / "contract-swap.md").read_text()

CALL = re.compile(r"\b(BLOG_INF|BLOG_WRN|BLOG_ERR|slog)\(", re.S)
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def split_args(text: str, start: int) -> list[str]:
    """The top-level arguments of the call whose '(' is just before `start`."""
    args, depth, cur, i = [], 0, "", start
    while i < len(text):
        c = text[i]
        if c == '"':
            m = LITERAL.match(text, i)
            assert m, text[i : i + 40]
            cur += m.group(0)
            i = m.end()
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append(cur.strip())
                return args
            depth -= 1
        elif c == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
            i += 1
            continue
        cur += c
        i += 1
    raise AssertionError("unterminated call")


def log_formats() -> set[str]:
    found = set()
    for path in SWAP.rglob("*.c"):
        if path.parent.name == "host" or path.name == "slog.c":
            continue
        text = path.read_text()
        for m in CALL.finditer(text):
            args = split_args(text, m.end())
            fmt_arg = args[0] if m.group(1).startswith("BLOG") else args[2]
            literals = LITERAL.findall(fmt_arg)
            assert literals, f"{path.name}: log call without a literal format: {fmt_arg}"
            found.add("".join(literals))
    return found


def test_every_console_line_is_in_the_contract() -> None:
    formats = log_formats()
    assert len(formats) > 60
    missing = sorted(f for f in formats if f"`{f}" not in DOC and f"{f}`" not in DOC)
    assert not missing, f"console lines missing from docs/contract-swap.md: {missing}"


def test_every_planted_bug_is_documented() -> None:
    flags = set(re.findall(r"#ifndef (SWAP_MUT_[A-Z_]+)", (SWAP / "swap_hooks.h").read_text()))
    assert len(flags) >= 5
    for flag in flags:
        assert f"`{flag}`" in DOC, flag
        # and the hook is called somewhere in production code
        hooks = re.findall(
            rf"#define (SWAP_HOOK_[A-Z_]+)\(\) \(\({flag}\)", (SWAP / "swap_hooks.h").read_text()
        )
        assert hooks, flag
        users = [p for p in SWAP.rglob("*.c") if any(h in p.read_text() for h in hooks)]
        assert users, f"{flag}: no site calls {hooks}"


def test_keys_match_their_table() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("genkeys", SWAP / "keys" / "genkeys.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    from hil.image.keys import derive_key, keyhash, private_pem

    assert (SWAP / "common" / "keys_gen.c").read_text() == gen.c_table()
    for stem, label, revoked in gen.KEYS:
        assert (SWAP / "keys" / f"{stem}.pem").read_bytes() == private_pem(derive_key(label))
        h = keyhash(derive_key(label)).hex()
        assert f"{h[:8]} {h[8:16]}" in DOC, stem
        assert ("revoked" in stem) == revoked


LAYOUT = {
    # chip: (flash base, [(id, off, size)], sector, align, max sectors, hdr, trailer, erased)
    "stm32u585": (
        0x08000000,
        [(0, 0, 0x10000), (1, 0x20000, 0x22000), (2, 0x42000, 0x20000), (16, 0x10000, 0x2000)],
        0x2000,
        16,
        17,
        0x400,
        896,
        0xFF,
    ),
    "lpc55s69": (
        0x0,
        [(0, 0, 0x10000), (1, 0x20000, 0x20000), (2, 0x40000, 0x1C000), (16, 0x10000, 0x4000)],
        0x4000,
        512,
        8,
        0x200,
        14848,
        0x00,
    ),
}


def read_symbol(elf: ELFFile, name: str) -> bytes:
    sym = elf.get_section_by_name(".symtab").get_symbol_by_name(name)  # type: ignore[union-attr]
    assert sym, name
    addr, size = sym[0]["st_value"], sym[0]["st_size"]
    for seg in elf.iter_segments():
        if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= addr < seg["p_vaddr"] + seg["p_filesz"]:
            off = addr - seg["p_vaddr"]
            return seg.data()[off : off + size]
    raise AssertionError(f"{name} not in a loaded segment")


@pytest.mark.parametrize("image", ["swapboot.elf", "swapapp.elf"])
def test_exported_flash_map(chip: str, image: str) -> None:
    fw = build(chip)
    base, areas, sector, align, max_sectors, hdr, trailer, erased = LAYOUT[chip]
    with (fw.out / image).open("rb") as fh:
        elf = ELFFile(fh)
        count = struct.unpack("<i", read_symbol(elf, "flash_map_entries"))[0]
        raw = read_symbol(elf, "flash_map")
        params = struct.unpack("<11I", read_symbol(elf, "swap_boot_params"))
    assert count == len(areas) and len(raw) == 12 * count
    got = [struct.unpack_from("<BBHII", raw, 12 * i) for i in range(count)]
    assert [(g[0], g[3], g[4]) for g in got] == areas
    assert all(g[1] == 0 and g[2] == 0 for g in got)
    assert params == (
        0x50415753,
        1,
        3,
        base,
        sector,
        align,
        max_sectors,
        hdr,
        trailer,
        erased,
        2000,
    )
    # the documented table says the same
    for fa_id, off, size in areas:
        assert f"0x{off:05X} + 0x{size:X}" in DOC or f"0x{off:05x} + 0x{size:x}" in DOC, (
            chip,
            fa_id,
        )
