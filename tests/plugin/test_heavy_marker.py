"""The ``heavy`` marker: each heavy case runs once by default, on a stably chosen platform, and
on every platform under ``-m "slow or not slow"`` (hil.pytest_plugin.markers)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from hil.pytest_plugin.markers import default_platform

ROOT = Path(__file__).resolve().parents[2]
TARGET = "suites/test_sweep.py"  # parametrised by platform and by case, all heavy


def _collected(*marks: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         *marks, TARGET, "-k", "test_sweep_item or catches_its_mutation"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return [ln for ln in done.stdout.splitlines() if ln.startswith(TARGET + "::")]


def _case(nodeid: str) -> tuple[str, str]:
    m = re.search(r"\[(lpc55s69|stm32u585)-(.+)\]$", nodeid)
    assert m, nodeid
    return m.group(2), m.group(1)


def test_default_platform_is_stable_and_spreads() -> None:
    chips = ["stm32u585", "lpc55s69"]
    assert default_platform("a::b[{platform}-x]", chips) == default_platform(
        "a::b[{platform}-x]", list(reversed(chips))
    )
    picks = {default_platform(f"t::c[{{platform}}-{i}]", chips) for i in range(16)}
    assert picks == set(chips)
    assert default_platform("anything", ["lpc55s69"]) == "lpc55s69"


def test_each_heavy_case_runs_once_by_default_and_everywhere_at_night() -> None:
    default = [_case(n) for n in _collected()]
    night = [_case(n) for n in _collected("-m", "slow or not slow")]
    per_case = Counter(case for case, _ in default)
    assert per_case and set(per_case.values()) == {1}, per_case
    nightly = Counter(case for case, _ in night)
    assert set(nightly.values()) == {2} and set(per_case) <= set(nightly), (nightly, per_case)
    # marked slow outright (nightly only, both chips)
    assert set(nightly) - set(per_case) == {"item11", "pending-11", "meta-in-place-12"}
    assert {chip for _, chip in default} == {"lpc55s69", "stm32u585"}  # both chips covered
