"""Fixtures for the metadata / boot-selection / evidence-ring tests: the C code under test is
compiled with the host gcc into a temporary shared library (no Makefile involved)."""

from __future__ import annotations

import ctypes
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cmeta  # noqa: E402


@pytest.fixture(scope="session")
def metalib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    if shutil.which("gcc") is None:
        pytest.skip("host gcc missing")
    out = tmp_path_factory.mktemp("metalib")
    return cmeta.bind(cmeta.build(out))


@pytest.fixture(scope="session", params=["stm32u585", "lpc55s69"])
def chip(request: pytest.FixtureRequest) -> cmeta.Chip:
    return cmeta.load_chip(request.param)
