"""The scenarios of the matrix: what the harness does to a device. Judging is elsewhere
(``hil.matrix.predicates``) and reads only the evidence the device emitted.

A scenario builds its factory image, creates the device through ``Bench.make_device``, drives
it (uploads with smpclient, resets, straps) and returns. A harness-side failure (a timeout,
an SMP error the scenario did not expect) ends the scenario early and is kept in
``ScenarioRun.error``: a mutated firmware may well stop answering, and the predicate then
judges whatever evidence there is.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hil.device import Device, DeviceState
from hil.engine.base import FlashOp, FlashOpAction, FlashOpKind, ResetCause
from hil.errors import HilError, UnknownNameError
from hil.evidence import Event
from hil.faults import FaultInjector, FaultPlan, parse_plan
from hil.firmware import FirmwareSet
from hil.image.constants import IMG_TLV_CHUNK_SIZE, IMG_TLV_PROT_MAGIC
from hil.image.parse import parse_image
from hil.matrix.classify import EXPECTED_PARTS
from hil.platform.model import Platform
from hil.provision import FactoryImage, factory_image
from hil.report.flashmap import AreaSnapshot, snapshot_platform
from hil.update import Outcome, UpdateResult, package_for

MakeDevice = Callable[[FactoryImage], Device]


@dataclass(frozen=True)
class Bench:
    """What scenarios need: the platform, a firmware build and a way to make devices."""

    platform: Platform
    firmware: FirmwareSet
    make_device: MakeDevice
    boot_ms: int = 5_000  # virtual time for a boot to reach the application (or rescue)
    update_ms: int = 60_000  # virtual time for one whole upload
    outcome_ms: int = 90_000  # virtual time for a trial boot to resolve (attempts x watchdog)
    capture_flash: bool = False  # keep a flash map of the areas when the power comes back


@dataclass
class ScenarioRun:
    name: str
    device: Device | None = None
    error: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recovery_mark: int | None = None  # index in ``events`` where the power came back after a cut
    flash_before: list[AreaSnapshot] | None = None  # the areas as the cut left them
    # a scenario made of parts on fresh devices (``classify``): each part's events, in order
    parts: dict[str, list[Event]] = field(default_factory=dict)

    @property
    def events(self) -> list[Event]:
        """The device's events; for a scenario with parts, every part's events in order."""
        if self.parts:
            return [ev for evs in self.parts.values() for ev in evs]
        return self.device.events if self.device is not None else []


# -- steps -------------------------------------------------------------------------------------
def other_slot(slot: str | None) -> str:
    return "B" if slot in (None, "A") else "A"


def settle_boot(b: Bench, dev: Device) -> Event:
    """Run until the application BOOTs or the bootloader enters RESCUE; return that event."""
    found: list[Event] = []
    cursor = [dev.mark()]

    def scan() -> bool:
        recs = dev.stream.records
        while cursor[0] < len(recs):
            rec = recs[cursor[0]]
            cursor[0] += 1
            if isinstance(rec, Event) and (
                (rec.name == "BOOT" and rec.src == "app") or rec.name == "RESCUE"
            ):
                found.append(rec)
                return True
        return False

    dev.run_until(scan, b.boot_ms)
    if not found:
        raise HilError(f"no application BOOT and no RESCUE within {b.boot_ms} ms:\n{dev.tail()}")
    return found[0]


def boot(b: Bench, dev: Device) -> Event:
    dev.power_on()
    return settle_boot(b, dev)


def fresh(b: Bench, build: int = 1, floor: int = 0) -> Device:
    """A factory-programmed device (``build`` confirmed in slot A, anchor ``floor``), booted."""
    dev = b.make_device(factory_image(b.platform, b.firmware, build=build, floor=floor))
    boot(b, dev)
    return dev


def target(dev: Device) -> str:
    """The slot the next package must be signed for: the one the device is not running."""
    s = dev.summary()
    return other_slot(s.running_slot or s.confirmed_slot)


def package(b: Bench, build: int, slot: str, **kw: Any) -> bytes:
    return package_for(b.platform, b.firmware, build, slot, **kw)


def install(b: Bench, run: ScenarioRun, dev: Device, pkg: bytes) -> UpdateResult:
    """Upload; if the device marked it PENDING, reset and wait for the outcome."""
    res = dev.update(pkg, budget_ms=b.update_ms)
    if res.reset_sent:
        run.outcomes.append(dev.wait_outcome(res.mark, b.outcome_ms))
    else:
        run.outcomes.append(Outcome.REJECTED)
        if res.upload.error is not None:
            run.notes.append(f"upload refused: {res.upload.error}")
    return res


def enter_rescue(b: Bench, dev: Device, how: str) -> Event:
    """Request rescue by the strap pin or by the ``rescue`` console line after a reset."""
    if how == "strap":
        dev.set_pin("rescue", 1)
        dev.reset(ResetCause.PIN)
        ev = settle_boot(b, dev)
        dev.set_pin("rescue", 0)
    else:
        dev.reset(ResetCause.PIN)
        dev.send_line("rescue")  # queued before the bootloader runs: inside its 20 ms window
        ev = settle_boot(b, dev)
    if ev.name != "RESCUE":
        raise HilError(f"rescue by {how}: expected RESCUE, found {ev}")
    return ev


def reboot(b: Bench, dev: Device) -> Event:
    dev.reset(ResetCause.PIN)
    return settle_boot(b, dev)


# -- scenarios -----------------------------------------------------------------------------------
def normal_update(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev)))
    dev.power_cycle()
    settle_boot(b, dev)


def two_releases(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b)
    for build in (2, 3):
        install(b, run, dev, package(b, build, target(dev)))
    dev.power_cycle()
    settle_boot(b, dev)


def self_test_fail(b: Bench, run: ScenarioRun, self_test: int = 1, **_: Any) -> None:
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev), self_test=self_test))


def never_confirms(b: Bench, run: ScenarioRun, **_: Any) -> None:
    self_test_fail(b, run, self_test=2)


def _rescue(b: Bench, run: ScenarioRun, how: str) -> None:
    # build 2 confirmed with the anchor floor at 2: build 1 is below the floor
    dev = run.device = fresh(b, build=2, floor=2)
    enter_rescue(b, dev, how)
    slot = "B"  # slot A holds the confirmed image
    install(b, run, dev, package(b, 3, slot, variant="forged-signature-same-id"))
    install(b, run, dev, package(b, 1, slot))
    install(b, run, dev, package(b, 3, slot))


def rescue_strap(b: Bench, run: ScenarioRun, **_: Any) -> None:
    _rescue(b, run, "strap")


def rescue_uart(b: Bench, run: ScenarioRun, **_: Any) -> None:
    _rescue(b, run, "uart")


def bad_package(b: Bench, run: ScenarioRun, variant: str = "forged-signature", **_: Any) -> None:
    """Upload a bad-package variant (build 2, for the inactive slot), then reset."""
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev), variant=variant))
    if run.outcomes[-1] is Outcome.REJECTED:
        reboot(b, dev)


def replay(b: Bench, run: ScenarioRun, build: int = 2, **_: Any) -> None:
    """Build 3 runs (floor 0); a validly signed older (or equal) build is offered."""
    dev = run.device = fresh(b, build=3)
    install(b, run, dev, package(b, build, target(dev)))


def below_floor_install(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b, build=3, floor=3)
    install(b, run, dev, package(b, 2, target(dev)))


def below_floor_boot(b: Bench, run: ScenarioRun, **_: Any) -> None:
    """Slot A holds build 1, validly signed, but the trust anchor's floor is 2."""
    run.device = b.make_device(factory_image(b.platform, b.firmware, build=1, floor=2))
    boot(b, run.device)


