"""Issue 16: each recovery judged once. A cut state that agrees with an earlier recovery on
every flash page that recovery read (its read set, recorded by the engine's page tracker) is
"same recovery as" that point; a state that differs on a page the recovery read is not; the
seeded sample runs anyway and agrees; shards merged equal the unsplit sweep and the report is
byte-identical run to run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hil.cli import main
from hil.engine.unicorn.core import PAGE
from hil.faults import parse_plan
from hil.firmware import build_firmware
from hil.platform import load_platform
from hil.sweep import Sweep, SweepOptions
from hil.sweep.result import SweepResult
from hil.sweep.states import SAME_RECOVERY, dense

CHIP = "lpc55s69"


def _ops() -> tuple[int, int, int, int]:
    """The last metadata write before the download (a cut there tears the record the
    bootloader reads first), two erases of later slot B pages in the download (the factory
    slot B is blank and no record names it: the recovery never reads it, a torn erase there
    leaves a state of its own), and the first page of that metadata copy."""
    platform = load_platform(CHIP)
    ops, _, _ = Sweep(platform, build_firmware(platform)).clean_pass()
    erases = [op for op in ops if op.kind == "erase" and op.area == "slot_b"]
    meta = [
        op
        for op in ops
        if op.index < erases[0].index and op.kind == "program" and op.area.startswith("meta")
    ][-1]
    page = (meta.address - platform.flash.base) // PAGE
    return meta.index, erases[2].index, erases[3].index, page


def _plan(ops: tuple[int, ...]) -> list[dict[str, Any]]:
    return [{"kind": "flash_op_cut", "op": op} for op in ops]


def _sweep(faults: list[dict[str, Any]], **opt: Any) -> SweepResult:
    platform = load_platform(CHIP)
    plan = parse_plan({"faults": faults}, "test plan")
    options = SweepOptions(plan=plan, workers=2, **opt)
    return Sweep(platform, build_firmware(platform), options=options).run()


def test_read_set_duplicate_collapses_a_state_differing_on_a_read_page_does_not() -> None:
    torn, first, second, page = _ops()
    res = _sweep(_plan((torn, first, second)), sample=1.0)
    torn_meta, owner, dup = res.points
    # the two later erases tear pages the recovery never reads: different states, one recovery
    assert owner.same_as is None and owner.ran and owner.reads, owner.problems()
    assert dup.state != owner.state, "expected two different cut states"
    assert (dup.same_as, dup.same_how) == (owner.point.id, "recovery")
    # the seeded sample (rate 1) runs it anyway: it agrees with the owner
    assert dup.ran and dup.sampled and dup.agrees is True and dup.ok, dup.problems()
    assert dup.verdict.outcome is owner.verdict.outcome
    # the torn metadata record differs on a page both recoveries read: not the same recovery
    assert page in owner.reads and torn_meta.reads and page in torn_meta.reads
    assert owner.pages is not None and torn_meta.pages is not None
    assert dense(torn_meta.pages)[page] != dense(owner.pages)[page]
    assert torn_meta.same_as is None and torn_meta.ran
    assert torn_meta.ok, torn_meta.problems()
    assert (res.cuts, res.distinct_recoveries, res.points_run, res.collapsed) == (3, 2, 3, 1)
    assert (res.sample_run, res.sample_agreed) == (1, 1)
    # without the sample the duplicate is not run and takes the owner's outcome
    skipped = _sweep(_plan((torn, first, second)), sample=0.0)
    dup = skipped.points[2]
    assert (dup.same_as, dup.same_how, dup.ran) == (owner.point.id, "recovery", False)
    assert dup.verdict.outcome is owner.verdict.outcome and dup.ok
    assert (skipped.points_run, skipped.collapsed, skipped.sample_run) == (2, 1, 0)
    # dedup off: every point runs, with the same outcomes
    off = _sweep(_plan((torn, first, second)), dedup=False)
    assert off.points_run == 3 and all(r.reads is None for r in off.points)
    assert [r.verdict.outcome for r in off.points] == [r.verdict.outcome for r in res.points]


def test_recovery_report_is_deterministic_and_shards_merge_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    torn, first, second, _ = _ops()
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"faults": _plan((torn, first, second))}), encoding="utf-8")
    base = ["sweep", "--platform", CHIP, "--plan", str(plan), "--workers", "2", "--sample", "0"]
    for name in ("whole", "again"):
        assert main([*base, "--report", str(tmp_path / name)]) == 0
    out = capsys.readouterr().out
    assert "distinct recoveries: 2" in out and "points collapsed: 1" in out, out
    shards = [str(tmp_path / f"shard-{k}") for k in (1, 2)]
    for k, d in enumerate(shards, 1):
        assert main([*base, "--shard", f"{k}/2", "--report", d]) == 0
    assert main(["report", str(tmp_path / "merged"), "--merge", *shards]) == 0
    for name in ("points.jsonl", "summary.json"):  # (sweep.json keeps wall times)
        whole = (tmp_path / "whole" / name).read_bytes()
        assert (tmp_path / "again" / name).read_bytes() == whole, f"{name}: not deterministic"
        assert (tmp_path / "merged" / name).read_bytes() == whole, name
    lines = (tmp_path / "whole" / "points.jsonl").read_text().splitlines()
    dup = json.loads(lines[2])
    assert dup["same"] == SAME_RECOVERY and not dup["run"]
    summary = json.loads((tmp_path / "whole" / "summary.json").read_text())
    assert summary["distinct_recoveries"] == 2 and summary["points_collapsed"] == 1
    assert summary["collapsed_by"][SAME_RECOVERY] == 1
