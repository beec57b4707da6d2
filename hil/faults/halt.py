"""A plan's first fault armed as a halt instead of a cut (``hil replay --gdb``).

* flash_op_cut: the flash-op point is reached when the firmware's store to the flash
  controller's command register announces operation N. A cut run drops the power right there
  (the op torn, the store instruction is the last one executed). The halt answers CONTINUE and
  stops the core right after that store instruction completes: the op is in flight (scheduled,
  the array not yet changed), ``engine.instructions`` equals the cut run's ``instructions`` of
  that fault, and the PC is the instruction after the store.
* symbol_cut: the core stops before the symbol's first instruction (PC = the symbol), which is
  exactly where the cut run powers off.
* a brownout at a flash op halts where the supply would start to drop.
"""

from __future__ import annotations

from dataclasses import dataclass

from hil.engine.base import Engine, FlashOpAction
from hil.faults.actions import halt
from hil.faults.errors import FaultPlanError
from hil.faults.plan import Brownout, FaultPlan, FlashOpCut, SymbolCut
from hil.faults.trigger import OpHit, Triggers


@dataclass(frozen=True)
class Halt:
    """Where a ``--gdb`` replay stopped instead of cutting."""

    fault: str
    pc: int
    instructions: int


class HaltAt:
    """Arms ``plan.faults[0]`` on ``engine`` as a halt; ``stopped()`` says where it stopped."""

    def __init__(self, engine: Engine, plan: FaultPlan) -> None:
        self.engine = engine
        self.where = ""
        self._instructions = 0
        self.triggers = Triggers(engine)
        fault = plan.faults[0]
        if isinstance(fault, Brownout) and isinstance(fault.at, FlashOpCut):
            fault = fault.at  # halt where the supply would start to drop
        if isinstance(fault, FlashOpCut):
            self.triggers.at_flash_op(fault.op, fault.op_kind, self._on_op)
        elif isinstance(fault, SymbolCut):
            self.triggers.at_symbol(fault.symbol, fault.hit, self._on_symbol)
        else:
            raise FaultPlanError(
                plan.source,
                "faults[0].kind",
                "flash_op_cut, symbol_cut or a brownout at a flash_op (the faults --gdb can "
                "halt at)",
                repr(type(fault).__name__),
            )

    def _on_op(self, hit: OpHit) -> FlashOpAction:
        if not self.where:
            self.where = hit.where
            self._instructions = self.engine.instructions
            halt(self.engine, f"replay halt at {self.where}")
        return FlashOpAction.CONTINUE

    def _on_symbol(self, where: str) -> bool:
        if self.where:
            return False
        self.where = where
        self._instructions = self.engine.instructions
        return True

    def stopped(self) -> Halt:
        return Halt(self.where, self.engine.pc, self._instructions)


__all__ = ["Halt", "HaltAt"]
