"""Command-line options of the plugin."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ota-hil")
    group.addoption(
        "--hil-platform",
        action="append",
        default=None,
        metavar="P",
        help="run device tests on this platform (repeatable; default: all known platforms)",
    )
    group.addoption(
        "--hil-engine", default="unicorn", metavar="NAME", help="emulation engine (default unicorn)"
    )
    group.addoption("--hil-seed", type=int, default=1, help="seed of every random choice")
    group.addoption(
        "--hil-log-dir",
        default=None,
        metavar="DIR",
        help="keep device logs here (default: pytest's tmp_path of each test)",
    )
