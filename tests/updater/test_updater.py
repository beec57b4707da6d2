"""Updater (core/updater.c) on the host: real signed images uploaded by the real smpclient
through the C SMP server into the flash simulator, on both chips' flash rules (contracts §8)."""

from __future__ import annotations

import ctypes
import struct

import pytest
from smpclient.exceptions import SMPUploadError
from smpclient.requests.image_management import ImageStatesRead, ImageStatesWrite
from upd_harness import Device, image_id, upload

from hil.update.client import package_hash
from tests.meta.cmeta import SLOT_A, SLOT_B, SLOT_NONE, ST_CONFIRMED, ST_PENDING, ST_STAGING

PLATFORMS = ["stm32u585", "lpc55s69"]


@pytest.fixture(params=PLATFORMS)
def dev(request: pytest.FixtureRequest, updlib: ctypes.CDLL) -> Device:
    d = Device(updlib, request.param)
    d.provision(build=1)
    d.boot(SLOT_A, 1)
    return d


def tlv_off(image: bytes) -> int:
    hdr = struct.unpack_from("<H", image, 8)[0]
    return hdr + struct.unpack_from("<I", image, 12)[0]


def slot_bytes(dev: Device, slot: int, n: int) -> bytes:
    buf = ctypes.create_string_buffer(n)
    assert dev.lib.h_raw(dev.lib.h_slot_addr(slot), buf, n) == 0
    return buf.raw


def test_normal_upload_steers_tlv_first(dev: Device) -> None:
    img = dev.image(2, "B")
    offsets, err = upload(dev, img)
    assert err is None, (err, dev.names())
    t = tlv_off(img)
    assert offsets[0] == t, offsets  # TLV areas first
    assert offsets[-1] == len(img)
    back = offsets.index(next(o for o in offsets if o < t))
    assert all(o >= t for o in offsets[:back]) and offsets[back] < t  # then back to the payload
    assert dev.transitions() == [
        ("IDLE", "DOWNLOADING", "B"),
        ("DOWNLOADING", "VERIFYING", "B"),
        ("VERIFYING", "STAGING", "B"),
        ("STAGING", "PENDING", "B"),
    ]
    # the steps without a state of their own are announced right before they start
    tail = [str(e) for e in dev.events if e.name in ("SLOT_TRANSITION", "PHASE")][-4:]
    assert tail == [
        "SLOT_TRANSITION from=VERIFYING to=STAGING slot=B attempt=0",
        "PHASE name=re_verify",
        "PHASE name=meta_commit",
        "SLOT_TRANSITION from=STAGING to=PENDING slot=B attempt=0",
    ]
    assert not dev.find("RESUME")  # a new upload
    chunks = dev.find("CHUNK")
    assert [c.get("index") for c in chunks] == [str(i) for i in range(len(chunks))]
    assert all(c.get("result") == "ok" for c in chunks)
    assert dev.find("VERIFY_SIG", result="ok")
    assert dev.find("PARSE_MANIFEST", result="ok", build="2", slot="B")
    rec = dev.record()
    assert rec.state[SLOT_B] == ST_PENDING and rec.next == SLOT_B
    assert rec.state[SLOT_A] == ST_CONFIRMED and rec.active == SLOT_A
    assert rec.build[SLOT_B] == 2 and rec.image_id[SLOT_B] == image_id(img, dev.hdr)
    assert rec.up_slot == SLOT_NONE and rec.floor == 0  # floor rises only at confirm
    assert slot_bytes(dev, SLOT_B, len(img)) == img


def smp_request(dev: Device, req: object) -> object:
    """One request through the same framing as smpclient, parsed like SMPClient.request."""
    from smp import packet as smppacket

    dev.feed(b"".join(smppacket.encode(req.BYTES, line_length=128)))  # type: ignore[attr-defined]
    frames = []
    decoder = None
    for line in dev.take_smp().splitlines(keepends=True):
        if line.startswith(smppacket.START_DELIMITER):
            decoder = smppacket.decode()
            next(decoder)
        assert decoder is not None
        try:
            decoder.send(line)
        except StopIteration as e:
            frames.append(e.value)
            decoder = None
    assert len(frames) == 1, frames
    for cls in (req._Response, req._ErrorV1, req._ErrorV2):  # type: ignore[attr-defined]
        try:
            return cls.loads(frames[0])
        except Exception:  # noqa: BLE001
            continue
    raise AssertionError(frames[0].hex())


