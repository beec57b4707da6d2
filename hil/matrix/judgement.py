"""What predicates return and share: ``Judgement``, ``Params`` and the evidence helpers
(``hil.matrix.predicates`` for items 1-10 and 14, ``hil.matrix.predicates_fault`` for items 2
and 15)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from hil.evidence import Event
from hil.evidence.vocab import Ev, Field, Src, State, app_boot, is_event, transition
from hil.image.constants import ImageResult

UPDATER_SRC = (Src.APP, Src.RESCUE)
DELIBERATE_RESCUE = {"pin", "strap", "uart"}
STRUCTURED_CODES = {r.name.lower() for r in ImageResult if r is not ImageResult.OK}


@dataclass(frozen=True)
class Params:
    attempts: int = 3  # the platform's layout.boot_attempts (N)
    # item 15: the events of each part of a multi-device scenario (ScenarioRun.parts)
    parts: Mapping[str, Sequence[Event]] | None = None


@dataclass
class Judgement:
    passed: bool = True
    reasons: list[str] = field(default_factory=list)

    def ok(self, text: str, ev: Event | None = None) -> None:
        self.reasons.append(f"ok: {text}" + (f" [{ev}]" if ev is not None else ""))

    def fail(self, text: str, ev: Event | None = None) -> None:
        self.passed = False
        self.reasons.append(f"FAIL: {text}" + (f" [{ev}]" if ev is not None else ""))

    def check(self, cond: bool, good: str, bad: str, ev: Event | None = None) -> bool:
        (self.ok if cond else self.fail)(good if cond else bad, ev)
        return cond

    def __str__(self) -> str:
        head = "PASS" if self.passed else "FAIL"
        return head + "".join(f"\n  {r}" for r in self.reasons)


Evs = Sequence[Event]
Predicate = Callable[[Evs, Params], Judgement]


# -- helpers ---------------------------------------------------------------------------------------
def _find(evs: Evs, start: int, pred: Callable[[Event], bool]) -> int:
    for i in range(start, len(evs)):
        if pred(evs[i]):
            return i
    return -1


def _tr(to: str, slot: str | None = None) -> Callable[[Event], bool]:
    """A predicate: a SLOT_TRANSITION to ``to`` (of ``slot``)."""
    return lambda e: transition(e, to, slot)


def _boot_of(build: str | None) -> Callable[[Event], bool]:
    return lambda e: app_boot(e) and e.get(Field.BUILD) == build


def _running_at(evs: Evs, index: int) -> Event | None:
    """The last application BOOT before ``index`` (after the last reset before it)."""
    for i in range(index - 1, -1, -1):
        if evs[i].name == Ev.REBOOT_REASON:
            return None
        if app_boot(evs[i]):
            return evs[i]
    return None


def _boot_tests(evs: Evs, start: int, slot: str | None) -> list[int]:
    """One BOOT_TEST per boot cycle (the bootloader and the application both report it)."""
    out: list[int] = []
    counted = False
    for i in range(start, len(evs)):
        if evs[i].name == Ev.REBOOT_REASON:
            counted = False
        elif _tr(State.BOOT_TEST, slot)(evs[i]) and not counted:
            out.append(i)
            counted = True
    return out


def _session_end(evs: Evs, start: int) -> int:
    """Index of the next upload's start (a DOWNLOADING transition) after ``start``, or len."""
    nxt = _find(evs, start + 1, _tr(State.DOWNLOADING))
    return len(evs) if nxt < 0 else nxt


def _nothing_pending_after(j: Judgement, evs: Evs, i: int) -> None:
    """No PENDING and no boot test between the refusal at ``i`` and the next upload."""
    end = _session_end(evs, i)
    bad = _find(evs, i + 1, lambda e: transition(e, State.PENDING) or _tr(State.BOOT_TEST)(e))
    if 0 <= bad < end:
        j.fail("an image was marked PENDING / boot-tested after the refusal", evs[bad])
    else:
        j.ok("nothing PENDING or boot-tested after the refusal")


def _refusals(
    evs: Evs, name: str, *, src: tuple[str, ...] = UPDATER_SRC, **fields: str
) -> list[int]:
    return [
        i for i, e in enumerate(evs) if is_event(e, name, result="fail", **fields) and e.src in src
    ]


def _install_steps(j: Judgement, evs: Evs, at: int, slot: str | None) -> int:
    """PENDING, BOOT_TEST then CONFIRMED for ``slot``, in order after ``evs[at]``; each found
    step is a reason. Returns the CONFIRMED event's index, or -1 (the missing step failed)."""
    for step in (State.PENDING, State.BOOT_TEST, State.CONFIRMED):
        k = _find(evs, at + 1, _tr(step, slot))
        if not j.check(
            k >= 0,
            f"then {step} for slot {slot}",
            f"no {step} for slot {slot} after {evs[at]}",
            evs[k] if k >= 0 else None,
        ):
            return -1
        at = k
    return at
