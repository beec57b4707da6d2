"""A thin Python wrapper over the C harness (harness.c) plus the power-cut sweep engine:
run a transaction clean while counting flash operations, then cut at every operation (clean
cut before it, and torn with a seeded state) plus K seeded random torn cuts, reload, check
the invariants and let the device finish."""

from __future__ import annotations

import contextlib
import ctypes
import random
from collections.abc import Callable
from ctypes import byref
from dataclasses import dataclass, field

import cmeta
from cmeta import (
    ACT_BOOT,
    H_DEAD,
    H_OK,
    META_BOTH_INVALID,
    SLOT_NONE,
    ST_CONFIRMED,
    ST_PENDING,
    BootRes,
    Image,
    MetaLoad,
)

SAVE_START = 0


@dataclass
class Run:
    """What happened in one (possibly cut) execution of a transaction."""

    trial_jumps: dict[int, int] = field(default_factory=dict)  # image_id -> trial boots
    records: list[tuple[object, ...]] = field(default_factory=list)  # committed record keys
    dead: bool = False


class Device:
    def __init__(self, lib: ctypes.CDLL, chip: cmeta.Chip, chunk: int) -> None:
        self.lib = lib
        self.chip = chip
        self.chunk = chunk
        self.geom = chip.geom(chunk)
        self.h = lib.h_create(byref(self.geom))
        assert self.h, "h_create failed"
        self.fs = lib.h_fs(self.h)
        self.slot_addr = (self.geom.slot_a, self.geom.slot_b)
        self.lens: dict[int, int] = {}  # image_id -> payload length
        self.set_inputs()

    def close(self) -> None:
        self.lib.h_destroy(self.h)

    # -- device operations ---------------------------------------------------------------
    def set_inputs(self, anchor_floor: int = 0, rescue: int = 0, reset_cause: int = 1) -> None:
        self.lib.h_set_inputs(self.h, anchor_floor, rescue, reset_cause)

    def factory(self, slot: int, build: int, image_id: int, length: int) -> None:
        assert self.lib.h_factory(self.h, slot, build, image_id, length) == 0

    def commit_log(self) -> list[tuple[object, ...]]:
        out = []
        for i in range(int(self.lib.h_log_count(self.h))):
            r = cmeta.MetaRecord()
            assert self.lib.h_log_get(self.h, i, byref(r)) == 0
            out.append(r.key())
        return out

    def load(self) -> MetaLoad:
        ld = MetaLoad()
        assert self.lib.h_load(self.h, byref(ld)) == 0
        return ld

    def verify(self, slot: int) -> Image:
        img = Image()
        self.lib.h_verify(self.h, slot, byref(img))
        return img

    def boot(self) -> tuple[int, BootRes]:
        res = BootRes()
        rc = self.lib.h_boot(self.h, byref(res))
        return rc, res

    def confirm(self, slot: int) -> int:
        return int(self.lib.h_confirm(self.h, slot))

    def reject(self, slot: int) -> int:
        return int(self.lib.h_reject(self.h, slot))

    def upload(
        self, slot: int, build: int, image_id: int, length: int, max_chunks: int = 1 << 30
    ) -> tuple[int, int]:
        at = ctypes.c_uint32(0)
        rc = self.lib.h_upload(self.h, slot, build, image_id, length, max_chunks, byref(at))
        return int(rc), at.value

    def chunk_ok(self, slot: int, build: int, image_id: int, length: int, k: int) -> bool:
        return bool(self.lib.h_chunk_ok(self.h, slot, build, image_id, length, k))

    # -- flash sim ------------------------------------------------------------------------
    def save(self, slot: int = SAVE_START) -> None:
        assert self.lib.fs_save(self.fs, slot) == 0

    def restore(self, slot: int = SAVE_START) -> None:
        assert self.lib.fs_restore(self.fs, slot) == 0

    def ops(self) -> int:
        return int(self.lib.fs_ops(self.fs))

    def reset_ops(self) -> None:
        self.lib.fs_reset_ops(self.fs)

    def arm(self, op: int, seed: int, torn: bool) -> None:
        self.lib.fs_arm_cut(self.fs, op, seed, 1 if torn else 0)

    def dead(self) -> bool:
        return bool(self.lib.fs_dead(self.fs))

    def power_on(self) -> None:
        self.lib.fs_power_on(self.fs)

    def protect(self, addr: int, length: int) -> None:
        self.lib.fs_protect(self.fs, addr, length)

    def violations(self) -> int:
        return int(self.lib.fs_violations(self.fs))


Transaction = Callable[[Device, Run], None]
Check = Callable[[Device, Run, "Baseline"], None]


