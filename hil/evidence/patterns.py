"""Console patterns: a profile's regular expressions with named groups turn the firmware's own
log lines into evidence events (issue 12, route "patterns"). The first pattern that matches a
line wins; its named groups become the event's fields in the order of the regex."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hil.evidence.event import Event


@dataclass(frozen=True)
class CompiledPattern:
    event: str
    regex: re.Pattern[str]


class PatternSet:
    def __init__(self, patterns: Iterable[tuple[str, str]]) -> None:
        self.patterns: Sequence[CompiledPattern] = tuple(
            CompiledPattern(ev, re.compile(rx)) for ev, rx in patterns
        )

    def match(self, line: str, seq: int) -> Event | None:
        for p in self.patterns:
            m = p.regex.search(line)
            if m is not None:
                names = sorted(p.regex.groupindex, key=lambda n: p.regex.groupindex[n])
                fields = tuple((n, m.group(n) or "") for n in names)
                return Event(seq, "console", p.event, fields, line)
        return None

    def events(self, text: str, seq0: int = 0) -> list[Event]:
        """Every matching line of ``text`` (console output, ``\\r\\n`` or ``\\n`` lines)."""
        out: list[Event] = []
        for line in text.splitlines():
            ev = self.match(line.rstrip("\r"), seq0 + len(out))
            if ev is not None:
                out.append(ev)
        return out
