"""The device's state as its own evidence describes it: running slot and build, slot states,
rescue, the last rollback and metadata report (``Device.summary``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hil.evidence.event import Event
from hil.evidence.vocab import Ev, Field, State, app_boot


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

    @property
    def target_slot(self) -> str:
        """The slot the next package must be signed for: the one the device is not running."""
        return other_slot(self.running_slot or self.confirmed_slot)


def other_slot(slot: str | None) -> str:
    """The update slot next to ``slot`` (B when nothing is known)."""
    return "B" if slot in (None, "A") else "A"


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
        if ev.name == Ev.REBOOT_REASON:
            boots += 1
            running_slot, running_build, in_rescue = None, None, False
        elif app_boot(ev):
            running_slot = ev.get(Field.SLOT)
            build = ev.get(Field.BUILD)
            running_build = int(build) if build and build.isdigit() else None
            if confirmed is None and running_slot is not None:
                confirmed = running_slot  # factory state: the only image runs confirmed
        elif ev.name == Ev.RESCUE:
            in_rescue = True
        elif ev.name == Ev.META:
            meta = ev
        elif ev.name == Ev.ROLLBACK:
            rollback = ev
        elif ev.name == Ev.SLOT_TRANSITION and ev.get(Field.SLOT) and ev.get(Field.TO):
            slot, to = ev[Field.SLOT], ev[Field.TO]
            slots[slot] = to
            if to == State.CONFIRMED:
                confirmed = slot
                for other in slots:
                    if other != slot and slots[other] == State.CONFIRMED:
                        slots[other] = State.IDLE
    return DeviceSummary(
        power, running_slot, running_build, in_rescue, confirmed, slots, rollback, meta, boots
    )


__all__ = ["DeviceSummary", "other_slot", "summarize"]
