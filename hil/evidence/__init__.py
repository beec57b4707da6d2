"""Device evidence: the line format, a strict parser, the stream decoder, the vocabulary every
reader shares, what a wait matches and the device's state as its evidence describes it."""

from hil.evidence.event import Event
from hil.evidence.line import checksum, format_line, is_evidence, parse_line
from hil.evidence.match import Hit, Match, compile_match, on_events
from hil.evidence.stream import EvidenceStream, Record, SmpLine, Text, Truncated
from hil.evidence.summary import DeviceSummary, other_slot, summarize
from hil.evidence.vocab import Outcome

__all__ = [
    "DeviceSummary",
    "Event",
    "EvidenceStream",
    "Hit",
    "Match",
    "Outcome",
    "Record",
    "SmpLine",
    "Text",
    "Truncated",
    "checksum",
    "compile_match",
    "format_line",
    "is_evidence",
    "on_events",
    "other_slot",
    "parse_line",
    "summarize",
]
