"""The evidence ring's one-pass scan (evring_open reads each page's record slots 8 at a time)
and the state hand-over (evring_state / evring_resume, used by the bootloader -> app handoff).

- The scan recovers exactly the state a slot-by-slot reader gives (the reference below reads
  every slot alone through the same flash simulator: torn units, LPC55S69 blank pages, bad
  CRCs, garbage), over rings damaged by power cuts at every op, torn programs, erased pages and
  garbage slots.
- evring_resume from evring_state continues the ring byte for byte as evring_open + append.
- evring_resume refuses states no ring can be in.
"""

from __future__ import annotations

import ctypes
import random
import struct
import zlib

import pytest
from device import Device

EVR_SLOT = 32
EVR_MAGIC = 0x31525645
NONE = 0xFFFFFFFF
FS_ERR_ERASED = -14

State = tuple[int, int, int, int]


@pytest.fixture
def dev(metalib: ctypes.CDLL, chip):  # type: ignore[no-untyped-def]
    d = Device(metalib, chip, 512)
    yield d
    d.close()


def newer(a: int, b: int) -> bool:
    """meta_gen_newer: serial-number order of 32-bit values."""
    return a != b and ((a - b) & 0xFFFFFFFF) < 0x80000000


def page_mode(dev: Device) -> bool:
    return bool(dev.chip.program_unit == dev.chip.page_size)


def geometry(dev: Device) -> tuple[int, int, int]:
    return dev.geom.ev_base, dev.geom.ev_size // dev.chip.page_size, dev.chip.page_size // 32


def read_slot(dev: Device, addr: int) -> tuple[str, bytes]:
    """The old read_slot: one read of the slot alone, classified."""
    buf = ctypes.create_string_buffer(EVR_SLOT)
    rc = dev.lib.fs_read(dev.fs, addr, buf, EVR_SLOT)
    b = buf.raw
    if rc == FS_ERR_ERASED:
        return "erased", b
    if rc != 0:
        return "bad", b
    if b == bytes([dev.chip.erased_value]) * EVR_SLOT:
        return "erased", b
    crc = struct.unpack_from("<I", b, 28)[0]
    return ("valid" if crc == zlib.crc32(b[:28]) else "bad"), b


def reference_state(dev: Device, seen: set[str] | None = None) -> State:
    """evring_open as it was before the one-pass scan: slot by slot, cur page re-read.
    `seen` collects the classes of the record slots of pages with a valid header."""
    base, npages, slots = geometry(dev)
    page = dev.chip.page_size
    cur, cur_seq, have, max_rec = NONE, 0, False, 0
    for p in range(npages):
        cls, b = read_slot(dev, base + p * page)
        magic, seq = struct.unpack_from("<II", b, 0)
        if cls != "valid" or magic != EVR_MAGIC or b[8] != EVR_SLOT:
            continue
        if cur == NONE or newer(seq, cur_seq):
            cur, cur_seq = p, seq
        for s in range(1, slots):
            cls, b = read_slot(dev, base + p * page + s * EVR_SLOT)
            if seen is not None:
                seen.add(cls)
            rec_seq = struct.unpack_from("<I", b, 4)[0]
            if cls == "valid" and b[3] <= 5 and (not have or newer(rec_seq, max_rec)):
                max_rec, have = rec_seq, True
    next_slot = 0
    if cur != NONE and not page_mode(dev):
        next_slot = 1
        for s in range(1, slots):
            if read_slot(dev, base + cur * page + s * EVR_SLOT)[0] != "erased":
                next_slot = s + 1
    return cur, cur_seq, next_slot, (max_rec + 1) & 0xFFFFFFFF if have else 0


def ring_state(dev: Device) -> State:
    out = (ctypes.c_uint32 * 4)()
    assert dev.lib.h_ring_state(dev.h, out) == 0
    return out[0], out[1], out[2], out[3]


def opened_state(dev: Device) -> State:
    assert dev.lib.h_ring_open(dev.h) == 0
    return ring_state(dev)


def append(dev: Device, n: int, kind: int = 1, start: int = 0) -> None:
    for i in range(n):
        assert dev.lib.h_ring_append(dev.h, kind, start + i) == 0
    assert dev.lib.h_ring_flush(dev.h) == 0


def area(dev: Device) -> bytes:
    buf = ctypes.create_string_buffer(dev.geom.ev_size)
    assert dev.lib.fs_raw(dev.fs, dev.geom.ev_base, buf, dev.geom.ev_size) == 0
    return buf.raw


def slot_bytes(head: bytes, rng: random.Random, good: bool = False) -> bytes:
    """28 bytes + their CRC-32, wrong in half of the slots unless `good`."""
    crc = zlib.crc32(head) ^ (0 if good or rng.random() < 0.5 else 1)
    return head + struct.pack("<I", crc)


