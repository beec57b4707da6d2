"""Packet framing of the GDB remote serial protocol, and packet handling without a debugger."""

from __future__ import annotations

import pytest

from hil.gdb.rsp import Decoder, checksum, escape, frame, unescape
from hil.gdb.server import REGISTERS, target_xml


def test_checksum_is_the_byte_sum_modulo_256() -> None:
    assert checksum(b"") == 0
    assert checksum(b"OK") == 0x9A
    assert checksum(b"\xff\x02") == 0x01


def test_frame_appends_two_lowercase_hex_digits() -> None:
    assert frame(b"OK") == b"$OK#9a"
    assert frame(b"") == b"$#00"
    assert frame(b"qSupported") == b"$qSupported#37"


@pytest.mark.parametrize("data", [b"plain", b"a#b$c}d*e", bytes(range(256))])
def test_escape_round_trips_and_hides_framing_bytes(data: bytes) -> None:
    escaped = escape(data)
    assert unescape(escaped) == data
    assert b"#" not in escaped and b"$" not in escaped and b"*" not in escaped


def test_decoder_splits_packets_drops_acks_and_reports_interrupts() -> None:
    dec = Decoder()
    units = dec.feed(b"+$g#67+\x03$m0,4#fd")
    assert [(u.payload, u.valid, u.interrupt) for u in units] == [
        (b"g", True, False),
        (b"", True, True),
        (b"m0,4", True, False),
    ]


def test_decoder_waits_for_a_split_packet_and_flags_bad_checksums() -> None:
    dec = Decoder()
    assert dec.feed(b"$qC#") == []
    assert dec.feed(b"b") == []
    unit, bad = dec.feed(b"4$g#00")
    assert (unit.payload, unit.valid) == (b"qC", True)
    assert (bad.payload, bad.valid) == (b"g", False)


def test_target_description_is_m_profile_with_pc_and_xpsr() -> None:
    xml = target_xml()
    assert '<feature name="org.gnu.gdb.arm.m-profile">' in xml
    names = [name for name, _ in REGISTERS]
    assert names[:17] == [f"r{i}" for i in range(13)] + ["sp", "lr", "pc", "xpsr"]
    for name in names:
        assert f'name="{name}"' in xml
