"""Power cut at EVERY flash operation of each metadata transaction (MCUboot-simulator style),
on both chips' geometries: install -> pending, boot attempts -> rollback, confirm and the
staged floor bump (two commits; the bootloader completes a staged bump), self-test failure,
upload progress, first-boot adoption and a second release into the other slot. After each
cut: reload, check the invariants, let the device finish (resume the upload, reset until it
boots a non-trial image)."""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import cmeta
import pytest
from cmeta import (
    ACT_BOOT,
    META_BOTH_INVALID,
    META_OK,
    SLOT_A,
    SLOT_B,
    SLOT_NONE,
    ST_CONFIRMED,
    ST_EMPTY,
    ST_FAILED,
    ST_PENDING,
)
from device import Baseline, Device, Run, boot_step, common_invariants, settle, step, sweep

K_RANDOM = 24
CHUNK = 512
SMALL = 3 * CHUNK - 32  # payload bytes: header + payload = 3 chunks
BIG = {"stm32u585": 20 * CHUNK - 32, "lpc55s69": 8 * CHUNK - 32}  # crosses an 8 KiB page
ID_A1, ID_B2, ID_A3 = 0xA1A1A1A1, 0xB2B2B2B2, 0xA3A3A3A3

CUTS: dict[tuple[str, str], tuple[int, int]] = {}


@pytest.fixture
def dev(metalib: ctypes.CDLL, chip: cmeta.Chip):
    d = Device(metalib, chip, CHUNK)
    d.lens = {ID_A1: SMALL, ID_B2: SMALL, ID_A3: SMALL}
    yield d
    d.close()


def ok(dev: Device, run: Run, rc: int) -> None:
    assert step(dev, run, rc) == 0, rc


def provision(dev: Device, upto: str) -> None:
    """Build a start state: factory | confirmedA | pendingB | trialB | confirmedB."""
    dev.factory(SLOT_A, 1, ID_A1, SMALL)
    if upto == "factory":
        return
    run = Run()
    res = boot_step(dev, run)
    assert res.action == ACT_BOOT and res.slot == SLOT_A
    if upto == "confirmedA":
        return
    assert dev.upload(SLOT_B, 2, ID_B2, dev.lens[ID_B2])[0] == 0
    if upto == "pendingB":
        return
    res = boot_step(dev, run)
    assert res.trial and res.slot == SLOT_B
    if upto == "trialB":
        return
    assert dev.confirm(SLOT_B) == 0
    assert upto == "confirmedB"


def trial_total(before: dict[int, int], run: Run, after: Run, iid: int) -> int:
    return before.get(iid, 0) + run.trial_jumps.get(iid, 0) + after.trial_jumps.get(iid, 0)


def record(name: str, dev: Device, stats) -> None:
    CUTS[(name, dev.chip.name)] = (stats.ops, stats.cuts)


def run_sweep(
    name: str,
    dev: Device,
    txn: Callable[[Device, Run], None],
    check: Callable[[Device, Run, Baseline], None],
    seed: int,
) -> None:
    stats = sweep(dev, txn, check, K_RANDOM, seed)
    assert stats.ops > 0
    record(name, dev, stats)


# ---------------------------------------------------------------------------------------------


def test_adopt_first_boot(dev: Device) -> None:
    """Factory state (image in A, metadata erased): the first boot adopts A as CONFIRMED,
    writing both copies; a cut anywhere still ends in a CONFIRMED A."""
    provision(dev, "factory")

    def txn(d: Device, run: Run) -> None:
        res = boot_step(d, run)
        assert res.out.commits == 2

    def check(d: Device, run: Run, base: Baseline) -> None:
        ld = d.load()
        assert ld.result in (META_OK, cmeta.META_RECOVERED, META_BOTH_INVALID)
        after = Run()
        res = settle(d, after, d.chip.attempts + 2)
        assert res.action == ACT_BOOT and res.slot == SLOT_A
        ld = d.load()
        assert ld.result == META_OK and ld.rec.state[SLOT_A] == ST_CONFIRMED
        assert ld.rec.floor == 0

    run_sweep("adopt", dev, txn, check, 1)


