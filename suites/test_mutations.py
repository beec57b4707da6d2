"""Mutation tests: each matrix item must catch the bug it exists for. The firmware is built
with the item's ``MUT_*`` flag (contracts §8), the item's scenario runs, and the item's
predicate over the device's evidence must FAIL."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from hil.firmware import build_firmware
from hil.matrix.items import EXTRA_MUTATIONS, ITEMS
from hil.matrix.mutants import NEW, PlantedBug
from hil.matrix.predicates import Params, judge
from hil.matrix.runner import MatrixCase, cases_for
from hil.matrix.runner import run_case as run_matrix_case
from hil.matrix.sweep_items import SWEEP_SCENARIOS
from hil.platform.model import Platform
from hil.record import load_record
from hil.replay import record_case, replay, run_case
from hil.scenarios import run_scenario
from suites.conftest import BenchFactory

SCENARIO_ARGS: dict[int, dict[str, Any]] = {
    6: {"variant": "forged-signature-same-id"},  # only the signature itself is wrong
    7: {"variant": "chunk-map"},  # validly signed: only the manifest check can refuse it
    8: {"build": 2},
}

MUTANTS: list[Any] = [
    pytest.param(it.mutation, it.number, it.mutation_scenario, id=f"{it.mutation}-item{it.number}")
    for it in ITEMS
    if it.mutation and it.mutation_scenario not in SWEEP_SCENARIOS  # sweeps: test_sweep.py
] + [
    pytest.param(flag, number, scenario, id=f"{flag}-item{number}")
    for flag, (number, scenario) in EXTRA_MUTATIONS.items()
]


# what the owning item must say, not merely fail: the planted behaviour itself was seen
MUST_SAY: dict[str, str] = {
    "MUT_NO_REPLAY_CHECK": "install went through",  # not only "no replay refusal"
    "MUT_RESCUE_NO_REVOCATION": "no key_revoked refusal in rescue",
}


@pytest.mark.heavy
@pytest.mark.parametrize(("flag", "number", "scenario"), MUTANTS)
def test_item_catches_its_mutation(
    flag: str, number: int, scenario: str, bench_factory: BenchFactory, params: Params
) -> None:
    # a mutant may leave an image pending for good: 30 s of virtual time is ample for N trial
    # boots (watchdog period and verification included) and keeps such runs short
    bench = dataclasses.replace(bench_factory({flag: 1}), outcome_ms=30_000)
    run = run_scenario(scenario, bench, **SCENARIO_ARGS.get(number, {}))
    verdict = judge(number, run.events, params)
    assert not verdict.passed, (
        f"{flag}: item {number} still passes on the mutated firmware "
        f"(scenario {scenario}, harness: {run.error or 'ran to the end'}):\n{verdict}"
    )
    if flag in MUST_SAY:
        assert any(MUST_SAY[flag] in r for r in verdict.reasons), str(verdict)


@pytest.mark.heavy
def test_caught_resume_mutation_replays_byte_identical(platform: Platform, tmp_path: Path) -> None:
    """Item 2's caught failure (the resume point saved before the chunk was verified) replays
    byte for byte from its record (the scenario arms its own cut after the factory boot)."""
    flag = {"MUT_RESUME_BEFORE_VERIFY": 1}
    args = {"cut": "mid-chunk", "chunk": 3}
    rec = record_case(
        platform, "resume-after-reboot", args=args, defines=flag, path=tmp_path / "item2.json"
    )
    run = run_case(rec)
    params = Params(attempts=platform.layout.boot_attempts)
    verdict = judge(2, run.devices[0].events, params)  # the device that was cut and resumed
    assert not verdict.passed
    assert any("never verified" in r for r in verdict.reasons), str(verdict)
    again = replay(load_record(tmp_path / "item2.json"))
    assert again.identical, f"replay {again.digest} != recorded {again.expected_digest}"


# -- issue 10: planted bugs that only one class of scenario reaches ------------------------------
NEW_MUTANTS: list[Any] = [
    pytest.param(bug, id=f"{bug.flag}-item{bug.item}-{bug.scenario_class}") for bug in NEW
]


def _case_run(bug: PlantedBug, case: MatrixCase, platform: Platform, tmp_path: Path) -> bool:
    fw = build_firmware(platform, defines={bug.flag: 1})
    cr = run_matrix_case(
        case, platform, fw, tmp_path / case.dirname, defines={bug.flag: 1}, outcome_ms=30_000
    )
    return cr.passed


def _case(item: int, key: str) -> MatrixCase:
    return next(c for c in cases_for(ITEMS, exhaustive=True) if c.item == item and c.key == key)


# the default run keeps one representative (a quick at-rest case); the others are ``slow``
REPRESENTATIVE = "MUT_SKIP_META_CRC"
CLASS_MUTANTS: list[Any] = [
    pytest.param(
        bug,
        id=f"{bug.flag}-item{bug.item}-{bug.scenario_class}",
        marks=() if bug.flag == REPRESENTATIVE else (pytest.mark.slow,),
    )
    for bug in NEW
]


@pytest.mark.heavy
@pytest.mark.parametrize("bug", CLASS_MUTANTS)
def test_class_scenario_catches_its_planted_bug(
    bug: PlantedBug, platform: Platform, tmp_path: Path
) -> None:
    """The owning item's case of the bug's class fails on the mutated firmware."""
    assert not _case_run(bug, _case(bug.item, bug.cases[0]), platform, tmp_path), (
        f"{bug.flag}: item {bug.item} case {bug.cases[0]} passes on the mutated firmware"
    )


# the owning item's original scenario (item 13: its sweep without the issue-10 points)
BASELINE_OF: dict[int, MatrixCase] = {
    2: MatrixCase(
        2, "resume-after-reboot", MappingProxyType({"cut": "mid-chunk", "chunk": 3}), "mid-chunk"
    ),
    3: MatrixCase(3, "two-releases"),
    9: MatrixCase(9, "below-floor-boot"),
    12: MatrixCase(12, "meta-cut"),
    13: MatrixCase(13, "brownout-write", MappingProxyType({"before_erase": False}), "original"),
    14: MatrixCase(14, "never-confirms"),
}


@pytest.mark.slow
@pytest.mark.parametrize("bug", NEW_MUTANTS)
def test_planted_bug_escapes_the_items_other_scenarios(
    bug: PlantedBug, platform: Platform, tmp_path: Path
) -> None:
    """Only its class reaches the bug: the owning item's original scenario passes on it."""
    assert _case_run(bug, BASELINE_OF[bug.item], platform, tmp_path), (
        f"{bug.flag}: the original scenario of item {bug.item} already catches it"
    )
