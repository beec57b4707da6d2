"""What a sweep found: the clean run's flash operations and phase events, and per point the
device's verdict, evidence digest, the faults that fired and the time it took."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hil.evidence import Outcome
from hil.faults.plan import FiredFault, Phase
from hil.sweep.judge import PointVerdict
from hil.sweep.phases import IDLE
from hil.sweep.points import SweepPoint, sub_dict, sub_from_dict

OTA_PHASES: tuple[str, ...] = tuple(p.value for p in Phase)


@dataclass(frozen=True)
class OpInfo:
    index: int  # the n-th operation announced since the device was made (as plans count)
    kind_index: int  # the n-th of its kind (a plan's ``op`` when its tear implies the kind)
    kind: str
    address: int
    area: str
    phase: str
    instructions: int


@dataclass(frozen=True)
class PhaseMark:
    phase: Phase
    occurrence: int
    instructions: int  # when the harness decoded the event
    label: str  # the phase the event starts (PhaseTracker view)


@dataclass
class PointResult:
    """What one point gave: the child's verdict from the evidence, the evidence digest, the
    faults that fired, the cost. A child writes it with ``as_dict``; the parent reads it back
    with ``from_dict`` (adding the twin's digest)."""

    point: SweepPoint
    verdict: PointVerdict
    digest: str
    fired: list[FiredFault]
    instructions: int  # emulated in the recovery
    wall_s: float  # the child's whole life (fork to result)
    emu_s: float  # of which inside the engine
    transcript: bytes | None = None
    twin_digest: str | None = None
    error: str | None = None
    flashmap_svg: str | None = None  # the layout areas as the cut left them -> after recovery
    state: str | None = None  # the state the recovery started from (hil.sweep.states)
    same_as: str | None = None  # the point that met this state first (its outcome is this one's)
    ran: bool = True  # False: stopped at the power-on as "same state as" (not run again)
    sampled: bool = False  # a "same state" point of the seeded sample: it ran anyway
    children: list[SweepPoint] = field(default_factory=list)  # the cuts of its recovery
    agrees: bool | None = None  # a "same state" point that ran: its verdict equals the owner's
    disagreement: str = ""  # both views when it does not
    same_how: str = ""  # "state" or "recovery": how it equals ``same_as`` (states.same_words)
    reads: list[int] | None = None  # the flash pages its recovery read (last depth, it ran)
    pages: dict[str, Any] | None = None  # the post-cut page digests (states.sparse)
    context: str | None = None  # the recovery's other inputs (states.recovery_context)

    @classmethod
    def lost(cls, point: SweepPoint, why: str) -> PointResult:
        """A point whose child gave no result."""
        return cls(point, PointVerdict(Outcome.UNKNOWN), "", [], 0, 0.0, 0.0, error=why)

    def as_dict(self) -> dict[str, Any]:
        """The child's result file (the point itself and the twin's digest are the parent's)."""
        text = self.transcript
        return {
            "verdict": self.verdict.as_dict(),
            "digest": self.digest,
            "fired": [f.as_dict() for f in self.fired],
            "instructions": self.instructions,
            "wall_s": self.wall_s,
            "emu_s": self.emu_s,
            "error": self.error,
            "transcript": None if text is None else text.decode("latin-1"),
            "flashmap_svg": self.flashmap_svg,
            "state": self.state,
            "same_as": self.same_as,
            "ran": self.ran,
            "sampled": self.sampled,
            "children": [sub_dict(c) for c in self.children],
            "same_how": self.same_how,
            "reads": self.reads,
            "pages": self.pages,
            "context": self.context,
        }

    @classmethod
    def from_dict(
        cls, point: SweepPoint, d: dict[str, Any], twin_digest: str | None = None
    ) -> PointResult:
        text = d.get("transcript")
        return cls(
            point,
            PointVerdict.from_dict(d["verdict"]),
            str(d["digest"]),
            [FiredFault.from_dict(f) for f in d["fired"]],
            int(d["instructions"]),
            float(d["wall_s"]),
            float(d["emu_s"]),
            text.encode("latin-1") if isinstance(text, str) else None,
            twin_digest,
            d.get("error"),
            d.get("flashmap_svg"),
            d.get("state"),
            d.get("same_as"),
            bool(d.get("ran", True)),
            bool(d.get("sampled", False)),
            [point.then(sub_from_dict(c)) for c in d.get("children", [])],
            same_how=str(d.get("same_how", "")),
            reads=d.get("reads"),
            pages=d.get("pages"),
            context=d.get("context"),
        )

    @property
    def ok(self) -> bool:
        twin_ok = self.twin_digest is None or self.twin_digest == self.digest
        fired = bool(self.fired) or not self.ran
        return (
            self.verdict.ok
            and self.error is None
            and fired
            and twin_ok
            and self.agrees is not False
        )

    def problems(self) -> list[str]:
        out = [f"{inv}: {why}" for inv, why in self.verdict.violations]
        if self.error:
            out.append(f"error: {self.error}")
        if not self.fired and self.ran:
            out.append("fault: never fired")
        if self.agrees is False:
            out.append(f"{self.same_how or 'state'}: {self.disagreement}")
        if self.twin_digest is not None and self.twin_digest != self.digest:
            out.append(
                f"determinism: twin run gave {self.twin_digest[:12]}, not {self.digest[:12]}"
            )
        return out


@dataclass
class SweepResult:
    platform: str
    seed: int
    clean_ops: list[OpInfo]
    clean_marks: list[PhaseMark]
    points: list[PointResult]
    wall_s: float
    workers: int
    lost: dict[str, str] = field(default_factory=dict)
    planned: bool = False  # the points came from a fault plan or a shard (not a full sweep)
    depth: int = 1
    dedup: bool = True
    shard: tuple[int, int] = (1, 1)
    sample: float = 0.1  # the seeded share of "same state" points that ran anyway
    children_run: int = 0  # points whose child ran its recovery (races included; not determ.)
    decided_before_fork: int = 0  # points decided at the cut, no child (timing; not determ.)

    @property
    def cuts(self) -> int:
        return len(self.points)

    @property
    def distinct_states(self) -> int:
        """Points that are not "same state as" another (each state judged once)."""
        return sum(1 for r in self.points if r.same_as is None or r.same_how == "recovery")

    @property
    def distinct_recoveries(self) -> int:
        """Points that are neither "same state as" nor "same recovery as" another: the
        recoveries judged (hil.sweep.states)."""
        return sum(1 for r in self.points if r.same_as is None)

    @property
    def collapsed(self) -> int:
        """Points judged by another point's recovery (both kinds of duplicate)."""
        return sum(1 for r in self.points if r.same_as is not None)

    @property
    def sample_run(self) -> int:
        """Duplicates of the seeded sample, run anyway."""
        return sum(1 for r in self.points if r.same_as is not None and r.sampled)

    @property
    def sample_agreed(self) -> int:
        return sum(
            1 for r in self.points if r.same_as is not None and r.sampled and r.agrees is True
        )

    @property
    def points_run(self) -> int:
        """Points whose recovery ran: the distinct states and the seeded sample."""
        return sum(1 for r in self.points if r.ran)

    def ops_per_phase(self) -> dict[str, int]:
        c = Counter(op.phase for op in self.clean_ops)
        return {p: c.get(p, 0) for p in (*OTA_PHASES, IDLE)}

    def fired_per_phase(self) -> dict[str, int]:
        c = Counter(r.point.phase for r in self.points if r.fired)
        return {p: c.get(p, 0) for p in (*OTA_PHASES, IDLE)}

    def uncovered(self) -> list[str]:
        """OTA phases in which no fault fired: a full sweep must cover every phase; a plan's
        sweep covers what the plan names (its points passing is what counts)."""
        if self.planned or self.shard != (1, 1):
            return []
        fired = self.fired_per_phase()
        return [p for p in OTA_PHASES if fired[p] == 0]

    def outcomes(self) -> dict[str, int]:
        c = Counter(r.verdict.outcome.value for r in self.points)
        return {o.value: c.get(o.value, 0) for o in Outcome}

    def failures(self) -> list[PointResult]:
        """Device verdicts that fail (a lost point, whose child died twice, is not one)."""
        return [r for r in self.points if not r.ok and r.point.id not in self.lost]

    @property
    def bricks(self) -> int:
        return sum(
            1
            for r in self.points
            if r.verdict.outcome in (Outcome.UNKNOWN, Outcome.RESCUE)
            and r.point.id not in self.lost
        )

    @property
    def passed(self) -> bool:
        return not self.failures() and not self.uncovered() and not self.lost

    @property
    def points_per_s(self) -> float:
        return len(self.points) / self.wall_s if self.wall_s > 0 else 0.0

    def overhead_ratio(self) -> float:
        """Harness time per point over the emulated recovery itself (children's wall / emu)."""
        emu = sum(r.emu_s for r in self.points)
        wall = sum(r.wall_s for r in self.points)
        return wall / emu if emu > 0 else 0.0

    def outside_share(self) -> float:
        """The share of the points' wall time spent outside emulation (children that ran)."""
        ran = [r for r in self.points if r.ran]
        wall = sum(r.wall_s for r in ran)
        emu = sum(r.emu_s for r in ran)
        return (wall - emu) / wall if wall > 0 else 0.0


__all__ = ["OTA_PHASES", "OpInfo", "PhaseMark", "PointResult", "SweepResult"]
