"""Fault plans as data (issue 5) and the one fault-trigger layer: parse and serialise plans,
arm them on a device (``FaultInjector``) or as a debugger halt (``HaltAt``), count what fired
(``FiredFault``). ``hil.faults.trigger`` is the only place that counts flash operations."""

from hil.faults.errors import FaultPlanError
from hil.faults.halt import Halt, HaltAt
from hil.faults.injector import FaultInjector
from hil.faults.plan import (
    Brownout,
    Fault,
    FaultPlan,
    FiredFault,
    FlashOpCut,
    OpKind,
    Phase,
    PhaseCut,
    RandomCuts,
    SymbolCut,
    Tear,
    fault_dict,
    load_plan,
    parse_plan,
    plan_dict,
)
from hil.faults.trigger import OpHit, PhaseHit, Triggers

__all__ = [
    "Brownout",
    "Fault",
    "FaultInjector",
    "FaultPlan",
    "FaultPlanError",
    "FiredFault",
    "FlashOpCut",
    "Halt",
    "HaltAt",
    "OpHit",
    "OpKind",
    "Phase",
    "PhaseCut",
    "PhaseHit",
    "RandomCuts",
    "SymbolCut",
    "Tear",
    "Triggers",
    "fault_dict",
    "load_plan",
    "parse_plan",
    "plan_dict",
]
