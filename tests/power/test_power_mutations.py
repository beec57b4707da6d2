"""The four power-safety mutation flags (docs/contracts.md §8) are observable in the device's
evidence with the fault tools: for each, one fault point where the normal firmware recovers
correctly and the mutated firmware visibly misbehaves.

Every case installs build 2 into slot B of a fresh device (build 1 confirmed in A) with the
fault armed from power-on (tests/power/cuts.py), powers the device on again after the cut and
judges only the events the device emitted. Where the point is "right before flash operation
N", N comes from a clean run of the same firmware and the cut is a symbol cut at the app's
flash-driver call that starts op N (see cuts.cut_before).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hil.device import Device
from hil.evidence import Event, Outcome
from hil.firmware import FirmwareSet
from hil.platform.model import Platform
from hil.pytest_plugin.fixtures import DeviceFactory, FirmwareFactory
from hil.scenarios import Bench, settle_boot
from hil.update import package_for
from tests.power.cuts import (
    APP_B_PREFIX,
    BUILD,
    SLOT,
    Run,
    area_of,
    clean_run,
    cut_before,
    cut_run,
    describe,
    image_geometry,
    names,
    unit_op,
)

# each planted bug runs on one chip by default, on both under -m slow (hil.pytest_plugin.markers)
pytestmark = pytest.mark.heavy

Make = Callable[..., Device]


def _setup(
    platform: Platform, firmware_factory: FirmwareFactory, flag: str | None
) -> tuple[FirmwareSet, bytes]:
    fw = firmware_factory(platform, defines={flag: 1} if flag else None)
    return fw, package_for(platform, fw, BUILD, SLOT)


def _both(
    platform: Platform,
    firmware_factory: FirmwareFactory,
    device_factory: DeviceFactory,
    flag: str,
    point: Callable[[Run | None, bytes], dict[str, object]],
    *,
    resume: bool = False,
    clean: bool = True,
) -> tuple[Run, Run]:
    """The same kind of fault point on the normal and on the mutated firmware."""
    runs = []
    for defines in (None, flag):
        fw, pkg = _setup(platform, firmware_factory, defines)
        ref = clean_run(platform, fw, device_factory, pkg) if clean else None
        if ref is not None:
            assert ref.outcome is Outcome.CONFIRMED, "the clean install must confirm"
        runs.append(cut_run(platform, fw, device_factory, pkg, point(ref, pkg), resume=resume))
    return runs[0], runs[1]


def _ref(run: Run | None) -> Run:
    assert run is not None
    return run


def _app_boot(events: list[Event]) -> Event:
    boots = names(events, "BOOT")
    assert boots, describe(events)
    return boots[-1]


# -- item 12: metadata rewritten in place ------------------------------------------------------


def _first_meta_program(run: Run, platform: Platform) -> dict[str, object]:
    """Between the erase and the program of the install's first metadata commit."""
    ops = run.ops[run.boot_ops :]
    erase = next(
        o for o in ops if o.kind == "erase" and area_of(platform, o.address) in ("meta_a", "meta_b")
    )
    program = run.ops[erase.index + 1]
    assert (program.kind, program.address) == ("program", erase.address)
    return cut_before(run, program)


def test_meta_in_place_loses_all_metadata(
    platform: Platform, firmware_factory: FirmwareFactory, device_factory: DeviceFactory
) -> None:
    """MUT_META_IN_PLACE: a cut between the erase and the program of a metadata commit. The
    normal firmware erased the other copy, the winner survives (META result=recovered); the
    mutated one erased its only copy (META result=both-invalid, the factory-state adoption)."""
    normal, mutated = _both(
        platform,
        firmware_factory,
        device_factory,
        "MUT_META_IN_PLACE",
        lambda run, _pkg: _first_meta_program(_ref(run), platform),
    )
    for run in (normal, mutated):
        assert run.fired and run.fired[0].startswith("symbol_cut"), run.fired
    (meta,) = names(normal.after_cut(), "META")
    assert meta["result"] == "recovered" and meta["copy"] in ("A", "B"), meta
    assert not names(normal.after_cut(), "RESCUE")
    assert _app_boot(normal.after_cut())["build"] == "1"

    (meta,) = names(mutated.after_cut(), "META")
    assert (meta["result"], meta["copy"]) == ("both-invalid", "none"), meta
    # nothing records which slot was confirmed any more: the bootloader adopts what verifies
    assert names(mutated.after_cut(), "SLOT_TRANSITION", to="CONFIRMED", **{"from": "IDLE"}) or (
        names(mutated.after_cut(), "RESCUE", cause="no_bootable")
    ), describe(mutated.after_cut())