def check_upload(slot: int, build: int, iid: int, prior: dict[int, int]):
    def check(d: Device, run: Run, base: Baseline) -> None:
        ld = common_invariants(d, base)
        assert d.violations() == 0, "the confirmed slot was written during the update"
        rc, resumed = d.upload(slot, build, iid, d.lens[iid])
        assert rc == 0, f"resume failed: {rc}"
        if ld.rec.up_slot == slot and ld.rec.up_image_id == iid:
            assert resumed <= ld.rec.up_offset
        ld = d.load()
        assert ld.result == META_OK
        r = ld.rec
        assert r.state[slot] == ST_PENDING and r.next == slot and r.build[slot] == build
        assert r.up_slot == SLOT_NONE and r.floor == base.start.rec.floor
        assert d.violations() == 0
        after = Run()
        res = settle(d, after, d.chip.attempts + 2)
        assert trial_total(prior, run, after, iid) <= d.chip.attempts
        assert res.action == ACT_BOOT and res.slot == base.start.rec.active  # never confirmed

    return check


@pytest.mark.parametrize("size", ["small", "big"])
def test_install_and_progress(dev: Device, size: str) -> None:
    """Upload into the inactive slot (chunk by chunk, progress committed after each verified
    chunk) and install as PENDING; slot A (confirmed) is write-protected throughout."""
    if size == "big":
        dev.lens[ID_B2] = BIG[dev.chip.name]
    provision(dev, "confirmedA")
    dev.protect(dev.slot_addr[SLOT_A], dev.geom.slot_size)

    def txn(d: Device, run: Run) -> None:
        ok(d, run, d.upload(SLOT_B, 2, ID_B2, d.lens[ID_B2])[0])

    run_sweep(f"install-{size}", dev, txn, check_upload(SLOT_B, 2, ID_B2, {}), 2)


def test_boot_attempts_rollback(dev: Device) -> None:
    """A pending image that never confirms boots at most N times, then A boots again."""
    provision(dev, "pendingB")
    n = dev.chip.attempts

    def txn(d: Device, run: Run) -> None:
        for _ in range(n + 1):
            boot_step(d, run)

    def check(d: Device, run: Run, base: Baseline) -> None:
        common_invariants(d, base)
        after = Run()
        res = settle(d, after, n + 2)
        assert trial_total({}, run, after, ID_B2) <= n
        assert res.action == ACT_BOOT and res.slot == SLOT_A
        r = d.load().rec
        assert r.state[SLOT_B] == ST_FAILED and r.next == SLOT_A and r.floor == 0

    run_sweep("attempts", dev, txn, check, 3)
    # clean run: exactly N trial boots, then the rollback
    dev.restore()
    run = Run()
    for _ in range(n + 1):
        boot_step(dev, run)
    assert run.trial_jumps == {ID_B2: n}


def test_confirm_floor_bump(dev: Device) -> None:
    """Self-test passed: B becomes CONFIRMED (floor bump staged: floor_next 2), then a second
    commit raises the floor to 2. A cut between the two leaves the bump staged; the next boot
    of the CONFIRMED, verified B completes it. The floor never rises while B is not
    CONFIRMED."""
    provision(dev, "trialB")

    def txn(d: Device, run: Run) -> None:
        ok(d, run, d.confirm(SLOT_B))

    seen: set[str] = set()

    def check(d: Device, run: Run, base: Baseline) -> None:
        r = common_invariants(d, base).rec
        if r.active == SLOT_B:
            assert r.state[SLOT_A] == ST_EMPTY and r.attempts[SLOT_B] == 0
            assert (r.floor, r.floor_next) in ((0, 2), (2, 0))
            seen.add("staged" if r.floor_next else "bumped")
        else:
            assert (r.floor, r.floor_next) == (0, 0), "floor moved before the confirm"
            assert r.state[SLOT_B] == ST_PENDING and r.attempts[SLOT_B] == 1
            seen.add("lost")
        staged = r.active == SLOT_B and r.floor_next != 0
        after = Run()
        res = boot_step(d, after)
        assert res.action == ACT_BOOT and res.slot == SLOT_B
        assert bool(res.floor_bumped) == staged, "the boot completes exactly a staged bump"
        if r.active == SLOT_A:  # the confirm was lost: the app confirms on this boot
            assert res.trial and d.confirm(SLOT_B) == 0
        r = d.load().rec
        assert r.active == SLOT_B and (r.floor, r.floor_next) == (2, 0)
        assert trial_total({ID_B2: 1}, run, after, ID_B2) <= d.chip.attempts

    run_sweep("confirm", dev, txn, check, 4)
    assert {"lost", "staged"} <= seen, seen  # the floor commit is the last op: never cut after


