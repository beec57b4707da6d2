"""Word access over the whole address map, as a debug probe (and the exception unit) sees it:
flash cells, RAM, peripheral models and the PPB."""

from __future__ import annotations

import struct

from hil.engine.unicorn.flash_array import UcFlashArray
from hil.engine.unicorn.memory import Memory
from hil.engine.unicorn.mmio import PeripheralBus
from hil.engine.unicorn.peripheral import Peripheral
from hil.engine.unicorn.ppb import PPB_BASE, PPB_SIZE, SystemControlSpace
from hil.errors import EngineError
from hil.platform.model import RegionKind


class DebugBus:
    def __init__(
        self,
        flash: UcFlashArray,
        memory: Memory,
        peripherals: PeripheralBus,
        scs: SystemControlSpace,
    ) -> None:
        self.flash = flash
        self.memory = memory
        self.peripherals = peripherals
        self.scs = scs

    def _unmapped(self, what: str, address: int) -> EngineError:
        return EngineError(
            f"{what}: expected a mapped address (flash, RAM, peripheral or PPB), "
            f"found 0x{address:08x}"
        )

    def read32(self, address: int) -> int:
        ns = self.flash.to_ns(address)
        if ns is not None:
            return int(struct.unpack("<I", self.flash.read(ns, 4))[0])
        found = self.memory.find(address, 4)
        if found is not None:
            return int(struct.unpack("<I", found[0].buffer.read(found[1], 4))[0])
        periph = self.peripherals.find(address)
        if periph is not None:
            return periph[0].read(periph[1], 4) & 0xFFFFFFFF
        if PPB_BASE <= address < PPB_BASE + PPB_SIZE:
            return self.scs.read(address - PPB_BASE, 4)
        raise self._unmapped("debug_read32", address)

    def write32(self, address: int, value: int, flash_controller: Peripheral) -> None:
        value &= 0xFFFFFFFF
        ns = self.flash.to_ns(address)
        if ns is not None:
            flash_controller.store_to_flash(ns, 4, value)
            return
        found = self.memory.find(address, 4)
        if found is not None and found[0].region.kind is not RegionKind.ROM:
            found[0].buffer.write(found[1], struct.pack("<I", value))
            return
        periph = self.peripherals.find(address)
        if periph is not None:
            periph[0].write(periph[1], 4, value)
            return
        if PPB_BASE <= address < PPB_BASE + PPB_SIZE:
            self.scs.write(address - PPB_BASE, 4, value)
            return
        raise self._unmapped("debug_write32", address)

    # -- for exception entry and the boot ROM -------------------------------------------------
    def read_vector(self, address: int) -> int | None:
        """A vector-table word, or None where the CPU's read would fault."""
        ns = self.flash.to_ns(address)
        if ns is not None:
            if ns + 4 > self.flash.geometry.base + self.flash.geometry.size:
                return None
            if self.flash.read_faults(ns, 4):
                return None
            return int(struct.unpack("<I", self.flash.read(ns, 4))[0])
        found = self.memory.find(address, 4)
        if found is None:
            return None
        return int(struct.unpack("<I", found[0].buffer.read(found[1], 4))[0])

    def stack_ok(self, address: int, size: int) -> bool:
        found = self.memory.find(address, size)
        return found is not None and found[0].region.kind is not RegionKind.ROM
