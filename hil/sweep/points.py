"""The points a power-cut sweep cuts at, and the fault plan that replays each one.

A point is one of:

* ``flash_op``: a cut inside flash operation N (counted from the device's creation, as the
  fault plans count them), torn the way the platform's flash model tears it;
* ``phase``: a cut the moment the device's evidence announces a phase (``occurrence`` counts
  that phase's event, as ``phase_cut`` does);
* ``random``: a cut ``offset`` ticks after a phase event, at a seeded random instant;
* ``brownout``: the supply crosses the monitor threshold when flash operation N starts, holds
  up for the platform's hold-up time, then the brownout reset fires.

A point of depth N > 1 (``hil sweep --depth N``) is a cut in the recovery that the earlier cuts
of its path (``prefix``) set in motion: its ID joins the IDs of the whole cut path with ``--``
(``op00123-bit_partial--op00140-partial_erase``), and its plan holds every cut of the path.

``SweepPoint.plan()`` is the fault plan (the dict form of ``hil.faults.plan``) that reproduces
the point from the start of the case with ``hil replay``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from hil.faults.plan import (
    Brownout,
    Fault,
    FaultPlan,
    FlashOpCut,
    OpKind,
    Phase,
    PhaseCut,
    Tear,
    plan_dict,
)


class PointKind(StrEnum):
    FLASH_OP = "flash_op"
    PHASE = "phase"
    RANDOM = "random"
    BROWNOUT = "brownout"


@dataclass(frozen=True)
class SweepPoint:
    kind: PointKind
    phase: str  # the OTA phase (hil.faults.plan.Phase value) or "idle" the point falls in
    op: int | None = None  # flash_op / brownout: the operation index
    op_kind: str = ""  # erase | program
    address: int | None = None
    area: str = ""  # the layout area the operation writes
    tear: Tear | None = None
    event_phase: Phase | None = None  # phase / random: the phase whose event triggers the cut
    occurrence: int = 1
    offset: int = 0  # random: ticks after the event
    kind_op: int | None = None  # flash_op: the n-th operation of its kind (erase / program)
    prefix: tuple[SweepPoint, ...] = ()  # depth > 1: the earlier cuts of the path, in order
    rank: int = 0  # depth 1: the index in the sweep's point list; deeper: the op index

    @property
    def id(self) -> str:
        """Stable, readable and unique within a sweep (file names, replay records): the IDs of
        the whole cut path joined with ``--``."""
        return "--".join(p.own_id for p in (*self.prefix, self))

    @property
    def depth(self) -> int:
        return len(self.prefix) + 1

    @property
    def root(self) -> SweepPoint:
        """The depth-1 point of the path (what a shard is chosen by)."""
        return self.prefix[0] if self.prefix else self

    @property
    def order(self) -> tuple[int, ...]:
        """The point's place in the sweep: a point comes after its path's earlier cuts and
        before the next depth-1 point (the order in which "same state" owners are chosen)."""
        return tuple(p.rank for p in (*self.prefix, self))

    def then(self, nxt: SweepPoint) -> SweepPoint:
        """``nxt`` (a cut in this point's recovery) with this point's path as its prefix."""
        return replace(nxt, prefix=(*self.prefix, self))

    @property
    def own_id(self) -> str:
        """The ID of this cut alone (without its path)."""
        if self.kind is PointKind.FLASH_OP:
            return f"op{self.op:05d}-{self.tear.value if self.tear else 'model'}"
        if self.kind is PointKind.BROWNOUT:
            return f"brownout-op{self.op:05d}"
        assert self.event_phase is not None
        head = f"{self.event_phase.value}-{self.occurrence}"
        return f"random-{head}+{self.offset}" if self.kind is PointKind.RANDOM else head

    def fault(self) -> Fault:
        """The fault that reproduces this point from the start of the case."""
        if self.kind is PointKind.FLASH_OP:
            assert self.op is not None
            if self.tear is None:
                return FlashOpCut(self.op, OpKind.ANY, None)
            # a tear names the operation's kind, and the plan then counts that kind only
            n = self.kind_op if self.kind_op is not None else self.op
            return FlashOpCut(n, OpKind(self.op_kind), self.tear)
        if self.kind is PointKind.BROWNOUT:
            assert self.op is not None
            return Brownout(FlashOpCut(self.op))
        assert self.event_phase is not None
        return PhaseCut(self.event_phase, self.offset, self.occurrence)

    def faults(self) -> tuple[Fault, ...]:
        """Every cut of the path, in order."""
        return tuple(p.fault() for p in (*self.prefix, self))

    def plan(self) -> dict[str, Any]:
        """The fault plan (dict form) that replays this point from the start of the case."""
        return plan_dict(FaultPlan(f"sweep {self.id}", self.faults(), f"sweep {self.id}"))

    def describe(self) -> str:
        head = "".join(f"{p.own_describe()}, then in its recovery " for p in self.prefix)
        return head + self.own_describe()

    def own_describe(self) -> str:
        if self.kind in (PointKind.FLASH_OP, PointKind.BROWNOUT):
            what = "brownout at" if self.kind is PointKind.BROWNOUT else "cut in"
            tear = f", tear {self.tear.value}" if self.tear else ""
            return (
                f"{what} flash op {self.op} ({self.op_kind} 0x{self.address or 0:08x}, "
                f"{self.area}{tear}) during {self.phase}"
            )
        assert self.event_phase is not None
        plus = f" +{self.offset} ticks" if self.offset else ""
        return f"cut at phase {self.event_phase.value} #{self.occurrence}{plus}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "phase": self.phase,
            "op": self.op,
            "op_kind": self.op_kind or None,
            "address": None if self.address is None else f"0x{self.address:08x}",
            "area": self.area or None,
            "tear": self.tear.value if self.tear else None,
            "event_phase": self.event_phase.value if self.event_phase else None,
            "occurrence": self.occurrence,
            "offset": self.offset,
            "depth": self.depth,
            "path": [p.own_id for p in (*self.prefix, self)],
        }


RECOVERY = "recovery"  # the phase label of a cut in a recovery (depth > 1)


def sub_point(
    op: int, kind_op: int, op_kind: str, address: int, area: str, tear: Tear
) -> SweepPoint:
    """A cut in flash operation ``op`` of a recovery (ranked by ``op``)."""
    return SweepPoint(
        PointKind.FLASH_OP, RECOVERY, op, op_kind, address, area, tear, kind_op=kind_op, rank=op
    )


def sub_dict(p: SweepPoint) -> dict[str, Any]:
    """A recovery cut as a child reports it (its path is the reporting point's)."""
    return {
        "op": p.op,
        "kind_op": p.kind_op,
        "op_kind": p.op_kind,
        "address": p.address,
        "area": p.area,
        "tear": p.tear.value if p.tear else None,
    }


def sub_from_dict(d: dict[str, Any]) -> SweepPoint:
    return sub_point(
        int(d["op"]),
        int(d["kind_op"]),
        str(d["op_kind"]),
        int(d["address"]),
        str(d["area"]),
        Tear(d["tear"]),
    )


__all__ = ["RECOVERY", "PointKind", "SweepPoint", "sub_dict", "sub_from_dict", "sub_point"]
