"""The power-cut sweep (MCUboot-simulator style, with snapshot-and-continue).

1. **Clean pass**: run the ``power-cut-update`` scenario (factory build 1, update to build 2,
   power cycle) once, counting its flash operations per phase (``PhaseTracker``) and the phase
   events it announces. It must end CONFIRMED with no invariant broken.
2. **Points**: every flash operation (torn as the platform's flash tears), every phase event
   (a cut the moment it is announced), K seeded random instants (``offset`` instructions after a
   phase event) and, when asked, brownouts starting at chosen flash operations.
3. **Sweep pass**: the same run again; at each point the process forks (``ForkPool``): the
   child takes the fault through the same functions the fault injector uses, powers on,
   recovers and judges its evidence (``judge_point``); the parent carries on. Random instants
   would change the engine's run slicing for every later point, so each runs from the start in
   its own child through ``hil.replay.run_case`` (the replay path itself).

Every point's result holds the SHA-256 of the console transcript, which is what ``hil replay``
of the point's record reproduces.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hil.device import Device
from hil.engine.base import Engine, FlashOp, FlashOpAction, FlashOpKind
from hil.engine.registry import create_engine
from hil.errors import HilError
from hil.evidence import Event, Record
from hil.faults.actions import cut_in_flash_op, start_brownout
from hil.faults.errors import FaultPlanError
from hil.faults.plan import (
    Brownout,
    FaultPlan,
    FlashOpCut,
    OpKind,
    Phase,
    PhaseCut,
    RandomCuts,
    Tear,
)
from hil.firmware import FirmwareSet
from hil.matrix.scenarios import Bench, ScenarioRun, power_cut_update
from hil.platform.model import Platform, TornRead
from hil.provision import FactoryImage
from hil.report.flashmap import render_svg, snapshot_platform
from hil.sweep.fork import ForkPool
from hil.sweep.judge import PointOutcome, PointVerdict, judge_point
from hil.sweep.phases import IDLE, PhaseTracker, phases_of
from hil.sweep.points import PointKind, SweepPoint
from hil.sweep.result import OTA_PHASES, OpInfo, PhaseMark, PointResult, SweepResult

SCENARIO = "power-cut-update"


class SweepError(HilError):
    """The sweep cannot run (the clean update itself fails, a bad option)."""


@dataclass(frozen=True)
class SweepOptions:
    flash_ops: bool = True  # a cut in every selected flash operation
    stride: int = 1  # every n-th operation (1: exhaustive)
    areas: tuple[str, ...] = ()  # only operations writing these layout areas (empty: all)
    phases: bool = True  # a cut at every phase event
    random: int = 4  # K seeded random instants
    brownout_areas: tuple[str, ...] = ()  # a brownout at operations on these areas ...
    brownout_stride: int = 1  # ... every n-th of those on a slot area (all metadata ones)
    twins: tuple[str, ...] = ()  # areas whose points run twice (the evidence must be equal)
    seed: int = 1
    build: int = 2  # the update's build (the factory image is build 1)
    workers: int = 0  # children at once (0: one per CPU)
    keep_transcripts: bool = False  # keep every point's console output (else failures only)
    plan: FaultPlan | None = None  # cut only where this plan says (instead of the selection)


def model_tear(platform: Platform, kind: str) -> Tear:
    if kind == FlashOpKind.ERASE.value:
        return Tear.PARTIAL_ERASE
    return Tear.ECC_TORN if platform.flash.torn_read is TornRead.ECC_NMI else Tear.BIT_PARTIAL


def area_of(platform: Platform, address: int) -> str:
    for name, a in platform.layout.areas.items():
        if a.address <= address < a.end:
            return name
    return "other"


class _Timed:
    """Wraps ``engine.run`` in a child to split emulation time from harness time."""

    def __init__(self, engine: Engine) -> None:
        self.emu_s = 0.0
        self.instructions = 0
        orig = engine.run

        def run(budget_us: int, until: Callable[[], bool] | None = None) -> Any:
            inner = [0.0]

            def timed_until() -> bool:
                t = time.perf_counter()
                try:
                    return bool(until()) if until is not None else False
                finally:
                    inner[0] += time.perf_counter() - t

            t0, i0 = time.perf_counter(), engine.instructions
            try:
                return orig(budget_us, timed_until if until is not None else None)
            finally:
                self.emu_s += time.perf_counter() - t0 - inner[0]
                self.instructions += engine.instructions - i0

        engine.run = run  # type: ignore[method-assign]


class Sweep:
    """One sweep of one platform's update; ``run()`` does the three steps of the module doc."""

    def __init__(
        self,
        platform: Platform,
        firmware: FirmwareSet,
        *,
        engine: str = "unicorn",
        defines: Mapping[str, int] | None = None,
        options: SweepOptions | None = None,
        workdir: Path | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.platform = platform
        self.firmware = firmware
        self.engine_name = engine
        self.defines = dict(defines or {})  # the firmware's build flags (for replay records)
        self.opt = options or SweepOptions()
        self.workdir = workdir
        self.progress = progress
        # per pass
        self._device: Device | None = None
        self._tracker: PhaseTracker | None = None
        self._ops: list[OpInfo] = []
        self._marks: list[PhaseMark] = []
        self._counts: Counter[Phase] = Counter()
        self._kind_counts: Counter[str] = Counter()  # operations of each kind so far
        self._fork_ops: dict[int, list[SweepPoint]] = {}
        self._fork_phases: dict[tuple[Phase, int], list[SweepPoint]] = {}
        self._pool: ForkPool | None = None
        self._child: SweepPoint | None = None
        self._child_tag = ""
        self._child_fired: list[dict[str, Any]] = []
        self._child_t0 = 0.0
        self._child_started = 0.0
        self._timed: _Timed | None = None
        self._done = 0
        self._total = 0
        self._showcase: set[str] = set()  # points that keep their evidence though they pass

    # -- the flow --------------------------------------------------------------------------
    def _make_device(self, factory: FactoryImage) -> Device:
        eng = create_engine(self.engine_name, self.platform, self.opt.seed)
        dev = Device(eng, factory)
        self._device = dev
        self._tracker = PhaseTracker(dev)
        eng.on_flash_op(self._on_flash_op)
        dev.subscribe(self._on_record)
        return dev

    def _flow(self) -> ScenarioRun:
        bench = Bench(self.platform, self.firmware, self._make_device, capture_flash=True)
        run = ScenarioRun(SCENARIO)
        try:
            power_cut_update(bench, run, build=self.opt.build)
        except BaseException as exc:
            if self._child is not None:
                self._child_finish(run, f"{type(exc).__name__}: {exc}")
            if isinstance(exc, HilError):
                run.error = f"{type(exc).__name__}: {exc}"
                return run
            raise
        if self._child is not None:
            self._child_finish(run, None)
        return run

    # -- hooks ------------------------------------------------------------------------------
    def _on_flash_op(self, op: FlashOp) -> FlashOpAction:
        if self._child is not None:
            return FlashOpAction.CONTINUE
        assert self._tracker is not None
        area = area_of(self.platform, op.address)
        phase = self._tracker.phase(area)
        # the n-th operation this device announced: how fault plans count (``flash_op_cut.op``)
        n = len(self._ops)
        k = self._kind_counts[op.kind.value]
        self._kind_counts[op.kind.value] += 1
        self._ops.append(OpInfo(n, k, op.kind.value, op.address, area, phase, op.instructions))
        action = FlashOpAction.CONTINUE
        for point in self._fork_ops.get(n, ()):
            for twin in range(2 if self._twin(point) else 1):
                if self._fork(point, twin):
                    return self._take_op_fault(point, op)
        return action

    def _on_record(self, rec: Record) -> None:
        if self._child is not None or not isinstance(rec, Event):
            return
        assert self._device is not None and self._tracker is not None
        for phase in phases_of(rec):
            self._counts[phase] += 1
            n = self._counts[phase]
            label = self._tracker.phase() if phase is not Phase.BETWEEN_CHUNKS else phase.value
            self._marks.append(PhaseMark(phase, n, self._device.engine.instructions, label))
            for point in self._fork_phases.get((phase, n), ()):
                if self._fork(point, 0):
                    self._child_fired.append(self._fired("phase_cut", point.describe()))
                    self._device.engine.power_off()  # as the injector's phase cut
                    return

    def _take_op_fault(self, point: SweepPoint, op: FlashOp) -> FlashOpAction:
        assert self._device is not None
        engine = self._device.engine
        where = f"flash op {op.index} ({op.kind.value} 0x{op.address:08x})"
        if point.kind is PointKind.BROWNOUT:
            supply = self.platform.supply

            def fired() -> None:
                self._child_fired.append(self._fired("brownout", where))

            start_brownout(engine, supply.reset_mv, supply.holdup_us, fired)
            return FlashOpAction.CONTINUE
        self._child_fired.append(self._fired("flash_op_cut", where))
        return cut_in_flash_op(engine, point.tear)

    def _fired(self, kind: str, where: str) -> dict[str, Any]:
        assert self._device is not None
        return {
            "fault": 0,
            "kind": kind,
            "where": where,
            "instructions": self._device.engine.instructions,
        }

    def _twin(self, point: SweepPoint) -> bool:
        return point.area in self.opt.twins

    # -- children ---------------------------------------------------------------------------
    def _fork(self, point: SweepPoint, twin: int) -> bool:
        assert self._pool is not None
        tag = point.id + ("~twin" if twin else "")
        if not self._pool.spawn(tag):
            self._done += 1
            if self.progress is not None:
                self.progress(self._done, self._total)
            return False
        self._child, self._child_tag, self._child_t0 = point, tag, self._pool.fork_t0
        self._child_started = time.perf_counter()
        assert self._device is not None
        self._timed = _Timed(self._device.engine)
        return True

    def _child_finish(self, run: ScenarioRun, error: str | None) -> None:
        assert self._pool is not None and self._child is not None and self._device is not None
        dev = self._device
        flow_done = time.perf_counter()
        with contextlib.suppress(HilError):
            dev.poll()
        events = dev.events
        # the power-on after the cut, or the chip's own brownout reset (power_cut_update keeps
        # it); nothing to judge (len(events)) when neither came
        mark = len(events) if run.recovery_mark is None else run.recovery_mark
        verdict = judge_point(events, mark)
        transcript = dev.transcript
        keep = (
            self.opt.keep_transcripts
            or not verdict.ok
            or error is not None
            or self._child.id in self._showcase
        )
        svg = None
        if keep and run.flash_before is not None:
            after = snapshot_platform(self.platform, dev.engine.flash_read)
            svg = render_svg(run.flash_before, after, f"{self.platform.name} {self._child.id}")
        timed = self._timed
        result = {
            "verdict": verdict.as_dict(),
            "digest": hashlib.sha256(transcript).hexdigest(),
            "fired": self._child_fired,
            "instructions": timed.instructions if timed else 0,
            "emu_s": timed.emu_s if timed else 0.0,
            "wall_s": time.perf_counter() - self._child_t0,
            "split_s": {  # where a child's time goes (bench): fork, flow incl. recovery, judge
                "fork": self._child_started - self._child_t0,
                "flow": flow_done - self._child_started,
                "judge": time.perf_counter() - flow_done,
            },
            "error": error,
            "transcript": transcript.decode("latin-1") if keep else None,
            "flashmap_svg": svg,
        }
        self._pool.child_exit(self._child_tag, result)

    # -- passes -----------------------------------------------------------------------------
    def clean_pass(self) -> tuple[list[OpInfo], list[PhaseMark], ScenarioRun]:
        self._ops, self._marks, self._counts = [], [], Counter()
        self._kind_counts = Counter()
        self._fork_ops, self._fork_phases = {}, {}
        run = self._flow()
        if run.error is not None:
            raise SweepError(f"{self.platform.name}: the clean update failed: {run.error}")
        assert self._device is not None
        v = judge_point(self._device.events, 0)
        if v.outcome is not PointOutcome.CONFIRMED or v.build != self.opt.build or not v.ok:
            raise SweepError(
                f"{self.platform.name}: the clean update did not end with build "
                f"{self.opt.build} confirmed: {v.as_dict()}\n{self._device.tail()}"
            )
        return list(self._ops), list(self._marks), run

    def select(self, ops: Sequence[OpInfo], marks: Sequence[PhaseMark]) -> list[SweepPoint]:
        o = self.opt
        if o.plan is not None:
            return self.from_plan(o.plan, ops, marks)
        points: list[SweepPoint] = []
        chosen = [op for op in ops if not o.areas or op.area in o.areas]
        if o.flash_ops:
            for op in chosen[:: max(1, o.stride)]:
                points.append(
                    SweepPoint(
                        PointKind.FLASH_OP,
                        op.phase,
                        op.index,
                        op.kind,
                        op.address,
                        op.area,
                        model_tear(self.platform, op.kind),
                        kind_op=op.kind_index,
                    )
                )
        if o.phases:
            for m in marks:
                points.append(
                    SweepPoint(
                        PointKind.PHASE, m.label, event_phase=m.phase, occurrence=m.occurrence
                    )
                )
        holdup = self.platform.supply.holdup_us * self.platform.core.clock_hz // 1_000_000
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
            if op.area in o.brownout_areas and near:
                points.append(
                    SweepPoint(PointKind.BROWNOUT, op.phase, op.index, op.kind, op.address, op.area)
                )
        rng = random.Random(o.seed)
        spans = [
            (
                m,
                (marks[i + 1].instructions if i + 1 < len(marks) else m.instructions)
                - m.instructions,
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

    def from_plan(
        self, plan: FaultPlan, ops: Sequence[OpInfo], marks: Sequence[PhaseMark]
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
                tear = f.tear or model_tear(self.platform, op.kind)
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
                rng = random.Random(self.opt.seed if f.seed is None else f.seed)
                for n in sorted(rng.sample(range(len(pool)), min(f.count, len(pool)))):
                    op = pool[n]
                    points.append(
                        op_point(PointKind.FLASH_OP, op, model_tear(self.platform, op.kind))
                    )
            else:
                raise FaultPlanError(
                    plan.source,
                    f"{field}.kind",
                    "a fault the sweep can snapshot: flash_op_cut, phase_cut, random_cuts, "
                    "brownout at a flash_op",
                    type(f).__name__,
                )
        return points

    def run(self) -> SweepResult:
        started = time.perf_counter()
        ops, marks, _ = self.clean_pass()
        points = self.select(ops, marks)
        own = self.workdir is None
        work = Path(tempfile.mkdtemp(prefix="hil-sweep-")) if own else self.workdir
        assert work is not None
        workers = self.opt.workers or os.cpu_count() or 1
        self._pool = pool = ForkPool(work / "points", workers)
        first: dict[str, str] = {}
        for p in points:
            first.setdefault(p.phase, p.id)
        self._showcase = set(first.values())
        self._total = sum(2 if self._twin(p) else 1 for p in points)
        for p in points:
            if p.kind in (PointKind.FLASH_OP, PointKind.BROWNOUT):
                assert p.op is not None
                self._fork_ops.setdefault(p.op, []).append(p)
            elif p.kind is PointKind.PHASE:
                assert p.event_phase is not None
                self._fork_phases.setdefault((p.event_phase, p.occurrence), []).append(p)
        self._ops, self._marks, self._counts = [], [], Counter()
        self._kind_counts = Counter()
        try:
            swept = self._flow()
            if swept.error is not None:
                raise SweepError(f"{self.platform.name}: the sweep pass failed: {swept.error}")
            for p in points:
                if p.kind is not PointKind.RANDOM:
                    continue
                if pool.spawn(p.id):  # the child runs the case from the start
                    self._child, self._child_tag = p, p.id
                    self._replay_child(p, pool)
                self._done += 1
                if self.progress is not None:
                    self.progress(self._done, self._total)
            pool.drain()
            results = [self._collect(p, pool) for p in points]
        finally:
            pool.close()
            if own:
                shutil.rmtree(work, ignore_errors=True)
        return SweepResult(
            self.platform.name,
            self.opt.seed,
            ops,
            marks,
            results,
            time.perf_counter() - started,
            workers,
            dict(pool.lost),
        )

    def _replay_child(self, point: SweepPoint, pool: ForkPool) -> None:
        """A random instant: the whole case from the start with the point's plan (child)."""
        from hil.replay import ReplayRecord, run_case

        t0 = time.perf_counter()
        result: dict[str, Any]
        try:
            rec = ReplayRecord(
                self.platform.name,
                self.engine_name,
                self.opt.seed,
                SCENARIO,
                args={"build": self.opt.build},
                defines=self.defines,
                fault_plan=point.plan(),
            )
            run = run_case(rec)
            events = run.devices[0].events if run.devices else []
            mark = len(events) if run.recovery_mark is None else run.recovery_mark
            verdict = judge_point(events, mark)
            keep = self.opt.keep_transcripts or not verdict.ok
            result = {
                "verdict": verdict.as_dict(),
                "digest": run.digest,
                "fired": [
                    {
                        "fault": f.fault,
                        "kind": f.kind,
                        "where": f.where,
                        "instructions": f.instructions,
                    }
                    for f in run.fired
                ],
                "instructions": sum(d.engine.instructions for d in run.devices),
                "emu_s": 0.0,
                "wall_s": time.perf_counter() - t0,
                "error": run.error,
                "transcript": run.transcript.decode("latin-1") if keep else None,
            }
        except BaseException as exc:  # noqa: BLE001 - reported as the point's error
            result = {
                "verdict": PointVerdict(PointOutcome.UNKNOWN).as_dict(),
                "digest": "",
                "fired": [],
                "instructions": 0,
                "emu_s": 0.0,
                "wall_s": time.perf_counter() - t0,
                "error": f"{type(exc).__name__}: {exc}",
                "transcript": None,
            }
        pool.child_exit(point.id, result)

    def _collect(self, point: SweepPoint, pool: ForkPool) -> PointResult:
        data = pool.load(point.id)
        if data is None:
            why = pool.lost.get(point.id, "no result")
            return PointResult(
                point, PointVerdict(PointOutcome.UNKNOWN), "", [], 0, 0.0, 0.0, error=why
            )
        twin = pool.load(point.id + "~twin") if self._twin(point) else None
        text = data.get("transcript")
        return PointResult(
            point,
            PointVerdict.from_dict(data["verdict"]),
            str(data["digest"]),
            list(data["fired"]),
            int(data["instructions"]),
            float(data["wall_s"]),
            float(data["emu_s"]),
            text.encode("latin-1") if isinstance(text, str) else None,
            None if twin is None else str(twin["digest"]),
            data.get("error"),
            data.get("flashmap_svg"),
        )


__all__ = [
    "OTA_PHASES",
    "OpInfo",
    "PhaseMark",
    "PointResult",
    "Sweep",
    "SweepError",
    "SweepOptions",
    "SweepResult",
    "area_of",
    "model_tear",
]