def write_req(off: int, data: bytes, **kw: object) -> object:
    from smpclient.requests.image_management import ImageUploadWrite

    return ImageUploadWrite(off=off, data=data, **kw)


def nothing_pending(dev: Device) -> None:
    rec = dev.record()
    assert ST_PENDING not in tuple(rec.state), tuple(rec.state)
    assert rec.next == rec.active == SLOT_A
    assert not [t for t in dev.transitions() if t[1] in ("PENDING", "BOOT_TEST")]


def test_resume_after_reboot(dev: Device) -> None:
    img = dev.image(2, "B", size=20000)
    offsets, err = upload(dev, img, stop_after=12)  # cut off midway (client gone)
    assert err is None and offsets[-1] < len(img)
    chunks_before = [int(c.get("index")) for c in dev.find("CHUNK", result="ok")]
    assert chunks_before
    rec = dev.record()
    assert rec.state[SLOT_B] == ST_STAGING and rec.up_slot == SLOT_B
    assert rec.up_offset == dev.hdr + 1024 * len(chunks_before)
    dev.boot(SLOT_A, 1)  # simulated reset: RAM state gone, flash and metadata kept
    dev.events.clear()
    offsets, err = upload(dev, img)
    assert err is None, (err, dev.names())
    t = tlv_off(img)
    assert offsets[0] == t
    # after the TLV areas the device steers straight to the recorded resume point
    assert rec.up_offset in offsets and all(o >= rec.up_offset for o in offsets[1:])
    resumed = [int(c.get("index")) for c in dev.find("CHUNK")]
    assert resumed[0] == len(chunks_before) and resumed == sorted(resumed)
    (res,) = dev.find("RESUME")  # the chunk it accepts next and the offset it answers
    assert res.fields == {"chunk": str(len(chunks_before)), "offset": str(rec.up_offset)}
    assert dev.events.index(res) < dev.events.index(dev.find("CHUNK")[0])
    assert not dev.find("SLOT_TRANSITION", to="DOWNLOADING")  # same session, resumed
    assert dev.transitions()[-1] == ("STAGING", "PENDING", "B")
    assert slot_bytes(dev, SLOT_B, len(img)) == img


def test_resume_after_power_cut_mid_program(dev: Device) -> None:
    """A power cut in the middle of a unit program: the torn page is found on resume, the
    progress is rewound to its page start when needed (committed first), and the upload
    completes with every chunk verified."""
    img = dev.image(2, "B", size=20000)
    offsets, err = upload(dev, img, stop_after=8)
    assert err is None
    dev.lib.h_cut(5, 1234, 1)  # torn op 5 of the next request(s)
    upload(dev, img, stop_after=3)
    assert dev.lib.h_dead()
    dev.boot(SLOT_A, 1)
    offsets, err = upload(dev, img)
    assert err is None, (err, dev.names())
    assert dev.transitions()[-1] == ("STAGING", "PENDING", "B")
    assert slot_bytes(dev, SLOT_B, len(img)) == img


def test_resume_with_other_image_starts_over(dev: Device) -> None:
    img = dev.image(2, "B", size=20000)
    upload(dev, img, stop_after=10)
    dev.boot(SLOT_A, 1)
    other = dev.image(3, "B", size=15000)
    offsets, err = upload(dev, other)
    assert err is None
    assert dev.find("SLOT_TRANSITION", to="DOWNLOADING")[-1].get("slot") == "B"
    assert len(dev.find("SLOT_TRANSITION", to="DOWNLOADING")) == 2
    assert dev.record().build[SLOT_B] == 3
    assert slot_bytes(dev, SLOT_B, len(other)) == other


