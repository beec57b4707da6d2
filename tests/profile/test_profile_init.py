"""``hil init`` on the swap target's build folder writes a profile that needs no edit beyond
its keys, and ``hil check`` on it boots, updates and lists what it can prove."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from hil.profile import load_profile
from tests.swap.emu import build

REPO = Path(__file__).resolve().parents[2]
HIL = Path(sys.executable).parent / "hil"


def test_init_then_check_on_the_swap_build_folder(tmp_path: Path) -> None:
    fw = build("lpc55s69")
    folder = tmp_path / "build"
    folder.mkdir()
    for name in ("swapboot.elf", "swapboot.bin", "swapapp.elf", "swapapp.bin"):
        shutil.copy(fw.out / name, folder / name)
    key = REPO / "firmware_stubs" / "swap" / "keys" / "swap-signer.pem"
    r = subprocess.run(
        [str(HIL), "init", str(folder), "--chip", "lpc55s69", "--key", str(key)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-800:]
    profile = load_profile(folder / "profile.yaml")
    assert profile.console.role == "flexcomm0" and profile.mgmt is not None
    assert profile.mgmt.role == "flexcomm2"
    assert profile.console.banner == "I: Starting bootloader"
    assert {a.name for a in profile.areas} == {"bootloader", "sec_cnt", "primary", "secondary"}
    assert profile.image.mcuboot is not None and profile.image.mcuboot.header_size == 0x200
    assert {"UPGRADE", "CONFIRMED", "BOOT_TEST"} <= profile.pattern_events()
    text = (folder / "profile.yaml").read_text()
    assert "printed by this firmware" in text and "measured from the flash activity" in text
    r = subprocess.run(
        [str(HIL), "check", str(folder / "profile.yaml")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-1500:] + r.stderr[-800:]
    assert "clean update: ok" in r.stdout
    assert "item  1 A normal update" in r.stdout and "NOT PROVABLE" in r.stdout
