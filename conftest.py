"""Wires ota-hil's pytest plugin for this repository's own tests and suites.

The plugin itself is registered through the ``pytest11`` entry point of the installed
package (``pip install -e '.[dev]'``), so nothing needs loading here; this file only marks the
repository root for pytest and offers repository paths.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
