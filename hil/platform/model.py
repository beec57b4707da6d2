"""The in-memory form of a platform description (``platforms/<name>/platform.yaml``).

These dataclasses are the single typed view of a target that the engine, the code generators,
the image builder and the firmware build share. They are produced only by
``hil.platform.loader.load_platform`` which validates every field; nothing else constructs
them from raw data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from hil.platform.blocks import BlockMap


class RegionKind(StrEnum):
    """What a memory region is, and so what survives which reset."""

    FLASH = "flash"  # non-volatile; survives everything
    RAM = "ram"  # lost (seeded refill) on power-off and on brownout reset; kept on warm reset
    BACKUP_RAM = "backup_ram"  # battery domain: lost on power-off, kept on brownout and warm reset
    ROM = "rom"  # read-only, contents provided by the engine


class TornRead(StrEnum):
    """What a CPU read of a torn (interrupted) flash unit does."""

    ECC_NMI = "ecc-nmi"  # STM32U585: double ECC error -> FLASH_ECCR.ECCD and an NMI
    BUS_FAULT = "bus-fault"  # LPC55S69: precise bus error -> BusFault / HardFault


class ErasedRead(StrEnum):
    """What a CPU read of an erased flash page does."""

    DATA = "data"  # reads the erased value (STM32U585: 0xFF)
    BUS_FAULT = "bus-fault"  # LPC55S69: erased pages have invalid ECC and fault


@dataclass(frozen=True)
class MemoryRegion:
    name: str
    kind: RegionKind
    base: int  # the address firmware is linked against (non-secure alias)
    size: int
    aliases: tuple[int, ...]  # other addresses showing the same cells (secure alias, ...)
    source: str

    @property
    def end(self) -> int:
        return self.base + self.size

    def contains(self, address: int) -> bool:
        return any(b <= address < b + self.size for b in (self.base, *self.aliases))


@dataclass(frozen=True)
class FlashGeometry:
    region: str  # name of the MemoryRegion holding the array
    base: int
    size: int
    banks: int
    page_size: int  # smallest erase unit
    program_unit: (
        int  # smallest program unit (STM32U585: 16-byte quad-word; LPC55S69: 512-byte page)
    )
    ecc_unit: int  # granularity at which a torn program makes reads fail
    erased_value: int  # raw byte value of erased cells
    torn_read: TornRead
    erased_read: ErasedRead
    erase_time_us: int  # virtual duration of one page erase
    program_time_us: int  # virtual duration of one program unit
    source: str

    @property
    def page_count(self) -> int:
        return self.size // self.page_size

    @property
    def bank_size(self) -> int:
        return self.size // self.banks


@dataclass(frozen=True)
class PeripheralSpec:
    """One memory-mapped block; ``model`` names a class in the engine's peripheral registry."""

    name: str
    model: str
    base: int
    aliases: tuple[int, ...]
    size: int
    params: Mapping[str, object]
    source: str
    # the block's interrupt outputs: line name (the model's vocabulary) -> NVIC IRQ number
    irqs: Mapping[str, int] = field(default_factory=dict)


class SecurityState(StrEnum):
    """The Security state the core runs the firmware in (EXC_RETURN.S/ES)."""

    SECURE = "secure"
    NON_SECURE = "non-secure"


@dataclass(frozen=True)
class NvicSpec:
    irq_lines: int  # external interrupt lines (IRQ 0 .. irq_lines-1)
    priority_bits: int  # implemented priority bits (__NVIC_PRIO_BITS)
    source: str


@dataclass(frozen=True)
class SysTickSpec:
    external_divider: int  # core cycles per count with CLKSOURCE=0 (0: no reference clock)
    calib: int  # SYST_CALIB as read
    source: str


@dataclass(frozen=True)
class CoreSpec:
    cpu: str  # "cortex-m33"
    clock_hz: int  # the core clock out of reset (virtual time counts in its periods)
    boot_address: int  # where the engine (acting as boot ROM / option bytes) finds the vector table
    source: str
    nvic: NvicSpec = NvicSpec(32, 3, "assumed: default for hand-made test platforms")
    systick: SysTickSpec = SysTickSpec(0, 0, "assumed: default for hand-made test platforms")
    security: SecurityState = SecurityState.SECURE
    fpu: str = "fpv5-sp"  # the FPU the core has ("none" or "fpv5-sp")


@dataclass(frozen=True)
class SupplySpec:
    nominal_mv: int
    reset_mv: int  # below this the brownout reset (BOR / BOD reset) holds the chip in reset
    holdup_us: int  # default time between the monitor flag rising and the brownout reset
    source: str


@dataclass(frozen=True)
class Roles:
    """Which peripheral plays which part; values are PeripheralSpec names."""

    console_uart: str
    flash_controller: str
    reset_cause: str
    supply_monitor: str
    watchdog: str


@dataclass(frozen=True)
class LayoutArea:
    name: str  # bootloader, keys, meta_a, meta_b, evidence, slot_a, slot_b
    address: int  # absolute (flash base + offset)
    size: int

    @property
    def end(self) -> int:
        return self.address + self.size


LAYOUT_AREAS: tuple[str, ...] = (
    "bootloader",
    "keys",
    "meta_a",
    "meta_b",
    "evidence",
    "slot_a",
    "slot_b",
)


@dataclass(frozen=True)
class Layout:
    areas: Mapping[str, LayoutArea]
    image_header_size: int  # bytes of MCUboot header before the application's vector table
    boot_attempts: int  # N: how many times a PENDING image may boot before rollback
    handoff_size: int  # bytes at the top of RAM kept for bootloader -> application handoff

    def __getitem__(self, name: str) -> LayoutArea:
        return self.areas[name]


@dataclass(frozen=True)
class Platform:
    name: str
    title: str
    path: str  # the platform.yaml this came from
    core: CoreSpec
    memory: tuple[MemoryRegion, ...]
    flash: FlashGeometry
    peripherals: tuple[PeripheralSpec, ...]
    roles: Roles
    supply: SupplySpec
    layout: Layout
    sources: Mapping[str, str] = field(default_factory=dict)  # source legend (alias -> reference)
    blocks: BlockMap | None = None  # every peripheral block of the memory map (blocks.py)
    # the chip whose firmware port and models this is (another layout of a chip: ``extends:``)
    chip: str = ""

    def __post_init__(self) -> None:
        if not self.chip:
            object.__setattr__(self, "chip", self.name)

    def region(self, name: str) -> MemoryRegion:
        for r in self.memory:
            if r.name == name:
                return r
        raise KeyError(name)

    def peripheral(self, name: str) -> PeripheralSpec:
        for p in self.peripherals:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def ram(self) -> MemoryRegion:
        """The main SRAM region firmware links its data, stack and handoff block into."""
        for r in self.memory:
            if r.kind is RegionKind.RAM:
                return r
        raise KeyError("ram")
