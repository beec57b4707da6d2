"""The wolfBoot image format (hil.image.wolfboot) on images built here: no wolfBoot needed."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hil.image import wolfboot as wb
from hil.oracle.image import image_hash, installed_image
from hil.profile import ProfileError, load_profile
from hil.profile.model import ImageFormat, ImageFormatKind, WolfbootFormat

PROFILES = Path(__file__).resolve().parents[2] / "profiles"
PAYLOAD = bytes(range(256)) * 7 + b"\x01\x02\x03"  # odd size: no alignment assumed


def _key(n: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(0x1234567 + n, ec.SECP256R1())


def _signed(**kw: object) -> bytes:
    return wb.sign(PAYLOAD, _key(1), version=wb.version_number("1.2.3"), **kw)  # type: ignore[arg-type]


def test_header_round_trip_and_layout() -> None:
    img = _signed(timestamp=1700000000, custom={0x30: b"\xaa\xbb\xcc\xdd"})
    assert len(img) == 1024 + len(PAYLOAD) and img[1024:] == PAYLOAD
    assert img[:4] == b"WOLF" and struct.unpack_from("<I", img, 4)[0] == len(PAYLOAD)
    # sign.c order: version right after magic+size, timestamp value 8-byte aligned
    assert struct.unpack_from("<HHI", img, 8) == (wb.HDR_VERSION, 4, 0x01020003)
    assert img[16:20] == b"\xff" * 4 and struct.unpack_from("<HH", img, 20) == (2, 8)
    got = wb.decode(img, wb.trusted_keys(_key(1)))
    assert got.verdict is wb.Verdict.OK, got.detail
    h = got.header
    assert h is not None and h.version == 0x01020003 and h.timestamp == 1700000000
    assert h.img_type == wb.HDR_IMG_TYPE_AUTH_ECC256 | wb.HDR_IMG_TYPE_APP
    assert h.tlvs[0x30] == b"\xaa\xbb\xcc\xdd"
    assert h.pubkey_hint == hashlib.sha256(wb.raw_pubkey(_key(1).public_key())).digest()
    for t, n in ((wb.HDR_TIMESTAMP, 8), (wb.HDR_PUBKEY, 32), (wb.HDR_SHA256, 32), (0x20, 64)):
        value_at = img.index(struct.pack("<HH", t, n), 8) + 4
        assert value_at % 8 == 0, hex(t)
    assert wb.version_text(h.version) == "1.2.3"
    # deterministic (RFC 6979): same inputs, same bytes; and the signature verifies raw r|s
    assert _signed(timestamp=1700000000, custom={0x30: b"\xaa\xbb\xcc\xdd"}) == img


@pytest.mark.parametrize(
    ("edit", "verdict"),
    [
        (lambda b: b.__setitem__(1024 + 100, b[1024 + 100] ^ 1), wb.Verdict.BAD_HASH),
        (lambda b: b.__setitem__(12, b[12] ^ 1), wb.Verdict.BAD_HASH),  # version is hashed
        (lambda b: b.__setitem__(b.index(b"\x20\x00\x40\x00") + 10, 0), wb.Verdict.BAD_SIGNATURE),
        (lambda b: b.__setitem__(0, 0x57 ^ 0xFF), wb.Verdict.BAD_MAGIC),
    ],
)
def test_tampering_gives_its_verdict(edit: object, verdict: wb.Verdict) -> None:
    data = bytearray(_signed())
    edit(data)  # type: ignore[operator]
    assert wb.decode(bytes(data), wb.trusted_keys(_key(1))).verdict is verdict


def test_forged_image_has_good_hash_and_bad_signature() -> None:
    forged = wb.forge(_signed())
    assert wb.decode(forged, None).verdict is wb.Verdict.OK  # header and hash are consistent
    assert wb.decode(forged, wb.trusted_keys(_key(1))).verdict is wb.Verdict.BAD_SIGNATURE


def test_other_key_unsigned_short_and_runaway_tlv() -> None:
    img = _signed()
    assert wb.decode(img, wb.trusted_keys(_key(2))).verdict is wb.Verdict.UNKNOWN_KEY
    # a key named by the hint but not the signer's: the signature does not verify
    wrong = {wb.pubkey_hint(_key(1).public_key()): _key(2).public_key()}
    assert wb.decode(img, wrong).verdict is wb.Verdict.BAD_SIGNATURE
    unsigned = wb.sign(PAYLOAD, _key(1), version=1, img_type=wb.HDR_IMG_TYPE_APP | 0xFF00)
    assert wb.decode(unsigned, None).verdict is wb.Verdict.UNSIGNED
    for short in (img[:100], img[: 1024 + 10], b""):
        got = wb.decode(short, None)
        assert got.verdict is wb.Verdict.SHORT and "\n" not in got.detail and got.detail
    runaway = bytearray(img)
    runaway[8:12] = struct.pack("<HH", wb.HDR_VERSION, 2000)
    got = wb.decode(bytes(runaway), None)
    assert got.verdict is wb.Verdict.BAD_TLV and "past the 1024-byte header" in got.detail


def test_version_numbers_keep_semantic_order() -> None:
    vs = ["0.9.0+0", "1.0.0+1", "1.1.0+2", "1.2.0+3", "2.0.0+4"]
    nums = [wb.version_number(v) for v in vs]
    assert nums == sorted(nums) and nums[0] > 0  # 0 means "no image" to wolfBoot
    with pytest.raises(ValueError, match="does not fit"):
        wb.version_number("300.0.0")


def test_update_trigger_and_partition_state() -> None:
    at, flag = wb.update_trigger(0x30000)
    assert at == 0x30000 - 5 and flag == b"pBOOT"
    part = bytearray(b"\xff" * 0x30000)
    assert wb.partition_state(bytes(part)) is None
    part[at:] = flag
    assert wb.partition_state(bytes(part)) == wb.IMG_STATE_UPDATING
    # NVM_FLASH_WRITEONCE: the flags alternate between the last two sectors
    sector = 0x2000
    assert wb.partition_state(bytes(part), sector) == wb.IMG_STATE_UPDATING
    part[at - sector : at - sector + 5] = bytes([wb.IMG_STATE_TESTING]) + flag[1:]
    assert wb.partition_state(bytes(part), sector) == wb.IMG_STATE_TESTING  # more flags set
    part[at:] = b"\xff" * 5
    assert wb.partition_state(bytes(part), sector) == wb.IMG_STATE_TESTING  # only magic there
    assert wb.partition_state(bytes(part)) is None


def test_slot_image_reads_version_and_matches_the_approved_hash() -> None:
    img = _signed()
    slot = img + b"\xff" * 4096
    fmt = ImageFormat(ImageFormatKind.WOLFBOOT, wolfboot=WolfbootFormat(1024, "primary", "x"))
    got = installed_image(fmt, slot)
    assert got is not None and got.version == "1.2.3" and got.sha256 == image_hash(img)
    assert installed_image(fmt, b"\xff" * 4096) is None


def _profile_doc(tmp_path: Path, image: dict[str, object]) -> Path:
    doc = yaml.safe_load((PROFILES / "swap-stm32u585.yaml").read_text())
    doc["image"] = image
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(doc))
    return f


def test_loader_accepts_wolfboot_and_names_bad_fields(tmp_path: Path) -> None:
    ok = {"format": "wolfboot", "wolfboot": {"header_size": 1024, "boot": "primary",
                                             "update": "secondary"}}  # fmt: skip
    p = load_profile(_profile_doc(tmp_path, ok))
    assert p.image.wolfboot is not None and p.image.wolfboot.update == "secondary"
    for bad, want in [
        ({"format": "wolfboot"}, "field 'image.wolfboot': expected the wolfBoot parameters"),
        ({**ok, "wolfboot": {"header_size": 1024, "boot": "nope", "update": "secondary"}},
         "field 'image.wolfboot.boot': expected one of"),
        ({**ok, "mcuboot": {}}, "field 'image.mcuboot': expected nothing (format wolfboot)"),
    ]:  # fmt: skip
        with pytest.raises(ProfileError) as info:
            load_profile(_profile_doc(tmp_path, bad))
        assert want in str(info.value) and "\n" not in str(info.value)


def test_load_key_refuses_other_curves() -> None:
    pem = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="P-256"):
        wb.load_key(pem)


def test_a_confirmed_wolfboot_image_is_its_boot_partition_in_state_success() -> None:
    """Item 1's oracle check reads wolfBoot's partition states (not MCUboot's trailer)."""
    from hil.evidence.event import Event
    from hil.matrix.profile_items import confirmed_trailer

    def states(boot: str) -> list[Event]:
        rows = (("boot", "boot", boot), ("update", "update", "unset"))
        return [
            Event(
                i,
                "oracle",
                "PARTITION_STATE",
                (("area", a), ("role", r), ("state", s)),
                f"oracle PARTITION_STATE area={a} role={r} state={s}",
            )  # fmt: skip
            for i, (a, r, s) in enumerate(rows)
        ]

    assert confirmed_trailer(states("success")) == []
    (why,) = confirmed_trailer(states("testing"))
    assert why.startswith("oracle: boot partition not confirmed") and "state=testing" in why
