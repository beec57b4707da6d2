"""The MCUboot image trailer decoded from flash bytes (MCUboot docs/design.md "Image trailer";
the layout of docs/contract-swap.md §2). Pure functions over the slot's bytes: the oracle reads
the slot through the engine's debug view, without the firmware's help."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from hil.profile.model import McubootFormat

MAGIC_TAIL = bytes.fromhex("2de15d29410b8d77679c110f1f8a")  # BOOT_IMG_MAGIC after the u16 align


class Magic(IntEnum):  # MCUboot's BOOT_MAGIC_* codes
    GOOD = 1
    BAD = 2
    UNSET = 3


class Flag(IntEnum):  # MCUboot's BOOT_FLAG_* codes
    SET = 1
    BAD = 2
    UNSET = 3


class SwapType(IntEnum):  # MCUboot's BOOT_SWAP_TYPE_*
    NONE = 1
    TEST = 2
    PERM = 3
    REVERT = 4


@dataclass(frozen=True)
class Trailer:
    magic: Magic
    image_ok: Flag
    copy_done: Flag
    swap_type: int | None  # swap_info bits 0-3; None when the unit is erased
    swap_size: int | None
    progress: int  # number of the highest non-erased status record + 1 (0: none)

    def describe(self) -> str:
        st = "unset" if self.swap_type is None else str(self.swap_type)
        return (
            f"magic={self.magic.name.lower()} image_ok={self.image_ok.name.lower()} "
            f"copy_done={self.copy_done.name.lower()} swap_type={st} progress={self.progress}"
        )


@dataclass(frozen=True)
class TrailerLayout:
    """Offsets of the trailer fields from the slot start."""

    magic: int
    image_ok: int
    copy_done: int
    swap_info: int
    swap_size: int
    status: int
    align: int
    records: int

    @staticmethod
    def of(fmt: McubootFormat, slot_size: int) -> TrailerLayout:
        a = fmt.align
        magic = slot_size - 16
        image_ok = (slot_size - 16 - a) // a * a
        copy_done = image_ok - a
        swap_info = copy_done - a
        swap_size = swap_info - a
        records = 3 * fmt.max_sectors
        return TrailerLayout(magic, image_ok, copy_done, swap_info, swap_size,
                             swap_size - records * a, a, records)  # fmt: skip


def _erased(unit: bytes, erased: int) -> bool:
    return all(b == erased for b in unit)


def _flag(unit: bytes, erased: int) -> Flag:
    if _erased(unit, erased):
        return Flag.UNSET
    return Flag.SET if unit[0] == 0x01 else Flag.BAD


def decode(slot: bytes, fmt: McubootFormat) -> Trailer:
    """Decode the trailer at the end of ``slot`` (the whole slot's bytes)."""
    lay = TrailerLayout.of(fmt, len(slot))
    a, e = lay.align, fmt.erased
    m = slot[lay.magic : lay.magic + 16]
    if m[2:] == MAGIC_TAIL and int.from_bytes(m[:2], "little") in (a, 0xFFFF & a):
        magic = Magic.GOOD
    elif _erased(m, e):
        magic = Magic.UNSET
    else:
        magic = Magic.BAD
    info = slot[lay.swap_info : lay.swap_info + a]
    size = slot[lay.swap_size : lay.swap_size + a]
    progress = 0
    for r in range(lay.records):
        if not _erased(slot[lay.status + r * a : lay.status + (r + 1) * a], e):
            progress = r + 1
    return Trailer(
        magic=magic,
        image_ok=_flag(slot[lay.image_ok : lay.image_ok + a], e),
        copy_done=_flag(slot[lay.copy_done : lay.copy_done + a], e),
        swap_type=None if _erased(info, e) else info[0] & 0x0F,
        swap_size=None if _erased(size, e) else int.from_bytes(size[:4], "little"),
        progress=progress,
    )
