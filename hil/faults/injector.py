"""Arm a fault plan on a device (or a bare engine) and count every fault that fired.

``FaultInjector(target, plan, seed)`` arms hooks at once; drive the device as usual (waits,
``run_until``; phase triggers see evidence as the device decodes it, so use waits rather than
``run_for`` around a phase cut); then ``check()`` raises ``FaultPlanError`` for every armed fault
that never fired. Flash-op indices count the operations (of the fault's ``op_kind``) announced
since the injector was armed.

Mechanisms: flash-op cuts answer the engine's flash-op hook with CUT (the flash models tear the
op); ``tear: none`` powers off inside the hook and restores the flash array as it was when the
op was announced (a cut just before the op; on STM32U585 OPSR still records the interrupted op).
Symbol cuts power off from the symbol hook. Phase cuts power off when the phase event is decoded,
or ``offset`` instructions later through the unicorn engine's scheduler. A brownout sets the
supply to ``supply_mv`` (default the reset threshold: the monitor flag side) at its point, and
after ``holdup_us`` restores it and fires the brownout reset (``engine.reset(BROWNOUT)``); it
counts as fired when the chip restarts with cause brownout.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from hil.device import Device
from hil.engine.base import Engine, FlashOp, FlashOpAction, ResetCause
from hil.engine.unicorn.engine import UnicornEngine
from hil.evidence import Event, Record
from hil.faults.errors import FaultPlanError
from hil.faults.plan import (
    PHASE_EVENTS,
    Brownout,
    FaultPlan,
    FlashOpCut,
    OpKind,
    PhaseCut,
    Point,
    RandomCuts,
    SymbolCut,
    Tear,
)
from hil.platform.model import TornRead


@dataclass(frozen=True)
class FiredFault:
    fault: int  # index in plan.faults
    kind: str  # phase_cut, flash_op_cut, symbol_cut, brownout, random_cut
    where: str
    instructions: int


def _matches(kind: OpKind, op: FlashOp) -> bool:
    return kind is OpKind.ANY or op.kind.value == kind.value


_PENDING_ATTR = "_hil_fault_timers"


def after(engine: Engine, instructions: int, callback: Callable[[], None]) -> None:
    """Call ``callback`` once ``instructions`` more have run (now when 0; unicorn engine only
    otherwise: its scheduler). A fault is outside the chip: unlike the chip's own timers it
    survives a warm reset of the chip (it is re-armed at the same instant); a power-on drops it.
    """
    if instructions <= 0:
        callback()
        return
    assert isinstance(engine, UnicornEngine)
    pending: list[tuple[int, Callable[[], None]]] | None = getattr(engine, _PENDING_ATTR, None)
    if pending is None:
        pending = []
        setattr(engine, _PENDING_ATTR, pending)
        timers = pending

        def rearm(cause: ResetCause) -> None:
            if cause is ResetCause.POWER_ON:
                timers.clear()
                return
            for at, cb in list(timers):
                _arm(engine, timers, max(at, engine.instructions), cb)

        engine.on_reset(rearm)
    entry = (engine.instructions + instructions, callback)
    pending.append(entry)
    _arm(engine, pending, entry[0], callback)


def _arm(
    engine: UnicornEngine,
    pending: list[tuple[int, Callable[[], None]]],
    at: int,
    callback: Callable[[], None],
) -> None:
    def fire() -> None:
        for i, (_, cb) in enumerate(pending):
            if cb is callback:
                del pending[i]
                break
        else:
            return  # fired already (re-armed copies of one timer)
        callback()

    engine.scheduler.schedule(at, fire)
    engine.core.stop_after(at)


def cut_in_flash_op(engine: Engine, tear: Tear | None) -> FlashOpAction:
    """The answer of a flash-op hook that cuts the power in this operation: the flash model
    tears the op; ``tear: none`` powers off at once and puts the array back as it was when the
    op was announced (a cut just before the op). Shared by the injector and the sweep, so a
    swept point and its replay take the same path."""
    if tear is Tear.NONE:
        before = engine.flash_snapshot()
        engine.power_off()  # tears the op in flight ...
        engine.flash_restore(before)  # ... and the array goes back as it was
    return FlashOpAction.CUT


def start_brownout(
    engine: Engine, low_mv: int, holdup_us: int, fired: Callable[[], None] | None = None
) -> None:
    """The supply drops to ``low_mv`` now (the monitor flag side); ``holdup_us`` later it is
    restored and the brownout reset fires (``fired`` is called just before the reset)."""
    engine.set_supply_mv(low_mv)
    instructions = 0
    if isinstance(engine, UnicornEngine):
        instructions = engine.power.us_to_instructions(holdup_us)
    nominal = engine.platform.supply.nominal_mv

    def fire() -> None:
        engine.set_supply_mv(nominal)
        if fired is not None:
            fired()
        engine.reset(ResetCause.BROWNOUT)

    after(engine, instructions, fire)


class FaultInjector:
    def __init__(
        self,
        target: Device | Engine,
        plan: FaultPlan,
        seed: int = 0,
        *,
        clean_op_count: int | None = None,
    ) -> None:
        self.device = target if isinstance(target, Device) else None
        self.engine: Engine = target.engine if isinstance(target, Device) else target
        self.plan = plan
        self.seed = seed
        self.fired: list[FiredFault] = []
        self._armed: list[tuple[int, str]] = []  # (fault index, description) that must fire
        self._op_counts: dict[OpKind, int] = {k: 0 for k in OpKind}
        self._op_hooks: list[Callable[[FlashOp], FlashOpAction | None]] = []
        self._listeners: list[Callable[[Event], None]] = []
        self._brownout_pending: list[tuple[int, str]] = []
        self.random_indices: dict[int, list[int]] = {}
        for i, fault in enumerate(plan.faults):
            field = f"faults[{i}]"
            if isinstance(fault, RandomCuts):
                self._arm_random(i, field, fault, clean_op_count)
            elif isinstance(fault, Brownout):
                self._arm_brownout(i, field, fault)
            else:
                self._arm_point(
                    i, field, fault, "", lambda idx, kind, where: self._cut_fired(idx, kind, where)
                )
        self.engine.on_flash_op(self._on_flash_op)
        self.engine.on_reset(self._on_reset)
        if self._listeners:
            assert self.device is not None
            self.device.subscribe(self._on_record)

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

    def _cut_fired(self, index: int, kind: str, where: str) -> None:
        self._record(index, kind, where)

    def _arm_point(
        self,
        index: int,
        field: str,
        point: Point,
        prefix: str,
        action: Callable[[int, str, str], None],
        *,
        brownout: bool = False,
    ) -> None:
        """Arm a cut (or, with ``brownout``, a brownout start) at a point; ``action`` records."""
        if isinstance(point, FlashOpCut):
            self._arm_flash_op(index, field, point, action, brownout=brownout)
        elif isinstance(point, SymbolCut):
            self._arm_symbol(index, field, point, action, brownout=brownout)
        else:
            self._arm_phase(index, field, point, action, brownout=brownout)
        if not brownout:
            self._armed.append((index, f"{prefix}{_describe(point)}"))

    def _arm_flash_op(
        self,
        index: int,
        field: str,
        cut: FlashOpCut,
        action: Callable[[int, str, str], None],
        *,
        brownout: bool = False,
        kind_name: str = "flash_op_cut",
    ) -> None:
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
        done = [False]

        def hook(op: FlashOp) -> FlashOpAction | None:
            if done[0] or not _matches(cut.op_kind, op):
                return None
            if self._op_counts[cut.op_kind] - 1 != cut.op:
                return None
            done[0] = True
            where = f"flash op {op.index} ({op.kind.value} 0x{op.address:08x})"
            if brownout:
                action(index, "brownout", where)
                return None
            action(index, kind_name, where)
            return cut_in_flash_op(self.engine, cut.tear)

        self._op_hooks.append(hook)

    def _on_flash_op(self, op: FlashOp) -> FlashOpAction:
        self._op_counts[OpKind.ANY] += 1
        self._op_counts[OpKind(op.kind.value)] += 1
        result = FlashOpAction.CONTINUE
        for hook in self._op_hooks:
            if hook(op) is FlashOpAction.CUT:
                result = FlashOpAction.CUT
        return result

    def _arm_symbol(
        self,
        index: int,
        field: str,
        cut: SymbolCut,
        action: Callable[[int, str, str], None],
        *,
        brownout: bool = False,
    ) -> None:
        hits = [0]

        def hook(name: str, address: int) -> bool:
            hits[0] += 1
            if hits[0] != cut.hit:
                return False
            where = f"symbol {name} (0x{address:08x}) hit {hits[0]}"
            if brownout:
                action(index, "brownout", where)
                return False
            action(index, "symbol_cut", where)
            self.engine.power_off()
            return True

        try:
            self.engine.on_symbol(cut.symbol, hook)
        except Exception as exc:  # UnknownNameError: the firmware has no such symbol
            raise FaultPlanError(
                self.plan.source, f"{field}.symbol", "a symbol of the loaded firmware", str(exc)
            ) from None

    def _arm_phase(
        self,
        index: int,
        field: str,
        cut: PhaseCut,
        action: Callable[[int, str, str], None],
        *,
        brownout: bool = False,
    ) -> None:
        if self.device is None:
            raise FaultPlanError(
                self.plan.source,
                f"{field}.phase",
                "a Device target (phases are evidence)",
                "a bare engine",
            )
        if cut.offset and not isinstance(self.engine, UnicornEngine):
            raise FaultPlanError(
                self.plan.source,
                f"{field}.offset",
                "0 on an engine without a scheduler",
                str(cut.offset),
            )
        name, fields = PHASE_EVENTS[cut.phase]
        seen = [0]

        def listener(ev: Event) -> None:
            if ev.name != name or any(ev.get(k) != v for k, v in fields):
                return
            seen[0] += 1
            if seen[0] != cut.occurrence:
                return
            where = f"phase {cut.phase.value} ({ev.raw.strip()}) +{cut.offset} instructions"

            def fire() -> None:
                if brownout:
                    action(index, "brownout", where)
                else:
                    action(index, "phase_cut", where)
                    self.engine.power_off()

            self._after(cut.offset, fire)

        self._listeners.append(listener)

    def _after(self, instructions: int, callback: Callable[[], None]) -> None:
        after(self.engine, instructions, callback)

    def _on_record(self, rec: Record) -> None:
        if isinstance(rec, Event):
            for listener in list(self._listeners):
                listener(rec)

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
            self._arm_flash_op(index, field, cut, self._record, kind_name="random_cut")
            self._armed.append((index, f"random cut at {_describe(cut)}"))

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
        if not isinstance(self.engine, UnicornEngine) and holdup_us:
            raise FaultPlanError(
                self.plan.source,
                f"{field}.holdup_us",
                "0 on an engine without a scheduler",
                str(holdup_us),
            )

        def start(idx: int, kind: str, where: str) -> None:
            def fired() -> None:
                self._brownout_pending.append((idx, f"{where}, hold-up {holdup_us} us"))

            start_brownout(self.engine, low_mv, holdup_us, fired)

        self._arm_point(index, f"{field}.at", fault.at, "", start, brownout=True)
        self._armed.append((index, f"brownout at {_describe(fault.at)}"))

    def _on_reset(self, cause: ResetCause) -> None:
        if cause is ResetCause.BROWNOUT and self._brownout_pending:
            for idx, where in self._brownout_pending:
                self._record(idx, "brownout", where)
            self._brownout_pending.clear()


def _describe(point: Point) -> str:
    if isinstance(point, FlashOpCut):
        return f"flash op {point.op} ({point.op_kind.value})"
    if isinstance(point, SymbolCut):
        return f"symbol {point.symbol} hit {point.hit}"
    return f"phase {point.phase.value} +{point.offset} (occurrence {point.occurrence})"


__all__ = ["FaultInjector", "FiredFault", "after", "cut_in_flash_op", "start_brownout"]
