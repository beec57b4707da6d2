"""Build signed images (contracts §7): MCUboot header, payload, protected manifest TLVs,
unprotected SHA256 / KEYHASH / ECDSA_SIG TLVs.

Signatures are RFC 6979 deterministic ECDSA P-256 over SHA-256 of the signed region, so the
same ``ImageSpec`` always gives the same bytes. TLV order is the one imgtool uses (SEC_CNT,
then the custom TLVs in ascending type; SHA256, KEYHASH, signature).
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from hil.image.constants import (
    IMG_CHUNK_MAX,
    IMG_CHUNK_MIN,
    IMG_HEADER_BYTES,
    IMG_HEADER_STRUCT,
    IMG_MAGIC,
    IMG_SELF_TEST_MAX,
    IMG_TLV_CHUNK_HASHES,
    IMG_TLV_CHUNK_SIZE,
    IMG_TLV_ECDSA_SIG,
    IMG_TLV_HW_COMPAT,
    IMG_TLV_IMAGE_TYPE,
    IMG_TLV_INFO_MAGIC,
    IMG_TLV_KEY_ID,
    IMG_TLV_KEYHASH,
    IMG_TLV_PAYLOAD_SIZE,
    IMG_TLV_PROT_MAGIC,
    IMG_TLV_SEC_CNT,
    IMG_TLV_SELF_TEST,
    IMG_TLV_SHA256,
    IMG_TLV_TARGET_SLOT,
    IMG_TLV_VERSION,
    IMG_TYPE_APP,
    IMG_VERSION_MAX,
)
from hil.image.errors import ImageBuildError
from hil.image.keys import PrivateKey, PublicKey, key_id, keyhash
from hil.image.tlv import build_area
from hil.platform.model import Platform

SLOT_NAMES = ("A", "B")
KIB = 1024
# the label the --app-size filler is derived from (SHAKE-256): fixed, so sized images are
# byte-identical run to run
FILLER_LABEL = b"ota-hil app-size filler"


@dataclass(frozen=True)
class ImageSpec:
    """Everything that goes into one signed image."""

    payload: bytes  # the application binary, linked at slot + header_size
    build: int  # build number = security counter (SEC_CNT and header build_num)
    key: PrivateKey  # signer
    hw_compat: int  # hardware compatibility ID (default device ID: zlib.crc32(platform name))
    target_slot: int  # 0 = A, 1 = B
    image_type: int = IMG_TYPE_APP
    chunk_size: int = 4096
    version: str | None = None  # VERSION TLV (display only); omitted when None
    self_test: int = 0  # 0 pass, 1 fail, 2 hang (issue 4)
    header_size: int = 0x200  # must equal the platform's layout.image_header_size

    def check(self) -> None:
        """Raise ``ImageBuildError`` naming the first field out of range."""

        def bad(fld: str, expected: str, found: object) -> ImageBuildError:
            return ImageBuildError(f"ImageSpec.{fld}: expected {expected}, found {found!r}")

        for fld in ("build", "hw_compat", "image_type"):
            v = getattr(self, fld)
            if not 0 <= v <= 0xFFFFFFFF:
                raise bad(fld, "a u32", v)
        if self.target_slot not in (0, 1):
            raise bad("target_slot", "0 (A) or 1 (B)", self.target_slot)
        cs = self.chunk_size
        if not (IMG_CHUNK_MIN <= cs <= IMG_CHUNK_MAX and cs & (cs - 1) == 0):
            raise bad("chunk_size", f"a power of two in {IMG_CHUNK_MIN}..{IMG_CHUNK_MAX}", cs)
        if self.version is not None and not version_ok(self.version):
            raise bad("version", f"1..{IMG_VERSION_MAX} printable ASCII characters", self.version)
        if not 0 <= self.self_test <= IMG_SELF_TEST_MAX:
            raise bad(
                "self_test",
                "0..6 (contracts §7: pass, fail, hang, late, crash/hang before, crash during)",
                self.self_test,
            )
        if not IMG_HEADER_BYTES <= self.header_size <= 0xFFFF:
            raise bad("header_size", f"{IMG_HEADER_BYTES}..65535", self.header_size)
        if not 0 < len(self.payload) <= 0xFFFFFFFF:
            raise bad("payload", "1 .. 2^32-1 bytes", f"{len(self.payload)} bytes")


def sized_payload(app: bytes, size: int) -> bytes:
    """``app`` followed by a filler up to ``size`` bytes: the payload of an update of that size
    (``--app-size``). The application runs as before (the filler lies past its last byte); the
    filler is part of the payload, so the bootloader and the updater hash, chunk-check and
    verify it like the code. It is SHAKE-256 of ``FILLER_LABEL``: the same every run, and no
    run of erased bytes (0xFF) that a flash driver could skip."""
    if size < len(app):
        raise ImageBuildError(
            f"app size: expected at least the application binary ({len(app)} bytes, "
            f"{-(-len(app) // KIB)} KiB), found {size} bytes"
        )
    return app + hashlib.shake_256(FILLER_LABEL).digest(size - len(app))


def version_ok(text: str) -> bool:
    return 1 <= len(text) <= IMG_VERSION_MAX and all(0x20 <= ord(c) <= 0x7E for c in text)


def header_version(text: str | None) -> tuple[int, int, int]:
    """``major.minor.revision`` for the header from a leading ``N[.N[.N]]`` of the version."""
    m = re.match(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", text or "")
    if not m:
        return (0, 0, 0)
    major, minor, rev = (int(g) if g else 0 for g in m.groups())
    if major > 0xFF or minor > 0xFF or rev > 0xFFFF:
        return (0, 0, 0)
    return (major, minor, rev)


def chunk_hashes(payload: bytes, chunk_size: int) -> bytes:
    """The CHUNK_HASHES value: SHA-256 of each ``chunk_size`` slice (the last may be short)."""
    return b"".join(
        hashlib.sha256(payload[i : i + chunk_size]).digest()
        for i in range(0, len(payload), chunk_size)
    )


def _u32(v: int) -> bytes:
    return struct.pack("<I", v)


def protected_tlvs(spec: ImageSpec) -> list[tuple[int, bytes]]:
    """The protected (signed) manifest TLVs of ``spec``, in emission order."""
    items = [
        (IMG_TLV_SEC_CNT, _u32(spec.build)),
        (IMG_TLV_KEY_ID, _u32(key_id(spec.key))),
        (IMG_TLV_HW_COMPAT, _u32(spec.hw_compat)),
        (IMG_TLV_IMAGE_TYPE, _u32(spec.image_type)),
        (IMG_TLV_TARGET_SLOT, _u32(spec.target_slot)),
        (IMG_TLV_PAYLOAD_SIZE, _u32(len(spec.payload))),
        (IMG_TLV_CHUNK_SIZE, _u32(spec.chunk_size)),
        (IMG_TLV_CHUNK_HASHES, chunk_hashes(spec.payload, spec.chunk_size)),
    ]
    if spec.version is not None:
        items.append((IMG_TLV_VERSION, spec.version.encode("ascii")))
    items.append((IMG_TLV_SELF_TEST, _u32(spec.self_test)))
    return items


def make_header(spec: ImageSpec, protect_tlv_size: int, img_size: int | None = None) -> bytes:
    """The 32-byte header zero-padded to ``spec.header_size``."""
    major, minor, rev = header_version(spec.version)
    size = len(spec.payload) if img_size is None else img_size
    head = struct.pack(
        IMG_HEADER_STRUCT,
        IMG_MAGIC,
        0,
        spec.header_size,
        protect_tlv_size,
        size,
        0,
        major,
        minor,
        rev,
        spec.build,
        0,
    )
    return head + bytes(spec.header_size - len(head))


def signed_region(spec: ImageSpec, protected: Iterable[tuple[int, bytes]] | None = None) -> bytes:
    """Header + payload + protected TLV area: the bytes hashed and signed."""
    area = build_area(IMG_TLV_PROT_MAGIC, protected_tlvs(spec) if protected is None else protected)
    return make_header(spec, len(area)) + spec.payload + area


def sign(key: PrivateKey, region: bytes) -> bytes:
    """DER ECDSA P-256 / SHA-256 signature of ``region``, RFC 6979 deterministic."""
    return key.sign(region, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


def unprotected_area(
    region: bytes,
    *,
    signer: PrivateKey | None,
    claimed_key: PublicKey | PrivateKey | None = None,
    extra: Iterable[tuple[int, bytes]] = (),
) -> bytes:
    """SHA256, then (if ``signer``) KEYHASH of ``claimed_key`` (default: the signer) and the
    signature, then ``extra`` TLVs."""
    items = [(IMG_TLV_SHA256, hashlib.sha256(region).digest())]
    if signer is not None:
        items.append((IMG_TLV_KEYHASH, keyhash(claimed_key or signer)))
        items.append((IMG_TLV_ECDSA_SIG, sign(signer, region)))
    items.extend(extra)
    return build_area(IMG_TLV_INFO_MAGIC, items)


def build_image(spec: ImageSpec) -> bytes:
    """The signed image bytes of ``spec`` (byte-identical for identical specs)."""
    spec.check()
    try:
        region = signed_region(spec)
    except ValueError as exc:
        raise ImageBuildError(f"cannot lay out the protected TLVs: {exc}") from None
    if len(region) - spec.header_size - len(spec.payload) > 0xFFFF:
        raise ImageBuildError("protected TLV area: expected <= 65535 bytes")
    return region + unprotected_area(region, signer=spec.key)


def default_hw_compat(platform: Platform | str) -> int:
    """The default device hardware ID: ``zlib.crc32(platform name)``."""
    name = platform if isinstance(platform, str) else platform.name
    return zlib.crc32(name.encode("ascii")) & 0xFFFFFFFF


def slot_index(slot: str | int) -> int:
    """0 / 1 from ``"A"``/``"B"`` (any case) or 0/1."""
    if isinstance(slot, int) and slot in (0, 1):
        return slot
    if isinstance(slot, str) and slot.upper() in SLOT_NAMES:
        return SLOT_NAMES.index(slot.upper())
    raise ImageBuildError(f"slot: expected A or B, found {slot!r}")


def spec_for_platform(
    platform: Platform,
    app_bin: bytes | str | Path,
    build: int,
    key: PrivateKey,
    slot: str | int = "A",
    *,
    hw_compat: int | None = None,
    chunk_size: int = 4096,
    version: str | None = None,
    self_test: int = 0,
    image_type: int = IMG_TYPE_APP,
) -> ImageSpec:
    """An ``ImageSpec`` with header size and hardware ID taken from ``platform``."""
    if isinstance(app_bin, bytes):
        payload = app_bin
    else:
        try:
            payload = Path(app_bin).read_bytes()
        except OSError as exc:
            raise ImageBuildError(f"{app_bin}: expected a readable binary, found {exc}") from None
    return ImageSpec(
        payload=payload,
        build=build,
        key=key,
        hw_compat=default_hw_compat(platform) if hw_compat is None else hw_compat,
        target_slot=slot_index(slot),
        image_type=image_type,
        chunk_size=chunk_size,
        version=version,
        self_test=self_test,
        header_size=platform.layout.image_header_size,
    )


def slot_size(platform: Platform, slot: str | int) -> int:
    return platform.layout[f"slot_{SLOT_NAMES[slot_index(slot)].lower()}"].size


def image_for_platform(
    platform: Platform,
    app_bin: bytes | str | Path,
    build: int,
    key: PrivateKey,
    slot: str | int = "A",
    *,
    hw_compat: int | None = None,
    chunk_size: int = 4096,
    version: str | None = None,
    self_test: int = 0,
) -> bytes:
    """Sign ``app_bin`` for ``platform``'s slot; raises ``ImageBuildError`` if it won't fit."""
    spec = spec_for_platform(
        platform,
        app_bin,
        build,
        key,
        slot,
        hw_compat=hw_compat,
        chunk_size=chunk_size,
        version=version,
        self_test=self_test,
    )
    return image_for_spec(platform, spec)


def image_for_spec(platform: Platform, spec: ImageSpec) -> bytes:
    """``build_image(spec)``, refused with ``ImageBuildError`` if it does not fit its slot."""
    image = build_image(spec)
    room = slot_size(platform, spec.target_slot)
    if len(image) > room:
        raise ImageBuildError(
            f"image for slot {SLOT_NAMES[spec.target_slot]} of {platform.name}: expected at "
            f"most 0x{room:x} bytes (slot size, {room // KIB} KiB), found 0x{len(image):x} "
            f"({len(image) / KIB:.1f} KiB with {len(spec.payload) / KIB:.1f} KiB of payload)"
        )
    return image
