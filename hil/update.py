"""OTA updates of an emulated device, judged from the device's own evidence.

``update`` uploads a package with smpclient over the console UART (the device chooses the
inactive slot and steers the offsets), then sends the SMP reset request if the device marked
the image PENDING. ``wait_outcome`` runs the device until its evidence shows how the update
ended (CONFIRMED, ROLLBACK, RESCUE). ``summarize`` turns an event list into the device's state
as the device reported it. ``package_for`` builds the packages the CLI and the suites upload.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from hil.evidence import Event
from hil.firmware import FirmwareSet
from hil.image.builder import image_for_spec, slot_index, slot_size, spec_for_platform
from hil.image.errors import ImageBuildError
from hil.image.variants import VariantKeys, build_variant, make_context
from hil.link.smp_session import UploadOutcome
from hil.platform.model import Platform
from hil.provision import harness_keys

if TYPE_CHECKING:
    from hil.device import Device

KEY_CHOICES = ("signer", "other", "revoked", "unknown")
SELF_TEST = {"pass": 0, "fail": 1, "hang": 2}


class Outcome(StrEnum):
    CONFIRMED = "CONFIRMED"  # the new image passed its boot test and was confirmed
    REJECTED = "REJECTED"  # refused during the upload; nothing was marked pending
    ROLLBACK = "ROLLBACK"  # the boot test failed or attempts ran out; the old image runs
    RESCUE = "RESCUE"  # the bootloader entered rescue
    UNRESOLVED = "UNRESOLVED"  # the budget ran out before the evidence showed an outcome


# -- evidence helpers ----------------------------------------------------------------------------
def transitions(events: Iterable[Event], to: str | None = None) -> list[Event]:
    return [e for e in events if e.name == "SLOT_TRANSITION" and (to is None or e.get("to") == to)]


def norm(value: str | None) -> str:
    """Field values the firmware may spell with ``-`` or ``_`` compare equal."""
    return (value or "").replace("-", "_").lower()


# -- update ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UpdateResult:
    upload: UploadOutcome
    mark: int  # record index at which the update began (for ``Device.events_since``)
    events: tuple[Event, ...]  # the device's events during the upload
    reset_sent: bool

    @property
    def pending(self) -> bool:
        """The device marked the new image PENDING (its own evidence says so)."""
        return bool(transitions(self.events, "PENDING"))

    @property
    def target_slot(self) -> str | None:
        for ev in transitions(self.events):
            if ev.get("slot") is not None:
                return ev["slot"]
        return None

    @property
    def refusal(self) -> list[Event]:
        """The device's failed checks during the upload (VERIFY_SIG / PARSE_MANIFEST / CHUNK)."""
        return [
            e
            for e in self.events
            if (e.name in ("VERIFY_SIG", "PARSE_MANIFEST") and e.get("result") == "fail")
            or (e.name == "CHUNK" and e.get("result") == "bad")
            or (e.name == "SLOT_TRANSITION" and e.get("to") == "REJECTED")
        ]


def update(device: Device, package: bytes, *, budget_ms: int, reset: bool = True) -> UpdateResult:
    """Upload ``package``; send the SMP reset request once the device marked it PENDING."""
    mark = device.mark()
    session = device.smp()
    outcome = session.upload(package, budget_ms=budget_ms)
    events = device.events_since(mark)
    reset_sent = False
    if reset and outcome.complete and transitions(events, "PENDING"):
        session.reset()
        reset_sent = True
    return UpdateResult(outcome, mark, tuple(events), reset_sent)


def wait_outcome(device: Device, since: int, budget_ms: int) -> Outcome:
    """Run the device until its events after ``since`` show how the update ended.

    CONFIRMED: a SLOT_TRANSITION to CONFIRMED from the boot test. ROLLBACK: a ROLLBACK event
    followed by an application BOOT. RESCUE: the bootloader entered rescue. UNRESOLVED when
    the budget ran out first (a pending image that never resolves is itself a finding).
    """
    found: list[Outcome] = []
    cursor = [since]
    seen_rollback = [False]

    def scan() -> bool:
        records = device.stream.records
        while cursor[0] < len(records):
            rec = records[cursor[0]]
            cursor[0] += 1
            if not isinstance(rec, Event):
                continue
            if rec.name == "SLOT_TRANSITION" and rec.get("to") == "CONFIRMED":
                if rec.get("from") != "IDLE":
                    found.append(Outcome.CONFIRMED)
            elif rec.name == "ROLLBACK":
                seen_rollback[0] = True
            elif rec.name == "RESCUE":
                found.append(Outcome.RESCUE)
            elif rec.name == "BOOT" and rec.src == "app" and seen_rollback[0]:
                found.append(Outcome.ROLLBACK)
            if found:
                return True
        return False

    device.run_until(scan, budget_ms)
    return found[0] if found else Outcome.UNRESOLVED


