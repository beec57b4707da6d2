"""The C SMP server (firmware_stubs/core/smp_server.c) driven by the real `smp` / `smpclient`
packages: requests are built by smpclient's request classes and framed exactly as its serial
transport frames them; responses are decoded and validated by the same library."""

from __future__ import annotations

import ctypes
import hashlib
import random

import cbor2
import pytest
from smp import error as smperr
from smp import header as smphdr
from smp import image_management as smpimg
from smp_harness import (
    SMP_RX_ERR_BASE64,
    SMP_RX_ERR_CRC,
    SMP_RX_ERR_ORPHAN,
    SMP_RX_ERR_TOO_LARGE,
    Device,
    FakeFlash,
    decode_frames,
    encode_request,
    frame,
    header,
    parse_response,
    run_client,
    transact,
    upload,
)
from smpclient.exceptions import SMPUploadError
from smpclient.generics import error, error_v1, error_v2, success
from smpclient.requests.image_management import (
    ImageErase,
    ImageStatesRead,
    ImageStatesWrite,
    ImageUploadWrite,
)
from smpclient.requests.os_management import (
    BootloaderInformationRead,
    EchoWrite,
    MCUMgrParametersRead,
    ResetWrite,
)

IMAGE = random.Random(4).randbytes(20 * 1024 + 123)
SHA = hashlib.sha256(IMAGE).digest()
OP_READ, OP_WRITE = 0, 2


@pytest.fixture
def flash() -> FakeFlash:
    return FakeFlash()


@pytest.fixture
def dev(smp_lib: ctypes.CDLL, flash: FakeFlash) -> Device:
    return Device(smp_lib, flash)


def assert_responsive(dev: Device) -> None:
    """A good request right after a bad one still succeeds."""
    rsp = transact(dev, EchoWrite(d="still here"))
    assert success(rsp) and rsp.r == "still here"


def rc_of(rsp: object) -> int:
    assert error_v1(rsp), rsp  # type: ignore[arg-type]
    return int(rsp.rc)  # type: ignore[attr-defined]


def raw_request(dev: Device, request: object, msg: bytes) -> object:
    """Send `msg` (a hand-built message standing for `request`) and parse the answer."""
    dev.feed(frame(msg))
    frames = decode_frames(dev.take_output())
    assert len(frames) == 1
    return parse_response(request, frames[0])


# ---- basic commands ----


def test_echo_params_state_reset(dev: Device, flash: FakeFlash) -> None:
    rsp = transact(dev, EchoWrite(d="hello"))
    assert success(rsp) and rsp.r == "hello"
    assert rsp.header.op == smphdr.OP.WRITE_RSP and rsp.header.version == smphdr.Version.V2

    params = transact(dev, MCUMgrParametersRead())
    assert success(params) and params.buf_size == 1024 and params.buf_count == 1

    states = transact(dev, ImageStatesRead())
    assert success(states)
    (img,) = states.images
    assert (img.slot, img.version, img.hash) == (0, "1.0.0.7", bytes(range(32)))
    assert (img.bootable, img.confirmed, img.active, img.pending) == (True, True, True, None)

    wr = transact(dev, ImageStatesWrite(hash=b"\x11" * 32))
    assert success(wr) and len(wr.images) == 1
    wr = transact(dev, ImageStatesWrite(confirm=True))
    assert success(wr)
    assert flash.state_writes == [(b"\x11" * 32, 0), (b"", 1)]

    assert flash.resets == 0
    rsp = transact(dev, ResetWrite())
    assert success(rsp)
    assert flash.resets == 1  # called after the response was emitted


def test_bootloader_info_answers_as_mcuboot(dev: Device) -> None:
    """os_mgmt bootloader info as Zephyr answers it for MCUboot (what MCUmgr clients use to
    auto-detect the bootloader): name, then mode (5 = DirectXIP with revert) on query."""
    rsp = transact(dev, BootloaderInformationRead())
    assert success(rsp) and rsp.bootloader == "MCUboot"
    # Zephyr answers the mode query without the "bootloader" key, which the smp package's
    # response model requires: read the raw answer
    dev.feed(frame(BootloaderInformationRead(query="mode").BYTES))
    (raw,) = decode_frames(dev.take_output())
    assert raw[0] & 7 == smphdr.OP.READ_RSP
    assert cbor2.loads(raw[8:]) == {"mode": 5, "no-downgrade": True}
    rsp = transact(dev, BootloaderInformationRead(query="colour"))
    assert error_v2(rsp) and (int(rsp.err.group), int(rsp.err.rc)) == (0, 3), rsp


