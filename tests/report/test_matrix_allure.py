"""``hil matrix`` writes DIR/allure-results next to the compliance summary and junit.xml, and the
same run twice gives byte-identical Allure results (real cases: item 6 on lpc55s69)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hil.cli import main
from hil.matrix.runner import CASES
from hil.report.compliance import HTML_NAME, JSON_NAME, JUNIT_NAME, MARKDOWN_NAME


def run(d: Path) -> dict[str, bytes]:
    argv = ["matrix", "--platform", "lpc55s69", "--items", "6", "--report", str(d)]
    assert main([*argv, "--seed", "5"]) == 0
    return {p.name: p.read_bytes() for p in sorted((d / "allure-results").iterdir())}


def test_matrix_writes_deterministic_allure_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = run(tmp_path / "a")
    assert JUNIT_NAME == "junit.xml"
    for name in (JSON_NAME, MARKDOWN_NAME, HTML_NAME, JUNIT_NAME):
        assert (tmp_path / "a" / name).is_file(), name
    assert "allure results:" in capsys.readouterr().out

    results = [json.loads(v) for k, v in one.items() if k.endswith("-result.json")]
    scenarios = sorted(c.key for c in CASES if c.item == 6)
    assert sorted(r["labels"][2]["value"] for r in results) == scenarios
    for r in results:
        assert r["status"] == "passed"
        assert {"name": "epic", "value": "lpc55s69"} in r["labels"]
        assert {"name": "feature", "value": "item 6: Package with a forged signature"} in (
            r["labels"]
        )
        names = [a["name"] for a in r["attachments"]]
        assert names[0] == "evidence log (events.jsonl)" and names[-1] == "replay command"
        assert "console (console.log)" in names and "timeline_html (timeline.html)" in names
        assert {"name": "seed", "value": "5", "excluded": True} in r["parameters"]

    # the same run again (same report directory, so the same replay commands): byte-identical
    # files under identical names
    assert run(tmp_path / "a") == one
