"""The link tests drive the real smpclient through ``VirtualSerialTransport`` against the C SMP
server built for the host (as tests/smp does), wrapped in a stand-in for ``hil.device.Device``
whose 'virtual time' is the number of bytes the server consumed. No firmware is needed."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hil.engine.base import RunResult, StopReason
from hil.evidence import EvidenceStream
from tests.smp.smp_harness import Device as CServer
from tests.smp.smp_harness import FakeFlash, bind

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "firmware_stubs" / "core"
SOURCES = [CORE / "cbor.c", CORE / "smp_frame.c", CORE / "smp_server.c"]
NS_PER_BYTE = 87_000  # 115200 baud: ~87 us per byte


@dataclass
class _Engine:
    time_ns: int = 0


@dataclass(frozen=True)
class _Platform:
    name: str = "host"


class ServerDevice:
    """Enough of ``hil.device.Device`` for the transport: write, poll, run_until, stream."""

    def __init__(self, server: CServer, console_text: bytes = b"") -> None:
        self.server = server
        self.stream = EvidenceStream()
        self.engine = _Engine()
        self.platform = _Platform()
        self.log_path: Path | None = None
        self.rx = bytearray()
        self.console_text = console_text  # emitted before every response (evidence/noise)
        self.silent = False  # swallow the server's answers (a device that stopped answering)

    def poll(self) -> None:
        return None

    def write(self, data: bytes) -> None:
        self.rx += data

    def tail(self) -> str:
        return "(host server)"

    def run_until(self, cond: Callable[[], bool], budget_ms: int) -> RunResult:
        end = self.engine.time_ns + budget_ms * 1_000_000
        if cond():
            return RunResult(StopReason.CONDITION, 0, self.engine.time_ns)
        while self.rx and self.engine.time_ns < end:
            byte = self.rx.pop(0)
            self.engine.time_ns += NS_PER_BYTE
            self.server.feed(bytes([byte]))
            out = self.server.take_output()
            if out and not self.silent:
                self.stream.feed(self.console_text + out)
                if cond():
                    return RunResult(StopReason.CONDITION, 0, self.engine.time_ns)
        self.engine.time_ns = max(self.engine.time_ns, end)
        return RunResult(StopReason.BUDGET, 0, self.engine.time_ns)


@pytest.fixture(scope="session")
def smp_server_lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    if shutil.which("gcc") is None:
        pytest.skip("host gcc missing")
    out = tmp_path_factory.mktemp("link_smp") / "libsmp.so"
    cflags = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{CORE}"]
    subprocess.run(
        ["gcc", *cflags, "-fPIC", "-shared", "-o", str(out), *map(str, SOURCES)], check=True
    )
    return bind(ctypes.CDLL(str(out)))


@pytest.fixture
def flash() -> FakeFlash:
    return FakeFlash()


@pytest.fixture
def server_device(smp_server_lib: ctypes.CDLL, flash: FakeFlash) -> ServerDevice:
    return ServerDevice(CServer(smp_server_lib, flash))
