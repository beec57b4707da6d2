"""Flash array (torn units, erased pages, CPU stores), SRAM fill, snapshots, ELF loading."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from core_support import (
    BKP,
    FCTL,
    FLASH,
    FLASH_ALIAS,
    RAM,
    RAM_SIZE,
    UART,
    Assembler,
    FlashCtrlModel,
    boot,
    make_platform,
)

from hil.engine import StopReason
from hil.engine.base import FlashOpAction, ResetCause
from hil.engine.unicorn.engine import UnicornEngine
from hil.engine.unicorn.memory import seeded_fill
from hil.errors import EngineError
from hil.platform.model import ErasedRead

OUT = RAM + 0x100
DATA = FLASH + 0x4000  # a data page the programs read
HARDFAULT_RECORD = f"""
hardfault:
  ldr r2, ={OUT}
  str r7, [r2, #12]       @ progress marker at the time of the fault
  ldr r4, =0xE000ED38
  ldr r3, [r4]
  str r3, [r2, #16]       @ BFAR
hf_done:
  b hf_done
"""


def controller(engine: UnicornEngine) -> FlashCtrlModel:
    model = engine.soc.peripheral("fctl")
    assert isinstance(model, FlashCtrlModel)
    return model


def test_torn_unit_read_faults_neighbours_read_fine(
    engine: UnicornEngine, assemble: Assembler
) -> None:
    elf = assemble(
        f"""
reset:
  ldr r2, ={OUT}
  ldr r5, ={DATA}
  movs r7, #1
  ldr r3, [r5, #0x0c]     @ unit 0, just below the torn unit
  str r3, [r2]
  ldr r3, [r5, #0x20]     @ unit 2, just above
  str r3, [r2, #4]
  ldr r3, [r5, #0x3fc]    @ same 1 KiB page, far end
  str r3, [r2, #8]
  movs r7, #2
  ldr r3, [r5, #0x14]     @ the torn unit
  movs r7, #3
  b .
.ltorg
"""
        + HARDFAULT_RECORD
    )
    engine.load_elf(str(elf))
    pattern = b"".join(struct.pack("<I", 0x11110000 + i) for i in range(0x1000 // 4))
    engine.program_flash(DATA, pattern)
    engine.flash.mark_torn(DATA + 0x10, 16)
    assert engine.flash.is_torn(DATA + 0x14, 4) and not engine.flash.is_torn(DATA + 0x20, 4)
    engine.power_on()
    engine.on_symbol("hf_done", lambda n, a: True)
    assert engine.run(1000).reason is StopReason.HALTED
    assert engine.debug_read32(OUT) == 0x11110003
    assert engine.debug_read32(OUT + 4) == 0x11110008
    assert engine.debug_read32(OUT + 8) == 0x111100FF
    assert engine.debug_read32(OUT + 12) == 2
    assert engine.debug_read32(OUT + 16) == DATA + 0x14
    assert controller(engine).read_faults == [DATA + 0x14]
    # the harness still sees the raw cells
    assert engine.flash_read(DATA + 0x14, 4) == struct.pack("<I", 0x11110005)


def test_erased_pages_fault_on_bus_fault_parts(assemble: Assembler) -> None:
    platform = make_platform(erased=ErasedRead.BUS_FAULT, page_size=0x200)
    engine = UnicornEngine(platform, 7)
    elf = assemble(
        f"""
reset:
  ldr r5, ={DATA}
  movs r7, #1
  ldr r3, [r5]            @ programmed page
  movs r7, #2
  ldr r3, [r5, #0x200]    @ erased page in the same 1 KiB Unicorn page
  movs r7, #3
  b .
.ltorg
"""
        + HARDFAULT_RECORD
    )
    engine.load_elf(str(elf))
    engine.program_flash(DATA, b"\x5a" * 0x200)
    engine.power_on()
    engine.on_symbol("hf_done", lambda n, a: True)
    assert engine.run(1000).reason is StopReason.HALTED
    assert engine.debug_read32(OUT + 12) == 2
    assert controller(engine).read_faults == [DATA + 0x200]
    assert engine.flash.is_erased_page((DATA + 0x200 - FLASH) // 0x200)


def test_cpu_store_into_flash_reaches_the_controller(
    engine: UnicornEngine, assemble: Assembler
) -> None:
    elf = assemble(f"""
reset:
  ldr r5, ={FLASH_ALIAS + 0x4010}
  ldr r3, =0xCAFEF00D
  str r3, [r5]
  movs r3, #0x77
  strb r3, [r5, #5]
  ldr r4, ={FCTL}
  ldr r0, [r4]
  ldr r2, ={OUT}
  str r0, [r2]
done:
  b done
.ltorg
""")
    boot(engine, elf).on_symbol("done", lambda n, a: True)
    assert engine.run(1000).reason is StopReason.HALTED
    assert controller(engine).stores == [(FLASH + 0x4010, 4, 0xCAFEF00D), (FLASH + 0x4015, 1, 0x77)]
    assert engine.debug_read32(OUT) == 2
    assert engine.flash_read(FLASH + 0x4010, 4) == b"\xff" * 4  # the store itself changes nothing


@pytest.mark.parametrize("forks", [False, True], ids=["plain", "before_forks"])
def test_sram_seeded_lost_on_power_cycle_kept_on_warm_reset(
    engine: UnicornEngine, assemble: Assembler, forks: bool
) -> None:
    if forks:  # the patterns of the next power-on are made ahead: the same bytes
        engine.before_forks()
    elf = assemble("reset:\n  b reset\n")
    boot(engine, elf)
    ram0 = bytes(engine.memory.find(RAM)[0].buffer.read(0, RAM_SIZE))  # type: ignore[index]
    assert ram0 == seeded_fill(1234, 0, "sram", RAM_SIZE)
    assert engine.debug_read32(BKP) == struct.unpack("<I", seeded_fill(1234, 0, "bkpsram", 4))[0]
    engine.debug_write32(RAM + 0x40, 0xA5A5A5A5)
    engine.debug_write32(BKP, 0x12345678)
    engine.reset(ResetCause.PIN)
    assert engine.debug_read32(RAM + 0x40) == 0xA5A5A5A5
    engine.reset(ResetCause.BROWNOUT)
    assert engine.debug_read32(BKP) == 0x12345678  # backup SRAM survives a brownout
    assert engine.debug_read32(RAM + 0x40) != 0xA5A5A5A5
    engine.power_off()
    engine.power_on()
    ram2 = bytes(engine.memory.find(RAM)[0].buffer.read(0, RAM_SIZE))  # type: ignore[index]
    assert ram2 != ram0 and ram2 == seeded_fill(1234, 2, "sram", RAM_SIZE)
    assert engine.debug_read32(BKP) != 0x12345678
    assert engine.debug_read32(FLASH) == RAM + RAM_SIZE  # flash kept


def test_same_seed_same_transcript_and_flash(assemble: Assembler) -> None:
    elf = assemble(f"""
reset:
  ldr r4, ={UART}
  ldr r5, ={RAM + 0x800}
  movs r6, #16
loop:
  ldrb r0, [r5]           @ uninitialised RAM: the seeded pattern
  adds r5, #1
  str r0, [r4]
  subs r6, #1
  bne loop
  ldr r4, ={FCTL}
  ldr r0, ={DATA}
  str r0, [r4]            @ erase a page
done:
  b done
.ltorg
""")

    def once(seed: int) -> tuple[bytes, bytes]:
        e = UnicornEngine(make_platform(), seed)
        e.load_elf(str(elf))
        e.program_flash(DATA, b"\0" * 16)
        e.power_on()
        e.on_symbol("done", lambda n, a: True)
        assert e.run(1000).reason is StopReason.HALTED
        return e.serial().transcript, e.flash_snapshot()

    a, b, c = once(5), once(5), once(6)
    assert a == b and len(a[0]) == 16
    assert a[0] != c[0]
    assert a[0] == seeded_fill(5, 0, "sram", 0x810)[0x800:0x810]


def test_flash_op_cut_powers_off(engine: UnicornEngine, assemble: Assembler) -> None:
    elf = assemble(f"""
reset:
  ldr r4, ={FCTL}
  ldr r0, ={DATA}
  str r0, [r4]
  ldr r0, ={DATA + 0x800}
  str r0, [r4]
  b .
.ltorg
""")
    boot(engine, elf)
    engine.program_flash(DATA, b"\x42" * 0x1000)
    ops = []

    def hook(op):  # type: ignore[no-untyped-def]
        ops.append(op)
        return FlashOpAction.CUT if op.index == 1 else FlashOpAction.CONTINUE

    engine.on_flash_op(hook)
    result = engine.run(1000)
    assert result.reason is StopReason.POWERED_OFF
    assert [(o.index, o.address) for o in ops] == [(0, DATA), (1, DATA + 0x800)]
    assert result.instructions == 5  # cut right after the second store
    assert controller(engine).tears == 1
    assert engine.flash_read(DATA, 1) == b"\xff" and engine.flash_read(DATA + 0x800, 1) == b"\x42"
    assert engine.run(1000).reason is StopReason.POWERED_OFF


def test_snapshot_restore_roundtrip(engine: UnicornEngine) -> None:
    engine.program_flash(DATA, bytes(range(256)))
    engine.flash.mark_torn(DATA + 0x40, 16)
    snap = engine.flash_snapshot()
    assert snap == engine.flash_snapshot()
    engine.flash.erase_page((DATA - FLASH) // 0x800)
    assert not engine.flash.is_torn(DATA + 0x40, 4)
    engine.flash_restore(snap)
    assert engine.flash_read(DATA, 256) == bytes(range(256))
    assert engine.flash.is_torn(DATA + 0x40, 4)
    other = UnicornEngine(make_platform(name="otherchip"), 1)
    with pytest.raises(EngineError, match="expected a flash snapshot of platform 'otherchip'"):
        other.flash_restore(snap)


def test_elf_errors(engine: UnicornEngine, assemble: Assembler, tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="expected an ELF file at .*found no such file"):
        engine.load_elf(str(tmp_path / "missing.elf"))
    (tmp_path / "junk.elf").write_bytes(b"not an elf")
    with pytest.raises(EngineError, match="expected an ELF file"):
        engine.load_elf(str(tmp_path / "junk.elf"))
    outside = assemble("start:\n  b start\n", base=0x70000000, prelude=False)
    with pytest.raises(EngineError, match="found a segment at 0x70000000"):
        engine.load_elf(str(outside))
