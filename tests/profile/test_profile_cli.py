"""``hil matrix --profile`` on the swap target: provable items pass, the others are listed as
NOT PROVABLE with their reason (never PASS), and the report carries the profile and the hash
of every firmware file. (The whole matrix of both chips: ``hil matrix --profile
profiles/swap-stm32u585.yaml --profile profiles/swap-lpc55s69.yaml``, several minutes.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hil.profile import load_profile
from hil.report.compliance_schema import validate
from tests.swap.emu import build

REPO = Path(__file__).resolve().parents[2]
HIL = Path(sys.executable).parent / "hil"


def test_matrix_with_the_swap_profile(tmp_path: Path) -> None:
    profile = REPO / "profiles" / "swap-lpc55s69.yaml"
    if not all(f.path.exists() for f in load_profile(profile).firmware):
        build("lpc55s69")
    r = subprocess.run(
        [str(HIL), "matrix", "--profile", str(profile), "--items", "1,2,7",
         "--report", str(tmp_path)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-1500:] + r.stderr[-1500:]
    assert "NOT PROVABLE with lpc55s69's profile: item 2: the firmware's log shows no" in r.stdout
    assert "item 7: the image format has no manifest" in r.stdout
    doc = json.loads((tmp_path / "compliance.json").read_text())
    assert validate(doc) == []
    cells = {c["item"]: c for c in doc["cells"]}
    assert cells[1]["status"] == "pass"
    assert cells[2]["status"] == cells[7]["status"] == "not-provable"
    assert cells[2]["reason"] and not cells[2]["cases"]
    assert doc["verdict"] == "pass" and doc["totals"]["not_provable"] == 2
    prof = doc["profiles"]["lpc55s69"]
    assert prof["name"] == "swap-lpc55s69" and len(prof["sha256"]) == 64
    assert set(prof["firmware"]) == {
        "../build/firmware/lpc55s69-swap/swapboot.elf",
        "../build/firmware/lpc55s69-swap/swapapp.bin",
    }
    assert all(len(h) == 64 for h in prof["firmware"].values())
    assert "NOT PROVABLE" in (tmp_path / "compliance.md").read_text()
