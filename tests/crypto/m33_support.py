"""Build firmware_stubs/core/{sha256,p256}.c for Cortex-M33 and call them under Unicorn.

Shared by measure_m33.py (the benchmark) and test_crypto_m33.py (the target build, with its
UMAAL inline assembly, checked against the Wycheproof vectors). No startup code: flash at 0,
RAM at 0x20000000, functions are called directly (r0..r3 = arguments, LR = a stop address).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from unicorn import UC_ARCH_ARM, UC_HOOK_CODE, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
from unicorn.arm_const import (
    UC_ARM_REG_LR,
    UC_ARM_REG_R0,
    UC_ARM_REG_R1,
    UC_ARM_REG_R2,
    UC_ARM_REG_R3,
    UC_ARM_REG_SP,
    UC_CPU_ARM_CORTEX_M33,
)

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "firmware_stubs" / "core"
HERE = Path(__file__).resolve().parent
CC = "arm-none-eabi-gcc"
CFLAGS = [
    "-mcpu=cortex-m33",
    "-mthumb",
    "-mfloat-abi=soft",
    "-Os",
    "-std=c11",
    "-ffreestanding",
    "-nostdlib",
    "-ffunction-sections",
    "-fdata-sections",
    "-fno-common",
    "-fno-tree-loop-distribute-patterns",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-DHIL_CRYPTO_SW=1",  # the software SHA-256 measured here (core/sha256.h)
    f"-I{CORE}",
]
UNITS = {
    "p256": CORE / "p256.c",
    "sha256": CORE / "sha256.c",
    "libc_min": CORE / "libc_min.c",  # memcpy for struct copies, as in the firmware
    "m33_harness": HERE / "m33_harness.c",
}
FLASH, FLASH_SIZE = 0x0, 0x40000
RAM, RAM_SIZE = 0x20000000, 0x40000
STACK_TOP = RAM + RAM_SIZE
STACK_PAINT = 0x4000
STOP = 0x100  # a `b .` in flash; LR points here
TEXT_BASE = 0x200
BLOB = RAM  # argument area

LINKER = f"""
MEMORY {{ FLASH (rx) : ORIGIN = {FLASH:#x}, LENGTH = {FLASH_SIZE:#x}
         RAM (rwx) : ORIGIN = {RAM:#x}, LENGTH = {RAM_SIZE:#x} }}
SECTIONS {{
  .text {TEXT_BASE:#x} : {{ *(.text*) *(.rodata*) }} > FLASH
  .data : {{ *(.data*) *(.bss*) *(COMMON) }} > RAM AT > FLASH
}}
"""


def have_toolchain() -> bool:
    return shutil.which(CC) is not None


@dataclass
class M33Build:
    elf: Path
    image: bytes
    syms: dict[str, int]
    text_sizes: dict[str, int]
    frames: dict[str, int] = field(default_factory=dict)  # function -> own stack bytes
    calls: dict[str, set[str]] = field(default_factory=dict)  # call graph

    def stack_bound(self, root: str) -> tuple[int, list[str]]:
        """Worst-case stack of `root` over the static call graph (it has no cycles)."""
        best: dict[str, tuple[int, list[str]]] = {}

        def visit(fn: str, depth: int) -> tuple[int, list[str]]:
            if fn in best:
                return best[fn]
            assert depth < 64, "call graph cycle"
            worst: tuple[int, list[str]] = (0, [])
            for callee in self.calls.get(fn, ()):
                sub = visit(callee, depth + 1)
                if sub[0] > worst[0]:
                    worst = sub
            best[fn] = (self.frames.get(fn, 0) + worst[0], [fn, *worst[1]])
            return best[fn]

        return visit(root, 0)


def _parse_ci(ci: Path, frames: dict[str, int], calls: dict[str, set[str]]) -> None:
    text = ci.read_text()
    node = r'node: \{ title: "(?:[^"]*:)?([\w.]+)" label: "[^"]*\\n(\d+) bytes'
    for m in re.finditer(node, text):
        name = m.group(1).split(".")[0]  # fold GCC clones (.constprop.0) into the function
        frames[name] = max(frames.get(name, 0), int(m.group(2)))
    for m in re.finditer(
        r'edge: \{ sourcename: "(?:[^"]*:)?([\w.]+)" targetname: '
        r'"(?:[^"]*:)?([\w.]+)"',
        text,
    ):
        calls.setdefault(m.group(1).split(".")[0], set()).add(m.group(2).split(".")[0])


def build(tmp: Path) -> M33Build:
    objs = []
    sizes: dict[str, int] = {}
    frames: dict[str, int] = {}
    calls: dict[str, set[str]] = {}
    for name, src in UNITS.items():
        obj = tmp / f"{name}.o"
        subprocess.run(
            [CC, *CFLAGS, "-fcallgraph-info=su", "-c", str(src), "-o", str(obj)],
            check=True,
            cwd=tmp,
        )
        objs.append(obj)
        out = (
            subprocess.run(
                [CC.replace("gcc", "size"), str(obj)], check=True, capture_output=True, text=True
            )
            .stdout.splitlines()[1]
            .split()
        )
        sizes[name] = int(out[0])
        _parse_ci(obj.with_suffix(".ci"), frames, calls)
    ld = tmp / "m33.ld"
    ld.write_text(LINKER)
    elf = tmp / "m33.elf"
    subprocess.run(
        [
            CC,
            *CFLAGS,
            "-T",
            str(ld),
            "-Wl,-e,m33_check",
            "-Wl,--undefined=sha256",
            "-Wl,--undefined=p256_verify",
            "-Wl,--no-warn-rwx-segments",
            "-o",
            str(elf),
            *map(str, objs),
            "-lgcc",
        ],
        check=True,
    )
    nm = subprocess.run(
        [CC.replace("gcc", "nm"), str(elf)], check=True, capture_output=True, text=True
    ).stdout
    syms = {}
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    binfile = tmp / "m33.bin"
    subprocess.run(
        [
            CC.replace("gcc", "objcopy"),
            "-O",
            "binary",
            "--only-section=.text",
            str(elf),
            str(binfile),
        ],
        check=True,
    )
    return M33Build(elf, binfile.read_bytes(), syms, sizes, frames, calls)


class M33:
    """One Unicorn instance with the build loaded; call() runs a function to completion."""

    def __init__(
        self, b: M33Build, count_instructions: bool = False, profile: dict[int, int] | None = None
    ) -> None:
        self.build = b
        uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M33)
        uc.mem_map(FLASH, FLASH_SIZE)
        uc.mem_map(RAM, RAM_SIZE)
        uc.mem_write(TEXT_BASE, b.image)
        uc.mem_write(STOP, b"\xfe\xe7")  # b .
        self.uc = uc
        self.count = 0
        self.profile = profile
        if profile is not None:
            uc.hook_add(UC_HOOK_CODE, self._hook_profile)
        elif count_instructions:
            uc.hook_add(UC_HOOK_CODE, self._hook)

    def _hook(self, uc: Uc, address: int, size: int, user: object) -> None:
        self.count += 1

    def _hook_profile(self, uc: Uc, address: int, size: int, user: object) -> None:
        self.count += 1
        if self.profile is not None:
            self.profile[address] = self.profile.get(address, 0) + 1

    def call(
        self, fn: str, args: list[int], max_instructions: int = 50_000_000
    ) -> tuple[int, int, int]:
        """Returns (r0 as signed int, instructions (0 unless counting), stack bytes touched)."""
        uc = self.uc
        uc.mem_write(STACK_TOP - STACK_PAINT, b"\xa5" * STACK_PAINT)
        for reg, val in zip(
            (UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3), args, strict=False
        ):
            uc.reg_write(reg, val)
        uc.reg_write(UC_ARM_REG_SP, STACK_TOP)
        uc.reg_write(UC_ARM_REG_LR, STOP | 1)
        self.count = 0
        uc.emu_start(self.build.syms[fn] | 1, STOP, count=max_instructions)
        painted = bytes(uc.mem_read(STACK_TOP - STACK_PAINT, STACK_PAINT))
        untouched = len(painted) - len(painted.lstrip(b"\xa5"))
        r0 = uc.reg_read(UC_ARM_REG_R0)
        return r0 - (1 << 32) if r0 >= 1 << 31 else r0, self.count, STACK_PAINT - untouched

    def check(self, mode: str, pub: bytes, msg: bytes, sig: bytes) -> tuple[int, int, int]:
        """m33_check on one vector: (detail, instructions, stack)."""
        blob = struct.pack("<III", ord(mode), len(msg), len(sig)) + pub + msg + sig
        self.uc.mem_write(BLOB, blob)
        return self.call("m33_check", [BLOB])
