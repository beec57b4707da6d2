"""Structural parsing of an image (header and TLV areas), without any policy.

``parse_header`` and ``parse_areas`` raise ``TlvFormatError`` (result + detail) and never read
past the data; ``parse_image`` catches them and returns whatever was parsed, for ``hil image
show``. ``hil.image.verify`` builds the verification steps on these functions.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from hil.image.constants import (
    IMG_HEADER_BYTES,
    IMG_HEADER_STRUCT,
    IMG_MAGIC,
    IMG_TLV_CHUNK_HASHES,
    IMG_TLV_ECDSA_SIG,
    IMG_TLV_INFO_MAGIC,
    IMG_TLV_KEY_ID,
    IMG_TLV_KEYHASH,
    IMG_TLV_PROT_MAGIC,
    IMG_TLV_SHA256,
    IMG_TLV_TARGET_SLOT,
    IMG_TLV_VERSION,
    PROTECTED_TLVS,
    UNPROTECTED_TLVS,
    ImageResult,
)
from hil.image.tlv import Tlv, TlvArea, TlvFormatError, parse_area


@dataclass(frozen=True)
class Header:
    magic: int
    load_addr: int
    hdr_size: int
    protect_tlv_size: int
    img_size: int
    flags: int
    version: tuple[int, int, int]
    build_num: int
    pad: int

    @property
    def payload_end(self) -> int:
        return self.hdr_size + self.img_size

    @property
    def signed_end(self) -> int:
        """End of the signed region: header + payload + protected TLV area."""
        return self.hdr_size + self.img_size + self.protect_tlv_size


def parse_header(data: bytes, header_size: int | None = None) -> Header:
    """Step-1 structure: magic (BAD_MAGIC), 32 bytes, hdr_size, flags, img_size (BAD_HEADER)."""
    if len(data) < 4:
        raise TlvFormatError(
            ImageResult.BAD_MAGIC,
            f"header: expected 4 bytes of magic 0x{IMG_MAGIC:08x}, found {len(data)} bytes",
            0,
        )
    (magic,) = struct.unpack_from("<I", data, 0)
    if magic != IMG_MAGIC:
        raise TlvFormatError(
            ImageResult.BAD_MAGIC,
            f"header magic: expected 0x{IMG_MAGIC:08x}, found 0x{magic:08x}",
            0,
        )
    if len(data) < IMG_HEADER_BYTES:
        raise TlvFormatError(
            ImageResult.BAD_HEADER,
            f"header: expected {IMG_HEADER_BYTES} bytes, found {len(data)}",
            0,
        )
    f = struct.unpack_from(IMG_HEADER_STRUCT, data, 0)
    hdr = Header(f[0], f[1], f[2], f[3], f[4], f[5], (f[6], f[7], f[8]), f[9], f[10])
    if header_size is not None and hdr.hdr_size != header_size:
        raise TlvFormatError(
            ImageResult.BAD_HEADER,
            f"header hdr_size: expected 0x{header_size:x} (platform image_header_size), "
            f"found 0x{hdr.hdr_size:x}",
            8,
        )
    if hdr.hdr_size < IMG_HEADER_BYTES:
        raise TlvFormatError(
            ImageResult.BAD_HEADER,
            f"header hdr_size: expected >= {IMG_HEADER_BYTES}, found {hdr.hdr_size}",
            8,
        )
    if hdr.flags != 0:
        raise TlvFormatError(
            ImageResult.BAD_HEADER, f"header flags: expected 0, found 0x{hdr.flags:08x}", 16
        )
    if hdr.img_size == 0:
        raise TlvFormatError(ImageResult.BAD_HEADER, "header img_size: expected > 0, found 0", 12)
    return hdr


def parse_areas(
    data: bytes, hdr: Header, limit: int | None = None, limit_name: str = "the image data"
) -> tuple[TlvArea | None, TlvArea]:
    """Step-2 structure: the protected area (if ``protect_tlv_size`` != 0), then the
    unprotected one, each bounds-checked against ``limit`` (default: the data length)."""
    prot: TlvArea | None = None
    if hdr.protect_tlv_size != 0:
        prot = parse_area(
            data,
            hdr.payload_end,
            magic=IMG_TLV_PROT_MAGIC,
            limit=limit,
            limit_name=limit_name,
            declared_tot=hdr.protect_tlv_size,
        )
    unprot = parse_area(
        data, hdr.signed_end, magic=IMG_TLV_INFO_MAGIC, limit=limit, limit_name=limit_name
    )
    return prot, unprot


@dataclass(frozen=True)
class ParsedImage:
    """What ``parse_image`` could make of some bytes; ``problem`` is the first structural
    failure (None if header and both areas parsed)."""

    size: int
    header: Header | None
    protected: TlvArea | None
    unprotected: TlvArea | None
    problem: ImageResult | None
    detail: str

    @property
    def image_end(self) -> int | None:
        return None if self.unprotected is None else self.unprotected.end

    def tlvs(self) -> list[tuple[TlvArea, Tlv]]:
        return [(a, t) for a in (self.protected, self.unprotected) if a for t in a.tlvs]

    def find(self, area_magic: int, tlv_type: int) -> Tlv | None:
        area = self.protected if area_magic == IMG_TLV_PROT_MAGIC else self.unprotected
        if area is None:
            return None
        found = area.of_type(tlv_type)
        return found[0] if found else None


def parse_image(data: bytes) -> ParsedImage:
    """Parse header and TLV areas without any policy; never raises for bad bytes."""
    hdr: Header | None = None
    prot: TlvArea | None = None
    try:
        hdr = parse_header(data)
        if hdr.protect_tlv_size != 0:
            prot = parse_area(
                data,
                hdr.payload_end,
                magic=IMG_TLV_PROT_MAGIC,
                declared_tot=hdr.protect_tlv_size,
            )
        unprot = parse_area(data, hdr.signed_end, magic=IMG_TLV_INFO_MAGIC)
    except TlvFormatError as exc:
        return ParsedImage(len(data), hdr, prot, None, exc.result, exc.detail)
    return ParsedImage(len(data), hdr, prot, unprot, None, "")


def describe_tlv(area_magic: int, tlv: Tlv) -> str:
    """A short human rendering of a TLV value."""
    v = tlv.value
    if area_magic == IMG_TLV_PROT_MAGIC and tlv.type in PROTECTED_TLVS:
        if tlv.type == IMG_TLV_VERSION:
            return repr(v.decode("ascii", "replace"))
        if tlv.type == IMG_TLV_CHUNK_HASHES:
            n = len(v) // 32
            first = v[:32].hex()
            return f"{n} x SHA-256 (first {first}{', ...' if n > 1 else ''})"
        if len(v) == 4:
            (u,) = struct.unpack("<I", v)
            if tlv.type == IMG_TLV_KEY_ID:
                return f"0x{u:08x}"
            if tlv.type == IMG_TLV_TARGET_SLOT:
                return {0: "0 (A)", 1: "1 (B)"}.get(u, str(u))
            return f"{u} (0x{u:x})"
    if area_magic == IMG_TLV_INFO_MAGIC and tlv.type in UNPROTECTED_TLVS:
        if tlv.type in (IMG_TLV_SHA256, IMG_TLV_KEYHASH):
            extra = ""
            if tlv.type == IMG_TLV_KEYHASH and len(v) >= 4:
                extra = f" (key ID 0x{int.from_bytes(v[:4], 'big'):08x})"
            return v.hex() + extra
        if tlv.type == IMG_TLV_ECDSA_SIG:
            return f"DER {len(v)} bytes {v.hex()}"
    return v.hex() if len(v) <= 32 else f"{v[:32].hex()}... ({len(v)} bytes)"
