"""What a sweep leaves on disk, and its summary text.

``write_sweep(result, dir, ...)`` writes::

    DIR/summary.json            cuts, outcomes by class, flash ops and faults fired per phase,
                                uncovered phases, failures (deterministic: no wall-clock)
    DIR/timing.json             wall time, workers, points/s, harness overhead (only with
                                ``timing=True``; the one file of a sweep that is not deterministic)
    DIR/points.jsonl            one line per point: id (the whole cut path), kind, phase,
                                outcome, invariants broken, evidence digest, faults fired, the
                                state it left, "same state as" / "same recovery as" and
                                the number of pages its recovery read (deterministic)
    DIR/sweep.json              everything, for ``hil report DIR --merge SHARD...``
    DIR/failures/<id>/record.json   the replay record (``hil replay`` reproduces the digest)
    DIR/failures/<id>/console.log   the device's console output of that point
    DIR/failures/<id>/plan.json     the fault plan alone

A point that fails is kept with everything needed to replay it; passing points keep their
digest (and their console output with ``keep_transcripts``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hil.record import ReplayRecord, write_record
from hil.sweep.child import SCENARIO
from hil.sweep.merge import SweepMeta, scenario_args, write_result
from hil.sweep.result import OTA_PHASES, PointResult, SweepResult
from hil.sweep.states import SAME_RECOVERY, SAME_STATE, same_words


def point_record(
    result: SweepResult,
    point: PointResult,
    *,
    engine: str,
    build: int,
    defines: Mapping[str, int],
    hashes: Mapping[str, str],
    app_size: int | None = None,
) -> ReplayRecord:
    return ReplayRecord(
        platform=result.platform,
        engine=engine,
        seed=result.seed,
        scenario=SCENARIO,
        args=scenario_args(build, app_size),
        defines=dict(defines),
        hashes=dict(hashes),
        fault_plan=point.point.plan(),
        digest=point.digest,
        fired=tuple(point.fired),
    )


def summary_dict(result: SweepResult) -> dict[str, Any]:
    fails = result.failures()
    return {
        "platform": result.platform,
        "seed": result.seed,
        "cuts": result.cuts,
        "depth": result.depth,
        "dedup": result.dedup,
        "distinct_states": result.distinct_states,
        "distinct_recoveries": result.distinct_recoveries,
        "points_run": result.points_run,
        "points_collapsed": result.collapsed,
        "collapsed_by": {
            SAME_STATE: sum(1 for r in result.points if r.same_as and r.same_how != "recovery"),
            SAME_RECOVERY: sum(1 for r in result.points if r.same_how == "recovery"),
        },
        "sample_run": result.sample_run,
        "sample_agreed": result.sample_agreed,
        "oracle_judged": sum(1 for r in result.points if r.verdict.oracle is not None),
        "points_by_kind": _count(r.point.kind.value for r in result.points),
        "outcomes": result.outcomes(),
        "bricks": result.bricks,
        "clean_flash_ops": len(result.clean_ops),
        "flash_ops_per_phase": result.ops_per_phase(),
        "faults_fired_per_phase": result.fired_per_phase(),
        "uncovered_phases": result.uncovered(),
        "failures": [{"id": r.point.id, "problems": r.problems()} for r in fails],
        "lost": dict(result.lost),
        "passed": result.passed,
    }


def timing_dict(result: SweepResult) -> dict[str, Any]:
    """The wall-clock figures of a run: kept apart from the deterministic summary."""
    return {
        "wall_s": round(result.wall_s, 3),
        "workers": result.workers,
        "points_per_s": round(result.points_per_s, 2),
        "overhead_ratio": round(result.overhead_ratio(), 3),
        "outside_emulation": round(result.outside_share(), 3),
        "children_run": result.children_run,
    }


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def write_sweep(
    result: SweepResult,
    report_dir: Path,
    *,
    engine: str,
    build: int,
    defines: Mapping[str, int],
    hashes: Mapping[str, str],
    failed: Sequence[str] = (),
    timing: bool = False,
    app_size: int | None = None,
) -> dict[str, Path]:
    """``failed``: ids of points that pass the sweep's invariants but fail a matrix item's
    own check (they are kept under ``failures/`` with their record too). ``timing``: also
    write ``timing.json`` (wall-clock figures; every other file is deterministic)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    also = set(failed)
    written: dict[str, Path] = {}
    summary = report_dir / "summary.json"
    summary.write_text(json.dumps(summary_dict(result), indent=2) + "\n", encoding="utf-8")
    written["summary"] = summary
    if timing:
        timing_file = report_dir / "timing.json"
        timing_file.write_text(json.dumps(timing_dict(result), indent=2) + "\n", "utf-8")
        written["timing"] = timing_file
    points = report_dir / "points.jsonl"
    with points.open("w", encoding="utf-8") as f:
        for r in result.points:
            line = {
                **r.point.as_dict(),
                **r.verdict.as_dict(),
                "ok": r.ok,
                "digest": r.digest,
                "fired": [f.as_dict() for f in r.fired],
                "instructions": r.instructions,
                "error": r.error,
                "state": r.state,
                "same_as": r.same_as,
                "same": same_words(r.same_how) if r.same_as else None,
                "reads": len(r.reads) if r.reads is not None else None,
                "run": r.ran,
                "sampled": r.sampled,
            }
            f.write(json.dumps(line, sort_keys=True) + "\n")
    written["points"] = points
    written["sweep"] = write_result(
        result, SweepMeta(engine, build, dict(defines), dict(hashes), app_size), report_dir
    )
    for r in result.points:
        if not r.ran:
            continue  # same state/recovery as a point that ran: its record is that point's
        bad = not r.ok or r.point.id in also
        if not bad and r.transcript is None:
            continue
        sub = report_dir / ("failures" if bad else "points") / r.point.id
        sub.mkdir(parents=True, exist_ok=True)
        rec = point_record(
            result,
            r,
            engine=engine,
            build=build,
            defines=defines,
            hashes=hashes,
            app_size=app_size,
        )
        write_record(rec, sub / "record.json")
        (sub / "plan.json").write_text(json.dumps(r.point.plan(), indent=2) + "\n", "utf-8")
        if r.transcript is not None:
            (sub / "console.log").write_bytes(r.transcript)
        if r.flashmap_svg is not None:
            (sub / "flashmap.svg").write_text(r.flashmap_svg, encoding="utf-8")
    return written


