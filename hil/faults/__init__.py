"""Fault plans as data (issue 5): load/validate plans, arm them on a device, count what fired."""

from __future__ import annotations

from hil.faults.errors import FaultPlanError
from hil.faults.injector import FaultInjector, FiredFault
from hil.faults.plan import (
    Brownout,
    Fault,
    FaultPlan,
    FlashOpCut,
    OpKind,
    Phase,
    PhaseCut,
    RandomCuts,
    SymbolCut,
    Tear,
    load_plan,
    parse_plan,
)

__all__ = [
    "Brownout",
    "Fault",
    "FaultInjector",
    "FaultPlan",
    "FaultPlanError",
    "FiredFault",
    "FlashOpCut",
    "OpKind",
    "Phase",
    "PhaseCut",
    "RandomCuts",
    "SymbolCut",
    "Tear",
    "load_plan",
    "parse_plan",
]
