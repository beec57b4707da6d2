"""The child side of a sweep point: take the point's fault, let the flow recover, judge the
device's evidence, and return a typed ``PointResult``.

``PointChild`` runs in a child forked at the point (a flash operation or a phase event of the
sweep pass; a random instant forks at its phase event and cuts ``offset`` ticks later);
``replay_point`` runs a point whose child died from the start of the case through
``hil.replay.run_case`` (the replay path itself).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Mapping
from typing import Any

from hil.device import Device, RunMeter
from hil.engine.base import FlashOpAction, ResetCause
from hil.errors import HilError
from hil.evidence import Outcome
from hil.faults.actions import cut_in_flash_op, power_cut, start_brownout
from hil.faults.plan import FiredFault
from hil.faults.trigger import OpHit
from hil.platform.model import Platform
from hil.record import ReplayRecord
from hil.replay import run_case
from hil.report.flashmap import render_svg, snapshot_platform
from hil.scenarios import ScenarioRun
from hil.sweep.judge import PointVerdict, judge_point
from hil.sweep.merge import scenario_args
from hil.sweep.outside import disagreement, observe
from hil.sweep.points import PointKind, SweepPoint
from hil.sweep.result import PointResult

SCENARIO = "power-cut-update"


class PointChild:
    """One forked point: ``take_op_fault`` / ``take_phase_cut`` at the point, ``finish`` once
    the flow ended. ``keep`` keeps the console output (and a flash map) even if it passes."""

    def __init__(
        self,
        platform: Platform,
        point: SweepPoint,
        device: Device,
        forked_at: float,
        keep: bool,
        twin: int = 0,
        approved: Mapping[str, str] | None = None,
    ) -> None:
        self.platform = platform
        self.point = point
        self.device = device
        self.forked_at = forked_at
        self.keep = keep
        self.twin = twin
        self.fired: list[FiredFault] = []
        self.powered_on = False  # the power-on after this point's cut was reached
        self.state: str | None = None  # the state the recovery starts from (dedup on)
        self.same_as: str | None = None
        self.same_how = ""  # "state" or "recovery" (hil.sweep.states)
        self.tracking = False  # the engine records the recovery's read set
        self.reads: list[int] | None = None
        self.pages: dict[str, Any] | None = None  # the post-cut page digests (sparse)
        self.context: str | None = None
        self.vector: list[str] | None = None  # the post-cut page digests (dense)
        self.sampled = False
        self.children: list[SweepPoint] = []  # the cuts of this recovery (--depth)
        self.approved = approved  # the outside oracle's approved images (None: no oracle)
        self.resets: list[ResetCause] = []
        device.engine.on_reset(self.resets.append)
        device.engine.after_fork()
        self.meter = device.meter = RunMeter()  # runs from here on: the recovery's cost

    def _fired(self, kind: str, where: str) -> None:
        self.fired.append(FiredFault(0, kind, where, self.device.engine.instructions))

    def take_op_fault(self, hit: OpHit) -> FlashOpAction:
        """A cut inside the operation (torn as the point says), or a brownout starting there."""
        engine = self.device.engine
        if self.point.kind is PointKind.BROWNOUT:
            supply = self.platform.supply
            where = hit.where
            start_brownout(
                engine,
                supply.reset_mv,
                supply.holdup_us,
                lambda: self._fired("brownout", where),
            )
            return FlashOpAction.CONTINUE
        self._fired("flash_op_cut", hit.where)
        return cut_in_flash_op(engine, self.point.tear)

    def take_phase_cut(self) -> None:
        """A cut the moment the phase event is decoded, or (a random instant) ``offset`` ticks
        later, armed now as the injector's phase cut arms it (``Engine.after``)."""
        engine = self.device.engine

        def cut() -> None:
            self._fired("phase_cut", self.point.describe())
            power_cut(engine)

        engine.after(self.point.offset, cut)

    def skipped(self) -> PointResult:
        """A point stopped at the power-on: its state was met first by ``same_as``."""
        return PointResult(
            self.point,
            PointVerdict(Outcome.UNKNOWN),
            "",
            list(self.fired),
            0,
            time.perf_counter() - self.forked_at,
            0.0,
            state=self.state,
            same_as=self.same_as,
            ran=False,
            same_how=self.same_how,
            pages=self.pages,
            context=self.context,
        )

    def finish(self, run: ScenarioRun, error: str | None) -> PointResult:
        dev = self.device
        with contextlib.suppress(HilError):
            dev.poll()
        events = dev.events
        # the power-on after the cut, or the chip's own brownout reset (power_cut_update keeps
        # it); nothing to judge (len(events)) when neither came
        mark = len(events) if run.recovery_mark is None else run.recovery_mark
        verdict = judge_point(events, mark)
        if self.approved is not None and error is None:
            view = observe(
                self.platform,
                dev.engine,
                self.approved,
                self.resets,
                verdict.outcome is not Outcome.UNKNOWN,
            )
            verdict.oracle = view.text()
            both = disagreement(verdict, view)
            if both is not None:
                verdict.violations.append(("oracle", both))
        if self.tracking:  # everything the verdict depends on was read (the oracle's too)
            self.tracking = False
            self.reads = dev.engine.track_reads_stop()
        transcript = dev.transcript
        keep = self.keep or not verdict.ok or error is not None
        svg = None
        if keep and run.flash_before is not None:
            after = snapshot_platform(self.platform, dev.engine.flash_read)
            svg = render_svg(run.flash_before, after, f"{self.platform.name} {self.point.id}")
        return PointResult(
            self.point,
            verdict,
            hashlib.sha256(transcript).hexdigest(),
            list(self.fired),
            self.meter.instructions,
            time.perf_counter() - self.forked_at,
            self.meter.emu_s,
            transcript if keep else None,
            error=error,
            flashmap_svg=svg,
            state=self.state,
            same_as=self.same_as,
            sampled=self.sampled,
            children=list(self.children),
            same_how=self.same_how,
            reads=self.reads if error is None else None,
            pages=self.pages,
            context=self.context,
        )


def replay_point(
    platform: Platform,
    engine: str,
    seed: int,
    build: int,
    defines: Mapping[str, int],
    point: SweepPoint,
    keep_transcripts: bool,
    app_size: int | None = None,
) -> PointResult:
    """A point run again: the whole case from the start with the point's plan."""
    t0 = time.perf_counter()
    try:
        rec = ReplayRecord(
            platform.name,
            engine,
            seed,
            SCENARIO,
            args=scenario_args(build, app_size),
            defines=dict(defines),
            fault_plan=point.plan(),
        )
        run = run_case(rec)
        events = run.devices[0].events if run.devices else []
        mark = len(events) if run.recovery_mark is None else run.recovery_mark
        verdict = judge_point(events, mark)
        keep = keep_transcripts or not verdict.ok
        return PointResult(
            point,
            verdict,
            run.digest,
            list(run.fired),
            sum(d.engine.instructions for d in run.devices),
            time.perf_counter() - t0,
            0.0,
            run.transcript if keep else None,
            error=run.error,
        )
    except BaseException as exc:  # noqa: BLE001 - reported as the point's error
        return PointResult(
            point,
            PointVerdict(Outcome.UNKNOWN),
            "",
            [],
            0,
            time.perf_counter() - t0,
            0.0,
            error=f"{type(exc).__name__}: {exc}",
        )


__all__ = ["SCENARIO", "PointChild", "replay_point"]
