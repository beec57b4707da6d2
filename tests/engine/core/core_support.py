"""Support for the unicorn engine core tests: a tiny test platform, test-only peripheral models
and a helper assembling Thumb programs with arm-none-eabi-as."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hil.engine.base import FlashOpKind, ResetCause
from hil.engine.unicorn.engine import UnicornEngine
from hil.engine.unicorn.peripheral import Peripheral, register
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

FLASH = 0x08000000
FLASH_ALIAS = 0x0C000000
RAM = 0x20000000
RAM_SIZE = 0x10000
BKP = 0x28000000
UART = 0x40013800
FCTL = 0x40022000
RCC = 0x46020C00
CLOCK_HZ = 1_000_000  # 1 instruction = 1 us keeps the arithmetic obvious


@register
class UartModel(Peripheral):
    """DR at 0x0: writes transmit, reads pop RX (0xFFFFFFFF when empty)."""

    model = "test_core_uart"

    def read(self, offset: int, size: int) -> int:
        value = self.soc.uart_rx_pop(self.spec.name)
        return 0xFFFFFFFF if value is None else value

    def write(self, offset: int, size: int, value: int) -> None:
        self.soc.uart_tx(self.spec.name, bytes([value & 0xFF]))


@register
class FlashCtrlModel(Peripheral):
    """0x0: write a flash address to erase its page (announced as a flash op)."""

    model = "test_core_flash"

    def __init__(self, spec: PeripheralSpec, soc: object) -> None:
        super().__init__(spec, soc)  # type: ignore[arg-type]
        self.stores: list[tuple[int, int, int]] = []
        self.read_faults: list[int] = []
        self.tears = 0

    def read(self, offset: int, size: int) -> int:
        return len(self.stores)

    def write(self, offset: int, size: int, value: int) -> None:
        geo = self.soc.flash.geometry
        page = (value - geo.base) // geo.page_size
        if self.soc.flash_op(FlashOpKind.ERASE, geo.base + page * geo.page_size, geo.page_size):
            self.soc.flash.erase_page(page)

    def store_to_flash(self, address: int, size: int, value: int) -> None:
        self.stores.append((address, size, value))

    def cpu_read_fault(self, address: int) -> None:
        self.read_faults.append(address)
        super().cpu_read_fault(address)

    def tear_in_flight(self) -> None:
        self.tears += 1


@register
class CauseModel(Peripheral):
    """0x0: the last reset cause as an index into ResetCause."""

    model = "test_core_cause"

    def __init__(self, spec: PeripheralSpec, soc: object) -> None:
        super().__init__(spec, soc)  # type: ignore[arg-type]
        self.cause: ResetCause | None = None
        self.history: list[str] = []

    def read(self, offset: int, size: int) -> int:
        return list(ResetCause).index(self.cause) if self.cause else 0xFF

    def write(self, offset: int, size: int, value: int) -> None:
        pass

    def power_on(self) -> None:
        self.cause = None
        self.history.append("power_on")

    def reset(self, cause: ResetCause) -> None:
        self.cause = cause
        self.history.append(cause.value)


def make_platform(
    torn: TornRead = TornRead.BUS_FAULT,
    erased: ErasedRead = ErasedRead.DATA,
    name: str = "testchip",
    page_size: int = 0x800,
) -> Platform:
    def spec(name: str, model: str, base: int) -> PeripheralSpec:
        return PeripheralSpec(name, model, base, (base + 0x10000000,), 0x400, {}, "test")

    flash_size = 0x10000
    areas = {"bootloader": LayoutArea("bootloader", FLASH, flash_size)}
    return Platform(
        name=name,
        title="test chip",
        path="<test>",
        core=CoreSpec("cortex-m33", CLOCK_HZ, FLASH, "test"),
        memory=(
            MemoryRegion("flash", RegionKind.FLASH, FLASH, flash_size, (FLASH_ALIAS,), "test"),
            MemoryRegion("sram", RegionKind.RAM, RAM, RAM_SIZE, (0x30000000,), "test"),
            MemoryRegion("bkpsram", RegionKind.BACKUP_RAM, BKP, 0x800, (), "test"),
        ),
        flash=FlashGeometry(
            "flash", FLASH, flash_size, 1, page_size, 16, 16, 0xFF, torn, erased, 100, 10, "test"
        ),
        peripherals=(
            spec("uart", "test_core_uart", UART),
            spec("fctl", "test_core_flash", FCTL),
            spec("rcc", "test_core_cause", RCC),
        ),
        roles=Roles("uart", "fctl", "rcc", "rcc", "rcc"),
        supply=SupplySpec(3300, 1700, 50, "test"),
        layout=Layout(areas, 0x200, 3, 0x100),
    )


PRELUDE = f"""
.syntax unified
.thumb
.text
.org 0
vectors:
  .word {RAM + RAM_SIZE:#x}
  .word reset + 1
  .word nmi + 1
  .word hardfault + 1
  .word memmanage + 1
  .word busfault + 1
  .word usagefault + 1
  .word 0, 0, 0, 0
  .word svc + 1
  .word 0, 0, 0, 0
.org 0x40
"""
HANDLERS = ("nmi", "hardfault", "memmanage", "busfault", "usagefault", "svc")

Assembler = Callable[[str], Path]


@pytest.fixture(scope="session")
def toolchain() -> None:
    if shutil.which("arm-none-eabi-as") is None or shutil.which("arm-none-eabi-ld") is None:
        pytest.skip("arm-none-eabi binutils not installed")


@pytest.fixture
def assemble(tmp_path: Path, toolchain: None) -> Assembler:
    counter = [0]

    def build(body: str, base: int = FLASH, prelude: bool = True) -> Path:
        counter[0] += 1
        src = tmp_path / f"p{counter[0]}.s"
        obj, elf = src.with_suffix(".o"), src.with_suffix(".elf")
        if prelude:
            defaults = "".join(f"{h}:\n  b .\n" for h in HANDLERS if f"\n{h}:" not in body)
            body = PRELUDE + body + "\n" + defaults
        else:
            body = ".syntax unified\n.thumb\n.text\n" + body
        src.write_text(body + "\n")
        subprocess.run(
            ["arm-none-eabi-as", "-mcpu=cortex-m33", "-mthumb", "-o", str(obj), str(src)],
            check=True,
        )
        subprocess.run(
            ["arm-none-eabi-ld", "-e", "0", f"-Ttext={base:#x}", "-o", str(elf), str(obj)],
            check=True,
        )
        return elf

    return build  # type: ignore[return-value]


@pytest.fixture
def platform() -> Platform:
    return make_platform()


@pytest.fixture
def engine(platform: Platform) -> Iterator[UnicornEngine]:
    e = UnicornEngine(platform, seed=1234)
    yield e
    e.close()


def boot(engine: UnicornEngine, elf: Path) -> UnicornEngine:
    engine.load_elf(str(elf))
    engine.power_on()
    return engine
