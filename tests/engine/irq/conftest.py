"""Fixtures for the core and interrupt tests: every test runs on both chips."""

from __future__ import annotations

import pytest

from hil.platform import load_platform
from hil.platform.model import Platform


@pytest.fixture(params=["stm32u585", "lpc55s69"])
def chip(request: pytest.FixtureRequest) -> Platform:
    return load_platform(str(request.param))
