"""Turn the console byte stream into evidence events and console text, strictly.

The device may lose power in the middle of a line. Only the harness knows where the device
restarted (it is told by the engine), so it calls ``restart()`` there: the unfinished line
before it is kept as a ``Truncated`` record. Everywhere else a malformed evidence line raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from hil.errors import EvidenceError
from hil.evidence.event import Event
from hil.evidence.line import is_evidence, parse_line


@dataclass(frozen=True)
class Text:
    """A console line that is not evidence."""

    text: str


@dataclass(frozen=True)
class SmpLine:
    """One MCUmgr SMP serial-framing line (starts 0x06 0x09 or 0x04 0x14), for the SMP link."""

    data: bytes


@dataclass(frozen=True)
class Truncated:
    """An unfinished line cut off by a device restart."""

    text: str


Record = Event | Text | Truncated | SmpLine

SMP_MARKERS = (b"\x06\x09", b"\x04\x14")


class EvidenceStream:
    """Incremental decoder. ``feed`` bytes, iterate the records it completed."""

    def __init__(self) -> None:
        self._pending = bytearray()
        self.records: list[Record] = []

    def feed(self, data: bytes) -> list[Record]:
        self._pending.extend(data)
        out: list[Record] = []
        while True:
            nl = self._pending.find(b"\n")
            if nl < 0:
                break
            raw = bytes(self._pending[:nl])
            del self._pending[: nl + 1]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            out.append(self._decode(raw))
        self.records.extend(out)
        return out

    def restart(self) -> Truncated | None:
        """The device restarted: close the unfinished line, if any."""
        if not self._pending:
            return None
        rec = Truncated(self._pending.decode("ascii", errors="backslashreplace"))
        self._pending.clear()
        self.records.append(rec)
        return rec

    @staticmethod
    def _decode(raw: bytes) -> Record:
        if raw.startswith(SMP_MARKERS):
            return SmpLine(raw)
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            shown = raw.decode("ascii", errors="backslashreplace")
            if shown.startswith("EV "):
                raise EvidenceError(shown, "expected ASCII only, found non-ASCII bytes") from None
            return Text(shown)
        if is_evidence(text):
            return parse_line(text)
        return Text(text)

    def events(self) -> Iterator[Event]:
        return (r for r in self.records if isinstance(r, Event))
