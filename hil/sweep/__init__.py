"""Power-cut sweeps: cut at every flash operation and phase of an update, judge each recovery
from the device's evidence (see ``hil.sweep.sweep``)."""

from hil.sweep.judge import INVARIANTS, PointOutcome, PointVerdict, judge_point
from hil.sweep.points import PointKind, SweepPoint
from hil.sweep.sweep import (
    OTA_PHASES,
    PointResult,
    Sweep,
    SweepError,
    SweepOptions,
    SweepResult,
)

__all__ = [
    "INVARIANTS",
    "OTA_PHASES",
    "PointKind",
    "PointOutcome",
    "PointResult",
    "PointVerdict",
    "Sweep",
    "SweepError",
    "SweepOptions",
    "SweepPoint",
    "SweepResult",
    "judge_point",
]
