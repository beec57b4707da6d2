"""The monitor's state: one target (platform, firmware, device) and what a tester does to it.

A ``Session`` is what ``hil monitor``, its ``--script`` files and the Robot library's
``Execute Command`` act on, through the one command layer (``hil.monitor.commands``). Every
action goes through the public seams: ``Device`` (power, console, evidence, ``expect``), the
update client (``hil.update``), the fault-trigger layer (``hil.faults``: a cut armed at an
operation, a phase or a symbol is a one-fault plan on a ``FaultInjector``), the engine
interface (flash snapshot/restore, supply) and the GDB server (``hil.gdb``).

Determinism: the session keeps the commands that act on the device (``recorded``); run again
in a fresh session with the same engine and seed they give the same console transcript byte
for byte (``hil.replay`` runs the ``monitor`` scenario that way). Commands that only read (help,
tail, slots, flash dump ...) are not kept; a session that handed the core to GDB, or loaded
flash contents from a file, cannot be recorded (``unrecordable`` says why).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hil.device import Device, DeviceState, ExpectTimeout
from hil.engine.base import ResetCause, StopReason
from hil.engine.registry import create_engine
from hil.errors import HilError, UnknownNameError
from hil.evidence import Event, Match, Record, compile_match
from hil.evidence.vocab import (
    Ev,
    Field,
    Outcome,
    State,
    app_boot,
    app_running,
    transition,
)
from hil.faults import FaultInjector, FiredFault, parse_plan
from hil.faults.actions import start_brownout
from hil.firmware import FirmwareSet, build_firmware
from hil.gdb import GdbServer
from hil.platform import load_platform
from hil.platform.model import Platform
from hil.profile import ProfileError, reference_chip
from hil.provision import factory_image
from hil.update import package_for, update_client

RUN_MS = 60_000  # default virtual-time bound of ``run until``
UPDATE_MS = 60_000  # virtual time one upload may take


class MonitorError(HilError):
    """A monitor command cannot be carried out as given (one line: what was expected, what
    exists)."""


@dataclass
class Target:
    """What ``load`` made: the platform, its firmware build and the device."""

    platform: Platform
    firmware: FirmwareSet
    device: Device
    build: int
    floor: int
    defines: dict[str, int]
    profile: str | None = None


@dataclass
class UploadJob:
    """An upload waiting for the next ``run``: it proceeds while the device runs."""

    package: bytes
    describe: str
    reset: bool = True


@dataclass
class Stop:
    """Why a ``run`` returned: ``reason`` and, when a condition matched, the record."""

    reason: StopReason
    record: Record | None = None
    notes: list[str] = field(default_factory=list)


class Session:
    """One monitor session (not thread-safe: the console serialises commands; only
    ``request_pause`` may come from another thread)."""

    def __init__(
        self, *, engine: str = "unicorn", seed: int = 1, log_dir: Path | None = None
    ) -> None:
        self.engine_name = engine
        self.seed = seed
        self.log_dir = log_dir
        self.target: Target | None = None
        self.devices: list[Device] = []  # every device the session made, in order
        self.injectors: list[FaultInjector] = []
        self.snapshots: dict[str, bytes] = {}
        self.job: UploadJob | None = None
        self.recorded: list[str] = []
        self.unrecordable: str | None = None
        self._pause = threading.Event()
        self._watch: Callable[[Record], bool] | None = None
        self._watch_hit: list[Record] = []
        self._stopped: list[str] = []
        self._running = False
        self._outcome_mark = 0

    # -- target ------------------------------------------------------------------------------
    def load(
        self,
        platform: str,
        *,
        build: int = 1,
        floor: int = 0,
        defines: Mapping[str, int] | None = None,
        profile: str | None = None,
    ) -> Target:
        """Build the firmware (with ``defines``), provision a factory device (``build``
        confirmed in slot A, anchor ``floor``); the device stays powered off.

        ``profile``: a target profile judged by the evidence library (the reference firmware's
        profile); its chip must be ``platform``."""
        if profile is not None:
            try:
                reference_chip(profile, platform)
            except ProfileError as exc:
                raise MonitorError(f"load: {exc}") from None
        plat = load_platform(platform)
        fw = build_firmware(plat, defines=dict(defines or {}))
        fi = factory_image(plat, fw, build=build, floor=floor)
        sub = None if self.log_dir is None else self.log_dir / f"device-{len(self.devices)}"
        dev = Device(create_engine(self.engine_name, plat, self.seed), fi, log_dir=sub)
        dev.subscribe(self._on_record)
        if self.target is not None:
            self.target.device.close()
        self.devices.append(dev)
        self.injectors = []
        self.job = None
        self.target = Target(plat, fw, dev, build, floor, dict(defines or {}), profile)
        self._outcome_mark = 0
        return self.target

    @property
    def device(self) -> Device:
        if self.target is None:
            raise MonitorError("no target loaded; load one first: load <platform>")
        return self.target.device

    def close(self) -> None:
        for dev in self.devices:
            dev.close()

    def transcript(self) -> bytes:
        """The console bytes of every device of the session, in order (the replay digest)."""
        return b"".join(d.transcript for d in self.devices)

    def digest(self) -> str:
        return hashlib.sha256(self.transcript()).hexdigest()

    # -- power ---------------------------------------------------------------------------------
    def power_on(self) -> None:
        dev = self.device
        if dev.engine.powered:
            raise MonitorError("power on: the target is already powered; power off first")
        self._outcome_mark = dev.mark()
        dev.power_on()

    def power_off(self) -> None:
        self.device.power_off()

    def reset(self, cause: ResetCause) -> None:
        dev = self.device
        self._require_power("reset")
        self._outcome_mark = dev.mark()
        dev.reset(cause)

    def brownout(self, holdup_us: int | None = None, supply_mv: int | None = None) -> str:
        """The supply drops to the reset threshold now; after the hold-up the brownout reset
        fires (``hil.faults.actions.start_brownout``, as a plan's brownout)."""
        dev = self.device
        self._require_power("brownout")
        supply = dev.platform.supply
        holdup = supply.holdup_us if holdup_us is None else holdup_us
        low = supply.reset_mv if supply_mv is None else supply_mv
        if low < supply.reset_mv or low > supply.nominal_mv:
            raise MonitorError(
                f"brownout: supply_mv must be within {supply.reset_mv}..{supply.nominal_mv} mV "
                f"(the reset fires after the hold-up); found {low}"
            )
        start_brownout(dev.engine, low, holdup)
        return f"supply at {low} mV; the brownout reset fires in {holdup} us (run to see it)"

    def _require_power(self, what: str) -> None:
        if not self.device.engine.powered:
            raise MonitorError(f"{what}: the target is powered off; power on first")

    # -- running -------------------------------------------------------------------------------
    def request_pause(self) -> None:
        """Stop the current ``run`` (from another thread or a signal handler)."""
        self._pause.set()
        if self._running and self.target is not None:
            self.target.device.engine.halt("monitor: pause")

    def stop_here(self, where: str) -> None:
        """End the current ``run`` at this instant (a ``run until op`` point calls it)."""
        self._stopped.append(where)
        self.device.engine.halt(f"monitor: {where}")

    def _on_record(self, rec: Record) -> None:
        watch = self._watch
        if watch is not None and not self._watch_hit and watch(rec):
            self._watch_hit.append(rec)
            self.device.engine.halt("monitor: condition met")

    def run(self, until: Match | None, budget_ms: int, what: str | None = None) -> Stop:
        """Run the target (driving a queued upload first) until ``until`` matches a record
        from now on, a point calls ``stop_here``, the budget of virtual time runs out, the
        power goes, or ``pause``."""
        dev = self.device
        if not dev.engine.powered:
            raise MonitorError("run: the target is powered off; power on first")
        self._pause.clear()
        self._stopped = []
        self._watch_hit = []
        matcher = None if until is None else compile_match(until, what=what)[0]
        notes: list[str] = []
        start = dev.engine.ticks
        budget_i = dev.engine.us_to_instructions(budget_ms * 1000)
        self._running = True
        try:
            if self.job is not None:
                self._watch = matcher
                try:
                    self._drive_job(budget_ms, notes)
                finally:
                    self._watch = None
                if self._watch_hit:
                    return Stop(StopReason.CONDITION, self._watch_hit[0], notes)
                stop = self._interrupted(notes)
                if stop is not None:
                    return stop
                if not dev.engine.powered:
                    dev.state = DeviceState.OFF
                    return Stop(StopReason.POWERED_OFF, None, notes)
            left = budget_i - (dev.engine.ticks - start)
            if left <= 0:
                return Stop(StopReason.BUDGET, None, notes)
            left_ms = max(1, -(-dev.engine.instructions_to_us(left) // 1000))
            found: list[Record] = []

            def cond(rec: Record) -> bool:
                if self._pause.is_set() or self._stopped:
                    return True
                if matcher is not None and matcher(rec):
                    found.append(rec)
                    return True
                return False

            try:
                dev.expect(cond, left_ms, since=dev.mark(), what=what or "the end of the run")
            except ExpectTimeout as exc:
                stop = self._interrupted(notes)
                return stop if stop is not None else Stop(exc.reason, None, notes)
            if found:
                return Stop(StopReason.CONDITION, found[0], notes)
            stop = self._interrupted(notes)
            assert stop is not None
            return stop
        finally:
            self._running = False

    def _interrupted(self, notes: list[str]) -> Stop | None:
        if self._stopped:
            return Stop(StopReason.CONDITION, None, [*notes, *self._stopped])
        if self._pause.is_set():
            return Stop(StopReason.HALTED, None, notes)
        return None

    def _drive_job(self, budget_ms: int, notes: list[str]) -> None:
        """Run the queued upload (a matching record, a stop point or a pause halts the core
        and ends the upload there)."""
        job, self.job = self.job, None
        assert job is not None
        dev = self.device
        self._outcome_mark = dev.mark()
        try:
            res = update_client(dev).update(
                job.package, budget_ms=min(budget_ms, UPDATE_MS), reset=job.reset
            )
            notes.append(
                f"upload {job.describe}: "
                + ("complete" if res.upload.complete else f"ended: {res.upload.error}")
                + (", reset sent" if res.reset_sent else "")
            )
        except HilError as exc:
            notes.append(f"upload {job.describe} interrupted ({type(exc).__name__})")

    def outcome_match(self) -> tuple[Callable[[Record], bool], list[str]]:
        """A predicate for how the update (or the recovery after a cut) ended: CONFIRMED,
        ROLLBACK (then an application boot), RESCUE, or a confirmed image running with nothing
        pending; the outcome is appended to the returned list."""
        found: list[str] = []
        rolled = [False]

        def ended(rec: Record) -> bool:
            if not isinstance(rec, Event):
                return False
            if transition(rec, State.CONFIRMED) and rec.get(Field.FROM) != State.IDLE:
                found.append(Outcome.CONFIRMED.value)
            elif rec.name == Ev.ROLLBACK:
                rolled[0] = True
            elif rec.name == Ev.RESCUE:
                found.append(Outcome.RESCUE.value)
            elif app_boot(rec) and rolled[0]:
                found.append(Outcome.ROLLBACK.value)
            elif app_running(rec):
                found.append("RUNNING (a confirmed image runs, nothing pending)")
            return bool(found)

        return ended, found

    @property
    def outcome_mark(self) -> int:
        return self._outcome_mark

    # -- faults ------------------------------------------------------------------------------
    def arm(self, fault: dict[str, object], source: str) -> str:
        """Arm one fault (a fault-plan entry, ``hil.faults.plan``) on the target now."""
        dev = self.device
        plan = parse_plan({"name": source, "faults": [fault]}, source)
        self.injectors.append(FaultInjector(dev, plan, self.seed))
        return f"armed {source}"

    def cut_now(self) -> None:
        """The supply goes away now (between two instructions)."""
        dev = self.device
        self._require_power("cut")
        self.job = None
        dev.power_off()

    def fired(self) -> list[FiredFault]:
        return [f for inj in self.injectors for f in inj.fired]

    def armed_not_fired(self) -> list[str]:
        missing: list[str] = []
        for inj in self.injectors:
            try:
                inj.check()
            except HilError as exc:
                missing.append(str(exc))
        return missing

    # -- update ---------------------------------------------------------------------------
    def upload(
        self,
        build: int,
        *,
        slot: str | None = None,
        variant: str | None = None,
        key: str = "signer",
        self_test: int = 0,
        reset: bool = True,
    ) -> str:
        """Sign a package (or a bad-package variant) and queue its upload for the next run."""
        t = self.target
        if t is None:
            raise MonitorError("no target loaded; load one first: load <platform>")
        if slot is None:
            slot = self.device.summary().target_slot
        pkg = package_for(
            t.platform, t.firmware, build, slot, key=key, variant=variant, self_test=self_test
        )
        desc = f"build {build} for slot {slot}" + (f" ({variant})" if variant else "")
        self.job = UploadJob(pkg, desc, reset)
        return f"queued upload of {desc}, {len(pkg)} bytes (it runs with the next run command)"

    # -- flash ---------------------------------------------------------------------------------
    def area(self, name: str) -> tuple[int, int]:
        """(address, size) of a layout area, or of ``flash`` (the whole array)."""
        plat = self.target.platform if self.target else None
        if plat is None:
            raise MonitorError("no target loaded; load one first: load <platform>")
        if name == "flash":
            region = plat.region(plat.flash.region)
            return region.base, region.size
        areas = plat.layout.areas
        if name not in areas:
            raise UnknownNameError("flash area", name, ["flash", *areas])
        a = areas[name]
        return a.address, a.size

    def flash_read(self, address: int, size: int) -> bytes:
        return self.device.engine.flash_read(address, size)

    def snapshot_save(self, name: str) -> None:
        self.snapshots[name] = self.device.engine.flash_snapshot()

    def snapshot_restore(self, name: str) -> None:
        if name not in self.snapshots:
            raise UnknownNameError("snapshot", name, list(self.snapshots))
        self.device.engine.flash_restore(self.snapshots[name])

    def snapshot_bytes(self, name: str) -> bytes:
        """The flash contents (cell values) a snapshot held, read back through a restore."""
        if name not in self.snapshots:
            raise UnknownNameError("snapshot", name, list(self.snapshots))
        engine = self.device.engine
        now = engine.flash_snapshot()
        base, size = self.area("flash")
        try:
            engine.flash_restore(self.snapshots[name])
            return engine.flash_read(base, size)
        finally:
            engine.flash_restore(now)

    def flash_save(self, path: Path) -> int:
        """Write the engine's restorable flash snapshot (torn/ECC state included) to a file."""
        data = self.device.engine.flash_snapshot()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            raise MonitorError(f"flash save: cannot write {path}: {exc}") from None
        return len(data)

    def flash_load(self, path: Path) -> None:
        """Restore a flash snapshot ``flash save`` wrote (the target must be powered off)."""
        dev = self.device
        if dev.engine.powered:
            raise MonitorError("flash load: power off first (the flash changes under the core)")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise MonitorError(
                f"flash load: expected a file written by flash save; {exc}"
            ) from None
        try:
            dev.engine.flash_restore(data)
        except Exception as exc:  # an opaque blob the engine could not take
            raise MonitorError(
                f"flash load: expected a flash snapshot of {dev.platform.name}; found {exc}"
            ) from None
        self.unrecordable = f"flash contents were loaded from {path}"

    # -- debugger -----------------------------------------------------------------------------
    def gdb(self, port: int, listening: Callable[[int], None]) -> str:
        """Serve one GDB client on 127.0.0.1:``port`` (0: any) until it detaches."""
        dev = self.device
        self._require_power("gdb")
        server = GdbServer(dev.engine, port)
        listening(server.port)
        self.unrecordable = "the core was handed to GDB"
        server.serve()
        return f"gdb detached; pc 0x{dev.engine.pc:08x}"


__all__ = ["RUN_MS", "MonitorError", "Session", "Stop", "Target", "UploadJob"]
