"""Device evidence: the line format, a strict parser and the stream decoder."""

from hil.evidence.event import Event
from hil.evidence.line import checksum, format_line, is_evidence, parse_line
from hil.evidence.stream import EvidenceStream, Record, SmpLine, Text, Truncated

__all__ = [
    "Event",
    "EvidenceStream",
    "Record",
    "SmpLine",
    "Text",
    "Truncated",
    "checksum",
    "format_line",
    "is_evidence",
    "parse_line",
]
