"""Unit tests: the metadata record (layout offsets, CRC, generation wraparound, newest valid
copy wins, recovered / both-invalid), the flash simulator's chip rules, and the evidence ring
(replay, page recycling, power cuts at every op)."""

from __future__ import annotations

import ctypes
import struct
import zlib
from ctypes import byref

import cmeta
import pytest
from cmeta import (
    COPY_BAD,
    COPY_ERASED,
    COPY_UNREADABLE,
    COPY_VALID,
    META_BOTH_INVALID,
    META_OK,
    META_RECOVERED,
    SLOT_A,
    SLOT_B,
    SLOT_NONE,
    ST_CONFIRMED,
    ST_PENDING,
    EvRecord,
    MetaLoad,
    MetaRecord,
)
from device import Device


def rec_a(build: int = 3) -> MetaRecord:
    r = MetaRecord(floor=2, active=SLOT_A, next=SLOT_B, up_slot=SLOT_NONE)
    r.state[0], r.state[1] = ST_CONFIRMED, ST_PENDING
    r.attempts[1] = 1
    r.build[0], r.build[1] = build, 7
    r.image_id[0], r.image_id[1] = 0xAABBCCDD, 0x11223344
    return r


def test_record_layout(metalib: ctypes.CDLL) -> None:
    r = rec_a()
    r.generation = 0x01020304
    buf = ctypes.create_string_buffer(64)
    metalib.meta_serialize(byref(r), buf)
    b = buf.raw
    assert struct.unpack_from("<IHHII", b, 0) == (0x314D544F, 1, 64, 0x01020304, 2)
    assert b[16:24] == bytes([0, 1, 4, 3, 0, 1, 0xFF, 0])
    assert struct.unpack_from("<IIIIIIIII", b, 24) == (3, 7, 0xAABBCCDD, 0x11223344, 0, 0, 0, 0, 0)
    assert struct.unpack_from("<I", b, 60)[0] == zlib.crc32(b[:60])
    back = MetaRecord()
    assert metalib.meta_parse(buf, byref(back)) == 1 and back.key() == r.key()
    for i in range(64):  # any single-bit flip is refused
        bad = bytearray(b)
        bad[i] ^= 0x10
        assert metalib.meta_parse(bytes(bad), byref(back)) == 0


def test_generation_wraparound(metalib: ctypes.CDLL) -> None:
    newer = metalib.meta_gen_newer
    assert newer(1, 0) and not newer(0, 1)
    assert newer(0, 0xFFFFFFFF) and not newer(0xFFFFFFFF, 0)
    assert newer(0x80000000, 0x7FFFFFFF)
    assert not newer(5, 5)


@pytest.fixture
def dev(metalib: ctypes.CDLL, chip: cmeta.Chip):
    d = Device(metalib, chip, 512)
    yield d
    d.close()


def meta_ctx(dev: Device) -> tuple[ctypes.Array, cmeta.MetaFlash]:
    lib = dev.lib
    fl = cmeta.MetaFlash(
        ctypes.cast(lib.fs_erase, ctypes.c_void_p),
        ctypes.cast(lib.fs_program, ctypes.c_void_p),
        ctypes.cast(lib.fs_read, ctypes.c_void_p),
        dev.fs,
        dev.chip.program_unit,
        dev.chip.page_size,
        dev.chip.erased_value,
    )
    ctx = ctypes.create_string_buffer(64)
    assert lib.meta_init(ctx, byref(fl), dev.geom.meta_a, dev.geom.meta_b) == 0
    return ctx, fl


