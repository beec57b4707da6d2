"""``hil sweep --app-size``: the update's payload size travels with the sweep's records (replay
records, the merge metadata), so a failing point of a sized sweep replays the same update."""

from __future__ import annotations

import pytest

from hil.evidence import Outcome
from hil.record import ReplayRecord
from hil.replay import run_case
from hil.sweep.child import SCENARIO
from hil.sweep.judge import judge_point
from hil.sweep.merge import SweepMeta, scenario_args

KIB = 1024


def test_scenario_args_carry_the_app_size_only_when_given() -> None:
    assert scenario_args(2, None) == {"build": 2}  # earlier sweeps' records unchanged
    assert scenario_args(3, 64 * KIB) == {"build": 3, "app_size": 64 * KIB}
    plain = SweepMeta("unicorn", 2).as_dict()
    assert "app_size" not in plain
    sized = SweepMeta("unicorn", 2, app_size=200 * KIB)
    assert sized.as_dict()["app_size"] == 200 * KIB
    assert sized.scenario_args() == {"build": 2, "app_size": 200 * KIB}


@pytest.mark.slow
def test_a_sized_sweep_record_replays_the_sized_update() -> None:
    """The sweep's scenario from a replay record with ``app_size``: the update the device
    downloads is 64 KiB (16 chunks of 4 KiB; the bare app is 38 KiB, 10 chunks) and confirms."""
    rec = ReplayRecord("lpc55s69", "unicorn", 1, SCENARIO, args=scenario_args(2, 64 * KIB))
    run = run_case(rec)
    assert run.error is None
    events = run.devices[0].events
    chunks = {int(str(e.get("index"))) for e in events if e.name == "CHUNK"}
    assert chunks == set(range(16))
    verdict = judge_point(events, 0)
    assert verdict.outcome is Outcome.CONFIRMED and verdict.build == 2
