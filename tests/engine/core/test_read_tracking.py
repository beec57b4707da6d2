"""Issue 16: the engine's read tracker (``Engine.track_reads_start``): a page the CPU only
executes, a page it reads, the vector table read at reset, each recorded with its
``TRACK_BLOCK``; a block nothing touched is not; pages outside the ``varying`` ranges count as
read; and what a tracked run leaves unchanged (the values read, the instruction count)."""

from __future__ import annotations

import struct

from hil.engine.registry import create_engine
from hil.engine.unicorn.core import PAGE
from hil.engine.unicorn.flash_array import TRACK_BLOCK
from hil.platform import load_platform

BLOCK = TRACK_BLOCK // PAGE  # pages a CPU trap records
CODE = 9 * PAGE  # movw r0, #DATA; ldr r1, [r0]; b .  (no data read of its own block)
DATA = 3 * TRACK_BLOCK  # the block between CODE's and DATA's is never touched
UNREAD = 2 * TRACK_BLOCK + PAGE


def _engine(
    track: bool, varying: list[tuple[int, int]] | None = None
) -> tuple[int, int, list[int]]:
    platform = load_platform("lpc55s69")
    e = create_engine("unicorn", platform, 1)
    e.program_flash(0, struct.pack("<II", 0x20001000, CODE | 1))
    assert DATA == 0x6000  # the movw below
    e.program_flash(CODE, bytes.fromhex("46f200000168fee7"))
    e.program_flash(DATA, struct.pack("<I", 0x1234ABCD) + bytes(12))
    if track:
        e.track_reads_start(varying)
    e.power_on()
    e.run(50)
    pages = e.track_reads_stop() if track else []
    return e.read_register("r1"), e.instructions, pages


def _blocks(*addresses: int) -> list[int]:
    return sorted({a // TRACK_BLOCK * BLOCK + i for a in addresses for i in range(BLOCK)})


def test_tracker_records_fetched_read_and_vector_blocks_and_changes_nothing() -> None:
    plain = _engine(track=False)
    r1, instructions, pages = _engine(track=True)
    assert r1 == 0x1234ABCD == plain[0]  # the value read through a trapped page is the cells'
    assert instructions == plain[1]  # a tracked run executes exactly as an untracked one
    # page 0: the vector table (read by the reset model: a model's read records its page);
    # CODE's block: only fetched; DATA's block: read (a CPU trap records its whole block)
    assert pages == [0, *_blocks(CODE, DATA)]
    assert UNREAD // PAGE not in pages


def test_pages_outside_the_varying_ranges_count_as_read() -> None:
    n = load_platform("lpc55s69").flash.size // PAGE
    r1, instructions, pages = _engine(track=True, varying=[(UNREAD, PAGE), (DATA, PAGE)])
    assert (r1, instructions) == _engine(track=False)[:2]
    # the watched DATA page was read (its block is recorded); the watched UNREAD page was not;
    # every page not watched counts as read
    assert pages == [p for p in range(n) if p != UNREAD // PAGE]
    _, _, watched_unread = _engine(track=True, varying=[(UNREAD, PAGE)])
    assert watched_unread == [p for p in range(n) if p != UNREAD // PAGE]


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
