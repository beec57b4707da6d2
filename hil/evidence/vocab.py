"""The evidence vocabulary, spelled once: event names, field names, sources, slot states, update
steps, the outcome of an update and the predicates every reader of evidence shares.

The firmware defines the words (``docs/contracts.md`` §3 and §8, ``docs/contract-meta.md`` §5);
this module mirrors them for Python, as ``hil.image.constants`` mirrors ``image.h``. Readers
(the matrix predicates, the sweep judge, the update client, the scenarios, the fault triggers,
the failure classifier) compare against these names and never spell an event or a state
themselves. The namespaces are plain classes of ``str`` constants: comparing an event's text
with one costs what comparing two strings costs.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from hil.evidence.event import Event


class Src:
    """Who emitted an event (the ``<src>`` of the line)."""

    BOOT: Final = "boot"
    APP: Final = "app"
    RESCUE: Final = "rescue"


class Ev:
    """Event names."""

    REBOOT_REASON: Final = "REBOOT_REASON"
    LAYOUT: Final = "LAYOUT"
    ANCHOR: Final = "ANCHOR"
    META: Final = "META"
    META_COMMIT: Final = "META_COMMIT"
    SLOT_CHECK: Final = "SLOT_CHECK"
    VERIFY_SIG: Final = "VERIFY_SIG"
    PARSE_MANIFEST: Final = "PARSE_MANIFEST"
    JUMP: Final = "JUMP"
    BOOT: Final = "BOOT"
    SLOT_TRANSITION: Final = "SLOT_TRANSITION"
    PHASE: Final = "PHASE"
    CHUNK: Final = "CHUNK"
    RESUME: Final = "RESUME"
    ROLLBACK: Final = "ROLLBACK"
    RESCUE: Final = "RESCUE"
    RESCUE_READY: Final = "RESCUE_READY"
    WRITE_GATED: Final = "WRITE_GATED"
    PONG: Final = "PONG"
    RESET_REQ: Final = "RESET_REQ"


class Field:
    """Field names (``key=value`` of the line)."""

    TO: Final = "to"
    FROM: Final = "from"
    SLOT: Final = "slot"
    BUILD: Final = "build"
    STATE: Final = "state"
    ATTEMPT: Final = "attempt"
    RESULT: Final = "result"
    ERROR_CODE: Final = "error_code"
    CAUSE: Final = "cause"
    BROWNOUT_FLAG: Final = "brownout_flag"
    REASON: Final = "reason"
    NAME: Final = "name"
    INDEX: Final = "index"
    CHUNK: Final = "chunk"
    OFFSET: Final = "offset"


class State:
    """Slot states of ``SLOT_TRANSITION from=.. to=..`` (contract-meta §5)."""

    IDLE: Final = "IDLE"
    DOWNLOADING: Final = "DOWNLOADING"
    VERIFYING: Final = "VERIFYING"
    STAGING: Final = "STAGING"
    PENDING: Final = "PENDING"
    BOOT_TEST: Final = "BOOT_TEST"
    CONFIRMED: Final = "CONFIRMED"
    REJECTED: Final = "REJECTED"
    ROLLBACK: Final = "ROLLBACK"
    RESCUE: Final = "RESCUE"


class Step:
    """``PHASE name=..``: the update steps that have no slot state of their own."""

    RE_VERIFY: Final = "re_verify"
    META_COMMIT: Final = "meta_commit"
    CONFIRM: Final = "confirm"
    FLOOR_BUMP: Final = "floor_bump"


class Value:
    """Field values readers compare with (after ``norm``)."""

    OK: Final = "ok"
    FAIL: Final = "fail"
    BAD: Final = "bad"
    RUNNING: Final = "running"
    BROWNOUT: Final = "brownout"
    SOFTWARE: Final = "software"
    RECOVERED: Final = "recovered"
    BOTH_INVALID: Final = "both_invalid"
    BELOW_FLOOR: Final = "below_floor"
    FLAG_SET: Final = "1"


class Outcome(StrEnum):
    """How an update (or a recovery after a cut) ended, as the device's evidence shows it.

    The one outcome vocabulary of the harness: ``hil update``, the scenarios and the power-cut
    sweep's judge all return it; the sweep's evidence files carry these values."""

    CONFIRMED = "CONFIRMED"  # a new image passed its boot test and was confirmed (or one runs)
    ROLLBACK = "ROLLBACK"  # the boot test failed or attempts ran out; the old image runs
    REJECT = "REJECT"  # refused (during the upload, or by the bootloader); nothing pending
    RESCUE = "RESCUE"  # the bootloader entered rescue
    UNKNOWN = "UNKNOWN"  # the budget ran out before the evidence showed an outcome


# -- predicates ----------------------------------------------------------------------------------
def norm(value: str | None) -> str:
    """Field values the firmware may spell with ``-`` or ``_``, in any case, compare equal."""
    return (value or "").replace("-", "_").lower()


def is_event(ev: Event, name: str, **fields: str) -> bool:
    """``ev`` is event ``name`` and each given field equals its value (after ``norm``)."""
    return ev.name == name and all(norm(ev.get(k)) == norm(v) for k, v in fields.items())


def transition(ev: Event, to: str | None = None, slot: str | None = None) -> bool:
    """A ``SLOT_TRANSITION`` (to state ``to``, of ``slot``, when given)."""
    if ev.name != Ev.SLOT_TRANSITION:
        return False
    if to is not None and norm(ev.get(Field.TO)) != norm(to):
        return False
    return slot is None or ev.get(Field.SLOT) == slot


def app_boot(ev: Event) -> bool:
    """The application reports it started (``BOOT`` from ``app``)."""
    return ev.name == Ev.BOOT and ev.src == Src.APP


def app_running(ev: Event) -> bool:
    """The application runs a confirmed image (``BOOT state=running`` from ``app``)."""
    return app_boot(ev) and ev.get(Field.STATE) == Value.RUNNING


def app_confirmed(ev: Event) -> bool:
    """The application confirmed its image (``SLOT_TRANSITION to=CONFIRMED`` from ``app``)."""
    return ev.src == Src.APP and transition(ev, State.CONFIRMED)


def boot_settled(ev: Event) -> bool:
    """A boot is over: the application started, or the bootloader entered rescue."""
    return app_boot(ev) or ev.name == Ev.RESCUE


def brownout_reset(ev: Event) -> bool:
    """A ``REBOOT_REASON`` that says brownout (the cause, or the brownout flag)."""
    return ev.name == Ev.REBOOT_REASON and (
        ev.get(Field.BROWNOUT_FLAG) == Value.FLAG_SET or norm(ev.get(Field.CAUSE)) == Value.BROWNOUT
    )


def failed(ev: Event) -> bool:
    """A check that reports ``result=fail``."""
    return norm(ev.get(Field.RESULT)) == Value.FAIL


__all__ = [
    "Ev",
    "Field",
    "Outcome",
    "Src",
    "State",
    "Step",
    "Value",
    "app_boot",
    "app_confirmed",
    "app_running",
    "boot_settled",
    "brownout_reset",
    "failed",
    "is_event",
    "norm",
    "transition",
]
