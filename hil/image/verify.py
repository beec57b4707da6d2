"""The Python twin of the bootloader's image verifier (contracts §7).

``verify_image`` follows the verification order of §7 and the decision table of
``firmware_stubs/core/image.h`` row by row, so it reports the same first failure as the C
``img_parse`` / ``img_verify`` / ``img_check_policy``. The "source" is the data, cut to the
slot size (C: the slot on the device, the buffer on the host):

1. BAD_MAGIC (< 4 bytes or wrong magic); BAD_HEADER (< 32 bytes, hdr_size != platform header
   size, flags != 0, img_size == 0); TOO_LARGE (hdr_size + img_size > source size);
2. structure, protected area (if protect_tlv_size != 0) then unprotected: info not inside
   the source TLV_TRUNCATED, wrong magic TLV_MAGIC, tlv_tot < 4 / != protect_tlv_size / past
   the source TLV_TRUNCATED, a TLV header or value past its area TLV_OVERRUN; then
   DUPLICATE_TLV (first repeat in image order), MISSING_FIELD (required protected fields,
   then KEYHASH), BAD_FIELD (in type order; SEC_CNT must equal header build_num), CHUNK_MAP;
3. NO_HASH, HASH_MISMATCH;  4. NO_SIGNATURE (no ECDSA_SIG), KEY_REVOKED (revoked wins),
   KEY_UNKNOWN, KEYID_MISMATCH;  5. BAD_SIGNATURE (strict DER, r/s range, mismatch);
6. CHUNK_HASH, HW_MISMATCH, WRONG_SLOT, WRONG_TYPE;  7. BELOW_FLOOR, REPLAY;
8. TRAILING_DATA (Python: the data is longer than the image).

A manifest TLV type found in the other area is an unknown TLV there (bounds-checked,
ignored). ``verify_image`` never raises for bad bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from hil.image.builder import default_hw_compat, slot_index, slot_size
from hil.image.constants import (
    IMG_CHUNK_MAX,
    IMG_CHUNK_MIN,
    IMG_SELF_TEST_MAX,
    IMG_TLV_CHUNK_HASHES,
    IMG_TLV_CHUNK_SIZE,
    IMG_TLV_ECDSA_SIG,
    IMG_TLV_HW_COMPAT,
    IMG_TLV_IMAGE_TYPE,
    IMG_TLV_KEY_ID,
    IMG_TLV_KEYHASH,
    IMG_TLV_PAYLOAD_SIZE,
    IMG_TLV_SEC_CNT,
    IMG_TLV_SELF_TEST,
    IMG_TLV_SHA256,
    IMG_TLV_TARGET_SLOT,
    IMG_TLV_VERSION,
    IMG_TYPE_APP,
    PROTECTED_TLVS,
    REQUIRED_PROTECTED,
    SHA256_SIZE,
    UNPROTECTED_TLVS,
    ImageResult,
)
from hil.image.keyring import Keyring, KeyStatus
from hil.image.keys import P256_N
from hil.image.parse import Header, ParsedImage, parse_areas, parse_header, parse_image
from hil.image.tlv import TlvArea, TlvFormatError
from hil.platform.model import Platform

__all__ = [
    "Manifest",
    "ParsedImage",
    "Verdict",
    "VerifyPolicy",
    "der_to_rs",
    "parse_image",
    "policy_for_platform",
    "verify_image",
]


@dataclass(frozen=True)
class VerifyPolicy:
    """What the device checks an image against."""

    hw_compat: int
    slot: int  # 0 = A, 1 = B: the slot the image is meant for
    slot_size: int
    header_size: int
    floor: int = 0
    running_build: int | None = None  # None: no replay check (C: running_build 0)
    image_type: int = IMG_TYPE_APP


def policy_for_platform(
    platform: Platform,
    slot: str | int = "A",
    *,
    hw_compat: int | None = None,
    floor: int = 0,
    running_build: int | None = None,
) -> VerifyPolicy:
    """The policy of a ``platform`` device verifying an image for ``slot``."""
    return VerifyPolicy(
        hw_compat=default_hw_compat(platform) if hw_compat is None else hw_compat,
        slot=slot_index(slot),
        slot_size=slot_size(platform, slot),
        header_size=platform.layout.image_header_size,
        floor=floor,
        running_build=running_build,
    )


@dataclass(frozen=True)
class Manifest:
    """The manifest fields (available once step 2 passed)."""

    build: int
    key_id: int
    hw_compat: int
    slot: int
    type: int
    payload_size: int
    chunk_size: int
    chunk_count: int
    version: str | None
    self_test: int
    hash: bytes | None  # SHA256 TLV value
    keyhash: bytes | None
    chunk_hashes: tuple[bytes, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Verdict:
    result: ImageResult
    detail: str
    manifest: Manifest | None = None
    computed_hash: bytes | None = None  # SHA-256 of the signed region (once step 2 passed)
    image_size: int | None = None

    @property
    def ok(self) -> bool:
        return self.result is ImageResult.OK


class _Refuse(Exception):
    def __init__(self, result: ImageResult, detail: str) -> None:
        self.result = result
        self.detail = detail
        super().__init__(detail)


def der_to_rs(der: bytes) -> tuple[int, int] | None:
    """Strict DER ``SEQUENCE { INTEGER r, INTEGER s }`` (minimal, positive, no trailing bytes,
    each at most 32 bytes of magnitude); None if malformed. Mirrors C ``p256_der_to_rs``."""
    if len(der) < 8 or der[0] != 0x30 or der[1] >= 0x80 or der[1] != len(der) - 2:
        return None
    pos = 2
    out: list[int] = []
    for _ in range(2):
        if pos + 2 > len(der) or der[pos] != 0x02:
            return None
        n = der[pos + 1]
        pos += 2
        if n == 0 or n > 33 or pos + n > len(der):
            return None
        body = der[pos : pos + n]
        if body[0] & 0x80:
            return None  # negative
        if body[0] == 0 and n > 1 and not body[1] & 0x80:
            return None  # not minimal
        if n == 33 and body[0] != 0:
            return None
        out.append(int.from_bytes(body, "big"))
        pos += n
    if pos != len(der):
        return None
    return out[0], out[1]


def _step2_fields(data: bytes, hdr: Header, prot: TlvArea | None, unprot: TlvArea) -> Manifest:
    areas = [(a, PROTECTED_TLVS if a is prot else UNPROTECTED_TLVS) for a in (prot, unprot) if a]
    for area, table in areas:
        seen: set[int] = set()
        for t in area.tlvs:
            if t.type in table:
                if t.type in seen:
                    raise _Refuse(
                        ImageResult.DUPLICATE_TLV,
                        f"{area.name} TLV {table[t.type]} at 0x{t.offset:x}: expected once, "
                        "found again",
                    )
                seen.add(t.type)
    if prot is None:
        raise _Refuse(
            ImageResult.MISSING_FIELD,
            "protected TLV area: expected the signed manifest (protect_tlv_size > 0), found none",
        )
    for req in REQUIRED_PROTECTED:
        if not prot.of_type(req):
            raise _Refuse(
                ImageResult.MISSING_FIELD,
                f"protected TLV {PROTECTED_TLVS[req]} (0x{req:02x}): expected once, found none",
            )
    if not unprot.of_type(IMG_TLV_KEYHASH):
        raise _Refuse(
            ImageResult.MISSING_FIELD,
            f"unprotected TLV KEYHASH (0x{IMG_TLV_KEYHASH:02x}): expected once, found none",
        )

    def bad(name: str, expected: str, found: str) -> _Refuse:
        return _Refuse(ImageResult.BAD_FIELD, f"{name}: expected {expected}, found {found}")

    # Field checks in the order of the contract table: each field's length, then its value.
    vals: dict[int, int] = {}
    for tlv_type, name in PROTECTED_TLVS.items():
        found = prot.of_type(tlv_type)
        if not found:
            continue
        raw = found[0].value
        if tlv_type == IMG_TLV_CHUNK_HASHES:
            if len(raw) % SHA256_SIZE:
                raise bad(name, "a multiple of 32 bytes", f"len {len(raw)}")
            continue
        if tlv_type == IMG_TLV_VERSION:
            if not 1 <= len(raw) <= 32 or any(not 0x20 <= b <= 0x7E for b in raw):
                raise bad(name, "1..32 printable ASCII bytes", repr(raw))
            continue
        if len(raw) != 4:
            raise bad(name, "len 4 (u32)", f"len {len(raw)}")
        v = vals[tlv_type] = int.from_bytes(raw, "little")
        if tlv_type == IMG_TLV_SEC_CNT and v != hdr.build_num:
            raise bad(name, f"{hdr.build_num} (header build_num)", str(v))
        if tlv_type == IMG_TLV_TARGET_SLOT and v not in (0, 1):
            raise bad(name, "0 (A) or 1 (B)", str(v))
        if tlv_type == IMG_TLV_PAYLOAD_SIZE and v != hdr.img_size:
            raise bad(name, f"{hdr.img_size} (header img_size)", str(v))
        if tlv_type == IMG_TLV_CHUNK_SIZE and not (
            IMG_CHUNK_MIN <= v <= IMG_CHUNK_MAX and v & (v - 1) == 0
        ):
            raise bad(name, f"a power of two in {IMG_CHUNK_MIN}..{IMG_CHUNK_MAX}", str(v))
        if tlv_type == IMG_TLV_SELF_TEST and v > IMG_SELF_TEST_MAX:
            raise bad(name, "0 (pass), 1 (fail), 2 (hang) .. 6 (contracts §7)", str(v))
    for tlv_type in (IMG_TLV_SHA256, IMG_TLV_KEYHASH):
        found = unprot.of_type(tlv_type)
        if found and len(found[0].value) != SHA256_SIZE:
            raise bad(UNPROTECTED_TLVS[tlv_type], "len 32", f"len {len(found[0].value)}")
    slot = vals[IMG_TLV_TARGET_SLOT]
    payload_size = vals[IMG_TLV_PAYLOAD_SIZE]
    cs = vals[IMG_TLV_CHUNK_SIZE]
    self_test = vals.get(IMG_TLV_SELF_TEST, 0)
    version_tlv = prot.of_type(IMG_TLV_VERSION)
    version = version_tlv[0].value.decode("ascii") if version_tlv else None
    hashes_raw = prot.of_type(IMG_TLV_CHUNK_HASHES)[0].value
    hashes_len = len(hashes_raw)
    count = hashes_len // SHA256_SIZE
    need = -(-hdr.img_size // cs)
    if count != need:
        raise _Refuse(
            ImageResult.CHUNK_MAP,
            f"CHUNK_HASHES: expected {need} hashes (ceil({hdr.img_size} / {cs})), found {count}",
        )
    sha = unprot.of_type(IMG_TLV_SHA256)
    kh = unprot.of_type(IMG_TLV_KEYHASH)
    return Manifest(
        build=vals[IMG_TLV_SEC_CNT],
        key_id=vals[IMG_TLV_KEY_ID],
        hw_compat=vals[IMG_TLV_HW_COMPAT],
        slot=slot,
        type=vals[IMG_TLV_IMAGE_TYPE],
        payload_size=payload_size,
        chunk_size=cs,
        chunk_count=count,
        version=version,
        self_test=self_test,
        hash=sha[0].value if sha else None,
        keyhash=kh[0].value if kh else None,
        chunk_hashes=tuple(hashes_raw[i : i + 32] for i in range(0, hashes_len, 32)),
    )


def _keys_and_signature(m: Manifest, unprot: TlvArea, keyring: Keyring, region: bytes) -> None:
    sig = unprot.of_type(IMG_TLV_ECDSA_SIG)
    if not sig:
        raise _Refuse(
            ImageResult.NO_SIGNATURE, "unprotected TLV ECDSA_SIG: expected once, found none"
        )
    assert m.keyhash is not None  # MISSING_FIELD otherwise
    status = keyring.status(m.key_id)
    if status is KeyStatus.REVOKED:
        raise _Refuse(
            ImageResult.KEY_REVOKED,
            f"KEY_ID 0x{m.key_id:08x}: expected an allowed key, found a revoked key",
        )
    entry = keyring.lookup(m.key_id)
    if status is not KeyStatus.ALLOWED or entry is None:
        raise _Refuse(
            ImageResult.KEY_UNKNOWN,
            f"KEY_ID 0x{m.key_id:08x}: expected a key on the allow list "
            f"({', '.join(f'0x{k:08x}' for k in sorted(keyring.allowed_ids)) or 'empty'}), "
            "found an unknown key",
        )
    if m.keyhash != entry.keyhash:
        raise _Refuse(
            ImageResult.KEYID_MISMATCH,
            f"KEYHASH: expected {entry.keyhash.hex()} (the key "
            f"KEY_ID 0x{m.key_id:08x} names), found {m.keyhash.hex()}",
        )
    rs = der_to_rs(sig[0].value)
    if rs is None:
        raise _Refuse(
            ImageResult.BAD_SIGNATURE,
            f"ECDSA_SIG: expected strict DER SEQUENCE of two INTEGERs, found {sig[0].value.hex()}",
        )
    r, s = rs
    if not (1 <= r < P256_N and 1 <= s < P256_N):
        raise _Refuse(
            ImageResult.BAD_SIGNATURE,
            "ECDSA_SIG: expected r and s in [1, n-1], found a value out of range",
        )
    try:
        entry.public_key.verify(encode_dss_signature(r, s), region, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise _Refuse(
            ImageResult.BAD_SIGNATURE,
            f"ECDSA_SIG: expected a signature of the signed region by key 0x{m.key_id:08x}, "
            "found one that does not verify",
        ) from None


def _policy(m: Manifest, data: bytes, hdr: Header, policy: VerifyPolicy) -> None:
    payload = data[hdr.hdr_size : hdr.payload_end]
    for i, want in enumerate(m.chunk_hashes):
        chunk = payload[i * m.chunk_size : (i + 1) * m.chunk_size]
        got = hashlib.sha256(chunk).digest()
        if got != want:
            raise _Refuse(
                ImageResult.CHUNK_HASH,
                f"chunk {i} (offset 0x{i * m.chunk_size:x}): expected SHA-256 {want.hex()} "
                f"(CHUNK_HASHES), found {got.hex()}",
            )
    if m.hw_compat != policy.hw_compat:
        raise _Refuse(
            ImageResult.HW_MISMATCH,
            f"HW_COMPAT: expected 0x{policy.hw_compat:08x} (device), found 0x{m.hw_compat:08x}",
        )
    if m.slot != policy.slot:
        raise _Refuse(
            ImageResult.WRONG_SLOT,
            f"TARGET_SLOT: expected {'AB'[policy.slot]}, found {'AB'[m.slot]}",
        )
    if m.type != policy.image_type:
        raise _Refuse(
            ImageResult.WRONG_TYPE, f"IMAGE_TYPE: expected {policy.image_type}, found {m.type}"
        )
    if m.build < policy.floor:
        raise _Refuse(
            ImageResult.BELOW_FLOOR,
            f"build: expected >= {policy.floor} (rollback floor), found {m.build}",
        )
    if policy.running_build is not None and m.build <= policy.running_build:
        raise _Refuse(
            ImageResult.REPLAY,
            f"build: expected > {policy.running_build} (running build), found {m.build}",
        )


def verify_image(data: bytes, *, keyring: Keyring, policy: VerifyPolicy) -> Verdict:
    """Verify ``data`` (a package file or a slot's content) the way the bootloader does."""
    m: Manifest | None = None
    computed: bytes | None = None
    end: int | None = None
    try:
        try:
            hdr = parse_header(data, policy.header_size)
        except TlvFormatError as exc:
            raise _Refuse(exc.result, exc.detail) from None
        limit = min(len(data), policy.slot_size)
        if policy.slot_size < len(data):
            name = f"the slot (0x{policy.slot_size:x} bytes)"
        else:
            name = f"the image data ({len(data)} bytes)"
        if hdr.payload_end > limit:
            raise _Refuse(
                ImageResult.TOO_LARGE,
                f"image: expected header + payload (0x{hdr.hdr_size:x} + 0x{hdr.img_size:x}) "
                f"to fit {name}, found 0x{hdr.payload_end:x} bytes",
            )
        try:
            prot, unprot = parse_areas(data, hdr, limit, name)
        except TlvFormatError as exc:
            raise _Refuse(exc.result, exc.detail) from None
        end = unprot.end
        m = _step2_fields(data, hdr, prot, unprot)
        region = data[: hdr.signed_end]
        computed = hashlib.sha256(region).digest()
        if m.hash is None:
            raise _Refuse(ImageResult.NO_HASH, "unprotected TLV SHA256: expected once, found none")
        if m.hash != computed:
            raise _Refuse(
                ImageResult.HASH_MISMATCH,
                f"SHA256: expected {computed.hex()} (computed over [0, 0x{hdr.signed_end:x})), "
                f"found {m.hash.hex()}",
            )
        _keys_and_signature(m, unprot, keyring, region)
        _policy(m, data, hdr, policy)
        if len(data) > end:
            raise _Refuse(
                ImageResult.TRAILING_DATA,
                f"package: expected {end} bytes (image end), found {len(data)} "
                f"({len(data) - end} trailing bytes)",
            )
    except _Refuse as r:
        return Verdict(r.result, r.detail, m, computed, end)
    return Verdict(ImageResult.OK, "image verified", m, computed, end)