def revoked_key(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b)
    slot = target(dev)
    install(b, run, dev, package(b, 2, slot, key="revoked"))
    enter_rescue(b, dev, "strap")
    install(b, run, dev, package(b, 2, slot, key="revoked"))
    reboot(b, dev)


# -- power cuts -----------------------------------------------------------------------------------
RECOVERY_MS = 60_000  # virtual-time bound for the recovery after a cut (attempts x watchdog)
SETTLE_MS = 20  # virtual time the flow lets pass before its own final power cycle


class PowerLost(HilError):
    """The power went off under the scenario (a fault plan's cut); the scenario recovers."""


def powered_off(dev: Device) -> bool:
    """The power is off (the device's view, or the engine's when a cut fired between runs)."""
    return dev.state is DeviceState.OFF or not dev.engine.powered


def _alive(dev: Device) -> None:
    dev.poll()
    if powered_off(dev):
        raise PowerLost("the power went off")


def recovered(events: list[Event], mark: int) -> bool:
    """The recovery after a cut is over: RESCUE, a confirmed application boot, or a trial that
    reached CONFIRMED (device evidence from ``mark`` on)."""
    for ev in events[mark:]:
        if ev.name == "RESCUE":
            return True
        if ev.src == "app" and ev.name == "BOOT" and ev.get("state") == "running":
            return True
        if ev.src == "app" and ev.name == "SLOT_TRANSITION" and ev.get("to") == "CONFIRMED":
            return True
    return False


