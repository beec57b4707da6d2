"""The points a power-cut sweep cuts at, and the fault plan that replays each one.

A point is one of:

* ``flash_op``: a cut inside flash operation N (counted from the device's creation, as the
  fault plans count them), torn the way the platform's flash model tears it;
* ``phase``: a cut the moment the device's evidence announces a phase (``occurrence`` counts
  that phase's event, as ``phase_cut`` does);
* ``random``: a cut ``offset`` instructions after a phase event, at a seeded random instant;
* ``brownout``: the supply crosses the monitor threshold when flash operation N starts, holds
  up for the platform's hold-up time, then the brownout reset fires.

``SweepPoint.plan()`` is the fault plan (the dict form of ``hil.faults.plan``) that reproduces
the point from the start of the case with ``hil replay``.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    offset: int = 0  # random: instructions after the event
    kind_op: int | None = None  # flash_op: the n-th operation of its kind (erase / program)

    @property
    def id(self) -> str:
        """Stable, readable and unique within a sweep (file names, replay records)."""
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

    def plan(self) -> dict[str, Any]:
        """The fault plan (dict form) that replays this point from the start of the case."""
        return plan_dict(FaultPlan(f"sweep {self.id}", (self.fault(),), f"sweep {self.id}"))

    def describe(self) -> str:
        if self.kind in (PointKind.FLASH_OP, PointKind.BROWNOUT):
            what = "brownout at" if self.kind is PointKind.BROWNOUT else "cut in"
            tear = f", tear {self.tear.value}" if self.tear else ""
            return (
                f"{what} flash op {self.op} ({self.op_kind} 0x{self.address or 0:08x}, "
                f"{self.area}{tear}) during {self.phase}"
            )
        assert self.event_phase is not None
        plus = f" +{self.offset} instructions" if self.offset else ""
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
        }


__all__ = ["PointKind", "SweepPoint"]
