"""The Robot Framework side: the data-driven matrix suite covers every ready item on both chips
with cases of the shared table, the planted-bug suite fails the right way (and only that way),
and the keyword library's documentation builds with libdoc.

The matrix suite itself (suites/robot/matrix.robot, monitor.robot) runs in scripts/test.sh,
before pytest; its Allure results are merged into the rendered report that
suites/test_allure_report.py checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from robot.api import ExecutionResult
from robot.api import TestSuite as RobotSuite

import hil
from hil.matrix.items import ITEMS
from hil.robot.matrix import find_case

ROOT = Path(hil.__file__).resolve().parents[1]
ROBOT_DIR = ROOT / "suites" / "robot"
CHIPS = ("stm32u585", "lpc55s69")
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def test_matrix_suite_covers_every_ready_item_on_both_chips() -> None:
    suite = RobotSuite.from_file_system(str(ROBOT_DIR / "matrix.robot"))
    seen: set[tuple[int, str]] = set()
    for test in suite.tests:
        args = test.body[0].args  # the template's row: ITEM CASE PLATFORM [OPTIONS]
        number, name, platform = int(args[0]), args[1], args[2]
        case = find_case(number, name)  # a case of hil.matrix.runner.CASES
        tags = set(test.tags)
        want = {f"item:{number}", f"platform:{platform}", f"scenario:{case.scenario}"}
        assert want <= tags, f"{test.name}: tags {sorted(tags)} lack {sorted(want - tags)}"
        seen.add((number, platform))
    ready = {(it.number, chip) for it in ITEMS if it.ready for chip in CHIPS}
    assert seen == ready, f"missing {sorted(ready - seen)}"


def _steps(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for step in node.get("steps", []):
        out.append(step)
        out += _steps(step)
    return out


def _attachments(result: dict[str, Any]) -> dict[str, str]:
    nodes = [result, *_steps(result)]
    return {a["name"]: a["source"] for n in nodes for a in n.get("attachments", [])}


def test_planted_bug_suite_fails_on_the_right_item_naming_the_event(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    done = subprocess.run(
        [
            sys.executable, "-m", "robot",
            "--outputdir", str(tmp_path),
            "--listener", f"allure_robotframework:{results}",
            "--include", "planted-bug",
            str(ROBOT_DIR / "planted_bug.robot"),
        ],
        capture_output=True, text=True, env=ENV, timeout=1200, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, f"expected exactly one failing test:\n{done.stdout}"
    run = ExecutionResult(str(tmp_path / "output.xml"))
    status = {t.name: (t.status, t.message) for t in run.suite.all_tests}
    assert status["item 1 still passes on MUT_SKIP_SIG firmware"][0] == "PASS"
    verdict, message = status["item 6 catches MUT_SKIP_SIG"]
    assert verdict == "FAIL"
    assert message.startswith("item 6 (") and "on stm32u585 FAILED" in message
    # the event that disproved the item: the updater's own signature check passing
    assert "FAIL: no VERIFY_SIG result=fail from the updater" in message
    assert "app VERIFY_SIG result=ok" in message, message
    # the failing case keeps its evidence log and its replay command (and record) attached
    failed = [
        json.loads(f.read_text())
        for f in results.glob("*-result.json")
        if json.loads(f.read_text())["status"] == "failed"
    ]
    assert [r["name"] for r in failed] == ["item 6 catches MUT_SKIP_SIG"]
    attached = _attachments(failed[0])
    for name in ("evidence log", "replay command", "replay_record", "console"):
        assert name in attached, f"{name} not attached: {sorted(attached)}"
    command = (results / attached["replay command"]).read_text()
    assert command.startswith("hil replay ") and command.endswith("record.json")
    replayed = subprocess.run(
        [sys.executable, "-m", "hil", "replay", command.split(" ", 2)[2]],
        capture_output=True, text=True, env=ENV, timeout=600, check=False,
    )  # fmt: skip
    assert replayed.returncode == 0 and "evidence: identical" in replayed.stdout, replayed.stdout


@pytest.mark.parametrize("fmt", ["json"])
def test_libdoc_documents_every_keyword(tmp_path: Path, fmt: str) -> None:
    spec = tmp_path / f"OtaHil.{fmt}"
    done = subprocess.run(
        [sys.executable, "-m", "robot.libdoc", "hil.robot.OtaHil", str(spec)],
        capture_output=True, text=True, env=ENV, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(spec.read_text())
    names = {kw["name"]: kw for kw in doc["keywords"]}
    renode = ("Execute Command", "Start Emulation", "Create Terminal Tester")
    for name in (*renode, "Wait For Line On Uart", "Wait For Event", "Should Not See Event"):
        assert name in names
    assert [a["name"] for a in names["Wait For Line On Uart"]["args"]][:4] == [
        "content",
        "timeout",
        "testerId",
        "treatAsRegex",
    ]
    undocumented = [n for n, kw in names.items() if not kw["doc"].strip()]
    assert not undocumented, f"keywords without documentation: {undocumented}"