def recover(
    b: Bench,
    run: ScenarioRun,
    dev: Device,
    budget_ms: int = RECOVERY_MS,
    *,
    start: int | None = None,
) -> None:
    """After a cut (``start`` None): power on; after a reset the chip did itself (``start`` =
    the index of its REBOOT_REASON): keep running. Run until ``recovered`` or the bound; the
    event index where the recovery starts is kept in ``run.recovery_mark``."""
    if start is None:
        if b.capture_flash:
            run.flash_before = snapshot_platform(b.platform, dev.engine.flash_read)
        dev.power_on()
        start = len(dev.events)
    run.recovery_mark = start
    first = start
    cursor = [start]

    def done() -> bool:
        evs = dev.events
        if len(evs) == cursor[0]:
            return False
        cursor[0] = len(evs)
        return recovered(evs, first)

    for _ in range(8):  # the bound; a reset the device does itself keeps it running
        if recovered(dev.events, first):
            break
        dev.run_until(done, budget_ms)
        if recovered(dev.events, first) or not powered_off(dev):
            break
        dev.power_on()


class _ChipReset:
    """Raises PowerLost (through the harness's wait) when the device reports a brownout reset
    the flow did not ask for; keeps where it happened."""

    def __init__(self, dev: Device) -> None:
        self.dev = dev
        self.at: int | None = None
        self.armed = True
        dev.subscribe(self._on_record)

    def _on_record(self, rec: object) -> None:
        if not self.armed or not isinstance(rec, Event) or rec.name != "REBOOT_REASON":
            return
        if rec.get("brownout_flag") == "1" or rec.get("cause") == "brownout":
            self.armed = False
            evs = self.dev.events
            self.at = next(i for i in range(len(evs) - 1, -1, -1) if evs[i] is rec)
            raise PowerLost(f"the chip reset itself: {rec}")