def summary_lines(result: SweepResult, *, timing: bool = True) -> list[str]:
    """The summary as text; ``timing=False`` leaves out the wall-clock line (for reports that
    must be byte-identical between runs)."""
    ops = result.ops_per_phase()
    fired = result.fired_per_phase()
    kinds = _count(r.point.kind.value for r in result.points)
    shard = "" if result.shard == (1, 1) else f" (shard {result.shard[0]}/{result.shard[1]})"
    lines = [
        f"{result.platform}{shard}: {len(result.points)} cuts "
        f"({', '.join(f'{v} {k}' for k, v in kinds.items())}), depth {result.depth}",
        f"  distinct states: {result.distinct_states}, distinct recoveries: "
        f"{result.distinct_recoveries}, points run: {result.points_run}, points collapsed: "
        f"{result.collapsed}, sample run/agreed: {result.sample_run}/{result.sample_agreed}"
        + ("" if result.dedup else " (dedup off)")
        + f", judged by the outside oracle too: "
        f"{sum(1 for r in result.points if r.verdict.oracle is not None)}",
        "  outcomes: " + ", ".join(f"{k} {v}" for k, v in result.outcomes().items()),
        f"  bricks: {result.bricks}, invariant failures: {len(result.failures())}",
        "  phase            flash ops (clean run)  faults fired",
    ]
    for phase in (*OTA_PHASES, "idle"):
        mark = "" if phase == "idle" or fired[phase] else "   <- no fault fired"
        lines.append(f"  {phase:<16} {ops[phase]:>21}  {fired[phase]:>12}{mark}")
    if timing:
        lines.append(
            f"  throughput: {result.points_per_s:.1f} points/s ({result.wall_s:.1f} s, "
            f"{result.workers} workers), harness overhead {result.overhead_ratio():.2f}x the "
            "emulated recovery"
        )
    for r in result.failures()[:10]:
        lines.append(f"  FAILED {r.point.id}: {r.point.describe()}")
        for p in r.problems()[:3]:
            lines.append(f"      {p}")
    return lines


__all__ = ["point_record", "summary_dict", "summary_lines", "timing_dict", "write_sweep"]