def test_chunk_check_bad_then_retry(dev: Device) -> None:
    """A chunk whose bytes differ from the signed chunk map: CHUNK result=bad, SMP error, the
    resume point stays; the client's retry of the same upload continues from it."""
    from smp import image_management as smpimg

    img = bytearray(dev.image(2, "B", size=12000))
    good = bytes(img)
    t = tlv_off(good)
    bad_at = dev.hdr + 1024 + 100  # in chunk 1
    img[bad_at] ^= 0xFF
    offsets, err = upload(dev, bytes(img))
    assert err is not None
    assert dev.find("CHUNK", index="0", result="ok") and dev.find("CHUNK", index="1", result="bad")
    assert dev.record().up_offset == dev.hdr + 1024
    nothing_pending(dev)
    # the same session continues (same sha): the client now sends good bytes from the resume point
    rsp = smp_request(
        dev,
        write_req(
            0, good[:200], len=len(good), sha=__import__("hashlib").sha256(bytes(img)).digest()
        ),
    )
    assert isinstance(rsp, smpimg.ImageUploadWriteResponse) and rsp.off == dev.hdr + 1024
    off = rsp.off
    while off != len(good):
        rsp = smp_request(dev, write_req(off, good[off : off + 512]))
        assert isinstance(rsp, smpimg.ImageUploadWriteResponse), rsp
        off = rsp.off
    # the session's sha was that of the bad file: the slot holds the good one, match is false
    assert rsp.match is False  # type: ignore[attr-defined]
    assert dev.transitions()[-1] == ("VERIFYING", "STAGING", "B")  # staged, not marked
    rsp = smp_request(dev, ImageStatesWrite(hash=package_hash(good), confirm=False))
    assert isinstance(rsp, smpimg.ImageStatesWriteResponse), rsp
    assert dev.transitions()[-1] == ("STAGING", "PENDING", "B")
    assert t > 0


@pytest.mark.parametrize(
    ("variant", "event", "code"),
    [
        ("forged-signature-same-id", "VERIFY_SIG", "bad_signature"),
        ("signature-bitflip", "VERIFY_SIG", "bad_signature"),
        ("revoked-key", "VERIFY_SIG", "key_revoked"),
        ("unsigned", "PARSE_MANIFEST", "missing_field"),  # no KEYHASH (§7 clarification 1)
        ("tampered-build", "VERIFY_SIG", "hash_mismatch"),
        ("tlv-overrun", "PARSE_MANIFEST", "tlv_overrun"),
        ("tlv-magic", "PARSE_MANIFEST", "tlv_magic"),
        ("chunk-map", "PARSE_MANIFEST", "chunk_map"),
        ("missing-field", "PARSE_MANIFEST", "missing_field"),
        ("bad-field", "PARSE_MANIFEST", "bad_field"),
        ("bad-magic", "PARSE_MANIFEST", "bad_magic"),
        ("bad-header", "PARSE_MANIFEST", "bad_header"),
        ("wrong-hardware", "PARSE_MANIFEST", "hw_mismatch"),
        ("wrong-slot", "PARSE_MANIFEST", "wrong_slot"),
        ("wrong-type", "PARSE_MANIFEST", "wrong_type"),
        ("chunk-hash-signed", "CHUNK", None),
        ("trailing-data", "PARSE_MANIFEST", "trailing_data"),
    ],
)
def test_bad_variants_refused(dev: Device, variant: str, event: str, code: str | None) -> None:
    from hil.image.builder import spec_for_platform
    from hil.image.variants import build_variant, make_context

    payload = bytes((i * 7) & 0xFF for i in range(9000))
    spec = spec_for_platform(dev.plat, payload, 2, dev.keys.signer, "B", chunk_size=1024)
    ctx = make_context(spec, dev.plat.layout.areas["slot_b"].size, dev.keys)
    pkg = build_variant(variant, ctx)
    offsets, err = upload(dev, pkg)
    assert err is not None, (variant, dev.names())
    fails = [e for e in dev.events if e.name == event and e.get("result") in ("fail", "bad")]
    assert fails, (variant, dev.names())
    if code is not None:
        assert fails[-1].get("error_code") == code, (variant, dev.names())
    # the device's reason travels in the SMP answer (rsn), not only on the console
    assert isinstance(err, SMPUploadError), err
    assert err.args[0].rsn == (code or "chunk_hash"), err
    if event == "VERIFY_SIG":
        assert fails[-1].get("key_id", "").startswith("0x")
    assert dev.find("SLOT_TRANSITION", to="REJECTED") or event == "CHUNK"
    nothing_pending(dev)


