"""``hil replay`` of a target-profile case (issue 12): the record ``hil matrix --profile`` writes
carries the profile (name, file, SHA-256) and the hash of every firmware file; replaying it
reproduces the console and evidence byte for byte; a changed profile or firmware is refused
with one line (exit 2)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from hil.matrix.profile_items import run_profile_matrix
from hil.matrix.profile_replay import replay_profile
from hil.profile import load_profile
from hil.record import load_record
from tests.swap.emu import build

REPO = Path(__file__).resolve().parents[2]
HIL = Path(sys.executable).parent / "hil"


def _copy_profile(tmp: Path) -> Path:
    """The swap profile and its firmware copied under ``tmp`` (so the test may change them)."""
    src = REPO / "profiles" / "swap-stm32u585.yaml"
    prof = load_profile(src)
    if not all(f.path.exists() for f in prof.firmware):
        build("stm32u585")
    (tmp / "profiles").mkdir()
    for f in prof.firmware:
        dest = tmp / "build" / "firmware" / "stm32u585-swap" / f.path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f.path, dest)
    shutil.copytree(REPO / "firmware_stubs" / "swap" / "keys", tmp / "firmware_stubs/swap/keys")
    shutil.copy(src, tmp / "profiles" / src.name)
    return tmp / "profiles" / src.name


def test_a_profile_case_replays_byte_identically(tmp_path: Path) -> None:
    profile = _copy_profile(tmp_path)
    results, _ = run_profile_matrix(load_profile(profile), [1], tmp_path / "evidence")
    assert [r.passed for r in results] == [True]
    rec_path = tmp_path / "evidence" / "stm32u585" / "item1-normal-update" / "replay.json"
    assert results[0].replay == f"hil replay {rec_path}"
    raw = json.loads(rec_path.read_text())
    assert raw["profile"]["name"] == "swap-stm32u585"
    assert raw["profile"]["file"] == str(profile.resolve())
    assert set(raw["hashes"]) == {
        "../build/firmware/stm32u585-swap/swapboot.elf",
        "../build/firmware/stm32u585-swap/swapapp.bin",
    }
    record = load_record(rec_path)
    again = replay_profile(record)
    assert again.identical, (again.expected_digest, again.digest)
    assert again.passed

    # the CLI: a moved profile is found with --profile; a changed one, or changed firmware,
    # is refused with one line naming the field (exit 2), before anything runs
    moved = tmp_path / "moved" / "swap.yaml"  # same content, another folder beside build/
    moved.parent.mkdir()
    shutil.copy(profile, moved)
    profile.write_text(profile.read_text() + "# edited\n")
    r = subprocess.run([str(HIL), "replay", str(rec_path)], capture_output=True, text=True)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "field 'profile.sha256': expected the profile the record was made with" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    fw = tmp_path / "build" / "firmware" / "stm32u585-swap" / "swapapp.bin"
    fw.write_bytes(fw.read_bytes() + b"\0")
    r = subprocess.run(
        [str(HIL), "replay", str(rec_path), "--profile", str(moved)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    assert "field 'hashes'" in r.stderr and "swapapp.bin with sha256" in r.stderr, r.stderr
    assert "missing" not in r.stderr
