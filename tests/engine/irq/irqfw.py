"""Build small Cortex-M33 test programs (C) for a platform at test time and run them on the
unicorn engine: a generated startup (vector table with one weak handler per exception and IRQ
line of the platform, .data/.bss set-up, FPU access enabled), ``t.h`` helpers, the platform's
flash and RAM from its description. Results are read from the program's ``t_log``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hil.engine.base import StopReason
from hil.engine.unicorn.engine import UnicornEngine
from hil.platform.model import Platform

HERE = Path(__file__).resolve().parent
CC = "arm-none-eabi-gcc"
SYSTEM = ["NMI", "HardFault", "MemManage", "BusFault", "UsageFault", "SecureFault"]
SYSTEM_SLOTS = {11: "SVC", 12: "DebugMon", 14: "PendSV", 15: "SysTick"}


def _startup(platform: Platform) -> str:
    lines = platform.core.nvic.irq_lines
    names: list[str] = []
    for number in range(2, 16):
        if number < 8:
            names.append(SYSTEM[number - 2] + "_Handler")
        else:
            names.append(SYSTEM_SLOTS[number] + "_Handler" if number in SYSTEM_SLOTS else "0")
    names += [f"IRQ{i}_Handler" for i in range(lines)]
    decls = "".join(
        f'void {n}(void) __attribute__((weak, alias("Default_Handler")));\n'
        for n in names
        if n != "0"
    )
    table = ",\n  ".join(f"(uint32_t){n}" for n in names)
    return f"""#include <stdint.h>
extern uint32_t __stack_top, __bss_start, __bss_end, __data_start, __data_end, __data_load;
int main(void);
volatile uint32_t t_log[64];
volatile uint32_t t_n;
volatile uint32_t t_fault;
void test_done(void) __attribute__((noinline, used));
void test_done(void) {{ for (;;) {{ __asm volatile("nop"); }} }}
void Default_Handler(void) {{ uint32_t v; __asm volatile("mrs %0, ipsr" : "=r"(v));
  t_fault = 0x100u | v; test_done(); }}
void Reset_Handler(void);
{decls}
__attribute__((section(".vectors"), used)) const uint32_t vectors[] = {{
  (uint32_t)&__stack_top, (uint32_t)Reset_Handler,
  {table}
}};
void Reset_Handler(void) {{
  uint32_t *s = &__data_load, *d = &__data_start;
  while (d < &__data_end) *d++ = *s++;
  for (d = &__bss_start; d < &__bss_end; d++) *d = 0;
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;  /* CPACR: CP10, CP11 full access */
  __asm volatile("dsb\\n isb");
  main();
  test_done();
}}
"""


def _linker(platform: Platform) -> str:
    flash = platform.region(platform.flash.region)
    ram = platform.ram
    return f"""MEMORY {{ FLASH (rx) : ORIGIN = {flash.base:#x}, LENGTH = 0x10000
         RAM (rwx) : ORIGIN = {ram.base:#x}, LENGTH = 0x8000 }}
__stack_top = ORIGIN(RAM) + LENGTH(RAM);
SECTIONS {{
  .text : {{ KEEP(*(.vectors)) *(.text*) *(.rodata*) }} > FLASH
  .data : {{ __data_start = .; *(.data*) . = ALIGN(4); __data_end = .; }} > RAM AT > FLASH
  __data_load = LOADADDR(.data);
  .bss (NOLOAD) : {{ __bss_start = .; *(.bss*) *(COMMON) . = ALIGN(4); __bss_end = .; }} > RAM
}}
"""


def build(
    platform: Platform, source: str, out: Path, defines: dict[str, int] | None = None
) -> Path:
    if shutil.which(CC) is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    out.mkdir(parents=True, exist_ok=True)
    (out / "startup.c").write_text(_startup(platform))
    (out / "test.c").write_text(source)
    (out / "link.ld").write_text(_linker(platform))
    elf = out / "test.elf"
    flags = [f"-D{k}={v:#x}u" for k, v in (defines or {}).items()]
    flags.append(f"-DCHIP_{platform.name.upper()}=1")
    subprocess.run(
        [
            CC,
            "-mcpu=cortex-m33",
            "-mthumb",
            "-mfloat-abi=hard",
            "-mfpu=fpv5-sp-d16",
            "-O1",
            "-std=c11",
            "-ffreestanding",
            "-nostdlib",
            "-Wall",
            "-Wextra",
            "-Werror",
            f"-I{HERE}",
            *flags,
            "-T",
            str(out / "link.ld"),
            "-o",
            str(elf),
            str(out / "startup.c"),
            str(out / "test.c"),
        ],
        check=True,
    )
    return elf


class Program:
    """A built test program on a fresh engine; ``run`` until ``test_done``."""

    def __init__(self, platform: Platform, elf: Path, seed: int = 7) -> None:
        self.engine = UnicornEngine(platform, seed)
        self.engine.load_elf(str(elf))
        self.engine.on_symbol("test_done", lambda name, address: True)
        self.engine.power_on()

    def run(self, budget_us: int = 1_000_000) -> None:
        result = self.engine.run(budget_us)
        assert result.reason is StopReason.HALTED, (result, self.fault)
        assert self.fault == 0, f"unexpected exception {self.fault & 0xFF}"

    def word(self, symbol: str, index: int = 0) -> int:
        return self.engine.debug_read32(self.engine.symbols[symbol] + 4 * index)

    @property
    def fault(self) -> int:
        return self.word("t_fault")

    @property
    def log(self) -> list[int]:
        n = min(self.word("t_n"), 64)
        return [self.word("t_log", i) for i in range(n)]

    def close(self) -> None:
        self.engine.close()
