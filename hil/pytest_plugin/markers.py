"""Markers of the plugin and the skips they imply."""

from __future__ import annotations

import shutil

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: long sweeps; excluded by default (-m slow to run)")
    config.addinivalue_line("markers", "renode: needs the Renode emulator on PATH")
    config.addinivalue_line("markers", "toolchain: needs arm-none-eabi-gcc")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("renode") and shutil.which("renode") is None:
        pytest.skip(
            "Renode is not installed: it cannot be installed from the package registries this "
            "machine reaches (no Debian/PyPI/npm package); the renode engine is not tested here"
        )
    if item.get_closest_marker("toolchain") and shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc is missing; run the README's setup command")
