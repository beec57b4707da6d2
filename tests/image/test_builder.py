"""Building images: layout of contracts §7, determinism, spec validation, round trip."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import struct

import pytest

from hil.image.builder import (
    ImageSpec,
    build_image,
    chunk_hashes,
    header_version,
    image_for_platform,
    slot_size,
)
from hil.image.constants import (
    IMG_MAGIC,
    IMG_TLV_CHUNK_HASHES,
    IMG_TLV_INFO_MAGIC,
    IMG_TLV_KEY_ID,
    IMG_TLV_PROT_MAGIC,
    IMG_TLV_SEC_CNT,
    PROTECTED_TLVS,
    UNPROTECTED_TLVS,
)
from hil.image.errors import ImageBuildError
from hil.image.keys import PrivateKey, derive_key, key_id, keyhash
from hil.image.parse import parse_image
from hil.platform import Platform


def test_same_inputs_give_identical_bytes(spec: ImageSpec) -> None:
    a = build_image(spec)
    b = build_image(dataclasses.replace(spec, payload=bytes(spec.payload)))
    assert a == b
    # a freshly derived key object with the same seed gives the same bytes too
    assert build_image(dataclasses.replace(spec, key=derive_key("tests/image/signer"))) == a


def test_different_inputs_give_different_signatures(spec: ImageSpec) -> None:
    assert build_image(spec) != build_image(dataclasses.replace(spec, build=6))


def test_layout_matches_the_contract(spec: ImageSpec, platform: Platform) -> None:
    img = build_image(spec)
    magic, load, hdr_size, ptlv, img_size, flags, ma, mi, rev, build, pad = struct.unpack_from(
        "<IIHHIIBBHII", img, 0
    )
    assert (magic, load, flags, pad) == (IMG_MAGIC, 0, 0, 0)
    assert hdr_size == platform.layout.image_header_size
    assert img[32:hdr_size] == bytes(hdr_size - 32)
    assert img_size == len(spec.payload) and img[hdr_size : hdr_size + img_size] == spec.payload
    assert (ma, mi, rev, build) == (1, 2, 3, 5)
    p_off = hdr_size + img_size
    assert struct.unpack_from("<HH", img, p_off) == (IMG_TLV_PROT_MAGIC, ptlv)
    u_off = p_off + ptlv
    u_magic, u_tot = struct.unpack_from("<HH", img, u_off)
    assert u_magic == IMG_TLV_INFO_MAGIC and u_off + u_tot == len(img)
    parsed = parse_image(img)
    assert parsed.problem is None and parsed.protected and parsed.unprotected
    names = [parsed.protected.tlv_name(t) for t in parsed.protected.tlvs]
    assert names == [*PROTECTED_TLVS.values()]  # VERSION given, SELF_TEST always emitted
    assert [parsed.unprotected.tlv_name(t) for t in parsed.unprotected.tlvs] == [
        *UNPROTECTED_TLVS.values()
    ]
    tlvs = {t.type: t.value for t in parsed.protected.tlvs}
    assert tlvs[IMG_TLV_SEC_CNT] == struct.pack("<I", 5)
    assert tlvs[IMG_TLV_KEY_ID] == struct.pack("<I", key_id(spec.key))
    assert tlvs[IMG_TLV_CHUNK_HASHES] == chunk_hashes(spec.payload, spec.chunk_size)
    sha, kh, _sig = (t.value for t in parsed.unprotected.tlvs)
    assert sha == hashlib.sha256(img[:u_off]).digest()
    assert kh == keyhash(spec.key) and key_id(spec.key) == int.from_bytes(kh[:4], "big")


def test_chunk_hashes_cover_the_payload_exactly() -> None:
    data = bytes(range(256)) * 9  # 2304 bytes -> 5 chunks of 512 (last one 256)
    h = chunk_hashes(data, 512)
    assert len(h) == 5 * 32
    assert h[-32:] == hashlib.sha256(data[2048:]).digest()


def test_version_is_optional(spec: ImageSpec) -> None:
    parsed = parse_image(build_image(dataclasses.replace(spec, version=None)))
    assert parsed.protected is not None
    assert "VERSION" not in [parsed.protected.tlv_name(t) for t in parsed.protected.tlvs]
    assert parsed.header is not None and parsed.header.version == (0, 0, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3", (1, 2, 3)),
        ("v4.5", (4, 5, 0)),
        ("7-rc1", (7, 0, 0)),
        ("beta", (0, 0, 0)),
        ("300.1.1", (0, 0, 0)),
        (None, (0, 0, 0)),
    ],
)
def test_header_version(text: str | None, expected: tuple[int, int, int]) -> None:
    assert header_version(text) == expected


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("build", -1, "u32"),
        ("build", 1 << 32, "u32"),
        ("target_slot", 2, "0 (A) or 1 (B)"),
        ("chunk_size", 1000, "power of two"),
        ("chunk_size", 256, "power of two"),
        ("chunk_size", 131072, "power of two"),
        ("version", "", "printable"),
        ("version", "x" * 33, "printable"),
        ("version", "caf\u00e9", "printable"),
        ("self_test", 7, "crash during"),
        ("header_size", 16, "32..65535"),
        ("payload", b"", "1 .. 2^32-1"),
    ],
)
def test_bad_spec_is_refused(spec: ImageSpec, field: str, value: object, words: str) -> None:
    with pytest.raises(ImageBuildError, match=re.escape(words)) as info:
        build_image(dataclasses.replace(spec, **{field: value}))  # type: ignore[arg-type]
    assert f"ImageSpec.{field}" in str(info.value)


def test_image_for_platform_refuses_what_does_not_fit(
    platform: Platform, signer: PrivateKey
) -> None:
    room = slot_size(platform, "A")
    with pytest.raises(ImageBuildError, match="slot size"):
        image_for_platform(platform, bytes(room), 2, signer)


def test_image_for_platform_uses_platform_facts(platform: Platform, signer: PrivateKey) -> None:
    img = image_for_platform(platform, b"\x01" * 700, 9, signer, "b", chunk_size=512)
    parsed = parse_image(img)
    assert parsed.header is not None
    assert parsed.header.hdr_size == platform.layout.image_header_size
    assert (
        parsed.protected is not None
        and len(parsed.protected.of_type(IMG_TLV_CHUNK_HASHES)[0].value) == 64
    )


def test_parse_image_round_trip(spec: ImageSpec) -> None:
    img = build_image(spec)
    parsed = parse_image(img)
    assert parsed.image_end == len(img) and parsed.size == len(img)
    assert parsed.find(IMG_TLV_PROT_MAGIC, IMG_TLV_SEC_CNT) is not None
    assert parsed.find(IMG_TLV_INFO_MAGIC, IMG_TLV_SEC_CNT) is None