def test_smp_v1_request_gets_v1_answers(dev: Device) -> None:
    rsp = transact(dev, EchoWrite(d="v1", version=smphdr.Version.V1))
    assert success(rsp) and rsp.header.version == smphdr.Version.V1
    # v1 error: {"rc", "rsn"}
    flash_small = dev.flash
    flash_small.slot_size = 100
    req = ImageUploadWrite(off=0, data=b"x", len=1000, version=smphdr.Version.V1)
    rsp = transact(dev, req)
    assert rc_of(rsp) == smperr.MGMT_ERR.EINVAL and rsp.rsn == "too large"


def test_reset_with_boot_mode_is_refused(dev: Device, flash: FakeFlash) -> None:
    rsp = transact(dev, ResetWrite(boot_mode=1))
    assert rc_of(rsp) == smperr.MGMT_ERR.ENOTSUP
    assert flash.resets == 0
    assert success(transact(dev, ResetWrite(force=1)))
    assert flash.resets == 1


def test_smpclient_connect_reads_params_and_echo(dev: Device) -> None:
    async def body(client):  # type: ignore[no-untyped-def]
        assert client._transport.max_unencoded_size == 1020
        return await client.request(EchoWrite(d="via SMPClient"))

    rsp = run_client(dev, body)
    assert success(rsp) and rsp.r == "via SMPClient"


def test_max_size_message_round_trips(dev: Device) -> None:
    probe = EchoWrite(d="")
    overhead = len(probe.BYTES)  # header + {"d": ""}
    d = "x" * (1020 - overhead - 2)  # 2 more bytes for the text length (>= 256)
    req = EchoWrite(d=d)
    assert len(req.BYTES) == 1020
    rsp = transact(dev, req)
    assert success(rsp) and rsp.r == d
    assert max(dev.line_lengths) <= 127


@pytest.mark.parametrize("line_length", [8, 20, 64, 128, 400])
def test_any_line_length_is_reassembled(dev: Device, line_length: int) -> None:
    req = EchoWrite(d=f"line length {line_length} " * 9)
    dev.feed(encode_request(req, line_length=line_length))
    (f,) = decode_frames(dev.take_output())
    assert parse_response(req, f).r == req.d


def test_indefinite_length_map_request(dev: Device) -> None:
    # older mcumgr clients send indefinite-length maps
    payload = b"\xbf" + cbor2.dumps("d") + cbor2.dumps("indef") + b"\xff"
    req = EchoWrite(d="indef")
    rsp = raw_request(dev, req, header(OP_WRITE, 0, 0, len(payload), req.header.sequence) + payload)
    assert success(rsp) and rsp.r == "indef"


# ---- uploads ----


def check_writes_contiguous(flash: FakeFlash) -> None:
    writes = [c for c in flash.calls if c[0] == "write"]
    pos = 0
    for _, off, n in writes:
        assert off == pos
        pos += n
    assert flash.violations == []


def test_upload_20k_byte_identical(dev: Device, flash: FakeFlash) -> None:
    offsets = run_client(dev, lambda c: upload(c, IMAGE))
    assert offsets[-1] == len(IMAGE)
    assert len(offsets) == 21  # ~996-byte chunks filling the 1024-byte buffer
    assert flash.completed == IMAGE
    begins = [c for c in flash.calls if c[0] == "begin"]
    assert begins == [("begin", 0, len(IMAGE), SHA, 0)]
    check_writes_contiguous(flash)
    assert flash.calls[-1] == ("end",)
    assert max(dev.line_lengths) <= 127


def test_upload_resumes_after_reboot(smp_lib: ctypes.CDLL, flash: FakeFlash) -> None:
    dev1 = Device(smp_lib, flash)
    first = run_client(dev1, lambda c: upload(c, IMAGE, stop_after=7))
    have = len(flash.data)
    assert have == first[-1] > 0 and flash.in_progress

    dev2 = Device(smp_lib, flash)  # reboot: server RAM state gone, progress kept by the app
    second = run_client(dev2, lambda c: upload(c, IMAGE))
    assert second[0] == have  # told the device's current offset, data of chunk 0 not rewritten
    assert second[-1] == len(IMAGE)
    assert flash.completed == IMAGE
    assert [c[0] for c in flash.calls].count("begin") == 1
    assert ("resume",) in flash.calls
    check_writes_contiguous(flash)