def power_cut_update(b: Bench, run: ScenarioRun, build: int = 2, **_: Any) -> None:
    """A factory device (build 1) updated to ``build`` and power-cycled once more; when the
    power goes off under it (the case's fault plan), power on again and ``recover``; when the
    chip resets itself on a brownout, ``recover`` from that reset. The flow the power-cut sweep
    snapshots; ``hil replay`` runs it from the start."""
    dev = run.device = b.make_device(factory_image(b.platform, b.firmware))
    chip_reset = _ChipReset(dev)
    try:
        dev.power_on()
        settle_boot(b, dev)
        _alive(dev)
        install(b, run, dev, package(b, build, target(dev)))
        _alive(dev)
        dev.run_for(SETTLE_MS)  # a brownout in flight ends in its reset, not in our power cycle
        _alive(dev)
        dev.power_cycle()
        settle_boot(b, dev)
        _alive(dev)
    except HilError:
        chip_reset.armed = False
        with contextlib.suppress(HilError):
            dev.poll()
        if chip_reset.at is not None and not powered_off(dev):
            recover(b, run, dev, start=chip_reset.at)
            return
        if not powered_off(dev):
            raise
        dev.state = DeviceState.OFF
        recover(b, run, dev)


# -- item 2: forced reboot during the download, then resume --------------------------------------
def _with_plan(b: Bench, plan: FaultPlan, seed: int, injectors: list[FaultInjector]) -> Bench:
    """``b`` whose devices get ``plan`` armed as they are made (before the factory boot)."""

    def make(fi: FactoryImage) -> Device:
        dev = b.make_device(fi)
        injectors.append(FaultInjector(dev, plan, seed))
        return dev

    return dataclasses.replace(b, make_device=make)


def _fired(run: ScenarioRun, inj: FaultInjector) -> None:
    """The injector's proof: every armed fault fired (else FaultPlanError), kept in the notes."""
    inj.check()
    run.notes += [
        f"fault fired: {f.kind} at {f.where} (instruction {f.instructions})" for f in inj.fired
    ]


