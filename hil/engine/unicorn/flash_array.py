"""The flash array: cells, torn ECC units and (bus-fault parts) erased pages, and its CPU view.

The cells live in one host buffer mapped at the flash base and every alias. A 1 KiB Unicorn page
that holds a torn unit, or an erased flash page on parts whose erased pages fault, is mapped
EXEC-only, so that CPU data reads there trap (``UC_HOOK_MEM_READ_PROT``) and the engine can
decide per access; a page without any readable cell loses EXEC too. Every other page is
READ|EXEC and costs nothing. Unicorn drops every translated block of a region whose
permissions change in part (it splits the region), so the cells are mapped in ``MAP_PIECE``
regions: a torn unit in a slot costs the translations of its piece, not the bootloader's.

Dual-bank parts can swap their banks (STM32U585 OPTR.SWAP_BANK, applied when the option bytes
load): every address this class takes is a *logical* one, as the CPU sees it, and the cells,
torn units and erased pages are kept by *physical* position; with the banks swapped, logical
bank 1 shows physical bank 2 and the CPU mapping is remapped to match. The option bytes a chip
stores in flash (``options``, by register offset) live here too, so they persist like flash and
appear in snapshots (only when set: an untouched chip's snapshot is unchanged).

Read tracking (``track_start``/``track_stop``, the sweep's "same recovery as"): every page of
the mapping is made UC_PROT_NONE, so the first CPU fetch, read or store of a page traps; the
engine records the page (physical position) and lets a fetch or read the page's own
permissions allow complete (a read ends the slice after it, as a read of a torn page does; a
fetch does not: a stop during translation miscounts). At the end of the slice the touched
pages get their own permissions back (``show_touched``), so each traps about once: measured,
leaving every page NONE made the recovery 3.6x slower (QEMU does not keep translated code of
a page without EXEC). Models and the harness read through ``read``,
``is_torn``, ``is_erased_page`` and ``read_faults``, which record too. The translated code of
the watched pages is dropped at the start, so code the parent translated is fetched (and
recorded) again.

Two narrowings keep the tracker cheap (issue 16), both sound because they only make the read
set larger (a larger read set compares more pages, so it can only collapse fewer states):
- ``watch``: only the pages a caller says can differ between the states it compares (the
  sweep: the layout areas its update writes) are watched; every other page is reported as
  read without a trap. The bootloader's code then keeps its translations and never traps.
- A CPU trap records and shows its whole ``TRACK_BLOCK`` (aligned), so a run reading a slot
  from end to end traps once per block, not once per page. Measured on the stm32u585 sweep
  (600 points, the same states collapsed): 339 -> 167 ms of emulation per recovery run.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import zlib
from collections.abc import Sequence
from typing import Any

from unicorn import UC_PROT_EXEC, UC_PROT_NONE, UC_PROT_READ
from unicorn.unicorn_const import UC_CTL_IO_WRITE, UC_CTL_TLB_FLUSH

from hil.engine.unicorn.core import PAGE
from hil.engine.unicorn.memory import HostBuffer
from hil.errors import EngineError
from hil.platform.model import ErasedRead, FlashGeometry, MemoryRegion

_MAGIC = b"OTAHIL-FLASH\x01"
# the flash is mapped as regions of this size: a permission change splits only the region of
# its page, and drops only that region's translated code (a torn unit in a slot no longer
# makes the recovery translate the whole bootloader again); more regions make mapping slower
MAP_PIECE = 32 * 1024
# a tracked CPU trap records (and shows) its whole aligned block of this size (module doc)
TRACK_BLOCK = 8 * 1024


class UcFlashArray:
    """Implements ``peripheral.FlashArray`` on a Unicorn mapping."""

    def __init__(
        self, geometry: FlashGeometry, region: MemoryRegion, uc: Any, platform: str
    ) -> None:
        self.geometry = geometry
        self._uc = uc
        self._platform = platform
        self._bases = (geometry.base, *region.aliases)
        self._size = geometry.size
        self._bus_fault_erased = geometry.erased_read is ErasedRead.BUS_FAULT
        self.buffer = HostBuffer(self._size, geometry.erased_value)
        self.torn: set[int] = set()  # ECC unit indices
        self.erased: set[int] = set(range(geometry.page_count)) if self._bus_fault_erased else set()
        self._protected: list[tuple[int, int]] = []
        self._perms = [UC_PROT_READ | UC_PROT_EXEC] * (self._size // PAGE)  # by logical page
        self._swap = 0  # physical = (logical + _swap) % size: bank_size when the banks swap
        self.options: dict[int, int] = {}  # option bytes stored in flash (register offset)
        self.tracking = False  # read tracking on: every page is mapped NONE (module doc)
        self.touched: set[int] = set()  # physical PAGE-sized pages read while tracking
        self._shown: set[int] = set()  # logical pages the CPU touched: their own permissions
        self._show: set[int] = set()  # logical pages to show at the end of the slice
        self._watched: set[int] | None = None  # physical pages watched (None: every page)
        self._digests: list[str] | None = None  # ``page_digests`` as of its last call
        self._dirty: set[int] = set()  # physical pages changed since then
        self._stale = False  # ``_perms`` changed since they were last applied (``settle``)
        self.held = False  # the power is off: permission changes wait for ``settle``
        self._map(UC_PROT_READ | UC_PROT_EXEC)
        self._sync(0, self._size)

    def _map(self, perms: int) -> None:
        """Map the cells as ``MAP_PIECE`` regions (module doc: a ``mem_protect`` inside a
        region splits it and drops every translated block of the whole region)."""
        piece = math.gcd(MAP_PIECE, self._size, self._swap or self._size)
        for base in self._bases:
            for off in range(0, self._size, piece):
                phys = (off + self._swap) % self._size
                self._uc.mem_map_ptr(base + off, piece, perms, self.buffer.pointer + phys)
            # mem_map_ptr alone leaves the pages writable: apply the permissions explicitly
            self._uc.mem_protect(base, self._size, perms)

    @property
    def banks_swapped(self) -> bool:
        return self._swap != 0

    def set_banks_swapped(self, swapped: bool) -> None:
        """Show physical bank 2 at the first bank's addresses and bank 1 at the second's (or
        undo it). Only between slices (the engine applies it at reset)."""
        swap = self.geometry.bank_size if swapped and self.geometry.banks == 2 else 0
        if swap == self._swap:
            return
        for base in self._bases:
            self._uc.mem_unmap(base, self._size)
        self._swap = swap
        self._map(UC_PROT_READ | UC_PROT_EXEC)
        self._perms = [UC_PROT_READ | UC_PROT_EXEC] * (self._size // PAGE)
        self._shown = set()
        if self.tracking:
            self._apply_all()
        self._changed(0, self._size)

    def _phys(self, off: int) -> int:
        return (off + self._swap) % self._size if self._swap else off

    def _pieces(self, off: int, size: int) -> list[tuple[int, int, int]]:
        """(logical offset, physical offset, length) runs of [off, off+size): split where the
        logical range crosses the bank boundary of a swapped array."""
        if not self._swap:
            return [(off, off, size)]
        out: list[tuple[int, int, int]] = []
        edge = self._size - self._swap
        while size > 0:
            n = min(size, edge - off) if off < edge else size
            out.append((off, self._phys(off), n))
            off, size = off + n, size - n
        return out

    # -- addressing ---------------------------------------------------------------------------
    @property
    def bases(self) -> tuple[int, ...]:
        """The base address of the array and of every alias."""
        return self._bases

    def to_ns(self, address: int) -> int | None:
        """The non-secure address of a CPU address in any alias, or None."""
        for base in self._bases:
            if base <= address < base + self._size:
                return self.geometry.base + (address - base)
        return None

    def _offset(self, address: int, size: int) -> int:
        off = address - self.geometry.base
        if size < 0 or off < 0 or off + size > self._size:
            raise EngineError(
                f"flash access: expected [0x{address:08x}, +0x{size:x}) inside flash "
                f"0x{self.geometry.base:08x}..0x{self.geometry.base + self._size:08x}"
            )
        return off

    # -- FlashArray protocol ------------------------------------------------------------------
    def read(self, address: int, size: int) -> bytes:
        off = self._offset(address, size)
        if self.tracking:
            self.touch(off, size)
        return b"".join(self.buffer.read(p, n) for _, p, n in self._pieces(off, size))

    def write_raw(self, address: int, data: bytes) -> None:
        start = self._offset(address, len(data))
        if not data:
            return
        unit, page = self.geometry.ecc_unit, self.geometry.page_size
        for lo, off, n in self._pieces(start, len(data)):
            self.buffer.write(off, data[lo - start : lo - start + n])
            self.torn.difference_update(range(off // unit, (off + n - 1) // unit + 1))
            self.erased.difference_update(range(off // page, (off + n - 1) // page + 1))
            self._changed(off, n)

    def erase_page(self, page_index: int) -> None:
        if not 0 <= page_index < self.geometry.page_count:
            raise EngineError(
                f"flash erase: expected a page index below {self.geometry.page_count}, "
                f"found {page_index}"
            )
        page = self.geometry.page_size
        off = self._phys(page_index * page)
        page_index = off // page
        self.buffer.write(off, bytes([self.geometry.erased_value]) * page)
        unit = self.geometry.ecc_unit
        self.torn.difference_update(range(off // unit, (off + page) // unit))
        if self._bus_fault_erased:
            self.erased.add(page_index)
        self._changed(off, page)

    def mark_torn(self, address: int, size: int) -> None:
        unit = self.geometry.ecc_unit
        for _, off, n in self._pieces(self._offset(address, size), max(size, 1)):
            self.torn.update(range(off // unit, (off + n - 1) // unit + 1))
            self._changed(off, n)

    def is_torn(self, address: int, size: int) -> bool:
        unit = self.geometry.ecc_unit
        if self.tracking:
            self.touch(self._offset(address, size), size)
        return any(
            u in self.torn
            for _, off, n in self._pieces(self._offset(address, size), max(size, 1))
            for u in range(off // unit, (off + n - 1) // unit + 1)
        )

    def is_erased_page(self, page_index: int) -> bool:
        if self.tracking:
            page = self.geometry.page_size
            self.touch(page_index * page % self._size, page)
        return self._phys(page_index * self.geometry.page_size) // self.geometry.page_size in (
            self.erased
        )

    def is_write_protected(self, address: int) -> bool:
        return any(lo <= address < hi for lo, hi in self._protected)

    # -- engine side --------------------------------------------------------------------------
    def set_write_protected(self, address: int, size: int) -> None:
        """Refuse firmware writes to [address, address+size) (e.g. a provisioned trust anchor)."""
        self._offset(address, size)
        self._protected.append((address, address + size))

    def read_faults(self, address: int, size: int) -> bool:
        """True if a CPU read of [address, address+size) hits a torn unit or a faulting page."""
        if self.is_torn(address, size):
            return True
        if not self._bus_fault_erased:
            return False
        page = self.geometry.page_size
        if self.tracking:
            self.touch(self._offset(address, size), size)
        return any(
            p in self.erased
            for _, off, n in self._pieces(self._offset(address, size), size)
            for p in range(off // page, (off + n - 1) // page + 1)
        )

    def _readable_cells(self, off: int, size: int) -> tuple[bool, bool]:
        """(all readable, any readable) for [off, off+size)."""
        unit, page = self.geometry.ecc_unit, self.geometry.page_size
        bad = 0
        step = min(unit, page) if self._bus_fault_erased else unit
        for cell in range(off, off + size, step):
            if cell // unit in self.torn or (
                self._bus_fault_erased and cell // page in self.erased
            ):
                bad += 1
        total = (size + step - 1) // step
        return bad == 0, bad < total

    def _sync(self, off: int, size: int) -> None:
        """Bring the CPU mapping's permissions in step for the physical cells [off, off+size).
        When any page's permissions change, every page's are applied again, one
        ``mem_protect`` per run of pages alike: Unicorn splits a region at a partial
        ``mem_protect``, and the pieces of a ``mem_map_ptr`` region do not reliably keep their
        permissions (after a torn STM32U585 erase the rest of the array became writable, so CPU
        stores landed in the cells)."""
        changed = False
        for pp in range(off // PAGE, (off + size - 1) // PAGE + 1):
            p = (pp * PAGE - self._swap) % self._size // PAGE  # the logical page showing it
            all_ok, any_ok = self._readable_cells(pp * PAGE, PAGE)
            if all_ok:
                perms = UC_PROT_READ | UC_PROT_EXEC
            elif any_ok:
                perms = UC_PROT_EXEC
            else:
                perms = UC_PROT_NONE
            if perms != self._perms[p]:
                self._perms[p] = perms
                changed = True
        if changed:
            if self.held:  # the power is off: applied when the CPU next runs (``settle``)
                self._stale = True
            else:
                self._apply_all()

    def settle(self) -> None:
        """Before the CPU runs: apply the permissions changed while the power was off (a
        cut's tear; a sweep point whose recovery never runs never pays for them)."""
        self.held = False
        if self._stale:
            self._apply_all()

    def _apply_all(self) -> None:
        self._stale = False
        perms = self._perms
        if self.tracking:  # a watched page the CPU has not touched yet traps (module doc)
            shown, watched = self._shown, self._watched
            perms = [
                UC_PROT_NONE
                if p not in shown and (watched is None or self._phys(p * PAGE) // PAGE in watched)
                else q
                for p, q in enumerate(perms)
            ]
        n = len(perms)
        start = 0
        for p in range(1, n + 1):
            if p == n or perms[p] != perms[start]:
                for base in self._bases:
                    self._uc.mem_protect(base + start * PAGE, (p - start) * PAGE, perms[start])
                start = p

    def reprotect(self, address: int) -> None:
        """Flush QEMU's TLB: a read let through by the protection hook at ``address`` leaves
        its page cached as readable (and ``mem_protect`` does not flush it)."""
        del address
        self._uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)

    def _changed(self, off: int, size: int) -> None:
        """The physical cells [off, off+size) changed."""
        self._dirty.update(range(off // PAGE, (off + max(size, 1) - 1) // PAGE + 1))
        self._sync(off, size)
        self._uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)  # pages QEMU cached as readable
        if self._swap:  # the logical range showing them (within one bank: no wrap)
            off = (off - self._swap) % self._size if size < self._size else 0
        lo = off // PAGE * PAGE
        hi = (off + size + PAGE - 1) // PAGE * PAGE
        for base in self._bases:
            self._uc.ctl_remove_cache(base + lo, base + hi)

    # -- read tracking (module doc) ------------------------------------------------------------
    def touch(self, off: int, size: int) -> None:
        """Record the physical pages showing the logical range [off, off+size)."""
        for _, p, n in self._pieces(off, max(size, 1)):
            self.touched.update(range(p // PAGE, (p + n - 1) // PAGE + 1))

    def touch_cpu(self, off: int, size: int) -> None:
        """A CPU access trapped on the logical range [off, off+size): record it, and give its
        pages their own permissions at the end of the slice (``show_touched``), so that
        they trap no more (and their code is cached as translated)."""
        lo = off // TRACK_BLOCK * TRACK_BLOCK
        hi = min(self._size, (off + max(size, 1) + TRACK_BLOCK - 1) // TRACK_BLOCK * TRACK_BLOCK)
        self.touch(lo, hi - lo)
        self._show.update(range(lo // PAGE, hi // PAGE))

    def show_touched(self) -> None:
        """Between slices: the pages ``touch_cpu`` recorded get their own permissions."""
        new = sorted(self._show - self._shown)
        self._show.clear()
        if not new or not self.tracking:
            return
        self._shown.update(new)
        start = 0
        for i in range(1, len(new) + 1):
            if (
                i == len(new)
                or new[i] != new[i - 1] + 1
                or self._perms[new[i]] != self._perms[new[start]]
            ):
                lo, n = new[start], new[i - 1] - new[start] + 1
                for base in self._bases:
                    self._uc.mem_protect(base + lo * PAGE, n * PAGE, self._perms[lo])
                start = i

    def allows(self, off: int, size: int, perm: int) -> bool:
        """Whether the pages of the logical range [off, off+size) have ``perm`` by their own
        permissions (torn units and faulting erased pages aside)."""
        return all(
            self._perms[p] & perm for p in range(off // PAGE, (off + max(size, 1) - 1) // PAGE + 1)
        )

    def track_start(self, watch: Sequence[tuple[int, int]] | None = None) -> None:
        """Start recording (module doc). ``watch``: the array offsets [lo, hi) that can
        differ between the states compared, as the CPU sees them (their physical cells with the
        banks either way); None watches every page. Pages not watched count as read."""
        self.tracking = True
        self.touched = set()
        self._shown, self._show = set(), set()
        self._watched = None
        if watch is not None:
            bank = self.geometry.bank_size if self.geometry.banks == 2 else 0
            self._watched = {
                (off + swap) % self._size // PAGE
                for lo, hi in watch
                for off in range(max(0, lo) // PAGE * PAGE, min(hi, self._size), PAGE)
                for swap in {0, bank}
            }
        self._apply_all()
        self._uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
        for base in self._bases:  # code translated before is fetched (and recorded) again
            for lo, hi in self._watched_runs():
                self._uc.ctl_remove_cache(base + lo, base + hi)

    def _watched_runs(self) -> list[tuple[int, int]]:
        """The logical [lo, hi) offset runs showing watched pages."""
        if self._watched is None:
            return [(0, self._size)]
        logical = sorted((p * PAGE - self._swap) % self._size // PAGE for p in self._watched)
        runs: list[tuple[int, int]] = []
        for p in logical:
            if runs and runs[-1][1] == p * PAGE:
                runs[-1] = (runs[-1][0], (p + 1) * PAGE)
            else:
                runs.append((p * PAGE, (p + 1) * PAGE))
        return runs

    def track_stop(self) -> list[int]:
        self.tracking = False
        self._shown, self._show = set(), set()
        self._apply_all()
        self._uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
        read = set(self.touched)
        if self._watched is not None:  # a page not watched counts as read (module doc)
            read.update(set(range(self._size // PAGE)) - self._watched)
        self._watched = None
        return sorted(read)

    def page_digests(self) -> list[str]:
        """Per physical PAGE of the array: a 64-bit BLAKE2b digest of its cells, its torn ECC
        units and its erased flash pages (positions relative to the page, so equal pages give
        equal digests wherever they are). Kept between calls: only the pages changed since
        the last call are hashed again (a sweep's parent calls it before every fork, so a
        child hashes only what its cut changed)."""
        if self._digests is None:
            self._digests = [""] * (self._size // PAGE)
            dirty: list[int] = list(range(self._size // PAGE))
        else:
            dirty = sorted(self._dirty)
        self._dirty = set()
        digests = self._digests
        for p in dirty:
            digests[p] = self._digest(p, self.buffer.read(p * PAGE, PAGE), self.torn, self.erased)
        return list(digests)

    def _digest(self, p: int, cells: bytes, torn: set[int], erased: set[int]) -> str:
        """Physical page ``p``'s digest (``page_digests``) with these cells and marks."""
        unit, fpage = self.geometry.ecc_unit, self.geometry.page_size
        tags = [
            f"t{u * unit % PAGE}"
            for u in range(p * PAGE // unit, ((p + 1) * PAGE - 1) // unit + 1)
            if u in torn
        ]
        tags += [
            f"e{q * fpage - p * PAGE}"
            for q in range(p * PAGE // fpage, ((p + 1) * PAGE - 1) // fpage + 1)
            if q in erased
        ]
        h = hashlib.blake2b(cells, digest_size=8)
        h.update(",".join(sorted(tags)).encode())
        return h.hexdigest()

    def preview_digests(self, runs: Sequence[tuple[int, bytes, bool]]) -> dict[int, str]:
        """The physical pages these writes would change (each run: ``write_raw`` of its
        cells, then ``mark_torn`` of them when torn) with their digests after them; nothing
        changes here."""
        unit, fpage = self.geometry.ecc_unit, self.geometry.page_size
        overlay: dict[int, bytearray] = {}
        torn, erased = set(self.torn), set(self.erased)
        for address, cells, is_torn in runs:
            start = self._offset(address, len(cells))
            for lo, off, n in self._pieces(start, len(cells)):
                pos = 0
                while pos < n:
                    p, o = divmod(off + pos, PAGE)
                    k = min(n - pos, PAGE - o)
                    page = overlay.get(p)
                    if page is None:
                        page = overlay[p] = bytearray(self.buffer.read(p * PAGE, PAGE))
                    page[o : o + k] = cells[lo - start + pos : lo - start + pos + k]
                    pos += k
                units = range(off // unit, (off + n - 1) // unit + 1)
                torn.difference_update(units)
                erased.difference_update(range(off // fpage, (off + n - 1) // fpage + 1))
                if is_torn:
                    torn.update(units)
        return {p: self._digest(p, bytes(c), torn, erased) for p, c in overlay.items()}

    def global_state(self) -> str:
        """What every read of the array depends on beyond its pages: option bytes, bank swap."""
        return json.dumps(self._extra_state(), sort_keys=True)

    # -- snapshot -----------------------------------------------------------------------------
    def snapshot(self) -> bytes:
        data = self.buffer.read(0, self._size)
        header = json.dumps(
            {
                "platform": self._platform,
                "base": self.geometry.base,
                "size": self._size,
                "ecc_unit": self.geometry.ecc_unit,
                "page_size": self.geometry.page_size,
                "torn": sorted(self.torn),
                "erased": sorted(self.erased),
                "crc": zlib.crc32(data),
                **self._extra_state(),
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        return _MAGIC + struct.pack("<I", len(header)) + header + data

    def _extra_state(self) -> dict[str, object]:
        """Option bytes and bank swap, only when a chip has them set (unchanged snapshots)."""
        extra: dict[str, object] = {}
        if self.options:
            extra["options"] = {str(k): v for k, v in sorted(self.options.items())}
        if self._swap:
            extra["banks_swapped"] = True
        return extra

    def restore(self, snapshot: bytes) -> None:
        what = f"a flash snapshot of platform '{self._platform}' ({self._size} bytes of cells)"
        if not snapshot.startswith(_MAGIC) or len(snapshot) < len(_MAGIC) + 4:
            raise EngineError(f"flash restore: expected {what}, found {len(snapshot)} other bytes")
        (hlen,) = struct.unpack_from("<I", snapshot, len(_MAGIC))
        start = len(_MAGIC) + 4
        try:
            header = json.loads(snapshot[start : start + hlen])
        except ValueError:
            raise EngineError(f"flash restore: expected {what}, found a corrupt header") from None
        data = snapshot[start + hlen :]
        expect = {
            "platform": self._platform,
            "base": self.geometry.base,
            "size": self._size,
            "ecc_unit": self.geometry.ecc_unit,
            "page_size": self.geometry.page_size,
        }
        found = {k: header.get(k) for k in expect}
        if found != expect or len(data) != self._size or zlib.crc32(data) != header.get("crc"):
            raise EngineError(
                f"flash restore: expected {what} with {expect}, found {found} "
                f"with {len(data)} bytes of cells"
            )
        self.buffer.write(0, data)
        self.torn = set(header["torn"])
        self.erased = set(header["erased"])
        self.options = {int(k): int(v) for k, v in header.get("options", {}).items()}
        self.set_banks_swapped(bool(header.get("banks_swapped", False)))
        self._changed(0, self._size)