def test_upload_without_resume_support_restarts(smp_lib: ctypes.CDLL, flash: FakeFlash) -> None:
    run_client(Device(smp_lib, flash), lambda c: upload(c, IMAGE, stop_after=3))
    dev2 = Device(smp_lib, flash, resume=False)
    offsets = run_client(dev2, lambda c: upload(c, IMAGE))
    assert offsets[0] < 1024 and flash.completed == IMAGE


def test_out_of_order_offset_answers_expected(dev: Device, flash: FakeFlash) -> None:
    rsp = transact(dev, ImageUploadWrite(off=0, data=IMAGE[:500], len=len(IMAGE), sha=SHA))
    assert success(rsp) and rsp.off == 500
    nwrites = len(flash.calls)
    for bad in (0 + 1, 499, 501, 10_000, 2**32 - 1):
        rsp = transact(dev, ImageUploadWrite(off=bad, data=IMAGE[bad % len(IMAGE) :][:100]))
        assert success(rsp) and rsp.off == 500
    assert len(flash.calls) == nwrites  # nothing was written
    rsp = transact(dev, ImageUploadWrite(off=500, data=IMAGE[500:900]))
    assert success(rsp) and rsp.off == 900
    assert_responsive(dev)
    check_writes_contiguous(flash)


def test_chunk_without_session_answers_zero(dev: Device, flash: FakeFlash) -> None:
    rsp = transact(dev, ImageUploadWrite(off=4096, data=b"abc"))
    assert success(rsp) and rsp.off == 0
    assert not [c for c in flash.calls if c[0] == "write"]


def test_upload_larger_than_slot_v2_err(dev: Device, flash: FakeFlash) -> None:
    flash.slot_size = 8 * 1024

    async def body(client):  # type: ignore[no-untyped-def]
        with pytest.raises(SMPUploadError) as ei:
            await upload(client, IMAGE)
        return ei.value.args[0]

    rsp = run_client(dev, body)
    assert error_v2(rsp)
    assert rsp.err.group == smphdr.GroupId.IMAGE_MANAGEMENT
    assert rsp.err.rc == smpimg.IMG_MGMT_ERR.INVALID_IMAGE_TOO_LARGE
    assert flash.completed is None
    assert_responsive(dev)


def test_new_upload_while_half_done_is_busy(dev: Device, flash: FakeFlash) -> None:
    run_client(dev, lambda c: upload(c, IMAGE, stop_after=4))
    have = len(flash.data)
    other = bytes(reversed(IMAGE))
    other_sha = hashlib.sha256(other).digest()
    rsp = transact(dev, ImageUploadWrite(off=0, data=other[:100], len=len(other), sha=other_sha))
    assert rc_of(rsp) == smperr.MGMT_ERR.EBUSY
    rsp = transact(dev, ImageUploadWrite(off=0, data=other[:100], len=len(other)))  # no sha
    assert rc_of(rsp) == smperr.MGMT_ERR.EBUSY
    assert len(flash.data) == have and flash.data == IMAGE[:have]
    # the same image (same sha) resumes
    rsp = transact(dev, ImageUploadWrite(off=0, data=IMAGE[:100], len=len(IMAGE), sha=SHA))
    assert success(rsp) and rsp.off == have
    # erase abandons it; then the other image uploads
    assert success(transact(dev, ImageErase()))
    assert ("erase", 1) in flash.calls
    run_client(dev, lambda c: upload(c, other))
    assert flash.completed == other


def test_data_overrun_and_write_failure(dev: Device, flash: FakeFlash) -> None:
    rsp = transact(dev, ImageUploadWrite(off=0, data=b"a" * 10, len=20))
    assert success(rsp) and rsp.off == 10
    rsp = transact(dev, ImageUploadWrite(off=10, data=b"b" * 11))
    assert error_v2(rsp) and rsp.err.rc == smpimg.IMG_MGMT_ERR.INVALID_IMAGE_DATA_OVERRUN
    flash.fail_write_at = 10
    rsp = transact(dev, ImageUploadWrite(off=10, data=b"b" * 10))
    assert error_v2(rsp) and rsp.err.rc == smpimg.IMG_MGMT_ERR.FLASH_WRITE_FAILED
    rsp = transact(dev, ImageUploadWrite(off=10, data=b"b" * 10))  # retry the same chunk
    assert success(rsp) and rsp.off == 20
    assert flash.completed == b"a" * 10 + b"b" * 10


