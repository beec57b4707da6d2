"""The evidence line format: strict parsing, checksums, and the stream decoder."""

from __future__ import annotations

import pytest

from hil.errors import EvidenceError
from hil.evidence import EvidenceStream, Text, Truncated, checksum, format_line, parse_line


def _line(body: str) -> str:
    return f"{body} #{checksum(body)}"


def test_roundtrip() -> None:
    line = format_line(7, "boot", "REBOOT_REASON", [("cause", "power-on"), ("raw", "0x0c000000")])
    ev = parse_line(line)
    assert (ev.seq, ev.src, ev.name) == (7, "boot", "REBOOT_REASON")
    assert ev["cause"] == "power-on"
    assert ev.int("raw") == 0x0C000000
    assert ev.raw == line


def test_known_crc_value() -> None:
    # zlib.crc32(b"EV 0 boot X") computed independently of this module
    import zlib

    assert checksum("EV 0 boot X") == f"{zlib.crc32(b'EV 0 boot X'):08x}"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("EV 1 boot BOOT slot=A #00000000", "checksum mismatch"),
        ("EV 1 boot BOOT slot=A", "expected a checksum"),
        ("EV 1 boot BOOT slot=A #ZZZZZZZZ", "8 lowercase hex"),
        (_line("EV 01 boot BOOT"), "decimal sequence"),
        (_line("EV -1 boot BOOT"), "decimal sequence"),
        (_line("EV 4294967296 boot BOOT"), "< 2^32"),
        (_line("EV 1 kernel BOOT"), "expected source"),
        (_line("EV 1 boot boot"), "event name"),
        (_line("EV 1 boot BOOT slot"), "expected key=value"),
        (_line("EV 1 boot BOOT Slot=A"), "expected a key"),
        (_line("EV 1 boot BOOT slot=A slot=B"), "unique keys"),
        (_line("EV 1 boot BOOT slot=A,B"), "expected a value"),
        (_line("EV 1 boot BOOT slot="), "expected a value"),
        (_line("EV 1 boot  BOOT"), "single spaces"),
        (_line("EV 1 boot"), "tokens"),
        (
            _line(
                "EV 1 boot BOOT "
                + " ".join(f"{k}=" + "a" * 40 for k in "vwxyz")
                + " u=1234567890123456"
            ),
            "at most 255",
        ),
        (_line("EV 1 boot BOOT v=\x01"), "printable ASCII"),
    ],
)
def test_malformed_lines_are_rejected(line: str, reason: str) -> None:
    with pytest.raises(EvidenceError) as info:
        parse_line(line)
    assert reason in str(info.value)
    assert info.value.line == line


def test_single_bit_corruption_is_always_detected() -> None:
    line = format_line(42, "app", "BOOT", [("slot", "A"), ("build", "3"), ("state", "running")])
    data = bytearray(line.encode())
    for i in range(len(data)):
        for bit in range(7):
            corrupted = bytearray(data)
            corrupted[i] ^= 1 << bit
            text = corrupted.decode("ascii", errors="replace")
            if not text.startswith("EV "):
                continue
            with pytest.raises(EvidenceError):
                parse_line(text)


def test_format_refuses_what_the_format_cannot_carry() -> None:
    with pytest.raises(EvidenceError):
        format_line(1, "boot", "BOOT", [("slot", "A B")])


def test_stream_splits_text_events_and_partial_lines() -> None:
    s = EvidenceStream()
    ev = format_line(0, "boot", "LAYOUT", [("platform", "x")])
    got = s.feed(b"hello\r\n" + ev.encode()[:10])
    assert got == [Text("hello")]
    got = s.feed(ev.encode()[10:] + b"\r\n")
    assert [r.name for r in got] == ["LAYOUT"]  # type: ignore[union-attr]
    s.feed(b"EV 1 boot JU")
    cut = s.restart()
    assert cut == Truncated("EV 1 boot JU")
    assert s.restart() is None


def test_stream_raises_on_corrupted_event() -> None:
    s = EvidenceStream()
    with pytest.raises(EvidenceError):
        s.feed(b"EV 0 boot BOOT #00000000\r\n")


def test_stream_routes_smp_frames_apart() -> None:
    from hil.evidence import SmpLine

    s = EvidenceStream()
    got = s.feed(b"\x06\x09AAAA\n\x04\x14BBBB\nplain\n")
    assert got == [SmpLine(b"\x06\x09AAAA"), SmpLine(b"\x04\x14BBBB"), Text("plain")]
