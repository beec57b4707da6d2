"""A small power-cut driver for the mutation tests of tests/power.

``hil.replay``'s ``install-package`` scenario stops at the cut (it does not power the device
on again), so the tests drive the device themselves with the ``hil.scenarios`` steps:

* ``clean_run`` installs build 2 on a fresh device once, without faults, and records every flash
  operation announced since the device was created (index, kind, address): the op indices a
  ``flash_op_cut`` / ``brownout at flash_op`` plan counts (FaultInjector counts from arming,
  and the cut run arms it when the device is created, before power-on).
* ``cut_run`` repeats the same install on a fresh device with a fault plan armed, then, once the
  power was cut (or the brownout reset fired), powers the device on again and lets it boot; with
  ``resume`` it uploads the same package once more (the device decides whether it resumes).

The verdicts in the tests read only the device's evidence (``Event``s); the recorded op list is
only used to choose where to cut.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hil.device import Device, DeviceState
from hil.engine.base import FlashOp, FlashOpAction
from hil.engine.unicorn.symbols import read_elf
from hil.errors import DeviceTimeout, HilError
from hil.evidence import Event, Outcome
from hil.faults import FaultInjector, parse_plan
from hil.firmware import FirmwareSet
from hil.image.constants import IMG_TLV_CHUNK_SIZE, IMG_TLV_PROT_MAGIC
from hil.image.parse import parse_image
from hil.platform.model import Platform
from hil.provision import FactoryImage
from hil.scenarios import Bench, boot, package, settle_boot
from hil.update import update_client

BUILD = 2
SLOT = "B"
FAULT_MS = 5_000  # virtual time for an armed fault to fire once the upload's waits are over


# The app's flash driver entry points (one call starts one erase, or programs one or more
# units). A symbol cut at the call that starts op N is a cut right before op N, between two
# instructions (see cut_before).
APP_FLASH_CALLS = {"erase": "port_flash_erase_page", "program": "port_flash_program"}
APP_PREFIX = "app:"  # the slot-A app's symbols are added to the engine under this prefix
APP_B_PREFIX = "app_b:"  # and the slot-B app's (the trial image of the install) under this one
APP_B_SYMBOLS = ("upd_confirm", "upd_floor_bump")


@dataclass(frozen=True)
class Op:
    index: int  # counted from the device's creation (= a plan's op index)
    kind: str  # erase | program
    address: int
    supply_mv: int = 0  # the supply when the op started (harness side, not evidence)
    at: int = 0  # virtual time when it started (engine ticks: periods of the reset clock)


@dataclass(frozen=True)
class Call:
    symbol: str  # APP_PREFIX + the driver function
    hit: int  # 1-based, counted from the device's creation (= a symbol_cut's hit)
    first_op: int  # index the call's first flash op gets


@dataclass
class Run:
    """One install on a fresh device: its events, flash ops and (cut run) what came after."""

    device: Device
    ops: list[Op] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    boot_ops: int = 0  # ops of the first boot (before the install started)
    cut_mark: int | None = None  # record index where the device restarted after the fault
    fired: list[str] = field(default_factory=list)
    outcome: Outcome | None = None
    error: str | None = None

    @property
    def events(self) -> list[Event]:
        return self.device.events

    def before_cut(self) -> list[Event]:
        recs = self.device.records
        end = len(recs) if self.cut_mark is None else self.cut_mark
        return [r for r in recs[:end] if isinstance(r, Event)]

    def after_cut(self) -> list[Event]:
        return [] if self.cut_mark is None else self.device.events_since(self.cut_mark)


def area_of(platform: Platform, address: int) -> str:
    for name, a in platform.layout.areas.items():
        if a.address <= address < a.address + a.size:
            return name
    return "?"


def image_geometry(pkg: bytes) -> tuple[int, int, int]:
    """(hdr_size, T = hdr_size + img_size, chunk size) of a signed image."""
    hdr_size = struct.unpack_from("<H", pkg, 8)[0]
    img_size = struct.unpack_from("<I", pkg, 12)[0]
    tlv = parse_image(pkg).find(IMG_TLV_PROT_MAGIC, IMG_TLV_CHUNK_SIZE)
    assert tlv is not None, "the package has no CHUNK_SIZE"
    return hdr_size, hdr_size + img_size, struct.unpack("<I", tlv.value)[0]


def unit_op(run: Run, platform: Platform, slot_offset: int) -> Op:
    """The program op of the target slot's unit holding ``slot_offset`` (the last one, if it
    was programmed more than once)."""
    unit = platform.flash.program_unit
    address = platform.layout[f"slot_{SLOT.lower()}"].address + slot_offset // unit * unit
    found = [o for o in run.ops if o.kind == "program" and o.address == address]
    assert found, f"no program of 0x{address:08x} in the clean run"
    return found[-1]


def _bench(
    platform: Platform,
    fw: FirmwareSet,
    make: Callable[..., Device],
    on_device: Callable[[Device], None],
) -> Bench:
    def device(fi: FactoryImage) -> Device:
        dev = make(platform, firmware=fw, factory=fi)
        on_device(dev)
        return dev

    return Bench(platform, fw, device)


def _record_ops(dev: Device, ops: list[Op]) -> None:
    power = dev.engine.power  # type: ignore[attr-defined]  # the unicorn engine's supply

    def hook(op: FlashOp) -> FlashOpAction:
        ops.append(Op(len(ops), op.kind.value, op.address, int(power.supply_mv), dev.engine.ticks))
        return FlashOpAction.CONTINUE

    dev.engine.on_flash_op(hook)


def _app_symbols(dev: Device, fw: FirmwareSet) -> None:
    """Name a few app functions on the engine (it only knows the boot ELF): the slot-A app's
    flash driver entry points and the slot-B app's boot-test outcome calls."""
    image = read_elf(str(fw.app_elf))
    for name in APP_FLASH_CALLS.values():
        dev.engine.define_symbol(APP_PREFIX + name, image.symbols[name])
    image_b = read_elf(str(fw.app_elf.with_name("app_b.elf")))
    for name in APP_B_SYMBOLS:
        dev.engine.define_symbol(APP_B_PREFIX + name, image_b.symbols[name])