def test_sha_mismatch_at_end(dev: Device, flash: FakeFlash) -> None:
    rsp = transact(dev, ImageUploadWrite(off=0, data=b"abc", len=3, sha=b"\0" * 32))
    assert rc_of(rsp) == smperr.MGMT_ERR.ECORRUPT
    assert flash.completed is None
    # session dropped: a fresh upload starts over
    rsp = transact(dev, ImageUploadWrite(off=0, data=b"abc", len=3))
    assert success(rsp) and rsp.off == 3 and flash.completed == b"abc"


@pytest.mark.parametrize(
    "fields",
    [
        {"data": b"x", "len": 5},  # off missing
        {"off": 0, "len": 5},  # data missing
        {"off": 0, "data": b"x"},  # len missing on the first chunk
        {"off": 0, "data": b"x", "len": 0},
        {"off": "0", "data": b"x", "len": 5},  # wrong type
        {"off": 0, "data": "x", "len": 5},
        {"off": -1, "data": b"x", "len": 5},
        {"off": 2**32, "data": b"x", "len": 5},  # does not fit u32
        {"off": 0, "data": b"x", "len": 5, "sha": b""},
        {"off": 0, "data": b"x", "len": 5, "sha": b"s" * 33},
        {"off": 0, "data": b"x", "len": 5, "upgrade": 1},
    ],
)
def test_bad_upload_fields_are_einval(dev: Device, fields: dict[str, object]) -> None:
    payload = cbor2.dumps(fields)
    req = ImageUploadWrite(off=0, data=b"")
    msg = header(OP_WRITE, 1, 1, len(payload), req.header.sequence) + payload
    rsp = raw_request(dev, req, msg)
    assert error(rsp)
    assert rc_of(rsp) == smperr.MGMT_ERR.EINVAL
    assert_responsive(dev)


@pytest.mark.parametrize(
    "payload",
    [
        b"\xa1\x61",  # truncated map
        b"\xa1\x61d\x7a\xff\xff\xff\xff",  # text longer than the buffer
        b"\xa1\x61d\x1c",  # reserved additional info
        b"\xa1\x61d\x63ab",  # short string
        b"\x81\x00",  # not a map
        b"\xa2\x61d\x61a\x61d\x61b",  # duplicate key
        b"\xa1\x61d\x61a\x00",  # trailing bytes
        b"\xbb\xff\xff\xff\xff\xff\xff\xff\xff",  # absurd pair count
        b"\xa1\x01" + b"\x81" * 20 + b"\x00",  # non-text key, value nested too deep
        b"\xff",  # stray break
        b"\xa1\x61d\xf8\x10",  # bad two-byte simple value
    ],
)
def test_bad_cbor_is_einval(dev: Device, payload: bytes) -> None:
    req = EchoWrite(d="")
    msg = header(OP_WRITE, 0, 0, len(payload), req.header.sequence) + payload
    rsp = raw_request(dev, req, msg)
    assert rc_of(rsp) == smperr.MGMT_ERR.EINVAL
    assert_responsive(dev)


def test_header_problems(dev: Device) -> None:
    req = EchoWrite(d="")
    body = cbor2.dumps({"d": "x"})
    # length field disagrees with the frame
    rsp = raw_request(dev, req, header(OP_WRITE, 0, 0, len(body) + 1, req.header.sequence) + body)
    assert rc_of(rsp) == smperr.MGMT_ERR.EINVAL
    # unknown group / command / op
    for grp, cmd, op in ((9, 0, OP_WRITE), (0, 2, OP_READ), (1, 3, OP_READ), (0, 6, OP_WRITE)):
        dev.feed(frame(header(op, grp, cmd, 1, 0x33) + b"\xa0"))
        (f,) = decode_frames(dev.take_output())
        hdr = smphdr.Header.loads(f[:8])
        assert (hdr.group_id, hdr.command_id, hdr.op, hdr.sequence) == (grp, cmd, op + 1, 0x33)
        assert cbor2.loads(f[8:]) == {"rc": smperr.MGMT_ERR.ENOTSUP, "rsn": "not supported"}
    # SMP version 3
    msg = header(OP_WRITE, 0, 0, len(body), req.header.sequence, ver=3) + body
    rsp = raw_request(dev, req, msg)
    assert rc_of(rsp) == smperr.MGMT_ERR.UNSUPPORTED_TOO_NEW
    # responses (op 1/3) and runts are never answered
    for msg in (header(3, 0, 0, len(body)) + body, b"\x02\x00\x00"):
        dev.feed(frame(msg))
        assert dev.take_output() == b""
    assert_responsive(dev)


