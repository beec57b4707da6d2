"""``hil replay``: run a recorded case (``hil.record``) again, byte for byte, or halted at its
first fault for a debugger.

Scenarios: ``console-flash`` (args ``commands``, ``page``, ``arm``: ``power_on`` (default;
flash-op indices count the bootloader's operations too) or ``after_boot`` (like tests/faults:
op 0 is the first console command's operation); boot to the app, send ``erase``/``prog``/
``read`` console commands on a page (``!peek ADDR``: a command sent verbatim), default the
scratch page = last page of slot B; after a cut the device is powered on again and booted, so
the transcript shows the recovery); ``install-package``; and every scenario of
``hil.scenarios``; ``monitor`` (args ``commands``: a ``hil monitor`` session's commands, run
again in a fresh monitor session with the record's engine and seed, ``hil.monitor.record``).

``--gdb`` mode (``replay(record, halt=True)``): the plan's last fault is armed as a halt
instead of a cut (the earlier ones cut as recorded: a sweep point's cut path stops at its last
cut) (``hil.faults.HaltAt``: ``flash_op_cut``, ``symbol_cut`` and a ``brownout`` at
a flash op), in every scenario (a scenario flow ends at the halt: ``Device.halt_raises``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hil.device import Device, DeviceHalted, ExpectTimeout
from hil.engine.base import Engine, StopReason
from hil.engine.registry import create_engine
from hil.evidence import Event, Match, on_events
from hil.evidence.vocab import Src, app_boot
from hil.faults import FaultInjector, FaultPlan, FiredFault, Halt, HaltAt, plan_dict
from hil.firmware import FirmwareSet, build_firmware
from hil.monitor.record import run_commands
from hil.platform import load_platform
from hil.platform.model import Platform
from hil.provision import FactoryImage, factory_image
from hil.record import ReplayError, ReplayRecord, known_scenarios, write_record
from hil.scenarios import Bench, ScenarioRun, fresh, install, package, run_scenario

BOOT_MS = 3000
COMMAND_MS = 1000
MAX_REBOOTS = 8


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


def _until(device: Device, match: Match, budget_ms: int, what: str) -> StopReason:
    """Run until ``match`` from now on; why the run stopped (CONDITION when it matched)."""
    try:
        device.expect(match, budget_ms, since=device.mark(), what=what)
    except ExpectTimeout as exc:
        return exc.reason
    return StopReason.CONDITION


def _boot(device: Device) -> StopReason:
    booted = on_events(app_boot)
    reason = _until(device, booted, BOOT_MS, "the application BOOT")
    for _ in range(MAX_REBOOTS):  # a cut during the boot itself: power on again
        if reason is not StopReason.POWERED_OFF:
            break
        device.power_on()
        reason = _until(device, booted, BOOT_MS, "the application BOOT")
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
        reply = verb.upper()

        def answered(e: Event, reply: str = reply) -> bool:
            return e.name == reply and e.src == Src.APP

        mark = device.mark()
        device.send_line(cmd[1:] if verbatim else f"{verb} {page:x} {rest}".rstrip())
        try:
            device.expect(on_events(answered), COMMAND_MS, since=mark, what=f"the {reply} reply")
            reason = StopReason.CONDITION
        except ExpectTimeout as exc:
            reason = exc.reason
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
            if halt:  # a cut path (hil sweep --depth): the earlier cuts cut, the last halts
                *cuts, last = plan.faults
                # armed first: the engine calls no later hook for an operation that is cut
                halters.append(HaltAt(dev.engine, replace(plan, faults=(last,))))
                if cuts:
                    earlier = replace(plan, faults=tuple(cuts))
                    injectors.append(FaultInjector(dev, earlier, record.seed))
            else:
                injectors.append(FaultInjector(dev, plan, record.seed))

    if halt and plan is None:
        raise ReplayError(record.source, "fault_plan", "a fault plan to halt at", "null")
    if record.scenario == "monitor":
        return _monitor(record, log_dir)
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
                    run = run_scenario(record.scenario, bench, **dict(record.args))
                error, mark = run.error, run.recovery_mark
            except DeviceHalted:
                stopped = halters[0].stopped()
    finally:
        for d in devices:
            d.close()
    transcript = b"".join(d.transcript for d in devices)
    fired = [f for inj in injectors for f in inj.fired]
    return CaseRun(record, transcript, fired, devices, stopped, error, mark)


def _monitor(record: ReplayRecord, log_dir: Path | None) -> CaseRun:
    commands = record.args.get("commands")
    if not isinstance(commands, list) or not all(isinstance(c, str) for c in commands):
        raise ReplayError(
            record.source, "scenario.args.commands", "a list of monitor commands", repr(commands)
        )
    session, error = run_commands(commands, engine=record.engine, seed=record.seed, log_dir=log_dir)
    session.close()
    return CaseRun(record, session.transcript(), session.fired(), session.devices, None, error)


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
    if scenario not in known_scenarios():
        known = ", ".join(known_scenarios())
        raise ReplayError("<record_case>", "scenario", f"one of {known}", repr(scenario))
    draft.plan()  # validate before running
    draft = replace(draft, hashes=_provenance(draft))
    run = run_case(draft, log_dir=log_dir)
    done = replace(draft, digest=run.digest, fired=tuple(run.fired))
    if path is not None:
        write_record(done, path)
    return done


def _provenance(record: ReplayRecord) -> dict[str, str]:
    platform = load_platform(record.platform)
    fw: FirmwareSet = build_firmware(platform, app_build=record.app_build, defines=record.defines)
    return factory_image(platform, fw).provenance()


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


__all__ = ["CaseRun", "ReplayResult", "record_case", "replay", "run_case"]
