"""Named bad packages (issue 3): each is made from a valid ``ImageSpec`` and must be refused
with exactly its ``expected`` ``ImageResult`` under the standard test policy.

Standard test setup (``make_context``):

- keys: the spec's signer and a second key ("other") are allowed, a third key is revoked, a
  fourth is unknown (the extra keys are derived from fixed labels, see ``VariantKeys``);
- policy: hardware ID, slot and header size as signed in the spec, the given slot size,
  ``floor = running_build = spec.build - 1`` (so the valid spec passes; needs build >= 2).
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hil.image.builder import (
    ImageSpec,
    build_image,
    chunk_hashes,
    protected_tlvs,
    sign,
    signed_region,
    unprotected_area,
)
from hil.image.constants import (
    IMG_TLV_CHUNK_HASHES,
    IMG_TLV_CHUNK_SIZE,
    IMG_TLV_ECDSA_SIG,
    IMG_TLV_HW_COMPAT,
    IMG_TLV_INFO_MAGIC,
    IMG_TLV_KEY_ID,
    IMG_TLV_KEYHASH,
    IMG_TLV_PAYLOAD_SIZE,
    IMG_TLV_PROT_MAGIC,
    IMG_TLV_SEC_CNT,
    IMG_TLV_SHA256,
    IMG_TLV_TARGET_SLOT,
    ImageResult,
)
from hil.image.errors import ImageBuildError
from hil.image.keyring import KeyEntry, Keyring
from hil.image.keys import PrivateKey, derive_key, key_id, keyhash
from hil.image.parse import parse_image
from hil.image.tlv import build_area
from hil.image.verify import VerifyPolicy

OTHER_LABEL = "ota-hil/variant/other-allowed"
REVOKED_LABEL = "ota-hil/variant/revoked"
UNKNOWN_LABEL = "ota-hil/variant/unknown"


@dataclass(frozen=True)
class VariantKeys:
    signer: PrivateKey  # allowed; signs the valid image
    other: PrivateKey  # allowed too
    revoked: PrivateKey  # on the revoke list
    unknown: PrivateKey  # in no list

    @classmethod
    def standard(cls, signer: PrivateKey | None = None) -> VariantKeys:
        return cls(
            signer=signer or derive_key("ota-hil/variant/signer"),
            other=derive_key(OTHER_LABEL),
            revoked=derive_key(REVOKED_LABEL),
            unknown=derive_key(UNKNOWN_LABEL),
        )

    def keyring(self) -> Keyring:
        return Keyring(
            [
                KeyEntry("signer", self.signer.public_key()),
                KeyEntry("other", self.other.public_key()),
                KeyEntry("revoked", self.revoked.public_key(), allowed=False, revoked=True),
            ]
        )


@dataclass(frozen=True)
class VariantContext:
    spec: ImageSpec  # valid; spec.key is keys.signer
    keys: VariantKeys
    policy: VerifyPolicy

    @property
    def keyring(self) -> Keyring:
        return self.keys.keyring()


def standard_policy(spec: ImageSpec, slot_size: int) -> VerifyPolicy:
    return VerifyPolicy(
        hw_compat=spec.hw_compat,
        slot=spec.target_slot,
        slot_size=slot_size,
        header_size=spec.header_size,
        floor=spec.build - 1,
        running_build=spec.build - 1,
    )


def make_context(
    spec: ImageSpec, slot_size: int, keys: VariantKeys | None = None
) -> VariantContext:
    """The standard context for ``spec`` (whose key becomes the signer)."""
    if spec.build < 2:
        raise ImageBuildError(f"variants: expected a build >= 2, found {spec.build}")
    spec.check()
    ks = dataclasses.replace(keys or VariantKeys.standard(), signer=spec.key)
    return VariantContext(spec, ks, standard_policy(spec, slot_size))


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    build: Callable[[VariantContext], bytes]
    expected: ImageResult


# --- helpers ----------------------------------------------------------------------------------


def _u32(v: int) -> bytes:
    return struct.pack("<I", v)


def _signed(
    ctx: VariantContext,
    spec: ImageSpec | None = None,
    replace: dict[int, bytes] | None = None,
    drop: Iterable[int] = (),
    extra: Iterable[tuple[int, bytes]] = (),
) -> bytes:
    """A correctly hashed and signed image whose protected TLVs are changed as asked."""
    s = spec or ctx.spec
    items = [(t, (replace or {}).get(t, v)) for t, v in protected_tlvs(s) if t not in set(drop)]
    region = signed_region(s, items)
    return region + unprotected_area(region, signer=s.key, extra=extra)


def _tlv_value_offset(image: bytes, area_magic: int, tlv_type: int) -> tuple[int, int]:
    tlv = parse_image(image).find(area_magic, tlv_type)
    if tlv is None:
        raise ImageBuildError(f"variant: TLV 0x{tlv_type:02x} not found")
    return tlv.value_offset, tlv.length


def _patch(image: bytes, area_magic: int, tlv_type: int, value: bytes) -> bytes:
    off, n = _tlv_value_offset(image, area_magic, tlv_type)
    if len(value) != n:
        raise ImageBuildError("variant: patch must keep the TLV length")
    return image[:off] + value + image[off + n :]


def _rehash(image: bytes) -> bytes:
    """Recompute the SHA256 TLV over the (tampered) signed region; the signature stays."""
    parsed = parse_image(image)
    assert parsed.header is not None
    digest = hashlib.sha256(image[: parsed.header.signed_end]).digest()
    return _patch(image, IMG_TLV_INFO_MAGIC, IMG_TLV_SHA256, digest)


def _tamper_build(ctx: VariantContext) -> bytes:
    """SEC_CNT and the header build_num (which must stay equal) both raised after signing."""
    img = bytearray(build_image(ctx.spec))
    struct.pack_into("<I", img, 24, ctx.spec.build + 100)
    return _patch(bytes(img), IMG_TLV_PROT_MAGIC, IMG_TLV_SEC_CNT, _u32(ctx.spec.build + 100))


def _tamper_hw(ctx: VariantContext) -> bytes:
    img = build_image(ctx.spec)
    return _patch(img, IMG_TLV_PROT_MAGIC, IMG_TLV_HW_COMPAT, _u32(ctx.spec.hw_compat ^ 0xFF))


def _tamper_slot(ctx: VariantContext) -> bytes:
    img = build_image(ctx.spec)
    return _patch(img, IMG_TLV_PROT_MAGIC, IMG_TLV_TARGET_SLOT, _u32(1 - ctx.spec.target_slot))


def _tamper_chunk_hash(ctx: VariantContext) -> bytes:
    img = build_image(ctx.spec)
    off, _ = _tlv_value_offset(img, IMG_TLV_PROT_MAGIC, IMG_TLV_CHUNK_HASHES)
    return img[:off] + bytes([img[off] ^ 0x01]) + img[off + 1 :]


def _tamper_size(ctx: VariantContext) -> bytes:
    """Cut (or grow) the payload by one byte and fix img_size and PAYLOAD_SIZE to match, so
    the structure stays consistent and only the hash catches it."""
    img = build_image(ctx.spec)
    hdr = parse_image(img).header
    assert hdr is not None
    n, cs = hdr.img_size, ctx.spec.chunk_size
    grow = n % cs == 1 or n == 1
    new_n = n + 1 if grow else n - 1
    payload = img[hdr.hdr_size : hdr.payload_end]
    payload = payload + b"\xff" if grow else payload[:-1]
    head = bytearray(img[: hdr.hdr_size])
    struct.pack_into("<I", head, 12, new_n)
    out = bytes(head) + payload + img[hdr.payload_end :]
    return _patch(out, IMG_TLV_PROT_MAGIC, IMG_TLV_PAYLOAD_SIZE, _u32(new_n))


def _sig_bitflip(ctx: VariantContext) -> bytes:
    img = build_image(ctx.spec)
    off, n = _tlv_value_offset(img, IMG_TLV_INFO_MAGIC, IMG_TLV_ECDSA_SIG)
    last = off + n - 1  # low byte of s: DER stays well formed
    return img[:last] + bytes([img[last] ^ 0x01]) + img[last + 1 :]


def _forged_same_id(ctx: VariantContext) -> bytes:
    region = signed_region(ctx.spec)
    return region + unprotected_area(region, signer=ctx.keys.unknown, claimed_key=ctx.spec.key)


def _tlv_overrun(ctx: VariantContext) -> bytes:
    img = build_image(ctx.spec)
    off, n = _tlv_value_offset(img, IMG_TLV_INFO_MAGIC, IMG_TLV_ECDSA_SIG)
    return img[: off - 2] + struct.pack("<H", n + 8) + img[off:]


def _hash_only(ctx: VariantContext) -> bytes:
    region = signed_region(ctx.spec)
    items = [
        (IMG_TLV_SHA256, hashlib.sha256(region).digest()),
        (IMG_TLV_KEYHASH, keyhash(ctx.spec.key)),
    ]
    return region + build_area(IMG_TLV_INFO_MAGIC, items)


def _no_keyhash(ctx: VariantContext) -> bytes:
    region = signed_region(ctx.spec)
    items = [
        (IMG_TLV_SHA256, hashlib.sha256(region).digest()),
        (IMG_TLV_ECDSA_SIG, sign(ctx.spec.key, region)),
    ]
    return region + build_area(IMG_TLV_INFO_MAGIC, items)


def _imgtool_unsigned(ctx: VariantContext) -> bytes:
    region = signed_region(ctx.spec)
    return region + unprotected_area(region, signer=None)


def _no_hash(ctx: VariantContext) -> bytes:
    region = signed_region(ctx.spec)
    key = ctx.spec.key
    items = [(IMG_TLV_KEYHASH, keyhash(key)), (IMG_TLV_ECDSA_SIG, sign(key, region))]
    return region + build_area(IMG_TLV_INFO_MAGIC, items)


def _two_sigs(ctx: VariantContext) -> bytes:
    region = signed_region(ctx.spec)
    sig = sign(ctx.spec.key, region)
    return region + unprotected_area(region, signer=ctx.spec.key, extra=[(IMG_TLV_ECDSA_SIG, sig)])


def _keyid_mismatch(ctx: VariantContext) -> bytes:
    return _signed(ctx, replace={IMG_TLV_KEY_ID: _u32(key_id(ctx.keys.other))})


def _chunk_map(ctx: VariantContext) -> bytes:
    s = ctx.spec
    hashes = chunk_hashes(s.payload, s.chunk_size) + hashlib.sha256(b"extra").digest()
    return _signed(ctx, replace={IMG_TLV_CHUNK_HASHES: hashes})


def _chunk_hash_signed(ctx: VariantContext) -> bytes:
    s = ctx.spec
    hashes = bytearray(chunk_hashes(s.payload, s.chunk_size))
    hashes[0] ^= 0x01
    return _signed(ctx, replace={IMG_TLV_CHUNK_HASHES: bytes(hashes)})


def _oversize(ctx: VariantContext) -> bytes:
    s = ctx.spec
    size = ctx.policy.slot_size
    payload = (s.payload * (size // len(s.payload) + 1))[:size]
    return build_image(dataclasses.replace(s, payload=payload))


def _with(**changes: object) -> Callable[[VariantContext], bytes]:
    def make(ctx: VariantContext) -> bytes:
        return build_image(dataclasses.replace(ctx.spec, **changes))  # type: ignore[arg-type]

    return make


def _key(which: str) -> Callable[[VariantContext], bytes]:
    def make(ctx: VariantContext) -> bytes:
        return build_image(dataclasses.replace(ctx.spec, key=getattr(ctx.keys, which)))

    return make


def _rehashed(fn: Callable[[VariantContext], bytes]) -> Callable[[VariantContext], bytes]:
    return lambda ctx: _rehash(fn(ctx))


def _ctx_spec(fn: Callable[[VariantContext], ImageSpec]) -> Callable[[VariantContext], bytes]:
    return lambda ctx: build_image(fn(ctx))


R = ImageResult
_TABLE: list[tuple[str, str, Callable[[VariantContext], bytes], ImageResult]] = [
    (
        "forged-signature",
        "signed by a key that is in no keyring list",
        _key("unknown"),
        R.KEY_UNKNOWN,
    ),
    (
        "forged-signature-same-id",
        "KEY_ID and KEYHASH claim the allowed signer, the signature is by another key",
        _forged_same_id,
        R.BAD_SIGNATURE,
    ),
    (
        "signature-bitflip",
        "one bit of the signature flipped (DER still well formed)",
        _sig_bitflip,
        R.BAD_SIGNATURE,
    ),
    (
        "tampered-build",
        "SEC_CNT and header build_num raised after signing, SHA256 left as it was",
        _tamper_build,
        R.HASH_MISMATCH,
    ),
    ("tampered-hw", "HW_COMPAT changed after signing", _tamper_hw, R.HASH_MISMATCH),
    ("tampered-slot", "TARGET_SLOT changed after signing", _tamper_slot, R.HASH_MISMATCH),
    (
        "tampered-size",
        "payload cut by one byte, img_size and PAYLOAD_SIZE changed to match, after signing",
        _tamper_size,
        R.HASH_MISMATCH,
    ),
    (
        "tampered-chunk-hash",
        "a CHUNK_HASHES byte changed after signing",
        _tamper_chunk_hash,
        R.HASH_MISMATCH,
    ),
    (
        "tampered-build-rehashed",
        "tampered-build with SHA256 recomputed, signature kept",
        _rehashed(_tamper_build),
        R.BAD_SIGNATURE,
    ),
    (
        "tampered-hw-rehashed",
        "tampered-hw with SHA256 recomputed",
        _rehashed(_tamper_hw),
        R.BAD_SIGNATURE,
    ),
    (
        "tampered-slot-rehashed",
        "tampered-slot with SHA256 recomputed",
        _rehashed(_tamper_slot),
        R.BAD_SIGNATURE,
    ),
    (
        "tampered-size-rehashed",
        "tampered-size with SHA256 recomputed",
        _rehashed(_tamper_size),
        R.BAD_SIGNATURE,
    ),
    (
        "tampered-chunk-hash-rehashed",
        "tampered-chunk-hash with SHA256 recomputed",
        _rehashed(_tamper_chunk_hash),
        R.BAD_SIGNATURE,
    ),
    (
        "tlv-overrun",
        "the signature TLV's length runs past the end of its area",
        _tlv_overrun,
        R.TLV_OVERRUN,
    ),
    (
        "tlv-truncated",
        "the package cut 10 bytes short inside the unprotected TLV area",
        lambda ctx: build_image(ctx.spec)[:-10],
        R.TLV_TRUNCATED,
    ),
    (
        "tlv-magic",
        "unprotected TLV info magic 0x6907 replaced by 0x6909",
        lambda ctx: _tlv_magic(build_image(ctx.spec)),
        R.TLV_MAGIC,
    ),
    (
        "hash-only",
        "SHA256 and KEYHASH TLVs but no ECDSA_SIG",
        _hash_only,
        R.NO_SIGNATURE,
    ),
    (
        "unsigned",
        "only the SHA256 TLV, no KEYHASH / ECDSA_SIG (imgtool sign without a key)",
        _imgtool_unsigned,
        R.MISSING_FIELD,
    ),
    ("no-keyhash", "signed, KEYHASH TLV left out", _no_keyhash, R.MISSING_FIELD),
    ("no-hash", "KEYHASH and signature but no SHA256 TLV", _no_hash, R.NO_HASH),
    ("revoked-key", "validly signed by a revoked key", _key("revoked"), R.KEY_REVOKED),
    (
        "replay",
        "validly signed, build = running build",
        _ctx_spec(lambda c: dataclasses.replace(c.spec, build=c.spec.build - 1)),
        R.REPLAY,
    ),
    (
        "below-floor",
        "validly signed, build = floor - 1",
        _ctx_spec(lambda c: dataclasses.replace(c.spec, build=c.spec.build - 2)),
        R.BELOW_FLOOR,
    ),
    (
        "wrong-hardware",
        "validly signed for another hardware ID",
        _ctx_spec(lambda c: dataclasses.replace(c.spec, hw_compat=c.spec.hw_compat ^ 0x5A5A5A5A)),
        R.HW_MISMATCH,
    ),
    (
        "wrong-slot",
        "validly signed for the other slot",
        _ctx_spec(lambda c: dataclasses.replace(c.spec, target_slot=1 - c.spec.target_slot)),
        R.WRONG_SLOT,
    ),
    ("wrong-type", "validly signed with IMAGE_TYPE 2", _with(image_type=2), R.WRONG_TYPE),
    (
        "bad-header",
        "validly signed with a header size the platform does not use",
        _ctx_spec(lambda c: dataclasses.replace(c.spec, header_size=c.spec.header_size + 0x100)),
        R.BAD_HEADER,
    ),
    ("oversize", "validly signed, payload as large as the slot", _oversize, R.TOO_LARGE),
    (
        "trailing-data",
        "a valid image followed by 16 unsigned bytes",
        lambda ctx: build_image(ctx.spec) + b"\xa5" * 16,
        R.TRAILING_DATA,
    ),
    ("two-signatures", "a second ECDSA_SIG TLV", _two_sigs, R.DUPLICATE_TLV),
    (
        "keyid-mismatch",
        "KEY_ID names the other allowed key, KEYHASH and signature are the signer's",
        _keyid_mismatch,
        R.KEYID_MISMATCH,
    ),
    (
        "missing-field",
        "validly signed without CHUNK_SIZE",
        lambda ctx: _signed(ctx, drop=[IMG_TLV_CHUNK_SIZE]),
        R.MISSING_FIELD,
    ),
    (
        "bad-field",
        "validly signed with CHUNK_SIZE 1000 (not a power of two)",
        lambda ctx: _signed(ctx, replace={IMG_TLV_CHUNK_SIZE: _u32(1000)}),
        R.BAD_FIELD,
    ),
    (
        "bad-magic",
        "header magic changed",
        lambda ctx: b"\x00" + build_image(ctx.spec)[1:],
        R.BAD_MAGIC,
    ),
    (
        "chunk-map",
        "validly signed with one chunk hash more than the payload needs",
        _chunk_map,
        R.CHUNK_MAP,
    ),
    (
        "chunk-hash-signed",
        "validly signed, but the first chunk hash is wrong",
        _chunk_hash_signed,
        R.CHUNK_HASH,
    ),
]


def _tlv_magic(image: bytes) -> bytes:
    parsed = parse_image(image)
    assert parsed.unprotected is not None
    off = parsed.unprotected.offset
    return image[:off] + struct.pack("<H", 0x6909) + image[off + 2 :]


VARIANTS: dict[str, Variant] = {
    name: Variant(name, desc, fn, expected) for name, desc, fn, expected in _TABLE
}


def build_variant(name: str, ctx: VariantContext) -> bytes:
    """The bytes of variant ``name`` (raises ``UnknownNameError`` for an unknown name)."""
    from hil.errors import UnknownNameError

    if name not in VARIANTS:
        raise UnknownNameError("image variant", name, list(VARIANTS))
    return VARIANTS[name].build(ctx)