# ---- framing ----


def test_console_text_passes_through(dev: Device) -> None:
    text = b"EV 5 app PONG #0123abcd\r\nping\n\x06hello\n\x04\x15x\n\x01\x02\x03 junk\n"
    res = dev.feed(text)
    assert res == [] and dev.take_output() == b""
    assert b"EV 5 app PONG #0123abcd\r\nping\n" in dev.text
    assert b"hello\n" in dev.text and b"x\n" in dev.text
    assert_responsive(dev)


def test_garbage_smp_lines_are_dropped(dev: Device) -> None:
    assert dev.feed(b"\x06\x09!!!!not base64\n") == [SMP_RX_ERR_BASE64]
    assert dev.feed(b"\x06\x09AAA\n") == [SMP_RX_ERR_BASE64]  # not a multiple of 4
    assert dev.feed(b"\x06\x09AA==AAAA\n") == [SMP_RX_ERR_BASE64]  # data after padding
    assert dev.feed(b"\x04\x14AAAA\n") == [SMP_RX_ERR_ORPHAN]
    assert dev.take_output() == b""
    # a frame cut short by a new start line is dropped; the new one is answered
    req = EchoWrite(d="z" * 300)
    wire = encode_request(req)
    dev.feed(wire[: len(wire) // 2].rsplit(b"\n", 1)[0] + b"\n")
    assert dev.take_output() == b""
    assert_responsive(dev)


def test_bad_crc_answers_ecorrupt(dev: Device) -> None:
    req = EchoWrite(d="crc")
    lines = encode_request(req)
    # flip one bit of the message inside the base64 text: re-encode with a wrong CRC
    import base64
    import struct

    msg = req.BYTES
    blob = struct.pack("!H", len(msg) + 2) + msg + b"\x00\x00"
    bad = b"\x06\x09" + base64.b64encode(blob) + b"\n"
    assert bad != lines
    assert dev.feed(bad) == [SMP_RX_ERR_CRC]
    (f,) = decode_frames(dev.take_output())
    rsp = parse_response(req, f)
    assert rsp.header.sequence == req.header.sequence
    assert rc_of(rsp) == smperr.MGMT_ERR.ECORRUPT and rsp.rsn == "crc"
    assert_responsive(dev)


def test_frame_too_large_answers_emsgsize(dev: Device) -> None:
    req = EchoWrite(d="L" * 1500)
    assert dev.feed(encode_request(req)) == [SMP_RX_ERR_TOO_LARGE]
    (f,) = decode_frames(dev.take_output())
    rsp = parse_response(req, f)
    assert rc_of(rsp) == smperr.MGMT_ERR.EMSGSIZE
    # a declared length of 65535 with little data: waits, then a new frame supersedes it
    dev.feed(b"\x06\x09//8A\n")
    assert_responsive(dev)


def test_random_mutations_never_wedge_the_server(dev: Device, flash: FakeFlash) -> None:
    rnd = random.Random(7)
    seeds = [
        EchoWrite(d="fuzz").BYTES,
        ImageUploadWrite(off=0, data=b"d" * 40, len=40, sha=b"s" * 32, image=0, upgrade=0).BYTES,
        ImageStatesWrite(hash=b"h" * 32, confirm=True).BYTES,
        ImageStatesRead().BYTES,
        MCUMgrParametersRead().BYTES,
        ImageErase(slot=1).BYTES,
    ]
    for i in range(600):
        msg = bytearray(rnd.choice(seeds))
        for _ in range(rnd.randint(1, 4)):
            kind = rnd.random()
            pos = rnd.randrange(len(msg))
            if kind < 0.5:
                msg[pos] = rnd.randrange(256)
            elif kind < 0.75:
                del msg[pos : pos + rnd.randint(1, 4)]
            else:
                msg[pos:pos] = rnd.randbytes(rnd.randint(1, 4))
        if rnd.random() < 0.7 and len(msg) >= 8:  # keep the header length consistent
            msg[2:4] = (len(msg) - 8).to_bytes(2, "big")
        dev.feed(frame(bytes(msg)))
        for f in decode_frames(dev.take_output()):
            assert len(f) >= 8
        if i % 50 == 0:
            assert_responsive(dev)
    assert flash.violations == []
    assert_responsive(dev)