# -- item 11: PENDING before the last chunk and the re-verify ----------------------------------


def test_pending_before_hash_leaves_an_incomplete_pending_slot(
    platform: Platform, firmware_factory: FirmwareFactory, device_factory: DeviceFactory
) -> None:
    """MUT_PENDING_BEFORE_HASH: a cut as soon as the device reports PENDING (phase_cut
    reboot). The normal firmware reports PENDING after the last chunk, the re-verify and the
    metadata commit, so the trial boot of build 2 follows. The mutated one reported PENDING
    before the last chunk was programmed and checked: the PENDING slot fails its check at boot
    and is rolled back (ROLLBACK reason=verify)."""
    plan = {"faults": [{"kind": "phase_cut", "phase": "reboot"}]}
    normal, mutated = _both(
        platform,
        firmware_factory,
        device_factory,
        "MUT_PENDING_BEFORE_HASH",
        lambda _run, _pkg: plan,
        clean=False,
    )
    seq = [e for e in normal.before_cut() if e.name in ("CHUNK", "PHASE", "SLOT_TRANSITION")]
    tail = [str(e).split(" ", 2)[2] for e in seq[-4:]]
    assert tail == [
        "SLOT_TRANSITION from=VERIFYING to=STAGING slot=B attempt=0",
        "PHASE name=re_verify",
        "PHASE name=meta_commit",
        "SLOT_TRANSITION from=STAGING to=PENDING slot=B attempt=0",
    ], describe(seq)
    after = normal.after_cut()
    assert names(after, "SLOT_TRANSITION", to="BOOT_TEST", slot=SLOT)
    assert not names(after, "ROLLBACK")
    boot = _app_boot(after)
    assert (boot["slot"], boot["build"], boot["state"]) == (SLOT, str(BUILD), "trial")

    before = mutated.before_cut()
    pending = names(before, "SLOT_TRANSITION", to="PENDING")
    assert pending and not names(before, "PHASE", name="re_verify"), describe(before)
    after = mutated.after_cut()
    (rb,) = names(after, "ROLLBACK")
    assert (rb["reason"], rb["candidate_build"]) == ("verify", str(BUILD)), rb
    failed = [
        e for e in after if e.name in ("VERIFY_SIG", "PARSE_MANIFEST") and e.get("result") == "fail"
    ]
    assert failed, f"the PENDING slot's check at boot:\n{describe(after)}"
    assert _app_boot(after)["slot"] == "A"


# -- item 13: brownout write gating --------------------------------------------------------------


