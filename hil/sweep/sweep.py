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
   evidence (``judge_point``); the parent carries on. A random instant forks at its phase
   event: the child arms the cut ``offset`` ticks later (``Engine.after``, as the replay's
   plan does), so it is taken from the sweep pass's snapshot, not from a rerun of the update.

With ``workers=1`` (``hil sweep --workers 1``) nothing forks (``SerialPool``): the sweep pass
runs once per point, in this process, and becomes that point's child when it reaches it, so a
point can be profiled; the results are the forked sweep's.

Every point's result holds the SHA-256 of the console transcript, which is what ``hil replay``
of the point's record reproduces.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path

from hil.device import Device
from hil.engine.base import FlashOpAction
from hil.engine.registry import create_engine
from hil.errors import HilError
from hil.evidence import Outcome
from hil.faults.plan import OpKind, Phase, Tear
from hil.faults.trigger import OpHit, PhaseHit, Triggers
from hil.firmware import FirmwareSet
from hil.platform.model import Platform
from hil.provision import FactoryImage
from hil.scenarios import Bench, MakeDevice, ScenarioRun, power_cut_update
from hil.sweep.child import SCENARIO, PointChild, replay_point
from hil.sweep.fork import ForkPool, PointDone, Pool, SerialPool
from hil.sweep.judge import PointVerdict, judge_point
from hil.sweep.outside import approved_images
from hil.sweep.points import PointKind, SweepPoint, sub_point
from hil.sweep.recorder import CleanPassRecorder
from hil.sweep.result import OTA_PHASES, OpInfo, PhaseMark, PointResult, SweepResult
from hil.sweep.select import SweepOptions, area_of, model_tear, sample_rate, select_points
from hil.sweep.states import (
    POWER_ON,
    StateClaims,
    page_vector,
    recovery_context,
    resolve,
    sampled,
    sparse,
    state_key,
    varying,
)


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
        self._pool: Pool | None = None
        self._triggers: Triggers | None = None  # in a child: its device's trigger layer
        self._spawn: Callable[[SweepPoint, int], PointChild | None] | None = None
        self._claims: StateClaims | None = None
        self._approved: dict[str, str] | None = None  # the outside oracle's approved images
        self._varying: list[tuple[int, int]] | None = None  # what states differ in (states)
        self._done = 0
        self._total = 0
        self.decided_before_fork = 0  # points this process decided without forking

    # -- the flow ------------------------------------------------------------------------------
    def _device(self, factory: FactoryImage) -> Device:
        return Device(create_engine(self.engine_name, self.platform, self.opt.seed), factory)

    def _flow(self, make_device: MakeDevice) -> ScenarioRun:
        bench = Bench(
            self.platform,
            self.firmware,
            make_device,
            capture_flash=True,
            before_power_on=self._before_power_on,
        )
        run = ScenarioRun(SCENARIO)
        try:
            power_cut_update(bench, run, build=self.opt.build, app_size=self.opt.app_size)
        except PointDone:
            raise  # serial mode: the point's result is written, this run ends here
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
        self._approved = approved_images(self.platform, run.device.engine)
        return list(recorders[0].ops), list(recorders[0].marks), run

    # -- 3. the sweep pass -----------------------------------------------------------------------
    def _sweep_pass(self, points: list[SweepPoint], pool: Pool, showcase: set[str]) -> None:
        at_op: dict[int, list[SweepPoint]] = {}
        at_phase: dict[tuple[Phase, int], list[SweepPoint]] = {}
        for p in points:
            if p.kind in (PointKind.FLASH_OP, PointKind.BROWNOUT):
                assert p.op is not None
                at_op.setdefault(p.op, []).append(p)
            else:  # a phase event, or a random instant after one
                assert p.event_phase is not None
                at_phase.setdefault((p.event_phase, p.occurrence), []).append(p)

        def make(factory: FactoryImage) -> Device:
            dev = self._device(factory)
            if not dev.engine.fork_safe:
                raise SweepError(
                    f"engine {self.engine_name}: the sweep snapshots with fork(); expected an "
                    "engine whose whole state forks with the process (fork_safe)"
                )
            dev.engine.before_forks()
            triggers = Triggers(dev.engine, dev)
            spawn = self._spawn = self._spawner(dev, triggers, pool, showcase)

            def at_op_fork(pts: list[SweepPoint]) -> Callable[[OpHit], FlashOpAction]:
                def fork(hit: OpHit) -> FlashOpAction:
                    for point in pts:
                        if self._decided_before_fork(point, dev):
                            continue
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
                            child.take_phase_cut()  # at once, or the point's offset later
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
        self, dev: Device, triggers: Triggers, pool: Pool, showcase: set[str]
    ) -> Callable[[SweepPoint, int], PointChild | None]:
        def spawn(point: SweepPoint, twin: int) -> PointChild | None:
            """Fork for ``point``: the child's runner in the child, None in the parent."""
            tag = point.id + ("~twin" if twin else "")
            if self._claims is not None and dev.engine.tracks_reads:
                dev.engine.flash_page_digests()  # the child then hashes only what its cut changed
            if not pool.spawn(tag):
                if point.depth == 1 and not pool.serial:
                    self._advance()
                return None
            triggers.disarm()  # the child takes this point's fault, no other
            keep = self.opt.keep_transcripts or point.id in showcase
            child = PointChild(self.platform, point, dev, pool.fork_t0, keep, twin, self._approved)
            self._child = (child, tag)
            self._triggers = triggers
            self.progress = None  # the parent shows the progress
            pool.workers = 1  # the recovery's own cuts: one at a time (the parent's share)
            return child

        return spawn

    def _child_exit(self, run: ScenarioRun, error: str | None) -> None:
        assert self._child is not None and self._pool is not None
        child, tag = self._child
        self._pool.drain()  # the cuts of this recovery (--depth) end first
        result = child.finish(run, error)
        if result.reads is not None and self._claims is not None and child.vector is not None:
            assert result.context is not None
            self._claims.publish(
                result.reads, result.context, child.vector, child.point.order, child.point.id
            )
        # its own life, without its children's (a wait in ``spawn`` is inside an engine run)
        result.wall_s -= self._pool.waited_s
        result.emu_s -= self._pool.spawn_waited_s
        self._pool.child_exit(tag, result)

    # -- depth and distinct states (in a child) -------------------------------------------------
    def _before_power_on(self, dev: Device) -> None:
        """In a child, the first power-on after its point's cut: claim the state (dedup on);
        at the last depth also match the recoveries published so far and track this one's
        reads (hil.sweep.states); stop here when an earlier point met the state or gave the
        recovery (unless sampled), else arm the cuts of the recovery when the sweep goes
        deeper."""
        if self._child is None or self._child[0].powered_on:
            return
        child, tag = self._child
        child.powered_on = True
        point = child.point
        remaining = self.opt.depth - point.depth
        # a point run twice (its evidence must be equal) runs both times
        dedup = self._claims is not None and not self._twin(point)
        if dedup and point.kind is not PointKind.BROWNOUT:
            assert self._claims is not None and self._pool is not None
            engine = dev.engine
            vector = page_vector(engine) if engine.tracks_reads else None
            child.state = state_key(engine, vector, POWER_ON, b"", remaining)
            child.same_as = self._claims.claim(child.state, point.order, point.id)
            child.same_how = "state" if child.same_as is not None else ""
            if remaining == 0 and engine.tracks_reads:  # the depth rule (states module doc)
                child.context = recovery_context(engine, POWER_ON, engine.next_power_on_fill())
                assert vector is not None  # engine.tracks_reads
                child.vector = vector
                child.pages = sparse(child.vector)
                if child.same_as is None:
                    child.same_as = self._claims.match(child.context, child.vector, point.order)
                    child.same_how = "recovery" if child.same_as is not None else ""
            if child.same_as is not None and not sampled(self.opt.seed, point.id, self.opt.sample):
                self._pool.child_exit(tag, child.skipped())
            if child.vector is not None:
                engine.track_reads_start(self._varying)
                child.tracking = True
            if child.same_as is not None:
                child.sampled = True
                return  # it runs to agree with the first; the first cuts its recovery
        if remaining > 0 and not child.twin:
            self._arm_recovery_cuts(dev, child)

    def _arm_recovery_cuts(self, dev: Device, child: PointChild) -> None:
        """A cut in every flash operation of this recovery (torn as the chip tears), each in
        a child of this child: the next depth of the sweep."""
        triggers, spawn = self._triggers, self._spawn
        assert triggers is not None and spawn is not None
        triggers.rearm()

        def at_op(hit: OpHit) -> FlashOpAction:
            op = hit.op
            sub = child.point.then(
                sub_point(
                    hit.index,
                    hit.kind_index,
                    op.kind.value,
                    op.address,
                    area_of(self.platform, op.address),
                    model_tear(self.platform, op.kind.value),
                )
            )
            child.children.append(sub)
            triggers.at_flash_op(hit.index + 1, OpKind.ANY, at_op)  # the next one
            if self._decided_before_fork(sub, dev):
                return FlashOpAction.CONTINUE
            grandchild = spawn(sub, 0)
            return FlashOpAction.CONTINUE if grandchild is None else grandchild.take_op_fault(hit)

        triggers.at_flash_op(triggers.op_count(), OpKind.ANY, at_op)

    def _decided_before_fork(self, point: SweepPoint, dev: Device) -> bool:
        """At a flash-op point of the last depth (not sampled, not a twin), decide here what
        the child would decide at its power-on (``_before_power_on``): the post-cut state is
        the flash now with the engine's preview of the tear (``Engine.cut_preview``). True
        when an earlier point met the state or gave the recovery: the point's result is
        kept (``Pool.keep``) and nothing forks. The state, page digests and context are those
        the child would find, so ``resolve`` settles it the same way."""
        claims, pool = self._claims, self._pool
        engine = dev.engine
        if (
            claims is None
            or pool is None
            or pool.serial
            or not self.opt.decide_before_fork
            or point.kind is not PointKind.FLASH_OP
            or point.depth != self.opt.depth
            or self._twin(point)
            or not engine.tracks_reads
            or sampled(self.opt.seed, point.id, self.opt.sample)
        ):
            return False
        changed = {} if point.tear is Tear.NONE else engine.cut_preview()
        if changed is None:
            return False
        vector = page_vector(engine)
        for page, digest in changed.items():
            vector[page] = digest
        state = state_key(engine, vector, POWER_ON, b"", 0)
        same, how = claims.claim(state, point.order, point.id), "state"
        context = recovery_context(engine, POWER_ON, engine.next_power_on_fill())
        if same is None:
            same, how = claims.match(context, vector, point.order), "recovery"
        if same is None:
            return False  # the child runs it (and claims the state again: the same marker)
        pool.keep(
            point.id,
            PointResult(
                point,
                PointVerdict(Outcome.UNKNOWN),
                "",
                [],
                0,
                0.0,
                0.0,
                state=state,
                same_as=same,
                ran=False,
                same_how=how,
                pages=sparse(vector),
                context=context,
            ),
        )
        self.decided_before_fork += 1
        if point.depth == 1:
            self._advance()
        return True

    def _advance(self) -> None:
        self._done += 1
        if self.progress is not None:
            self.progress(self._done, self._total)

    def _twin(self, point: SweepPoint) -> bool:
        return point.area in self.opt.twins

    # -- all three -----------------------------------------------------------------------------
    def run(self) -> SweepResult:
        started = time.perf_counter()
        own = self.workdir is None
        work = Path(tempfile.mkdtemp(prefix="hil-sweep-")) if own else self.workdir
        assert work is not None
        given = self.firmware
        try:
            # every pass loads the firmware files again: keep the build the sweep started with
            self.firmware = given.pinned(work / "firmware")
            return self._run(work, started)
        finally:
            self.firmware = given
            if own:
                shutil.rmtree(work, ignore_errors=True)

    def _run(self, work: Path, started: float) -> SweepResult:
        ops, marks, _ = self.clean_pass()
        self._varying = varying(self.platform, ops)
        every = select_points(self.platform, self.opt, ops, marks)
        every = [replace(p, rank=i) for i, p in enumerate(every)]
        self.opt = replace(self.opt, sample=sample_rate(self.opt, len(every)))
        k, n = self.opt.shard
        points = [p for p in every if p.rank % n == k - 1]  # this shard's share
        workers = self.opt.workers or os.cpu_count() or 1
        serial = workers == 1
        pool: Pool = SerialPool(work / "points") if serial else ForkPool(work / "points", workers)
        self._pool = pool
        self._claims = StateClaims(work / "states") if self.opt.dedup else None
        first: dict[str, str] = {}
        for p in points:
            first.setdefault(p.phase, p.id)
        showcase = set(first.values())  # points that keep their evidence though they pass
        self._done = 0
        self._total = sum(2 if self._twin(p) else 1 for p in points)
        try:
            if isinstance(pool, SerialPool):
                self._serial_pass(points, pool, showcase)
            else:
                self._sweep_pass(points, pool, showcase)
            pool.drain()
            results = self._gather(points, pool)
        except KeyboardInterrupt:  # SIGINT/SIGTERM (hil.errors.Interrupted): no child outlives it
            pool.abort()
            raise
        finally:
            pool.close()
        ran = sum(1 for r in results if r.ran)
        if self.opt.dedup:
            results = resolve(results, self.opt.seed, self.opt.sample)
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
            depth=self.opt.depth,
            dedup=self.opt.dedup,
            shard=self.opt.shard,
            sample=self.opt.sample,
            children_run=ran,
            decided_before_fork=self.decided_before_fork,
        )

    def _serial_pass(self, points: list[SweepPoint], pool: SerialPool, showcase: set[str]) -> None:
        """``workers=1``: for each point (the cuts of its recovery right after it, as
        ``--depth`` finds them), the sweep pass again, becoming the point's child at its cut
        path (``SerialPool``)."""
        progress = self.progress
        todo = sorted(points, key=_order)
        while todo:
            point = todo.pop(0)
            ancestors = point.prefix
            path = ["--".join(q.own_id for q in ancestors[: i + 1]) for i in range(len(ancestors))]
            for twin in range(2 if self._twin(point) else 1):
                pool.aim([*path, point.id + ("~twin" if twin else "")])
                self._child = self._triggers = self._spawn = None
                try:
                    self._sweep_pass(points, pool, showcase)
                except PointDone:
                    pass
                finally:
                    self._child = self._triggers = self._spawn = None
                    self.progress = progress
                if point.depth == 1:
                    self._advance()
            result = self._collect(point, pool)
            if result is not None:
                todo[:0] = sorted(result.children, key=_order)

    def _gather(self, points: list[SweepPoint], pool: Pool) -> list[PointResult]:
        """Every point's result, the cuts of the recoveries (``--depth``) included. A child that
        died without its result (killed, crashed) is an internal error, not a device verdict:
        its point runs once more, from the start with the point's plan (as a replay does; the
        cuts of its recovery are then not swept, which stays in ``pool.lost``). A point lost
        twice stays in ``pool.lost`` with both reasons."""
        results: list[PointResult] = []
        todo = list(points)
        missing: list[SweepPoint] = []
        first: dict[str, str] = {}
        while todo:
            p = todo.pop()
            r = self._collect(p, pool)
            if r is None:
                missing.append(p)
                continue
            results.append(r)
            todo.extend(r.children)
        for p in missing:
            first[p.id] = pool.lost.pop(p.id, "no result")
            pool.run_apart(p.id, partial(self._replay, p))
        pool.drain()
        for p in missing:
            r = self._collect(p, pool)
            if r is None:
                again = pool.lost.get(p.id, "no result")
                pool.lost[p.id] = f"{first[p.id]}; retried once: {again}"
                results.append(PointResult.lost(p, pool.lost[p.id]))
            else:
                results.append(r)
                if p.depth < self.opt.depth and r.ran:
                    pool.lost[p.id] = (
                        f"{first[p.id]}; retried from the start: the cuts of its recovery "
                        "(--depth) were not swept"
                    )
        return sorted(results, key=lambda r: r.point.order)

    def _replay(self, point: SweepPoint) -> PointResult:
        return replay_point(
            self.platform,
            self.engine_name,
            self.opt.seed,
            self.opt.build,
            self.defines,
            point,
            self.opt.keep_transcripts,
            self.opt.app_size,
        )

    def _collect(self, point: SweepPoint, pool: Pool) -> PointResult | None:
        kept = pool.kept(point.id)  # decided at the cut by this process (no twin)
        if isinstance(kept, PointResult):
            return kept
        data = pool.load(point.id)
        if data is None:
            return None
        twin = pool.load(point.id + "~twin") if self._twin(point) else None
        return PointResult.from_dict(point, data, None if twin is None else str(twin["digest"]))


def _order(p: SweepPoint) -> tuple[int, ...]:
    return p.order


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
