"""Which OTA phase (ota-requirements §2) the device is in, from its own evidence.

``phase_after(event, current)`` is the transition table; ``PhaseTracker`` follows the console
transcript as the firmware writes it (the engine's serial port appends at the instant of the
UART write), so the phase of a flash operation is known at the moment the operation starts,
not when the harness later decodes the line.
"""

from __future__ import annotations

from hil.engine.base import Engine
from hil.evidence import Event, EvidenceStream
from hil.evidence.vocab import Ev, Field, State, Step
from hil.faults.plan import Phase

IDLE = "idle"  # outside an update: boots of a confirmed image, the final check

# SLOT_TRANSITION to=<state> -> phase that starts
_STATE_PHASE: dict[str, str] = {
    State.DOWNLOADING: Phase.DOWNLOAD.value,
    State.VERIFYING: Phase.VERIFY.value,
    State.STAGING: Phase.STAGING.value,
    State.PENDING: Phase.REBOOT.value,
    State.BOOT_TEST: Phase.BOOT_TEST.value,
    State.CONFIRMED: IDLE,
    State.REJECTED: IDLE,
    State.ROLLBACK: IDLE,
    State.RESCUE: IDLE,
    State.IDLE: IDLE,
}
# PHASE name=<step> -> phase
_STEP_PHASE: dict[str, str] = {
    Step.RE_VERIFY: Phase.RE_VERIFY.value,
    Step.META_COMMIT: Phase.METADATA_COMMIT.value,
    Step.CONFIRM: Phase.CONFIRM.value,
    Step.FLOOR_BUMP: Phase.FLOOR_BUMP.value,
}
SLOT_AREAS = ("slot_a", "slot_b")


def phase_after(ev: Event, current: str) -> str:
    """The phase the device is in after emitting ``ev`` (``current`` when it changes none)."""
    if ev.name == Ev.SLOT_TRANSITION:
        return _STATE_PHASE.get(ev.get(Field.TO) or "", current)
    if ev.name == Ev.PHASE:
        return _STEP_PHASE.get(ev.get(Field.NAME) or "", current)
    if ev.name == Ev.CHUNK:
        return Phase.BETWEEN_CHUNKS.value
    if ev.name == Ev.REBOOT_REASON and current != Phase.REBOOT.value:
        return IDLE
    return current


class PhaseTracker:
    """Follows a device's console output; ``phase(area)`` is the phase right now."""

    def __init__(self, engine: Engine) -> None:
        self._port = engine.serial()
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


__all__ = ["IDLE", "PhaseTracker", "phase_after"]
