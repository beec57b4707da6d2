"""The update client: OTA over SMP on a device, judged from the device's own evidence.

``update_client(device)`` is the device's one client (one SMP session for the device's life,
so its requests are numbered in order). ``update`` makes the requests a stock MCUmgr client
makes of MCUboot's img_mgmt: it uploads a package with smpclient over the console UART (the
device chooses the inactive slot and steers the offsets; an upload never marks an image),
marks the image for test (image state write, ``confirm=false``, the image's hash), then sends
the SMP reset request if the device marked the image PENDING. ``wait_outcome`` runs the device
until its evidence shows how the update ended (CONFIRMED, ROLLBACK, RESCUE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from hil.device import Device
from hil.errors import DeviceTimeout
from hil.evidence import Event, Outcome, Record
from hil.evidence.vocab import Ev, Field, State, app_boot, failed, transition
from hil.image.constants import IMG_TLV_INFO_MAGIC, IMG_TLV_SHA256
from hil.image.parse import parse_image
from hil.link.smp_session import SmpError, SmpSession, UploadOutcome

if TYPE_CHECKING:
    from smp.image_management import ImageState


@dataclass(frozen=True)
class UpdateResult:
    upload: UploadOutcome
    mark: int  # record index at which the update began (for ``Device.events_since``)
    events: tuple[Event, ...]  # the device's events during the upload and the test marking
    reset_sent: bool
    marked: bool = False  # the test request (state write) was sent
    mark_error: SmpError | None = None  # the device refused to mark the image for test

    @property
    def pending(self) -> bool:
        """The device marked the new image PENDING (its own evidence says so)."""
        return any(transition(e, State.PENDING) for e in self.events)

    @property
    def target_slot(self) -> str | None:
        for ev in self.events:
            if transition(ev) and ev.get(Field.SLOT) is not None:
                return ev[Field.SLOT]
        return None

    @property
    def refusal(self) -> list[Event]:
        """The device's failed checks during the upload (VERIFY_SIG / PARSE_MANIFEST / CHUNK)."""
        return [
            e
            for e in self.events
            if (e.name in (Ev.VERIFY_SIG, Ev.PARSE_MANIFEST) and failed(e))
            or (e.name == Ev.CHUNK and e.get(Field.RESULT) == "bad")
            or transition(e, State.REJECTED)
        ]


class UpdateClient:
    """OTA on one device: SMP uploads and resets, outcomes from the device's evidence."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.smp = SmpSession(device, device.platform.name)

    def update(
        self, package: bytes, *, budget_ms: int = 60_000, reset: bool = True, test: bool = True
    ) -> UpdateResult:
        """Upload ``package`` with smpclient (the device picks the slot and steers the offsets);
        if the upload completed, mark the image for test (``test``: image state write with
        ``confirm=false`` and the package's SHA256 TLV); then, if the device marked it PENDING,
        send the SMP reset request (``reset``)."""
        mark = self.device.mark()
        outcome = self.smp.upload(package, budget_ms=budget_ms)
        marked = False
        mark_error: SmpError | None = None
        image_hash = package_hash(package)
        if test and outcome.complete and image_hash is not None:
            _, mark_error = self.smp.mark_for_test(image_hash, budget_ms=budget_ms)
            marked = True
        events = self.device.events_since(mark)
        reset_sent = False
        if reset and outcome.complete and any(transition(e, State.PENDING) for e in events):
            self.smp.reset()
            reset_sent = True
        return UpdateResult(outcome, mark, tuple(events), reset_sent, marked, mark_error)

    def wait_outcome(self, since: int, budget_ms: int = 60_000) -> Outcome:
        """Run the device until its events after ``since`` (a ``mark()``) show how the update
        ended.

        CONFIRMED: a SLOT_TRANSITION to CONFIRMED from the boot test. ROLLBACK: a ROLLBACK event
        followed by an application BOOT. RESCUE: the bootloader entered rescue. UNKNOWN when the
        budget ran out first (a pending image that never resolves is itself a finding).
        """
        found: list[Outcome] = []
        rolled_back = [False]

        def ended(rec: Record) -> bool:
            if not isinstance(rec, Event):
                return False
            if transition(rec, State.CONFIRMED):
                if rec.get(Field.FROM) != State.IDLE:
                    found.append(Outcome.CONFIRMED)
            elif rec.name == Ev.ROLLBACK:
                rolled_back[0] = True
            elif rec.name == Ev.RESCUE:
                found.append(Outcome.RESCUE)
            elif app_boot(rec) and rolled_back[0]:
                found.append(Outcome.ROLLBACK)
            return bool(found)

        try:
            self.device.expect(ended, budget_ms, since=since, what="the end of the update")
        except DeviceTimeout:
            return Outcome.UNKNOWN
        return found[0]

    def image_state(self) -> list[ImageState]:
        """The device's own SMP image state."""
        return self.smp.image_state()

    def reset(self) -> None:
        """The SMP OS reset request."""
        self.smp.reset()


def package_hash(package: bytes) -> bytes | None:
    """The image hash a state write names (the package's SHA256 TLV), None without one."""
    tlv = parse_image(package).find(IMG_TLV_INFO_MAGIC, IMG_TLV_SHA256)
    return None if tlv is None else tlv.value


_CLIENTS: WeakKeyDictionary[Device, UpdateClient] = WeakKeyDictionary()


def update_client(device: Device) -> UpdateClient:
    """The device's update client (made on first use; one per device)."""
    client = _CLIENTS.get(device)
    if client is None:
        client = _CLIENTS[device] = UpdateClient(device)
    return client


__all__ = ["UpdateClient", "UpdateResult", "package_hash", "update_client"]
