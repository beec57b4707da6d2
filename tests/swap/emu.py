"""The swap target on the unicorn engine, driven directly (the Device class expects the first
target's factory image): build swapboot/swapapp with make, sign swapapp.bin with imgtool,
program flash, run in virtual time, read the console log, and talk MCUmgr SMP with the real
smpclient over the management UART."""

from __future__ import annotations

import asyncio
import fcntl
import subprocess
import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smp import packet as smppacket
from smpclient import SMPClient
from smpclient.transport import SMPTransport

from hil.engine.base import Engine, RunResult, StopReason
from hil.engine.registry import create_engine
from hil.platform import load_platform
from hil.platform.codegen import write_firmware_config
from hil.platform.model import Platform

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
            client = SMPClient(UartTransport(self), "swap", timeout_s=1e9)
            await client.connect()
            try:
                return await body(client)
            finally:
                await client.disconnect()

        return asyncio.run(main())


class UartTransport(SMPTransport):
    """smpclient's serial framing over the emulated management UART, in virtual time."""

    def __init__(self, target: Target, budget_ms: int = 5000) -> None:
        self.t = target
        self.budget_ms = budget_ms
        self._buf_size: int | None = None
        self._rx = b""

    async def connect(self, address: str, timeout_s: float) -> None:
        self.t.mgmt.read()

    async def disconnect(self) -> None:
        return None

    async def send(self, data: bytes) -> None:
        self.t.mgmt.write(b"".join(smppacket.encode(data, line_length=128)))

    async def receive(self) -> bytes:
        frames: list[bytes] = []
        decoder: list[Generator[None, bytes, bytes]] = []

        def scan() -> bool:
            self.t.poll()
            self._rx += self.t.mgmt.read()
            while b"\n" in self._rx:
                line, self._rx = self._rx.split(b"\n", 1)
                line += b"\n"
                if line.startswith(smppacket.START_DELIMITER):
                    gen = smppacket.decode()
                    next(gen)
                    decoder[:] = [gen]
                if not decoder:
                    continue
                try:
                    decoder[0].send(line)
                except StopIteration as done:
                    frames.append(bytes(done.value))
                    decoder.clear()
                    return True
            return False

        if not scan():
            result = self.t.engine.run(self.budget_ms * 1000, scan)
            if not frames:
                tail = self.t.log[-800:]
                raise TimeoutError(f"no SMP response ({result.reason.value}); console:\n{tail}")
        return frames[0]

    async def send_and_receive(self, data: bytes) -> bytes:
        await self.send(data)
        return await self.receive()

    def initialize(self, smp_server_transport_buffer_size: int) -> None:
        self._buf_size = smp_server_transport_buffer_size

    @property
    def mtu(self) -> int:
        return self._buf_size or 256

    @property
    def max_unencoded_size(self) -> int:
        return (self._buf_size - 4) if self._buf_size else 127


def stopped_ok(r: RunResult) -> bool:
    return r.reason in (StopReason.BUDGET, StopReason.CONDITION)
