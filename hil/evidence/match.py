"""What ``expect`` waits for: a pattern over the device's decoded records, and where it was
found.

A pattern is an event name (``"BOOT"``, optionally from one source), a compiled regular
expression searched in every console line (evidence lines as received, text, truncated
lines), or a predicate over records (it may keep state: it sees each record once, in order).
Every pattern has a description, which is what a failed wait names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hil.evidence.event import Event
from hil.evidence.stream import Record, SmpLine, Text, Truncated

Match = str | re.Pattern[str] | Callable[[Record], bool]
Matcher = Callable[[Record], bool]


@dataclass(frozen=True)
class Hit:
    """The record a wait found, and its index in the device's record list."""

    record: Record
    index: int

    @property
    def event(self) -> Event:
        if not isinstance(self.record, Event):
            raise TypeError(f"expected an event, found {self.record!r}")
        return self.record

    @property
    def after(self) -> int:
        """The mark right after the hit (where a following wait starts)."""
        return self.index + 1


def on_events(pred: Callable[[Event], bool]) -> Matcher:
    """A record predicate from an event predicate (other records never match)."""

    def match(rec: Record) -> bool:
        return isinstance(rec, Event) and pred(rec)

    match.__name__ = getattr(pred, "__name__", "events")
    return match


def line_of(rec: Record) -> str | None:
    """The console line a record came from (None for SMP frames)."""
    if isinstance(rec, Event):
        return rec.raw
    if isinstance(rec, Text | Truncated):
        return rec.text
    assert isinstance(rec, SmpLine)
    return None


def compile_match(
    match: Match, *, src: str | None = None, what: str | None = None
) -> tuple[Matcher, str]:
    """The predicate of ``match`` and its description (``what`` overrides it)."""
    if isinstance(match, str):
        name = match

        def by_name(rec: Record) -> bool:
            return isinstance(rec, Event) and rec.name == name and (src is None or rec.src == src)

        return by_name, what or f"event {name}" + (f" from {src}" if src else "")
    if isinstance(match, re.Pattern):
        pattern = match

        def by_line(rec: Record) -> bool:
            line = line_of(rec)
            return line is not None and pattern.search(line) is not None

        return by_line, what or f"a line matching {pattern.pattern!r}"
    return match, what or str(getattr(match, "__name__", None) or repr(match))


__all__ = ["Hit", "Match", "Matcher", "compile_match", "line_of", "on_events"]
