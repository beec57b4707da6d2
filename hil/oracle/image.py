"""Which MCUboot image a slot holds, from its bytes alone: the header and TLV info say where
the image ends; its SHA-256 names it among the images the harness approved."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from hil.image import wolfboot
from hil.profile.model import ImageFormat

IMAGE_MAGIC = 0x96F3B83D
TLV_INFO_MAGIC = 0x6907
TLV_PROT_INFO_MAGIC = 0x6908


@dataclass(frozen=True)
class SlotImage:
    """What a slot holds: ``end`` bytes (header + payload + TLVs) and their hash."""

    end: int
    hdr_size: int
    version: str
    sha256: str


def image_end(slot: bytes) -> tuple[int, int, str] | None:
    """(end, hdr_size, version) of the MCUboot image at the start of ``slot``; None when the
    bytes do not hold a well-formed header and TLV info (every value is attacker-controlled and
    bounds-checked)."""
    if len(slot) < 32:
        return None
    magic, _load, hdr, prot, img, _flags = struct.unpack_from("<IIHHII", slot, 0)
    major, minor, rev, build = struct.unpack_from("<BBHI", slot, 20)
    if magic != IMAGE_MAGIC or hdr < 32 or img == 0:
        return None
    pos = hdr + img
    if prot:
        if pos + 4 > len(slot):
            return None
        m, tot = struct.unpack_from("<HH", slot, pos)
        if m != TLV_PROT_INFO_MAGIC or tot != prot:
            return None
        pos += prot
    if pos + 4 > len(slot):
        return None
    m, tot = struct.unpack_from("<HH", slot, pos)
    if m != TLV_INFO_MAGIC or pos + tot > len(slot):
        return None
    return pos + tot, hdr, f"{major}.{minor}.{rev}+{build}"


def slot_image(slot: bytes) -> SlotImage | None:
    got = image_end(slot)
    if got is None:
        return None
    end, hdr, version = got
    return SlotImage(end, hdr, version, hashlib.sha256(slot[:end]).hexdigest())


def image_hash(image: bytes) -> str:
    """The hash the oracle compares a slot with: SHA-256 of the whole signed image."""
    got = image_end(image)
    end = got[0] if got is not None else len(image)
    return hashlib.sha256(image[:end]).hexdigest()


def wolfboot_slot_image(slot: bytes, header_size: int) -> SlotImage | None:
    """What a wolfBoot partition holds: its manifest header's size and version (bounds-checked;
    the hash is of header + payload, what ``image_hash`` gives for the signed image)."""
    got = wolfboot.decode(slot, None, header_size=header_size)
    if got.header is None or got.verdict is wolfboot.Verdict.SHORT:
        return None
    end = header_size + got.header.size
    version = wolfboot.version_text(got.header.version)
    return SlotImage(end, header_size, version, hashlib.sha256(slot[:end]).hexdigest())


def installed_image(fmt: ImageFormat, slot: bytes) -> SlotImage | None:
    """The image in ``slot`` as the profile's image format lays it out."""
    if fmt.wolfboot is not None:
        return wolfboot_slot_image(slot, fmt.wolfboot.header_size)
    return slot_image(slot)
