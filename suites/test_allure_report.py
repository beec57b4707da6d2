"""Acceptance: the rendered Allure report of a ``hil matrix`` run shows every must-pass item
(``hil.matrix.items.ITEMS``, all 15) on both chips, with its status.

``hil matrix --quick --report DIR`` runs once for all items on both chips (module-scoped
fixture, the CLI entry point in-process): one case per item and chip, the report marked quick.
The full matrix (every case) is the README's main job and the nightly run; here the report's
rendering is what is checked. ``hil report DIR`` renders DIR/allure-results with the npm
Allure 3 that setup installs, and the checks read the GENERATED report's own data: Allure 3
keeps one JSON document per test result in ``allure-report/data/test-results/<id>.json``
(labels, status, steps, attachments), which is what its ``index.html`` loads and shows.

The Robot Framework suites' Allure results (allure-robotframework) are merged into the same
``allure-results`` before rendering: those scripts/test.sh wrote (``HIL_ROBOT_ALLURE_RESULTS``,
every item on one chip, both with HIL_ROBOT_NIGHTLY=1), else a run of the Robot
matrix suite for item 1 on both chips made here. ``test_robot_cases_share_the_rendered_report``
checks both runners' cases, for each item and chip the Robot run covered, in the rendered
report's data.

Everything runs in one test so that ``pytest -n auto`` (and ``--shard K/N``) run the matrix once.
Until every item is runnable (``MatrixItem.ready``), the items without cases are reported
missing and the test fails: that is the point, not-run is never a pass. It skips only when the
npm Allure is not installed (``scripts/setup.sh`` installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from robot.api import TestSuite as RobotSuite

from hil.cli import main
from hil.matrix.items import ITEMS
from hil.platform import known_platforms
from hil.report.allure_cli import (
    ALLURE_BIN,
    REPORT_DIRNAME,
    SETUP_COMMAND,
    labels,
    read_test_results,
)
from hil.report.allure_results import feature
from hil.report.compliance import JSON_NAME

# the longest test of the default run: collected first, so that pytest -n starts it at once
pytestmark = pytest.mark.early

CHIPS = ("stm32u585", "lpc55s69")
# what every case of hil matrix carries into the report (attachment names start with the role)
ATTACHED = ("evidence log", "console", "timeline", "timeline_html", "replay command")


@dataclass
class Rendered:
    report_dir: Path
    matrix_rc: int
    render_rc: int
    compliance: dict[str, Any]
    results: list[dict[str, Any]]
    robot_cells: frozenset[tuple[int, str]]  # (item, chip) rows the merged Robot results cover


ROBOT = "robotframework"
ROOT = Path(__file__).resolve().parents[1]


ROBOT_WAIT_S = 1800  # scripts/test.sh's Robot run, beside pytest: a few minutes


def _wait_for_robot(done: Path) -> None:
    """scripts/test.sh runs Robot beside pytest and writes ``done`` (its exit status) when it
    ends: wait for it (it has normally ended long before the matrix here has)."""
    waited = 0.0
    while not done.exists():
        if waited >= ROBOT_WAIT_S:
            pytest.fail(
                f"the Robot suites scripts/test.sh started did not end within {ROBOT_WAIT_S} s: "
                f"expected {done}, none (see reports/robot/console.txt)"
            )
        time.sleep(1.0)
        waited += 1.0


def _matrix_rows(nightly: bool) -> frozenset[tuple[int, str]]:
    """(item, chip) of suites/robot/matrix.robot's rows that scripts/test.sh runs: those
    tagged ``nightly`` only with HIL_ROBOT_NIGHTLY=1."""
    suite = RobotSuite.from_file_system(str(ROOT / "suites" / "robot" / "matrix.robot"))
    return frozenset(
        (int(t.body[0].args[0]), str(t.body[0].args[2]))  # the template's ITEM .. PLATFORM
        for t in suite.tests
        if nightly or "nightly" not in t.tags
    )


def _robot_results(tmp: Path) -> tuple[Path, frozenset[tuple[int, str]]]:
    """The Robot suites' Allure results and the rows they cover: scripts/test.sh's run when
    it made one (waited for), else the Robot matrix suite for item 1 on both chips, run here."""
    given = os.environ.get("HIL_ROBOT_ALLURE_RESULTS")
    done = os.environ.get("HIL_ROBOT_DONE")
    if given and done:
        _wait_for_robot(Path(done))
    if given and any(Path(given).glob("*-result.json")):
        return Path(given), _matrix_rows(os.environ.get("HIL_ROBOT_NIGHTLY") == "1")
    out = tmp / "robot"
    subprocess.run(
        [
            sys.executable, "-m", "robot", "--outputdir", str(out), "--console", "none",
            "--listener", f"allure_robotframework:{out / 'allure-results'}",
            "--include", "item:1", str(ROOT / "suites" / "robot" / "matrix.robot"),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=900, check=False,
    )  # fmt: skip
    return out / "allure-results", frozenset((1, chip) for chip in CHIPS)


def _is_robot(result: dict[str, Any]) -> bool:
    return labels(result, "framework") == [ROBOT]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    if not os.access(ALLURE_BIN, os.X_OK):
        pytest.skip(
            f"the npm Allure report generator is not installed: no {ALLURE_BIN}; "
            f"install it with `{SETUP_COMMAND}`"
        )
    assert set(CHIPS) <= set(known_platforms())
    d = tmp_path_factory.mktemp("allure-matrix")
    argv = ["matrix", "--quick", "--items", "all", "--report", str(d)]
    for chip in CHIPS:
        argv += ["--platform", chip]
    matrix_rc = main(argv)
    robot_dir, robot_cells = _robot_results(tmp_path_factory.mktemp("robot"))
    for f in robot_dir.iterdir():  # uuid-named files: no clash with hil matrix's md5 names
        shutil.copy2(f, d / "allure-results" / f.name)
    render_rc = main(["report", str(d)])
    compliance = json.loads((d / JSON_NAME).read_text(encoding="utf-8"))
    results = read_test_results(d / REPORT_DIRNAME) if render_rc == 0 else []
    return Rendered(d, matrix_rc, render_rc, compliance, results, robot_cells)


def _case_status(case: dict[str, Any]) -> str:
    return "passed" if case["passed"] else "failed"


def test_every_matrix_item_is_in_the_rendered_report_on_both_chips(rendered: Rendered) -> None:
    assert rendered.render_rc == 0, "hil report could not render the matrix's allure-results"
    assert (rendered.report_dir / REPORT_DIRNAME / "index.html").is_file()
    results = [r for r in rendered.results if not _is_robot(r)]  # hil matrix's cases
    problems: list[str] = []

    # one report entry per case of compliance.json, each a distinct test (no "retries")
    cases = rendered.compliance["cases"]
    assert str(rendered.compliance["generated"]).startswith("quick:")
    assert len(cases) == len(ITEMS) * len(CHIPS), "--quick runs one case per item and chip"
    if len(results) != len(cases):
        problems.append(f"{len(results)} test results in the report, {len(cases)} cases run")
    if len({r["historyId"] for r in results}) != len(results):
        problems.append("two test results share a historyId")

    cells = {(c["item"], c["platform"]): c["status"] for c in rendered.compliance["cells"]}
    for it in ITEMS:
        for chip in CHIPS:
            where = f"item {it.number} ({it.title}) on {chip}"
            mine = [
                r
                for r in results
                if labels(r, "epic") == [chip] and labels(r, "feature") == [feature(it)]
            ]
            want = {
                c["scenario"]: _case_status(c)
                for c in cases
                if (c["item"], c["platform"]) == (it.number, chip)
            }
            if not mine:
                problems.append(
                    f"{where}: no test result with feature {feature(it)!r} in the report "
                    f"(compliance.json cell: {cells.get((it.number, chip), 'absent')}"
                    f"{'' if it.ready else '; item not ready'})"
                )
                continue
            got = {labels(r, "story")[0]: str(r["status"]) for r in mine}
            if got != want:
                problems.append(f"{where}: report says {got}, compliance.json says {want}")
            for r in mine:
                if r["status"] != "passed":
                    error = r.get("error", {}).get("message", "")
                    problems.append(f"{where}: {r['name']} is {r['status']}: {error}")
                names = [
                    a["link"]["name"]
                    for a in r.get("attachments", [])
                    if not a["link"].get("missed")
                ]
                lacking = [
                    role
                    for role in ATTACHED
                    if not any(n == role or n.startswith(role + " (") for n in names)
                ]
                if lacking:
                    problems.append(f"{where}: {r['name']} lacks attachments {lacking}")
                if not any(s.get("type") == "step" for s in r.get("steps", [])):
                    problems.append(f"{where}: {r['name']} has no steps")

    assert not problems, "the rendered Allure report is incomplete:\n" + "\n".join(problems)
    assert rendered.matrix_rc == 0


def test_robot_cases_share_the_rendered_report(rendered: Rendered) -> None:
    """Both runners' cases, for every item and chip the Robot run covered, in one rendered
    report: hil matrix's (framework ota-hil) and the Robot suite's (framework
    robotframework), same labels."""
    assert rendered.render_rc == 0
    problems: list[str] = []
    for it in ITEMS:
        for chip in CHIPS:
            if (it.number, chip) not in rendered.robot_cells:
                continue
            mine = [
                r
                for r in rendered.results
                if labels(r, "epic") == [chip] and labels(r, "feature") == [feature(it)]
            ]
            robot = [r for r in mine if _is_robot(r)]
            others = [r for r in mine if not _is_robot(r)]
            where = f"item {it.number} on {chip}"
            if not robot:
                problems.append(f"{where}: no Robot case in the rendered report")
            if not others:
                problems.append(f"{where}: no hil matrix case in the rendered report")
            problems += [
                f"{where}: Robot case {r['name']} is {r['status']}"
                for r in robot
                if r["status"] != "passed"
            ]
    assert not problems, "\n".join(problems)
