"""Helpers for the bootloader tests: factory images with a second slot, metadata records
written the way the firmware writes them (docs/contract-meta.md §1), a tiny "hang" application
and readers for the handoff block (core/handoff.h) and the evidence ring replay."""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass, field

from hil.device import Device
from hil.evidence import Event
from hil.firmware import FirmwareSet
from hil.image.builder import default_hw_compat, image_for_platform
from hil.image.keyring import render_anchor
from hil.platform.model import Platform
from hil.provision import FactoryImage, harness_keys

META_MAGIC = 0x314D544F
EMPTY, STAGING, PENDING, CONFIRMED, FAILED = 1, 2, 3, 4, 5
SLOT = {"A": 0, "B": 1}
NONE = 0xFF

HANDOFF_MAGIC = 0x48414E44
HANDOFF_WORDS = 13  # 12 + check

BOOT_MS = 6_000  # virtual time for one boot with two verified slots


@dataclass
class Record:
    """The metadata record (contract-meta §1)."""

    active: int = 0
    next: int = 0
    state: list[int] = field(default_factory=lambda: [CONFIRMED, EMPTY])
    attempts: list[int] = field(default_factory=lambda: [0, 0])
    build: list[int] = field(default_factory=lambda: [1, 0])
    image_id: list[int] = field(default_factory=lambda: [0, 0])
    floor: int = 0
    up_slot: int = NONE
    up_offset: int = 0
    up_image_id: int = 0
    up_build: int = 0

    def pack(self, generation: int) -> bytes:
        body = struct.pack(
            "<IHHIIBBBBBBBBIIIIIIIII",
            META_MAGIC,
            1,
            64,
            generation,
            self.floor,
            self.active,
            self.next,
            self.state[0],
            self.state[1],
            self.attempts[0],
            self.attempts[1],
            self.up_slot,
            0,
            self.build[0],
            self.build[1],
            self.image_id[0],
            self.image_id[1],
            self.up_offset,
            self.up_image_id,
            self.up_build,
            0,
            0,
        )
        assert len(body) == 60
        return body + struct.pack("<I", zlib.crc32(body))


def image_id(image: bytes) -> int:
    """First 4 bytes (big endian) of the SHA-256 of the image's signed region."""
    hdr_size, protect = struct.unpack_from("<HH", image, 8)
    (img_size,) = struct.unpack_from("<I", image, 12)
    return int.from_bytes(
        hashlib.sha256(image[: hdr_size + img_size + protect]).digest()[:4], "big"
    )


def write_record(device: Device, rec: Record, generation: int = 5, copy: str = "A") -> None:
    """Program `rec` into one metadata copy, padded like meta_commit (whole LPC55S69 page)."""
    p = device.platform
    unit = p.flash.program_unit
    data = rec.pack(generation)
    pad = (-len(data)) % unit
    data += bytes([p.flash.erased_value]) * pad
    device.engine.program_flash(p.layout[f"meta_{copy.lower()}"].address, data)


def hang_payload(platform: Platform, slot: str) -> bytes:
    """A minimal application for `slot`: a vector table whose reset handler is `b .` (never
    feeds the watchdog), linked at slot + header."""
    vtor = platform.layout[f"slot_{slot.lower()}"].address + platform.layout.image_header_size
    msp = platform.ram.base + 0x2000
    code = struct.pack("<HH", 0xE7FE, 0xBF00)  # b . ; nop
    return struct.pack("<II", msp, (vtor + 8) | 1) + code + bytes(4)


def signed(
    platform: Platform,
    payload: bytes,
    build: int,
    slot: str,
    *,
    key: str = "signer",
    self_test: int = 0,
) -> bytes:
    ks = harness_keys()
    return image_for_platform(platform, payload, build, getattr(ks, key), slot, self_test=self_test)


def factory(
    platform: Platform,
    fw: FirmwareSet,
    *,
    build_a: int = 1,
    slot_b: bytes | None = None,
    floor: int = 0,
) -> FactoryImage:
    """Slot A: the reference app signed as `build_a`; slot B: `slot_b` (or empty)."""
    ks = harness_keys()
    a = image_for_platform(platform, fw.app_bin, build_a, ks.signer, "A")
    slots = {"A": a}
    if slot_b is not None:
        slots["B"] = slot_b
    anchor = render_anchor(ks.keyring(), floor, default_hw_compat(platform))
    return FactoryImage(platform, fw, anchor, slots)


def handoff(device: Device) -> dict[str, int]:
    """The handoff block (core/handoff.h v2) read over the debug port; `valid` says whether
    its CRC holds."""
    p = device.platform
    base = p.ram.end - p.layout.handoff_size
    w = [device.engine.debug_read32(base + 4 * i) for i in range(HANDOFF_WORDS)]
    names = [
        "magic", "version", "next_seq", "slot", "vtor", "reset_cause", "build", "trial",
        "attempt", "image_addr", "meta_gen", "flags", "check",
    ]  # fmt: skip
    out = dict(zip(names, w, strict=True))
    out["valid"] = int(w[0] == HANDOFF_MAGIC and zlib.crc32(struct.pack("<12I", *w[:12])) == w[12])
    return out


def names(events: list[Event], *wanted: str) -> list[Event]:
    return [e for e in events if e.name in wanted]


def slot_checks(events: list[Event], slot: str) -> list[Event]:
    """The bootloader's events for `slot`: from its SLOT_CHECK up to the next SLOT_CHECK or the
    end of that boot's verification (the bootloader verifies only the slots its decision
    needs, in the order it needs them: contract-meta §6)."""
    out: list[Event] = []
    current = None
    for e in events:
        if e.name == "SLOT_CHECK":
            current = e.get("slot")
        elif e.name in ("REBOOT_REASON", "JUMP", "RESCUE"):
            current = None
        if current == slot and e.src == "boot":
            out.append(e)
    return out


def after(events: list[Event], name: str, **fields: str) -> list[Event]:
    """Events after the first one named `name` whose fields match."""
    for i, e in enumerate(events):
        if e.name == name and all(e.get(k) == v for k, v in fields.items()):
            return events[i + 1 :]
    raise AssertionError(f"no {name} {fields} in {[x.raw for x in events]}")
