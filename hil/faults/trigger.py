"""The fault-trigger layer: "at point P, do action A", the one place that counts flash
operations and phase events.

Points:

* flash operation N of kind K (``at_flash_op``): N counts the operations of kind K (``any``,
  ``erase``, ``program``) announced since the layer was attached to the engine;
* a phase event (``at_phase``): the ``occurrence``-th event announcing a phase
  (``PHASE_EVENTS``) the device decoded since the layer was attached, plus ``offset``
  instructions (an instant inside the phase; 0 is the moment the event is decoded);
* a symbol (``at_symbol``): the ``hit``-th time the core reaches it.

Actions are plain callables; ``hil.faults.actions`` has the chip-side ones (a cut with a tear,
a brownout, a halt for GDB); the power-cut sweep's action forks the process at the point.
Observers (``each_flash_op``, ``each_phase``) see every operation and phase event with its
counts (the sweep's clean pass records them).

The hot path is one engine flash-op hook per layer: two counters and one dictionary lookup per
operation, nothing per instruction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hil.engine.base import Engine, FlashOp, FlashOpAction, FlashOpKind
from hil.evidence import Event, Record
from hil.faults.plan import PHASE_EVENTS, OpKind, Phase

_KIND = {FlashOpKind.ERASE: OpKind.ERASE, FlashOpKind.PROGRAM: OpKind.PROGRAM}


class EvidenceFeed(Protocol):
    """Where phase events come from: a device calls ``listener`` with every record it decodes."""

    def subscribe(self, listener: Callable[[Record], None]) -> None: ...


@dataclass(frozen=True)
class OpHit:
    """A flash operation as the layer counts it."""

    op: FlashOp
    index: int  # the n-th operation since the layer was attached (any kind)
    kind_index: int  # the n-th of its kind

    @property
    def where(self) -> str:
        op = self.op
        return f"flash op {op.index} ({op.kind.value} 0x{op.address:08x})"


@dataclass(frozen=True)
class PhaseHit:
    """A phase event as the layer counts it."""

    phase: Phase
    occurrence: int  # the n-th event of this phase since the layer was attached
    event: Event
    instructions: int  # virtual time when the device decoded it

    def where(self, offset: int) -> str:
        return f"phase {self.phase.value} ({self.event.raw.strip()}) +{offset} ticks"


OpAction = Callable[[OpHit], FlashOpAction]  # CUT cuts the power inside the operation
PointAction = Callable[[str], None]  # called with where the point fell
SymbolAction = Callable[[str], bool]  # True halts the core before the symbol


def phases_of(ev: Event) -> list[Phase]:
    """The phases whose trigger ``ev`` is (``PHASE_EVENTS``)."""
    return [
        p
        for p, (name, fields) in PHASE_EVENTS.items()
        if ev.name == name and all(ev.get(k) == v for k, v in fields)
    ]


class Triggers:
    """The trigger points of one engine (and of its device's evidence, for phases)."""

    def __init__(self, engine: Engine, evidence: EvidenceFeed | None = None) -> None:
        self.engine = engine
        self._evidence = evidence
        self._armed = True
        self._seq = 0
        self._op_counts: dict[OpKind, int] = {k: 0 for k in OpKind}
        self._op_points: dict[tuple[OpKind, int], list[tuple[int, OpAction]]] = {}
        self._op_observers: list[Callable[[OpHit], None]] = []
        self._phase_counts: Counter[Phase] = Counter()
        self._phase_points: dict[tuple[Phase, int], list[Callable[[PhaseHit], None]]] = {}
        self._phase_observers: list[Callable[[PhaseHit], None]] = []
        self._listening = False
        engine.on_flash_op(self._on_flash_op)

    @property
    def has_evidence(self) -> bool:
        return self._evidence is not None

    def disarm(self) -> None:
        """Nothing fires or observes any more (a sweep child takes its own fault only)."""
        self._armed = False
        self._op_points.clear()
        self._op_observers.clear()
        self._phase_points.clear()
        self._phase_observers.clear()

    def rearm(self) -> None:
        """Fire again after ``disarm`` (points armed from now on; a sweep child arms the cuts
        of its own recovery, ``hil sweep --depth``)."""
        self._armed = True

    def op_count(self, kind: OpKind = OpKind.ANY) -> int:
        """Operations of ``kind`` counted so far."""
        return self._op_counts[kind]

    # -- flash operations --------------------------------------------------------------------
    def at_flash_op(self, n: int, kind: OpKind, action: OpAction) -> None:
        """Call ``action`` when the ``n``-th operation of ``kind`` starts; its answer decides
        whether the power is cut inside the operation."""
        self._op_points.setdefault((kind, n), []).append((self._seq, action))
        self._seq += 1

    def each_flash_op(self, observer: Callable[[OpHit], None]) -> None:
        self._op_observers.append(observer)

    def _on_flash_op(self, op: FlashOp) -> FlashOpAction:
        counts = self._op_counts
        kind = _KIND[op.kind]
        index, kind_index = counts[OpKind.ANY], counts[kind]
        counts[OpKind.ANY] = index + 1
        counts[kind] = kind_index + 1
        if not self._op_points and not self._op_observers:
            return FlashOpAction.CONTINUE
        hit = OpHit(op, index, kind_index)
        for observer in tuple(self._op_observers):
            observer(hit)
        due = self._op_points.pop((OpKind.ANY, index), [])
        due += self._op_points.pop((kind, kind_index), [])
        if len(due) > 1:
            due.sort(key=lambda entry: entry[0])  # in the order they were armed
        result = FlashOpAction.CONTINUE
        for _, action in due:
            if not self._armed:
                break
            if action(hit) is FlashOpAction.CUT:
                result = FlashOpAction.CUT
        return result

    # -- phase events ------------------------------------------------------------------------
    def at_phase(self, phase: Phase, occurrence: int, offset: int, action: PointAction) -> None:
        """Call ``action(where)`` ``offset`` ticks after the device decodes the
        ``occurrence``-th event announcing ``phase`` (at once when ``offset`` is 0)."""

        def fire(hit: PhaseHit) -> None:
            where = hit.where(offset)
            self.engine.after(offset, lambda: action(where))

        self.at_phase_event(phase, occurrence, fire)

    def at_phase_event(
        self, phase: Phase, occurrence: int, action: Callable[[PhaseHit], None]
    ) -> None:
        """Call ``action(hit)`` the moment the ``occurrence``-th event of ``phase`` is decoded."""
        self._listen()
        self._phase_points.setdefault((phase, occurrence), []).append(action)

    def each_phase(self, observer: Callable[[PhaseHit], None]) -> None:
        self._listen()
        self._phase_observers.append(observer)

    def _listen(self) -> None:
        if self._evidence is None:
            raise ValueError("phase points need the device's evidence (a Device target)")
        if not self._listening:
            self._listening = True
            self._evidence.subscribe(self._on_record)

    def _on_record(self, rec: Record) -> None:
        if not self._armed or not isinstance(rec, Event):
            return
        for phase in phases_of(rec):
            self._phase_counts[phase] += 1
            hit = PhaseHit(phase, self._phase_counts[phase], rec, self.engine.ticks)
            for observer in tuple(self._phase_observers):
                observer(hit)
            for action in self._phase_points.pop((phase, hit.occurrence), []):
                if not self._armed:
                    return
                action(hit)

    # -- symbols -----------------------------------------------------------------------------
    def at_symbol(self, symbol: str, hit: int, action: SymbolAction) -> None:
        """Call ``action(where)`` the ``hit``-th time the core reaches ``symbol`` (before its
        first instruction). Raises the engine's ``UnknownNameError`` for an unknown symbol."""
        hits = [0]

        def hook(name: str, address: int) -> bool:
            hits[0] += 1
            if hits[0] != hit or not self._armed:
                return False
            return action(f"symbol {name} (0x{address:08x}) hit {hits[0]}")

        self.engine.on_symbol(symbol, hook)


__all__ = [
    "EvidenceFeed",
    "OpAction",
    "OpHit",
    "PhaseHit",
    "PointAction",
    "SymbolAction",
    "Triggers",
    "phases_of",
]
