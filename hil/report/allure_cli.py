"""The Allure report generator (the npm package ``allure``, 3.x) that ``scripts/setup.sh``
installs into the checkout, and what it generates.

Setup installs a pinned exact version into ``.tools/allure`` (gitignored) and writes the one
entry point, ``.tools/allure/bin/allure``: a wrapper that runs the package's ``cli.js`` with the
Node.js that setup chose (the system ``node`` when it is new enough, else a pinned Node binary
in ``.tools/node``). ``find_allure()`` returns that wrapper or raises ``AllureNotInstalled``
naming the expected path and the setup command.

A generated Allure 3 report (the default "awesome" plugin) keeps one JSON document per test
result in ``<report>/data/test-results/<id>.json`` (name, status, labels, parameters, steps,
attachments); ``index.html`` loads them over HTTP, so the report is served
(``allure open``), not opened as a file. ``read_test_results`` parses those documents.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from hil.errors import HilError

ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = ROOT / ".tools" / "allure"
ALLURE_BIN = TOOLS_DIR / "bin" / "allure"
SETUP_COMMAND = "bash scripts/setup.sh --no-main"
REPORT_DIRNAME = "allure-report"
TEST_RESULTS_DIR = Path("data") / "test-results"


class AllureNotInstalled(HilError):
    """The npm Allure report generator is not where setup installs it."""


def find_allure(path: Path | None = None) -> Path:
    """The ``allure`` command setup installed (``.tools/allure/bin/allure``), or
    ``AllureNotInstalled`` saying where it was expected and how to install it."""
    exe = ALLURE_BIN if path is None else path
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        raise AllureNotInstalled(
            f"the Allure report generator (npm package allure 3.x) is not installed: expected "
            f"{exe}; install it with `{SETUP_COMMAND}` in {ROOT}"
        )
    return exe


def installed_version(tools_dir: Path = TOOLS_DIR) -> str | None:
    """The version of the npm ``allure`` package in ``tools_dir``, or None."""
    try:
        doc = json.loads(
            (tools_dir / "node_modules" / "allure" / "package.json").read_text(encoding="utf-8")
        )
    except (OSError, ValueError):
        return None
    version = doc.get("version") if isinstance(doc, dict) else None
    return version if isinstance(version, str) else None


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["NO_COLOR"] = "1"  # plain text output, whatever the terminal
    env.pop("FORCE_COLOR", None)
    return env


def generate(
    results: Path, output: Path, *, name: str = "OTA compliance", allure: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``allure generate RESULTS --output OUTPUT --name NAME`` (run in RESULTS' parent, so no
    project config file is picked up); returns the finished process with its output."""
    exe = find_allure(allure)
    return subprocess.run(
        [str(exe), "generate", str(results.resolve()), "--output", str(output.resolve())]
        + ["--name", name],
        cwd=results.resolve().parent,
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def open_command(report: Path, port: int, *, allure: Path | None = None) -> list[str]:
    """The command that serves a generated report on ``port`` (``allure open``)."""
    return [str(find_allure(allure)), "open", "--port", str(port), str(report.resolve())]


def serve(report: Path, port: int, *, allure: Path | None = None) -> subprocess.Popen[bytes]:
    """Start serving a generated report on ``port``; the caller waits for / stops it."""
    return subprocess.Popen(
        open_command(report, port, allure=allure),
        cwd=report.resolve().parent,
        env=_env(),
        stdin=subprocess.DEVNULL,
    )


def read_test_results(report: Path) -> list[dict[str, Any]]:
    """The test results a generated Allure 3 report holds
    (``REPORT/data/test-results/*.json``), sorted by name then id."""
    folder = report / TEST_RESULTS_DIR
    if not folder.is_dir():
        raise HilError(f"{report} is not a generated Allure 3 report: no {TEST_RESULTS_DIR}/")
    docs: list[dict[str, Any]] = []
    for f in sorted(folder.glob("*.json")):
        doc = json.loads(f.read_text(encoding="utf-8"))
        if isinstance(doc, dict):
            docs.append(doc)
    return sorted(docs, key=lambda d: (str(d.get("name")), str(d.get("id"))))


def labels(result: dict[str, Any], name: str) -> list[str]:
    """The values of the labels called ``name`` of one test result of a generated report."""
    return [
        str(lb.get("value"))
        for lb in result.get("labels", [])
        if isinstance(lb, dict) and lb.get("name") == name
    ]
