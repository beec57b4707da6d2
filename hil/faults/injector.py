"""Arm a fault plan on a device (or a bare engine) and count every fault that fired.

``FaultInjector(target, plan, seed)`` arms the plan's faults on the fault-trigger layer
(``hil.faults.trigger``) at once; drive the device as usual (waits, ``expect``; phase points
see evidence as the device decodes it, so use waits rather than ``run_for`` around a phase
cut); then ``check()`` raises ``FaultPlanError`` for every armed fault that never fired.
Flash-op indices count the operations (of the fault's ``op_kind``) announced since the
injector was armed.

Actions (``hil.faults.actions``): flash-op cuts answer the operation with CUT (the flash
models tear the op); ``tear: none`` powers off inside the hook and restores the flash array as
it was when the op was announced (a cut just before the op; on STM32U585 OPSR still records the
interrupted op). Symbol cuts power off from the symbol hook. Phase cuts power off when the
phase event is decoded, or ``offset`` ticks later (``Engine.after``). A brownout sets
the supply to ``supply_mv`` (default the reset threshold: the monitor flag side) at its point,
and after ``holdup_us`` restores it and fires the brownout reset (``engine.reset(BROWNOUT)``);
it counts as fired when the chip restarts with cause brownout.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

from hil.engine.base import Engine, FlashOpAction, ResetCause
from hil.errors import UnknownNameError
from hil.faults.actions import cut_in_flash_op, power_cut, start_brownout
from hil.faults.errors import FaultPlanError
from hil.faults.plan import (
    Brownout,
    FaultPlan,
    FiredFault,
    FlashOpCut,
    PhaseCut,
    Point,
    RandomCuts,
    SymbolCut,
    Tear,
    describe_point,
)
from hil.faults.trigger import EvidenceFeed, OpHit, Triggers
from hil.platform.model import TornRead

Fired = Callable[[int, str, str], None]  # (fault index, kind, where): a fault fired


class FaultTarget(EvidenceFeed, Protocol):
    """A device as the injector sees it: its engine and its decoded evidence."""

    @property
    def engine(self) -> Engine: ...


class FaultInjector:
    def __init__(
        self,
        target: FaultTarget | Engine,
        plan: FaultPlan,
        seed: int = 0,
        *,
        clean_op_count: int | None = None,
    ) -> None:
        evidence = None if isinstance(target, Engine) else target
        self.engine: Engine = target if isinstance(target, Engine) else target.engine
        self.plan = plan
        self.seed = seed
        self.fired: list[FiredFault] = []
        self._armed: list[tuple[int, str]] = []  # (fault index, description) that must fire
        self._brownout_pending: list[tuple[int, str]] = []
        self.random_indices: dict[int, list[int]] = {}
        self.triggers = Triggers(self.engine, evidence)
        for i, fault in enumerate(plan.faults):
            field = f"faults[{i}]"
            if isinstance(fault, RandomCuts):
                self._arm_random(i, field, fault, clean_op_count)
            elif isinstance(fault, Brownout):
                self._arm_brownout(i, field, fault)
            else:
                self._arm_point(i, field, fault, self._record)
                self._armed.append((i, describe_point(fault)))
        self.engine.on_reset(self._on_reset)

    # -- results ------------------------------------------------------------------------------
    def count(self, fault: int | None = None) -> int:
        return sum(1 for f in self.fired if fault is None or f.fault == fault)

    def check(self) -> None:
        """Raise FaultPlanError for the first armed fault that never fired."""
        for index in dict.fromkeys(i for i, _ in self._armed):
            wanted = [d for i, d in self._armed if i == index]
            got = len({f.where for f in self.fired if f.fault == index})
            if got < len(wanted):
                missing = "; ".join(wanted[got:]) if got else "; ".join(wanted)
                raise FaultPlanError(
                    self.plan.source,
                    f"faults[{index}]",
                    "the fault to fire",
                    f"{missing}: never fired",
                )

    # -- arming -------------------------------------------------------------------------------
    def _record(self, index: int, kind: str, where: str) -> None:
        self.fired.append(FiredFault(index, kind, where, self.engine.instructions))

    def _arm_point(
        self, index: int, field: str, point: Point, fired: Fired, *, brownout: bool = False
    ) -> None:
        """Arm a cut (or, with ``brownout``, a brownout start) at a point; ``fired`` records."""
        if isinstance(point, FlashOpCut):
            self._arm_flash_op(index, field, point, fired, "brownout" if brownout else "")
        elif isinstance(point, SymbolCut):
            self._arm_symbol(index, field, point, fired, brownout)
        else:
            self._arm_phase(index, field, point, fired, brownout)

    def _arm_flash_op(
        self, index: int, field: str, cut: FlashOpCut, fired: Fired, kind: str = ""
    ) -> None:
        """``kind`` "brownout": the action only starts a brownout, the op continues."""
        if cut.tear is not None and cut.tear in (Tear.ECC_TORN, Tear.BIT_PARTIAL):
            ecc = self.engine.platform.flash.torn_read is TornRead.ECC_NMI
            wanted = Tear.ECC_TORN if ecc else Tear.BIT_PARTIAL
            if cut.tear is not wanted:
                raise FaultPlanError(
                    self.plan.source,
                    f"{field}.tear",
                    f"a tear the {self.engine.platform.name} flash model makes "
                    f"({wanted.value}, partial_program, partial_erase, none)",
                    repr(cut.tear.value),
                )

        def action(hit: OpHit) -> FlashOpAction:
            if kind == "brownout":
                fired(index, kind, hit.where)
                return FlashOpAction.CONTINUE
            fired(index, kind or "flash_op_cut", hit.where)
            return cut_in_flash_op(self.engine, cut.tear)

        self.triggers.at_flash_op(cut.op, cut.op_kind, action)

    def _arm_symbol(
        self, index: int, field: str, cut: SymbolCut, fired: Fired, brownout: bool
    ) -> None:
        def action(where: str) -> bool:
            if brownout:
                fired(index, "brownout", where)
                return False
            fired(index, "symbol_cut", where)
            power_cut(self.engine)
            return True

        try:
            self.triggers.at_symbol(cut.symbol, cut.hit, action)
        except UnknownNameError as exc:  # the firmware has no such symbol
            raise FaultPlanError(
                self.plan.source, f"{field}.symbol", "a symbol of the loaded firmware", str(exc)
            ) from None

    def _arm_phase(
        self, index: int, field: str, cut: PhaseCut, fired: Fired, brownout: bool
    ) -> None:
        if not self.triggers.has_evidence:
            raise FaultPlanError(
                self.plan.source,
                f"{field}.phase",
                "a Device target (phases are evidence)",
                "a bare engine",
            )

        def action(where: str) -> None:
            if brownout:
                fired(index, "brownout", where)
            else:
                fired(index, "phase_cut", where)
                power_cut(self.engine)

        self.triggers.at_phase(cut.phase, cut.occurrence, cut.offset, action)

    def _arm_random(
        self, index: int, field: str, fault: RandomCuts, clean_op_count: int | None
    ) -> None:
        if clean_op_count is None:
            raise FaultPlanError(
                self.plan.source, field, "a clean run's flash-op count (clean_op_count=)", "none"
            )
        if fault.count > clean_op_count:
            raise FaultPlanError(
                self.plan.source,
                f"{field}.count",
                f"at most the clean run's {clean_op_count} {fault.op_kind.value} operations",
                str(fault.count),
            )
        rng = random.Random(self.seed if fault.seed is None else fault.seed)
        chosen = sorted(rng.sample(range(clean_op_count), fault.count))
        self.random_indices[index] = chosen
        for n in chosen:
            cut = FlashOpCut(n, fault.op_kind, None)
            self._arm_flash_op(index, field, cut, self._record, "random_cut")
            self._armed.append((index, f"random cut at {describe_point(cut)}"))

    def _arm_brownout(self, index: int, field: str, fault: Brownout) -> None:
        supply = self.engine.platform.supply
        holdup_us = supply.holdup_us if fault.holdup_us is None else fault.holdup_us
        low_mv = supply.reset_mv if fault.supply_mv is None else fault.supply_mv
        if low_mv < supply.reset_mv:
            raise FaultPlanError(
                self.plan.source,
                f"{field}.supply_mv",
                f">= the reset threshold {supply.reset_mv} mV (the plan fires the reset itself)",
                str(low_mv),
            )

        def start(idx: int, kind: str, where: str) -> None:
            def fired() -> None:
                self._brownout_pending.append((idx, f"{where}, hold-up {holdup_us} us"))

            start_brownout(self.engine, low_mv, holdup_us, fired)

        self._arm_point(index, f"{field}.at", fault.at, start, brownout=True)
        self._armed.append((index, f"brownout at {describe_point(fault.at)}"))

    def _on_reset(self, cause: ResetCause) -> None:
        if cause is ResetCause.BROWNOUT and self._brownout_pending:
            for idx, where in self._brownout_pending:
                self._record(idx, "brownout", where)
            self._brownout_pending.clear()


__all__ = ["FaultInjector", "FaultTarget", "FiredFault"]
