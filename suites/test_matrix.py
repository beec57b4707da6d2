"""The must-pass matrix (ota-requirements §5) on each platform: every scenario runs on the
emulated device and the item's predicate judges the device's own evidence, nothing else.

The case table is ``hil.matrix.runner.CASES`` (shared with ``hil matrix``). With allure-pytest
active (``--alluredir``) each case is labelled epic=platform, feature=item, story=scenario and
carries the device's console log and event timeline; without it the labels are no-ops.

The per-case tests are nightly (``slow``; ``-m "slow or not slow"`` runs them on both chips).
The default run judges each item's first case on both chips through the ``hil matrix --quick``
of suites/test_allure_report.py, which fails on any case that does not pass; every case of the
table runs on both chips in the README's main job (``hil matrix``) and the nightly run.
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

import pytest

from hil.matrix.items import ITEMS, item
from hil.matrix.predicates import Params, judge
from hil.matrix.runner import CASES as RUNNER_CASES
from hil.matrix.sweep_items import SWEEP_SCENARIOS
from hil.report.timeline import timeline_page, timeline_text
from hil.scenarios import Bench, ScenarioRun, run_scenario

allure: ModuleType | None
try:
    import allure
except ImportError:  # pragma: no cover - allure-pytest is a dev extra
    allure = None

CASES: list[Any] = [
    pytest.param(c.item, c.scenario, dict(c.params), id=c.test_id)
    for c in RUNNER_CASES
    if c.scenario not in SWEEP_SCENARIOS  # the sweep items: suites/test_sweep.py
]


def _label(platform: str, number: int, scenario: str) -> None:
    if allure is None:
        return
    allure.dynamic.epic(platform)
    allure.dynamic.feature(f"item {number}: {item(number).title}")
    allure.dynamic.story(scenario)


def _attach(run: ScenarioRun, title: str) -> None:
    if allure is None or run.device is None:
        return
    text = allure.attachment_type.TEXT
    console = run.device.transcript.decode("utf-8", errors="replace")
    allure.attach(console, name="console.log", attachment_type=text)
    allure.attach(timeline_text(run.events), name="timeline.txt", attachment_type=text)
    allure.attach(
        timeline_page(run.events, title),
        name="timeline.html",
        attachment_type=allure.attachment_type.HTML,
    )


def test_table_covers_the_ready_items() -> None:
    tested = {c.values[0] for c in CASES} | set(SWEEP_SCENARIOS.values())
    assert tested == {i.number for i in ITEMS if i.ready}
    for c in CASES:
        assert c.values[1] in item(c.values[0]).scenarios


@pytest.mark.slow
@pytest.mark.parametrize(("number", "scenario", "kw"), CASES)
def test_matrix_item(
    number: int, scenario: str, kw: dict[str, Any], bench: Bench, params: Params
) -> None:
    _label(bench.platform.name, number, scenario)
    run = run_scenario(scenario, bench, **kw)
    _attach(run, f"{bench.platform.name} item {number} {scenario}")
    verdict = judge(
        number, run.events, dataclasses.replace(params, parts=run.parts or None), scenario
    )
    assert run.error is None, f"scenario {scenario} stopped: {run.error}\n{verdict}"
    assert verdict.passed, f"item {number} ({scenario}): {verdict}"