@pytest.mark.parametrize(("build", "floor", "code"), [(1, 0, "replay"), (2, 3, "below_floor")])
def test_freshness_refused_after_signature(
    updlib: ctypes.CDLL, build: int, floor: int, code: str
) -> None:
    dev = Device(updlib, "stm32u585")
    dev.provision(build=3 if floor else 1, floor=floor)
    dev.boot(SLOT_A, 3 if floor else 1)
    img = dev.image(build, "B")
    offsets, err = upload(dev, img)
    assert err is not None
    names = [e.name for e in dev.events]
    vs = names.index("VERIFY_SIG")
    assert dev.events[vs].get("result") == "ok"
    pm = dev.events[names.index("PARSE_MANIFEST", vs)]
    assert (pm.get("result"), pm.get("error_code"), pm.get("build")) == ("fail", code, str(build))
    assert isinstance(err, SMPUploadError) and err.args[0].rsn == code, err
    nothing_pending(dev)


def test_garbage_and_bad_frames_are_harmless(dev: Device) -> None:
    from smpclient.requests.os_management import EchoWrite

    dev.feed(b"\x06\x09!!!!not base64\n\x04\x14AAAA\nhello\n\x06\x09" + b"A" * 3000 + b"\n")
    good = b"".join(__import__("smp.packet", fromlist=["x"]).encode(EchoWrite(d="x").BYTES))
    bad = bytearray(good)
    bad[10] ^= 0x01
    dev.feed(bytes(bad))
    rsp = smp_request(dev, EchoWrite(d="hi"))
    assert rsp.r == "hi"  # type: ignore[attr-defined]
    assert dev.record().state[SLOT_B] != ST_STAGING
    assert not dev.find("SLOT_TRANSITION")


def test_too_large_and_past_the_slot(dev: Device) -> None:
    from smp import image_management as smpimg

    size = dev.plat.layout.areas["slot_b"].size
    rsp = smp_request(
        dev, write_req(0, b"\x3d\xb8\xf3\x96" + bytes(60), len=size + 1, sha=bytes(32))
    )
    assert not isinstance(rsp, smpimg.ImageUploadWriteResponse)
    assert dev.find("PARSE_MANIFEST", result="fail", error_code="too_large")
    # a header whose img_size runs past the slot
    hdr = struct.pack("<IIHHIIBBHII", 0x96F3B83D, 0, dev.hdr, 0, size, 0, 1, 0, 0, 2, 0)
    rsp = smp_request(dev, write_req(0, hdr + bytes(100), len=4096, sha=bytes(range(32))))
    assert not isinstance(rsp, smpimg.ImageUploadWriteResponse)
    assert dev.find("PARSE_MANIFEST", result="fail", error_code="too_large")
    nothing_pending(dev)


def test_out_of_order_offsets_are_steered(dev: Device) -> None:
    from smp import image_management as smpimg

    img = dev.image(2, "B")
    sha = __import__("hashlib").sha256(img).digest()
    rsp = smp_request(dev, write_req(0, img[:300], len=len(img), sha=sha))
    assert isinstance(rsp, smpimg.ImageUploadWriteResponse) and rsp.off == tlv_off(img)
    rsp = smp_request(dev, write_req(300, img[300:600]))  # not where it was steered: ignored
    assert isinstance(rsp, smpimg.ImageUploadWriteResponse) and rsp.off == tlv_off(img)
    rsp = smp_request(dev, write_req(len(img) + 10, b"xx"))
    assert isinstance(rsp, smpimg.ImageUploadWriteResponse) and rsp.off == tlv_off(img)
    # a different upload while this one is in progress: busy
    rsp = smp_request(dev, write_req(0, img[:64], len=len(img) - 1, sha=bytes(32)))
    assert not isinstance(rsp, smpimg.ImageUploadWriteResponse)
    nothing_pending(dev)