@dataclass
class Baseline:
    start: MetaLoad
    clean: Run
    ops: int
    final: MetaLoad


class Cut(Exception):
    """Raised inside a transaction when the flash reports power loss."""


def step(dev: Device, run: Run, rc: int) -> int:
    if rc == H_DEAD or dev.dead():
        run.dead = True
        raise Cut
    return rc


def boot_step(dev: Device, run: Run) -> cmeta.BootRes:
    """One reset: bootloader decision; counts trial boots that really reached the jump."""
    rc, res = dev.boot()
    step(dev, run, rc)
    assert rc == H_OK, rc
    if res.jumped and res.action == ACT_BOOT and res.trial:
        iid = dev.verify(res.slot).image_id
        run.trial_jumps[iid] = run.trial_jumps.get(iid, 0) + 1
    return res


def record_key(ld: MetaLoad) -> tuple[object, ...] | None:
    return None if ld.result == META_BOTH_INVALID else ld.rec.key()


@dataclass
class SweepStats:
    ops: int = 0
    cuts: int = 0


def sweep(dev: Device, txn: Transaction, check: Check, k_random: int, seed: int) -> SweepStats:
    """Clean run (count ops), then a cut at every op (not started / torn) and k_random seeded
    torn cuts; after each: power back, `check` (invariants, recovery, completion)."""
    dev.save()
    start = dev.load()
    dev.restore()
    dev.reset_ops()
    dev.lib.h_log_reset(dev.h)
    clean = Run()
    txn(dev, clean)
    n = dev.ops()
    clean.records = dev.commit_log()
    base = Baseline(start=start, clean=clean, ops=n, final=dev.load())
    stats = SweepStats(ops=n)
    rng = random.Random(seed)
    plan = [(op, 1000 + op, torn) for op in range(n) for torn in (False, True)]
    plan += [(rng.randrange(n), rng.randrange(1 << 30), True) for _ in range(k_random)]
    for op, s, torn in plan:
        dev.restore()
        dev.reset_ops()
        dev.arm(op, s, torn)
        run = Run()
        with contextlib.suppress(Cut):
            txn(dev, run)
        assert run.dead, f"cut at op {op}/{n} did not hit the transaction"
        dev.power_on()
        try:
            check(dev, run, base)
        except AssertionError as e:
            where = f"{dev.chip.name}: cut at op {op}/{n} torn={torn} seed={s}"
            raise AssertionError(f"{where}: {e}") from e
        stats.cuts += 1
    dev.restore()
    return stats


def common_invariants(dev: Device, base: Baseline) -> MetaLoad:
    """Invariants that hold after any cut once the device was provisioned."""
    ld = dev.load()
    again = dev.load()
    assert (ld.result, ld.copy, ld.generation) == (again.result, again.copy, again.generation), (
        "metadata load not deterministic"
    )
    assert ld.result != META_BOTH_INVALID, "both metadata copies lost"
    rec = ld.rec
    a = rec.active
    assert rec.state[a] == ST_CONFIRMED
    img = dev.verify(a)
    assert img.valid and img.build == rec.build[a] and img.image_id == rec.image_id[a], (
        "the confirmed slot is not bootable"
    )
    s0 = base.start.rec
    assert rec.floor >= s0.floor, "floor dropped"
    if rec.floor > s0.floor:
        assert a != s0.active and rec.state[a] == ST_CONFIRMED and rec.floor <= rec.build[a], (
            "floor rose without a confirm"
        )
    # the surviving record is one the transaction really committed (or the start)
    allowed = {base.start.rec.key(), *base.clean.records}
    assert rec.key() in allowed, "metadata holds a state the transaction never committed"
    # recovered <=> a copy is not valid
    valid = [s == cmeta.COPY_VALID for s in ld.status]
    assert (ld.result == cmeta.META_OK) == all(valid)
    # upload progress never points past a verified chunk
    if rec.up_slot != SLOT_NONE:
        assert rec.up_slot != a
        assert rec.up_offset % dev.chunk == 0
        for k in range(rec.up_offset // dev.chunk):
            assert dev.chunk_ok(
                rec.up_slot, rec.up_build, rec.up_image_id, dev.lens[rec.up_image_id], k
            ), f"progress {rec.up_offset} points past unverified chunk {k}"
    if rec.state[a ^ 1] == ST_PENDING:
        assert rec.next == a ^ 1
    return ld


def settle(dev: Device, run: Run, max_boots: int) -> cmeta.BootRes:
    """Reset until the device boots a non-trial image (the app never confirms)."""
    res = boot_step(dev, run)
    for _ in range(max_boots):
        if not res.trial:
            return res
        res = boot_step(dev, run)
    raise AssertionError("pending never ends")
