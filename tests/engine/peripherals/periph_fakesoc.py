"""A fake ``Soc`` for testing peripheral models without Unicorn.

Virtual time is advanced by hand (``advance``), scheduled callbacks run in order, the flash is a
bytearray with torn/erased/protected bookkeeping, UART traffic goes to per-name queues, and
exceptions / reset requests are recorded. ``cut_ops`` lists flash-op indices during which the
power is cut (``flash_op`` returns False, after calling the controller's ``tear_in_flight``
like the core does unless ``tear_on_cut`` is False).
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from hil.engine.base import FlashOpKind, ResetCause
from hil.engine.unicorn.peripheral import FlashArray, Peripheral, peripheral_class
from hil.platform.model import (
    CoreSpec,
    ErasedRead,
    FlashGeometry,
    Layout,
    LayoutArea,
    MemoryRegion,
    PeripheralSpec,
    Platform,
    RegionKind,
    Roles,
    SupplySpec,
    TornRead,
)


class FakeFlashArray:
    def __init__(self, geometry: FlashGeometry) -> None:
        self.geometry = geometry
        self.data = bytearray([geometry.erased_value]) * geometry.size
        self.torn: set[int] = set()  # ecc unit indices
        self.erased: set[int] = set(range(geometry.page_count))
        self.protected: list[tuple[int, int]] = []
        self.options: dict[int, int] = {}  # stored option bytes
        self.banks_swapped = False

    def set_banks_swapped(self, swapped: bool) -> None:
        self.banks_swapped = swapped

    def _off(self, address: int) -> int:
        off = address - self.geometry.base
        assert 0 <= off < self.geometry.size, hex(address)
        return off

    def _units(self, address: int, size: int) -> range:
        u = self.geometry.ecc_unit
        off = self._off(address)
        return range(off // u, (off + size - 1) // u + 1)

    def read(self, address: int, size: int) -> bytes:
        off = self._off(address)
        return bytes(self.data[off : off + size])

    def write_raw(self, address: int, data: bytes) -> None:
        off = self._off(address)
        self.data[off : off + len(data)] = data
        self.torn.difference_update(self._units(address, len(data)))
        ps = self.geometry.page_size
        for page in range(off // ps, (off + len(data) - 1) // ps + 1):
            self.erased.discard(page)

    def erase_page(self, page_index: int) -> None:
        ps = self.geometry.page_size
        self.data[page_index * ps : (page_index + 1) * ps] = (
            bytes([self.geometry.erased_value]) * ps
        )
        self.torn.difference_update(self._units(self.geometry.base + page_index * ps, ps))
        self.erased.add(page_index)

    def mark_torn(self, address: int, size: int) -> None:
        self.torn.update(self._units(address, size))

    def is_torn(self, address: int, size: int) -> bool:
        return any(u in self.torn for u in self._units(address, size))

    def is_erased_page(self, page_index: int) -> bool:
        return page_index in self.erased

    def is_write_protected(self, address: int) -> bool:
        return any(lo <= address < hi for lo, hi in self.protected)

    # test helpers
    def program(self, address: int, data: bytes) -> None:
        self.write_raw(address, data)


@dataclass
class OpRecord:
    kind: FlashOpKind
    address: int
    size: int
    at: int


class FakeSoc:
    def __init__(self, platform: Platform, seed: int = 1) -> None:
        self.platform = platform
        self.ff = FakeFlashArray(platform.flash)  # the fake, with its test helpers
        self.flash: FlashArray = self.ff
        self.rng = random.Random(seed)
        self._now = 0
        self._heap: list[tuple[int, int, Callable[[], None]]] = []
        self._seq = 0
        self.supply = platform.supply.nominal_mv
        self.resets: list[ResetCause] = []
        self.exceptions: list[tuple[int, bool]] = []
        self.tx: dict[str, bytearray] = {}
        self.rx: dict[str, deque[int]] = {}
        self.ops: list[OpRecord] = []
        self.cut_ops: set[int] = set()
        self.tear_on_cut = True
        self.irq_levels: dict[int, set[str]] = {}  # line -> sources asserting it
        self.irq_pulses: list[int] = []
        self.core_hz = platform.core.clock_hz
        self.rx_listeners: dict[str, list[Callable[[], None]]] = {}
        self.models: dict[str, Peripheral] = {}
        self.unmodelled: list[tuple[str, str, int, int, bool, int]] = []
        self.ram = bytearray(platform.ram.size)  # what a bus master reads there
        for spec in platform.peripherals:
            self.models[spec.name] = peripheral_class(spec.model)(spec, self)
        for m in self.models.values():
            m.power_on()

    # --- Soc protocol
    @property
    def instructions(self) -> int:
        return self._now

    def us_to_instructions(self, microseconds: float) -> int:
        return int(round(microseconds * self.platform.core.clock_hz / 1_000_000))

    @property
    def supply_mv(self) -> int:
        return self.supply

    def request_reset(self, cause: ResetCause) -> None:
        self.resets.append(cause)

    def raise_exception(self, number: int, precise: bool = True) -> None:
        self.exceptions.append((number, precise))

    def core_reg(self, index: int) -> int:
        return 0  # no CPU: models that record a PC see 0

    def schedule(self, at_instructions: int, callback: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at_instructions, self._seq, callback))

    def master_read(self, address: int, size: int) -> bytes | None:
        g = self.platform.flash
        if g.base <= address and address + size <= g.base + g.size:
            units = self.ff._units(address, size)
            if any(u in self.ff.torn for u in units):
                return None
            return self.ff.read(address, size)
        ram = self.platform.ram
        if ram.base <= address and address + size <= ram.base + ram.size:
            off = address - ram.base
            return bytes(self.ram[off : off + size])
        return None

    def flash_op(self, kind: FlashOpKind, address: int, size: int) -> bool:
        index = len(self.ops)
        self.ops.append(OpRecord(kind, address, size, self._now))
        if index in self.cut_ops:
            if self.tear_on_cut:
                self.models[self.platform.roles.flash_controller].tear_in_flight()
            return False
        return True

    def uart_tx(self, peripheral_name: str, data: bytes) -> None:
        self.tx.setdefault(peripheral_name, bytearray()).extend(data)

    def uart_rx_pending(self, peripheral_name: str) -> int:
        return len(self.rx.get(peripheral_name, ()))

    def uart_rx_pop(self, peripheral_name: str) -> int | None:
        q = self.rx.get(peripheral_name)
        return q.popleft() if q else None

    def peripheral(self, name: str) -> Peripheral:
        return self.models[name]

    def set_irq(self, line: int, asserted: bool, source: str = "") -> None:
        drivers = self.irq_levels.setdefault(line, set())
        if asserted:
            drivers.add(source)
        else:
            drivers.discard(source)

    def pulse_irq(self, line: int) -> None:
        self.irq_pulses.append(line)

    @property
    def core_clock_hz(self) -> int:
        return self.core_hz

    def set_core_clock_hz(self, hz: int) -> None:
        self.core_hz = hz

    def on_uart_rx(self, peripheral_name: str, callback: Callable[[], None]) -> None:
        self.rx_listeners.setdefault(peripheral_name, []).append(callback)

    def irq(self, line: int) -> bool:
        """Whether any source asserts ``line`` now (test helper)."""
        return bool(self.irq_levels.get(line))

    def pin(self, name: str) -> int:
        return 0

    def report_unmodelled(
        self, block: str, register: str, address: int, width: int, write: bool, value: int
    ) -> None:
        self.unmodelled.append((block, register, address, width, write, value))

    # --- test helpers
    def advance(self, n: int) -> None:
        target = self._now + n
        while self._heap and self._heap[0][0] <= target:
            at, _, cb = heapq.heappop(self._heap)
            self._now = max(self._now, at)
            cb()
        self._now = target

    def advance_us(self, us: float) -> None:
        self.advance(self.us_to_instructions(us))

    def send(self, name: str, data: bytes) -> None:
        self.rx.setdefault(name, deque()).extend(data)
        for listener in self.rx_listeners.get(name, []):
            listener()

    def power_cycle(self) -> None:
        self._heap.clear()
        for m in self.models.values():
            m.power_on()

    def reset_all(self, cause: ResetCause) -> None:
        self._heap.clear()
        for m in self.models.values():
            m.reset(cause)

    def r32(self, name: str, offset: int) -> int:
        return self.models[name].read(offset, 4)

    def w32(self, name: str, offset: int, value: int) -> None:
        self.models[name].write(offset, 4, value)


def _p(
    name: str, model: str, base: int, params: dict[str, object], size: int = 0x1000
) -> PeripheralSpec:
    return PeripheralSpec(name, model, base, (base + 0x1000_0000,), size, params, "test")


def stm32u585_platform() -> Platform:
    flash = FlashGeometry(
        "flash", 0x0800_0000, 0x20_0000, 2, 0x2000, 16, 16, 0xFF,
        TornRead.ECC_NMI, ErasedRead.DATA, 5000, 100, "test",
    )  # fmt: skip
    return Platform(
        name="stm32u585",
        title="test",
        path="-",
        core=CoreSpec("cortex-m33", 4_000_000, 0x0800_0000, "test"),
        memory=(
            MemoryRegion("flash", RegionKind.FLASH, 0x0800_0000, 0x20_0000, (0x0C00_0000,), "t"),
            MemoryRegion("sram", RegionKind.RAM, 0x2000_0000, 0xC_0000, (0x3000_0000,), "t"),
        ),
        flash=flash,
        peripherals=(
            _p("flash_ctrl", "stm32u5_flash", 0x4002_2000, {}, 0x400),
            _p("usart1", "stm32_usart", 0x4001_3800, {}, 0x400),
            _p("rcc", "stm32u5_rcc", 0x4602_0C00, {"csr_offset": "0xF4"}, 0x400),
            _p(
                "pwr",
                "stm32u5_pwr",
                0x4602_0800,
                {"pvd_levels_mv": [2000, 2200, 2400, 2500, 2600, 2800, 2900]},
                0x400,
            ),
            _p("iwdg", "stm32_iwdg", 0x4000_3000, {"clock_hz": 32000}, 0x400),
        ),  # fmt: skip
        roles=Roles("usart1", "flash_ctrl", "rcc", "pwr", "iwdg"),
        supply=SupplySpec(3300, 1700, 2000, "t"),
        layout=Layout(
            {"bootloader": LayoutArea("bootloader", 0x0800_0000, 0x1_0000)}, 0x200, 3, 0x100
        ),
    )


def lpc55s69_platform() -> Platform:
    flash = FlashGeometry(
        "flash", 0x0, 0x9_DE00, 1, 0x200, 0x200, 16, 0x00,
        TornRead.BUS_FAULT, ErasedRead.BUS_FAULT, 4000, 1000, "test",
    )  # fmt: skip
    pmc_params: dict[str, object] = {
        "aoreg1_offset": 0x84,
        "flag_bits": {"POR": 4, "PADRESET": 5, "BODRESET": 6, "SYSTEMRESET": 7,
                      "WDTRESET": 8, "SWRRESET": 9},
        "cause_flags": {"power-on": ["POR"], "brownout": ["BODRESET"],
                        "software": ["SYSTEMRESET"], "watchdog": ["WDTRESET"],
                        "pin": ["PADRESET"]},
        "bod_levels_mv": [1000 + 100 * i for i in range(26)],
    }  # fmt: skip
    return Platform(
        name="lpc55s69",
        title="test",
        path="-",
        core=CoreSpec("cortex-m33", 12_000_000, 0x0, "test"),
        memory=(
            MemoryRegion("flash", RegionKind.FLASH, 0x0, 0x9_DE00, (0x1000_0000,), "t"),
            MemoryRegion("sram", RegionKind.RAM, 0x2000_0000, 0x4_4000, (0x3000_0000,), "t"),
        ),
        flash=flash,
        peripherals=(
            _p("flash_ctrl", "lpc55_flash", 0x4003_4000, {}),
            _p("flexcomm0", "lpc55_usart", 0x4008_6000, {}),
            _p("pmc", "lpc55_pmc", 0x4002_0000, pmc_params),
            _p("anactrl", "lpc55_anactrl", 0x4001_3000, {}),
            _p("wwdt", "lpc55_wwdt", 0x4000_C000, {"clock_hz": 1_000_000}),
            _p("syscon", "lpc55_syscon", 0x4000_0000, {}),
        ),
        roles=Roles("flexcomm0", "flash_ctrl", "pmc", "pmc", "wwdt"),
        supply=SupplySpec(3300, 1700, 2000, "t"),
        layout=Layout({"bootloader": LayoutArea("bootloader", 0x0, 0x1_0000)}, 0x200, 3, 0x100),
    )
