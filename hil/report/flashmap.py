"""A flash map "picture" of a platform's layout areas, before and after a test case.

Pure functions over bytes: ``classify`` decides an area's state from its contents and the set
of torn addresses (the engine's record of interrupted program/erase units), ``snapshot`` reads
every layout area through a ``read(address, size)`` callable (``engine.flash_read``), and
``render_text`` / ``render_svg`` draw one bar per area, coloured by state:

* ``erased``     every byte reads the erased value,
* ``programmed`` some bytes are programmed (the bar's filled part is the programmed fraction),
* ``torn``       some address in the area is torn (an interrupted write), whatever the bytes.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from hil.platform.model import LAYOUT_AREAS, LayoutArea, Platform

Reader = Callable[[int, int], bytes]


class AreaState(StrEnum):
    ERASED = "erased"
    PROGRAMMED = "programmed"
    TORN = "torn"


COLOURS: dict[AreaState, str] = {
    AreaState.ERASED: "#d9d9d9",
    AreaState.PROGRAMMED: "#4a90d9",
    AreaState.TORN: "#d0021b",
}


@dataclass(frozen=True)
class AreaSnapshot:
    name: str
    address: int
    size: int
    state: AreaState
    programmed: int  # bytes that do not read the erased value
    torn: tuple[int, ...]  # torn addresses inside the area, sorted

    @property
    def fill(self) -> float:
        return self.programmed / self.size if self.size else 0.0


def classify(
    area: LayoutArea, data: bytes, erased_value: int, torn: Collection[int] = ()
) -> AreaSnapshot:
    if len(data) != area.size:
        raise ValueError(f"area {area.name}: {len(data)} bytes read, its size is {area.size}")
    programmed = len(data) - data.count(bytes([erased_value]))
    inside = tuple(sorted(a for a in torn if area.address <= a < area.end))
    if inside:
        state = AreaState.TORN
    elif programmed:
        state = AreaState.PROGRAMMED
    else:
        state = AreaState.ERASED
    return AreaSnapshot(area.name, area.address, area.size, state, programmed, inside)


def _ordered(areas: Iterable[LayoutArea]) -> list[LayoutArea]:
    return sorted(areas, key=lambda a: (a.address, a.name))


def snapshot(
    areas: Iterable[LayoutArea], read: Reader, erased_value: int, torn: Collection[int] = ()
) -> list[AreaSnapshot]:
    """Classify every area (in address order), reading its bytes through ``read``."""
    return [classify(a, read(a.address, a.size), erased_value, torn) for a in _ordered(areas)]


def snapshot_platform(
    platform: Platform, read: Reader, torn: Collection[int] = ()
) -> list[AreaSnapshot]:
    areas = [platform.layout[n] for n in LAYOUT_AREAS if n in platform.layout.areas]
    return snapshot(areas, read, platform.flash.erased_value, torn)


def render_text(
    before: Sequence[AreaSnapshot], after: Sequence[AreaSnapshot] | None = None, width: int = 32
) -> str:
    """One line per area: name, range, and a bar per snapshot (``.`` erased, ``#`` programmed,
    ``X`` torn), then the state."""

    def bar(s: AreaSnapshot) -> str:
        if s.state is AreaState.TORN:
            return "X" * width
        n = 0 if not s.programmed else max(1, round(s.fill * width))
        return "#" * n + "." * (width - n)

    after_by = {s.name: s for s in after} if after is not None else {}
    lines = []
    for s in before:
        line = f"{s.name:<10} 0x{s.address:08x}-0x{s.address + s.size:08x} [{bar(s)}] {s.state:<10}"
        if after is not None:
            a = after_by.get(s.name)
            line += f" -> [{bar(a)}] {a.state}" if a is not None else " -> (absent)"
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


def render_svg(
    before: Sequence[AreaSnapshot],
    after: Sequence[AreaSnapshot] | None = None,
    title: str = "flash map",
) -> str:
    """A standalone SVG: one row per area, one bar per snapshot (before, then after).

    Every bar is a ``<rect class="area <state>" data-area=.. data-state=.. data-when=..>``; a
    programmed bar's darker inner part is its programmed fraction; a torn bar is red.
    """
    e = html.escape
    label_w, bar_w, row_h, gap, top = 170, 240, 22, 20, 40
    columns: list[tuple[str, Sequence[AreaSnapshot]]] = [("before", before)]
    if after is not None:
        columns.append(("after", after))
    names = [s.name for s in before] + [
        s.name for _, col in columns for s in col if s.name not in {b.name for b in before}
    ]
    names = list(dict.fromkeys(names))
    width = label_w + len(columns) * (bar_w + gap) + gap
    height = top + len(names) * row_h + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">',
        f"<title>{e(title)}</title>",
        f'<text x="4" y="16" font-size="13">{e(title)}</text>',
    ]
    for c, (when, _) in enumerate(columns):
        x = label_w + gap + c * (bar_w + gap)
        out.append(f'<text x="{x}" y="{top - 6}">{when}</text>')
    info = {s.name: s for s in before}
    for r, name in enumerate(names):
        y = top + r * row_h
        s0 = info.get(name) or next(s for _, col in columns for s in col if s.name == name)
        out.append(f'<text x="4" y="{y + 14}">{e(name)} 0x{s0.address:08x} +0x{s0.size:x}</text>')
        for c, (when, col) in enumerate(columns):
            x = label_w + gap + c * (bar_w + gap)
            snap = next((s for s in col if s.name == name), None)
            if snap is None:
                continue
            colour = COLOURS[snap.state]
            base_fill = COLOURS[AreaState.ERASED] if snap.state is AreaState.PROGRAMMED else colour
            out.append(
                f'<rect class="area {snap.state}" data-area="{e(name)}" data-state="{snap.state}" '
                f'data-when="{when}" x="{x}" y="{y}" width="{bar_w}" height="{row_h - 4}" '
                f'fill="{base_fill}" stroke="#333"><title>{e(name)} {when}: {snap.state}, '
                f"{snap.programmed}/{snap.size} bytes programmed"
                + (
                    f", torn at {', '.join(f'0x{a:08x}' for a in snap.torn[:8])}"
                    if snap.torn
                    else ""
                )
                + "</title></rect>"
            )
            if snap.state is AreaState.PROGRAMMED:
                w = max(1, round(snap.fill * bar_w))
                out.append(
                    f'<rect x="{x}" y="{y}" width="{w}" height="{row_h - 4}" fill="{colour}"/>'
                )
    ly = top + len(names) * row_h + 16
    for k, st in enumerate(AreaState):
        lx = 4 + k * 120
        out.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{COLOURS[st]}"/>')
        out.append(f'<text x="{lx + 16}" y="{ly}">{st}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
