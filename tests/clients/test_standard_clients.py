"""Issue 13: stock MCUmgr clients update the emulated device through `hil serve` as they would
a board with MCUboot + Zephyr: smpmgr's `upgrade` (upload to the secondary slot, state write
test, reset) and mcumgr-toolkit's `firmware_update` with bootloader auto-detection (bootloader
info -> "MCUboot", upload with `match`, state write test, reset). Verdicts from the device's
own evidence as `hil serve` prints it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hil.firmware import build_firmware
from hil.platform import load_platform
from hil.update import package_for

HIL = Path(sys.executable).parent / "hil"
PLATFORMS = ["stm32u585", "lpc55s69"]
WAIT_S = 300.0  # wall-time bound of the whole exchange (a loaded CI machine is slow)


class Served:
    """`hil serve --fast` in a subprocess: its pty and the lines it printed so far."""

    def __init__(self, platform: str) -> None:
        self.proc = subprocess.Popen(
            [str(HIL), "serve", "--platform", platform, "--fast"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self.pty = ""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            m = re.search(r"console UART on (\S+)", line)
            if m:
                self.pty = m.group(1)
            if "app BOOT slot=A build=1" in line:
                break
        assert self.pty, "".join(self.lines)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, pattern: str) -> bool:
        end = time.monotonic() + WAIT_S
        while time.monotonic() < end:
            if any(re.search(pattern, line) for line in list(self.lines)):
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture(params=PLATFORMS)
def served(request: pytest.FixtureRequest) -> object:
    s = Served(request.param)
    s.platform = request.param  # type: ignore[attr-defined]
    yield s
    s.stop()


def _package(platform: str, tmp_path: Path) -> Path:
    p = load_platform(platform)
    path = tmp_path / "build2.bin"
    path.write_bytes(package_for(p, build_firmware(p), 2, "B"))
    return path


def _updated(s: Served) -> None:
    assert s.wait_for(r"app BOOT slot=B build=2 state=trial"), "".join(s.lines[-30:])
    assert s.wait_for(r"SLOT_TRANSITION from=BOOT_TEST to=CONFIRMED slot=B"), "".join(s.lines)
    text = "".join(s.lines)
    # MCUboot's semantics: PENDING only after the state write, which came after the upload
    assert text.index("to=STAGING slot=B") < text.index("to=PENDING slot=B")


def test_smpmgr_upgrade(served: Served, tmp_path: Path) -> None:
    pkg = _package(served.platform, tmp_path)  # type: ignore[attr-defined]
    smpmgr = Path(sys.executable).parent / "smpmgr"
    done = subprocess.run(
        [str(smpmgr), "--port", served.pty, "--timeout", "60", "upgrade", "--slot", "1", str(pkg)],
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Upgrade complete" in done.stdout
    _updated(served)


def test_mcumgr_toolkit_firmware_update_auto_detects_mcuboot(
    served: Served, tmp_path: Path
) -> None:
    import mcumgr_toolkit

    pkg = _package(served.platform, tmp_path).read_bytes()  # type: ignore[attr-defined]
    # the client's default timeout (1 s): the reference firmware verifies at its run clock
    # (160 / 150 MHz), the final upload response comes within tens of ms of device time
    client = mcumgr_toolkit.MCUmgrClient.serial(served.pty)
    client.use_auto_frame_size()
    steps: list[str] = []
    client.firmware_update(pkg, progress=lambda text, _: steps.append(text))
    assert "Found bootloader: MCUboot" in steps, steps
    assert any(s.startswith("Activating") for s in steps), steps
    _updated(served)
