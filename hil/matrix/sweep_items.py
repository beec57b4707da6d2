"""Matrix items 11, 12 and 13: power-cut sweeps judged point by point from device evidence.

| scenario        | item | points                             | each point must show           |
|-----------------|------|------------------------------------|--------------------------------|
| power-cut-sweep | 11   | every flash op of the update       | the invariants of              |
|                 |      | (torn; the default matrix: every   | ``hil.sweep.judge``; a fault   |
|                 |      | 4th slot op, ``slot_stride``),     | fired in every phase           |
|                 |      | every phase event, K seeded random |                                |
|                 |      | instants                           |                                |
| meta-cut        | 12   | every flash op on meta_a/meta_b,   | invariants, META ok/recovered, |
|                 |      | each run twice from one snapshot   | twins identical; >= 1 recovered|
| brownout-write  | 13   | a brownout at every metadata op    | REBOOT_REASON brownout_flag=1, |
|                 |      | (and every n-th slot op) another   | WRITE_GATED, a confirmed image  |
|                 |      | write follows within the hold-up   | META ok/recovered, invariants  |

The sweep's own report (summary.json, points.jsonl, failures/<id>/record.json ...) goes to the
case's evidence directory; one point per case (the first failure, else the first point of the
most telling phase) gives the Allure attachments: its console log, timeline, flash map before
and after, fault plan and replay command.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hil.evidence import Event, EvidenceStream, Outcome
from hil.firmware import FirmwareSet
from hil.matrix.predicates import Judgement
from hil.platform.model import Platform
from hil.provision import factory_image
from hil.report.timeline import timeline_page, timeline_text
from hil.sweep import PointResult, Sweep, SweepOptions, SweepResult
from hil.sweep.report import summary_lines, write_sweep

META_AREAS = ("meta_a", "meta_b")


def _options(scenario: str, params: Mapping[str, Any], seed: int) -> SweepOptions:
    stride = int(params.get("stride", 1))
    if scenario == "power-cut-sweep":
        return SweepOptions(
            stride=stride,
            slot_stride=int(params.get("slot_stride", 1)),
            random=int(params.get("random", 4)),
            seed=seed,
        )
    if scenario == "meta-cut":
        return SweepOptions(areas=META_AREAS, phases=False, random=0, twins=META_AREAS, seed=seed)
    if scenario == "brownout-write":
        return SweepOptions(
            flash_ops=False,
            phases=False,
            random=0,
            brownout_areas=(*META_AREAS, "slot_b"),
            brownout_stride=int(params.get("slot_stride", 64)),
            # issue 10: the write just before each metadata erase (off: the original points)
            brownout_before_erase_of=META_AREAS if params.get("before_erase", True) else (),
            seed=seed,
        )
    raise ValueError(scenario)


SWEEP_SCENARIOS: dict[str, int] = {"power-cut-sweep": 11, "meta-cut": 12, "brownout-write": 13}


def _common(j: Judgement, res: SweepResult) -> None:
    j.ok(f"{len(res.points)} points, outcomes {res.outcomes()}")
    lines = summary_lines(res, timing=False)
    for line in [lines[1], *lines[3:]]:  # distinct states/recoveries, run, collapsed, sample
        if "FAILED" in line or line.startswith("      "):
            continue
        j.reasons.append(f"note: {line.strip()}")
    j.check(not res.lost, "every point reported", f"points without a result: {res.lost}")
    for r in res.failures()[:12]:
        j.fail(f"{r.point.id} ({r.point.describe()}): {'; '.join(r.problems())}")
    if len(res.failures()) > 12:
        j.fail(f"... and {len(res.failures()) - 12} more failing points")


Verdict = tuple[Judgement, list[PointResult]]  # the judgement and the points that failed it


def judge_item11(res: SweepResult) -> Verdict:
    j = Judgement()
    _common(j, res)
    unc = res.uncovered()
    j.check(not unc, "a fault fired in every OTA phase", f"no fault fired in phase(s) {unc}")
    j.check(res.bricks == 0, "zero bricks", f"{res.bricks} point(s) without a confirmed boot")
    return j, res.failures()


def judge_item12(res: SweepResult) -> Verdict:
    j = Judgement()
    _common(j, res)
    j.check(bool(res.points), "metadata writes were cut", "no metadata write in the update")
    # both-invalid is the factory state (a cut in the very first adoption commit): the judge
    # flags it as lost metadata only when the device had valid metadata before the cut
    bad = [
        r
        for r in res.points
        if r.verdict.meta not in ("ok", "recovered")
        and not (r.verdict.meta == "both_invalid" and r.verdict.ok)
    ]
    j.check(
        not bad,
        "META ok or recovered after every cut",
        f"META {[r.verdict.meta for r in bad][:5]} after {[r.point.id for r in bad][:5]}",
    )
    rec = [r for r in res.points if r.verdict.meta == "recovered"]
    j.check(
        bool(rec),
        f"META result=recovered after {len(rec)} cut(s)",
        "no cut shows META result=recovered: the recovery path never ran",
    )
    twins = [r for r in res.points if r.twin_digest is not None]
    same = [r for r in twins if r.twin_digest == r.digest]
    j.check(
        bool(twins) and len(same) == len(twins),
        f"deterministic slot choice: {len(same)}/{len(twins)} twin runs byte-identical",
        f"twin runs differ: {[r.point.id for r in twins if r.twin_digest != r.digest][:5]}",
    )
    return j, [*res.failures(), *(r for r in bad if r.ok)]


def judge_item13(res: SweepResult) -> Verdict:
    j = Judgement()
    failed = res.failures()
    _common(j, res)
    j.check(
        bool(res.points),
        f"{len(res.points)} brownouts near a write",
        "no flash op is followed by another within the hold-up time",
    )
    for r in res.points:
        v = r.verdict
        problems = []
        if not v.brownout_flag:
            problems.append("no REBOOT_REASON with the brownout flag")
        if v.write_gated == 0:
            problems.append("no WRITE_GATED: a new write started under low voltage")
        if v.outcome in (Outcome.UNKNOWN, Outcome.RESCUE):
            problems.append(f"no recovery to a confirmed image: {v.outcome.value}")
        if v.meta not in ("ok", "recovered"):
            problems.append(f"META {v.meta}")
        if problems:
            j.fail(f"{r.point.id}: {'; '.join(problems)}")
            if r.ok:
                failed.append(r)
    return j, failed


JUDGES: dict[int, Callable[[SweepResult], Verdict]] = {
    11: judge_item11,
    12: judge_item12,
    13: judge_item13,
}


@dataclass
class SweepCase:
    result: SweepResult
    judgement: Judgement
    attachments: dict[str, str]
    events: list[Event]
    instructions: int


def _showcase(res: SweepResult, fails: list[PointResult]) -> PointResult | None:
    if fails:
        return fails[0]
    kept = [r for r in res.points if r.transcript is not None]
    for phase in ("metadata_commit", "staging", "confirm", "floor_bump"):
        for r in kept:
            if r.point.phase == phase:
                return r
    return kept[0] if kept else None


def run_sweep_case(
    scenario: str,
    params: Mapping[str, Any],
    platform: Platform,
    firmware: FirmwareSet,
    evidence_dir: Path,
    *,
    engine: str,
    seed: int,
    defines: Mapping[str, int],
    progress: Callable[[int, int], None] | None = None,
) -> SweepCase:
    item_no = SWEEP_SCENARIOS[scenario]
    opt = _options(scenario, params, seed)
    hashes = factory_image(platform, firmware).provenance()
    sweep = Sweep(
        platform, firmware, engine=engine, defines=defines, options=opt, progress=progress
    )
    res = sweep.run()
    judgement, failed = JUDGES[item_no](res)
    written = write_sweep(
        res,
        evidence_dir,
        engine=engine,
        build=opt.build,
        defines=defines,
        hashes=hashes,
        failed=[r.point.id for r in failed],
    )
    att: dict[str, str] = {
        "sweep_summary": str(written["summary"]),
        "sweep_points": str(written["points"]),
    }
    events: list[Event] = []
    show = _showcase(res, failed)
    if show is not None:
        sub = evidence_dir / ("failures" if show in failed else "points") / show.point.id
        if show.transcript is not None:
            events = [r for r in EvidenceStream().feed(show.transcript) if isinstance(r, Event)]
            title = f"{platform.name} item {item_no} point {show.point.id}"
            (sub / "timeline.txt").write_text(timeline_text(events), encoding="utf-8")
            (sub / "timeline.html").write_text(timeline_page(events, title), encoding="utf-8")
            att["console"] = str(sub / "console.log")
            att["timeline"] = str(sub / "timeline.txt")
            att["timeline_html"] = str(sub / "timeline.html")
        if (sub / "flashmap.svg").exists():
            att["flashmap"] = str(sub / "flashmap.svg")
        att["fault_plan"] = str(sub / "plan.json")
        att["replay_record"] = str(sub / "record.json")
        judgement.reasons.append(f"note: shown point {show.point.id}: {show.point.describe()}")
    return SweepCase(res, judgement, att, events, sum(r.instructions for r in res.points))


__all__ = ["JUDGES", "SWEEP_SCENARIOS", "SweepCase", "run_sweep_case"]
