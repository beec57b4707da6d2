"""The swap target's MCUmgr SMP server (firmware_stubs/swap/common/mgmt*.c) on the host, over
the flash simulator: the real smpclient drives it through its serial framing, raw requests
probe the img_mgmt rules (resume, offsets, overruns, refusals) and serial recovery's gates."""

from __future__ import annotations

import ctypes
import hashlib
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
from smp import header as smpheader
from smp import image_management as im
from smp import os_management as om
from smp import packet as smppacket
from smpclient import SMPClient
from smpclient.generics import success
from smpclient.requests.image_management import ImageStatesRead, ImageStatesWrite
from smpclient.requests.os_management import (
    BootloaderInformationRead,
    EchoWrite,
    ResetWrite,
)

from tests.smp_pipe import PipeSerial, run_client
from tests.swap.conftest import Images
from tests.swap.swap_harness import BOOT_OK, MAGIC_GOOD, SWAP_PERM, SWAP_TEST, SwapSim

CHIP = "stm32u585"


def device(lib: ctypes.CDLL, im1: bytes, recovery: bool = False) -> SwapSim:
    from tests.swap.swap_harness import Image

    sim = SwapSim(lib, CHIP)
    sim.provision(0, Image(im1, "", 0))
    assert sim.boot().rc == BOOT_OK
    lib.sh_mgmt_init(1 if recovery else 0)
    return sim


def client(sim: SwapSim, body: Callable[[SMPClient], Any]) -> Any:
    return run_client(PipeSerial(sim.mgmt_feed, sim.mgmt_take, max_line=128), body, "host")


def raw(sim: SwapSim, req: Any) -> dict[str, Any]:
    """Send one request message (an smp request model), return the decoded answer map."""
    sim.mgmt_take()
    sim.mgmt_feed(b"".join(smppacket.encode(req.BYTES, line_length=128)))
    out = sim.mgmt_take()
    assert out, "no answer"
    dec = smppacket.decode()
    next(dec)
    for line in out.split(b"\n"):
        if not line:
            continue
        try:
            dec.send(line + b"\n")
        except StopIteration as done:
            msg = bytes(done.value)
            hdr = smpheader.Header.loads(msg[:8])
            assert hdr.op in (smpheader.OP.READ_RSP, smpheader.OP.WRITE_RSP)
            return dict(cbor2.loads(msg[8:]))
    raise AssertionError(f"no complete frame in {out[:80]!r}")


def upload_all(sim: SwapSim, image: bytes, chunk: int = 400) -> dict[str, Any]:
    sha = hashlib.sha256(image).digest()
    ans = raw(sim, im.ImageUploadWriteRequest(off=0, data=image[:chunk], len=len(image), sha=sha))
    while "off" in ans and ans["off"] < len(image):
        off = ans["off"]
        ans = raw(sim, im.ImageUploadWriteRequest(off=off, data=image[off : off + chunk]))
    return ans


