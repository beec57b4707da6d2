"""Console and evidence keywords: a terminal tester on the console UART (Renode's
``Create Terminal Tester`` / ``Wait For Line On Uart``), events, their absence, the timeline."""

from __future__ import annotations

import re
from collections.abc import Callable

from robot.api import logger
from robot.api.deco import keyword

from hil.evidence import Event, Record
from hil.evidence.match import line_of
from hil.monitor.commands import event_match
from hil.report.timeline import timeline_text
from hil.robot._base import RobotFailure, SessionHolder, timeout_ms


class ConsoleKeywords(SessionHolder):
    @keyword("Create Terminal Tester")
    def create_terminal_tester(
        self, uart: str = "console", timeout: str | None = None, machine: str | None = None
    ) -> int:
        """Watch the target's console UART (the only UART the harness models: ``console``, also
        spelled ``sysbus.console``); ``timeout`` (seconds of virtual time) becomes the default
        of the waiting keywords. Returns the tester ID (always 0), as Renode does."""
        if uart not in ("console", "sysbus.console"):
            raise RobotFailure(f"unknown uart {uart!r}; known: console")
        if machine not in (None, "", "target"):
            raise RobotFailure(f"unknown machine {machine!r}; known: target")
        self.default_timeout_ms = timeout_ms(timeout, self.default_timeout_ms)
        return 0

    @keyword("Wait For Line On Uart")
    def wait_for_line_on_uart(
        self,
        content: str,
        timeout: str | None = None,
        testerId: int | None = None,  # noqa: N803 - Renode's argument names
        treatAsRegex: bool = False,  # noqa: N803
    ) -> str:
        """Wait for a console line containing ``content`` (a regex with
        ``treatAsRegex=true``), Renode's argument order; returns the line. Lines that arrived
        since the previous wait count first, then the target runs. Fails naming the pattern
        and the console tail."""
        if testerId not in (None, 0):
            raise RobotFailure(f"unknown tester {testerId}; known: 0 (the console)")
        pattern = content if treatAsRegex else re.escape(content)
        rx = re.compile(pattern)

        def seen(rec: Record) -> bool:
            line = line_of(rec)
            return line is not None and rx.search(line) is not None

        ms = timeout_ms(timeout, self.default_timeout_ms)
        return self._wait(seen, f"run until line {_quote(pattern)} within={ms}")

    def _wait(self, match: Callable[[Record], bool], command: str) -> str:
        """Renode's tester semantics: what arrived since the previous wait counts first, then
        the target runs (the monitor's ``run until``); the wait consumes up to its match."""
        dev = self.session.device
        records = dev.records
        start = min(self.__dict__.get("_cursor", 0), len(records))
        for i in range(start, len(records)):
            if match(records[i]):
                self.__dict__["_cursor"] = i + 1
                return (line_of(records[i]) or "").strip()
        reply = self._command(command)
        last = reply.splitlines()[-1]
        records = dev.records
        self.__dict__["_cursor"] = len(records)
        if not last.startswith("stopped at"):
            raise RobotFailure(f"{command.removeprefix('run until ')}: {last}\n{dev.tail()}")
        return last.split(": ", 1)[-1]

    @keyword("Wait For Event")
    def wait_for_event(self, name: str, *fields: str, timeout: str | None = None) -> str:
        """Run until the device emits event ``name`` with the given ``key=value`` fields (or
        bare values); returns the event line."""
        ms = timeout_ms(timeout, self.default_timeout_ms)
        words = [f for f in fields if "=" not in f]
        opts = dict(f.split("=", 1) for f in fields if "=" in f)
        match, _ = event_match([name, *words], opts)
        text = " ".join(_quote(f) for f in fields)
        return self._wait(match, f"run until {name} {text} within={ms}".replace("  ", " "))

    @keyword("Should Not See Event")
    def should_not_see_event(self, name: str, *fields: str, timeout: str | None = None) -> None:
        """Run for ``timeout`` (default: do not run, check the evidence so far) and fail if
        event ``name`` (with the fields) appeared since the target was loaded."""
        if timeout:
            self._command(f"run for {timeout_ms(timeout, 0)}")
        bad = [e for e in self.session.device.events if _matches(e, name, fields)]
        if bad:
            raise RobotFailure(f"event {name} appeared: {bad[0].raw.strip()}")

    @keyword("Log Timeline")
    def log_timeline(self) -> str:
        """Log (and return) the timeline of the device's events."""
        text = timeline_text(self.session.device.events)
        logger.info(text)
        return text

    @keyword("Slot State Should Be")
    def slot_state_should_be(self, slot: str, state: str) -> None:
        """The device's own evidence says slot ``slot`` is in ``state`` (e.g. CONFIRMED)."""
        got = self.session.device.summary().slots.get(slot)
        if got != state:
            raise RobotFailure(f"slot {slot}: expected {state}, evidence says {got}")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'" if re.search(r"[\s'\"\\]", text) else text


def _matches(rec: Record, name: str, fields: tuple[str, ...]) -> bool:
    if not isinstance(rec, Event) or rec.name != name:
        return False
    for f in fields:
        k, eq, v = f.partition("=")
        if eq and rec.get(k) != v:
            return False
        if not eq and f not in {val for _, val in rec.fields}:
            return False
    return True