def test_write_gated(dev: Device) -> None:
    img = dev.image(2, "B", size=12000)
    upload(dev, img, stop_after=6)
    dev.lib.h_gate(1)
    offsets, err = upload(dev, img)
    assert err is not None
    gated = dev.find("WRITE_GATED")
    assert gated and gated[0].get("operation") in ("erase", "program")
    assert gated[0].get("address", "").startswith("0x")
    dev.lib.h_gate(0)
    offsets, err = upload(dev, img)  # recovery once the supply is back
    assert err is None, dev.names()
    assert dev.transitions()[-1] == ("STAGING", "PENDING", "B")


def test_upload_refused_during_trial_boot(dev: Device) -> None:
    img = dev.image(2, "B")
    assert upload(dev, img)[1] is None
    dev.boot(SLOT_B, 2)  # the PENDING image on its boot test: nothing may overwrite it
    offsets, err = upload(dev, dev.image(3, "A"))
    assert err is not None
    assert dev.record().state[SLOT_B] == ST_PENDING


def test_image_state_and_reset(dev: Device) -> None:
    from smp import os_management as smpos
    from smpclient.requests.image_management import ImageStatesRead
    from smpclient.requests.os_management import ResetWrite

    img = dev.image(2, "B")
    assert upload(dev, img)[1] is None
    rsp = smp_request(dev, ImageStatesRead())
    states = {s.slot: s for s in rsp.images}  # type: ignore[attr-defined]
    assert states[0].confirmed and states[0].active and states[0].version.endswith(".1")
    assert states[1].pending and not states[1].confirmed and states[1].version.endswith(".2")
    import hashlib

    assert (
        states[1].hash
        == hashlib.sha256(img[: tlv_off(img) + struct.unpack_from("<H", img, 10)[0]]).digest()
    )
    before = dev.lib.h_resets()
    rsp = smp_request(dev, ResetWrite())
    assert isinstance(rsp, smpos.ResetWriteResponse)
    assert dev.lib.h_resets() == before + 1  # after the response was sent


def test_upload_leaves_image_unmarked_until_test(dev: Device) -> None:
    """MCUboot's img_mgmt: the upload stages the image (final answer with `match`); the state
    write with confirm=false and the image hash marks it for test (STAGING->PENDING then)."""
    import hashlib

    from smp import image_management as smpimg

    img = dev.image(2, "B")
    offsets, err = upload(dev, img, test=False)
    assert err is None and offsets[-1] == len(img), (err, dev.names())
    assert dev.transitions()[-1] == ("VERIFYING", "STAGING", "B")
    assert all(e.get("name") not in ("re_verify", "meta_commit") for e in dev.find("PHASE"))
    rec = dev.record()
    assert rec.state[SLOT_B] != ST_PENDING and rec.next == SLOT_A
    states = {s.slot: s for s in smp_request(dev, ImageStatesRead()).images}  # type: ignore[attr-defined]
    assert not states[1].pending and not states[1].confirmed
    # confirm=true of an image never tested: refused with the reason
    rsp = smp_request(dev, ImageStatesWrite(hash=package_hash(img), confirm=True))
    assert getattr(rsp, "rsn", None) == "test first", rsp
    # an unknown hash: no such image
    rsp = smp_request(dev, ImageStatesWrite(hash=bytes(32), confirm=False))
    assert not isinstance(rsp, smpimg.ImageStatesWriteResponse), rsp
    assert dev.transitions()[-1] == ("VERIFYING", "STAGING", "B")
    # test: re-verify, commit, PENDING; the answer shows it pending
    rsp = smp_request(dev, ImageStatesWrite(hash=package_hash(img), confirm=False))
    assert isinstance(rsp, smpimg.ImageStatesWriteResponse), rsp
    assert {s.slot: s for s in rsp.images}[1].pending
    tail = [str(e) for e in dev.events if e.name in ("SLOT_TRANSITION", "PHASE")][-3:]
    assert tail == [
        "PHASE name=re_verify",
        "PHASE name=meta_commit",
        "SLOT_TRANSITION from=STAGING to=PENDING slot=B attempt=0",
    ]
    rec = dev.record()
    assert rec.state[SLOT_B] == ST_PENDING and rec.next == SLOT_B
    n = len(dev.events)  # a second test request changes nothing
    rsp = smp_request(dev, ImageStatesWrite(hash=package_hash(img), confirm=False))
    assert isinstance(rsp, smpimg.ImageStatesWriteResponse) and len(dev.events) == n
    assert hashlib.sha256(img).digest() != package_hash(img)  # the TLV hash, not the file's


