"""A swept point (forked snapshot) and the replay of its record from the start give the same
console bytes; every fault fired and was counted; bad plans say what exists."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hil.faults import FaultPlanError, parse_plan
from hil.firmware import FirmwareSet
from hil.platform.model import Platform
from hil.provision import factory_image
from hil.record import write_record
from hil.sweep import PointKind, Sweep, SweepOptions, select_points
from hil.sweep.report import point_record, write_sweep

FwFactory = Callable[[Platform], FirmwareSet]


@pytest.mark.heavy
def test_swept_points_replay_byte_identical(
    platform: Platform, firmware_factory: FwFactory, tmp_path: Path
) -> None:
    fw = firmware_factory(platform)
    probe = Sweep(platform, fw, options=SweepOptions())
    ops, marks, _ = probe.clean_pass()
    slot_op = next(i for i, op in enumerate(ops) if op.area == "slot_b" and op.kind == "program")
    meta_op = next(
        i for i, op in enumerate(ops) if op.area.startswith("meta") and op.phase != "idle"
    )
    plan = parse_plan(
        {
            "faults": [
                {"kind": "flash_op_cut", "op": ops[slot_op + 3].index},
                {"kind": "phase_cut", "phase": "staging"},
                {"kind": "brownout", "at": {"flash_op": ops[meta_op].index}},
                {"kind": "phase_cut", "phase": "boot_test", "offset": 20_000},
            ]
        },
        "test plan",
    )
    sweep = Sweep(platform, fw, options=SweepOptions(plan=plan, seed=1))
    res = sweep.run()
    kinds = [r.point.kind for r in res.points]
    assert kinds == [PointKind.FLASH_OP, PointKind.PHASE, PointKind.BROWNOUT, PointKind.RANDOM]
    hashes = factory_image(platform, fw).provenance()
    for r in res.points:
        assert r.fired, f"{r.point.id}: the fault never fired"
        assert len(r.fired) == 1
        assert r.verdict.ok, (r.point.id, r.problems())
        rec = point_record(res, r, engine="unicorn", build=2, defines={}, hashes=hashes)
        path = write_record(rec, tmp_path / f"{r.point.id}.json")
        # the user's path: `hil replay RECORD` in a fresh process
        done = subprocess.run(
            [sys.executable, "-m", "hil", "replay", str(path)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"{r.point.id}: {done.stdout}{done.stderr}"
        assert "evidence: identical" in done.stdout
        assert r.fired[0].kind in done.stdout
    written = write_sweep(res, tmp_path, engine="unicorn", build=2, defines={}, hashes=hashes)
    assert len(written["points"].read_text().splitlines()) == 4
    # the summary is deterministic: wall-clock figures go to timing.json, and only on request
    summary = json.loads(written["summary"].read_text())
    assert not {"wall_s", "points_per_s", "overhead_ratio"} & summary.keys()
    assert "timing" not in written and not (tmp_path / "timing.json").exists()
    timed = write_sweep(
        res, tmp_path / "t", engine="unicorn", build=2, defines={}, hashes=hashes, timing=True
    )
    assert json.loads(timed["timing"].read_text())["workers"] == res.workers


def test_a_plan_the_sweep_cannot_snapshot_is_refused(
    platform: Platform, firmware_factory: FwFactory
) -> None:
    plan = parse_plan({"faults": [{"kind": "symbol_cut", "symbol": "main"}]}, "p.yaml")
    sweep = Sweep(platform, firmware_factory(platform), options=SweepOptions(plan=plan))
    ops, marks, _ = sweep.clean_pass()
    with pytest.raises(FaultPlanError, match=r"faults\[0\]\.kind.*flash_op_cut"):
        select_points(platform, SweepOptions(plan=plan), ops, marks)
    beyond = parse_plan({"faults": [{"kind": "flash_op_cut", "op": 10**6}]}, "p.yaml")
    with pytest.raises(FaultPlanError, match=r"below the clean run's \d+"):
        select_points(platform, SweepOptions(plan=beyond), ops, marks)
