"""Fault plans as data: YAML or JSON files, validated strictly.

A plan file::

    name: cut-mid-staging          # optional
    faults:
      - kind: phase_cut            # cut the power once the device reports a phase
        phase: staging             # see Phase / PHASE_EVENTS
        offset: 200                # optional: ticks after the phase event (default 0)
        occurrence: 1              # optional: the n-th time the phase is reported (default 1)
      - kind: flash_op_cut         # cut during flash operation N (0-based, counted from arming)
        op: 3
        op_kind: erase             # optional: any (default) | erase | program
        tear: partial_erase        # optional: none | partial_erase | partial_program |
                                   #           ecc_torn | bit_partial
      - kind: symbol_cut           # cut when the core reaches an ELF symbol
        symbol: meta_commit
        hit: 1                     # optional: the n-th time it is reached (default 1)
      - kind: brownout             # supply crosses the monitor threshold at a point, holds up
        at: {phase: verify}        # for a time, then the brownout reset fires; `at` is one of
        holdup_us: 500             # {phase[, offset, occurrence]} | {flash_op[, op_kind]} |
        supply_mv: 1750            # {symbol[, hit]}; holdup_us/supply_mv optional
      - kind: random_cuts          # K seeded random cuts among a clean run's flash operations
        count: 4
        seed: 7                    # optional: default the injector's seed
        op_kind: program           # optional

A tick is one period of the platform's reset clock (``core.clock_hz``), the harness's unit of
virtual time (``Engine.ticks``): the same offset is the same time whatever clock the firmware
set.

Every error names the file, the dotted field (``faults[1].op``), what was expected and found.

``plan_dict`` is the inverse of ``parse_plan`` (the form replay records and sweep points carry);
``FiredFault`` is the one record of a fault that fired, with its one dict form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml

from hil.evidence.vocab import Ev, Field, State, Step
from hil.faults.errors import FaultPlanError


class Phase(StrEnum):
    """OTA phases (ota-requirements §2) as the device reports them (see PHASE_EVENTS)."""

    DOWNLOAD = "download"
    BETWEEN_CHUNKS = "between_chunks"
    VERIFY = "verify"
    STAGING = "staging"
    RE_VERIFY = "re_verify"
    METADATA_COMMIT = "metadata_commit"
    REBOOT = "reboot"
    BOOT_TEST = "boot_test"
    CONFIRM = "confirm"
    FLOOR_BUMP = "floor_bump"


# phase -> (event name, required fields): the device evidence that announces the phase
# (docs/contracts.md §8). Mid-chunk / mid-erase / mid-program points are a phase plus an
# ``offset`` in ticks, or a flash_op_cut. The steps without a state of their own (re-
# verify, metadata commit, confirm, floor bump) are announced by ``PHASE name=..`` just before
# the device starts them; REBOOT is the window after PENDING is set.
PHASE_EVENTS: dict[Phase, tuple[str, tuple[tuple[str, str], ...]]] = {
    Phase.DOWNLOAD: (Ev.SLOT_TRANSITION, ((Field.TO, State.DOWNLOADING),)),
    Phase.BETWEEN_CHUNKS: (Ev.CHUNK, ()),
    Phase.VERIFY: (Ev.SLOT_TRANSITION, ((Field.TO, State.VERIFYING),)),
    Phase.STAGING: (Ev.SLOT_TRANSITION, ((Field.TO, State.STAGING),)),
    Phase.RE_VERIFY: (Ev.PHASE, ((Field.NAME, Step.RE_VERIFY),)),
    Phase.METADATA_COMMIT: (Ev.PHASE, ((Field.NAME, Step.META_COMMIT),)),
    Phase.REBOOT: (Ev.SLOT_TRANSITION, ((Field.TO, State.PENDING),)),
    Phase.BOOT_TEST: (Ev.SLOT_TRANSITION, ((Field.TO, State.BOOT_TEST),)),
    Phase.CONFIRM: (Ev.PHASE, ((Field.NAME, Step.CONFIRM),)),
    Phase.FLOOR_BUMP: (Ev.PHASE, ((Field.NAME, Step.FLOOR_BUMP),)),
}


class Tear(StrEnum):
    """What a cut during a flash operation leaves behind (the engine's flash models tear)."""

    NONE = "none"  # cut just before the op: the array is left as it was
    PARTIAL_ERASE = "partial_erase"  # erase op: partly erased page (torn units)
    PARTIAL_PROGRAM = "partial_program"  # program op: whatever the platform's model tears
    ECC_TORN = "ecc_torn"  # program op on an ECC-unit flash (STM32U585 quad-word)
    BIT_PARTIAL = "bit_partial"  # program op, bit-level partial program (LPC55S69 page)


class OpKind(StrEnum):
    ANY = "any"
    ERASE = "erase"
    PROGRAM = "program"


@dataclass(frozen=True)
class PhaseCut:
    phase: Phase
    offset: int = 0
    occurrence: int = 1


@dataclass(frozen=True)
class FlashOpCut:
    op: int
    op_kind: OpKind = OpKind.ANY
    tear: Tear | None = None


@dataclass(frozen=True)
class SymbolCut:
    symbol: str
    hit: int = 1


Point = PhaseCut | FlashOpCut | SymbolCut  # where a brownout starts (tear is not allowed)


@dataclass(frozen=True)
class Brownout:
    at: Point
    holdup_us: int | None = None  # default: the platform's supply.holdup_us
    supply_mv: int | None = None  # during the hold-up; default: the platform's reset_mv


@dataclass(frozen=True)
class RandomCuts:
    count: int
    seed: int | None = None
    op_kind: OpKind = OpKind.ANY


Fault = PhaseCut | FlashOpCut | SymbolCut | Brownout | RandomCuts


@dataclass(frozen=True)
class FaultPlan:
    source: str
    faults: tuple[Fault, ...]
    name: str = ""


_KINDS = ("phase_cut", "flash_op_cut", "symbol_cut", "brownout", "random_cuts")
E = TypeVar("E", bound=StrEnum)


def _desc(value: object) -> str:
    if isinstance(value, bool):
        return f"boolean {value!r}"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


class _Fields:
    """One mapping being validated: takes fields one by one, then refuses leftovers."""

    def __init__(self, source: str, field: str, raw: object) -> None:
        if not isinstance(raw, Mapping):
            raise FaultPlanError(source, field or "<root>", "a mapping", _desc(raw))
        self.source = source
        self.field = field
        self.raw: Mapping[object, object] = raw
        self.taken: set[str] = set()

    def path(self, key: str) -> str:
        return f"{self.field}.{key}" if self.field else key

    def _get(self, key: str, required: bool) -> object:
        self.taken.add(key)
        if key not in self.raw:
            if required:
                raise FaultPlanError(self.source, self.path(key), "a value", "nothing (missing)")
            return None
        return self.raw[key]

    def has(self, key: str) -> bool:
        return key in self.raw

    def req_int(self, key: str, *, minimum: int) -> int:
        value = self._get(key, required=True)
        result = self._int_value(key, value, minimum, None)
        assert result is not None
        return result

    def opt_int(self, key: str, *, minimum: int, default: int | None) -> int | None:
        value = self._get(key, required=False)
        return self._int_value(key, value, minimum, default)

    def _int_value(self, key: str, value: object, minimum: int, default: int | None) -> int | None:
        if value is None and key not in self.raw:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            raise FaultPlanError(self.source, self.path(key), "an integer", _desc(value))
        if value < minimum:
            raise FaultPlanError(
                self.source, self.path(key), f"an integer >= {minimum}", str(value)
            )
        return value

    def string(self, key: str, *, required: bool, default: str = "") -> str:
        value = self._get(key, required=required)
        if value is None and key not in self.raw:
            return default
        if not isinstance(value, str) or not value:
            raise FaultPlanError(self.source, self.path(key), "a non-empty string", _desc(value))
        return value

    def enum(self, key: str, enum: type[E], *, default: E | None) -> E | None:
        value = self._get(key, required=False)
        if value is None and key not in self.raw:
            return default
        choices = ", ".join(e.value for e in enum)
        if not isinstance(value, str):
            raise FaultPlanError(self.source, self.path(key), f"one of {choices}", _desc(value))
        try:
            return enum(value)
        except ValueError:
            raise FaultPlanError(
                self.source, self.path(key), f"one of {choices}", repr(value)
            ) from None

    def done(self) -> None:
        extra = [k for k in self.raw if not isinstance(k, str) or k not in self.taken]
        if extra:
            key = extra[0]
            raise FaultPlanError(
                self.source,
                self.path(str(key)),
                f"only the known fields ({', '.join(sorted(self.taken))})",
                f"unknown field {key!r}",
            )


def _phase_cut(f: _Fields) -> PhaseCut:
    phase = f.enum("phase", Phase, default=None)
    if phase is None:
        raise FaultPlanError(f.source, f.path("phase"), "a phase", "nothing (missing)")
    offset = f.opt_int("offset", minimum=0, default=0)
    occurrence = f.opt_int("occurrence", minimum=1, default=1)
    assert offset is not None and occurrence is not None
    return PhaseCut(phase, offset, occurrence)


def _flash_op_cut(f: _Fields, *, allow_tear: bool) -> FlashOpCut:
    op = f.req_int("op" if allow_tear else "flash_op", minimum=0)
    op_kind = f.enum("op_kind", OpKind, default=OpKind.ANY)
    assert op_kind is not None
    tear = f.enum("tear", Tear, default=None) if allow_tear else None
    if tear is not None:
        needs = {Tear.PARTIAL_ERASE: OpKind.ERASE}.get(tear, OpKind.PROGRAM)
        if tear is Tear.NONE:
            needs = op_kind
        if op_kind is OpKind.ANY:
            op_kind = needs
        elif op_kind is not needs:
            raise FaultPlanError(
                f.source,
                f.path("tear"),
                f"a tear of a {op_kind.value} operation",
                f"{tear.value!r} (a {needs.value} tear)",
            )
    return FlashOpCut(op, op_kind, tear)


def _symbol_cut(f: _Fields) -> SymbolCut:
    symbol = f.string("symbol", required=True)
    hit = f.opt_int("hit", minimum=1, default=1)
    assert hit is not None
    return SymbolCut(symbol, hit)


def _point(f: _Fields) -> Point:
    present = [k for k in ("phase", "flash_op", "symbol") if f.has(k)]
    if len(present) != 1:
        raise FaultPlanError(
            f.source,
            f.field,
            "exactly one of phase, flash_op, symbol",
            ", ".join(present) if present else "none of them",
        )
    if present[0] == "phase":
        return _phase_cut(f)
    if present[0] == "flash_op":
        return _flash_op_cut(f, allow_tear=False)
    return _symbol_cut(f)


def _fault(source: str, field: str, raw: object) -> Fault:
    f = _Fields(source, field, raw)
    kind = f.string("kind", required=True)
    if kind not in _KINDS:
        raise FaultPlanError(source, f.path("kind"), f"one of {', '.join(_KINDS)}", repr(kind))
    fault: Fault
    if kind == "phase_cut":
        fault = _phase_cut(f)
    elif kind == "flash_op_cut":
        fault = _flash_op_cut(f, allow_tear=True)
    elif kind == "symbol_cut":
        fault = _symbol_cut(f)
    elif kind == "brownout":
        at = _Fields(source, f.path("at"), f._get("at", required=True))
        point = _point(at)
        at.done()
        holdup = f.opt_int("holdup_us", minimum=0, default=None)
        supply = f.opt_int("supply_mv", minimum=0, default=None)
        fault = Brownout(point, holdup, supply)
    else:
        count = f.req_int("count", minimum=1)
        seed = f.opt_int("seed", minimum=0, default=None)
        op_kind = f.enum("op_kind", OpKind, default=OpKind.ANY)
        assert op_kind is not None
        fault = RandomCuts(count, seed, op_kind)
    f.done()
    return fault


def parse_plan(data: object, source: str = "<plan>") -> FaultPlan:
    """Validate a decoded plan (a mapping with ``faults`` and optional ``name``)."""
    top = _Fields(source, "", data)
    name = top.string("name", required=False)
    raw_faults = top._get("faults", required=True)
    if not isinstance(raw_faults, list) or not raw_faults:
        raise FaultPlanError(source, "faults", "a non-empty list of faults", _desc(raw_faults))
    faults = tuple(_fault(source, f"faults[{i}]", raw) for i, raw in enumerate(raw_faults))
    top.done()
    return FaultPlan(source, faults, name)


def load_plan(path: str | Path) -> FaultPlan:
    """Read a plan file: ``.json`` as JSON, anything else as YAML."""
    p = Path(path)
    source = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise FaultPlanError(source, "<file>", "a readable plan file", str(exc)) from None
    try:
        data: object = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if p.suffix == ".json" else "YAML"
        found = str(exc).replace("\n", " ")
        raise FaultPlanError(source, "<file>", f"valid {kind}", found) from None
    return parse_plan(data, source)


# -- plans as data (the inverse of parse_plan) ---------------------------------------------------
def _point_dict(point: Point) -> dict[str, Any]:
    if isinstance(point, FlashOpCut):
        d: dict[str, Any] = {"flash_op": point.op}
        if point.op_kind is not OpKind.ANY:
            d["op_kind"] = point.op_kind.value
        return d
    if isinstance(point, SymbolCut):
        return {"symbol": point.symbol, "hit": point.hit}
    return _phase_dict(point)


def _phase_dict(cut: PhaseCut) -> dict[str, Any]:
    d: dict[str, Any] = {"phase": cut.phase.value, "occurrence": cut.occurrence}
    if cut.offset:
        d["offset"] = cut.offset
    return d


def fault_dict(fault: Fault) -> dict[str, Any]:
    """One fault as plan data; defaults are left out (except a flash-op cut's ``op_kind``)."""
    if isinstance(fault, FlashOpCut):
        d: dict[str, Any] = {"kind": "flash_op_cut", "op": fault.op}
        d["op_kind"] = fault.op_kind.value
        if fault.tear is not None:
            d["tear"] = fault.tear.value
        return d
    if isinstance(fault, SymbolCut):
        return {"kind": "symbol_cut", "symbol": fault.symbol, "hit": fault.hit}
    if isinstance(fault, PhaseCut):
        return {"kind": "phase_cut", **_phase_dict(fault)}
    if isinstance(fault, Brownout):
        d = {"kind": "brownout", "at": _point_dict(fault.at)}
        if fault.holdup_us is not None:
            d["holdup_us"] = fault.holdup_us
        if fault.supply_mv is not None:
            d["supply_mv"] = fault.supply_mv
        return d
    d = {"kind": "random_cuts", "count": fault.count, "op_kind": fault.op_kind.value}
    if fault.seed is not None:
        d["seed"] = fault.seed
    return d


def plan_dict(plan: FaultPlan) -> dict[str, Any]:
    """The dict form of a plan (``parse_plan`` of it gives the same plan)."""
    d: dict[str, Any] = {"name": plan.name} if plan.name else {}
    d["faults"] = [fault_dict(f) for f in plan.faults]
    return d


def describe_point(point: Point) -> str:
    """A point in words (what a fault that never fired was waiting for)."""
    if isinstance(point, FlashOpCut):
        return f"flash op {point.op} ({point.op_kind.value})"
    if isinstance(point, SymbolCut):
        return f"symbol {point.symbol} hit {point.hit}"
    return f"phase {point.phase.value} +{point.offset} (occurrence {point.occurrence})"


# -- what fired ------------------------------------------------------------------------------------
FIRED_KINDS = ("phase_cut", "flash_op_cut", "symbol_cut", "brownout", "random_cut")


@dataclass(frozen=True)
class FiredFault:
    """One fault that fired: the plan's fault index, its kind (``FIRED_KINDS``), where it fell
    and the virtual time (instructions) it fired at."""

    fault: int
    kind: str
    where: str
    instructions: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "kind": self.kind,
            "where": self.where,
            "instructions": self.instructions,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FiredFault:
        return cls(int(d["fault"]), str(d["kind"]), str(d["where"]), int(d["instructions"]))

    def describe(self) -> str:
        return f"faults[{self.fault}] {self.kind} at {self.where} (instruction {self.instructions})"