def _record_calls(dev: Device, ops: list[Op], calls: list[Call]) -> None:
    for name in APP_FLASH_CALLS.values():
        symbol = APP_PREFIX + name
        hits = [0]

        def hook(_name: str, _address: int, symbol: str = symbol, hits: list[int] = hits) -> bool:
            hits[0] += 1
            calls.append(Call(symbol, hits[0], len(ops)))
            return False

        dev.engine.on_symbol(symbol, hook)


def cut_before(clean: Run, op: Op) -> dict[str, Any]:
    """A plan that cuts the power right before ``op`` of the clean run: a symbol cut at the
    app's driver call that starts it (no operation in flight, unlike a flash_op_cut, whose
    tear hook runs inside the store/command write)."""
    symbol = APP_PREFIX + APP_FLASH_CALLS[op.kind]
    for c in clean.calls:
        if c.symbol == symbol and c.first_op == op.index:
            return {"faults": [{"kind": "symbol_cut", "symbol": symbol, "hit": c.hit}]}
    raise AssertionError(f"no app driver call starts {op}")


def _upload(b: Bench, dev: Device, pkg: bytes, run: Run) -> None:
    """Upload (and reset into the trial when PENDING); a cut ends it with a harness error."""
    try:
        res = update_client(dev).update(pkg, budget_ms=b.update_ms)
        if res.reset_sent:
            run.outcome = update_client(dev).wait_outcome(res.mark, b.outcome_ms)
        elif res.upload.error is not None:
            run.error = f"upload refused: {res.upload.error}"
    except HilError as exc:  # the device went away under the client
        run.error = f"{type(exc).__name__}: {exc}"


