"""``VirtualSerialTransport`` / ``SmpSession``: the real smpclient, framing by smp.packet,
responses collected from the evidence stream, budgets in virtual time only."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest
from smp import error as smperr
from smpclient.requests.os_management import EchoWrite

from hil.errors import DeviceTimeout
from hil.evidence import Event, SmpLine, Text, format_line
from hil.link.smp_session import SmpSession, frame, smp_header
from tests.link.conftest import ServerDevice
from tests.smp.smp_harness import Device as CServer
from tests.smp.smp_harness import FakeFlash

IMAGE = random.Random(7).randbytes(20 * 1024 + 77)


def session(dev: ServerDevice, **kw: Any) -> SmpSession:
    return SmpSession(dev, **kw)


def test_connect_reads_params_and_sizes_messages(server_device: ServerDevice) -> None:
    s = session(server_device)
    assert s.transport.max_unencoded_size < 1020  # before the params: two 128-byte lines
    s.connect()
    assert s.transport.mtu == 1024
    assert s.transport.max_unencoded_size == 1020
    assert s.echo("hello") == "hello"


def test_upload_follows_device_offsets(server_device: ServerDevice, flash: FakeFlash) -> None:
    s = session(server_device)
    outcome = s.upload(IMAGE)
    assert outcome.complete and outcome.error is None
    assert flash.completed == IMAGE
    assert flash.sha == hashlib.sha256(IMAGE).digest()
    assert list(outcome.offsets) == sorted(outcome.offsets)
    # every line smpclient framed fits the 128-byte convention, every message the buffer
    assert all(0 < n <= 127 for n in server_device.server.line_lengths)


def test_upload_resumes_where_the_device_says(
    server_device: ServerDevice, flash: FakeFlash
) -> None:
    s = session(server_device)
    part = s.upload(IMAGE, stop_after=5)
    assert not part.complete and len(part.offsets) == 5
    again = s.upload(IMAGE)
    assert again.complete
    assert again.offsets[0] == part.offsets[-1]  # the device answered its resume point
    assert flash.completed == IMAGE


def test_device_error_is_returned_not_raised(server_device: ServerDevice, flash: FakeFlash) -> None:
    flash.slot_size = 1024
    outcome = session(server_device).upload(IMAGE)
    assert not outcome.complete and outcome.error is not None
    assert outcome.error.rc == 30  # v2 INVALID_IMAGE_TOO_LARGE


def test_console_text_and_evidence_between_frames(server_device: ServerDevice) -> None:
    server_device.console_text = (format_line(0, "app", "PONG", []) + "\r\ntext\r\n").encode()
    s = session(server_device)
    assert s.echo("mixed") == "mixed"
    kinds = {type(r) for r in server_device.stream.records}
    assert {SmpLine, Event, Text} <= kinds


def test_bad_crc_answered_with_ecorrupt(server_device: ServerDevice) -> None:
    s = session(server_device)
    s.connect()
    body = b"\xa1ad" + b"\x62hi"
    msg = smp_header(2, 0, 0, len(body), sequence=7) + body
    rsp = s.transact_raw(msg, crc_xor=0x1234)
    assert rsp.rc == smperr.MGMT_ERR.ECORRUPT
    assert rsp.header.sequence == 7
    assert s.echo("after") == "after"


def test_no_answer_is_a_virtual_time_timeout(server_device: ServerDevice) -> None:
    s = session(server_device, budget_ms=50)
    s.connect()
    server_device.silent = True
    before = server_device.time_ns
    with pytest.raises(DeviceTimeout) as exc:
        s.request(EchoWrite(d="lost"))
    assert "SMP response" in str(exc.value)
    assert server_device.time_ns - before >= 50_000_000


def test_frame_helper_matches_smp_packet() -> None:
    msg = bytes(range(200))
    assert frame(msg) == frame(msg, 128)
    assert frame(msg, crc_xor=1) != frame(msg)


def test_deterministic(smp_server_lib: Any) -> None:
    # (SMP sequence numbers come from a process-wide counter in smp, so bytes differ there;
    # virtual time, the number of lines and the answered offsets must not)
    def once() -> tuple[int, int, tuple[int, ...]]:
        dev = ServerDevice(CServer(smp_server_lib, FakeFlash()))
        s = session(dev)
        out = s.upload(IMAGE)
        lines = sum(isinstance(r, SmpLine) for r in dev.stream.records)
        return dev.time_ns, lines, out.offsets

    assert once() == once()