def garbage(dev: Device, rng: random.Random) -> None:
    """Program random bytes into an erased program unit of the area (a garbage slot, or in
    page mode a garbage page), or erase a random page."""
    base, npages, _ = geometry(dev)
    unit = dev.chip.program_unit
    if rng.random() < 0.3:
        assert dev.lib.fs_erase(dev.fs, base + rng.randrange(npages) * dev.chip.page_size) == 0
        return
    units = dev.geom.ev_size // unit
    for _ in range(20):
        addr = base + rng.randrange(units) * unit
        data = bytes(rng.randrange(256) for _ in range(unit))
        if rng.random() < 0.5 and not page_mode(dev):
            # a slot that looks like a record but whose CRC is wrong, or a valid-CRC record
            data = (slot_bytes(data[:28], rng) * 2)[:unit]
        elif page_mode(dev) and rng.random() < 0.7:
            # a page with a valid header and a mix of records, bad-CRC and erased slots
            head = struct.pack("<IIH", EVR_MAGIC, rng.randrange(1 << 32), EVR_SLOT)
            data = slot_bytes(head + bytes(18), rng, good=True)
            for _ in range(1, unit // EVR_SLOT):
                raw = bytes(rng.randrange(256) for _ in range(28))
                if rng.random() < 0.3:
                    data += bytes([dev.chip.erased_value]) * EVR_SLOT
                else:
                    data += slot_bytes(raw[:3] + bytes([rng.randrange(6)]) + raw[4:], rng)
        if dev.lib.fs_program(dev.fs, addr, data, unit) == 0:
            return


def test_scan_matches_slot_by_slot_reference(dev: Device) -> None:
    lib = dev.lib
    rng = random.Random(0x5CA7 + dev.chip.fs_chip)
    _, npages, slots = geometry(dev)
    assert lib.h_ring_open(dev.h) == 0
    assert ring_state(dev) == reference_state(dev) == (NONE, 0, 0, 0)
    append(dev, (slots - 1) * npages - 3)
    dev.save()
    checked = 0
    seen: set[str] = set()
    for round_ in range(24):
        dev.restore()
        assert lib.h_ring_open(dev.h) == 0
        # a burst of appends cut at a random op, clean or torn
        dev.reset_ops()
        dev.arm(rng.randrange(1, 12), rng.randrange(1 << 30), rng.random() < 0.7)
        for i in range(10):
            if lib.h_ring_append(dev.h, 2, 1000 * round_ + i) != 0:
                break
            if page_mode(dev) and lib.h_ring_flush(dev.h) != 0:
                break
        dev.power_on()
        for _ in range(rng.randrange(4)):
            garbage(dev, rng)
        assert opened_state(dev) == reference_state(dev, seen), round_
        checked += 1
    assert checked == 24
    # the scan's slot-by-slot fallback ran: unreadable (torn) or bad-CRC slots in used pages
    assert seen == {"valid", "bad", "erased"}


def test_state_after_appends_is_what_open_recovers(dev: Device) -> None:
    _, npages, slots = geometry(dev)
    assert dev.lib.h_ring_open(dev.h) == 0
    for n in (1, slots - 2, slots - 1, 1, (slots - 1) * npages + 3, 7):
        append(dev, n)
        live = ring_state(dev)
        assert opened_state(dev) == live == reference_state(dev)


def test_resume_continues_like_open(dev: Device) -> None:
    lib = dev.lib
    _, npages, slots = geometry(dev)
    assert lib.h_ring_open(dev.h) == 0
    for n in (0, 3, slots - 4, slots, (slots - 1) * (npages - 1)):
        append(dev, n, start=n)
        st = (ctypes.c_uint32 * 4)(*ring_state(dev))
        dev.save()
        # (a) the app scans the area
        assert lib.h_ring_open(dev.h) == 0
        append(dev, slots + 2, kind=9)
        want, want_state = area(dev), ring_state(dev)
        # (b) the app resumes from the bootloader's state
        dev.restore()
        assert lib.h_ring_resume(dev.h, st) == 0
        assert ring_state(dev) == tuple(st)
        append(dev, slots + 2, kind=9)
        assert area(dev) == want and ring_state(dev) == want_state


def test_state_refused_with_buffered_records(dev: Device) -> None:
    if not page_mode(dev):
        pytest.skip("write-through: nothing is ever buffered")
    assert dev.lib.h_ring_open(dev.h) == 0
    assert dev.lib.h_ring_append(dev.h, 1, 1) == 0  # buffered, not flushed
    out = (ctypes.c_uint32 * 4)()
    assert dev.lib.h_ring_state(dev.h, out) == -1  # EVR_ERR_ARG: the record would be lost
    assert dev.lib.h_ring_flush(dev.h) == 0
    assert dev.lib.h_ring_state(dev.h, out) == 0


def test_resume_refuses_impossible_states(dev: Device) -> None:
    lib = dev.lib
    _, npages, slots = geometry(dev)
    wt = not page_mode(dev)
    bad = [
        (npages, 1, 1 if wt else 0, 0),  # page outside the area
        (NONE, 5, 0, 0),  # no page but a page seq
        (NONE, 0, 1, 0),  # no page but a slot
        (0, 1, 0 if wt else 1, 0),  # write-through slot 0 / page mode slot != 0
    ]
    if wt:
        bad.append((0, 1, slots + 1, 0))  # past the page
    for st in bad:
        assert lib.h_ring_resume(dev.h, (ctypes.c_uint32 * 4)(*st)) == -1, st
        # not opened: appends are refused instead of writing at a made-up place
        assert lib.h_ring_append(dev.h, 1, 1) == -1, st
    good = [(NONE, 0, 0, 7), (npages - 1, 3, slots if wt else 0, 9)]
    for st in good:
        assert lib.h_ring_resume(dev.h, (ctypes.c_uint32 * 4)(*st)) == 0, st
        assert ring_state(dev) == st
