"""Generate a block map file (``hil.platform.blocks``) from a chip's register description.

Two inputs are understood:

- a CMSIS SVD file (``svd``): block names, bases, address-block sizes, register names, offsets,
  widths, access and reset values, with ``derivedFrom``, clusters and ``dim`` arrays expanded;
  peripherals sharing one base (the LPC55S69's FLEXCOMM/USART/SPI/I2C/I2S views) become one
  block whose registers are the union of the views (names joined with ``/``);
- a CMSIS device header (``header``, e.g. ST's ``stm32u585xx.h``): instances
  ``#define X_NS ((T_TypeDef *) X_BASE_NS)`` with their base expressions and the ``T_TypeDef``
  structs' fields (offsets computed from the field types). Headers carry no reset values: every
  register resets to 0 unless the platform's models say otherwise (the platform description
  records this as assumed). Sub-instances at a non-slot-aligned base (DMA channels, SAI blocks,
  ADC common registers) join the block whose slot holds them, named ``<instance>.<field>``.

Only blocks in the peripheral space 0x4000_0000..0x4FFF_FFFF (the non-secure alias) are kept.
Each block's window is its extent rounded up to ``slot`` bytes, never past the next block.

    python -m hil.platform.blockgen svd LPC55S69_cm33_core0.xml --chip lpc55s69 --slot 0x1000 \
        --source "..." --licence "..." --out platforms/lpc55s69/blocks.json
"""

from __future__ import annotations

import argparse
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PERIPH_LO, PERIPH_HI = 0x4000_0000, 0x5000_0000
Reg = tuple[int, str, int, int, str]  # offset, name, reset, width (bytes), access


@dataclass
class RawBlock:
    name: str
    base: int
    extent: int  # bytes covered by its registers / address block
    regs: list[Reg] = field(default_factory=list)


# ------------------------------------------------------------------------------ SVD


def _int(text: str | None, default: int = 0) -> int:
    if text is None or not text.strip():
        return default
    t = text.strip().lower().replace("#", "0b") if text.strip().startswith("#") else text.strip()
    return int(t, 0)


def _access(text: str | None, default: str) -> str:
    if text is None:
        return default
    t = text.strip()
    return "r" if t == "read-only" else "w" if t in ("write-only", "writeOnce") else "rw"


def _dim_names(el: ET.Element) -> list[tuple[str, int]]:
    """(suffix, index) pairs of a ``dim`` element (or one empty suffix)."""
    dim = el.findtext("dim")
    if dim is None:
        return [("", 0)]
    n = _int(dim)
    index = el.findtext("dimIndex")
    if index and "-" in index and "," not in index:
        lo, hi = index.split("-")
        if lo.isdigit():
            names = [str(i) for i in range(int(lo), int(hi) + 1)]
        else:
            names = [chr(c) for c in range(ord(lo), ord(hi) + 1)]
    elif index:
        names = index.split(",")
    else:
        names = [str(i) for i in range(n)]
    return [(names[i] if i < len(names) else str(i), i) for i in range(n)]


def _expand(name: str, suffix: str) -> str:
    if "[%s]" in name:
        return name.replace("[%s]", f"{suffix}" if not suffix else f"[{suffix}]")
    return name.replace("%s", suffix)


def _svd_regs(
    parent: ET.Element, base: int, prefix: str, size: int, reset: int, access: str
) -> Iterator[Reg]:
    for el in parent:
        if el.tag not in ("register", "cluster"):
            continue
        off = _int(el.findtext("addressOffset"))
        inc = _int(el.findtext("dimIncrement"))
        for suffix, i in _dim_names(el):
            name = _expand(el.findtext("name") or "?", suffix)
            at = base + off + i * inc
            if el.tag == "cluster":
                yield from _svd_regs(
                    el,
                    at,
                    f"{prefix}{name}.",
                    _int(el.findtext("size"), size),
                    _int(el.findtext("resetValue"), reset),
                    _access(el.findtext("access"), access),
                )
            else:
                width = _int(el.findtext("size"), size) // 8
                yield (
                    at,
                    prefix + name,
                    _int(el.findtext("resetValue"), reset),
                    width if width in (1, 2, 4) else 4,
                    _access(el.findtext("access"), access),
                )


