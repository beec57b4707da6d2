"""Each planted bug of the swap target (SWAP_MUT_*, docs/contract-swap.md §9) is caught by the
profile matrix case the table ``hil.matrix.profile_items.MUTATIONS`` names, judged only by
console patterns and the outside oracle. BOOT_OLD_IMAGE runs by default
(tests/profile/test_profile_matrix.py); the whole set is behind ``-m slow`` (about 30-60 s of
CPU each, the power-cut one several minutes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hil.matrix.profile_items import MUTATIONS, case, run_case
from hil.profile import load_profile
from tests.swap.emu import build

REPO = Path(__file__).resolve().parents[2]


def mutant_profile(chip: str, flag: str, tmp: Path) -> Path:
    fw = build(chip, (flag,))
    doc = yaml.safe_load((REPO / "profiles" / f"swap-{chip}.yaml").read_text())
    for f in doc["firmware"]:
        f["file"] = str(fw.out / Path(f["file"]).name)
    base = REPO / "profiles"
    for k in ("signing", "revoked"):
        doc["keys"][k] = [str((base / x).resolve()) for x in doc["keys"][k]]
    p = tmp / f"swap-{chip}-{flag.lower()}.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


def test_every_planted_bug_has_a_case() -> None:
    hooks = (REPO / "firmware_stubs" / "swap" / "swap_hooks.h").read_text()
    flags = set(re.findall(r"SWAP_MUT_[A-Z][A-Z_]*[A-Z]", hooks))
    assert set(MUTATIONS) == flags
    for item, name in MUTATIONS.values():
        assert case(item, name).item == item


@pytest.mark.slow
@pytest.mark.parametrize("chip", ["stm32u585", "lpc55s69"])
@pytest.mark.parametrize("flag", sorted(MUTATIONS))
def test_planted_bug_is_caught(chip: str, flag: str, tmp_path: Path) -> None:
    item, name = MUTATIONS[flag]
    ok, reasons, _ = run_case(case(item, name), load_profile(mutant_profile(chip, flag, tmp_path)))
    assert not ok, f"{flag} not caught by item {item} {name}: {reasons}"
