"""The evidence line format, defined once for Python (its C twin is firmware_stubs/core/evidence.c).

    EV <seq> <src> <NAME> [<key>=<value> ...] #<crc>

``crc`` is CRC-32/ISO-HDLC (zlib.crc32) of every byte before `` #``, as 8 lowercase hex digits.
The parser is strict: a line that starts with ``EV `` and breaks any rule raises
``EvidenceError`` with the rule it broke. It never repairs or guesses.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

from hil.errors import EvidenceError
from hil.evidence.event import Event
from hil.evidence.vocab import Src

PREFIX = "EV "
MAX_LINE = 255  # bytes, excluding the line terminator
SOURCES = (Src.BOOT, Src.APP, Src.RESCUE)
SEQ_MAX = 2**32 - 1

_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,15}")
_VALUE = re.compile(r"[A-Za-z0-9_.:+\-]{1,40}")
_SEQ = re.compile(r"0|[1-9][0-9]{0,9}")
_CRC = re.compile(r"[0-9a-f]{8}")


def checksum(body: str) -> str:
    return f"{zlib.crc32(body.encode('ascii')) & 0xFFFFFFFF:08x}"


def is_evidence(line: str) -> bool:
    """True for lines that claim to be evidence (and so must parse)."""
    return line.startswith(PREFIX)


def format_line(seq: int, src: str, name: str, fields: Iterable[tuple[str, str]] = ()) -> str:
    """Build a line (no terminator); EvidenceError for values the format cannot carry."""
    pairs = list(fields)
    parts = [PREFIX.strip(), str(seq), src, name, *(f"{k}={v}" for k, v in pairs)]
    body = " ".join(parts)
    line = f"{body} #{checksum(body)}"
    parse_line(line)  # the single source of the rules
    return line


def parse_line(line: str) -> Event:
    """Parse one evidence line (terminator already removed)."""
    if not is_evidence(line):
        raise EvidenceError(line, f"expected a line starting with {PREFIX!r}")
    if len(line) > MAX_LINE:
        raise EvidenceError(line, f"expected at most {MAX_LINE} bytes, found {len(line)}")
    if not line.isascii() or not line.isprintable():
        raise EvidenceError(line, "expected printable ASCII only, found other bytes")
    body, sep, crc = line.rpartition(" #")
    if not sep:
        raise EvidenceError(line, "expected a checksum ' #xxxxxxxx' at the end, found none")
    if not _CRC.fullmatch(crc):
        raise EvidenceError(line, f"expected 8 lowercase hex digits of checksum, found {crc!r}")
    expected = checksum(body)
    if crc != expected:
        raise EvidenceError(line, f"checksum mismatch: line says {crc}, content gives {expected}")
    tokens = body.split(" ")
    if any(t == "" for t in tokens):
        raise EvidenceError(line, "expected single spaces between tokens, found an empty token")
    if len(tokens) < 4:
        raise EvidenceError(line, f"expected 'EV <seq> <src> <NAME>', found {len(tokens)} tokens")
    _, seq_s, src, name = tokens[:4]
    if not _SEQ.fullmatch(seq_s) or int(seq_s) > SEQ_MAX:
        raise EvidenceError(line, f"expected a decimal sequence number < 2^32, found {seq_s!r}")
    if src not in SOURCES:
        raise EvidenceError(line, f"expected source one of {', '.join(SOURCES)}, found {src!r}")
    if not _NAME.fullmatch(name):
        raise EvidenceError(line, f"expected an event name [A-Z][A-Z0-9_]*, found {name!r}")
    fields: list[tuple[str, str]] = []
    seen: set[str] = set()
    for tok in tokens[4:]:
        key, eq, value = tok.partition("=")
        if not eq:
            raise EvidenceError(line, f"expected key=value, found {tok!r}")
        if not _KEY.fullmatch(key):
            raise EvidenceError(line, f"expected a key [a-z][a-z0-9_]*, found {key!r}")
        if not _VALUE.fullmatch(value):
            raise EvidenceError(line, f"expected a value of [A-Za-z0-9_.:+-], found {value!r}")
        if key in seen:
            raise EvidenceError(line, f"expected unique keys, found '{key}' twice")
        seen.add(key)
        fields.append((key, value))
    return Event(seq=int(seq_s), src=src, name=name, fields=tuple(fields), raw=line)
