"""The wolfBoot image format: manifest header, signing and verification (issue 12).

Constants mirror wolfBoot's ``include/wolfboot/wolfboot.h`` (``WOLFBOOT_MAGIC``, ``HDR_*``,
``IMG_STATE_*``, ``HDR_IMG_TYPE_*``); the layout is the one ``tools/keytools/sign.c`` writes:

    u32 magic "WOLF" | u32 payload size | TLVs (u16 type, u16 len, value) ... | 0xFF padding

The TLVs come in the sign tool's order with its padding (``ALIGN_8``: 0xFF bytes until
``offset % 8 == 4``, so an 8-byte value is 8-byte aligned): version (u32), timestamp (u64),
image type (u16: auth << 8 | partition), pubkey hint (SHA-256 of the raw public key X|Y),
SHA-256 digest of the header up to the digest TLV and the payload, signature (ECDSA P-256 over
that digest, raw r|s, 32 bytes each). The header is ``header_size`` bytes (wolfBoot's
``IMAGE_HEADER_SIZE``), the payload follows.

Every value read from an image is attacker-controlled: ``decode`` bounds-checks each one and
returns a ``Verdict`` (as wolfBoot's ``wolfBoot_open_image`` / ``wolfBoot_verify_integrity`` /
``wolfBoot_verify_authenticity`` return codes do), never raises.

The update flag (``src/libwolfboot.c``, not ``FLAGS_HOME``, ``TRAILER_SKIP`` 0): the last four
bytes of a partition hold ``WOLFBOOT_MAGIC_TRAIL`` ("BOOT"), the byte before them the partition
state; ``wolfBoot_update_trigger`` writes state ``IMG_STATE_UPDATING`` ('p'): "pBOOT".
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from enum import IntEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

WOLFBOOT_MAGIC = 0x464C4F57  # "WOLF" little-endian
WOLFBOOT_MAGIC_TRAIL = 0x544F4F42  # "BOOT" little-endian
IMAGE_HEADER_OFFSET = 8  # magic + size; the TLVs start here

HDR_END = 0x00
HDR_VERSION = 0x01
HDR_TIMESTAMP = 0x02
HDR_SHA256 = 0x03
HDR_IMG_TYPE = 0x04
HDR_PUBKEY = 0x10
HDR_SIGNATURE = 0x20
HDR_PADDING = 0xFF

HDR_VERSION_LEN = 4
HDR_TIMESTAMP_LEN = 8
HDR_IMG_TYPE_LEN = 2
HDR_SHA256_LEN = 32
ECC256_SIGNATURE_LEN = 64  # raw r|s
ECC256_PUBKEY_LEN = 64  # raw X|Y

AUTH_KEY_ECC256 = 0x02
HDR_IMG_TYPE_AUTH_MASK = 0xFF00
HDR_IMG_TYPE_AUTH_ECC256 = AUTH_KEY_ECC256 << 8
HDR_IMG_TYPE_PART_MASK = 0x000F
HDR_IMG_TYPE_APP = 0x0001

IMG_STATE_NEW = 0xFF
IMG_STATE_UPDATING = 0x70
IMG_STATE_TESTING = 0x10
IMG_STATE_SUCCESS = 0x00
TRAILER_SIZE = 5  # partition state byte + "BOOT"


class Verdict(IntEnum):
    """What ``decode`` concludes about an image (0: boots on a wolfBoot holding the key)."""

    OK = 0
    SHORT = 1  # fewer bytes than a header, or than header + payload size
    BAD_MAGIC = 2  # no "WOLF" at offset 0 (erased or foreign)
    BAD_TLV = 3  # a TLV runs past the header or a required TLV is missing / of wrong length
    UNSIGNED = 4  # no signature TLV (or auth type none)
    BAD_HASH = 5  # the digest TLV does not match header + payload
    UNKNOWN_KEY = 6  # the pubkey hint names no key the caller trusts
    BAD_SIGNATURE = 7  # the signature does not verify with the hinted key


@dataclass(frozen=True)
class Header:
    """A decoded manifest header (``tlvs``: every TLV by type, the first of each)."""

    size: int  # payload bytes after the header
    version: int
    timestamp: int | None
    img_type: int | None
    sha256: bytes | None
    pubkey_hint: bytes | None
    signature: bytes | None
    tlvs: dict[int, bytes]


@dataclass(frozen=True)
class Decoded:
    verdict: Verdict
    header: Header | None
    detail: str  # one line: why, for reports and errors

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK


def version_number(version: str) -> int:
    """wolfBoot's u32 version from an ``M.m.p[+b]`` string: ``M << 24 | m << 16 | p`` (keeps
    the semantic order; the build number is not part of wolfBoot's version)."""
    core = version.split("+", 1)[0].split(".")
    parts = [int(p) for p in core] + [0] * (3 - len(core))
    major, minor, patch = parts[:3]
    if not (0 <= major < 256 and 0 <= minor < 256 and 0 <= patch < 65536):
        raise ValueError(f"version {version!r} does not fit wolfBoot's u32 (M.m.p, M,m<256)")
    return major << 24 | minor << 16 | patch


