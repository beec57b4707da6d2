"""The swap target judged through its profile (patterns + outside oracle) on the engine, and
the planted bug that hides itself from the log caught by the oracle alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from hil.matrix.profile_items import CASES, run_case
from hil.profile import load_profile
from hil.profile.model import Route
from tests.swap.emu import build

REPO = Path(__file__).resolve().parents[2]
CHIPS = ("stm32u585", "lpc55s69")


def _profile_for(chip: str, out: Path, tmp: Path, routes: list[str]) -> Path:
    doc = yaml.safe_load((REPO / "profiles" / f"swap-{chip}.yaml").read_text())
    base = REPO / "profiles"
    for f in doc["firmware"]:
        name = Path(f["file"]).name
        f["file"] = str(out / name)
    doc["keys"]["signing"] = [str((base / k).resolve()) for k in doc["keys"]["signing"]]
    doc["keys"]["revoked"] = [str((base / k).resolve()) for k in doc["keys"]["revoked"]]
    doc["evidence"]["routes"] = routes
    for route in ("patterns", "oracle"):
        if route not in routes:
            del doc["evidence"][route]
    p = tmp / f"swap-{chip}.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


def _case(item: int):  # type: ignore[no-untyped-def]
    return next(c for c in CASES if c.item == item)


@pytest.mark.parametrize("chip", CHIPS)
def test_normal_update_passes_through_patterns_and_oracle(chip: str) -> None:
    profile = load_profile(REPO / "profiles" / f"swap-{chip}.yaml")
    if not all(f.path.exists() for f in profile.firmware):
        build(chip)
    ok, reasons, run = run_case(_case(1), profile)
    assert ok, reasons
    assert reasons == ["ok: patterns: 3 check(s)", "ok: oracle: 2 check(s)"]
    inst = [e for e in run.evidence if e.name == "INSTALLED"]
    assert inst and inst[0]["image"] == "v2"


@pytest.mark.parametrize("chip", CHIPS[:1] if not os.environ.get("HIL_ALL") else CHIPS)
def test_oracle_alone_catches_the_bootloader_that_boots_the_old_image(
    chip: str, tmp_path: Path
) -> None:
    fw = build(chip, ("SWAP_MUT_BOOT_OLD_IMAGE",))
    # patterns only: the log is that of a good update, the item passes (the bug hides)
    only_patterns = load_profile(_profile_for(chip, fw.out, tmp_path, ["patterns"]))
    ok, reasons, _ = run_case(_case(1), only_patterns)
    assert ok, reasons
    # the oracle alone: the primary slot holds the old image and the PC runs it
    (tmp_path / "o").mkdir()
    only_oracle = load_profile(_profile_for(chip, fw.out, tmp_path / "o", ["oracle"]))
    assert only_oracle.routes == (Route.ORACLE,)
    ok, reasons, _ = run_case(_case(1), only_oracle)
    assert not ok
    assert "oracle: primary slot holds v1, expected v2" in reasons
