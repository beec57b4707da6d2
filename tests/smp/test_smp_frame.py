"""SMP serial framing and CBOR primitives in C (smp_frame.c, cbor.c) against the `smp` package's
own encoder/decoder (smp.packet), crcmod's CRC-16/XMODEM, Python's base64 and cbor2."""

from __future__ import annotations

import base64
import ctypes
import random

import cbor2
import pytest
from smp import packet as smppacket
from smp_harness import EMIT


def test_crc16_xmodem_matches_smp(smp_lib: ctypes.CDLL) -> None:
    assert smp_lib.smp_crc16_xmodem(0, b"123456789", 9) == 0x31C3
    rnd = random.Random(1)
    for n in (0, 1, 7, 100, 1020):
        data = rnd.randbytes(n)
        assert smp_lib.smp_crc16_xmodem(0, data, n) == smppacket.crc16_func(data)


def test_base64_matches_python(smp_lib: ctypes.CDLL) -> None:
    rnd = random.Random(2)
    for n in range(0, 80):
        data = rnd.randbytes(n)
        out = ctypes.create_string_buffer(200)
        k = smp_lib.smp_b64_encode(data, n, out, 200)
        assert out.raw[:k] == base64.b64encode(data)
        back = ctypes.create_string_buffer(200)
        m = smp_lib.smp_b64_decode(out.raw[:k], k, back, 200)
        assert back.raw[:m] == data
    out = ctypes.create_string_buffer(8)
    assert smp_lib.smp_b64_encode(b"abcdefg", 7, out, 8) == -1  # needs 12
    for bad in (b"A", b"AB=C", b"=AAA", b"AA==AAAA", b"AA*A", b"AAAAA"):
        assert smp_lib.smp_b64_decode(bad, len(bad), out, 8) == -1, bad


@pytest.mark.parametrize("size", [0, 1, 89, 90, 91, 92, 93, 200, 512, 1019, 1020])
def test_encoder_output_decodes_with_smp(smp_lib: ctypes.CDLL, size: int) -> None:
    msg = random.Random(size).randbytes(size)
    lines: list[bytes] = []

    @EMIT
    def emit(_ctx, ptr, n):  # type: ignore[no-untyped-def]
        lines.append(ctypes.string_at(ptr, n))

    count = smp_lib.smp_frame_encode(msg, size, emit, None)
    assert count == len(lines) >= 1
    assert all(len(line) <= 127 and line.endswith(b"\n") for line in lines)
    assert lines[0][:2] == b"\x06\x09" and all(line[:2] == b"\x04\x14" for line in lines[1:])
    # the same bytes smp.packet.encode produces for 127-byte lines (one base64 stream)
    assert b"".join(lines) == b"".join(smppacket.encode(msg, line_length=128))
    decoder = smppacket.decode()
    next(decoder)
    with pytest.raises(StopIteration) as si:
        for line in lines:
            decoder.send(line)
    assert si.value.value == msg


def test_encoder_refuses_oversize(smp_lib: ctypes.CDLL) -> None:
    @EMIT
    def emit(_ctx, ptr, n):  # type: ignore[no-untyped-def]
        raise AssertionError("nothing may be emitted")

    assert smp_lib.smp_frame_encode(b"x" * 1021, 1021, emit, None) == -1


class Reader(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("len", ctypes.c_size_t), ("pos", ctypes.c_size_t)]


def skip(lib: ctypes.CDLL, data: bytes) -> tuple[int, int]:
    r = Reader()
    buf = ctypes.create_string_buffer(data, len(data))
    assert lib.cbor_reader_init(ctypes.byref(r), buf, len(data)) == 0
    rc = lib.cbor_skip(ctypes.byref(r))
    return rc, r.pos


def test_cbor_skip_consumes_exactly_one_item(smp_lib: ctypes.CDLL) -> None:
    items = [
        0,
        23,
        24,
        2**32,
        2**64 - 1,
        -1,
        -(2**64),
        b"",
        b"x" * 300,
        "t",
        [],
        [1, [2, [3]]],
        {"a": {"b": [1, 2, {"c": b"d"}]}},
        True,
        None,
        1.5,
        1e300,
        cbor2.CBORTag(42, [1]),
    ]
    for item in items:
        enc = cbor2.dumps(item)
        assert skip(smp_lib, enc + b"\x00") == (0, len(enc)), item
        for cut in range(len(enc)):  # every truncation is an error, never a read past the end
            rc, pos = skip(smp_lib, enc[:cut])
            assert rc < 0 and pos <= cut
    # indefinite-length items
    for enc in (b"\x9f\x01\x02\xff", b"\xbf\x61a\x01\xff", b"\x5f\x41a\x41b\xff", b"\x7f\x61a\xff"):
        assert skip(smp_lib, enc) == (0, len(enc))
    assert skip(smp_lib, b"\x5f\x01\xff")[0] < 0  # bad chunk type
    assert skip(smp_lib, b"\x81" * 8 + b"\x00")[0] == 0
    assert skip(smp_lib, b"\x81" * 9 + b"\x00")[0] == -6  # CBOR_ERR_DEPTH
    assert skip(smp_lib, b"\x9b" + b"\xff" * 8)[0] == -2  # huge count: CBOR_ERR_EOF


def test_cbor_skip_random_bytes_stay_in_bounds(smp_lib: ctypes.CDLL) -> None:
    rnd = random.Random(3)
    for _ in range(3000):
        data = rnd.randbytes(rnd.randint(0, 24))
        rc, pos = skip(smp_lib, data)
        assert pos <= len(data)
        if rc == 0:
            # what C accepted is well-formed (cbor2 may still refuse it on semantics: UTF-8,
            # tag content, which the C decoder deliberately does not check)
            try:
                cbor2.loads(data[:pos])
            except cbor2.CBORDecodeError as e:
                msg = str(e)
                assert "premature" not in msg and "subtype" not in msg and "break" not in msg, e
