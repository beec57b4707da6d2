"""Judging one sweep point from the device's evidence: the outcome class and the invariants.

``judge_point(events, mark)`` reads the events from ``mark`` (the first event after the power
came back, or the brownout reset) and the history before it. It never looks at the fault the
harness injected.

Outcome (first match):

| evidence after the cut                                   | outcome   |
|----------------------------------------------------------|-----------|
| RESCUE                                                   | RESCUE    |
| no application BOOT (running) and no trial CONFIRMED     | UNKNOWN   |
| a bootloader ROLLBACK                                    | ROLLBACK  |
| a bootloader VERIFY_SIG / PARSE_MANIFEST fail (not an    | REJECT    |
| old image under the floor)                               |           |
| otherwise (a confirmed image runs, old or new)           | CONFIRMED |

Invariants (each violation is a sentence naming the event):

1. ``outcome``: never UNKNOWN (a brick: nothing ran within the bound).
2. ``confirmed_slot``: a CONFIRMED bootable slot exists: the recovery ends in an application
   running a confirmed image, or a trial that reaches CONFIRMED (RESCUE breaks it).
3. ``metadata``: every META after the cut is ``ok`` or ``recovered``; ``both-invalid`` only if
   the device never had valid metadata before (the factory state).
4. ``floor``: no application build below the highest build the evidence saw reach CONFIRMED.
5. ``verified``: every application that runs was verified in the same boot: its slot's
   SLOT_CHECK is followed by VERIFY_SIG result=ok and PARSE_MANIFEST result=ok.
6. ``pending_valid``: no ROLLBACK reason=verify|inconsistent: a slot the updater marked
   PENDING always holds a complete, verifiable image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hil.evidence import Event, Outcome
from hil.evidence.vocab import (
    Ev,
    Field,
    Src,
    Value,
    app_boot,
    app_confirmed,
    brownout_reset,
    norm,
)

INVARIANTS = (
    "outcome",
    "confirmed_slot",
    "metadata",
    "floor",
    "verified",
    "pending_valid",
    "oracle",  # the outside oracle agrees with the evidence (hil.sweep.outside; the sweep's)
)


@dataclass
class PointVerdict:
    outcome: Outcome
    build: int | None = None  # the build running at the end (app BOOT), None if none
    slot: str | None = None
    meta: str | None = None  # the first META result after the cut
    brownout_flag: bool = False  # a REBOOT_REASON after the cut says brownout
    write_gated: int = 0  # WRITE_GATED events in the boot before ``mark`` and after it
    violations: list[tuple[str, str]] = field(default_factory=list)  # (invariant, why)
    oracle: str | None = None  # the outside oracle's view (hil.sweep.outside), when it judged

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "build": self.build,
            "slot": self.slot,
            "meta": self.meta,
            "brownout_flag": self.brownout_flag,
            "write_gated": self.write_gated,
            "violations": [list(v) for v in self.violations],
            "oracle": self.oracle,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PointVerdict:
        return cls(
            Outcome(d["outcome"]),
            d.get("build"),
            d.get("slot"),
            d.get("meta"),
            bool(d.get("brownout_flag")),
            int(d.get("write_gated", 0)),
            [(str(a), str(b)) for a, b in d.get("violations", [])],
            d.get("oracle"),
        )


def _int(v: str | None) -> int | None:
    try:
        return int(v or "", 0)
    except ValueError:
        return None


def _boot_start(events: Sequence[Event], i: int) -> int:
    """Index of the REBOOT_REASON that starts the boot containing event ``i``."""
    while i > 0 and events[i].name != Ev.REBOOT_REASON:
        i -= 1
    return i


def _verified_in_boot(events: Sequence[Event], start: int, end: int, slot: str) -> bool:
    sig = manifest = in_slot = False
    for ev in events[start:end]:
        if ev.src != Src.BOOT:
            continue
        if ev.name == Ev.SLOT_CHECK:
            in_slot = ev.get(Field.SLOT) == slot
            if in_slot:
                sig = manifest = False
        elif in_slot and ev.name == Ev.VERIFY_SIG:
            sig = ev.get(Field.RESULT) == Value.OK
        elif in_slot and ev.name == Ev.PARSE_MANIFEST:
            manifest = ev.get(Field.RESULT) == Value.OK
    return sig and manifest


def _refusal(ev: Event) -> bool:
    """A bootloader refusing an image for a reason other than an old image under the floor."""
    if ev.src != Src.BOOT or ev.get(Field.RESULT) != Value.FAIL:
        return False
    if ev.name == Ev.VERIFY_SIG:
        return True
    return ev.name == Ev.PARSE_MANIFEST and norm(ev.get(Field.ERROR_CODE)) != Value.BELOW_FLOOR


def judge_point(events: Sequence[Event], mark: int) -> PointVerdict:
    """The outcome and the invariant violations of the recovery that starts at ``mark``."""
    before, after = events[:mark], events[mark:]
    v = PointVerdict(Outcome.UNKNOWN)
    running = False
    for ev in after:
        if app_boot(ev):
            v.build, v.slot = _int(ev.get(Field.BUILD)), ev.get(Field.SLOT)
            running = running or ev.get(Field.STATE) == Value.RUNNING
        if app_confirmed(ev):
            running = True
        if brownout_reset(ev):
            v.brownout_flag = True
        if ev.name == Ev.META and v.meta is None:
            v.meta = norm(ev.get(Field.RESULT))
    # a write gated under low voltage is reported before the brownout reset it precedes
    v.write_gated = sum(
        1 for e in events[_boot_start(events, max(0, mark - 1)) :] if e.name == Ev.WRITE_GATED
    )
    boot_evs = [e for e in after if e.src == Src.BOOT]
    if any(e.name == Ev.RESCUE for e in after):
        v.outcome = Outcome.RESCUE
    elif not running:
        v.outcome = Outcome.UNKNOWN
    elif any(e.name == Ev.ROLLBACK for e in boot_evs):
        v.outcome = Outcome.ROLLBACK
    elif any(_refusal(e) for e in boot_evs):
        v.outcome = Outcome.REJECT
    else:
        v.outcome = Outcome.CONFIRMED

    def fail(inv: str, why: str) -> None:
        v.violations.append((inv, why))

    if v.outcome is Outcome.UNKNOWN:
        tail = after[-1] if after else None
        fail("outcome", f"no confirmed boot and no RESCUE within the bound (last event: {tail})")
    if v.outcome is Outcome.RESCUE:
        ev = next(e for e in after if e.name == Ev.RESCUE)
        fail("confirmed_slot", f"no CONFIRMED bootable slot after the cut: {ev}")
    had_meta = any(
        e.name == Ev.META and norm(e.get(Field.RESULT)) != Value.BOTH_INVALID for e in before
    )
    for ev in after:
        if (
            had_meta
            and ev.name == Ev.META
            and norm(ev.get(Field.RESULT)) not in (Value.OK, Value.RECOVERED)
        ):
            fail("metadata", f"metadata lost after the cut: {ev}")
    # floor: track the highest confirmed build through the whole history
    confirmed = 0
    trial_build: int | None = None
    for i, ev in enumerate(events):
        if app_boot(ev):
            build = _int(ev.get(Field.BUILD)) or 0
            trial_build = build
            if i >= mark and build < confirmed:
                fail("floor", f"build {build} runs below the confirmed build {confirmed}: {ev}")
            if i >= mark:
                start = _boot_start(events, i)
                slot = ev.get(Field.SLOT) or ""
                if not _verified_in_boot(events, start, i, slot):
                    fail("verified", f"slot {slot} runs without a passing verification: {ev}")
        if app_confirmed(ev):
            confirmed = max(confirmed, trial_build or 0)
    for ev in boot_evs:
        if ev.name == Ev.ROLLBACK and norm(ev.get(Field.REASON)) in ("verify", "inconsistent"):
            fail("pending_valid", f"a PENDING slot did not hold a verifiable image: {ev}")
    return v


__all__ = ["INVARIANTS", "PointVerdict", "judge_point"]
