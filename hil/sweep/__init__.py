"""Power-cut sweeps: cut at every flash operation and phase of an update, judge each recovery
from the device's evidence (see ``hil.sweep.sweep``)."""

from hil.sweep.judge import INVARIANTS, PointVerdict, judge_point
from hil.sweep.points import PointKind, SweepPoint
from hil.sweep.result import OTA_PHASES, PointResult, SweepResult
from hil.sweep.select import SweepOptions, select_points
from hil.sweep.sweep import Sweep, SweepError

__all__ = [
    "INVARIANTS",
    "OTA_PHASES",
    "PointKind",
    "PointResult",
    "PointVerdict",
    "Sweep",
    "SweepError",
    "SweepOptions",
    "SweepPoint",
    "SweepResult",
    "judge_point",
    "select_points",
]
