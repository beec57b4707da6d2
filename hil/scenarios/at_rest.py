"""Faults at rest: a bit flip or a lost (unreadable) unit in a persistent structure while the
device is powered off, between two boots (issue 10, class "at-rest").

The fault goes in through the engine interface only: a flip is a harness-side write of the
cells (``Engine.program_flash``, what a probe or a retention failure leaves), a lost unit is the
flash model's torn-unit state (``Engine.flash_lose_unit``: an ECC error / read fault until the
page is erased). The harness reads the structure first (``Engine.flash_read``) to aim the fault;
it reads the cells back afterwards and notes the change, so the fault is proven to have fired.

Targets (``TARGETS``): both metadata copies (the winner and the older one), the evidence ring,
and the inactive slot's header, payload and TLV trailer. A flip of a metadata copy is
*readable but wrong*: the bit is chosen so that every field still looks right (magic, version,
ranges, ``meta_record_check``), so only the CRC can refuse the record: the winner's
``build[active]`` + 1, or the older copy's generation made the newest. ``bit`` picks another bit
position (the exhaustive variants); ``kind="lose"`` makes the unit unreadable instead.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

from hil.device import Device
from hil.errors import HilError
from hil.scenarios.bench import Bench, ScenarioRun
from hil.scenarios.steps import fresh, install, package, settle_boot, target

# the metadata record (docs/contract-meta.md §1; firmware_stubs/core/meta.h META_OFF_*)
META_SIZE = 64
META_MAGIC = 0x314D544F
OFF_GEN = 8
OFF_ACTIVE = 16
OFF_BUILD = 24
OFF_CRC = 60
# the image header (MCUboot layout, hil.image): ih_hdr_size u16 at 8, ih_img_size u32 at 12
OFF_HDR_SIZE = 8
OFF_IMG_SIZE = 12

TARGETS = (
    "meta-winner",
    "meta-older",
    "evidence",
    "inactive-header",
    "inactive-payload",
    "inactive-trailer",
)
KINDS = ("flip", "lose")


def _meta_copies(b: Bench, dev: Device) -> list[tuple[str, int, bytes]]:
    """The metadata copies whose envelope is right (magic, CRC): (area, address, record)."""
    out = []
    for name in ("meta_a", "meta_b"):
        addr = b.platform.layout[name].address
        rec = dev.engine.flash_read(addr, META_SIZE)
        magic = struct.unpack_from("<I", rec, 0)[0]
        crc = struct.unpack_from("<I", rec, OFF_CRC)[0]
        if magic == META_MAGIC and crc == zlib.crc32(rec[:OFF_CRC]):
            out.append((name, addr, rec))
    return out


def _newer(a: int, b: int) -> bool:
    """Serial-number order of the generation (contract-meta §1)."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


def _aim(b: Bench, dev: Device, where: str, bit: int | None) -> tuple[int, int, str]:
    """(address, bit 0..7 of the byte there, what) for a flip of ``where``."""
    if where.startswith("meta-"):
        copies = _meta_copies(b, dev)
        if len(copies) != 2:
            raise HilError(f"at rest: expected two valid metadata copies, found {len(copies)}")
        gens = [struct.unpack_from("<I", r, OFF_GEN)[0] for _, _, r in copies]
        win = 0 if _newer(gens[0], gens[1]) else 1
        if where == "meta-winner":
            name, addr, rec = copies[win]
            if bit is not None:
                return addr + bit // 8, bit % 8, f"{name} (winner) bit {bit}"
            off = OFF_BUILD + 4 * rec[OFF_ACTIVE]  # build[active] + 1: fields still consistent
            return addr + off, 0, f"{name} (winner) build[active] bit 0"
        name, addr, rec = copies[1 - win]
        if bit is not None:
            return addr + bit // 8, bit % 8, f"{name} (older) bit {bit}"
        gen = gens[1 - win]
        k = next(k for k in range(1, 31) if not gen >> k & 1)  # + 2^k: newer than the winner
        return addr + OFF_GEN + k // 8, k % 8, f"{name} (older) generation bit {k}"
    if where == "evidence":
        area = b.platform.layout["evidence"]
        k = 0 if bit is None else bit
        return area.address + 32 + k // 8, k % 8, f"evidence ring record 1 bit {k}"
    slot = b.platform.layout[f"slot_{'b' if target(dev) == 'B' else 'a'}"]
    hdr = dev.engine.flash_read(slot.address, 32)
    hdr_size = struct.unpack_from("<H", hdr, OFF_HDR_SIZE)[0]
    img_size = struct.unpack_from("<I", hdr, OFF_IMG_SIZE)[0]
    base = {
        "inactive-header": 0,
        "inactive-payload": hdr_size + img_size // 2,
        "inactive-trailer": hdr_size + img_size + 8,  # inside the first TLV after the info
    }[where]
    k = 0 if bit is None else bit
    return slot.address + base + k // 8, k % 8, f"{where} (slot at 0x{slot.address:08x}) +{base}"


def fault_at_rest(b: Bench, dev: Device, where: str, kind: str, bit: int | None = None) -> str:
    """Apply one fault at rest to ``dev`` (powered off); returns the note proving it fired."""
    if where not in TARGETS:
        raise HilError(f"at rest: expected a target of {', '.join(TARGETS)}, found {where!r}")
    if kind not in KINDS:
        raise HilError(f"at rest: expected a kind of {', '.join(KINDS)}, found {kind!r}")
    addr, k, what = _aim(b, dev, where, bit)
    before = dev.engine.flash_read(addr, 1)[0]
    if kind == "flip":
        dev.engine.program_flash(addr, bytes([before ^ (1 << k)]))
        after = dev.engine.flash_read(addr, 1)[0]
        if after == before:
            raise HilError(f"at rest: the flip at 0x{addr:08x} did not change the cell")
        return f"at rest: flipped {what}: 0x{addr:08x} 0x{before:02x} -> 0x{after:02x}"
    dev.engine.flash_lose_unit(addr, 1)
    return f"at rest: lost the unit holding {what} (0x{addr:08x}): unreadable"


def at_rest(
    b: Bench,
    run: ScenarioRun,
    where: str = "meta-winner",
    kind: str = "flip",
    bit: int | None = None,
    **_: Any,
) -> None:
    """A normal update confirmed for good (build 2 after a power cycle), then the power off,
    one fault at rest in ``where``, the power on: the confirmed image must still boot."""
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev)))
    dev.power_cycle()
    settle_boot(b, dev)
    dev.power_off()
    run.notes.append(fault_at_rest(b, dev, where, kind, bit))
    dev.power_on()
    settle_boot(b, dev)
