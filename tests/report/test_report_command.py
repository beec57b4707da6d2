"""``hil report DIR``: bad input exits 2 saying what was expected and what is there; with the
npm Allure installed it renders DIR/allure-results into DIR/allure-report and serves it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from hil.cli import main
from hil.matrix.items import ITEMS
from hil.report import CaseResult, allure_cli
from hil.report.allure_cli import (
    ALLURE_BIN,
    SETUP_COMMAND,
    AllureNotInstalled,
    find_allure,
    labels,
    read_test_results,
)
from hil.report.allure_results import write_allure_results

needs_allure = pytest.mark.skipif(
    not os.access(ALLURE_BIN, os.X_OK),
    reason=f"the npm Allure report generator is not installed at {ALLURE_BIN}: "
    f"run `{SETUP_COMMAND}`",
)


def cases(d: Path) -> list[CaseResult]:
    d.mkdir(parents=True, exist_ok=True)
    (d / "console.log").write_text("BOOT slot=A build=1\n", encoding="utf-8")
    (d / "events.jsonl").write_text('{"name": "BOOT"}\n', encoding="utf-8")
    common = {"engine": "unicorn", "evidence_path": str(d / "events.jsonl"), "replay": "hil x"}
    return [
        CaseResult(
            item=6,
            platform="stm32u585",
            scenario="forged-signature",
            passed=True,
            reasons=["ok: VERIFY_SIG result=fail"],
            duration_instructions=10_000,
            attachments={"console": str(d / "console.log")},
            **common,  # type: ignore[arg-type]
        ),
        CaseResult(
            item=6,
            platform="lpc55s69",
            scenario="forged-signature",
            passed=False,
            reasons=["FAIL: PENDING after a forged package"],
            duration_instructions=None,
            **common,  # type: ignore[arg-type]
        ),
    ]


def test_missing_dir_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "nope")]) == 2
    msg = capsys.readouterr().err
    assert "no such directory" in msg and "allure-results/" in msg and "hil matrix" in msg


def test_dir_without_allure_results_exits_2_listing_what_is_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "compliance.json").write_text("{}", encoding="utf-8")
    (tmp_path / "evidence").mkdir()
    assert main(["report", str(tmp_path)]) == 2
    msg = capsys.readouterr().err
    assert "no allure-results/" in msg
    assert "compliance.json, evidence/" in msg


def test_empty_allure_results_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "allure-results").mkdir()
    assert main(["report", str(tmp_path)]) == 2
    msg = capsys.readouterr().err
    assert "no Allure results (*-result.json)" in msg and "it is empty" in msg


def test_foreign_allure_report_dir_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_allure_results(cases(tmp_path / "ev"), tmp_path / "allure-results", items=ITEMS)
    (tmp_path / "allure-report").mkdir()
    (tmp_path / "allure-report" / "mine.txt").write_text("keep", encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 2
    assert "is not an Allure report" in capsys.readouterr().err
    assert (tmp_path / "allure-report" / "mine.txt").read_text(encoding="utf-8") == "keep"


def test_allure_not_installed_names_the_path_and_the_setup_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / ".tools" / "allure" / "bin" / "allure"
    with pytest.raises(AllureNotInstalled) as exc:
        find_allure(missing)
    assert str(missing) in str(exc.value) and SETUP_COMMAND in str(exc.value)

    write_allure_results(cases(tmp_path / "ev"), tmp_path / "r" / "allure-results", items=ITEMS)
    monkeypatch.setattr(allure_cli, "ALLURE_BIN", missing)
    assert main(["report", str(tmp_path / "r")]) == 2
    msg = capsys.readouterr().err
    assert str(missing) in msg and SETUP_COMMAND in msg
    assert not (tmp_path / "r" / "allure-report").exists()


def test_help_has_usage_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["report", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "hil report reports/matrix --open" in text and "Exit codes" in text


@needs_allure
def test_renders_the_results_into_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_allure_results(cases(tmp_path / "ev"), tmp_path / "allure-results", seed=1, items=ITEMS)
    for _ in range(2):  # a second rendering replaces the first
        assert main(["report", str(tmp_path)]) == 0
        out = capsys.readouterr().out
        assert f"{tmp_path / 'allure-report' / 'index.html'}" in out
        assert "2 test results: 1 failed, 1 passed" in out
    got = {
        (labels(r, "epic")[0], labels(r, "feature")[0], r["status"])
        for r in read_test_results(tmp_path / "allure-report")
    }
    feature = "item 6: Package with a forged signature"
    assert got == {("stm32u585", feature, "passed"), ("lpc55s69", feature, "failed")}


@needs_allure
def test_open_serves_the_report_until_stopped(tmp_path: Path) -> None:
    write_allure_results(cases(tmp_path / "ev"), tmp_path / "allure-results", items=ITEMS)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from hil.cli import main; sys.exit(main())"]
        + ["report", str(tmp_path), "--open", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")},
    )
    try:
        page = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://localhost:{port}/", timeout=2) as r:
                    page = r.read().decode("utf-8", errors="replace")
                break
            except OSError:
                time.sleep(0.3)
        assert "<html" in page.lower(), proc.poll()
    finally:
        proc.send_signal(signal.SIGTERM)
        text, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, text
    assert f"serving the report at http://localhost:{port}/" in text
    assert "open that URL in a browser" in text