def clean_run(platform: Platform, fw: FirmwareSet, make: Callable[..., Device], pkg: bytes) -> Run:
    """Install ``pkg`` on a fresh device without faults; record the flash ops and the app's
    flash driver calls."""
    ops: list[Op] = []
    calls: list[Call] = []

    def arm(dev: Device) -> None:
        _app_symbols(dev, fw)
        _record_ops(dev, ops)
        _record_calls(dev, ops, calls)

    b = _bench(platform, fw, make, arm)
    dev = b.make_device(_factory(b))
    run = Run(dev, ops, calls)
    boot(b, dev)
    run.boot_ops = len(ops)
    _upload(b, dev, pkg, run)
    return run


def cut_run(
    platform: Platform,
    fw: FirmwareSet,
    make: Callable[..., Device],
    pkg: bytes,
    plan: Mapping[str, Any],
    *,
    resume: bool = False,
) -> Run:
    """The same install with ``plan`` armed from power-on; after the cut (or brownout reset)
    the device is powered on again and booted, and with ``resume`` the package is uploaded
    once more."""
    ops: list[Op] = []
    injectors: list[FaultInjector] = []
    fault_plan = parse_plan(dict(plan), "tests/power plan")

    def arm(dev: Device) -> None:
        _app_symbols(dev, fw)
        _record_ops(dev, ops)
        injectors.append(FaultInjector(dev, fault_plan))

    b = _bench(platform, fw, make, arm)
    dev = b.make_device(_factory(b))
    run = Run(dev, ops)
    boot(b, dev)
    run.boot_ops = len(ops)
    _upload(b, dev, pkg, run)
    inj = injectors[0]
    if not inj.fired and dev.state is not DeviceState.OFF:
        # the upload's wait ended first (e.g. at CONFIRMED): let the device run into the fault
        with contextlib.suppress(DeviceTimeout):  # a cut stops the run (powered off)
            dev.expect(lambda _rec: bool(inj.fired), FAULT_MS, since=dev.mark(), what="the fault")
    if dev.state is DeviceState.OFF or not dev.engine.powered:
        # the cut: power back on, show the recovery
        run.cut_mark = dev.mark()
        dev.power_on()
        dev.run_for(0)  # a symbol cut leaves its halt pending: the first run only reports it
        settle_boot(b, dev)
    else:  # a brownout: the monitor's reset restarts the chip after the hold-up
        at = _brownout_reset(dev)
        if at is None or not _booted_since(dev, at):
            settle_boot(b, dev)  # run on until the chip restarted and booted again
            at = _brownout_reset(dev)
        if at is None:
            raise AssertionError(f"no brownout reset after the fault:\n{dev.tail()}")
        run.cut_mark = at
    run.fired = [f"{f.kind}: {f.where}" for f in inj.fired]
    inj.check()
    if resume:
        _upload(b, dev, pkg, run)
    return run


def _brownout_reset(dev: Device) -> int | None:
    """Record index of the bootloader's REBOOT_REASON cause=brownout, if there is one."""
    for i, rec in enumerate(dev.records):
        if isinstance(rec, Event) and (rec.name, rec.src, rec.get("cause")) == (
            "REBOOT_REASON",
            "boot",
            "brownout",
        ):
            return i
    return None


def _booted_since(dev: Device, mark: int) -> bool:
    return any(
        (e.name == "BOOT" and e.src == "app") or e.name == "RESCUE" for e in dev.events_since(mark)
    )


def _factory(b: Bench) -> FactoryImage:
    from hil.provision import factory_image

    return factory_image(b.platform, b.firmware)


def install_package(b: Bench) -> bytes:
    return package(b, BUILD, SLOT)


def names(events: list[Event], event: str, /, **fields: str) -> list[Event]:
    return [e for e in events if e.name == event and all(e.get(k) == v for k, v in fields.items())]


def describe(events: list[Event]) -> str:
    return "\n".join(str(e) for e in events)


__all__ = [
    "APP_B_PREFIX",
    "BUILD",
    "SLOT",
    "Call",
    "Op",
    "Run",
    "area_of",
    "clean_run",
    "cut_before",
    "cut_run",
    "describe",
    "image_geometry",
    "install_package",
    "names",
    "unit_op",
]
