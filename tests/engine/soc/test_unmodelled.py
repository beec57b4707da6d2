"""Every peripheral block of the memory map is present: blocks no model covers answer from their
reset values, keep stores until reset, record every access, and strict mode stops at the first
access naming block, register, address and PC (both chips)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from soc_support import Assembler, reg, start

from hil.cli import main
from hil.engine.base import StrictMmioStop
from hil.platform import load_platform

# STM32U585 TIM2 (CMSIS header: TIM2_BASE_NS 0x4000_0000, ARR at 0x2C), secure alias +0x1000_0000
STM_PROG = """
reset:
  ldr r0, =0x4000002C      @ TIM2.ARR (NS)
  ldr r1, [r0]             @ reset value
  ldr r2, =0x1234
  str r2, [r0]
  ldr r3, =0x5000002C      @ the same register through the secure alias
  ldr r3, [r3]
  ldr r4, =0x40000000      @ TIM2.CR1, polled three times by one instruction
  movs r6, #3
poll:
  ldr r5, [r4]
  subs r6, #1
  bne poll
done:
  b done
"""

# LPC55S69 ADC0.VERID (SVD: read-only, reset 0x0100_2C0B) and CTIMER0.MR[0] (read-write, reset 0)
LPC_PROG = """
reset:
  ldr r0, =0x400A0000      @ ADC0.VERID
  ldr r1, [r0]
  ldr r2, =0xFFFFFFFF
  str r2, [r0]             @ read-only: dropped
  ldr r3, [r0]
  ldr r4, =0x40008018      @ CTIMER0.MR[0]
  ldr r5, =0xCAFE
  str r5, [r4]
  ldr r6, [r4]
  ldrb r7, [r4, #1]        @ a sub-word load names the same register
done:
  b done
"""


def test_stm32_unmodelled_block_answers_reset_values_and_records(asm: Assembler) -> None:
    e = start("stm32u585", asm("stm32u585", STM_PROG))
    e.run(100)
    assert reg(e, 1) == 0 and reg(e, 3) == 0x1234  # stored, visible in both aliases
    recs = e.unmodelled_mmio()
    assert [(r.block, r.register, r.write, r.value, r.count) for r in recs] == [
        ("TIM2", "ARR", False, 0, 1),
        ("TIM2", "ARR", True, 0x1234, 1),
        ("TIM2", "ARR", False, 0x1234, 1),
        ("TIM2", "CR1", False, 0, 3),  # one polling instruction: one record, counted
    ]
    assert recs[2].address == 0x5000002C and recs[0].address == 0x4000002C
    assert all(r.pc & 0xFFF00000 == 0x08000000 for r in recs)
    assert recs[0].pc < recs[1].pc < recs[2].pc < recs[3].pc


def test_stm32_reset_restores_reset_values(asm: Assembler) -> None:
    prog = """
reset:
  ldr r0, =0x4000002C
  ldr r1, [r0]
  cbnz r1, second          @ after the software reset r1 must be 0 again (else: stop here)
  ldr r2, =0x55
  str r2, [r0]
  ldr r0, =0xE000ED0C      @ AIRCR: SYSRESETREQ
  ldr r1, =0x05FA0004
  str r1, [r0]
wait:
  b wait
second:
  b second
"""
    e = start("stm32u585", asm("stm32u585", prog))
    e.run(200)
    writes = [r for r in e.unmodelled_mmio() if r.write]
    reads = [r.value for r in e.unmodelled_mmio() if not r.write]
    assert len(e.power.resets) >= 3 and len(writes) >= 2
    assert set(reads) == {0}  # each boot read the reset value, never the 0x55 stored before


def test_lpc55_svd_reset_values_access_and_names(asm: Assembler) -> None:
    e = start("lpc55s69", asm("lpc55s69", LPC_PROG))
    e.run(100)
    assert reg(e, 1) == 0x0100_2C0B and reg(e, 3) == 0x0100_2C0B  # read-only kept its value
    assert reg(e, 6) == 0xCAFE and reg(e, 7) == 0xCA
    names = [(r.block, r.register, r.write) for r in e.unmodelled_mmio()]
    assert names == [
        ("ADC0", "VERID", False),
        ("ADC0", "VERID", True),
        ("ADC0", "VERID", False),
        ("CTIMER0", "MR[0]", True),
        ("CTIMER0", "MR[0]", False),
        ("CTIMER0", "MR[0]", False),
    ]
    assert e.unmodelled_mmio()[-1].width == 1


@pytest.mark.parametrize(
    ("chip", "prog", "block", "register", "address"),
    [
        ("stm32u585", STM_PROG, "TIM2", "ARR", 0x4000002C),
        ("lpc55s69", LPC_PROG, "ADC0", "VERID", 0x400A0000),
    ],
)
def test_strict_mode_stops_at_the_first_access(
    asm: Assembler, chip: str, prog: str, block: str, register: str, address: int
) -> None:
    e = start(chip, asm(chip, prog), strict=True)
    with pytest.raises(StrictMmioStop) as info:
        e.run(100)
    access = info.value.access
    assert (access.block, access.register, access.address) == (block, register, address)
    assert access.pc == e.core.pc  # the CPU stopped before the access
    assert reg(e, 1) == 0 and not access.write
    text = str(info.value)
    assert f"{block}.{register}" in text and f"0x{address:08x}" in text and f"PC 0x{e.core.pc:08x}"
    with pytest.raises(StrictMmioStop):  # it stays stopped there
        e.run(100)


def test_no_block_means_bus_fault_and_models_keep_their_windows(asm: Assembler) -> None:
    prog = """
reset:
  ldr r0, =0x40002000      @ STM32U585 APB1 gap between TIM7 and WWDG: no block
  ldr r1, [r0]
done:
  b done
"""
    e = start("stm32u585", asm("stm32u585", prog))
    e.run(100)
    assert e.unmodelled_mmio() == []
    assert e.exceptions.locked or e.core.pc != 0  # faulted into the handlers, not recorded
    p = load_platform("stm32u585")
    covered = {b.name for b in e.unmodelled.blocks}
    assert "FLASH" not in covered and "USART1" not in covered and "TIM2" in covered
    assert p.blocks is not None and len(covered) < len(p.blocks.blocks)


def test_log_file_only_when_touched(asm: Assembler, tmp_path: Path) -> None:
    log = tmp_path / "logs" / "mmio_unmodelled.jsonl"
    e = start("stm32u585", asm("stm32u585", "reset:\n  b reset\n"))
    e.log_unmodelled_mmio(log)
    e.run(100)
    assert not log.exists()
    e = start("stm32u585", asm("stm32u585", STM_PROG))
    e.log_unmodelled_mmio(log)
    e.run(100)
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert lines[0] == {
        "access": "read",
        "address": "0x4000002c",
        "block": "TIM2",
        "count": 1,
        "instructions": lines[0]["instructions"],
        "pc": lines[0]["pc"],
        "register": "ARR",
        "value": "0x0",
        "width": 4,
    }
    assert sum(x["count"] for x in lines) == 6 and len(lines) == 4


def test_hil_boot_strict_mmio_on_our_firmware(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The project's own firmware touches only modelled blocks: strict mode boots it and the
    log directory holds no unmodelled-access file."""
    args = ["boot", "--platform", "stm32u585", "--strict-mmio", "--log-dir", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "application running" in out and "unmodelled" not in out
    assert (tmp_path / "console.log").exists()
    assert not (tmp_path / "mmio_unmodelled.jsonl").exists()
