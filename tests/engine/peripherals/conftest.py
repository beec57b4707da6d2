"""Fixtures for the peripheral-model tests (the fake Soc lives in ``periph_fakesoc``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from periph_fakesoc import FakeSoc, lpc55s69_platform, stm32u585_platform


@pytest.fixture
def stm() -> Iterator[FakeSoc]:
    yield FakeSoc(stm32u585_platform())


@pytest.fixture
def lpc() -> Iterator[FakeSoc]:
    yield FakeSoc(lpc55s69_platform())


@pytest.fixture
def make_soc() -> Callable[[str, int], FakeSoc]:
    def make(chip: str, seed: int = 1) -> FakeSoc:
        plat = stm32u585_platform() if chip == "stm32u585" else lpc55s69_platform()
        return FakeSoc(plat, seed)

    return make
