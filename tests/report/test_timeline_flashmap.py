"""Event timelines and flash map pictures, without an engine."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from hil.evidence import Event
from hil.platform import load_platform
from hil.platform.model import LayoutArea
from hil.report.flashmap import (
    AreaState,
    classify,
    render_svg,
    render_text,
    snapshot,
    snapshot_platform,
)
from hil.report.timeline import timeline_html, timeline_page, timeline_text

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<img src=x onerror=alert(1)>&amp;"


def ev(seq: int, src: str, name: str, **fields: str) -> Event:
    return Event(seq, src, name, tuple(fields.items()), f"EV {seq} {src} {name}")


EVENTS = [
    ev(0, "boot", "REBOOT_REASON", cause="por"),
    ev(1, "boot", "META", result="ok"),
    ev(2, "app", "VERIFY_SIG", result="fail", note=HOSTILE),
    ev(0, "boot", "REBOOT_REASON", cause="sw"),
]


def test_timeline_text() -> None:
    text = timeline_text(EVENTS)
    lines = text.splitlines()
    assert len(lines) == 1 + len(EVENTS)
    assert lines[0].split() == ["#", "seq", "src", "event", "fields"]
    assert "VERIFY_SIG" in lines[3] and "result=fail" in lines[3]
    assert timeline_text([ev(0, "app", "X", t="a\x1bb")]).count("\\x1b") == 1


def test_timeline_html_escapes_hostile_text() -> None:
    hostile = [*EVENTS, ev(3, HOSTILE, HOSTILE, **{HOSTILE[:4]: HOSTILE})]
    out = timeline_html(hostile, title=HOSTILE)
    assert "<img" not in out
    assert "&lt;img src=x onerror=alert(1)&gt;&amp;amp;" in out
    assert out.count("<tr") == 1 + len(hostile)
    assert out.count('class="boot"') == 2
    page = timeline_page(hostile, HOSTILE)
    assert "<img" not in page and page.startswith("<!DOCTYPE html>")


AREAS = [
    LayoutArea("bootloader", 0x0800_0000, 64),
    LayoutArea("meta_a", 0x0800_0040, 32),
    LayoutArea("slot_a", 0x0800_0060, 64),
]


def flash(torn_prog: bool = False) -> bytearray:
    mem = bytearray(b"\xff" * 160)
    mem[0:40] = b"\x11" * 40  # bootloader programmed
    if torn_prog:
        mem[0x60:0x70] = b"\x22" * 16
    return mem


def reader(mem: bytearray) -> object:
    def read(address: int, size: int) -> bytes:
        off = address - 0x0800_0000
        return bytes(mem[off : off + size])

    return read


def test_classify_states() -> None:
    mem = flash()
    boot = classify(AREAS[0], bytes(mem[0:64]), 0xFF)
    assert boot.state is AreaState.PROGRAMMED and boot.programmed == 40
    meta = classify(AREAS[1], bytes(mem[64:96]), 0xFF)
    assert meta.state is AreaState.ERASED and meta.fill == 0.0
    # torn wins even over erased-looking bytes; a torn address outside the area is ignored
    assert classify(AREAS[1], bytes(mem[64:96]), 0xFF, {0x0800_0050}).state is AreaState.TORN
    assert classify(AREAS[1], bytes(mem[64:96]), 0xFF, {0x0800_0060}).state is AreaState.ERASED
    with pytest.raises(ValueError):
        classify(AREAS[0], b"\xff", 0xFF)


def test_svg_marks_torn_area() -> None:
    before = snapshot(AREAS, reader(flash()), 0xFF)  # type: ignore[arg-type]
    after = snapshot(AREAS, reader(flash(torn_prog=True)), 0xFF, {0x0800_0068})  # type: ignore[arg-type]
    svg = render_svg(before, after, title=f"item 11 {HOSTILE}")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    bars = {
        (r.get("data-area"), r.get("data-when")): r.get("data-state")
        for r in root.iter(f"{SVG}rect")
        if r.get("data-area")
    }
    assert len(bars) == 2 * len(AREAS)
    assert bars[("slot_a", "before")] == "erased"
    assert bars[("slot_a", "after")] == "torn"
    assert bars[("bootloader", "after")] == "programmed"
    assert [s for s, n in ((a.state, a.name) for a in after) if n == "slot_a"] == [AreaState.TORN]
    text = render_text(before, after)
    assert "slot_a" in text and "torn" in text and "XXXX" in text
    assert render_svg(before, after) == render_svg(before, after)


@pytest.mark.parametrize("name", ["stm32u585", "lpc55s69"])
def test_snapshot_platform_layout(name: str) -> None:
    plat = load_platform(name)
    erased = plat.flash.erased_value

    def read(address: int, size: int) -> bytes:
        return bytes([erased]) * size

    slot_b = plat.layout["slot_b"]
    snaps = snapshot_platform(plat, read, {slot_b.address + 16})
    assert {s.name for s in snaps} == set(plat.layout.areas)
    states = {s.name: s.state for s in snaps}
    assert states["slot_b"] is AreaState.TORN and states["slot_a"] is AreaState.ERASED
    ET.fromstring(render_svg(snaps))
