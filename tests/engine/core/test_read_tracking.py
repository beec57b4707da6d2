"""Issue 16: the engine's page-granular read tracker (``Engine.track_reads_start``): a page the
CPU only executes, a page it reads, the vector table read at reset, and what a tracked run
leaves unchanged (the values read, the instruction count)."""

from __future__ import annotations

import struct

from hil.engine.registry import create_engine
from hil.engine.unicorn.core import PAGE
from hil.platform import load_platform

CODE = 5 * PAGE  # movw r0, #DATA; ldr r1, [r0]; b .  (no data read of its own page)
DATA = 7 * PAGE


def _engine(track: bool) -> tuple[int, int, list[int]]:
    platform = load_platform("lpc55s69")
    e = create_engine("unicorn", platform, 1)
    e.program_flash(0, struct.pack("<II", 0x20001000, CODE | 1))
    e.program_flash(CODE, bytes.fromhex("41f600400168fee7"))
    e.program_flash(DATA, struct.pack("<I", 0x1234ABCD) + bytes(12))
    if track:
        e.track_reads_start()
    e.power_on()
    e.run(50)
    pages = e.track_reads_stop() if track else []
    return e.read_register("r1"), e.instructions, pages


def test_tracker_records_fetched_read_and_vector_pages_and_changes_nothing() -> None:
    plain = _engine(track=False)
    r1, instructions, pages = _engine(track=True)
    assert r1 == 0x1234ABCD == plain[0]  # the value read through a trapped page is the cells'
    assert instructions == plain[1]  # a tracked run executes exactly as an untracked one
    # page 0: the vector table (read at reset); CODE: only fetched; DATA: read
    assert pages == [0, CODE // PAGE, DATA // PAGE]


def test_page_digests_see_cells_and_torn_units() -> None:
    platform = load_platform("lpc55s69")
    e = create_engine("unicorn", platform, 1)
    before = e.flash_page_digests()
    assert len(before) == platform.flash.size // PAGE
    e.program_flash(DATA, b"\x00" * 16)
    after = e.flash_page_digests()
    assert [p for p in range(len(before)) if before[p] != after[p]] == [DATA // PAGE]
    e.flash_lose_unit(DATA + 16, 1)
    torn = e.flash_page_digests()
    assert [p for p in range(len(after)) if after[p] != torn[p]] == [DATA // PAGE]
