"""Replay records: every case writes one; ``hil replay RECORD`` reproduces it byte for byte.

A record (JSON) holds everything that determines a case: platform, engine, seed, the firmware
build (``app_build`` and build flags), the hashes of what was programmed (``FactoryImage.
provenance``), the scenario (name + args; ``install-package`` takes an explicit package spec:
build, slot, key, variant, self_test), and the fault plan in its dict form. Its ``evidence``
part (SHA-256 of the console transcript, the faults that fired) is what a replay must
reproduce. The case ID is the first 12 hex digits of SHA-256 over the canonical JSON of the
record without ``case_id`` and ``evidence`` (littlefs style: a failing power-loss case has an
ID that replays it exactly).

Scenarios: ``console-flash`` (args ``commands``, ``page``, ``arm``: ``power_on`` (default;
flash-op indices count the bootloader's operations too) or ``after_boot`` (like tests/faults:
op 0 is the first console command's operation); boot to the app, send ``erase``/``prog``/
``read`` console commands on a page (``!peek ADDR``: a command sent verbatim), default the
scratch page = last page of slot B; after a cut the device is
powered on again and booted, so the transcript shows the recovery); ``install-package``; and
every scenario of ``hil.matrix.scenarios``.

``--gdb`` mode (``replay(record, halt=True)``): the first fault of the plan is armed as a halt
instead of a cut. Supported: ``flash_op_cut``, ``symbol_cut`` and a ``brownout`` at a flash op,
in every scenario (a scenario flow ends at the halt: ``Device.halt_raises``).

* flash_op_cut: the engine's flash-op hook fires when the firmware's store to the flash
  controller's command register announces operation N. In a cut run the power drops right
  there (the op torn, the store instruction is the last one executed). In halt mode the hook
  answers CONTINUE and asks the core to stop right after that store instruction completes:
  the op is in flight (scheduled, the array not yet changed), ``engine.instructions`` equals
  the cut run's ``instructions`` of that fault, and the PC is the instruction after the store.
* symbol_cut: the core stops before the symbol's first instruction (PC = the symbol), which is
  exactly where the cut run powers off.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hil.device import Device, DeviceHalted
from hil.engine.base import Engine, StopReason
from hil.engine.registry import create_engine
from hil.faults.errors import FaultPlanError
from hil.faults.halt import Halt, HaltAt
from hil.faults.injector import FaultInjector
from hil.faults.plan import (
    Brownout,
    Fault,
    FaultPlan,
    FiredFault,
    FlashOpCut,
    PhaseCut,
    Point,
    RandomCuts,
    SymbolCut,
    parse_plan,
)
from hil.firmware import FirmwareSet, build_firmware
from hil.matrix.scenarios import SCENARIOS, Bench, ScenarioRun, fresh, install, package
from hil.platform import load_platform
from hil.platform.model import Platform
from hil.provision import FactoryImage, factory_image

SCHEMA = 1
BOOT_MS = 3000
COMMAND_MS = 1000
MAX_REBOOTS = 8
BUILTIN = ("console-flash", "install-package")


class ReplayError(FaultPlanError):
    """A record is malformed or no longer matches what it describes (file, field, expected,
    found)."""


# -- the record ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReplayRecord:
    platform: str
    engine: str
    seed: int
    scenario: str
    args: dict[str, Any] = field(default_factory=dict)
    app_build: int = 1
    defines: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # FactoryImage.provenance()
    fault_plan: dict[str, Any] | None = None
    digest: str = ""  # SHA-256 of the console transcript (evidence)
    fired: tuple[dict[str, Any], ...] = ()  # faults that fired (evidence)
    schema: int = SCHEMA
    source: str = "<record>"

    def identity(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "platform": self.platform,
            "engine": self.engine,
            "seed": self.seed,
            "firmware": {
                "app_build": self.app_build,
                "defines": dict(sorted(self.defines.items())),
            },
            "hashes": dict(sorted(self.hashes.items())),
            "scenario": {"name": self.scenario, "args": self.args},
            "fault_plan": self.fault_plan,
        }

    @property
    def case_id(self) -> str:
        canon = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()[:12]

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            **self.identity(),
            "evidence": {"digest": self.digest, "fired": list(self.fired)},
        }

    def plan(self) -> FaultPlan | None:
        if self.fault_plan is None:
            return None
        return parse_plan(self.fault_plan, f"{self.source} (fault_plan)")


def write_record(record: ReplayRecord, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(record.as_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return p


def _desc(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else f"{type(value).__name__} {value!r}"


class _Reader:
    def __init__(self, source: str, field: str, raw: object, keys: tuple[str, ...]) -> None:
        if not isinstance(raw, dict):
            raise ReplayError(source, field or "<root>", "a mapping", _desc(raw))
        extra = [k for k in raw if k not in keys]
        if extra:
            raise ReplayError(
                source,
                f"{field}.{extra[0]}" if field else str(extra[0]),
                f"only the known fields ({', '.join(keys)})",
                f"unknown field {extra[0]!r}",
            )
        self.source, self.field, self.raw = source, field, raw

    def get(self, key: str, kind: type | tuple[type, ...], expected: str) -> Any:
        path = f"{self.field}.{key}" if self.field else key
        if key not in self.raw:
            raise ReplayError(self.source, path, expected, "nothing (missing)")
        value = self.raw[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise ReplayError(self.source, path, expected, _desc(value))
        return value


def _hex_map(source: str, field: str, raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ReplayError(source, field, "a mapping of name -> SHA-256 hex", _desc(raw))
    for k, v in raw.items():
        if not isinstance(v, str) or len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
            raise ReplayError(source, f"{field}.{k}", "a SHA-256 hex digest", _desc(v))
    return dict(raw)


def load_record(path: str | Path) -> ReplayRecord:
    """Read and validate a record; errors name the file, the field, expected and found."""
    p = Path(path)
    source = str(p)
    try:
        data: object = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReplayError(source, "<file>", "a readable record file", str(exc)) from None
    except json.JSONDecodeError as exc:
        raise ReplayError(source, "<file>", "valid JSON", str(exc)) from None
    keys = ("case_id", "schema", "platform", "engine", "seed", "firmware", "hashes")
    top = _Reader(source, "", data, (*keys, "scenario", "fault_plan", "evidence"))
    schema = top.get("schema", int, f"schema version {SCHEMA}")
    if schema != SCHEMA:
        raise ReplayError(source, "schema", f"schema version {SCHEMA}", str(schema))
    top.get("case_id", str, "a case ID")
    fw = _Reader(
        source, "firmware", top.get("firmware", dict, "a mapping"), ("app_build", "defines")
    )
    defines = fw.get("defines", dict, "a mapping of build flag -> integer")
    for k, v in defines.items():
        if not isinstance(v, int) or isinstance(v, bool):
            raise ReplayError(source, f"firmware.defines.{k}", "an integer", _desc(v))
    sc = _Reader(source, "scenario", top.get("scenario", dict, "a mapping"), ("name", "args"))
    name = sc.get("name", str, "a scenario name")
    known = (*BUILTIN, *SCENARIOS)
    if name not in known:
        raise ReplayError(source, "scenario.name", f"one of {', '.join(known)}", repr(name))
    plan = top.raw.get("fault_plan")
    if "fault_plan" not in top.raw:
        raise ReplayError(source, "fault_plan", "a fault plan mapping or null", "nothing (missing)")
    if plan is not None:
        parse_plan(plan, f"{source} (fault_plan)")  # validates
    ev = _Reader(source, "evidence", top.get("evidence", dict, "a mapping"), ("digest", "fired"))
    digest = ev.get("digest", str, "a SHA-256 hex digest")
    _hex_map(source, "evidence", {"digest": digest})
    fired = ev.get("fired", list, "a list of fired faults")
    return ReplayRecord(
        platform=top.get("platform", str, "a platform name"),
        engine=top.get("engine", str, "an engine name"),
        seed=top.get("seed", int, "an integer seed"),
        scenario=name,
        args=sc.get("args", dict, "a mapping of scenario arguments"),
        app_build=fw.get("app_build", int, "an integer build number"),
        defines=dict(defines),
        hashes=_hex_map(source, "hashes", top.get("hashes", dict, "a mapping")),
        fault_plan=plan,
        digest=digest,
        fired=tuple(fired),
        schema=schema,
        source=source,
    )


# -- plans as data -----------------------------------------------------------------------------
def _point_dict(point: Point) -> dict[str, Any]:
    if isinstance(point, FlashOpCut):
        return {"flash_op": point.op, "op_kind": point.op_kind.value}
    if isinstance(point, SymbolCut):
        return {"symbol": point.symbol, "hit": point.hit}
    return {"phase": point.phase.value, "offset": point.offset, "occurrence": point.occurrence}


def fault_dict(fault: Fault) -> dict[str, Any]:
    if isinstance(fault, FlashOpCut):
        d: dict[str, Any] = {"kind": "flash_op_cut", "op": fault.op}
        d["op_kind"] = fault.op_kind.value
        if fault.tear is not None:
            d["tear"] = fault.tear.value
        return d
    if isinstance(fault, SymbolCut):
        return {"kind": "symbol_cut", "symbol": fault.symbol, "hit": fault.hit}
    if isinstance(fault, PhaseCut):
        return {"kind": "phase_cut", **_point_dict(fault)}
    if isinstance(fault, Brownout):
        d = {"kind": "brownout", "at": _point_dict(fault.at)}
        if fault.holdup_us is not None:
            d["holdup_us"] = fault.holdup_us
        if fault.supply_mv is not None:
            d["supply_mv"] = fault.supply_mv
        return d
    assert isinstance(fault, RandomCuts)
    d = {"kind": "random_cuts", "count": fault.count, "op_kind": fault.op_kind.value}
    if fault.seed is not None:
        d["seed"] = fault.seed
    return d


def plan_dict(plan: FaultPlan) -> dict[str, Any]:
    """The dict form of a plan (``parse_plan`` of it gives the same plan)."""
    d: dict[str, Any] = {"faults": [fault_dict(f) for f in plan.faults]}
    if plan.name:
        d["name"] = plan.name
    return d


# -- running a case ------------------------------------------------------------------------------
@dataclass
class CaseRun:
    record: ReplayRecord
    transcript: bytes
    fired: list[FiredFault]
    devices: list[Device]
    halt: Halt | None = None
    error: str | None = None
    recovery_mark: int | None = None  # power-cut scenarios: event index of the recovery

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.transcript).hexdigest()


def _boot(device: Device) -> StopReason:
    mark = device.mark()

    def booted() -> bool:
        return any(e.name == "BOOT" and e.src == "app" for e in device.events_since(mark))

    reason = device.run_until(booted, BOOT_MS).reason
    for _ in range(MAX_REBOOTS):  # a cut during the boot itself: power on again
        if reason is not StopReason.POWERED_OFF:
            break
        device.power_on()
        mark = device.mark()
        reason = device.run_until(booted, BOOT_MS).reason
    return reason


def _console_flash(
    device: Device, args: Mapping[str, Any], arm: Callable[[], None]
) -> StopReason | None:
    page = args.get("page")
    if page is None:
        slot_b = device.platform.layout["slot_b"]
        page = slot_b.address + slot_b.size - device.platform.flash.page_size
    commands: list[str] = list(args.get("commands", ["erase", "prog 12345678"]))
    after_boot = args.get("arm", "power_on") == "after_boot"
    if not after_boot:
        arm()
    device.power_on()
    if _boot(device) is StopReason.HALTED:
        return StopReason.HALTED
    if after_boot:  # flash-op indices count from here: the console commands' operations
        arm()
    for cmd in commands:
        verbatim = cmd.startswith("!")  # "!peek 20000000": sent as written
        verb, _, rest = cmd.lstrip("!").partition(" ")
        mark = device.mark()
        device.send_line(cmd[1:] if verbatim else f"{verb} {page:x} {rest}".rstrip())
        reply = verb.upper()

        def answered(reply: str = reply, mark: int = mark) -> bool:
            return any(e.name == reply and e.src == "app" for e in device.events_since(mark))

        reason = device.run_until(answered, COMMAND_MS).reason
        if reason is StopReason.HALTED:
            return reason
        if reason is StopReason.POWERED_OFF:  # the cut: power back on, show the recovery
            device.power_on()
            if _boot(device) is StopReason.HALTED:
                return StopReason.HALTED
    return None


def run_case(record: ReplayRecord, *, halt: bool = False, log_dir: Path | None = None) -> CaseRun:
    """Build the firmware variant, provision, run the steps with the seed and the fault plan."""
    platform = load_platform(record.platform)
    fw = build_firmware(platform, app_build=record.app_build, defines=record.defines)
    if record.hashes:
        _check_hashes(record, fw.hashes(), "firmware")
    plan = record.plan()
    devices: list[Device] = []
    injectors: list[FaultInjector] = []
    halters: list[HaltAt] = []

    def make_device(factory: FactoryImage, armed: bool = True) -> Device:
        engine = create_engine(record.engine, platform, record.seed)
        sub = None if log_dir is None else log_dir / f"device-{len(devices)}"
        dev = Device(engine, factory, log_dir=sub)
        # a scenario flow ends at the halt (console-flash checks the run's stop reason itself)
        dev.halt_raises = halt and record.scenario != "console-flash"
        if not devices and record.hashes:
            _check_hashes(record, factory.provenance(), "provisioning")
        devices.append(dev)
        if armed:
            arm(dev)
        return dev

    def arm(dev: Device) -> None:
        if plan is not None:
            if halt:
                halters.append(HaltAt(dev.engine, plan))
            else:
                injectors.append(FaultInjector(dev, plan, record.seed))

    if halt and plan is None:
        raise ReplayError(record.source, "fault_plan", "a fault plan to halt at", "null")
    error: str | None = None
    mark: int | None = None
    stopped: Halt | None = None
    try:
        if record.scenario == "console-flash":
            dev = make_device(factory_image(platform, fw), armed=False)
            if _console_flash(dev, record.args, lambda: arm(dev)) is not None:
                stopped = halters[0].stopped()
        else:
            bench = Bench(platform, fw, make_device)
            try:
                if record.scenario == "install-package":
                    run = ScenarioRun(record.scenario)
                    _install_package(bench, run, record.args)
                else:
                    run = _run_matrix(record.scenario, bench, record.args)
                error, mark = run.error, run.recovery_mark
            except DeviceHalted:
                stopped = halters[0].stopped()
    finally:
        for d in devices:
            d.close()
    transcript = b"".join(d.transcript for d in devices)
    fired = [f for inj in injectors for f in inj.fired]
    return CaseRun(record, transcript, fired, devices, stopped, error, mark)


def _install_package(b: Bench, run: ScenarioRun, spec: Mapping[str, Any]) -> None:
    dev = run.device = fresh(b)
    slot = str(spec.get("slot", "B"))
    pkg = package(
        b,
        int(spec.get("build", 2)),
        slot,
        key=str(spec.get("key", "signer")),
        variant=spec.get("variant"),
        self_test=int(spec.get("self_test", 0)),
    )
    install(b, run, dev, pkg)


def _run_matrix(name: str, bench: Bench, args: Mapping[str, Any]) -> ScenarioRun:
    from hil.matrix.scenarios import run_scenario

    return run_scenario(name, bench, **dict(args))


def _check_hashes(record: ReplayRecord, now: Mapping[str, str], what: str) -> None:
    for name, value in now.items():
        old = record.hashes.get(name)
        if old is not None and old != value:
            raise ReplayError(
                record.source,
                f"hashes.{name}",
                f"the {what} the record was made with (sha256 {old})",
                f"the rebuilt {name} with sha256 {value}",
            )


# -- the public API -------------------------------------------------------------------------------
def record_case(
    platform: Platform | str,
    scenario: str,
    *,
    args: Mapping[str, Any] | None = None,
    engine: str = "unicorn",
    seed: int = 1,
    app_build: int = 1,
    defines: Mapping[str, int] | None = None,
    plan: FaultPlan | Mapping[str, Any] | None = None,
    path: str | Path | None = None,
    log_dir: Path | None = None,
) -> ReplayRecord:
    """Run a case once and return (and, with ``path``, write) its record."""
    name = platform if isinstance(platform, str) else platform.name
    plan_data = plan_dict(plan) if isinstance(plan, FaultPlan) else plan
    draft = ReplayRecord(
        platform=name,
        engine=engine,
        seed=seed,
        scenario=scenario,
        args=dict(args or {}),
        app_build=app_build,
        defines=dict(defines or {}),
        fault_plan=None if plan_data is None else json.loads(json.dumps(plan_data)),
    )
    if scenario not in (*BUILTIN, *SCENARIOS):
        known = ", ".join((*BUILTIN, *SCENARIOS))
        raise ReplayError("<record_case>", "scenario", f"one of {known}", repr(scenario))
    draft.plan()  # validate before running
    hashes = _provenance(draft)
    draft = _with(draft, hashes=hashes)
    run = run_case(draft, log_dir=log_dir)
    done = _with(draft, digest=run.digest, fired=tuple(f.as_dict() for f in run.fired))
    if path is not None:
        write_record(done, path)
    return done


def _provenance(record: ReplayRecord) -> dict[str, str]:
    platform = load_platform(record.platform)
    fw: FirmwareSet = build_firmware(platform, app_build=record.app_build, defines=record.defines)
    return factory_image(platform, fw).provenance()


def _with(record: ReplayRecord, **changes: Any) -> ReplayRecord:
    from dataclasses import replace

    return replace(record, **changes)


@dataclass
class ReplayResult:
    case_id: str
    recorded_case_id: str | None
    expected_digest: str
    digest: str
    fired: list[FiredFault]
    halt: Halt | None = None
    engine: Engine | None = None  # the halted engine (for --gdb)

    @property
    def identical(self) -> bool:
        return self.digest == self.expected_digest


def replay(
    record: ReplayRecord,
    *,
    halt: bool = False,
    on_halt: Callable[[Engine, Halt], None] | None = None,
) -> ReplayResult:
    """Re-run the record's case; ``halt`` stops at the first fault instead (see module doc),
    then calls ``on_halt(engine, halt)`` (e.g. to serve GDB) before the devices are closed."""
    run = run_case(record, halt=halt)
    engine = run.devices[0].engine if run.devices else None
    if run.halt is not None and on_halt is not None and engine is not None:
        on_halt(engine, run.halt)
    return ReplayResult(
        record.case_id,
        None,
        record.digest,
        run.digest,
        run.fired,
        run.halt,
        engine,
    )


def recorded_case_id(path: str | Path) -> str | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    value = data.get("case_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


__all__ = [
    "CaseRun",
    "Halt",
    "ReplayError",
    "ReplayRecord",
    "ReplayResult",
    "fault_dict",
    "load_record",
    "plan_dict",
    "record_case",
    "recorded_case_id",
    "replay",
    "run_case",
    "write_record",
]
