"""A target as a user sees it: power, reset, console, and waiting on the device's own evidence.

The device is a small state machine: OFF -> RUNNING, and BROKEN once something unrecoverable
happened (engine crash, corrupted evidence, forbidden event). A broken device refuses further
operations and keeps the reason. Everything the device prints is written to its log as it
arrives, so nothing is lost when a wait fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING

from hil.engine.base import Engine, ResetCause, RunResult, StopReason
from hil.errors import DeviceTimeout, EvidenceError, HilError
from hil.evidence import Event, EvidenceStream, Record, SmpLine, Text, Truncated
from hil.provision import FactoryImage, program

if TYPE_CHECKING:
    from smp.image_management import ImageState

    from hil.link.smp_session import SmpSession
    from hil.update import DeviceSummary, Outcome, UpdateResult


class DeviceState(StrEnum):
    OFF = "off"
    RUNNING = "running"
    BROKEN = "broken"


class DeviceBroken(HilError):
    """The device hit an unrecoverable error earlier; the message carries the first reason."""


class DeviceHalted(BaseException):  # noqa: N818 - a stop signal, like KeyboardInterrupt
    """The core halted at a debug stop (``hil replay --gdb``) with ``halt_raises`` set: ends
    whatever flow was driving the device (it is not an error the flow may handle)."""


class ForbiddenEvent(HilError):
    """A forbidden event appeared (pytest-embedded style: fails the wait at once)."""


EventPredicate = Callable[[Event], bool]

TAIL_LINES = 15


class Device:
    """One emulated board with our firmware loaded."""

    def __init__(self, engine: Engine, factory: FactoryImage, log_dir: Path | None = None) -> None:
        self.engine = engine
        self.factory = factory
        self.platform = engine.platform
        self.state = DeviceState.OFF
        self.broken_reason = ""
        self.stream = EvidenceStream()
        self._cursor = 0  # index into stream.records already consumed by waits
        self._forbidden: list[tuple[str, EventPredicate]] = []
        self._listeners: list[Callable[[Record], None]] = []
        self._log: IO[bytes] | None = None
        self._events_log: IO[str] | None = None
        self.log_path: Path | None = None
        self._smp: SmpSession | None = None
        self.halt_raises = False  # raise DeviceHalted when a run stops at a debug halt
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            self.log_path = log_dir / "console.log"
            self._log = self.log_path.open("wb")
            self._events_log = (log_dir / "events.jsonl").open("w", encoding="utf-8")
        program(engine, factory)
        engine.on_reset(self._on_reset)

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self._drain()
        for f in (self._log, self._events_log):
            if f is not None:
                f.close()
        self._log = self._events_log = None

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self) -> None:
        if self.state is DeviceState.BROKEN:
            raise DeviceBroken(f"device is broken: {self.broken_reason}")

    def _break(self, reason: str) -> None:
        if self.state is not DeviceState.BROKEN:
            self.state = DeviceState.BROKEN
            self.broken_reason = reason

    def power_on(self) -> None:
        self._check()
        self._drain()
        self.engine.power_on()
        self.state = DeviceState.RUNNING

    def power_off(self) -> None:
        self._check()
        self._drain()
        self.engine.power_off()
        self.state = DeviceState.OFF

    def power_cycle(self) -> None:
        self.power_off()
        self.power_on()

    def reset(self, cause: ResetCause = ResetCause.PIN) -> None:
        self._check()
        self._drain()
        self.engine.reset(cause)
        self.state = DeviceState.RUNNING

    def set_supply_mv(self, millivolts: int) -> None:
        self._check()
        self.engine.set_supply_mv(millivolts)

    def send_line(self, text: str) -> None:
        self._check()
        self.engine.serial().write(text.encode("ascii") + b"\n")

    def write(self, data: bytes) -> None:
        """Queue raw bytes on the console UART (SMP frames, garbage for robustness tests)."""
        self._check()
        self.engine.serial().write(data)

    def set_pin(self, name: str, level: int) -> None:
        """Drive a modelled input pin, e.g. the ``rescue`` strap sampled at reset."""
        self._check()
        self.engine.set_pin(name, level)

    # -- evidence ---------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[Record], None]) -> None:
        """Call ``listener`` with every record (event, text, truncated line) as it is decoded."""
        self._listeners.append(listener)

    def forbid(self, name: str, where: EventPredicate | None = None) -> None:
        """Fail any later wait at once if this event appears."""
        self._forbidden.append((name, where or (lambda e: True)))

    @property
    def events(self) -> list[Event]:
        self._drain()
        return list(self.stream.events())

    @property
    def records(self) -> list[Record]:
        self._drain()
        return list(self.stream.records)

    @property
    def transcript(self) -> bytes:
        return self.engine.serial().transcript

    def tail(self, lines: int = TAIL_LINES) -> str:
        text = self.transcript.decode("ascii", errors="backslashreplace")
        return "\n".join(text.splitlines()[-lines:])

    def poll(self) -> None:
        """Decode what the device sent since the last look (no virtual time passes)."""
        self._drain()

    def mark(self) -> int:
        """A position in the record list; ``events_since(mark)`` returns what came after."""
        self._drain()
        return len(self.stream.records)

    def events_since(self, mark: int) -> list[Event]:
        self._drain()
        return [r for r in self.stream.records[mark:] if isinstance(r, Event)]

    def _on_reset(self, cause: ResetCause) -> None:
        self._drain()
        rec = self.stream.restart()
        if rec is not None:
            self._publish([rec])

    def _publish(self, new: list[Record]) -> None:
        for rec in new:
            if self._events_log is not None:
                self._events_log.write(json.dumps(_record_json(rec)) + "\n")
            for listener in self._listeners:
                listener(rec)
        if self._events_log is not None:
            self._events_log.flush()

    def _drain(self) -> bool:
        data = self.engine.serial().read()
        if not data:
            return False
        if self._log is not None:
            self._log.write(data)
            self._log.flush()
        try:
            new = self.stream.feed(data)
        except EvidenceError as exc:
            self._break(str(exc))
            raise
        self._publish(new)
        return True

    def wait_for(
        self,
        name: str,
        budget_ms: int,
        where: EventPredicate | None = None,
        src: str | None = None,
    ) -> Event:
        """Run until an event ``name`` (optionally matching ``where``/``src``) arrives.

        Only events after the previous successful wait count. Raises DeviceTimeout with the
        pattern, the tail of the console and the log path when the budget runs out.
        """
        self._check()
        pred = where or (lambda e: True)
        found: list[Event] = []

        def scan() -> bool:
            self._drain()
            recs = self.stream.records
            while self._cursor < len(recs):
                rec = recs[self._cursor]
                self._cursor += 1
                if not isinstance(rec, Event):
                    continue
                for fname, fpred in self._forbidden:
                    if rec.name == fname and fpred(rec):
                        self._break(f"forbidden event: {rec.raw}")
                        raise ForbiddenEvent(
                            f"forbidden event {fname} appeared: {rec.raw}\n{self.tail()}"
                        )
                if rec.name == name and (src is None or rec.src == src) and pred(rec):
                    found.append(rec)
                    return True
            return False

        if scan():
            return found[0]
        if self.state is DeviceState.OFF:
            raise DeviceBroken(f"cannot wait for {name}: the device is powered off")
        result = self.engine.run(budget_ms * 1000, until=scan)
        self._after_run(result.reason)
        if found:
            return found[0]
        detail = f" ({result.reason.value}: {result.detail})" if result.detail else ""
        if result.reason is StopReason.LOCKUP:
            detail = f" (core locked up: {result.detail})"
        raise DeviceTimeout(
            f"event {name}" + (f" from {src}" if src else ""),
            f"{budget_ms} ms of virtual time{detail}",
            self.tail(),
            str(self.log_path) if self.log_path else None,
        )

    def run_for(self, budget_ms: int) -> StopReason:
        """Let the device run for a while (virtual time); returns why the run stopped."""
        self._check()
        result = self.engine.run(budget_ms * 1000)
        self._after_run(result.reason)
        return result.reason

    def run_until(self, cond: Callable[[], bool], budget_ms: int) -> RunResult:
        """Run until ``cond()`` (evaluated on new output, after decoding it) or the budget ends.

        The caller inspects ``cond``'s own findings; forbidden events are checked by waits."""
        self._check()
        self._drain()
        if cond():
            return RunResult(StopReason.CONDITION, self.engine.instructions, self.engine.time_ns)
        if self.state is DeviceState.OFF:
            raise DeviceBroken("cannot run: the device is powered off")

        def until() -> bool:
            self._drain()
            return cond()

        result = self.engine.run(budget_ms * 1000, until=until)
        self._after_run(result.reason)
        return result

    # -- OTA (details in hil.update and hil.link) ---------------------------------------------
    def smp(self) -> SmpSession:
        """The device's SMP client session (smpclient over the console UART, virtual time)."""
        if self._smp is None:
            from hil.link.smp_session import SmpSession

            self._smp = SmpSession(self)
        return self._smp

    def update(
        self, package: bytes, *, budget_ms: int = 60_000, reset: bool = True
    ) -> UpdateResult:
        """Upload ``package`` with smpclient (the device picks the slot and steers the offsets),
        then, if the device accepted it, send the SMP reset request."""
        from hil.update import update

        return update(self, package, budget_ms=budget_ms, reset=reset)

    def wait_outcome(self, since: int, budget_ms: int = 60_000) -> Outcome:
        """Run until the evidence after ``since`` (a ``mark()``) shows how an update ended."""
        from hil.update import wait_outcome

        return wait_outcome(self, since, budget_ms)

    def image_state(self) -> list[ImageState]:
        return self.smp().image_state()

    def reset_via_smp(self) -> None:
        self.smp().reset()

    def summary(self) -> DeviceSummary:
        """What the device's own evidence says: running slot/build, slot states, rescue.

        (Named ``summary`` because ``state`` is the device's power/broken state machine.)"""
        from hil.update import summarize

        return summarize(self.events, power=self.state.value)

    def _after_run(self, reason: StopReason) -> None:
        self._drain()
        if reason is StopReason.POWERED_OFF:
            self.state = DeviceState.OFF
        if reason is StopReason.HALTED and self.halt_raises:
            raise DeviceHalted("the core halted at a debug stop")

    def events_named(self, names: Iterable[str]) -> list[Event]:
        wanted = set(names)
        return [e for e in self.events if e.name in wanted]


def _record_json(rec: Record) -> dict[str, object]:
    if isinstance(rec, Event):
        return {"kind": "event", **rec.as_dict()}
    if isinstance(rec, Truncated):
        return {"kind": "truncated", "text": rec.text}
    if isinstance(rec, SmpLine):
        return {"kind": "smp", "bytes": len(rec.data)}
    assert isinstance(rec, Text)
    return {"kind": "text", "text": rec.text}
