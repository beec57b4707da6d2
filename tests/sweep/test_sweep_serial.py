"""Issue 16: ``hil sweep --workers 1`` runs every point in this process (no fork), for
profiling; its report is byte for byte the forked sweep's ("same state" points with their
sample, a twin area, a torn metadata commit, a random instant; ``slow``: the same at depth 2).
A random instant is taken from the sweep pass (its child arms the cut at the phase event), not
from a rerun of the update. A sweep keeps the firmware build it started with while the build
directory is rebuilt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import hil.sweep.sweep
from hil.faults import parse_plan
from hil.firmware import build_firmware
from hil.platform import load_platform
from hil.sweep import PointKind, Sweep, SweepOptions
from hil.sweep.fork import ForkPool
from hil.sweep.report import write_sweep
from tests.sweep.test_sweep_depth import _dup_plan, _meta_commit_op


def _report(chip: str, faults: list[dict[str, Any]], out: Path, workers: int, depth: int) -> None:
    platform = load_platform(chip)
    fw = build_firmware(platform)
    plan = parse_plan({"faults": faults}, "serial plan")
    opt = SweepOptions(plan=plan, workers=workers, depth=depth, sample=1.0, twins=("evidence",))
    res = Sweep(platform, fw, options=opt).run()
    assert res.passed and res.points_run >= len(faults), res.points_run
    assert any(r.point.kind is PointKind.RANDOM and r.fired for r in res.points)
    write_sweep(res, out, engine="unicorn", build=2, defines={}, hashes={})


@pytest.mark.parametrize("depth", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_serial_sweep_reports_what_the_forked_sweep_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, depth: int
) -> None:
    chip = "lpc55s69"  # the cheaper chip: the serial sweep reruns the update for each point
    faults = [
        *_dup_plan(chip),
        {"kind": "flash_op_cut", "op": _meta_commit_op(chip)},
        {"kind": "phase_cut", "phase": "boot_test", "offset": 20_000},  # a random instant
    ]

    def no_rerun(*_: Any) -> Any:
        raise AssertionError("a point was rerun from the start")

    monkeypatch.setattr(hil.sweep.sweep, "replay_point", no_rerun)
    _report(chip, faults, tmp_path / "forked", 2, depth)

    def no_fork(*_: Any) -> bool:
        raise AssertionError("the serial sweep forked")

    monkeypatch.setattr(ForkPool, "spawn", no_fork)
    _report(chip, faults, tmp_path / "serial", 1, depth)
    for name in ("points.jsonl", "summary.json"):
        forked = (tmp_path / "forked" / name).read_bytes()
        assert (tmp_path / "serial" / name).read_bytes() == forked, name


def test_sweep_keeps_the_firmware_it_started_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build directory is rebuilt (here: its ELF files overwritten) after the clean pass:
    the sweep pass and the points still load the build the sweep started with (every pass
    makes a new device from the files)."""
    platform = load_platform("lpc55s69")
    fw = build_firmware(platform).pinned(tmp_path / "build")  # a build directory of our own
    faults = [{"kind": "flash_op_cut", "op": _meta_commit_op("lpc55s69")}]
    clean_pass = Sweep.clean_pass

    def then_rebuild(self: Sweep) -> Any:
        out = clean_pass(self)
        for elf in (fw.boot_elf, fw.app_elf):
            elf.write_bytes(b"not an ELF file")
        return out

    monkeypatch.setattr(Sweep, "clean_pass", then_rebuild)
    opt = SweepOptions(plan=parse_plan({"faults": faults}, "plan"), workers=2, random=0)
    res = Sweep(platform, fw, options=opt).run()
    assert res.passed and res.points_run == 1
    assert fw.boot_elf.read_bytes() == b"not an ELF file"  # the rebuild did happen
