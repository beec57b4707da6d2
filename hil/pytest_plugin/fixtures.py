"""Fixtures: the platforms under test, firmware builds (cached per session) and devices."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hil.device import Device
from hil.engine.registry import create_engine
from hil.firmware import FirmwareSet, build_firmware
from hil.platform import known_platforms, load_platform
from hil.platform.model import Platform
from hil.provision import FactoryImage, factory_image

FirmwareFactory = Callable[..., FirmwareSet]
DeviceFactory = Callable[..., Device]


def _selected(config: pytest.Config) -> list[str]:
    chosen: list[str] | None = config.getoption("--hil-platform")
    return chosen or known_platforms()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "platform_name" in metafunc.fixturenames:
        metafunc.parametrize("platform_name", _selected(metafunc.config), scope="session")


@pytest.fixture(scope="session")
def platform(platform_name: str) -> Platform:
    """The platform under test (tests using it run once per selected platform)."""
    return load_platform(platform_name)


@pytest.fixture(scope="session")
def firmware_factory() -> FirmwareFactory:
    """``firmware_factory(platform, app_build=1, defines=None)``: build once per session."""
    cache: dict[tuple[str, int, tuple[tuple[str, int], ...]], FirmwareSet] = {}

    def make(
        platform: Platform, app_build: int = 1, defines: dict[str, int] | None = None
    ) -> FirmwareSet:
        key = (platform.name, app_build, tuple(sorted((defines or {}).items())))
        if key not in cache:
            cache[key] = build_firmware(platform, app_build=app_build, defines=defines)
        return cache[key]

    return make


@pytest.fixture
def device_factory(
    request: pytest.FixtureRequest, tmp_path: Path, firmware_factory: FirmwareFactory
) -> Iterator[DeviceFactory]:
    """``device_factory(platform, firmware=None, seed=None, factory=None)``: a Device with logs
    kept on disk, programmed with ``factory`` (default: the firmware's app signed into slot A
    with the harness keys)."""
    made: list[Device] = []
    engine_name: str = request.config.getoption("--hil-engine")
    default_seed: int = request.config.getoption("--hil-seed")
    log_root_opt: str | None = request.config.getoption("--hil-log-dir")
    log_root = Path(log_root_opt) / request.node.name if log_root_opt else tmp_path / "device"

    def make(
        platform: Platform,
        firmware: FirmwareSet | None = None,
        seed: int | None = None,
        factory: FactoryImage | None = None,
    ) -> Device:
        fi = factory or factory_image(platform, firmware or firmware_factory(platform))
        engine = create_engine(engine_name, platform, default_seed if seed is None else seed)
        dev = Device(engine, fi, log_dir=log_root / f"{platform.name}-{len(made)}")
        made.append(dev)
        return dev

    yield make
    for dev in made:
        dev.close()


@pytest.fixture
def device(platform: Platform, device_factory: DeviceFactory) -> Device:
    """A device of the platform under test with the default firmware, not yet powered on."""
    return device_factory(platform)