def _mid_upload(run: Run, platform: Platform) -> dict[str, object]:
    """A brownout (default hold-up, supply at the monitor threshold) that starts at a write of
    the target slot whose next write, in the clean run, started well inside the hold-up: there
    is a write to gate before the brownout reset (STM32U585: a payload program, 100 us each;
    LPC55S69: an erase of the slot preparation, 1 ms each)."""
    slot = f"slot_{SLOT.lower()}"
    ops = run.ops[run.boot_ops :]
    window = platform.supply.holdup_us * platform.core.clock_hz * 8 // 10_000_000  # 80 %
    writes = [
        o
        for o, nxt in zip(ops, ops[1:], strict=False)
        if area_of(platform, o.address) == slot and nxt.at - o.at < window
    ]
    assert writes, "no write followed another within the hold-up"
    return {"faults": [{"kind": "brownout", "at": {"flash_op": writes[len(writes) // 2].index}}]}


def test_no_brownout_gating_writes_at_low_supply(
    platform: Platform, firmware_factory: FirmwareFactory, device_factory: DeviceFactory
) -> None:
    """MUT_NO_BROWNOUT_GATING: the supply drops below the monitor threshold mid-upload. The
    normal firmware refuses the next write (WRITE_GATED) until the brownout reset; the mutated
    one starts erase/program anyway: no WRITE_GATED before the reset."""
    normal, mutated = _both(
        platform,
        firmware_factory,
        device_factory,
        "MUT_NO_BROWNOUT_GATING",
        lambda run, _pkg: _mid_upload(_ref(run), platform),
    )
    nominal = platform.supply.nominal_mv
    for run in (normal, mutated):
        assert run.fired and run.fired[0].startswith("brownout"), run.fired
        (reason,) = names(run.after_cut()[:1], "REBOOT_REASON")
        assert (reason["cause"], reason["brownout_flag"]) == ("brownout", "1"), reason
        assert _app_boot(run.after_cut())["slot"] == "A"
    gated = names(normal.before_cut(), "WRITE_GATED")
    assert gated and gated[0]["operation"] in ("erase", "program"), describe(normal.before_cut())
    assert not [o for o in normal.ops if o.supply_mv < nominal]  # harness side: none started

    assert not names(mutated.before_cut(), "WRITE_GATED"), describe(mutated.before_cut())
    assert [o for o in mutated.ops if o.supply_mv < nominal], "no write during the hold-up"


# -- item 2: resume point advanced before the chunk is verified ---------------------------------


def _before_chunk_end(run: Run, pkg: bytes, platform: Platform, chunk: int) -> dict[str, object]:
    """Right before the program of chunk ``chunk``'s last unit (its bytes are all received)."""
    hdr, _end, cs = image_geometry(pkg)
    return cut_before(run, unit_op(run, platform, hdr + (chunk + 1) * cs - 1))


def _last_ok(events: list[Event]) -> int:
    ok = [int(e["index"]) for e in names(events, "CHUNK", result="ok")]
    return ok[-1] if ok else -1


def test_resume_before_verify_skips_an_unverified_chunk(
    platform: Platform, firmware_factory: FirmwareFactory, device_factory: DeviceFactory
) -> None:
    """MUT_RESUME_BEFORE_VERIFY: a cut in the middle of chunk 1 (its bytes received, its last
    unit not programmed yet), then the same package again. The normal firmware resumes at the
    chunk after the last CHUNK result=ok and the update confirms; the mutated one resumes one
    chunk further (RESUME chunk beyond the last verified chunk + 1), never writes the skipped
    chunk again, and the whole-image check refuses the result."""
    normal, mutated = _both(
        platform,
        firmware_factory,
        device_factory,
        "MUT_RESUME_BEFORE_VERIFY",
        lambda run, pkg: _before_chunk_end(_ref(run), pkg, platform, 1),
        resume=True,
    )
    last = _last_ok(normal.before_cut())
    assert last == 0, describe(normal.before_cut())
    (res,) = names(normal.after_cut(), "RESUME")
    assert int(res["chunk"]) == last + 1, res
    assert normal.outcome is Outcome.CONFIRMED, describe(normal.after_cut())

    last = _last_ok(mutated.before_cut())
    assert last == 0, describe(mutated.before_cut())
    (res,) = names(mutated.after_cut(), "RESUME")
    assert int(res["chunk"]) > last + 1, f"{res}: chunk {last + 1} was never verified"
    after = mutated.after_cut()
    assert names(after, "VERIFY_SIG", result="fail", error_code="hash_mismatch"), describe(after)
    assert names(after, "SLOT_TRANSITION", to="REJECTED", slot=SLOT)
    assert not names(after, "SLOT_TRANSITION", to="PENDING")


# -- the staged floor bump (normal firmware) ----------------------------------------------------


def test_staged_floor_bump_is_completed_by_the_bootloader(
    platform: Platform, firmware_factory: FirmwareFactory, device_factory: DeviceFactory
) -> None:
    """A cut after the CONFIRMED commit, right when the trial app starts the floor bump (symbol
    cut at the slot-B app's upd_floor_bump): the next boot runs the confirmed build 2 and the
    bootloader completes the staged bump (PHASE name=floor_bump from src boot), once."""
    fw, pkg = _setup(platform, firmware_factory, None)
    plan = {"faults": [{"kind": "symbol_cut", "symbol": APP_B_PREFIX + "upd_floor_bump"}]}
    run = cut_run(platform, fw, device_factory, pkg, plan)
    before = run.before_cut()
    assert names(before, "PHASE", name="confirm")
    assert names(before, "SLOT_TRANSITION", to="CONFIRMED", slot=SLOT)
    assert not names(before, "PHASE", name="floor_bump"), describe(before)
    after = run.after_cut()
    bumps = names(after, "PHASE", name="floor_bump")
    assert [e.src for e in bumps] == ["boot"], describe(after)
    assert not names(after, "SLOT_TRANSITION", to="BOOT_TEST")  # confirmed: no trial
    boot = _app_boot(after)
    assert (boot["slot"], boot["build"], boot["state"]) == (SLOT, str(BUILD), "running")
    mark = run.device.mark()
    run.device.power_cycle()
    settle_boot(Bench(platform, fw, device_factory), run.device)  # type: ignore[arg-type]
    again = run.device.events_since(mark)
    assert not names(again, "PHASE"), describe(again)  # the bump is done, nothing staged
    assert _app_boot(again)["slot"] == SLOT
