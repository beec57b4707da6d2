"""A target as a user sees it: power, reset, console, and waiting on the device's own evidence.

The device is a small state machine: OFF -> RUNNING, and BROKEN once something unrecoverable
happened (engine crash, corrupted evidence, forbidden event). A broken device refuses further
operations and keeps the reason. Everything the device prints is written to its log as it
arrives, so nothing is lost when a wait fails.

One wait primitive: ``expect(match, budget_ms, since=mark)`` runs the device (virtual time)
until a decoded record matches; its failure names the pattern, the tail of the console and the
log path. OTA (SMP uploads, outcomes) is a client of the device: ``hil.update``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import IO

from hil.engine.base import Engine, ResetCause, RunResult, StopReason
from hil.errors import DeviceTimeout, EvidenceError, HilError
from hil.evidence import (
    DeviceSummary,
    Event,
    EvidenceStream,
    Hit,
    Match,
    Record,
    SmpLine,
    Text,
    Truncated,
    compile_match,
    summarize,
)
from hil.provision import FactoryImage, program


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


class ExpectTimeout(DeviceTimeout):
    """``expect`` ended without a match; ``reason`` is why the device stopped running."""

    def __init__(
        self, waited_for: str, budget: str, tail: str, log_path: str | None, reason: StopReason
    ) -> None:
        super().__init__(waited_for, budget, tail, log_path)
        self.reason = reason


class RunMeter:
    """Where a device's time goes (``hil bench``): virtual instructions and wall seconds spent
    inside the engine's ``run``, the caller's conditions excluded. Only runs started while the
    meter is attached count."""

    def __init__(self) -> None:
        self.instructions = 0
        self.emu_s = 0.0

    def run(self, engine: Engine, budget_us: int, until: Callable[[], bool] | None) -> RunResult:
        inner = [0.0]
        timed: Callable[[], bool] | None = None
        if until is not None:
            cond = until

            def timed() -> bool:
                t = time.perf_counter()
                try:
                    return cond()
                finally:
                    inner[0] += time.perf_counter() - t

        t0, i0 = time.perf_counter(), engine.instructions
        try:
            return engine.run(budget_us, timed)
        finally:
            self.emu_s += time.perf_counter() - t0 - inner[0]
            self.instructions += engine.instructions - i0


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
        self.halt_raises = False  # raise DeviceHalted when a run stops at a debug halt
        self.meter: RunMeter | None = None  # attach one to measure (hil bench), else None
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

    @property
    def time_ns(self) -> int:
        """Virtual time of the device (the engine's)."""
        return self.engine.time_ns

    # -- waiting --------------------------------------------------------------------------------
    def expect(
        self,
        match: Match,
        budget_ms: int,
        *,
        since: int | None = None,
        src: str | None = None,
        what: str | None = None,
    ) -> Hit:
        """Run the device until a record matches ``match`` (an event name, optionally from
        ``src``; a compiled regex searched in each console line; or a predicate over records);
        return where.

        ``since`` is a ``mark()``: records from there on count. Without it, only records after
        the previous wait that did not give ``since`` count (each such wait consumes what it
        read). A forbidden event among the records read fails the wait at once. When the
        budget (virtual time) runs out, or the device stops running (power cut, lockup, halt),
        raises ``ExpectTimeout`` naming the pattern (``what``, default the pattern's own
        description), the tail of the console and the log path.
        """
        self._check()
        matches, pattern = compile_match(match, src=src, what=what)
        consume = since is None
        cursor = [self._cursor if since is None else since]
        found: list[Hit] = []

        def scan() -> bool:
            self._drain()
            recs = self.stream.records
            i = cursor[0]
            try:
                while i < len(recs):
                    rec = recs[i]
                    i += 1
                    if isinstance(rec, Event) and self._forbidden:
                        self._refuse(rec)
                    if matches(rec):
                        found.append(Hit(rec, i - 1))
                        return True
                return False
            finally:
                cursor[0] = i
                if consume:
                    self._cursor = i

        if scan():
            return found[0]
        if self.state is DeviceState.OFF:
            raise DeviceBroken(f"cannot wait for {pattern}: the device is powered off")
        result = self._run(budget_ms * 1000, scan)
        self._after_run(result.reason)
        if found:
            return found[0]
        detail = f" ({result.reason.value}: {result.detail})" if result.detail else ""
        if result.reason is StopReason.LOCKUP:
            detail = f" (core locked up: {result.detail})"
        raise ExpectTimeout(
            pattern,
            f"{budget_ms} ms of virtual time{detail}",
            self.tail(),
            str(self.log_path) if self.log_path else None,
            result.reason,
        )

    def _refuse(self, rec: Event) -> None:
        for fname, fpred in self._forbidden:
            if rec.name == fname and fpred(rec):
                self._break(f"forbidden event: {rec.raw}")
                raise ForbiddenEvent(f"forbidden event {fname} appeared: {rec.raw}\n{self.tail()}")

    def wait_for(
        self,
        name: str,
        budget_ms: int,
        where: EventPredicate | None = None,
        src: str | None = None,
    ) -> Event:
        """Run until an event ``name`` (optionally matching ``where``/``src``) arrives: an
        ``expect`` that consumes what it read (only events after the previous wait count)."""
        if where is None:
            return self.expect(name, budget_ms, src=src).event
        pred = where

        def match(rec: Record) -> bool:
            return (
                isinstance(rec, Event)
                and rec.name == name
                and (src is None or rec.src == src)
                and pred(rec)
            )

        what = f"event {name}" + (f" from {src}" if src else "")
        return self.expect(match, budget_ms, what=what).event

    def run_for(self, budget_ms: int) -> StopReason:
        """Let the device run for a while (virtual time); returns why the run stopped."""
        self._check()
        result = self._run(budget_ms * 1000, None)
        self._after_run(result.reason)
        return result.reason

    def _run(self, budget_us: int, until: Callable[[], bool] | None) -> RunResult:
        meter = self.meter
        if meter is None:
            return self.engine.run(budget_us, until)
        return meter.run(self.engine, budget_us, until)

    def summary(self) -> DeviceSummary:
        """What the device's own evidence says: running slot/build, slot states, rescue.

        (Named ``summary`` because ``state`` is the device's power/broken state machine.)"""
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