def test_final_upload_answer_carries_match(dev: Device) -> None:
    import hashlib

    from smp import image_management as smpimg

    img = dev.image(2, "B", size=3000)
    off = 0
    rsp: object = None
    while off != len(img):
        kw: dict[str, object] = (
            {"len": len(img), "sha": hashlib.sha256(img).digest()} if off == 0 else {}
        )
        rsp = smp_request(dev, write_req(off, img[off : off + 512], **kw))
        assert isinstance(rsp, smpimg.ImageUploadWriteResponse), rsp
        assert off == 0 or rsp.off == len(img) or rsp.match is None  # only in the final answer
        off = rsp.off
    assert rsp.match is True  # type: ignore[attr-defined]


def test_mark_after_reset_needs_upload_again(dev: Device) -> None:
    img = dev.image(2, "B")
    assert upload(dev, img, test=False)[1] is None
    dev.boot(SLOT_A, 1)  # a reset between upload and test: the staging is RAM state
    rsp = smp_request(dev, ImageStatesWrite(hash=package_hash(img), confirm=False))
    assert getattr(rsp, "rsn", None) == "upload again", rsp
    offsets, err = upload(dev, img)  # the device resumes with every byte in, then marks
    assert err is None, (err, dev.names())
    assert dev.record().state[SLOT_B] == ST_PENDING


@pytest.mark.parametrize("passed", [True, False])
def test_confirm_and_reject_paths(dev: Device, passed: bool) -> None:
    img = dev.image(2, "B")
    assert upload(dev, img)[1] is None
    rec = dev.record()
    rec.attempts[SLOT_B] = 1  # what the bootloader commits before the trial boot
    assert dev.lib.h_commit(ctypes.byref(rec)) == 0
    dev.boot(SLOT_B, 2)
    dev.events.clear()
    if passed:
        assert dev.lib.h_confirm(SLOT_B) == 0
        dev.feed(b"")
        rec = dev.record()
        assert rec.active == SLOT_B and rec.state[SLOT_B] == ST_CONFIRMED
        assert (rec.floor, rec.floor_next) == (0, 2)  # the floor bump is staged ...
        assert dev.names() == [
            "PHASE name=confirm",
            "SLOT_TRANSITION from=BOOT_TEST to=CONFIRMED slot=B attempt=1",
        ]
        assert dev.lib.h_floor_bump(SLOT_B) == 0  # ... and made by a commit of its own
        dev.feed(b"")
        rec = dev.record()
        assert (rec.floor, rec.floor_next, rec.active) == (2, 0, SLOT_B)
        assert dev.names()[-1] == "PHASE name=floor_bump"
        assert dev.lib.h_floor_bump(SLOT_B) == 1  # nothing staged: no-op
        assert dev.lib.h_confirm(SLOT_B) == 1  # already confirmed: no-op
    else:
        assert dev.lib.h_floor_bump(SLOT_B) < 0  # never for an image that is not CONFIRMED
        assert dev.lib.h_reject(SLOT_B) == 0
        dev.feed(b"")
        rec = dev.record()
        assert rec.active == SLOT_A and rec.next == SLOT_A and rec.floor == 0
        assert dev.find("ROLLBACK", reason="self-test", candidate_build="2")
        assert dev.transitions() == [("BOOT_TEST", "ROLLBACK", "B")]


