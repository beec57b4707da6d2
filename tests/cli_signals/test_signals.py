"""Issue 13: SIGINT/SIGTERM stop every command promptly (the engine's stop flag, checked between
slices; nothing raised inside an emulator callback), exit code 130, an interrupted matrix keeps
its report (marked incomplete) and `hil report` renders it; no traceback reaches the user."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hil.report import validate

HIL = str(Path(sys.executable).parent / "hil")
STOP_S = 2.0  # every interrupt ends the command within this much wall time


def _start(args: list[str], ready: str) -> tuple[subprocess.Popen[str], list[str]]:
    """Start ``hil args`` and read its output until a line containing ``ready``."""
    p = subprocess.Popen(
        [HIL, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert p.stdout is not None
    seen: list[str] = []
    for line in p.stdout:
        seen.append(line)
        if ready in line:
            return p, seen
    p.wait()
    raise AssertionError(f"`hil {' '.join(args)}` ended before {ready!r}: {''.join(seen)}")


def _interrupt(p: subprocess.Popen[str], sig: int) -> tuple[int, float, str]:
    t0 = time.monotonic()
    p.send_signal(sig)
    assert p.stdout is not None
    rest = p.stdout.read()
    rc = p.wait()
    return rc, time.monotonic() - t0, rest


def _serve_once(platform: str, delay_s: float, sig: int) -> None:
    p, _ = _start(["serve", "--platform", platform, "--fast"], "console UART on")
    time.sleep(delay_s)  # the device boots and idles meanwhile (virtual time runs)
    rc, took, rest = _interrupt(p, sig)
    assert rc == 130, rest
    assert took < STOP_S, f"stopped after {took:.2f} s"
    assert "-- stopped" in rest or "hil serve: interrupted" in rest, rest  # (while booting)
    assert "Traceback" not in rest and "Exception ignored" not in rest


def _matrix_once(report: Path, delay_s: float, sig: int) -> None:
    args = ["matrix", "--items", "1", "--platform", "stm32u585", "--report", str(report)]
    p, _ = _start(args, "report in")
    time.sleep(delay_s)
    rc, took, rest = _interrupt(p, sig)
    assert rc == 130, rest
    assert took < STOP_S, f"stopped after {took:.2f} s"
    assert "Traceback" not in rest and "Exception ignored" not in rest
    assert f"in {report}" in rest and "marked incomplete" in rest, rest
    doc = json.loads((report / "compliance.json").read_text(encoding="utf-8"))
    assert validate(doc) == []
    assert doc["generated"].startswith("incomplete: interrupted")
    assert doc["verdict"] == "incomplete"  # nothing failed, something was not run
    results = [
        json.loads(f.read_text(encoding="utf-8"))
        for f in (report / "allure-results").glob("*-result.json")
    ]
    assert [r["status"] for r in results] == ["skipped"]
    assert "not finished: interrupted" in results[0]["statusDetails"]["message"]


@pytest.mark.parametrize(
    ("delay_s", "sig"), [(0.0, signal.SIGINT), (0.4, signal.SIGINT), (1.0, signal.SIGTERM)]
)
def test_serve_stops_on_signal(delay_s: float, sig: int) -> None:
    _serve_once("stm32u585", delay_s, sig)


def test_matrix_interrupted_keeps_a_report_that_renders(tmp_path: Path) -> None:
    _matrix_once(tmp_path / "r0", 0.0, signal.SIGINT)  # at once: maybe before the first case
    done = subprocess.run([HIL, "report", str(tmp_path / "r0")], capture_output=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    _matrix_once(tmp_path / "r1", 1.5, signal.SIGINT)
    _matrix_once(tmp_path / "r2", 0.2, signal.SIGTERM)
    done = subprocess.run(
        [HIL, "report", str(tmp_path / "r1")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout


@pytest.mark.slow
def test_twenty_interrupts_each() -> None:
    """The issue's acceptance: 20 interrupts of `hil serve` and 20 of `hil matrix`, at
    different moments, each stops within 2 s and leaves a report that renders."""
    import tempfile

    for k in range(20):
        _serve_once(("stm32u585", "lpc55s69")[k % 2], 0.15 * k, signal.SIGINT)
    with tempfile.TemporaryDirectory() as d:
        for k in range(20):
            rep = Path(d) / f"r{k}"
            _matrix_once(rep, 0.25 * k, signal.SIGINT)
            done = subprocess.run([HIL, "report", str(rep)], capture_output=True, check=False)
            assert done.returncode == 0


def test_broken_pipe_ends_quietly() -> None:
    done = subprocess.run(
        f"{HIL} platforms | head -c 10", shell=True, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_unexpected_error_is_exit_3_with_a_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from hil.cli import build_parser, main
    from hil.commands.base import COMMANDS

    build_parser()  # registers the commands
    add, _, text = COMMANDS["platforms"]

    def boom(args: object) -> int:
        raise RuntimeError("something nobody expected\nsecond line")

    monkeypatch.setitem(COMMANDS, "platforms", (add, boom, text))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert main(["platforms"]) == 3
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert "internal error: RuntimeError: something nobody expected" in lines[0]
    log = Path(lines[0].rsplit("traceback in ", 1)[1].rstrip(")"))
    assert log.is_file() and "Traceback" in log.read_text(encoding="utf-8")


def _stopped_report(p: subprocess.Popen[str], report: Path) -> dict[str, Any]:
    """SIGINT ``p`` (a ``hil matrix``): it stops in time without a traceback, and its report is
    kept, valid and marked incomplete; the compliance document."""
    rc, took, rest = _interrupt(p, signal.SIGINT)
    assert rc == 130, rest
    assert took < STOP_S, f"stopped after {took:.2f} s"
    assert "Traceback" not in rest and "marked incomplete" in rest, rest
    doc: dict[str, Any] = json.loads((report / "compliance.json").read_text(encoding="utf-8"))
    assert validate(doc) == []
    assert doc["generated"].startswith("incomplete: interrupted"), doc["generated"]
    return doc


def test_profile_matrix_interrupted_keeps_a_report(tmp_path: Path) -> None:
    """`hil matrix --profile` too: the cases that finished are kept, marked incomplete."""
    report = tmp_path / "p"
    profile = Path(__file__).resolve().parents[2] / "profiles" / "swap-lpc55s69.yaml"
    p, _ = _start(["matrix", "--profile", str(profile), "--report", str(report)], "... PASS")
    doc = _stopped_report(p, report)
    assert [c["passed"] for c in doc["cases"]] and all(c["passed"] for c in doc["cases"])


def test_matrix_interrupted_among_the_mutants_keeps_the_matrix_and_the_mutants_done(
    tmp_path: Path,
) -> None:
    """`hil matrix --mutants` stopped after the matrix finished: its cases are reported (and
    any mutant that finished), marked incomplete; nothing of the matrix is lost."""
    report = tmp_path / "m"
    args = ["matrix", "--items", "1", "--platform", "lpc55s69", "--mutants", "--report"]
    p, _ = _start([*args, str(report)], "hil matrix --mutants:")
    time.sleep(1.0)  # the planted bug's firmware is built, then its case runs
    doc = _stopped_report(p, report)
    assert "during lpc55s69 mutant MUT_" in doc["generated"], doc["generated"]
    assert [(c["item"], c["passed"]) for c in doc["cases"]] == [(1, True)]
    assert list((report / "allure-results").glob("*-result.json"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_matrix_with_platforms_side_by_side_interrupted_keeps_both(
    tmp_path: Path, sig: int
) -> None:
    """`hil matrix` runs the two platforms in two workers (--jobs default): a signal to the
    command stops both workers' cases in time, every finished case and every case that was
    running (one per worker) is in the report, marked incomplete."""
    report = tmp_path / "r"
    args = ["matrix", "--items", "1,2", "--jobs", "2", "--report", str(report)]
    p, seen = _start(args, "[1/")  # a worker started its first case
    time.sleep(3.0)
    rc, took, rest = _interrupt(p, sig)
    assert rc == 130, "".join(seen) + rest
    assert took < STOP_S, f"stopped after {took:.2f} s"
    assert "Traceback" not in rest and "Exception ignored" not in rest, rest
    assert "marked incomplete" in rest, rest
    doc = json.loads((report / "compliance.json").read_text(encoding="utf-8"))
    assert validate(doc) == []
    assert doc["generated"].startswith("incomplete: interrupted"), doc["generated"]
    results = [
        json.loads(f.read_text(encoding="utf-8"))
        for f in (report / "allure-results").glob("*-result.json")
    ]
    skipped = [r for r in results if r["status"] == "skipped"]
    assert 1 <= len(skipped) <= 2, [r["status"] for r in results]  # one running per worker
    platforms = {r["fullName"].split(".")[1] for r in skipped}  # ota.<platform>.item..
    assert len(platforms) == len(skipped) and platforms <= {"lpc55s69", "stm32u585"}, platforms