def chunk_end_offset(pkg: bytes, chunk: int) -> int:
    """Slot offset of the last byte of chunk-map chunk ``chunk`` of ``pkg`` (harness side:
    where to aim a cut, never used to judge)."""
    img = parse_image(pkg)
    size = img.find(IMG_TLV_PROT_MAGIC, IMG_TLV_CHUNK_SIZE)
    if img.header is None or size is None:
        raise HilError(f"package without a header or CHUNK_SIZE: {img.detail}")
    cs = int.from_bytes(size.value[:4], "little")
    hdr = img.header
    count = -(-hdr.img_size // cs)
    if not 0 <= chunk < count:
        raise HilError(f"chunk {chunk} outside the package's {count} chunks")
    return hdr.hdr_size + min((chunk + 1) * cs, hdr.img_size) - 1


def mid_check_offset(b: Bench, pkg: bytes, chunk: int) -> int:
    """On a clean run (a fresh device of ``b`` uploading ``pkg``, observed after its factory
    boot as an injector armed there observes it): the instructions from the decode of
    ``CHUNK index=<chunk-1>`` to the middle of chunk ``chunk``'s check, i.e. halfway between
    the program operation of its last byte and the next flash operation (the device is hashing
    the chunk: all its bytes are in flash, nothing is verified or committed, no flash operation
    is in flight)."""
    if chunk < 1:
        raise HilError(f"a mid-chunk cut needs a chunk before it; chunk {chunk}")
    dev = fresh(b)
    engine = dev.engine
    want = b.platform.layout[f"slot_{target(dev).lower()}"].address + chunk_end_offset(pkg, chunk)
    ops: list[FlashOp] = []
    seen: list[int] = []

    def hook(op: FlashOp) -> FlashOpAction:
        ops.append(op)
        return FlashOpAction.CONTINUE

    def listen(rec: object) -> None:
        if isinstance(rec, Event) and rec.name == "CHUNK" and rec.get("index") == str(chunk - 1):
            seen.append(engine.instructions)

    engine.on_flash_op(hook)
    dev.subscribe(listen)
    dev.update(pkg, budget_ms=b.update_ms, reset=False)
    for n, op in enumerate(ops[:-1]):
        if op.kind is FlashOpKind.PROGRAM and op.address <= want < op.address + op.size:
            if not seen or seen[0] >= op.instructions:
                break
            return (op.instructions + ops[n + 1].instructions) // 2 - seen[0]
    raise HilError(f"the clean upload shows no CHUNK {chunk - 1} before programming 0x{want:08x}")


def resume_plan(b: Bench, pkg: bytes, cut: str, chunk: int) -> FaultPlan:
    """The fault that forces the reboot during the download.

    ``mid-chunk``: the power goes while the device checks chunk ``chunk`` (all its bytes
    programmed, its hash not yet compared, its progress not committed): phase
    ``between_chunks`` at ``CHUNK index=<chunk-1>`` plus the offset a clean run of the same
    firmware gives (``mid_check_offset``). Not inside a flash operation on purpose (see the
    report on STM32U585 cuts inside an operation).
    ``chunk-boundary``: the power goes as the device reports ``CHUNK index=<chunk>`` (offset 0),
    i.e. at that chunk's progress commit.
    """
    fault: dict[str, object]
    if cut == "mid-chunk":
        offset = mid_check_offset(b, pkg, chunk)
        fault = {
            "kind": "phase_cut",
            "phase": "between_chunks",
            "occurrence": chunk,
            "offset": offset,
        }
    elif cut == "chunk-boundary":
        fault = {"kind": "phase_cut", "phase": "between_chunks", "occurrence": chunk + 1}
    else:
        raise UnknownNameError("resume cut", cut, ["mid-chunk", "chunk-boundary"])
    return parse_plan({"name": f"resume-{cut}-{chunk}", "faults": [fault]}, f"resume-{cut}")


def resume_after_reboot(
    b: Bench, run: ScenarioRun, cut: str = "mid-chunk", chunk: int = 3, seed: int = 0, **_: Any
) -> None:
    """Item 2: a fresh device (build 1) starts downloading build 2 into the inactive slot; the
    fault plan (``resume_plan``) cuts the power during the download; power on (the old build
    runs), upload the same package again (the device resumes), reset, wait for the outcome."""
    dev = run.device = fresh(b)
    pkg = package(b, 2, target(dev))
    plan = resume_plan(b, pkg, cut, chunk)  # may run a clean upload on another fresh device
    inj = FaultInjector(dev, plan, seed)  # armed after the factory boot, as the clean run
    try:
        res = dev.update(pkg, budget_ms=b.update_ms, reset=False)
        run.notes.append(f"first upload ended before the cut: {res.upload.error or 'complete'}")
    except HilError:
        pass  # the power went off under the upload
    dev.poll()
    _fired(run, inj)
    if not powered_off(dev):
        raise HilError(f"{plan.name}: the fault fired but the power is on")
    dev.state = DeviceState.OFF
    ev = boot(b, dev)
    run.notes.append(f"after the power came back: {ev}")
    install(b, run, dev, pkg)


# -- item 15: failures of every kind, classified ----------------------------------------------
def _part_rescue(b: Bench, run: ScenarioRun) -> None:
    dev = run.device = fresh(b)
    enter_rescue(b, dev, "strap")
    reboot(b, dev)


def _part_power_cut(b: Bench, run: ScenarioRun) -> None:
    """A power cut as the device reports STAGING (power_cut_update, plan armed in make_device)."""
    plan = parse_plan({"faults": [{"kind": "phase_cut", "phase": "staging"}]}, "cut-staging")
    injectors: list[FaultInjector] = []
    power_cut_update(_with_plan(b, plan, 0, injectors), run)
    _fired(run, injectors[0])


def _part_brownout(b: Bench, run: ScenarioRun) -> None:
    """A brownout as the device starts the metadata commit that sets PENDING (``PHASE
    name=meta_commit``): the supply sits at the monitor threshold for the platform's hold-up
    time, then the brownout reset. The device is left alone (no power cycle that would drop
    the pending reset) until it is back after the brownout reset (application or rescue)."""
    plan = parse_plan(
        {"faults": [{"kind": "brownout", "at": {"phase": "metadata_commit"}}]}, "brownout-meta"
    )
    dev = run.device = fresh(b)
    inj = FaultInjector(dev, plan)
    start = len(dev.events)
    try:
        install(b, run, dev, package(b, 2, target(dev)))
    except HilError as exc:  # the reset may come in the middle of an SMP exchange
        run.notes.append(f"upload under the brownout: {type(exc).__name__}")

    def back() -> bool:
        evs = dev.events[start:]
        for i, e in enumerate(evs):
            if e.name == "REBOOT_REASON" and (
                e.get("cause") == "brownout" or e.get("brownout_flag") == "1"
            ):
                return any(
                    (x.name == "BOOT" and x.src == "app") or x.name == "RESCUE"
                    for x in evs[i + 1 :]
                )
        return False

    dev.run_until(back, RECOVERY_MS)
    _fired(run, inj)
    if not back():
        raise HilError(f"no brownout reset and recovery within {RECOVERY_MS} ms:\n{dev.tail()}")


CLASSIFY_PARTS: dict[str, Callable[[Bench, ScenarioRun], None]] = {
    "forged-signature": lambda b, r: bad_package(b, r, variant="forged-signature"),
    "tampered-manifest": lambda b, r: bad_package(b, r, variant="chunk-map"),
    "replay": lambda b, r: replay(b, r, build=2),
    "self-test-fail": lambda b, r: self_test_fail(b, r),
    "never-confirms": lambda b, r: never_confirms(b, r),
    "rescue-strap": _part_rescue,
    "power-cut-staging": _part_power_cut,
    "brownout-meta": _part_brownout,
}
assert set(CLASSIFY_PARTS) == set(EXPECTED_PARTS)


def classify_failures(b: Bench, run: ScenarioRun, parts: str | None = None, **_: Any) -> None:
    """Item 15: each part (``CLASSIFY_PARTS``; ``parts`` = comma-separated subset) on a fresh
    device of ``b``; its events go to ``run.parts[name]``. A part that stops early keeps the
    evidence it has; the scenario then fails naming it."""
    names = list(CLASSIFY_PARTS) if parts is None else [n.strip() for n in parts.split(",")]
    stopped: list[str] = []
    for name in names:
        if name not in CLASSIFY_PARTS:
            raise UnknownNameError("classify part", name, list(CLASSIFY_PARTS))
        sub = ScenarioRun(name)
        try:
            CLASSIFY_PARTS[name](b, sub)
        except HilError as exc:
            sub.error = f"{type(exc).__name__}: {exc}"
            stopped.append(f"{name}: {sub.error}")
        run.parts[name] = sub.events
        run.device = run.device or sub.device
        run.outcomes += sub.outcomes
        run.notes += [f"{name}: {n}" for n in sub.notes]
    if stopped:
        raise HilError("part(s) stopped early: " + "; ".join(stopped))


SCENARIOS: dict[str, Callable[..., None]] = {
    "normal-update": normal_update,
    "two-releases": two_releases,
    "self-test-fail": self_test_fail,
    "never-confirms": never_confirms,
    "rescue-strap": rescue_strap,
    "rescue-uart": rescue_uart,
    "forged-signature": bad_package,
    "tampered-manifest": bad_package,
    "replay": replay,
    "below-floor-install": below_floor_install,
    "below-floor-boot": below_floor_boot,
    "revoked-key": revoked_key,
    "power-cut-update": power_cut_update,
    "resume-after-reboot": resume_after_reboot,
    "classify": classify_failures,
}


def run_scenario(name: str, bench: Bench, **params: Any) -> ScenarioRun:
    """Run scenario ``name``; a harness-side failure is kept in ``error``, never raised."""
    if name not in SCENARIOS:
        raise UnknownNameError("scenario", name, list(SCENARIOS))
    run = ScenarioRun(name)
    try:
        SCENARIOS[name](bench, run, **params)
    except HilError as exc:
        run.error = f"{type(exc).__name__}: {exc}"
    return run