def version_text(number: int) -> str:
    """The inverse of ``version_number`` (``M.m.p``)."""
    return f"{number >> 24}.{number >> 16 & 0xFF}.{number & 0xFFFF}"


def _align8(idx: int) -> int:
    while idx % 8 != 4:  # sign.c ALIGN_8: the value after the 4-byte tag+len is 8-aligned
        idx += 1
    return idx


def raw_pubkey(key: ec.EllipticCurvePublicKey) -> bytes:
    """The public key as wolfBoot stores and hints it: raw X|Y (uncompressed point sans 0x04)."""
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return point[1:]


def pubkey_hint(key: ec.EllipticCurvePublicKey) -> bytes:
    return hashlib.sha256(raw_pubkey(key)).digest()


def load_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM or DER bytes; ValueError says what else it is."""
    loaded = (
        serialization.load_pem_private_key(pem, password=None)
        if pem.lstrip().startswith(b"-----")
        else serialization.load_der_private_key(pem, password=None)
    )
    if not isinstance(loaded, ec.EllipticCurvePrivateKey) or loaded.curve.name != "secp256r1":
        raise ValueError("expected an ECDSA P-256 private key (wolfBoot SIGN=ECC256)")
    return loaded


def sign(
    payload: bytes,
    key: ec.EllipticCurvePrivateKey,
    *,
    version: int,
    header_size: int = 1024,
    timestamp: int = 0,
    img_type: int = HDR_IMG_TYPE_AUTH_ECC256 | HDR_IMG_TYPE_APP,
    custom: dict[int, bytes] | None = None,
) -> bytes:
    """Header + payload as ``sign --ecc256 --sha256 [--custom-tlv ...]`` writes it, with an
    RFC 6979 deterministic signature (same inputs, same image)."""
    h = bytearray(struct.pack("<II", WOLFBOOT_MAGIC, len(payload)))

    def tag(t: int, value: bytes) -> None:
        h.extend(struct.pack("<HH", t, len(value)) + value)

    def pad() -> None:
        h.extend(b"\xff" * (_align8(len(h)) - len(h)))

    tag(HDR_VERSION, struct.pack("<I", version))
    pad()
    tag(HDR_TIMESTAMP, struct.pack("<Q", timestamp))
    tag(HDR_IMG_TYPE, struct.pack("<H", img_type))
    for t, value in sorted((custom or {}).items()):
        pad()
        tag(t, value)
    pad()
    tag(HDR_PUBKEY, pubkey_hint(key.public_key()))
    pad()
    digest = hashlib.sha256(bytes(h) + payload).digest()
    tag(HDR_SHA256, digest)
    der = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256()), deterministic_signing=True))
    r, s = utils.decode_dss_signature(der)
    pad()
    tag(HDR_SIGNATURE, r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    if len(h) > header_size:
        raise ValueError(f"the manifest needs {len(h)} bytes, header_size is {header_size}")
    return bytes(h) + b"\xff" * (header_size - len(h)) + payload


def _tlvs(hdr: bytes) -> tuple[dict[int, bytes], dict[int, int]] | str:
    """TLVs by type (first occurrence) and the offset of each TLV; a string on a TLV that
    runs past the header (wolfBoot_find_header skips 0xFF padding and odd offsets)."""
    out: dict[int, bytes] = {}
    where: dict[int, int] = {}
    p = IMAGE_HEADER_OFFSET
    while p + 4 <= len(hdr):
        if hdr[p] == HDR_PADDING or p & 1:
            p += 1
            continue
        t, n = struct.unpack_from("<HH", hdr, p)
        if t == HDR_END:
            break
        if p + 4 + n > len(hdr):
            return f"TLV 0x{t:02x} at +{p} declares {n} bytes past the {len(hdr)}-byte header"
        out.setdefault(t, hdr[p + 4 : p + 4 + n])
        where.setdefault(t, p)
        p += 4 + n
    return out, where


def decode(
    image: bytes,
    trusted: dict[bytes, ec.EllipticCurvePublicKey] | None = None,
    *,
    header_size: int = 1024,
) -> Decoded:
    """Decode and verify ``image`` (header + payload, maybe followed by a partition's rest).
    ``trusted``: ``{pubkey hint: key}``; None skips the signature check (header only)."""
    if len(image) < header_size:
        return Decoded(Verdict.SHORT, None, f"{len(image)} bytes, a header is {header_size}")
    magic, size = struct.unpack_from("<II", image, 0)
    if magic != WOLFBOOT_MAGIC:
        return Decoded(Verdict.BAD_MAGIC, None, f"magic 0x{magic:08x}, expected 'WOLF'")
    got = _tlvs(image[:header_size])
    if isinstance(got, str):
        return Decoded(Verdict.BAD_TLV, None, got)
    tlvs, where = got

    def fixed(t: int, n: int) -> bytes | None:
        v = tlvs.get(t)
        return v if v is not None and len(v) == n else None

    ver, ts, it = fixed(HDR_VERSION, 4), fixed(HDR_TIMESTAMP, 8), fixed(HDR_IMG_TYPE, 2)
    header = Header(
        size=size,
        version=struct.unpack("<I", ver)[0] if ver else 0,
        timestamp=struct.unpack("<Q", ts)[0] if ts else None,
        img_type=struct.unpack("<H", it)[0] if it else None,
        sha256=fixed(HDR_SHA256, HDR_SHA256_LEN),
        pubkey_hint=fixed(HDR_PUBKEY, HDR_SHA256_LEN),
        signature=fixed(HDR_SIGNATURE, ECC256_SIGNATURE_LEN),
        tlvs=tlvs,
    )
    if ver is None or header.sha256 is None:
        return Decoded(Verdict.BAD_TLV, header, "no version or SHA-256 TLV of the right length")
    if header_size + size > len(image):
        return Decoded(
            Verdict.SHORT, header, f"payload of {size} bytes, {len(image) - header_size} present"
        )
    digest = hashlib.sha256(image[: where[HDR_SHA256]] + image[header_size : header_size + size])
    if digest.digest() != header.sha256:
        return Decoded(Verdict.BAD_HASH, header, "SHA-256 of header and payload does not match")
    auth = (header.img_type or 0) & HDR_IMG_TYPE_AUTH_MASK
    if header.signature is None or auth != HDR_IMG_TYPE_AUTH_ECC256:
        return Decoded(Verdict.UNSIGNED, header, "no ECC256 signature TLV")
    if trusted is None:
        return Decoded(Verdict.OK, header, "header and hash good (signature not checked)")
    key = trusted.get(header.pubkey_hint or b"")
    if key is None:
        hint = (header.pubkey_hint or b"").hex()[:16] or "none"
        return Decoded(Verdict.UNKNOWN_KEY, header, f"pubkey hint {hint}... names no trusted key")
    r = int.from_bytes(header.signature[:32], "big")
    s = int.from_bytes(header.signature[32:], "big")
    try:
        key.verify(
            utils.encode_dss_signature(r, s),
            header.sha256,
            ec.ECDSA(utils.Prehashed(hashes.SHA256())),
        )
    except InvalidSignature:
        return Decoded(Verdict.BAD_SIGNATURE, header, "ECDSA P-256 signature does not verify")
    return Decoded(Verdict.OK, header, f"version {header.version} signed and intact")


def forge(image: bytes) -> bytes:
    """``image`` with one payload byte changed and the SHA-256 TLV recomputed: the hash then
    matches, the signature (over the old digest) does not verify."""
    start = image.index(struct.pack("<HH", HDR_SHA256, HDR_SHA256_LEN), IMAGE_HEADER_OFFSET)
    size = struct.unpack_from("<I", image, 4)[0]
    header_size = len(image) - size  # a signed image is exactly header + payload
    data = bytearray(image)
    data[header_size + size // 2] ^= 0x01
    digest = hashlib.sha256(bytes(data[:start]) + bytes(data[header_size:])).digest()
    data[start + 4 : start + 4 + HDR_SHA256_LEN] = digest
    return bytes(data)


def trusted_keys(*keys: ec.EllipticCurvePrivateKey) -> dict[bytes, ec.EllipticCurvePublicKey]:
    return {pubkey_hint(k.public_key()): k.public_key() for k in keys}


def update_trigger(partition_size: int) -> tuple[int, bytes]:
    """(offset from the partition start, bytes) of what ``wolfBoot_update_trigger`` writes:
    state ``IMG_STATE_UPDATING`` and the "BOOT" trail magic in the partition's last 5 bytes."""
    return partition_size - TRAILER_SIZE, bytes([IMG_STATE_UPDATING]) + struct.pack(
        "<I", WOLFBOOT_MAGIC_TRAIL
    )


def partition_state(partition: bytes, sector_size: int = 0) -> int | None:
    """The partition state byte, or None when no trail magic is present (state unset).
    ``sector_size`` > 0: an ``NVM_FLASH_WRITEONCE`` build, whose flags alternate between the
    last two sectors; the fresh one is chosen as ``nvm_select_fresh_sector`` does (the one
    holding the magic; both: the first differing flag byte with more bits cleared)."""
    end = len(partition)
    if end < TRAILER_SIZE:
        return None

    def magic(at: int) -> bool:
        return at >= 4 and struct.unpack_from("<I", partition, at - 4)[0] == WOLFBOOT_MAGIC_TRAIL

    sel = 0
    if sector_size > 0 and end >= 2 * sector_size:
        w0, w1 = magic(end), magic(end - sector_size)
        if w1 and not w0:
            sel = 1
        elif w0 and w1:
            for off in range(4, sector_size):
                b0, b1 = partition[end - off], partition[end - sector_size - off]
                if b0 != b1:
                    sel = 0 if b0 < b1 else 1
                    break
    top = end - sel * sector_size
    return partition[top - TRAILER_SIZE] if magic(top) else None