def _variant(dev: Device, name: str, build: int = 2) -> bytes:
    from hil.image.builder import spec_for_platform
    from hil.image.variants import build_variant, make_context

    payload = bytes((i * 7) & 0xFF for i in range(9000))
    spec = spec_for_platform(dev.plat, payload, build, dev.keys.signer, "B", chunk_size=1024)
    ctx = make_context(spec, dev.plat.layout.areas["slot_b"].size, dev.keys)
    return build_variant(name, ctx)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(
    ("flag", "variant"),
    [
        ("MUT_SKIP_SIG", "forged-signature-same-id"),
        ("MUT_ACCEPT_REVOKED", "revoked-key"),
        ("MUT_SKIP_MANIFEST", "chunk-map"),
        ("MUT_NO_REPLAY_CHECK", None),
        ("MUT_SAME_SLOT", None),
    ],
)
def test_mutations_plant_their_bug(
    mutlib: dict[str, ctypes.CDLL], platform: str, flag: str, variant: str | None
) -> None:
    """Each mutation flag the updater implements lets through what the normal build refuses
    (and what tests above show refused)."""
    dev = Device(mutlib[flag], platform)
    dev.provision(build=2 if flag == "MUT_NO_REPLAY_CHECK" else 1)
    dev.boot(SLOT_A, dev.record().build[SLOT_A])
    if flag == "MUT_SAME_SLOT":
        offsets, err = upload(dev, dev.image(2, "A"))
        assert dev.find("SLOT_TRANSITION", to="DOWNLOADING", slot="A"), dev.names()
        return
    pkg = dev.image(2, "B") if variant is None else _variant(dev, variant)
    offsets, err = upload(dev, pkg)
    assert err is None, (flag, dev.names())
    assert dev.transitions()[-1] == ("STAGING", "PENDING", "B"), dev.names()


def ahead_of_verified(dev: Device, img: bytes, cuts: range) -> bool:
    """Cut the power at op n of a resumed upload (n in cuts, each on a fresh start); True if
    once the recorded resume point pointed past the last CHUNK result=ok."""
    for n in cuts:
        dev.provision(build=1)
        dev.boot(SLOT_A, 1)
        dev.events.clear()
        assert upload(dev, img, stop_after=4)[1] is None
        dev.lib.h_cut(n, 7, 0)
        upload(dev, img, stop_after=6)
        dead = dev.lib.h_dead()
        dev.boot(SLOT_A, 1)
        ok = [int(e.get("index") or 0) for e in dev.find("CHUNK", result="ok")]
        rec = dev.record()
        if dead and rec.up_slot == SLOT_B and rec.up_offset > dev.hdr + 1024 * (max(ok) + 1):
            return True
    return False


@pytest.mark.parametrize("platform", PLATFORMS)
def test_power_mutations_plant_their_bug(
    mutlib: dict[str, ctypes.CDLL], updlib: ctypes.CDLL, platform: str
) -> None:
    """The power-safety flags on the host (the emulator cases are in tests/power): what each
    one changes is visible in the metadata or the event order of a clean upload."""
    img_events: dict[str, list[str]] = {}
    for flag in ("MUT_PENDING_BEFORE_HASH", "MUT_RESUME_BEFORE_VERIFY", "MUT_META_IN_PLACE"):
        dev = Device(mutlib[flag], platform)
        dev.provision(build=1)
        dev.boot(SLOT_A, 1)
        img = dev.image(2, "B", size=20000)
        if flag == "MUT_RESUME_BEFORE_VERIFY":
            # cut at op n of the next requests: somewhere the recorded resume point is past the
            # chunks whose check passed (1024-byte chunks); never with the normal build
            assert ahead_of_verified(dev, img, range(40))
            assert not ahead_of_verified(Device(updlib, platform), img, range(40))
            continue
        offsets, err = upload(dev, img)
        assert err is None, (flag, dev.names())
        img_events[flag] = [str(e) for e in dev.events]
        if flag == "MUT_PENDING_BEFORE_HASH":
            names = [e.name + (e.get("to") or e.get("name") or "") for e in dev.events]
            pending = names.index("SLOT_TRANSITIONPENDING")
            # before the last chunk; the state write (test) then finds it PENDING already and
            # runs no re-verify at all
            assert pending < max(i for i, n in enumerate(names) if n == "CHUNK"), names
            assert "PHASEre_verify" not in names, names
            assert "PHASEmeta_commit" not in names
        else:  # one copy rewritten in place, the other never written
            meta_b = ctypes.create_string_buffer(64)
            plat = dev.plat
            assert dev.lib.h_raw(plat.layout["meta_b"].address, meta_b, 64) == 0
            assert set(meta_b.raw) == {plat.flash.erased_value}
            assert dev.record().state[SLOT_B] == ST_PENDING