def test_smpclient_updates_the_app(
    swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    ims = images(CHIP)
    lib = swap_lib(CHIP)
    sim = device(lib, ims.v1.data)

    async def body(c: SMPClient) -> Any:
        echo = await c.request(EchoWrite(d="hello"))
        info = await c.request(BootloaderInformationRead())
        async for _ in c.upload(ims.v2.data):
            pass
        states = await c.request(ImageStatesRead())
        h = bytes([i for i in states.images if i.slot == 1][0].hash)
        marked = await c.request(ImageStatesWrite(hash=h, confirm=False))
        reset = await c.request(ResetWrite())
        return echo, info, states, marked, reset

    echo, info, states, marked, reset = client(sim, body)
    assert echo.r == "hello"
    assert info.bootloader == "MCUboot"
    s0, s1 = sorted(states.images, key=lambda i: i.slot)
    assert (s0.version, s0.active, s0.confirmed) == ("1.0.0.1", True, True)
    assert (s1.version, s1.pending, s1.confirmed) == ("1.1.0.2", False, False)
    assert bytes(s1.hash) == ims.v2.sha_tlv
    assert [i for i in marked.images if i.slot == 1][0].pending
    assert success(reset) and lib.sh_mgmt_resets() == 1
    assert sim.holds(1, ims.v2)
    out = sim.boot()
    assert out.swap_type == SWAP_TEST and sim.holds(0, ims.v2), sim.log


def test_bootloader_mode_query(
    swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    """Zephyr's documented answer to the "mode" query: {"mode", "no-downgrade"} at the top
    level (smpclient 7.3's response model wants a "bootloader" key there, so it is read raw)."""
    sim = device(swap_lib(CHIP), images(CHIP).v1.data)
    ans = raw(sim, om.BootloaderInformationReadRequest(query="mode"))
    assert ans == {"mode": 3, "no-downgrade": True}
    assert raw(sim, om.BootloaderInformationReadRequest()) == {"bootloader": "MCUboot"}
    assert raw(sim, om.MCUMgrParametersReadRequest()) == {"buf_size": 1024, "buf_count": 1}


def test_upload_rules(
    swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    ims = images(CHIP)
    sim = device(swap_lib(CHIP), ims.v1.data)
    img = ims.v2.data
    sha = hashlib.sha256(img).digest()
    # the first chunk must start with the image header, len must fit the slot
    ans = raw(sim, im.ImageUploadWriteRequest(off=0, data=b"\x00" * 64, len=len(img), sha=sha))
    assert ans == {"err": {"group": 1, "rc": 23}}
    ans = raw(sim, im.ImageUploadWriteRequest(off=0, data=img[:64], len=0x100000, sha=sha))
    assert ans == {"err": {"group": 1, "rc": 30}}
    # start, then an out-of-order chunk is answered with the expected offset, nothing written
    assert raw(sim, im.ImageUploadWriteRequest(off=0, data=img[:100], len=len(img), sha=sha)) == {
        "off": 100
    }
    assert raw(sim, im.ImageUploadWriteRequest(off=300, data=img[300:400])) == {"off": 100}
    # the same upload announced again (same len and sha) resumes where it is
    assert raw(sim, im.ImageUploadWriteRequest(off=0, data=img[:100], len=len(img), sha=sha)) == {
        "off": 100
    }
    # up to 50 bytes before the end, then data past len
    off = 100
    while off < len(img) - 50:
        n = min(400, len(img) - 50 - off)
        assert raw(sim, im.ImageUploadWriteRequest(off=off, data=img[off : off + n])) == {
            "off": off + n
        }
        off += n
    ans = raw(sim, im.ImageUploadWriteRequest(off=off, data=img[off:] + b"xx"))
    assert ans == {"err": {"group": 1, "rc": 31}}
    assert raw(sim, im.ImageUploadWriteRequest(off=off, data=img[off:])) == {"off": len(img)}
    assert sim.holds(1, ims.v2)
    # a resent last chunk of a finished upload is answered with the end
    assert raw(sim, im.ImageUploadWriteRequest(off=len(img) - 10, data=img[-10:])) == {
        "off": len(img)
    }
    # marked for test: a new upload is refused until it is swapped or erased
    ans = raw(sim, im.ImageStatesWriteRequest(hash=ims.v2.sha_tlv, confirm=False))
    assert [i for i in ans["images"] if i["slot"] == 1][0]["pending"] is True
    ans = raw(sim, im.ImageUploadWriteRequest(off=0, data=img[:100], len=len(img), sha=sha))
    assert ans == {"err": {"group": 1, "rc": 28}}
    assert raw(sim, im.ImageEraseRequest(slot=1)) == {}
    assert sim.trailer(1).magic != MAGIC_GOOD
    assert upload_all(sim, img) == {"off": len(img)}


def test_state_write_rules(
    swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    ims = images(CHIP)
    sim = device(swap_lib(CHIP), ims.v1.data)
    ans = raw(sim, im.ImageStatesWriteRequest(hash=b"\x01" * 32, confirm=False))
    assert ans == {"err": {"group": 1, "rc": 8}}
    ans = raw(sim, im.ImageStatesWriteRequest(hash=ims.v1.sha_tlv, confirm=False))
    assert ans == {"err": {"group": 1, "rc": 33}}
    # a tampered upload: marking it re-reads the slot and refuses
    bad = bytearray(ims.v2.data)
    bad[3000] ^= 0x40
    assert upload_all(sim, bytes(bad)) == {"off": len(bad)}
    ans = raw(sim, im.ImageStatesWriteRequest(hash=ims.v2.sha_tlv, confirm=False))
    assert ans == {"err": {"group": 1, "rc": 24}}
    assert sim.trailer(1).magic != MAGIC_GOOD
    # the running test image cannot be replaced before it confirms (the revert needs slot 1)
    sim.lib.sh_erase_range(sim.slot_addr(1), sim.image_area)
    assert upload_all(sim, ims.v2.data) == {"off": len(ims.v2.data)}
    raw(sim, im.ImageStatesWriteRequest(hash=ims.v2.sha_tlv, confirm=True))  # permanent
    assert sim.boot().swap_type == SWAP_PERM
    sim2 = device(sim.lib, ims.v1.data)
    assert upload_all(sim2, ims.v2.data) == {"off": len(ims.v2.data)}
    raw(sim2, im.ImageStatesWriteRequest(hash=ims.v2.sha_tlv, confirm=False))
    assert sim2.boot().swap_type == SWAP_TEST
    sim2.lib.sh_mgmt_init(0)
    ans = raw(sim2, im.ImageUploadWriteRequest(off=0, data=ims.v3.data[:64], len=len(ims.v3.data)))
    assert ans["rc"] == 6  # EBADSTATE: running image not confirmed
    ans = raw(sim2, im.ImageStatesWriteRequest(confirm=True))
    assert [i for i in ans["images"] if i["slot"] == 0][0]["confirmed"] is True


def test_bad_input_is_answered_or_dropped(
    swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    sim = device(swap_lib(CHIP), images(CHIP).v1.data)
    # unknown command: ENOTSUP
    req = om.TaskStatisticsReadRequest()
    assert raw(sim, req)["rc"] == 8
    # garbage and a bad CRC are dropped without an answer; the server still works after
    sim.mgmt_feed(b"\x06\x09!!!!notbase64\n" + b"hello\n" + b"\x04\x14AAAA\n")
    frame = bytearray(b"".join(smppacket.encode(om.EchoWriteRequest(d="x").BYTES)))
    frame[5] ^= 1
    sim.mgmt_feed(bytes(frame))
    assert sim.mgmt_take() == b""
    assert raw(sim, om.EchoWriteRequest(d="still here")) == {"r": "still here"}


def test_serial_recovery_validates_uploads(
    swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    ims = images(CHIP)
    lib = swap_lib(CHIP)
    sim = device(lib, ims.v1.data, recovery=True)
    sim.take_log()
    for bad, reason in (
        (ims.revoked, "E: Image 0 secondary slot: revoked key"),
        (ims.old, "E: Insufficient version in secondary slot"),
        (ims.unknown, "E: Image 0 secondary slot: unknown key"),
        (ims.low_cnt, "E: Image security counter value 0 lower than monotonic value 1"),
    ):
        ans = upload_all(sim, bad.data)
        assert ans.get("rc") == 11, ans  # EACCESSDENIED
        assert sim.trailer(1).magic != MAGIC_GOOD
        log = sim.take_log().splitlines()
        assert reason in log, log
        assert "E: Recovery image rejected" in log
    # state write is not offered in recovery
    assert raw(sim, im.ImageStatesWriteRequest(confirm=True))["rc"] == 8
    ans = upload_all(sim, ims.v2.data)
    assert ans == {"off": len(ims.v2.data)}
    st = sim.trailer(1)
    assert st.magic == MAGIC_GOOD
    assert "I: Recovery image accepted: permanent swap at the next boot" in sim.take_log()
    out = sim.boot()
    assert out.swap_type == SWAP_PERM and sim.holds(0, ims.v2)


@pytest.mark.parametrize("flag", ["SWAP_MUT_RECOVERY_NO_CHECKS"])
def test_recovery_mutant_accepts_a_revoked_image(
    flag: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    ims = images(CHIP)
    sim = device(swap_lib(CHIP, flag), ims.v1.data, recovery=True)
    assert upload_all(sim, ims.revoked.data) == {"off": len(ims.revoked.data)}
    assert sim.trailer(1).magic == MAGIC_GOOD
