"""Issue 13 point 7: the README's path for a user's own signing: `hil image keygen --harness
signer`, `hil image tlvs` (this project's manifest TLVs as files), then exactly the `imgtool
sign` command it prints (PyPI imgtool, `--custom-tlv-file`); the emulated device accepts the
image over SMP and confirms it after its boot test."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from hil.cli import main
from hil.evidence import Outcome
from hil.platform.model import Platform
from hil.pytest_plugin.fixtures import DeviceFactory, FirmwareFactory
from hil.update import update_client
from tests.boot.helpers import BOOT_MS, factory


def test_imgtool_signed_image_is_accepted(
    platform: Platform,
    device_factory: DeviceFactory,
    firmware_factory: FirmwareFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fw = firmware_factory(platform)
    key = tmp_path / "signer.pem"
    assert main(["image", "keygen", "--harness", "signer", "--out", str(key)]) == 0
    app = fw.app_elf.with_name("app_b.bin")
    capsys.readouterr()
    args = ["image", "tlvs", "--platform", platform.name, "--key", str(key), "--build", "2"]
    args += ["--slot", "B", "--in", str(app), "--out-dir", str(tmp_path / "tlvs")]
    assert main(args) == 0
    command = capsys.readouterr().out.strip()
    assert command.startswith("imgtool sign ") and "--custom-tlv-file 0xa6" in command
    image = tmp_path / "app-2.bin"
    argv = shlex.split(command.replace(" IMAGE.bin", f" {image}"))
    argv[0] = str(Path(sys.executable).parent / "imgtool")
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

    device = device_factory(platform, factory=factory(platform, fw))
    device.power_on()
    device.wait_for("BOOT", BOOT_MS, src="app")
    client = update_client(device)
    res = client.update(image.read_bytes(), budget_ms=60_000)
    assert res.upload.error is None and res.mark_error is None, res
    assert res.pending and res.reset_sent
    assert client.wait_outcome(res.mark, 60_000) is Outcome.CONFIRMED
