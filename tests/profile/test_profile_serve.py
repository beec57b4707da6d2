"""Stock MCUmgr clients update the swap target through ``hil serve --profile``: smpclient (the
library) and smpmgr (the command line, a test-only dependency), over the pty of the target's
management UART."""

from __future__ import annotations

import asyncio
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from smpclient import SMPClient
from smpclient.requests.image_management import ImageStatesWrite
from smpclient.requests.os_management import ResetWrite
from smpclient.transport.serial import SMPSerialTransport

from hil.profile import load_profile
from hil.target.device import sign
from tests.swap.emu import build

REPO = Path(__file__).resolve().parents[2]
HIL = Path(sys.executable).parent / "hil"
SMPMGR = Path(sys.executable).parent / "smpmgr"


def sha256_tlv(image: bytes) -> bytes:
    hdr, prot = struct.unpack_from("<HH", image, 8)
    size = struct.unpack_from("<I", image, 12)[0]
    pos = hdr + size + prot + 4
    while pos + 4 <= len(image):
        tag, length = struct.unpack_from("<HH", image, pos)
        if tag == 0x10:
            return image[pos + 4 : pos + 4 + length]
        pos += 4 + length
    raise AssertionError("no SHA256 TLV")


class Server:
    def __init__(self, profile: Path) -> None:
        self.proc = subprocess.Popen(
            [str(HIL), "serve", "--profile", str(profile), "--fast"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.pty = self.wait_for(" at /dev/", 60).split(" at ")[1].split()[0]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout_s: float, start: int = 0) -> str:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            for line in self.lines[start:]:
                if text in line:
                    return line
            if self.proc.poll() is not None and not any(text in x for x in self.lines[start:]):
                break
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not seen; output:\n" + "\n".join(self.lines[-30:]))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)


@pytest.fixture
def swap_profile() -> Path:
    path = REPO / "profiles" / "swap-lpc55s69.yaml"
    if not all(f.path.exists() for f in load_profile(path).firmware):
        build("lpc55s69")
    return path


def test_smpmgr_updates_the_swap_target_through_serve(swap_profile: Path, tmp_path: Path) -> None:
    if not SMPMGR.exists():
        pytest.skip("smpmgr is not installed (pip install -e '.[dev]')")
    image = sign(load_profile(swap_profile), "1.1.0+2", 2, tmp_path / "v2.bin")
    srv = Server(swap_profile)
    try:
        srv.wait_for("app: image 0 in the primary slot: confirmed", 60)
        base = [str(SMPMGR), "--port", srv.pty, "--timeout", "30"]
        mark = len(srv.lines)
        for cmd in (
            ["image", "upload", str(tmp_path / "v2.bin")],
            ["image", "state-write", sha256_tlv(image).hex()],
            ["os", "reset"],
        ):
            r = subprocess.run(base + cmd, capture_output=True, text=True, timeout=240)
            assert r.returncode == 0, (cmd, r.stdout[-500:], r.stderr[-500:])
        srv.wait_for("I: Image index: 0, Swap type: test", 120, mark)
        srv.wait_for("<inf> app: image confirmed", 120, mark)
    finally:
        srv.stop()


def test_smpclient_updates_the_swap_target_through_serve(
    swap_profile: Path, tmp_path: Path
) -> None:
    image = sign(load_profile(swap_profile), "1.1.0+2", 2, tmp_path / "v2.bin")
    srv = Server(swap_profile)
    try:
        srv.wait_for("app: image 0 in the primary slot: confirmed", 60)

        async def update() -> None:
            async with SMPClient(SMPSerialTransport(), srv.pty, timeout_s=30) as c:
                async for _ in c.upload(image):
                    pass
                await c.request(ImageStatesWrite(hash=sha256_tlv(image), confirm=False))
                await c.request(ResetWrite())

        mark = len(srv.lines)
        asyncio.run(update())
        srv.wait_for("I: Image 0 upgrade secondary slot -> primary slot", 120, mark)
        srv.wait_for("<inf> app: image confirmed", 120, mark)
    finally:
        srv.stop()
