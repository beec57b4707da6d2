"""Which points a sweep cuts at, chosen from its clean pass (``select_points``), or the points
of a fault plan (``points_from_plan``)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from hil.engine.base import FlashOpKind
from hil.faults.errors import FaultPlanError
from hil.faults.plan import (
    Brownout,
    Fault,
    FaultPlan,
    FlashOpCut,
    OpKind,
    PhaseCut,
    RandomCuts,
    SymbolCut,
    Tear,
    fault_dict,
)
from hil.platform.model import Platform, TornRead
from hil.sweep.phases import IDLE
from hil.sweep.points import PointKind, SweepPoint
from hil.sweep.result import OpInfo, PhaseMark


@dataclass(frozen=True)
class SweepOptions:
    flash_ops: bool = True  # a cut in every selected flash operation
    stride: int = 1  # every n-th operation (1: exhaustive)
    # of those, every n-th operation on a slot area (the image's payload programs and erases);
    # every metadata, evidence and anchor operation is still cut (1: every slot operation)
    slot_stride: int = 1
    areas: tuple[str, ...] = ()  # only operations writing these layout areas (empty: all)
    phases: bool = True  # a cut at every phase event
    random: int = 4  # K seeded random instants
    brownout_areas: tuple[str, ...] = ()  # a brownout at operations on these areas ...
    brownout_stride: int = 1  # ... every n-th of those on a slot area (all metadata ones)
    # a brownout at the operation right before each erase of these areas, whatever area that
    # operation writes (the evidence-ring write just before a metadata erase)
    brownout_before_erase_of: tuple[str, ...] = ()
    twins: tuple[str, ...] = ()  # areas whose points run twice (the evidence must be equal)
    seed: int = 1
    build: int = 2  # the update's build (the factory image is build 1)
    app_size: int | None = None  # the update's payload in bytes (app + filler; None: the app)
    workers: int = 0  # children at once (0: one per CPU)
    keep_transcripts: bool = False  # keep every point's console output (else failures only)
    plan: FaultPlan | None = None  # cut only where this plan says (instead of the selection)
    depth: int = 1  # cuts in the recoveries down to this depth (2: every recovery op cut once)
    dedup: bool = True  # a state already judged is "same state as" (hil.sweep.states)
    sample: float = 0.1  # the seeded share of "same state" points that run anyway
    # ... lowered so that it draws about this many of the first cuts (0: no limit; ``rate``)
    sample_max: int = 100
    # at the last depth, decide "same state"/"same recovery" at the cut itself, from the
    # engine's preview of the tear, before forking (False: every point forks and decides in
    # its child; the results are the same)
    decide_before_fork: bool = True
    shard: tuple[int, int] = (1, 1)  # K of N: the depth-1 points with index % N == K - 1


def sample_rate(o: SweepOptions, first_cuts: int) -> float:
    """The sample's rate for a sweep of ``first_cuts`` depth-1 points: ``o.sample``, lowered
    so that it draws about ``o.sample_max`` of them (the same in every shard: it counts the
    whole sweep's points)."""
    if o.sample_max <= 0 or first_cuts * o.sample <= o.sample_max:
        return o.sample
    return o.sample_max / first_cuts


def model_tear(platform: Platform, kind: str) -> Tear:
    if kind == FlashOpKind.ERASE.value:
        return Tear.PARTIAL_ERASE
    return Tear.ECC_TORN if platform.flash.torn_read is TornRead.ECC_NMI else Tear.BIT_PARTIAL


def area_of(platform: Platform, address: int) -> str:
    for name, a in platform.layout.areas.items():
        if a.address <= address < a.end:
            return name
    return "other"


def select_points(
    platform: Platform, o: SweepOptions, ops: Sequence[OpInfo], marks: Sequence[PhaseMark]
) -> list[SweepPoint]:
    """The points of a sweep from its clean pass: every selected flash operation (torn as the
    platform tears), every phase event, brownouts near a write, K seeded random instants; or,
    with ``o.plan``, the plan's faults (``points_from_plan``)."""
    if o.plan is not None:
        return points_from_plan(platform, o.plan, o.seed, ops, marks)
    points: list[SweepPoint] = []
    chosen = [op for op in ops if not o.areas or op.area in o.areas][:: max(1, o.stride)]
    slot_ops = [op.index for op in chosen if op.area.startswith("slot_")]
    thinned = set(slot_ops) - set(slot_ops[:: max(1, o.slot_stride)])
    if o.flash_ops:
        for op in (op for op in chosen if op.index not in thinned):
            points.append(
                SweepPoint(
                    PointKind.FLASH_OP,
                    op.phase,
                    op.index,
                    op.kind,
                    op.address,
                    op.area,
                    model_tear(platform, op.kind),
                    kind_op=op.kind_index,
                )
            )
    if o.phases:
        for m in marks:
            points.append(
                SweepPoint(PointKind.PHASE, m.label, event_phase=m.phase, occurrence=m.occurrence)
            )
    holdup = platform.supply.holdup_us * platform.core.clock_hz // 1_000_000
    slot_seen = 0
    for i, op in enumerate(ops):
        # near a write: the next operation starts within the hold-up time, so the firmware
        # tries a new write while the monitor reports low voltage
        near = i + 1 < len(ops) and ops[i + 1].instructions - op.instructions <= holdup
        # the evidence ring's own writes are gated silently (no event about an event)
        near = near and ops[i + 1].area != "evidence"
        if op.phase == IDLE:  # "near a write" of the update, not the factory boot's
            continue
        if op.area in o.brownout_areas and near and op.area.startswith("slot_"):
            slot_seen += 1
            if (slot_seen - 1) % max(1, o.brownout_stride):
                continue
        before_erase = (
            i + 1 < len(ops)
            and ops[i + 1].area in o.brownout_before_erase_of
            and ops[i + 1].kind == FlashOpKind.ERASE.value
            and ops[i + 1].instructions - op.instructions <= holdup
        )
        if (op.area in o.brownout_areas and near) or (
            before_erase and op.area not in o.brownout_areas
        ):
            points.append(
                SweepPoint(PointKind.BROWNOUT, op.phase, op.index, op.kind, op.address, op.area)
            )
    rng = random.Random(o.seed)
    spans = [
        (
            m,
            (marks[i + 1].instructions if i + 1 < len(marks) else m.instructions) - m.instructions,
        )
        for i, m in enumerate(marks)
    ]
    spans = [(m, s) for m, s in spans if s > 1]
    for _ in range(o.random if spans else 0):
        m, span = spans[rng.randrange(len(spans))]
        points.append(
            SweepPoint(
                PointKind.RANDOM,
                m.label,
                event_phase=m.phase,
                occurrence=m.occurrence,
                offset=rng.randrange(1, span),
            )
        )
    return points


SWEEPABLE = (
    "a fault the sweep can snapshot: flash_op_cut, phase_cut, random_cuts, brownout at a flash_op"
)


def _kind_text(fault: Fault) -> str:
    d = fault_dict(fault)
    at = d.get("at")
    return str(d["kind"]) + (f" at {next(iter(at))}" if isinstance(at, dict) else "")


def check_plan_for_sweep(plan: FaultPlan, symbols: frozenset[str], elves: str) -> None:
    """Check a plan when it is read, before any run: every symbol it names exists in the
    firmware (``symbols``, from ``elves``), and every fault is one the sweep can snapshot
    (a symbol cut is not: the sweep forks at flash operations and phase events; replay runs it,
    `hil replay`). Raises FaultPlanError (one line) otherwise."""
    for i, f in enumerate(plan.faults):
        field = f"faults[{i}]"
        cut = f.at if isinstance(f, Brownout) else f
        if isinstance(cut, SymbolCut):
            where = f"{field}.at.symbol" if isinstance(f, Brownout) else f"{field}.symbol"
            if cut.symbol not in symbols:
                raise FaultPlanError(
                    plan.source, where, f"a symbol of the firmware ({elves})", repr(cut.symbol)
                )
        if isinstance(f, SymbolCut) or (
            isinstance(f, Brownout) and not isinstance(f.at, FlashOpCut)
        ):
            raise FaultPlanError(
                plan.source,
                f"{field}.kind",
                SWEEPABLE + " (run a symbol cut with `hil replay` or pytest's fault plans)",
                _kind_text(f),
            )


def points_from_plan(
    platform: Platform,
    plan: FaultPlan,
    seed: int,
    ops: Sequence[OpInfo],
    marks: Sequence[PhaseMark],
) -> list[SweepPoint]:
    """The points of a fault plan file: each fault is one point of the sweep."""
    by_kind: dict[str, list[OpInfo]] = {k.value: [] for k in OpKind}
    for op in ops:
        by_kind[OpKind.ANY.value].append(op)
        by_kind[op.kind].append(op)

    def nth(field: str, n: int, kind: OpKind) -> OpInfo:
        pool = by_kind[kind.value]
        if not 0 <= n < len(pool):
            raise FaultPlanError(
                plan.source,
                field,
                f"an operation index below the clean run's {len(pool)} {kind.value} ops",
                str(n),
            )
        return pool[n]

    def op_point(kind: PointKind, op: OpInfo, tear: Tear | None) -> SweepPoint:
        return SweepPoint(
            kind, op.phase, op.index, op.kind, op.address, op.area, tear, kind_op=op.kind_index
        )

    points: list[SweepPoint] = []
    for i, f in enumerate(plan.faults):
        field = f"faults[{i}]"
        if isinstance(f, FlashOpCut):
            op = nth(f"{field}.op", f.op, f.op_kind)
            tear = f.tear or model_tear(platform, op.kind)
            points.append(op_point(PointKind.FLASH_OP, op, tear))
        elif isinstance(f, PhaseCut):
            label = next(
                (m.label for m in marks if m.phase is f.phase and m.occurrence == f.occurrence),
                f.phase.value,
            )
            kind = PointKind.RANDOM if f.offset else PointKind.PHASE
            points.append(
                SweepPoint(
                    kind, label, event_phase=f.phase, occurrence=f.occurrence, offset=f.offset
                )
            )
        elif isinstance(f, Brownout) and isinstance(f.at, FlashOpCut):
            op = nth(f"{field}.at.flash_op", f.at.op, f.at.op_kind)
            points.append(op_point(PointKind.BROWNOUT, op, None))
        elif isinstance(f, RandomCuts):
            pool = by_kind[f.op_kind.value]
            rng = random.Random(seed if f.seed is None else f.seed)
            for n in sorted(rng.sample(range(len(pool)), min(f.count, len(pool)))):
                op = pool[n]
                points.append(op_point(PointKind.FLASH_OP, op, model_tear(platform, op.kind)))
        else:
            raise FaultPlanError(
                plan.source,
                f"{field}.kind",
                SWEEPABLE,
                _kind_text(f),
            )
    return points


__all__ = [
    "SweepOptions",
    "area_of",
    "check_plan_for_sweep",
    "model_tear",
    "points_from_plan",
    "select_points",
]
