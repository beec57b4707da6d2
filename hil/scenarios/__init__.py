"""Scenarios: what the harness does to a device (the bench, the steps, the power-cut flows and
the named scenarios), below everything that runs them (the matrix, the sweep, replay, the CLI).
"""

from hil.scenarios.bench import Bench, MakeDevice, ScenarioRun
from hil.scenarios.catalog import CLASSIFY_PARTS, SCENARIOS, run_scenario
from hil.scenarios.power import (
    PowerLost,
    power_cut_update,
    powered_off,
    recover,
    recovered,
    recovery_done,
    with_plan,
)
from hil.scenarios.steps import (
    boot,
    enter_rescue,
    fresh,
    install,
    package,
    reboot,
    settle_boot,
    target,
)

__all__ = [
    "CLASSIFY_PARTS",
    "SCENARIOS",
    "Bench",
    "MakeDevice",
    "PowerLost",
    "ScenarioRun",
    "boot",
    "enter_rescue",
    "fresh",
    "install",
    "package",
    "power_cut_update",
    "powered_off",
    "reboot",
    "recover",
    "recovered",
    "recovery_done",
    "run_scenario",
    "settle_boot",
    "target",
    "with_plan",
]
