"""Matrix items 11-13 (power-cut sweeps) on both chips, their mutations, and the replay of a
caught failure: byte-identical evidence and a GDB server that stops at the fault.

Items 12 and 13 run here complete; item 11's strided sweep (every 8th flash operation) and the
exhaustive one of every flash operation are nightly (``-m slow``): the default run's ``hil
matrix --quick`` (suites/test_allure_report.py) already sweeps item 11 on both chips (every
metadata, evidence and phase point, every 16th slot operation)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hil
from hil.matrix.runner import MatrixCase, run_case
from hil.matrix.sweep_items import run_sweep_case
from hil.platform.model import Platform
from hil.pytest_plugin.fixtures import FirmwareFactory
from hil.record import load_record
from tests.replay.gdb_session import gdb_pc_at_fault

GDB = shutil.which("gdb-multiarch")

QUICK: list[Any] = [
    # item 11: the default run's hil matrix --quick (suites/test_allure_report.py) sweeps it
    # on both chips; this strided variant is nightly
    pytest.param(
        MatrixCase(11, "power-cut-sweep", {"stride": 8, "random": 2}),
        id="item11",
        marks=pytest.mark.slow,
    ),
    pytest.param(MatrixCase(12, "meta-cut"), id="item12"),
    pytest.param(MatrixCase(13, "brownout-write"), id="item13"),
]

# (flag, item, scenario params): the power-safety bug each sweep item exists to catch. The
# default run keeps the quickest (item 13's); the item-11 and item-12 sweeps of their bugs are
# nightly (the bugs' single cut points stay in the default run: tests/power/test_power_mutations)
MUTANTS: list[Any] = [
    pytest.param(
        "MUT_PENDING_BEFORE_HASH",
        11,
        {"stride": 1, "random": 0},
        id="pending-11",
        marks=pytest.mark.slow,
    ),
    pytest.param("MUT_META_IN_PLACE", 12, {}, id="meta-in-place-12", marks=pytest.mark.slow),
    pytest.param("MUT_NO_BROWNOUT_GATING", 13, {}, id="no-gating-13"),
]
SCENARIO = {11: "power-cut-sweep", 12: "meta-cut", 13: "brownout-write"}


@pytest.mark.heavy
@pytest.mark.parametrize("case", QUICK)
def test_sweep_item(
    case: MatrixCase, platform: Platform, firmware_factory: FirmwareFactory, tmp_path: Path
) -> None:
    cr = run_case(case, platform, firmware_factory(platform), tmp_path)
    assert cr.passed, "\n".join(cr.result.reasons)
    assert (tmp_path / "summary.json").exists() and (tmp_path / "points.jsonl").exists()
    for role in ("console", "timeline", "fault_plan", "replay_record"):
        assert Path(cr.result.attachments[role]).exists(), role


@pytest.mark.slow
def test_exhaustive_sweep_has_zero_bricks(
    platform: Platform, firmware_factory: FirmwareFactory, tmp_path: Path
) -> None:
    fw = firmware_factory(platform)
    sc = run_sweep_case(
        "power-cut-sweep", {}, platform, fw, tmp_path, engine="unicorn", seed=1, defines={}
    )
    res = sc.result
    assert sc.judgement.passed, str(sc.judgement)
    cuts = [r for r in res.points if r.point.kind.value == "flash_op"]
    assert len(cuts) == len(res.clean_ops)  # every flash operation of the clean update
    assert res.bricks == 0 and not res.uncovered()


def _replay_cli(record: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(hil.__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "hil", "replay", str(record), *extra],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=env,
    )


@pytest.mark.heavy
@pytest.mark.parametrize(("flag", "number", "params"), MUTANTS)
def test_sweep_catches_its_mutation_and_replays_it(
    flag: str,
    number: int,
    params: dict[str, Any],
    platform: Platform,
    firmware_factory: FirmwareFactory,
    tmp_path: Path,
) -> None:
    defines = {flag: 1}
    fw = firmware_factory(platform, defines=defines)
    sc = run_sweep_case(
        SCENARIO[number], params, platform, fw, tmp_path, engine="unicorn", seed=1, defines=defines
    )
    assert not sc.judgement.passed, f"{flag}: item {number} still passes:\n{sc.judgement}"
    failing = sorted((tmp_path / "failures").iterdir())
    assert failing, "the item failed without a failing point on record"
    # the caught failure replays byte for byte from its record, in a fresh process
    record = failing[0] / "record.json"
    done = _replay_cli(record)
    assert done.returncode == 0 and "evidence: identical" in done.stdout, done.stdout + done.stderr
    if GDB is None:
        pytest.skip("gdb-multiarch not installed (apt install gdb-multiarch)")
    halting = [f for f in failing if '"flash_op' in (f / "plan.json").read_text()]
    if not halting:
        pytest.skip("no flash-op point among the failures to halt at")
    pc, halt = gdb_pc_at_fault(halting[0] / "record.json")
    assert pc == halt.pc
    rec = load_record(halting[0] / "record.json")
    first = rec.fired[0]
    if first.kind == "brownout":
        # recorded: the brownout reset, a hold-up after the supply fell at the flash op. The
        # hold-up is virtual time: how many instructions it spans depends on the clock the
        # firmware set and on how long the core slept (WFI), so the halt is checked by place.
        assert first.where.split(",")[0] == halt.fault, (first.where, halt.fault)
        assert halt.instructions < first.instructions
    else:
        assert halt.instructions == first.instructions  # the very instant of the fault