# -- the device's state, from its evidence -------------------------------------------------------
@dataclass(frozen=True)
class DeviceSummary:
    power: str
    running_slot: str | None = None
    running_build: int | None = None
    in_rescue: bool = False
    confirmed_slot: str | None = None
    slots: dict[str, str] = field(default_factory=dict)  # last SLOT_TRANSITION to= per slot
    last_rollback: Event | None = None
    last_meta: Event | None = None
    boots: int = 0  # REBOOT_REASON events seen

    def describe(self) -> str:
        run = (
            f"running build {self.running_build} from slot {self.running_slot}"
            if self.running_slot
            else ("in rescue" if self.in_rescue else "no application running")
        )
        slots = ", ".join(f"{s}={st}" for s, st in sorted(self.slots.items())) or "(none)"
        rb = f"; last rollback: {self.last_rollback}" if self.last_rollback else ""
        return (
            f"{run}; confirmed slot: {self.confirmed_slot or '?'}; slot states: {slots}; "
            f"boots: {self.boots}{rb}"
        )


def summarize(events: Sequence[Event], *, power: str = "on") -> DeviceSummary:
    running_slot: str | None = None
    running_build: int | None = None
    in_rescue = False
    confirmed: str | None = None
    slots: dict[str, str] = {}
    rollback: Event | None = None
    meta: Event | None = None
    boots = 0
    for ev in events:
        if ev.name == "REBOOT_REASON":
            boots += 1
            running_slot, running_build, in_rescue = None, None, False
        elif ev.name == "BOOT" and ev.src == "app":
            running_slot = ev.get("slot")
            build = ev.get("build")
            running_build = int(build) if build and build.isdigit() else None
            if confirmed is None and running_slot is not None:
                confirmed = running_slot  # factory state: the only image runs confirmed
        elif ev.name == "RESCUE":
            in_rescue = True
        elif ev.name == "META":
            meta = ev
        elif ev.name == "ROLLBACK":
            rollback = ev
        elif ev.name == "SLOT_TRANSITION" and ev.get("slot") and ev.get("to"):
            slot, to = ev["slot"], ev["to"]
            slots[slot] = to
            if to == "CONFIRMED":
                confirmed = slot
                for other in slots:
                    if other != slot and slots[other] == "CONFIRMED":
                        slots[other] = "IDLE"
    return DeviceSummary(
        power, running_slot, running_build, in_rescue, confirmed, slots, rollback, meta, boots
    )


# -- packages ---------------------------------------------------------------------------
def app_binary(firmware: FirmwareSet, slot: str | int) -> Path:
    """The application binary linked for ``slot``: ``app.bin`` (A) or ``app_b.bin`` (B)."""
    if slot_index(slot) == 0:
        return firmware.app_bin
    path = firmware.app_elf.with_name("app_b.bin")
    if not path.is_file():
        raise ImageBuildError(
            f"{path}: expected the slot-B application binary (the firmware Makefile's app_b.bin, "
            "contracts §8), found no such file"
        )
    return path


def package_for(
    platform: Platform,
    firmware: FirmwareSet,
    build: int,
    slot: str | int,
    *,
    key: str = "signer",
    variant: str | None = None,
    self_test: int = 0,
    keys: VariantKeys | None = None,
) -> bytes:
    """A package for ``slot`` of ``platform``: the slot's app binary signed as ``build`` by the
    harness key ``key`` (signer, other, revoked, unknown), or the named bad-package variant
    built from that valid spec (variants need build >= 2)."""
    ks = keys or harness_keys()
    if key not in KEY_CHOICES:
        raise ImageBuildError(f"key: expected one of {', '.join(KEY_CHOICES)}, found {key!r}")
    spec = spec_for_platform(
        platform, app_binary(firmware, slot), build, getattr(ks, key), slot, self_test=self_test
    )
    if variant is None:
        return image_for_spec(platform, spec)
    ctx = make_context(spec, slot_size(platform, slot), ks)
    return build_variant(variant, ctx)
