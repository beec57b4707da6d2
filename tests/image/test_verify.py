"""The Python verifier: every variant refused with its own result, the §7 order, robustness."""

from __future__ import annotations

import dataclasses
import hashlib
import random
import struct

import pytest

from hil.image.builder import (
    ImageSpec,
    build_image,
    protected_tlvs,
    signed_region,
    unprotected_area,
)
from hil.image.constants import (
    IMG_TLV_CHUNK_HASHES,
    IMG_TLV_ECDSA_SIG,
    IMG_TLV_INFO_MAGIC,
    IMG_TLV_KEY_ID,
    IMG_TLV_PROT_MAGIC,
    IMG_TLV_SEC_CNT,
    IMG_TLV_SELF_TEST,
    IMG_TLV_SHA256,
    IMG_TLV_TARGET_SLOT,
    IMG_TLV_VERSION,
    ImageResult,
)
from hil.image.keyring import KeyEntry, Keyring
from hil.image.keys import P256_N, derive_key, key_id, keyhash
from hil.image.parse import parse_image
from hil.image.tlv import TlvFormatError, build_area, parse_area
from hil.image.variants import VARIANTS, VariantContext
from hil.image.verify import VerifyPolicy, der_to_rs, verify_image

BRIEF_VARIANTS = {
    "forged-signature": ImageResult.KEY_UNKNOWN,
    "forged-signature-same-id": ImageResult.BAD_SIGNATURE,
    "signature-bitflip": ImageResult.BAD_SIGNATURE,
    "tampered-build": ImageResult.HASH_MISMATCH,
    "tampered-hw": ImageResult.HASH_MISMATCH,
    "tampered-slot": ImageResult.HASH_MISMATCH,
    "tampered-size": ImageResult.HASH_MISMATCH,
    "tampered-chunk-hash": ImageResult.HASH_MISMATCH,
    "tampered-build-rehashed": ImageResult.BAD_SIGNATURE,
    "tampered-chunk-hash-rehashed": ImageResult.BAD_SIGNATURE,
    "tlv-overrun": ImageResult.TLV_OVERRUN,
    "tlv-truncated": ImageResult.TLV_TRUNCATED,
    "hash-only": ImageResult.NO_SIGNATURE,
    "revoked-key": ImageResult.KEY_REVOKED,
    "replay": ImageResult.REPLAY,
    "below-floor": ImageResult.BELOW_FLOOR,
    "wrong-hardware": ImageResult.HW_MISMATCH,
    "wrong-slot": ImageResult.WRONG_SLOT,
    "oversize": ImageResult.TOO_LARGE,
    "trailing-data": ImageResult.TRAILING_DATA,
    "two-signatures": ImageResult.DUPLICATE_TLV,
    "keyid-mismatch": ImageResult.KEYID_MISMATCH,
    "bad-magic": ImageResult.BAD_MAGIC,
    "chunk-map": ImageResult.CHUNK_MAP,
    "chunk-hash-signed": ImageResult.CHUNK_HASH,
}


def test_registry_has_every_variant_of_the_brief() -> None:
    for name, result in BRIEF_VARIANTS.items():
        assert VARIANTS[name].expected is result, name


def test_every_result_code_has_a_variant() -> None:
    covered = {v.expected for v in VARIANTS.values()}
    assert covered == set(ImageResult) - {ImageResult.OK}


