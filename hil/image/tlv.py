"""TLV areas: building them, and a strict iterator that bounds-checks every length.

An area is ``u16 magic | u16 tlv_tot | TLV...`` where ``tlv_tot`` includes the 4-byte info and
each TLV is ``u16 type | u16 len | value[len]`` (contracts §7, little endian). ``parse_area``
never indexes past the data: every problem is a ``TlvFormatError`` carrying the
``ImageResult`` (TLV_TRUNCATED, TLV_MAGIC, TLV_OVERRUN) and a detail naming what was expected
and what was found.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from hil.errors import HilError
from hil.image.constants import (
    IMG_TLV_INFO_MAGIC,
    IMG_TLV_PROT_MAGIC,
    TLV_HEADER_SIZE,
    TLV_INFO_SIZE,
    ImageResult,
    tlv_name,
)

_AREA_NAMES = {IMG_TLV_PROT_MAGIC: "protected", IMG_TLV_INFO_MAGIC: "unprotected"}


class TlvFormatError(HilError):
    """A TLV area breaks a structural rule; ``result`` is the step-2 ``ImageResult``."""

    def __init__(self, result: ImageResult, detail: str, offset: int) -> None:
        self.result = result
        self.detail = detail
        self.offset = offset
        super().__init__(f"{result.name}: {detail}")


@dataclass(frozen=True)
class Tlv:
    """One TLV; ``offset`` is the absolute offset of its 4-byte header in the image."""

    type: int
    offset: int
    value: bytes

    @property
    def length(self) -> int:
        return len(self.value)

    @property
    def value_offset(self) -> int:
        return self.offset + TLV_HEADER_SIZE

    @property
    def end(self) -> int:
        return self.value_offset + len(self.value)


@dataclass(frozen=True)
class TlvArea:
    """A parsed TLV area; ``offset`` is where its info starts, ``tot`` includes the info."""

    magic: int
    offset: int
    tot: int
    tlvs: tuple[Tlv, ...]

    @property
    def end(self) -> int:
        return self.offset + self.tot

    @property
    def name(self) -> str:
        return _AREA_NAMES.get(self.magic, f"0x{self.magic:04x}")

    def of_type(self, tlv_type: int) -> list[Tlv]:
        return [t for t in self.tlvs if t.type == tlv_type]

    def tlv_name(self, tlv: Tlv) -> str:
        return tlv_name(self.magic, tlv.type)


def encode_tlv(tlv_type: int, value: bytes) -> bytes:
    """One TLV's bytes. Raises ``ValueError`` if type or length do not fit a u16."""
    if not 0 <= tlv_type <= 0xFFFF:
        raise ValueError(f"TLV type must fit a u16, got {tlv_type:#x}")
    if len(value) > 0xFFFF:
        raise ValueError(f"TLV value must be at most 65535 bytes, got {len(value)}")
    return struct.pack("<HH", tlv_type, len(value)) + value


def build_area(magic: int, items: Iterable[tuple[int, bytes]]) -> bytes:
    """An area: info (magic, tlv_tot including the info) followed by the TLVs in order."""
    body = b"".join(encode_tlv(t, v) for t, v in items)
    tot = TLV_INFO_SIZE + len(body)
    if tot > 0xFFFF:
        raise ValueError(f"TLV area must be at most 65535 bytes including its info, got {tot}")
    return struct.pack("<HH", magic, tot) + body


def parse_area(
    data: bytes,
    offset: int,
    *,
    magic: int,
    limit: int | None = None,
    limit_name: str = "the image data",
    declared_tot: int | None = None,
) -> TlvArea:
    """Parse the area whose info is at ``offset``; nothing at or past ``limit`` is read.

    Checks, in order: the info fits (TLV_TRUNCATED), its magic (TLV_MAGIC), ``tlv_tot`` at
    least the info size and equal to ``declared_tot`` when given (TLV_TRUNCATED), the area
    ends by ``limit`` (TLV_TRUNCATED), then each TLV header and value stay inside the area
    (TLV_OVERRUN).
    """
    area = _AREA_NAMES.get(magic, "TLV")
    bound = len(data) if limit is None else min(limit, len(data))
    if limit is not None and limit < len(data):
        what = limit_name
    else:
        what = f"the image data ({len(data)} bytes)"
    if offset < 0 or offset + TLV_INFO_SIZE > bound:
        left = max(0, bound - offset)
        raise TlvFormatError(
            ImageResult.TLV_TRUNCATED,
            f"{area} TLV info at 0x{offset:x}: expected {TLV_INFO_SIZE} bytes before the end "
            f"of {what}, found {left}",
            offset,
        )
    found_magic, tot = struct.unpack_from("<HH", data, offset)
    if found_magic != magic:
        raise TlvFormatError(
            ImageResult.TLV_MAGIC,
            f"{area} TLV info at 0x{offset:x}: expected magic 0x{magic:04x}, "
            f"found 0x{found_magic:04x}",
            offset,
        )
    if tot < TLV_INFO_SIZE:
        raise TlvFormatError(
            ImageResult.TLV_TRUNCATED,
            f"{area} TLV area at 0x{offset:x}: expected tlv_tot >= {TLV_INFO_SIZE} "
            f"(info included), found {tot}",
            offset,
        )
    if declared_tot is not None and tot != declared_tot:
        raise TlvFormatError(
            ImageResult.TLV_TRUNCATED,
            f"{area} TLV area at 0x{offset:x}: expected tlv_tot = header protect_tlv_size "
            f"{declared_tot}, found {tot}",
            offset,
        )
    end = offset + tot
    if end > bound:
        raise TlvFormatError(
            ImageResult.TLV_TRUNCATED,
            f"{area} TLV area at 0x{offset:x}: expected it to end by 0x{bound:x} (end of "
            f"{what}), found tlv_tot {tot} (to 0x{end:x})",
            offset,
        )
    tlvs: list[Tlv] = []
    pos = offset + TLV_INFO_SIZE
    while pos < end:
        if end - pos < TLV_HEADER_SIZE:
            raise TlvFormatError(
                ImageResult.TLV_OVERRUN,
                f"{area} TLV #{len(tlvs)} at 0x{pos:x}: expected a {TLV_HEADER_SIZE}-byte "
                f"TLV header inside the area (ends 0x{end:x}), found {end - pos} bytes left",
                pos,
            )
        tlv_type, length = struct.unpack_from("<HH", data, pos)
        vend = pos + TLV_HEADER_SIZE + length
        if vend > end:
            raise TlvFormatError(
                ImageResult.TLV_OVERRUN,
                f"{area} TLV #{len(tlvs)} ({tlv_name(magic, tlv_type)}) at 0x{pos:x}: expected "
                f"it to end by the area end 0x{end:x}, found len {length} (to 0x{vend:x})",
                pos,
            )
        tlvs.append(Tlv(tlv_type, pos, bytes(data[pos + TLV_HEADER_SIZE : vend])))
        pos = vend
    return TlvArea(magic, offset, tot, tuple(tlvs))