def test_load_commit_alternates(dev: Device) -> None:
    lib = dev.lib
    ctx, fl = meta_ctx(dev)
    ld = MetaLoad()
    assert lib.meta_load(ctx, byref(ld)) == 0
    assert (ld.result, ld.copy, ld.generation) == (META_BOTH_INVALID, SLOT_NONE, 0)
    assert tuple(ld.status) == (COPY_ERASED, COPY_ERASED)
    gen = ctypes.c_uint32()
    r = rec_a()
    expect_copy = [SLOT_A, SLOT_B, SLOT_A, SLOT_B]
    for i, copy in enumerate(expect_copy):
        r.build[0] = 3 + i
        assert lib.meta_commit(ctx, byref(r), byref(gen)) == 0
        assert gen.value == i + 1
        assert lib.meta_load(ctx, byref(ld)) == 0
        assert ld.copy == copy and ld.generation == i + 1 and ld.rec.build[0] == 3 + i
        assert ld.result == (META_RECOVERED if i == 0 else META_OK)
    # an invalid record is never committed
    bad = rec_a()
    bad.state[1] = ST_CONFIRMED
    assert lib.meta_commit(ctx, byref(bad), None) == -5
    # corrupt the newest copy (B, gen 4): copy A (gen 3) wins, result recovered
    page = dev.geom.meta_b
    assert lib.fs_erase(dev.fs, page) == 0
    assert lib.meta_load(ctx, byref(ld)) == 0
    assert (ld.result, ld.copy, ld.generation, ld.rec.build[0]) == (META_RECOVERED, SLOT_A, 3, 5)
    assert ld.status[1] == COPY_ERASED
    # a bad-CRC copy is BAD; a torn copy is UNREADABLE
    blob = bytearray(64)
    blob[0] = 0x4F
    pu = dev.chip.program_unit
    unit = bytes(blob) + bytes([dev.chip.erased_value]) * (max(pu, 64) - 64)
    assert lib.fs_program(dev.fs, page, unit[: max(pu, 64)], max(pu, 64)) == 0
    assert lib.meta_load(ctx, byref(ld)) == 0 and ld.status[1] == COPY_BAD
    assert lib.fs_erase(dev.fs, page) == 0
    dev.arm(dev.ops(), 7, True)
    n = max(pu, 64)
    assert lib.fs_program(dev.fs, page, unit[:n], n) != 0
    dev.power_on()
    assert lib.meta_load(ctx, byref(ld)) == 0 and ld.status[1] == COPY_UNREADABLE
    assert ld.result == META_RECOVERED and ld.copy == SLOT_A
    # next commit goes to the bad copy (B) and heals it
    assert lib.meta_commit(ctx, byref(r), byref(gen)) == 0 and gen.value == 4
    assert lib.meta_load(ctx, byref(ld)) == 0
    assert (ld.result, ld.copy) == (META_OK, SLOT_B)
    assert tuple(ld.status) == (COPY_VALID, COPY_VALID)


def test_generation_wrap_on_flash(dev: Device) -> None:
    """Copies at 0xFFFFFFFF and 0x00000000: the wrapped one is newer."""
    lib = dev.lib
    ctx, fl = meta_ctx(dev)
    r = rec_a()
    assert lib.meta_commit(ctx, byref(r), None) == 0  # A gen 1
    raw = ctypes.cast(ctx, ctypes.POINTER(ctypes.c_uint8))
    # meta_ctx_t: fl ptr (8) | addr[2] (8) | cur u8 (+3 pad) | gen u32 at offset 20
    ctypes.c_uint32.from_address(ctypes.addressof(raw.contents) + 20).value = 0xFFFFFFFE
    gen = ctypes.c_uint32()
    assert lib.meta_commit(ctx, byref(r), byref(gen)) == 0 and gen.value == 0xFFFFFFFF  # B
    assert lib.meta_commit(ctx, byref(r), byref(gen)) == 0 and gen.value == 0  # A
    ld = MetaLoad()
    assert lib.meta_load(ctx, byref(ld)) == 0
    assert (ld.result, ld.copy, ld.generation) == (META_OK, SLOT_A, 0)


# ---- flash simulator rules ---------------------------------------------------------------


def test_flashsim_rules(dev: Device) -> None:
    lib, fs, c = dev.lib, dev.fs, dev.chip
    pu, er = c.program_unit, c.erased_value
    addr = dev.geom.slot_b
    one = bytes([0x5A]) * pu
    buf = ctypes.create_string_buffer(pu)
    if c.name == "lpc55s69":
        assert lib.fs_read(fs, addr, buf, pu) == -14  # erased page: tolerant read says erased
        assert lib.fs_program(fs, addr, one, pu) == 0
        assert lib.fs_program(fs, addr, one, pu) == -11  # FAIL: page not erased
        assert lib.fs_program(fs, addr, bytes(pu), pu) == -11
    else:
        assert lib.fs_read(fs, addr, buf, pu) == 0 and buf.raw == bytes([er]) * pu
        assert lib.fs_program(fs, addr, one, pu) == 0
        assert lib.fs_program(fs, addr, one, pu) == -6  # PROGERR
        assert lib.fs_program(fs, addr, bytes(pu), pu) == 0  # all-zero overwrite allowed
        assert lib.fs_program(fs, addr + 1, one, pu) == -1  # misaligned
    assert lib.fs_erase(fs, addr) == 0
    assert lib.fs_program(fs, addr, one, pu) == 0
    assert lib.fs_read(fs, addr, buf, pu) == 0 and buf.raw == one
    # torn program -> reads as ECC error; torn erase -> each unit erased / old / torn
    assert lib.fs_erase(fs, addr) == 0
    dev.reset_ops()
    dev.arm(0, 3, True)
    assert lib.fs_program(fs, addr, one, pu) == -20
    assert lib.fs_read(fs, addr, buf, pu) == -20  # power is off
    dev.power_on()
    assert lib.fs_read(fs, addr, buf, pu) == -13 and lib.fs_is_torn(fs, addr) == 1
    fates: set[str] = set()
    for seed in range(40):
        assert lib.fs_erase(fs, addr) == 0
        for u in range(0, c.page_size, pu):
            assert lib.fs_program(fs, addr + u, one, pu) == 0
        dev.reset_ops()
        dev.arm(0, seed, True)
        assert lib.fs_erase(fs, addr) == -20
        dev.power_on()
        rc = lib.fs_read(fs, addr, buf, pu)
        fates.add(
            {0: "old" if buf.raw == one else "?", -13: "torn", -14: "erased"}.get(rc, "?")
            if not (rc == 0 and buf.raw == bytes([er]) * pu)
            else "erased"
        )
    assert fates == {"old", "torn", "erased"}
    # a clean cut (not torn) leaves the array untouched
    assert lib.fs_erase(fs, addr) == 0
    dev.reset_ops()
    dev.arm(0, 1, False)
    assert lib.fs_program(fs, addr, one, pu) == -20
    dev.power_on()
    assert lib.fs_program(fs, addr, one, pu) == 0


