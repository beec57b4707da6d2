"""Support for the SoC tests: small Thumb programs assembled with arm-none-eabi-as and run on
the real platform descriptions (stm32u585, lpc55s69) with the unicorn engine."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hil.engine.unicorn.engine import UnicornEngine
from hil.platform import load_platform
from hil.platform.model import Platform

Assembler = Callable[[str, str], Path]  # (platform name, body) -> ELF

PRELUDE = """
.syntax unified
.thumb
.text
.org 0
vectors:
  .word {sp:#x}
  .word reset + 1
  .word nmi + 1
  .word hardfault + 1
  .word 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
.org 0x40
nmi:
  b nmi
hardfault:
  b hardfault
"""


@pytest.fixture(scope="session")
def toolchain() -> None:
    if shutil.which("arm-none-eabi-as") is None or shutil.which("arm-none-eabi-ld") is None:
        pytest.skip("arm-none-eabi binutils not installed")


def assembler(tmp_path: Path) -> Assembler:
    counter = [0]

    def build(platform: str, body: str) -> Path:
        p = load_platform(platform)
        counter[0] += 1
        src = tmp_path / f"prog{counter[0]}.s"
        obj, elf = src.with_suffix(".o"), src.with_suffix(".elf")
        src.write_text(PRELUDE.format(sp=p.ram.base + 0x4000) + body + "\n")
        subprocess.run(
            ["arm-none-eabi-as", "-mcpu=cortex-m33", "-mthumb", "-o", str(obj), str(src)],
            check=True,
        )
        subprocess.run(
            ["arm-none-eabi-ld", "-e", "0", f"-Ttext={p.core.boot_address:#x}", "-o", str(elf),
             str(obj)],
            check=True,
        )  # fmt: skip
        return elf

    return build


@pytest.fixture
def asm(tmp_path: Path, toolchain: None) -> Assembler:
    return assembler(tmp_path)


def start(platform: str | Platform, elf: Path, *, strict: bool = False) -> UnicornEngine:
    p = load_platform(platform) if isinstance(platform, str) else platform
    e = UnicornEngine(p, seed=7)
    e.load_elf(str(elf))
    e.set_strict_mmio(strict)
    e.power_on()
    return e


def reg(e: UnicornEngine, n: int) -> int:
    from unicorn.arm_const import UC_ARM_REG_R0

    return int(e.core.uc.reg_read(UC_ARM_REG_R0 + n))
