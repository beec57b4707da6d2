"""Which OTA phase (ota-requirements §2) the device is in, from its own evidence.

``phase_after(event, current)`` is the transition table; ``PhaseTracker`` follows the console
transcript as the firmware writes it (the engine's serial port appends at the instant of the
UART write), so the phase of a flash operation is known at the moment the operation starts,
not when the harness later decodes the line.
"""

from __future__ import annotations

from hil.device import Device
from hil.evidence import Event, EvidenceStream
from hil.faults.plan import PHASE_EVENTS, Phase

IDLE = "idle"  # outside an update: boots of a confirmed image, the final check

# SLOT_TRANSITION to=<state> -> phase that starts
_STATE_PHASE: dict[str, str] = {
    "DOWNLOADING": Phase.DOWNLOAD.value,
    "VERIFYING": Phase.VERIFY.value,
    "STAGING": Phase.STAGING.value,
    "PENDING": Phase.REBOOT.value,
    "BOOT_TEST": Phase.BOOT_TEST.value,
    "CONFIRMED": IDLE,
    "REJECTED": IDLE,
    "ROLLBACK": IDLE,
    "RESCUE": IDLE,
    "IDLE": IDLE,
}
# PHASE name=<step> -> phase
_STEP_PHASE: dict[str, str] = {
    "re_verify": Phase.RE_VERIFY.value,
    "meta_commit": Phase.METADATA_COMMIT.value,
    "confirm": Phase.CONFIRM.value,
    "floor_bump": Phase.FLOOR_BUMP.value,
}
SLOT_AREAS = ("slot_a", "slot_b")


def phase_after(ev: Event, current: str) -> str:
    """The phase the device is in after emitting ``ev`` (``current`` when it changes none)."""
    if ev.name == "SLOT_TRANSITION":
        return _STATE_PHASE.get(ev.get("to") or "", current)
    if ev.name == "PHASE":
        return _STEP_PHASE.get(ev.get("name") or "", current)
    if ev.name == "CHUNK":
        return Phase.BETWEEN_CHUNKS.value
    if ev.name == "REBOOT_REASON" and current != Phase.REBOOT.value:
        return IDLE
    return current


def phases_of(ev: Event) -> list[Phase]:
    """The phases whose ``phase_cut`` trigger ``ev`` is (see hil.faults.plan.PHASE_EVENTS)."""
    return [
        p
        for p, (name, fields) in PHASE_EVENTS.items()
        if ev.name == name and all(ev.get(k) == v for k, v in fields)
    ]


class PhaseTracker:
    """Follows a device's console output; ``phase(area)`` is the phase right now."""

    def __init__(self, device: Device) -> None:
        self._port = device.engine.serial()
        self._stream = EvidenceStream()
        self._pos = len(self._port.transcript)
        self.current = IDLE

    def phase(self, area: str = "") -> str:
        chunk = self._port.sent_from(self._pos)  # called at every flash op: no full copy
        if chunk:
            self._pos += len(chunk)
            for rec in self._stream.feed(chunk):
                if isinstance(rec, Event):
                    self.current = phase_after(rec, self.current)
        if self.current == Phase.BETWEEN_CHUNKS.value and area in SLOT_AREAS:
            self.current = Phase.DOWNLOAD.value  # the next chunk's bytes are being written
        return self.current


__all__ = ["IDLE", "PhaseTracker", "phase_after", "phases_of"]