# ---- evidence ring -----------------------------------------------------------------------


def replay(dev: Device) -> list[EvRecord]:
    arr = (EvRecord * 4096)()
    n = dev.lib.h_ring_replay(dev.h, arr, 4096)
    assert n >= 0
    return list(arr[:n])


def test_ring_modes_and_recycling(dev: Device) -> None:
    lib = dev.lib
    assert lib.h_ring_open(dev.h) == 0
    page_mode = dev.chip.program_unit == dev.chip.page_size
    assert lib.h_ring_mode(dev.h) == (2 if page_mode else 1)
    npages = dev.geom.ev_size // dev.chip.page_size
    slots = dev.chip.page_size // 32
    g = lib.h_ring_guaranteed(dev.h)
    assert g == ((npages - 1) if page_mode else (npages - 1) * (slots - 1))
    per_page = slots - 1
    total = per_page * npages * 2 + 5  # wraps the ring twice
    for i in range(total):
        assert lib.h_ring_append(dev.h, 7, i) == 0
    assert lib.h_ring_flush(dev.h) == 0
    assert lib.h_ring_open(dev.h) == 0  # recover from flash alone
    got = replay(dev)
    seqs = [r.seq for r in got]
    assert seqs == sorted(seqs) and seqs[-1] == total - 1
    assert all(r.v[0] == r.seq and r.v[1] == (~r.seq & 0xFFFFFFFF) for r in got)
    assert len(got) >= (npages - 1) * per_page
    # appending after a reopen continues the sequence
    assert lib.h_ring_append(dev.h, 7, total) == 0 and lib.h_ring_flush(dev.h) == 0
    assert lib.h_ring_open(dev.h) == 0
    assert replay(dev)[-1].seq == total


def test_ring_power_cuts(dev: Device) -> None:
    """Cut at every op of a burst of appends (with page recycling): the ring reopens, replays
    in order, keeps every record that was durable before the cut (up to the guarantee) and
    continues appending."""
    lib = dev.lib
    page_mode = dev.chip.program_unit == dev.chip.page_size
    per_page = dev.chip.page_size // 32 - 1
    npages = dev.geom.ev_size // dev.chip.page_size
    assert lib.h_ring_open(dev.h) == 0
    for i in range(per_page * npages - 3):  # nearly full: the burst recycles a page
        assert lib.h_ring_append(dev.h, 1, i) == 0
    assert lib.h_ring_flush(dev.h) == 0
    dev.save()
    burst = 8

    def txn() -> list[int]:
        durable = []
        assert lib.h_ring_open(dev.h) == 0
        for i in range(burst):
            base = 10_000 + i
            if lib.h_ring_append(dev.h, 2, base) != 0:
                return durable
            if page_mode and lib.h_ring_flush(dev.h) != 0:
                return durable
            durable.append(base)
        return durable

    dev.restore()
    dev.reset_ops()
    full = txn()
    n = dev.ops()
    assert len(full) == burst
    cuts = 0
    for op in range(n):
        for torn in (False, True):
            dev.restore()
            dev.reset_ops()
            dev.arm(op, 500 + op, torn)
            durable = txn()
            assert dev.dead()
            dev.power_on()
            assert lib.h_ring_open(dev.h) == 0
            got = replay(dev)
            seqs = [r.seq for r in got]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
            vals = [r.v[0] for r in got if r.kind == 2]
            assert vals == durable or vals == durable + [10_000 + len(durable)], (op, torn)
            if not page_mode:  # write-through: at least (pages-1) pages of records survive
                assert len(got) >= lib.h_ring_guaranteed(dev.h) == per_page * (npages - 1)
            # page mode: the guarantee is the last pages-1 flushes; the burst (8 flushes) is
            # below it, so `vals == durable` above already proves every durable one survived
            assert lib.h_ring_append(dev.h, 3, 1) == 0 and lib.h_ring_flush(dev.h) == 0
            assert lib.h_ring_open(dev.h) == 0
            assert replay(dev)[-1].kind == 3
            cuts += 1
    assert cuts == 2 * n
