"""The swap target on the unicorn engine, driven directly (the Device class expects the first
target's factory image): build swapboot/swapapp with make, sign swapapp.bin with imgtool,
program flash, run in virtual time, read the console log, and talk MCUmgr SMP with the real
smpclient over the management UART (``hil.target.device.UartTransport``)."""

from __future__ import annotations

import asyncio
import fcntl
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smpclient import SMPClient

from hil.engine.base import Engine, RunResult, StopReason
from hil.engine.registry import create_engine
from hil.platform import load_platform
from hil.platform.codegen import write_firmware_config
from hil.platform.model import Platform
from hil.target.device import UartTransport

REPO = Path(__file__).resolve().parents[2]
SWAP = REPO / "firmware_stubs" / "swap"
KEYS = SWAP / "keys"
IMGTOOL = Path(sys.executable).parent / "imgtool"
MGMT_UART = {"stm32u585": "usart2", "lpc55s69": "flexcomm2"}


@dataclass(frozen=True)
class SwapFirmware:
    chip: str
    out: Path

    @property
    def boot_elf(self) -> Path:
        return self.out / "swapboot.elf"

    @property
    def app_bin(self) -> Path:
        return self.out / "swapapp.bin"


def build(chip: str, defines: tuple[str, ...] = ()) -> SwapFirmware:
    """make -C firmware_stubs/swap into build/firmware/<chip>-swap[-<flag>...]."""
    p = load_platform(chip)
    suffix = "".join(f"-{d.lower()}" for d in sorted(defines))
    out = REPO / "build" / "firmware" / f"{chip}-swap{suffix}"
    out.mkdir(parents=True, exist_ok=True)
    with (out / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # the platform files where `hil build` (and setup.sh) keep them: the same flags, so
        # setup's build and the tests' share the objects instead of rebuilding each other's
        gen = REPO / "build" / "firmware" / chip / "gen"
        write_firmware_config(p, gen)
        extra = " ".join(f"-D{d}=1" for d in sorted(defines))
        subprocess.run(
            [
                "make",
                "-s",
                "--no-print-directory",
                "-C",
                str(SWAP),
                f"PLATFORM={chip}",
                f"GEN_DIR={gen}",
                f"OUT_DIR={out}",
                f"EXTRA_CFLAGS={extra}",
            ],
            check=True,
            capture_output=True,
        )
    return SwapFirmware(chip, out)


@dataclass(frozen=True)
class Layout:
    base: int
    primary: int
    secondary: int
    secondary_size: int
    hdr: int
    sector: int
    unit: int
    erased: int


def layout(chip: str) -> Layout:
    p = load_platform(chip)
    if chip == "stm32u585":
        return Layout(p.flash.base, p.flash.base + 0x20000, p.flash.base + 0x42000, 0x20000,
                      0x400, 0x2000, 16, 0xFF)  # fmt: skip
    return Layout(p.flash.base, p.flash.base + 0x20000, p.flash.base + 0x40000, 0x1C000,
                  0x200, 0x4000, 512, 0x00)  # fmt: skip


def sign_app(
    fw: SwapFirmware,
    version: str,
    sec_cnt: int,
    out: Path,
    *,
    key: str = "swap-signer",
    self_test: int | None = None,
) -> bytes:
    lay = layout(fw.chip)
    cmd = [
        str(IMGTOOL),
        "sign",
        "-k",
        str(KEYS / f"{key}.pem"),
        "--version",
        version,
        "-s",
        str(sec_cnt),
        "-H",
        str(lay.hdr),
        "--pad-header",
        "-S",
        str(lay.secondary_size),
    ]
    if self_test is not None:
        cmd += ["--custom-tlv", "0xa8", "0x" + self_test.to_bytes(4, "little").hex()]
    subprocess.run([*cmd, str(fw.app_bin), str(out)], check=True, capture_output=True)
    return out.read_bytes()


class Target:
    """One emulated chip running the swap target."""

    def __init__(self, fw: SwapFirmware, seed: int = 1) -> None:
        self.fw = fw
        self.platform: Platform = load_platform(fw.chip)
        self.lay = layout(fw.chip)
        self.engine: Engine = create_engine("unicorn", self.platform, seed)
        self.engine.load_elf(str(fw.boot_elf))
        self.console = self.engine.serial()
        self.mgmt = self.engine.serial(MGMT_UART[fw.chip])
        self.log = ""

    def program(self, address: int, data: bytes) -> None:
        self.engine.program_flash(address, data)

    def poll(self) -> str:
        new = self.console.read().decode("utf-8", errors="replace")
        self.log += new
        return new

    def run_until(self, text: str, budget_ms: int, start: int | None = None) -> bool:
        """Run until `text` appears in the console log after position `start`."""
        at = len(self.log) if start is None else start

        def seen() -> bool:
            self.poll()
            return text in self.log[at:]

        if seen():
            return True
        self.engine.run(budget_ms * 1000, seen)
        return seen()

    def run(self, budget_ms: int) -> RunResult:
        r = self.engine.run(budget_ms * 1000)
        self.poll()
        return r

    def power_on(self) -> None:
        self.engine.power_on()

    def flash(self, address: int, size: int) -> bytes:
        return self.engine.flash_read(address, size)

    def smp(self, body: Callable[[SMPClient], Any]) -> Any:
        """Run `body(client)` with smpclient connected to the management UART."""

        async def main() -> Any:
            transport = UartTransport(
                self.engine, self.mgmt, poll=self.poll, tail=lambda: self.log[-800:]
            )
            client = SMPClient(transport, "swap", timeout_s=1e9)
            await client.connect()
            try:
                return await body(client)
            finally:
                await client.disconnect()

        return asyncio.run(main())


def stopped_ok(r: RunResult) -> bool:
    return r.reason in (StopReason.BUDGET, StopReason.CONDITION)
