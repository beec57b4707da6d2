"""gdb-multiarch attaches to a device stopped in the app, reads registers and memory, breaks at
a function the app's console loop calls, continues to it and single-steps."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading

import pytest

from hil.device import Device
from hil.engine.base import RunResult
from hil.engine.unicorn.symbols import read_elf
from hil.gdb import GdbServer
from hil.platform.model import Platform
from tests.integration.helpers import boot_to_app

GDB = shutil.which("gdb-multiarch")
pytestmark = pytest.mark.skipif(
    GDB is None, reason="gdb-multiarch not installed (apt install gdb-multiarch)"
)

BREAK_SYMBOL = "port_uart_getc"  # polled by the app's console loop


def _gdb(port: int, *commands: str) -> str:
    assert GDB is not None
    args = [GDB, "-batch", "-nx", "-ex", "set architecture armv8-m.main"]
    args += ["-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        args += ["-ex", c]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def _pcs(output: str) -> list[int]:
    return [int(m, 16) for m in re.findall(r"^pc\s+(0x[0-9a-f]+)", output, re.M)]


def test_gdb_multiarch_attaches_reads_breaks_and_steps(
    platform: Platform, device_factory, firmware_factory
) -> None:  # type: ignore[no-untyped-def]
    firmware = firmware_factory(platform)
    device: Device = device_factory(platform, firmware=firmware)
    engine = device.engine
    device.power_on()
    boot_to_app(device)
    stopped_pc = engine.pc
    word = engine.debug_read32(0x20000000)
    # the app's copy (the bootloader links its own port_uart_getc)
    target = read_elf(str(firmware.app_elf)).symbols[BREAK_SYMBOL] & ~1

    runs: list[tuple[int, int]] = []

    class CountingServer(GdbServer):
        def cont(self) -> RunResult:
            before = engine.instructions
            result = super().cont()
            runs.append((before, engine.instructions))
            return result

    server = CountingServer(engine)
    thread = threading.Thread(target=server.serve, kwargs={"accept_timeout": 60}, daemon=True)
    thread.start()
    out = _gdb(
        server.port,
        "info registers pc",
        "x/4xw 0x20000000",
        "x/1xw 0xf0000000",
        f"break *0x{target:x}",
        "continue",
        "info registers pc",
        "stepi",
        "info registers pc",
        "detach",
    )
    thread.join(30)
    assert not thread.is_alive(), out

    pcs = _pcs(out)
    assert len(pcs) == 3, out
    assert pcs[0] == stopped_pc, out
    assert f"0x20000000:\t0x{word:08x}" in out, out
    assert "Cannot access memory at address 0xf0000000" in out, out  # E01 from the server
    assert pcs[1] == target, (out, server.last_result)  # the breakpoint was reached
    assert pcs[2] == engine.pc and pcs[2] != target, out  # one instruction later
    # gdb steps an ARM target itself: a temporary breakpoint after the instruction, then `c`
    assert len(runs) == 2 and runs[1][1] - runs[1][0] == 1, runs

    # the server's own `s` runs exactly one instruction through the engine's run loop
    before = engine.instructions
    server.step()
    assert engine.instructions == before + 1
    assert engine.pc != pcs[2]
