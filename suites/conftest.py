"""Fixtures of the matrix suites: a ``Bench`` (platform, firmware, device maker) per platform,
and benches built from firmware with a mutation flag of contracts §8."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hil.matrix.predicates import Params
from hil.platform.model import Platform
from hil.provision import FactoryImage
from hil.pytest_plugin.fixtures import DeviceFactory, FirmwareFactory
from hil.scenarios import Bench

BenchFactory = Callable[..., Bench]


@pytest.fixture
def bench_factory(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> BenchFactory:
    """``bench_factory(defines=None)``: a Bench whose devices run that firmware build."""

    def make(defines: dict[str, int] | None = None) -> Bench:
        fw = firmware_factory(platform, defines=defines)

        def device(fi: FactoryImage) -> object:
            return device_factory(platform, firmware=fw, factory=fi)

        return Bench(platform, fw, device)  # type: ignore[arg-type]

    return make


@pytest.fixture
def bench(bench_factory: BenchFactory) -> Bench:
    return bench_factory()


@pytest.fixture
def params(platform: Platform) -> Params:
    return Params(attempts=platform.layout.boot_attempts)
