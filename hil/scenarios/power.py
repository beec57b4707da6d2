"""Power cuts in scenarios: the flow the power-cut sweep snapshots (``power_cut_update``), the
recovery after a cut, and item 2's forced reboot during the download (``resume_after_reboot``).

A fault plan armed on a device (``with_plan``) cuts the power under the flow; the flow notices
(``PowerLost``), powers on again and ``recover``s; when the chip resets itself on a brownout it
recovers from that reset instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from hil.device import Device, DeviceState
from hil.engine.base import FlashOp, FlashOpKind
from hil.errors import DeviceTimeout, HilError, UnknownNameError
from hil.evidence import Event, Record
from hil.evidence.vocab import Ev, Field, app_confirmed, app_running, brownout_reset
from hil.faults import FaultInjector, FaultPlan, Triggers, parse_plan
from hil.image.constants import IMG_TLV_CHUNK_SIZE, IMG_TLV_PROT_MAGIC
from hil.image.parse import parse_image
from hil.provision import FactoryImage, factory_image
from hil.report.flashmap import snapshot_platform
from hil.scenarios.bench import Bench, ScenarioRun
from hil.scenarios.steps import boot, fresh, install, package, settle_boot, target
from hil.update import update_client

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


def recovery_done(rec: Record) -> bool:
    """A record that ends the recovery after a cut: RESCUE, a confirmed application boot, or
    a trial that reached CONFIRMED."""
    return isinstance(rec, Event) and (
        rec.name == Ev.RESCUE or app_running(rec) or app_confirmed(rec)
    )


def recovered(events: list[Event], mark: int) -> bool:
    """The recovery after a cut is over (``recovery_done``; device evidence from ``mark`` on)."""
    return any(recovery_done(ev) for ev in events[mark:])


def recover(
    b: Bench,
    run: ScenarioRun,
    dev: Device,
    budget_ms: int = RECOVERY_MS,
    *,
    start: tuple[int, int] | None = None,
) -> None:
    """After a cut (``start`` None): power on; after a reset the chip did itself (``start`` =
    the event index and the record index of its REBOOT_REASON): keep running. Run until
    ``recovery_done`` or the bound; the event index where the recovery starts is kept in
    ``run.recovery_mark``. A cut during the recovery itself (a fault plan's later cut, a
    depth-2 sweep point) powers on again: the recovery then starts at that power-on."""
    if start is None:
        if b.capture_flash:
            run.flash_before = snapshot_platform(b.platform, dev.engine.flash_read)
        if b.before_power_on is not None:
            b.before_power_on(dev)
        dev.power_on()
        start = (len(dev.events), dev.mark())
    first, since = start
    run.recovery_mark = first
    for _ in range(8):  # the bound; a reset the device does itself keeps it running
        try:
            dev.expect(recovery_done, budget_ms, since=since, what="the end of the recovery")
            if not powered_off(dev):
                break
            # a cut in the same run as the record that ended the recovery (a later cut of a
            # fault plan in the flash write right after it): the recovery starts again
        except DeviceTimeout:
            if not powered_off(dev):
                break
        if b.before_power_on is not None:
            b.before_power_on(dev)
        first = run.recovery_mark = len(dev.events)
        dev.power_on()
        since = dev.mark()


class _ChipReset:
    """Raises PowerLost (through the harness's wait) when the device reports a brownout reset
    the flow did not ask for; keeps where it happened (event index, record index)."""

    def __init__(self, dev: Device) -> None:
        self.dev = dev
        self.at: tuple[int, int] | None = None
        self.armed = True
        dev.subscribe(self._on_record)

    def _on_record(self, rec: Record) -> None:
        if not self.armed or not isinstance(rec, Event) or rec.name != Ev.REBOOT_REASON:
            return
        if brownout_reset(rec):
            self.armed = False
            evs, recs = self.dev.events, self.dev.records
            self.at = (_last(evs, rec), _last(recs, rec))
            raise PowerLost(f"the chip reset itself: {rec}")


def _last(items: list[Any], item: object) -> int:
    return next(i for i in range(len(items) - 1, -1, -1) if items[i] is item)


def power_cut_update(
    b: Bench, run: ScenarioRun, build: int = 2, app_size: int | None = None, **_: Any
) -> None:
    """A factory device (build 1) updated to ``build`` (with ``app_size``, ``hil sweep
    --app-size``: both images' payloads padded to that many bytes, a product with an app of
    that size) and power-cycled once more; when the
    power goes off under it (the case's fault plan), power on again and ``recover``; when the
    chip resets itself on a brownout, ``recover`` from that reset. The flow the power-cut sweep
    snapshots; ``hil replay`` runs it from the start."""
    dev = run.device = b.make_device(factory_image(b.platform, b.firmware, app_size=app_size))
    chip_reset = _ChipReset(dev)
    try:
        dev.power_on()
        settle_boot(b, dev)
        _alive(dev)
        install(b, run, dev, package(b, build, target(dev), app_size=app_size))
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


# -- fault plans on scenario devices --------------------------------------------------------------
def with_plan(b: Bench, plan: FaultPlan, seed: int, injectors: list[FaultInjector]) -> Bench:
    """``b`` whose devices get ``plan`` armed as they are made (before the factory boot)."""

    def make(fi: FactoryImage) -> Device:
        dev = b.make_device(fi)
        injectors.append(FaultInjector(dev, plan, seed))
        return dev

    return dataclasses.replace(b, make_device=make)


def note_fired(run: ScenarioRun, inj: FaultInjector) -> None:
    """The injector's proof: every armed fault fired (else FaultPlanError), kept in the notes."""
    inj.check()
    run.notes += [
        f"fault fired: {f.kind} at {f.where} (instruction {f.instructions})" for f in inj.fired
    ]


# -- item 2: forced reboot during the download, then resume --------------------------------------
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

    def listen(rec: object) -> None:
        if (
            isinstance(rec, Event)
            and rec.name == Ev.CHUNK
            and rec.get(Field.INDEX) == str(chunk - 1)
        ):
            seen.append(engine.ticks)  # virtual time, as op.instructions and engine.after

    Triggers(engine).each_flash_op(lambda hit: ops.append(hit.op))
    dev.subscribe(listen)
    update_client(dev).update(pkg, budget_ms=b.update_ms, reset=False)
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


def upload_until_cut(
    b: Bench, run: ScenarioRun, dev: Device, pkg: bytes, plan: FaultPlan, seed: int
) -> None:
    """Arm ``plan`` (after the factory boot, as its clean run was) and upload ``pkg`` until the
    power goes; the fault is proven to have fired and the power to be off (else HilError)."""
    inj = FaultInjector(dev, plan, seed)
    try:
        res = update_client(dev).update(pkg, budget_ms=b.update_ms, reset=False)
        run.notes.append(f"first upload ended before the cut: {res.upload.error or 'complete'}")
    except HilError:
        pass  # the power went off under the upload
    dev.poll()
    note_fired(run, inj)
    if not powered_off(dev):
        raise HilError(f"{plan.name}: the fault fired but the power is on")
    dev.state = DeviceState.OFF


def resume_after_reboot(
    b: Bench, run: ScenarioRun, cut: str = "mid-chunk", chunk: int = 3, seed: int = 0, **_: Any
) -> None:
    """Item 2: a fresh device (build 1) starts downloading build 2 into the inactive slot; the
    fault plan (``resume_plan``) cuts the power during the download; power on (the old build
    runs), upload the same package again (the device resumes), reset, wait for the outcome."""
    dev = run.device = fresh(b)
    pkg = package(b, 2, target(dev))
    plan = resume_plan(b, pkg, cut, chunk)  # may run a clean upload on another fresh device
    upload_until_cut(b, run, dev, pkg, plan, seed)
    ev = boot(b, dev)
    run.notes.append(f"after the power came back: {ev}")
    install(b, run, dev, pkg)


__all__ = [
    "RECOVERY_MS",
    "SETTLE_MS",
    "PowerLost",
    "chunk_end_offset",
    "mid_check_offset",
    "note_fired",
    "power_cut_update",
    "powered_off",
    "recover",
    "recovered",
    "recovery_done",
    "resume_after_reboot",
    "resume_plan",
    "upload_until_cut",
    "with_plan",
]