def from_svd(path: Path) -> list[RawBlock]:
    root = ET.parse(path).getroot()
    size = _int(root.findtext("size"), 32)
    reset = _int(root.findtext("resetValue"), 0)
    access = _access(root.findtext("access"), "rw")
    elements: dict[str, ET.Element] = {}
    out: list[RawBlock] = []
    for p in root.iterfind("peripherals/peripheral"):
        name = p.findtext("name") or "?"
        elements[name] = p
        src = elements.get(p.get("derivedFrom") or "", p)
        base = _int(p.findtext("baseAddress"))
        if not PERIPH_LO <= base < PERIPH_HI:
            continue
        extent = max(
            (_int(a.findtext("offset")) + _int(a.findtext("size")))
            for a in (p.findall("addressBlock") or src.findall("addressBlock"))
        )
        regs_el = src.find("registers")
        regs = [] if regs_el is None else list(_svd_regs(regs_el, 0, "", size, reset, access))
        out.append(RawBlock(name, base, extent, regs))
    return out


# ------------------------------------------------------------------------------ CMSIS header

_TYPES = {"uint8_t": 1, "uint16_t": 2, "uint32_t": 4, "uint64_t": 8}
_FIELD = re.compile(
    r"^\s*(?:__IO|__I|__O|__IM|__OM|__IOM|volatile|const|\s)*\s*(uint(?:8|16|32|64)_t|\w*TypeDef)"
    r"\s+(\w+)\s*(?:\[\s*(\w+)\s*\])?\s*;"
)
_DEFINE = re.compile(r"^#define\s+(\w+)\s+(.+?)\s*(?:/\*.*)?$")
_INSTANCE = re.compile(r"^\(\((\w*TypeDef)\s*\*\)\s*(\w+)\)$")
_ALIAS_TYPE = re.compile(r"typedef\s+(\w*TypeDef)\s+(\w*TypeDef)\s*;")


def _structs(text: str) -> dict[str, list[tuple[str, int, int, int]]]:
    """typedef name -> [(field, offset, element size, count)]."""
    out: dict[str, list[tuple[str, int, int, int]]] = {}
    for m in re.finditer(r"typedef struct\s*\{(.*?)\}\s*(\w*TypeDef)\s*;", text, re.S):
        body, tname = m.group(1), m.group(2)
        fields: list[tuple[str, int, int, int]] = []
        off = 0
        for line in body.splitlines():
            fm = _FIELD.match(line)
            if fm is None:
                continue
            ftype, fname, count = fm.group(1), fm.group(2), fm.group(3)
            if ftype in _TYPES:
                width = _TYPES[ftype]
            elif ftype in out:
                width = _struct_size(out[ftype])
            else:
                break  # unknown nested type: stop at what is certain
            n = int(count, 0) if count and count[0].isdigit() else 1
            off = (off + min(width, 4) - 1) // min(width, 4) * min(width, 4)
            fields.append((fname, off, width, n))
            off += width * n
        out[tname] = fields
    for m in _ALIAS_TYPE.finditer(text):
        if m.group(1) in out:
            out[m.group(2)] = out[m.group(1)]
    return out


def _struct_size(fields: list[tuple[str, int, int, int]]) -> int:
    return max((o + w * n for _, o, w, n in fields), default=0)


def _eval(expr: str, defs: dict[str, str], depth: int = 0) -> int | None:
    if depth > 20:
        return None
    e = re.sub(r"(0x[0-9A-Fa-f]+|\d+)U?L?", r"\1", expr)
    names = re.findall(r"\b[A-Za-z_]\w*", e)
    for n in names:
        if n not in defs:
            return None
        v = _eval(defs[n], defs, depth + 1)
        if v is None:
            return None
        e = re.sub(rf"\b{n}\b", str(v), e)
    if not re.fullmatch(r"[\s()+0-9xXa-fA-F]*", e):
        return None
    try:
        return int(eval(e, {"__builtins__": {}}))  # noqa: S307 - digits, +, () only (checked)
    except (SyntaxError, ValueError):
        return None


def _block_name(name: str, base: int, defs: dict[str, str]) -> str:
    """The shortest ``X`` of an ``X_BASE_NS`` at ``base`` that prefixes the instance name."""
    best = name
    for k, v in defs.items():
        if not k.endswith("_BASE_NS"):
            continue
        short = k[: -len("_BASE_NS")]
        if name.startswith(short) and len(short) < len(best) and _eval(v, defs) == base:
            best = short
    return best


