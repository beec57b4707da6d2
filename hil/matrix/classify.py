"""Failure classification from device evidence alone (ota-requirements §4, matrix item 15).

``find_failures(events)`` finds the failure episodes in an event list; ``classify(events,
failure)`` puts each into one or more of the four classes of §4 (state, crypto/package,
storage/atomicity, power/brownout) by reading only the device's events, in the spec's triage
order. Nothing the harness did (which package it sent, which fault it injected) is used.

**Failure markers** (each marks an event as part of a failure):

- ``SLOT_TRANSITION to=REJECTED|ROLLBACK|RESCUE``, ``RESCUE``, ``ROLLBACK``
- ``VERIFY_SIG result=fail``, ``PARSE_MANIFEST result=fail``, ``CHUNK result=bad``
- ``META result=recovered|both-invalid``, except the blank metadata of a device whose
  evidence never showed a valid record before (``both-invalid`` before any ``META`` with
  ``ok``/``recovered``: the factory state, nothing was lost)
- ``WRITE_GATED``
- ``REBOOT_REASON cause=brownout|watchdog`` or ``brownout_flag=1``
- an *interrupting* ``REBOOT_REASON``: cause ``power-on`` or ``pin`` while an update session
  (``DOWNLOADING``/``VERIFYING``/``STAGING``, ``RESUME``/``CHUNK`` after it) or a boot test
  (``BOOT_TEST``) was open in the boot it ends. Without it a power cut that tears nothing
  would leave no failure in the evidence, only a silently abandoned update.

**Episodes.** Markers are grouped into one episode unless a boundary lies between them: the
start of an upload (``SLOT_TRANSITION to=DOWNLOADING``, ``RESUME``) or a ``REBOOT_REASON``
that is not itself a marker and not a software reset. A software reset is the device's own
step (the trial boot after PENDING, the reset after a failed self-test), so a rejected
self-test and the bootloader's ``ROLLBACK`` after it stay one episode; a marker reset (a
watchdog, a brownout, a cut) joins what led to it and what the next boot found (``WRITE_GATED``
-> ``REBOOT_REASON brownout`` -> ``META recovered`` is one episode).

**Classification** (``classify``), in the triage order of §4; an episode's classes are the
union of what its events show (``triage`` also reports *where*: the last ``SLOT_TRANSITION``
at or before the episode's end):

===  ======================================================================  ==============
 #   Evidence in the episode                                                 Class
===  ======================================================================  ==============
 1   ``SLOT_TRANSITION to=ROLLBACK`` or ``to=RESCUE`` (where it stopped)      state
 1   ``SLOT_TRANSITION from=STAGING to=REJECTED`` (refused after the checks)  state
 2   ``VERIFY_SIG result=fail`` (any error_code)                              crypto/package
 2   ``PARSE_MANIFEST result=fail`` (any error_code: bounds, replay, floor)   crypto/package
 3   ``REBOOT_REASON cause=brownout`` or ``brownout_flag=1``                  power
 3   interrupting ``REBOOT_REASON cause=power-on|pin``                        power
 3   ``REBOOT_REASON cause=watchdog`` (bounded boot test / hang)              state
 3   ``WRITE_GATED`` (brownout write gating stopped a write)                  power
 4   ``ROLLBACK reason=self-test|attempts`` (boot-test policy)                state
 4   ``ROLLBACK reason=verify|below-floor`` (the image failed its checks)     state, crypto
 4   ``ROLLBACK reason=inconsistent`` (record and image disagree)             state, storage
 -   ``RESCUE cause=pin|strap|uart|no_bootable`` (rescue entered)             state
 -   ``META result=recovered|both-invalid`` (metadata truth recovered/lost)   storage
 -   ``CHUNK result=bad`` (a chunk failed its hash after the write)           storage
===  ======================================================================  ==============

What stays unclassified (and fails item 15): a ``REJECTED`` from IDLE/DOWNLOADING/VERIFYING
with no failed ``VERIFY_SIG``/``PARSE_MANIFEST`` beside it (the device refused without saying
why), a ``ROLLBACK``/``RESCUE`` whose reason/cause is not one of the names above, an
interrupting reset with an unknown cause — each alone in its episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from hil.evidence import Event
from hil.evidence.vocab import Ev, Field, Src, State, Value, norm


class FailureClass(StrEnum):
    STATE = "state"
    CRYPTO = "crypto/package"
    STORAGE = "storage/atomicity"
    POWER = "power/brownout"


# triage order (§4) for reports: where/state, crypto/package, power, storage
ORDER = (FailureClass.STATE, FailureClass.CRYPTO, FailureClass.POWER, FailureClass.STORAGE)

OPEN_STATES = {State.DOWNLOADING, State.VERIFYING, State.STAGING, State.BOOT_TEST}
CLOSED_STATES = {
    State.IDLE,
    State.PENDING,
    State.CONFIRMED,
    State.REJECTED,
    State.ROLLBACK,
    State.RESCUE,
}
INTERRUPT_CAUSES = {"power_on", "pin"}
RESCUE_CAUSES = {"pin", "strap", "uart", "no_bootable"}
ROLLBACK_REASONS: dict[str, frozenset[FailureClass]] = {
    "self_test": frozenset({FailureClass.STATE}),
    "attempts": frozenset({FailureClass.STATE}),
    "verify": frozenset({FailureClass.STATE, FailureClass.CRYPTO}),
    "below_floor": frozenset({FailureClass.STATE, FailureClass.CRYPTO}),
    "inconsistent": frozenset({FailureClass.STATE, FailureClass.STORAGE}),
}


@dataclass(frozen=True)
class Failure:
    """One failure episode: the indices (into the event list) of its marker events."""

    indices: tuple[int, ...]
    markers: tuple[str, ...]  # what made each index a marker, e.g. "VERIFY_SIG fail"

    @property
    def first(self) -> int:
        return self.indices[0]

    @property
    def last(self) -> int:
        return self.indices[-1]

    def describe(self, events: Sequence[Event]) -> str:
        return "; ".join(f"[{events[i]}]" for i in self.indices)


@dataclass
class Triage:
    """The classes of one failure and, per class, the events that showed it."""

    classes: set[FailureClass] = field(default_factory=set)
    why: list[str] = field(default_factory=list)
    where: Event | None = None  # the last SLOT_TRANSITION at or before the episode's end
    _seen: dict[str, int] = field(default_factory=dict, repr=False)

    def add(self, cls: frozenset[FailureClass] | FailureClass, text: str) -> None:
        new = {cls} if isinstance(cls, FailureClass) else set(cls)
        self.classes |= new
        line = f"{text} -> {names(new)}"
        self._seen[line] = self._seen.get(line, 0) + 1
        if self._seen[line] == 1:
            self.why.append(line)

    @property
    def lines(self) -> list[str]:
        """``why`` with repeats counted (``... (x3)``)."""
        return [w + (f" (x{self._seen[w]})" if self._seen[w] > 1 else "") for w in self.why]


# -- markers -------------------------------------------------------------------------------------
def _session_open(events: Sequence[Event], reset: int) -> bool:
    """Was an update session or a boot test open in the boot that ``events[reset]`` ends?"""
    open_ = False
    for i in range(reset - 1, -1, -1):
        ev = events[i]
        if ev.name == Ev.REBOOT_REASON:
            break
    else:
        i = -1
    for ev in events[i + 1 : reset]:
        if ev.name == Ev.SLOT_TRANSITION:
            to = (ev.get(Field.TO) or "").upper()
            if to in OPEN_STATES:
                open_ = True
            elif to in CLOSED_STATES:
                open_ = False
        elif ev.name in (Ev.RESUME, Ev.CHUNK) and ev.src != Src.BOOT:
            open_ = True
    return open_


def _marker(events: Sequence[Event], i: int, metadata_seen: bool) -> str | None:
    """Why ``events[i]`` marks a failure, or None."""
    ev = events[i]
    name = ev.name
    if name == Ev.SLOT_TRANSITION:
        to = (ev.get(Field.TO) or "").upper()
        failed = (State.REJECTED, State.ROLLBACK, State.RESCUE)
        return f"SLOT_TRANSITION to={to}" if to in failed else None
    if name in (Ev.RESCUE, Ev.ROLLBACK, Ev.WRITE_GATED):
        return name
    if name in (Ev.VERIFY_SIG, Ev.PARSE_MANIFEST):
        return f"{name} fail" if norm(ev.get(Field.RESULT)) == Value.FAIL else None
    if name == Ev.CHUNK:
        return "CHUNK bad" if norm(ev.get(Field.RESULT)) == Value.BAD else None
    if name == Ev.META:
        result = norm(ev.get(Field.RESULT))
        if result == "recovered" or (result == "both_invalid" and metadata_seen):
            return f"META {result}"
        return None
    if name == Ev.REBOOT_REASON:
        cause = norm(ev.get(Field.CAUSE))
        if cause in ("brownout", "watchdog"):
            return f"REBOOT_REASON {cause}"
        if ev.get(Field.BROWNOUT_FLAG) == "1":
            return "REBOOT_REASON brownout_flag=1"
        if cause != "software" and _session_open(events, i):
            return f"REBOOT_REASON {cause or '?'} interrupting"
    return None


def _boundary(ev: Event, is_marker: bool) -> bool:
    if ev.name == Ev.RESUME or (
        ev.name == Ev.SLOT_TRANSITION and (ev.get(Field.TO) or "").upper() == State.DOWNLOADING
    ):
        return True
    return ev.name == Ev.REBOOT_REASON and not is_marker and norm(ev.get(Field.CAUSE)) != "software"


def find_failures(events: Sequence[Event]) -> list[Failure]:
    """The failure episodes in ``events`` (see the module docstring), in order."""
    out: list[Failure] = []
    idx: list[int] = []
    why: list[str] = []
    metadata_seen = False
    for i, ev in enumerate(events):
        m = _marker(events, i, metadata_seen)
        if ev.name == Ev.META and norm(ev.get(Field.RESULT)) in ("ok", "recovered"):
            metadata_seen = True
        if idx and _boundary(ev, m is not None):
            out.append(Failure(tuple(idx), tuple(why)))
            idx, why = [], []
        if m is not None:
            idx.append(i)
            why.append(m)
    if idx:
        out.append(Failure(tuple(idx), tuple(why)))
    return out


# -- classification ------------------------------------------------------------------------------
def _where(events: Sequence[Event], failure: Failure) -> Event | None:
    for i in range(failure.last, -1, -1):
        if events[i].name == Ev.SLOT_TRANSITION:
            return events[i]
    return None


def triage(events: Sequence[Event], failure: Failure) -> Triage:
    """``classify`` with the reasoning kept (``why``: one line per deciding event)."""
    t = Triage(where=_where(events, failure))
    evs = [events[i] for i in failure.indices]
    # 1. where the state machine stopped
    for ev in evs:
        if ev.name != Ev.SLOT_TRANSITION:
            continue
        to, frm = (ev.get(Field.TO) or "").upper(), (ev.get(Field.FROM) or "").upper()
        if to in (State.ROLLBACK, State.RESCUE):
            t.add(FailureClass.STATE, f"stopped in {to} (slot {ev.get('slot')})")
        elif to == State.REJECTED and frm == State.STAGING:
            t.add(FailureClass.STATE, "REJECTED from STAGING, after the checks")
    # 2. crypto / package
    for ev in evs:
        if ev.name in (Ev.VERIFY_SIG, Ev.PARSE_MANIFEST) and norm(ev.get(Field.RESULT)) == "fail":
            t.add(FailureClass.CRYPTO, f"{ev.name} fail error_code={ev.get('error_code')}")
    # 3. reset cause and brownout flag
    for i in failure.indices:
        ev = events[i]
        if ev.name == Ev.REBOOT_REASON:
            cause = norm(ev.get(Field.CAUSE))
            if cause == "brownout" or ev.get(Field.BROWNOUT_FLAG) == "1":
                t.add(
                    FailureClass.POWER,
                    f"reset cause {cause}, brownout_flag={ev.get('brownout_flag')}",
                )
            elif cause == "watchdog":
                t.add(FailureClass.STATE, "watchdog reset (hang / bounded boot test)")
            elif cause in INTERRUPT_CAUSES:
                t.add(FailureClass.POWER, f"{cause} reset cut an open session")
        elif ev.name == Ev.WRITE_GATED:
            t.add(FailureClass.POWER, f"write gated: {ev.get('operation')} {ev.get('address')}")
    # 4. rollback policy
    for ev in evs:
        if ev.name == Ev.ROLLBACK:
            reason = norm(ev.get(Field.REASON))
            if reason in ROLLBACK_REASONS:
                t.add(ROLLBACK_REASONS[reason], f"ROLLBACK reason={ev.get('reason')}")
        elif ev.name == Ev.RESCUE:
            cause = norm(ev.get(Field.CAUSE))
            if cause in RESCUE_CAUSES:
                t.add(FailureClass.STATE, f"RESCUE cause={ev.get('cause')}")
    # storage / atomicity
    for ev in evs:
        if ev.name == Ev.META:
            t.add(FailureClass.STORAGE, f"META result={ev.get('result')} copy={ev.get('copy')}")
        elif ev.name == Ev.CHUNK:
            t.add(FailureClass.STORAGE, f"CHUNK index={ev.get('index')} result=bad")
    return t


def classify(events: Sequence[Event], failure: Failure) -> set[FailureClass]:
    """The classes of ``failure`` (empty when the evidence does not explain it)."""
    return triage(events, failure).classes


# -- the classify scenario (harness knowledge) --------------------------------------------------
# The parts of the ``classify`` scenario (hil.matrix.scenarios) and the class each must show.
# This is what the harness did, not evidence: it is used only to check the classifier (item 15
# fails if a part's evidence is not classified into its class), never to classify.
EXPECTED_PARTS: dict[str, FailureClass] = {
    "forged-signature": FailureClass.CRYPTO,
    "tampered-manifest": FailureClass.CRYPTO,
    "replay": FailureClass.CRYPTO,  # package policy (freshness)
    "self-test-fail": FailureClass.STATE,
    "never-confirms": FailureClass.STATE,
    "rescue-strap": FailureClass.STATE,
    "power-cut-staging": FailureClass.POWER,
    "brownout-meta": FailureClass.POWER,  # (+ storage when the metadata was recovered)
}


def names(classes: set[FailureClass] | frozenset[FailureClass]) -> str:
    """``state+crypto/package`` in triage order (``unclassified`` when empty)."""
    return "+".join(c.value for c in ORDER if c in classes) or "unclassified"


__all__ = [
    "EXPECTED_PARTS",
    "Failure",
    "FailureClass",
    "Triage",
    "classify",
    "find_failures",
    "names",
    "triage",
]
