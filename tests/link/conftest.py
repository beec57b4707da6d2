"""The link tests drive the real smpclient through ``VirtualSerialTransport`` against the C SMP
server built for the host (as tests/smp does), wrapped in a stand-in for ``hil.device.Device``
whose 'virtual time' is the number of bytes the server consumed. No firmware is needed."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import pytest

from hil.errors import DeviceTimeout
from hil.evidence import EvidenceStream, Hit, Match, compile_match
from tests.smp.smp_harness import Device as CServer
from tests.smp.smp_harness import FakeFlash, bind

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "firmware_stubs" / "core"
SOURCES = [CORE / "cbor.c", CORE / "smp_frame.c", CORE / "smp_server.c"]
NS_PER_BYTE = 87_000  # 115200 baud: ~87 us per byte


class ServerDevice:
    """The link's ``Console`` protocol (``hil.link.console``) around the host SMP server:
    write, mark, expect, time_ns."""

    def __init__(self, server: CServer, console_text: bytes = b"") -> None:
        self.server = server
        self.stream = EvidenceStream()
        self.time_ns = 0
        self.rx = bytearray()
        self.console_text = console_text  # emitted before every response (evidence/noise)
        self.silent = False  # swallow the server's answers (a device that stopped answering)

    def write(self, data: bytes) -> None:
        self.rx += data

    def mark(self) -> int:
        return len(self.stream.records)

    def expect(
        self, match: Match, budget_ms: int, *, since: int | None = None, what: str | None = None
    ) -> Hit:
        matches, pattern = compile_match(match, what=what)
        cursor = [since or 0]

        def scan() -> Hit | None:
            recs = self.stream.records
            while cursor[0] < len(recs):
                cursor[0] += 1
                if matches(recs[cursor[0] - 1]):
                    return Hit(recs[cursor[0] - 1], cursor[0] - 1)
            return None

        end = self.time_ns + budget_ms * 1_000_000
        hit = scan()
        while hit is None and self.rx and self.time_ns < end:
            byte = self.rx.pop(0)
            self.time_ns += NS_PER_BYTE
            self.server.feed(bytes([byte]))
            out = self.server.take_output()
            if out and not self.silent:
                self.stream.feed(self.console_text + out)
                hit = scan()
        if hit is not None:
            return hit
        self.time_ns = max(self.time_ns, end)
        raise DeviceTimeout(pattern, f"{budget_ms} ms of virtual time", "(host server)", None)


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