def test_valid_image_is_accepted(ctx: VariantContext) -> None:
    img = build_image(ctx.spec)
    v = verify_image(img, keyring=ctx.keyring, policy=ctx.policy)
    assert v.ok, v.detail
    m = v.manifest
    assert m is not None
    assert (m.build, m.slot, m.type, m.payload_size, m.version, m.self_test) == (
        5,
        1,
        1,
        len(ctx.spec.payload),
        "1.2.3",
        0,
    )
    assert m.chunk_count == -(-len(ctx.spec.payload) // ctx.spec.chunk_size)
    assert m.hash == v.computed_hash and v.image_size == len(img)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_is_refused_with_its_result(ctx: VariantContext, name: str) -> None:
    variant = VARIANTS[name]
    data = variant.build(ctx)
    verdict = verify_image(data, keyring=ctx.keyring, policy=ctx.policy)
    assert verdict.result is variant.expected, verdict.detail
    assert "expected" in verdict.detail and "found" in verdict.detail
    assert variant.build(ctx) == data  # variants are deterministic too


def _policy(ctx: VariantContext, **changes: object) -> VerifyPolicy:
    return dataclasses.replace(ctx.policy, **changes)  # type: ignore[arg-type]


def _signed(
    spec: ImageSpec, replace: dict[int, bytes], extra_prot: list[tuple[int, bytes]] | None = None
) -> bytes:
    items = [(t, replace.get(t, v)) for t, v in protected_tlvs(spec)] + (extra_prot or [])
    region = signed_region(spec, items)
    return region + unprotected_area(region, signer=spec.key)


@pytest.mark.parametrize(
    ("replace", "words"),
    [
        ({IMG_TLV_SEC_CNT: b"\x05\x00\x00"}, "SEC_CNT: expected len 4"),
        ({IMG_TLV_SEC_CNT: struct.pack("<I", 6)}, "SEC_CNT: expected 5 (header build_num)"),
        ({IMG_TLV_TARGET_SLOT: struct.pack("<I", 2)}, "TARGET_SLOT: expected 0 (A) or 1 (B)"),
        ({IMG_TLV_CHUNK_HASHES: b"\x00" * 33}, "CHUNK_HASHES: expected a multiple of 32"),
        ({IMG_TLV_VERSION: b"1.0\n"}, "VERSION: expected 1..32 printable"),
        ({IMG_TLV_VERSION: b""}, "VERSION: expected 1..32 printable"),
        ({IMG_TLV_SELF_TEST: struct.pack("<I", 7)}, "SELF_TEST: expected 0 (pass)"),
    ],
)
def test_bad_fields(ctx: VariantContext, replace: dict[int, bytes], words: str) -> None:
    v = verify_image(_signed(ctx.spec, replace), keyring=ctx.keyring, policy=ctx.policy)
    assert v.result is ImageResult.BAD_FIELD
    assert words in v.detail


def test_unknown_tlvs_are_ignored_and_manifest_types_in_the_wrong_area_too(
    ctx: VariantContext,
) -> None:
    spec = ctx.spec
    items = [*protected_tlvs(spec), (0xB0, b"vendor"), (IMG_TLV_SHA256, b"\x00" * 3)]
    region = signed_region(spec, items)
    extra = [(0x7777, b"x" * 5), (IMG_TLV_KEY_ID, b"\xff" * 9)]
    img = region + unprotected_area(region, signer=spec.key, extra=extra)
    v = verify_image(img, keyring=ctx.keyring, policy=ctx.policy)
    assert v.ok, v.detail


def test_policy_steps_in_order(ctx: VariantContext) -> None:
    img = build_image(ctx.spec)
    kr = ctx.keyring

    def result(**changes: object) -> ImageResult:
        return verify_image(img, keyring=kr, policy=_policy(ctx, **changes)).result

    assert result(header_size=ctx.spec.header_size * 2) is ImageResult.BAD_HEADER
    assert result(slot_size=ctx.spec.header_size + 100) is ImageResult.TOO_LARGE
    assert result(hw_compat=1) is ImageResult.HW_MISMATCH
    assert result(slot=0) is ImageResult.WRONG_SLOT
    assert result(image_type=2) is ImageResult.WRONG_TYPE
    assert result(floor=6) is ImageResult.BELOW_FLOOR
    assert result(floor=6, running_build=9) is ImageResult.BELOW_FLOOR  # floor first
    assert result(running_build=5) is ImageResult.REPLAY
    assert result(running_build=None, floor=5) is ImageResult.OK
    # HW before slot before type before freshness
    assert result(hw_compat=1, slot=0, floor=99) is ImageResult.HW_MISMATCH
    assert result(slot=0, image_type=2, floor=99) is ImageResult.WRONG_SLOT


def test_key_policy(ctx: VariantContext) -> None:
    img = build_image(ctx.spec)
    signer = ctx.spec.key.public_key()
    both = Keyring([KeyEntry("s", signer, allowed=True, revoked=True)])
    assert verify_image(img, keyring=both, policy=ctx.policy).result is ImageResult.KEY_REVOKED
    empty = Keyring()
    assert verify_image(img, keyring=empty, policy=ctx.policy).result is ImageResult.KEY_UNKNOWN
    listed_only = Keyring([KeyEntry("s", signer, allowed=False)])
    v = verify_image(img, keyring=listed_only, policy=ctx.policy)
    assert v.result is ImageResult.KEY_UNKNOWN


def test_signature_steps_come_after_hash(ctx: VariantContext) -> None:
    img = bytearray(VARIANTS["forged-signature"].build(ctx))
    img[ctx.spec.header_size] ^= 1  # payload byte: hash fails before the unknown key is seen
    v = verify_image(bytes(img), keyring=ctx.keyring, policy=ctx.policy)
    assert v.result is ImageResult.HASH_MISMATCH


def test_protected_area_size_must_match_header(ctx: VariantContext) -> None:
    img = bytearray(build_image(ctx.spec))
    hdr = parse_image(bytes(img)).header
    assert hdr is not None
    struct.pack_into("<H", img, 10, hdr.protect_tlv_size + 4)
    v = verify_image(bytes(img), keyring=ctx.keyring, policy=ctx.policy)
    assert v.result is ImageResult.TLV_TRUNCATED and "protect_tlv_size" in v.detail


def test_flags_and_empty_payload_are_bad_header(ctx: VariantContext) -> None:
    img = bytearray(build_image(ctx.spec))
    img[16] = 0x20  # RAM_LOAD
    assert (
        verify_image(bytes(img), keyring=ctx.keyring, policy=ctx.policy).result
        is ImageResult.BAD_HEADER
    )
    img = bytearray(build_image(ctx.spec))
    struct.pack_into("<I", img, 12, 0)
    assert (
        verify_image(bytes(img), keyring=ctx.keyring, policy=ctx.policy).result
        is ImageResult.BAD_HEADER
    )


@pytest.mark.parametrize("size", [0, 3, 4, 31])
def test_short_data(ctx: VariantContext, size: int) -> None:
    data = build_image(ctx.spec)[:size]
    v = verify_image(data, keyring=ctx.keyring, policy=ctx.policy)
    assert v.result is (ImageResult.BAD_MAGIC if size < 4 else ImageResult.BAD_HEADER)


def test_never_raises_on_mutated_images(ctx: VariantContext) -> None:
    base = build_image(ctx.spec)
    rng = random.Random(1234)
    parsed = parse_image(base)
    assert parsed.header is not None
    hot = list(range(0, 32)) + list(range(parsed.header.payload_end, len(base)))
    seen: set[ImageResult] = set()
    for i in range(400):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            pos = rng.choice(hot) if rng.random() < 0.9 else rng.randrange(len(data))
            data[pos] = rng.randrange(256)
        if i % 5 == 0:
            data = data[: rng.randrange(len(data) + 1)]
        v = verify_image(bytes(data), keyring=ctx.keyring, policy=ctx.policy)
        seen.add(v.result)
        assert v.detail
        parse_image(bytes(data))
    assert len(seen) >= 8


@pytest.mark.parametrize(
    ("der", "ok"),
    [
        ("3006020101020101", True),
        ("3006020100020101", True),  # r = 0 parses; the range check refuses it later
        ("30060201010201", False),  # truncated
        ("3007020101020101" + "00", False),  # sequence length wrong
        ("300602010102010100", False),  # trailing byte
        ("30070202000102010100"[:18], False),
        ("3007020200010201 01".replace(" ", ""), False),  # non-minimal 0x00 0x01
        ("3006020181020101", False),  # negative r
        ("3106020101020101", False),  # not a SEQUENCE
        ("308106020101020101", False),  # long-form length
        ("3026022200" + "ff" * 33 + "020101", False),  # r longer than 33 bytes
    ],
)
def test_der_is_strict(der: str, ok: bool) -> None:
    assert (der_to_rs(bytes.fromhex(der)) is not None) is ok


def test_r_and_s_range_checked(ctx: VariantContext) -> None:
    spec = ctx.spec
    region = signed_region(spec)
    n = P256_N.to_bytes(32, "big")
    bad_sig = bytes.fromhex("3026022100") + n + bytes.fromhex("020101")
    img = region + build_area(
        IMG_TLV_INFO_MAGIC,
        [
            (IMG_TLV_SHA256, hashlib.sha256(region).digest()),
            (0x01, keyhash(spec.key)),
            (IMG_TLV_ECDSA_SIG, bad_sig),
        ],
    )
    v = verify_image(img, keyring=ctx.keyring, policy=ctx.policy)
    assert v.result is ImageResult.BAD_SIGNATURE and "r and s" in v.detail


def test_tlv_iterator_bounds() -> None:
    area = build_area(IMG_TLV_PROT_MAGIC, [(0xA0, b"1234"), (0xA1, b"")])
    parsed = parse_area(b"xx" + area, 2, magic=IMG_TLV_PROT_MAGIC)
    assert [(t.type, t.value, t.offset) for t in parsed.tlvs] == [
        (0xA0, b"1234", 6),
        (0xA1, b"", 14),
    ]
    cases = [
        (area[:3], ImageResult.TLV_TRUNCATED),
        (b"\x07\x69" + area[2:], ImageResult.TLV_MAGIC),
        (area[:2] + b"\x03\x00" + area[4:], ImageResult.TLV_TRUNCATED),
        (area[:-1], ImageResult.TLV_TRUNCATED),
        (area[:2] + struct.pack("<H", len(area) - 2) + area[4:], ImageResult.TLV_OVERRUN),
        (area[:6] + b"\xff\xff" + area[8:], ImageResult.TLV_OVERRUN),
    ]
    for data, result in cases:
        with pytest.raises(TlvFormatError) as info:
            parse_area(data, 0, magic=IMG_TLV_PROT_MAGIC)
        assert info.value.result is result, (data.hex(), info.value.detail)
    with pytest.raises(TlvFormatError):
        parse_area(area, 0, magic=IMG_TLV_PROT_MAGIC, declared_tot=len(area) + 4)
    with pytest.raises(TlvFormatError):
        parse_area(area, 0, magic=IMG_TLV_PROT_MAGIC, limit=len(area) - 1)
    with pytest.raises(TlvFormatError):
        parse_area(area, 10_000, magic=IMG_TLV_PROT_MAGIC)


def test_keyid_tlv_names_key_unknown_to_keyring(ctx: VariantContext) -> None:
    other = derive_key("tests/image/nobody")
    img = _signed(
        ctx.spec,
        {IMG_TLV_KEY_ID: struct.pack("<I", key_id(other))},
    )
    v = verify_image(img, keyring=ctx.keyring, policy=ctx.policy)
    assert v.result is ImageResult.KEY_UNKNOWN
