"""Issue 4: bad SMP input on the device's console UART. Each is answered with an SMP error (or,
for undecodable lines, dropped as the contract says) while the device stays responsive, and the
confirmed image still boots afterwards (judged from the device's BOOT evidence)."""

from __future__ import annotations

import hashlib

import cbor2
from smp import error as smperr
from smpclient.generics import error, success
from smpclient.requests.image_management import ImageUploadWrite

from hil.device import Device
from hil.evidence import Event
from hil.image.builder import slot_size
from hil.link.smp_session import smp_header
from hil.scenarios import Bench, fresh, package, reboot, target
from hil.update import update_client

OP_WRITE = 2
GROUP_OS, ECHO = 0, 0


def echo_message(text: str, seq: int = 1) -> bytes:
    body = cbor2.dumps({"d": text})
    return smp_header(OP_WRITE, GROUP_OS, ECHO, len(body), seq) + body


def assert_responsive(dev: Device) -> None:
    assert update_client(dev).smp.echo("still here") == "still here"


def assert_confirmed_boots(bench: Bench, dev: Device) -> None:
    """Reset: the factory image (build 1, slot A) boots, with no boot test of anything else."""
    mark = dev.mark()
    boot = reboot(bench, dev)
    after = dev.events_since(mark)
    assert (boot.name, boot.get("slot"), boot.get("build")) == ("BOOT", "A", "1"), boot
    assert not [e for e in after if e.name == "SLOT_TRANSITION" and e.get("to") == "BOOT_TEST"]


def pending(events: list[Event]) -> list[Event]:
    return [e for e in events if e.name == "SLOT_TRANSITION" and e.get("to") == "PENDING"]


def test_garbage_lines_are_dropped(bench: Bench) -> None:
    dev = fresh(bench)
    s = update_client(dev).smp
    s.send_raw(b"\x06\x09!!!! not base64 !!!!\n")  # bad base64 in a frame line
    s.send_raw(b"\x04\x14QUJDRA==\n")  # continuation line without a frame
    s.send_raw(b"\x06\x09AAE=\n")  # declared length < 2
    s.send_raw(bytes(range(0x80, 0x100)) + b"\n")  # binary console junk
    assert_responsive(dev)
    assert_confirmed_boots(bench, dev)


def test_bad_crc_is_ecorrupt(bench: Bench) -> None:
    dev = fresh(bench)
    rsp = update_client(dev).smp.transact_raw(echo_message("x", seq=9), crc_xor=0x0101)
    assert rsp.rc == smperr.MGMT_ERR.ECORRUPT
    assert rsp.header.sequence == 9
    assert_responsive(dev)
    assert_confirmed_boots(bench, dev)


def test_frame_too_large_is_emsgsize(bench: Bench) -> None:
    dev = fresh(bench)
    rsp = update_client(dev).smp.transact_raw(echo_message("y" * 1100))
    assert rsp.rc == smperr.MGMT_ERR.EMSGSIZE
    assert_responsive(dev)
    assert_confirmed_boots(bench, dev)


def test_offsets_out_of_order_are_steered_back(bench: Bench) -> None:
    dev = fresh(bench)
    s = update_client(dev).smp
    pkg = package(bench, 2, target(dev))
    first = s.request(
        ImageUploadWrite(
            off=0, data=pkg[:512], len=len(pkg), sha=hashlib.sha256(pkg).digest(), image=0
        )
    )
    assert success(first), first
    expected = first.off
    skip = max(1, expected - 4096)  # the device answers where it wants the next byte
    wrong = s.request(ImageUploadWrite(off=skip, data=pkg[skip : skip + 256]))
    assert success(wrong) and wrong.off == expected  # not written: the device says where to go
    back = s.request(ImageUploadWrite(off=1, data=pkg[1:64]))
    assert success(back) and back.off == expected
    # the device still accepts the package when the client follows its offsets
    res = update_client(dev).update(pkg, budget_ms=bench.update_ms, reset=False)
    assert res.upload.complete, res.upload
    assert pending(list(res.events)), res.events


def test_data_past_len_is_refused(bench: Bench) -> None:
    dev = fresh(bench)
    pkg = package(bench, 2, target(dev))
    rsp = update_client(dev).smp.request(ImageUploadWrite(off=0, data=pkg[:600], len=300, image=0))
    assert error(rsp), rsp
    assert_responsive(dev)
    assert_confirmed_boots(bench, dev)


def test_upload_past_the_slot_size_is_refused(bench: Bench) -> None:
    dev = fresh(bench)
    slot = target(dev)
    pkg = package(bench, 2, slot)
    room = slot_size(bench.platform, slot)
    rsp = update_client(dev).smp.request(
        ImageUploadWrite(off=0, data=pkg[:512], len=room + 4096, sha=bytes(32), image=0)
    )
    assert error(rsp), rsp
    oversize = package(bench, 2, slot, variant="oversize")  # header claims a slot-sized payload
    res = update_client(dev).update(oversize, budget_ms=bench.update_ms)
    assert res.upload.error is not None and not res.reset_sent
    assert not pending(list(res.events))
    assert_responsive(dev)
    assert_confirmed_boots(bench, dev)


def test_upload_cut_off_midway(bench: Bench) -> None:
    dev = fresh(bench)
    pkg = package(bench, 2, target(dev))
    mark = dev.mark()
    part = update_client(dev).smp.upload(pkg, stop_after=4)
    assert not part.complete
    assert not pending(dev.events_since(mark))
    assert_responsive(dev)
    assert_confirmed_boots(bench, dev)