def from_header(path: Path, slot: int) -> list[RawBlock]:
    text = path.read_text(encoding="utf-8", errors="replace")
    structs = _structs(text)
    defs: dict[str, str] = {}
    instances: list[tuple[str, str, str]] = []
    for line in text.splitlines():
        m = _DEFINE.match(line.strip())
        if m is None:
            continue
        defs[m.group(1)] = m.group(2)
        im = _INSTANCE.match(m.group(2))
        if im and m.group(1).endswith("_NS"):
            instances.append((m.group(1)[:-3], im.group(1), im.group(2)))
    located: list[tuple[int, str, str]] = []
    for name, tname, base_name in instances:
        base = _eval(defs.get(base_name, ""), defs)
        if base is not None and PERIPH_LO <= base < PERIPH_HI and tname in structs:
            located.append((base, name, tname))
    located.sort()
    blocks: list[RawBlock] = []
    for base, name, tname in located:
        fields = structs[tname]
        prev = blocks[-1] if blocks else None
        if (
            prev is not None
            and (base % slot or prev.base == base)
            and name.startswith(prev.name.split("_")[0])
        ):
            block, prefix = prev, f"{name}."  # a sub-instance (DMA channel, ...)
        elif base % slot:  # another instance inside a slot: a block of its own at the slot
            block, prefix = RawBlock(name, base - base % slot, 0), f"{name}."
            blocks.append(block)
        else:
            short = _block_name(name, base, defs)
            block, prefix = RawBlock(short, base, 0), "" if short == name else f"{name}."
            blocks.append(block)
        rel = base - block.base
        for fname, off, width, n in fields:
            if fname.upper().startswith("RESERVED") or width not in (1, 2, 4):
                continue
            for i in range(n):
                label = f"{prefix}{fname}" + (f"[{i}]" if n > 1 else "")
                block.regs.append((rel + off + i * width, label, 0, width, "rw"))
        block.extent = max(block.extent, rel + _struct_size(fields))
    return blocks


# ------------------------------------------------------------------------------ output


def compact(raw: Sequence[RawBlock], slot: int) -> list[dict[str, object]]:
    """Merge blocks sharing a base, size the windows, share identical register lists."""
    merged: dict[int, RawBlock] = {}
    for b in raw:
        if b.base in merged:
            m = merged[b.base]
            m.extent = max(m.extent, b.extent)
            m.regs.extend(b.regs)
        else:
            merged[b.base] = RawBlock(b.name, b.base, b.extent, list(b.regs))
    bases = sorted(merged)
    out: list[dict[str, object]] = []
    seen: dict[str, str] = {}
    for i, base in enumerate(bases):
        b = merged[base]
        size = max(slot, (b.extent + slot - 1) // slot * slot)
        if i + 1 < len(bases):
            size = min(size, bases[i + 1] - base)
        regs: dict[int, Reg] = {}
        for r in sorted(b.regs):
            if r[0] + r[3] > size:
                continue
            old = regs.get(r[0])
            if old is None:
                regs[r[0]] = r
            elif r[1] not in old[1].split("/"):
                regs[r[0]] = (old[0], f"{old[1]}/{r[1]}", old[2], old[3], old[4])
        rows = [list(r) for r in sorted(regs.values())]
        key = json.dumps(rows)
        entry: dict[str, object] = {"name": b.name, "base": base, "size": size}
        if key in seen:
            entry["like"] = seen[key]
        else:
            seen[key] = b.name
            entry["regs"] = rows
        out.append(entry)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hil.platform.blockgen", description=__doc__)
    ap.add_argument("kind", choices=("svd", "header"))
    ap.add_argument("input", type=Path)
    ap.add_argument("--chip", required=True)
    ap.add_argument("--slot", type=lambda s: int(s, 0), default=0x400)
    ap.add_argument("--source", required=True, help="where the input came from (package, file)")
    ap.add_argument("--licence", required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    raw = from_svd(args.input) if args.kind == "svd" else from_header(args.input, args.slot)
    doc = {
        "schema": 1,
        "chip": args.chip,
        "source": args.source,
        "licence": args.licence,
        "generator": f"python -m hil.platform.blockgen {args.kind} {args.input.name} "
        f"--chip {args.chip} --slot {args.slot:#x}",
        "blocks": compact(raw, args.slot),
    }
    lines = [json.dumps({k: v for k, v in doc.items() if k != "blocks"})[:-1] + ', "blocks": [']
    blocks = doc["blocks"]
    assert isinstance(blocks, list)
    lines += [
        json.dumps(b, separators=(",", ":")) + ("," if i + 1 < len(blocks) else "")
        for i, b in enumerate(blocks)
    ]
    lines.append("]}")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
