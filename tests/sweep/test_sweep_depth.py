"""Issue 15: cuts during the recovery (``--depth``), distinct states judged once (with a seeded
sample that must agree), shards merged into the unsplit result. Small plans keep these fast;
the full depth-2 sweeps of both chips are the ``slow`` ones at the end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hil.cli import main
from hil.evidence import Outcome
from hil.faults import parse_plan
from hil.firmware import build_firmware
from hil.platform import load_platform
from hil.provision import factory_image
from hil.replay import replay
from hil.sweep import Sweep, SweepOptions
from hil.sweep.judge import PointVerdict
from hil.sweep.outside import OracleView, disagreement
from hil.sweep.report import point_record
from hil.sweep.result import SweepResult


def _sweep(chip: str, faults: list[dict[str, Any]], **opt: Any) -> SweepResult:
    platform = load_platform(chip)
    fw = build_firmware(platform)
    plan = parse_plan({"faults": faults}, "test plan")
    return Sweep(platform, fw, options=SweepOptions(plan=plan, workers=2, **opt)).run()


def _meta_commit_op(chip: str) -> int:
    platform = load_platform(chip)
    ops, _, _ = Sweep(platform, build_firmware(platform)).clean_pass()
    return next(op.index for op in ops if op.phase == "metadata_commit" and op.area != "evidence")


def test_depth_2_cuts_every_recovery_op_and_replays_the_path() -> None:
    chip = "lpc55s69"
    res = _sweep(chip, [{"kind": "flash_op_cut", "op": _meta_commit_op(chip)}], depth=2)
    top, *deeper = res.points
    assert top.point.depth == 1 and deeper, "the recovery's flash operations were not cut"
    assert top.ok, top.problems()
    ops = [r.point.op for r in deeper]
    assert ops == sorted(ops) and len(set(ops)) == len(ops)  # each recovery op once, in order
    for r in deeper:
        assert r.point.id.startswith(top.point.id + "--"), r.point.id  # the whole cut path
        assert len(r.fired) == 1 and r.ran, r.point.id
        assert r.ok, (r.point.id, r.problems())
    for r in res.points:  # the outside oracle judged every point too, and agrees
        assert r.verdict.oracle is not None and r.verdict.oracle.startswith(
            f"build {r.verdict.build} from slot {r.verdict.slot} "
        ), (r.point.id, r.verdict.oracle)
    assert res.bricks == 0 and res.passed
    # a depth-2 point replays exactly from the start with its two cuts, and --gdb stops at
    # its last cut
    platform = load_platform(chip)
    hashes = factory_image(platform, build_firmware(platform)).provenance()
    pick = deeper[len(deeper) // 2]
    rec = point_record(res, pick, engine="unicorn", build=2, defines={}, hashes=hashes)
    assert rec.fault_plan is not None and len(rec.fault_plan["faults"]) == 2
    again = replay(rec)
    assert again.identical, (pick.point.id, again.digest, rec.digest)
    assert [f.kind for f in again.fired] == ["flash_op_cut", "flash_op_cut"]
    halted = replay(rec, halt=True)
    assert halted.halt is not None
    assert halted.halt.instructions == again.fired[-1].instructions
    assert f"flash op {pick.point.op} " in halted.halt.fault


QUIET = 20_000  # ticks since the last flash operation began: it has surely finished


def _dup_plan(chip: str) -> list[dict[str, Any]]:
    """A cut at a phase event that comes while the flash is quiet (no operation in flight)
    and a cut that leaves the flash as it was (tear none) in the next flash operation: the
    same state, reached by two points. (A phase event right after an operation began would
    tear that operation: a state of its own.)"""
    platform = load_platform(chip)
    ops, marks, _ = Sweep(platform, build_firmware(platform)).clean_pass()
    for mark in marks:
        before = [op for op in ops if op.instructions <= mark.instructions]
        after = [op for op in ops if op.instructions > mark.instructions]
        if before and after and mark.instructions - before[-1].instructions >= QUIET:
            return [
                {"kind": "phase_cut", "phase": mark.phase.value, "occurrence": mark.occurrence},
                {"kind": "flash_op_cut", "op": after[0].index, "tear": "none"},
            ]
    raise AssertionError("no phase event of the clean update comes while the flash is quiet")


def test_same_state_is_judged_once_and_the_sample_agrees() -> None:
    chip = "stm32u585"
    plan = _dup_plan(chip)
    sampled = _sweep(chip, plan, sample=1.0)
    first, dup = sampled.points
    assert first.state == dup.state and first.same_as is None
    assert dup.same_as == first.point.id
    # the sample runs the "same state" point anyway: it gives the owner's outcome
    assert dup.ran and dup.sampled and dup.agrees is True and dup.fired
    assert dup.verdict.outcome is first.verdict.outcome and dup.ok
    assert (sampled.cuts, sampled.distinct_states, sampled.points_run) == (2, 1, 2)
    skipped = _sweep(chip, plan, sample=0.0)
    first, dup = skipped.points
    assert dup.same_as == first.point.id and not dup.ran and not dup.sampled
    assert dup.verdict.outcome is first.verdict.outcome and dup.ok
    assert (skipped.cuts, skipped.distinct_states, skipped.points_run) == (2, 1, 1)
    off = _sweep(chip, plan, dedup=False)
    assert off.points_run == 2 and all(r.state is None for r in off.points)
    assert [r.verdict.outcome for r in off.points] == [r.verdict.outcome for r in skipped.points]


@pytest.mark.slow  # the default run merges shards in test_sweep_recovery (depth 1, read sets)
def test_shards_merged_equal_the_unsplit_sweep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.json"
    faults = [*_dup_plan("stm32u585"), {"kind": "flash_op_cut", "op": 120}]
    plan.write_text(json.dumps({"faults": faults}), encoding="utf-8")
    base = ["sweep", "--platform", "stm32u585", "--plan", str(plan), "--workers", "2"]
    assert main([*base, "--sample", "0", "--report", str(tmp_path / "whole")]) == 0
    shards = []
    for k in (1, 2, 3):
        shards.append(str(tmp_path / f"shard-{k}"))
        assert main([*base, "--sample", "0", "--shard", f"{k}/3", "--report", shards[-1]]) == 0
    assert main(["report", str(tmp_path / "merged"), "--merge", *shards]) == 0
    for name in ("points.jsonl", "summary.json"):
        whole = (tmp_path / "whole" / name).read_bytes()
        assert (tmp_path / "merged" / name).read_bytes() == whole, name
    summary = json.loads((tmp_path / "merged" / "summary.json").read_text())
    assert (summary["cuts"], summary["distinct_states"], summary["points_run"]) == (3, 2, 2)
    capsys.readouterr()
    # shards that do not belong together: one line, exit 2
    assert main(["report", str(tmp_path / "bad"), "--merge", shards[0], shards[0]]) == 2
    err = capsys.readouterr().err
    assert "expected shard K/3 once each" in err and "Traceback" not in err


def test_oracle_disagreement_names_both_views() -> None:
    ok = PointVerdict(Outcome.CONFIRMED, build=2, slot="B")
    same = OracleView("build 2", "B", 0x08060321, 0, False)
    assert disagreement(ok, same) is None
    for view in (
        OracleView("build 1", "A", 0x08020321, 0, False),  # another image runs
        OracleView("fault", None, 0x08001234, 1, False),  # a fault handler
        OracleView("unknown:0123456789ab", "B", 0x08060321, 0, False),  # not approved
    ):
        both = disagreement(ok, view)
        assert both is not None
        assert "evidence: build 2 runs from slot B (CONFIRMED)" in both
        assert f"oracle: {view.text()}" in both
    brick = PointVerdict(Outcome.UNKNOWN)
    assert disagreement(brick, OracleView("bootloader", None, 0x08000100, 4, True)) is None
    both = disagreement(brick, same)  # the evidence saw nothing run, yet build 2 runs
    assert both is not None and "no application runs (UNKNOWN)" in both


@pytest.mark.slow
@pytest.mark.parametrize("chip", ["stm32u585", "lpc55s69"])
def test_full_depth_2_sweep_has_no_bricks(chip: str) -> None:
    platform = load_platform(chip)
    fw = build_firmware(platform)
    res = Sweep(platform, fw, options=SweepOptions(depth=2, random=0)).run()
    assert res.bricks == 0, [r.point.id for r in res.failures()][:10]
    assert res.passed, [(r.point.id, r.problems()) for r in res.failures()][:5]
    assert max(r.point.depth for r in res.points) == 2


def test_bad_depth_and_shard_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sweep", "--platform", "lpc55s69", "--shard", "4/3"])
    assert exc.value.code == 2
    assert "expected K/N with 1 <= K <= N, found '4/3'" in capsys.readouterr().err