def test_staged_floor_never_for_unconfirmed(dev: Device) -> None:
    """The bootloader completes only a staged bump of the verified CONFIRMED image: not after
    adoption (nothing staged), not while the confirmed image does not verify."""
    provision(dev, "confirmedA")
    res = boot_step(dev, Run())
    assert not res.floor_bumped and dev.load().rec.floor == 0  # adopted build 1: no bump
    assert dev.upload(SLOT_B, 2, ID_B2, dev.lens[ID_B2])[0] == 0
    res = boot_step(dev, Run())
    assert res.trial and not res.floor_bumped
    assert dev.lib.h_confirm_only(dev.h, SLOT_B) == 0
    r = dev.load().rec
    assert (r.active, r.floor, r.floor_next) == (SLOT_B, 0, 2)
    # B's image damaged: no bump (and no boot of B)
    dev.save(1)
    dev.lib.fs_erase(dev.fs, dev.slot_addr[SLOT_B])
    res = boot_step(dev, Run())
    assert not res.floor_bumped and dev.load().rec.floor == 0
    dev.restore(1)
    res = boot_step(dev, Run())
    assert res.floor_bumped and res.slot == SLOT_B
    r = dev.load().rec
    assert (r.floor, r.floor_next) == (2, 0)
    assert dev.lib.h_floor_bump(dev.h, SLOT_B) == 1  # nothing staged any more: no-op


def test_self_test_failure(dev: Device) -> None:
    """Self-test failed: FAILED + ROLLBACK reason=self-test, next reset boots A."""
    provision(dev, "trialB")

    def txn(d: Device, run: Run) -> None:
        ok(d, run, d.reject(SLOT_B))
        res = boot_step(d, run)
        assert res.slot == SLOT_A and not res.trial

    def check(d: Device, run: Run, base: Baseline) -> None:
        common_invariants(d, base)
        after = Run()
        res = settle(d, after, d.chip.attempts + 2)
        assert res.slot == SLOT_A and res.action == ACT_BOOT
        assert trial_total({ID_B2: 1}, run, after, ID_B2) <= d.chip.attempts
        assert d.load().rec.floor == 0

    run_sweep("self-test-fail", dev, txn, check, 5)


def test_second_release_other_slot(dev: Device) -> None:
    """Matrix 3: after B is confirmed the next release goes to A (A, B, A ...); B is
    write-protected during the update; floor 2 -> 3 only with A's confirmation."""
    provision(dev, "confirmedB")
    dev.protect(dev.slot_addr[SLOT_B], dev.geom.slot_size)

    def txn(d: Device, run: Run) -> None:
        ok(d, run, d.upload(SLOT_A, 3, ID_A3, d.lens[ID_A3])[0])
        res = boot_step(d, run)
        assert res.trial and res.slot == SLOT_A
        ok(d, run, d.confirm(SLOT_A))

    def check(d: Device, run: Run, base: Baseline) -> None:
        r = common_invariants(d, base).rec
        assert d.violations() == 0
        assert r.floor in (2, 3) and (r.floor == 3) <= (r.active == SLOT_A)
        assert r.floor_next in (0, 3) and (r.floor_next == 3) <= (r.active == SLOT_A)
        if (
            r.active == SLOT_B
            and r.up_slot == SLOT_A
            or r.state[SLOT_A] != ST_PENDING
            and r.active == SLOT_B
        ):
            assert d.upload(SLOT_A, 3, ID_A3, d.lens[ID_A3])[0] == 0
        r = d.load().rec
        if r.active == SLOT_B:
            after = Run()
            res = boot_step(d, after)
            assert res.trial and res.slot == SLOT_A
            assert trial_total({}, run, after, ID_A3) <= d.chip.attempts
            assert d.confirm(SLOT_A) == 0
        r = d.load().rec
        if r.floor_next:  # cut between the confirm and the floor commit: the boot completes it
            res = boot_step(d, Run())
            assert res.floor_bumped and res.slot == SLOT_A and not res.trial
            r = d.load().rec
        assert r.active == SLOT_A and r.floor == 3 and r.state[SLOT_B] == ST_EMPTY

    run_sweep("second-release", dev, txn, check, 6)


def test_report_cut_counts() -> None:
    """Summary of the sweeps above (ops in the clean run, cut runs executed)."""
    for (name, chipname), (ops, cuts) in sorted(CUTS.items()):
        print(f"{chipname:10s} {name:16s} ops={ops:5d} cut-runs={cuts:5d}")
