"""Mutation tests: each matrix item must catch the bug it exists for. The firmware is built
with the item's ``MUT_*`` flag (contracts §8), the item's scenario runs, and the item's
predicate over the device's evidence must FAIL."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from hil.matrix.items import EXTRA_MUTATIONS, ITEMS
from hil.matrix.predicates import Params, judge
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
