"""The power-cut sweep (MCUboot-simulator style, with snapshot-and-continue).

1. **Clean pass**: run the ``power-cut-update`` scenario (factory build 1, update to build 2,
   power cycle) once; the recorder (``CleanPassRecorder``) keeps its flash operations per
   phase and the phase events it announces. It must end CONFIRMED with no invariant broken.
2. **Points** (``select_points``): every flash operation (torn as the platform's flash
   tears), every phase event (a cut the moment it is announced), K seeded random instants
   (``offset`` instructions after a phase event) and, when asked, brownouts starting at chosen
   flash operations.
3. **Sweep pass**: the same run again with a fork armed at each point on the fault-trigger
   layer: at the point the process forks (``ForkPool``); the child (``PointChild``) takes the
   fault through the same actions the fault injector uses, powers on, recovers and judges its
   evidence (``judge_point``); the parent carries on. Random instants would change the
   engine's run slicing for every later point, so each runs from the start in its own child
   through ``hil.replay.run_case`` (``replay_point``: the replay path itself).

Every point's result holds the SHA-256 of the console transcript, which is what ``hil replay``
of the point's record reproduces.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from hil.device import Device
from hil.engine.base import FlashOpAction
from hil.engine.registry import create_engine
from hil.errors import HilError
from hil.evidence import Outcome
from hil.faults.plan import OpKind, Phase
from hil.faults.trigger import OpHit, PhaseHit, Triggers
from hil.firmware import FirmwareSet
from hil.platform.model import Platform
from hil.provision import FactoryImage
from hil.scenarios import Bench, MakeDevice, ScenarioRun, power_cut_update
from hil.sweep.child import SCENARIO, PointChild, replay_point
from hil.sweep.fork import ForkPool
from hil.sweep.judge import judge_point
from hil.sweep.points import PointKind, SweepPoint
from hil.sweep.recorder import CleanPassRecorder
from hil.sweep.result import OTA_PHASES, OpInfo, PhaseMark, PointResult, SweepResult
from hil.sweep.select import SweepOptions, area_of, model_tear, select_points


class SweepError(HilError):
    """The sweep cannot run (the clean update itself fails, a bad option)."""


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
        self._child: tuple[PointChild, str] | None = None  # in a child: its runner and tag
        self._pool: ForkPool | None = None
        self._done = 0
        self._total = 0

    # -- the flow ------------------------------------------------------------------------------
    def _device(self, factory: FactoryImage) -> Device:
        return Device(create_engine(self.engine_name, self.platform, self.opt.seed), factory)

    def _flow(self, make_device: MakeDevice) -> ScenarioRun:
        bench = Bench(self.platform, self.firmware, make_device, capture_flash=True)
        run = ScenarioRun(SCENARIO)
        try:
            power_cut_update(bench, run, build=self.opt.build)
        except BaseException as exc:
            if self._child is not None:
                self._child_exit(run, f"{type(exc).__name__}: {exc}")
            if isinstance(exc, HilError):
                run.error = f"{type(exc).__name__}: {exc}"
                return run
            raise
        if self._child is not None:
            self._child_exit(run, None)
        return run

    # -- 1. the clean pass -----------------------------------------------------------------------
    def clean_pass(self) -> tuple[list[OpInfo], list[PhaseMark], ScenarioRun]:
        recorders: list[CleanPassRecorder] = []

        def make(factory: FactoryImage) -> Device:
            dev = self._device(factory)
            recorders.append(
                CleanPassRecorder(self.platform, dev.engine, Triggers(dev.engine, dev))
            )
            return dev

        run = self._flow(make)
        if run.error is not None:
            raise SweepError(f"{self.platform.name}: the clean update failed: {run.error}")
        assert run.device is not None and len(recorders) == 1
        v = judge_point(run.device.events, 0)
        if v.outcome is not Outcome.CONFIRMED or v.build != self.opt.build or not v.ok:
            raise SweepError(
                f"{self.platform.name}: the clean update did not end with build "
                f"{self.opt.build} confirmed: {v.as_dict()}\n{run.device.tail()}"
            )
        return list(recorders[0].ops), list(recorders[0].marks), run

    # -- 3. the sweep pass -----------------------------------------------------------------------
    def _sweep_pass(self, points: list[SweepPoint], pool: ForkPool, showcase: set[str]) -> None:
        at_op: dict[int, list[SweepPoint]] = {}
        at_phase: dict[tuple[Phase, int], list[SweepPoint]] = {}
        for p in points:
            if p.kind in (PointKind.FLASH_OP, PointKind.BROWNOUT):
                assert p.op is not None
                at_op.setdefault(p.op, []).append(p)
            elif p.kind is PointKind.PHASE:
                assert p.event_phase is not None
                at_phase.setdefault((p.event_phase, p.occurrence), []).append(p)

        def make(factory: FactoryImage) -> Device:
            dev = self._device(factory)
            if not dev.engine.fork_safe:
                raise SweepError(
                    f"engine {self.engine_name}: the sweep snapshots with fork(); expected an "
                    "engine whose whole state forks with the process (fork_safe)"
                )
            triggers = Triggers(dev.engine, dev)
            spawn = self._spawner(dev, triggers, pool, showcase)

            def at_op_fork(pts: list[SweepPoint]) -> Callable[[OpHit], FlashOpAction]:
                def fork(hit: OpHit) -> FlashOpAction:
                    for point in pts:
                        for twin in range(2 if self._twin(point) else 1):
                            child = spawn(point, twin)
                            if child is not None:
                                return child.take_op_fault(hit)
                    return FlashOpAction.CONTINUE

                return fork

            def at_phase_fork(pts: list[SweepPoint]) -> Callable[[PhaseHit], None]:
                def fork(hit: PhaseHit) -> None:
                    for point in pts:
                        child = spawn(point, 0)
                        if child is not None:
                            child.take_phase_cut()
                            return

                return fork

            for n, pts in at_op.items():
                triggers.at_flash_op(n, OpKind.ANY, at_op_fork(pts))
            for (phase, occurrence), pts in at_phase.items():
                triggers.at_phase_event(phase, occurrence, at_phase_fork(pts))
            return dev

        swept = self._flow(make)
        if swept.error is not None:
            raise SweepError(f"{self.platform.name}: the sweep pass failed: {swept.error}")

    def _spawner(
        self, dev: Device, triggers: Triggers, pool: ForkPool, showcase: set[str]
    ) -> Callable[[SweepPoint, int], PointChild | None]:
        def spawn(point: SweepPoint, twin: int) -> PointChild | None:
            """Fork for ``point``: the child's runner in the child, None in the parent."""
            tag = point.id + ("~twin" if twin else "")
            if not pool.spawn(tag):
                self._advance()
                return None
            triggers.disarm()  # the child takes this point's fault, no other
            keep = self.opt.keep_transcripts or point.id in showcase
            child = PointChild(self.platform, point, dev, pool.fork_t0, keep)
            self._child = (child, tag)
            return child

        return spawn

    def _child_exit(self, run: ScenarioRun, error: str | None) -> None:
        assert self._child is not None and self._pool is not None
        child, tag = self._child
        self._pool.child_exit(tag, child.finish(run, error))

    def _advance(self) -> None:
        self._done += 1
        if self.progress is not None:
            self.progress(self._done, self._total)

    def _twin(self, point: SweepPoint) -> bool:
        return point.area in self.opt.twins

    # -- all three -----------------------------------------------------------------------------
    def run(self) -> SweepResult:
        started = time.perf_counter()
        ops, marks, _ = self.clean_pass()
        points = select_points(self.platform, self.opt, ops, marks)
        own = self.workdir is None
        work = Path(tempfile.mkdtemp(prefix="hil-sweep-")) if own else self.workdir
        assert work is not None
        workers = self.opt.workers or os.cpu_count() or 1
        self._pool = pool = ForkPool(work / "points", workers)
        first: dict[str, str] = {}
        for p in points:
            first.setdefault(p.phase, p.id)
        showcase = set(first.values())  # points that keep their evidence though they pass
        self._done = 0
        self._total = sum(2 if self._twin(p) else 1 for p in points)
        try:
            self._sweep_pass(points, pool, showcase)
            for p in points:
                if p.kind is not PointKind.RANDOM:
                    continue
                if pool.spawn(p.id):  # the child runs the case from the start
                    pool.child_exit(p.id, self._replay(p))
                self._advance()
            pool.drain()
            self._retry_lost(points, pool)
            results = [self._collect(p, pool) for p in points]
        except KeyboardInterrupt:  # SIGINT/SIGTERM (hil.errors.Interrupted): no child outlives it
            pool.abort()
            raise
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
            planned=self.opt.plan is not None,
        )

    def _retry_lost(self, points: list[SweepPoint], pool: ForkPool) -> None:
        """A child that died without its result (killed, crashed) is an internal error, not a
        device verdict: run its point once more, from the start with the point's plan (as a
        replay does). A point lost twice stays in ``pool.lost`` with both reasons."""
        first: dict[str, str] = {}
        for p in points:
            if pool.load(p.id) is None:
                first[p.id] = pool.lost.pop(p.id, "no result")
                if pool.spawn(p.id):
                    pool.child_exit(p.id, self._replay(p))
        pool.drain()
        for pid, why in first.items():
            if pid in pool.lost or pool.load(pid) is None:
                again = pool.lost.get(pid, "no result")
                pool.lost[pid] = f"{why}; retried once: {again}"

    def _replay(self, point: SweepPoint) -> PointResult:
        return replay_point(
            self.platform,
            self.engine_name,
            self.opt.seed,
            self.opt.build,
            self.defines,
            point,
            self.opt.keep_transcripts,
        )

    def _collect(self, point: SweepPoint, pool: ForkPool) -> PointResult:
        data = pool.load(point.id)
        if data is None:
            return PointResult.lost(point, pool.lost.get(point.id, "no result"))
        twin = pool.load(point.id + "~twin") if self._twin(point) else None
        return PointResult.from_dict(point, data, None if twin is None else str(twin["digest"]))


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
