"""Markers of the plugin and the skips they imply.

``heavy``: a long emulated case (a sweep, a planted bug, a matrix case) that the default run
runs on one of the selected platforms only. The platform is chosen per case, stably, from the
case's id without its platform part (a CRC, not a random draw), so the default run still covers
both chips across the heavy cases while running each case once. The case's instances on the
other platforms are marked ``slow``: ``-m slow`` (the nightly command, ``-m "slow or not
slow"``) runs every heavy case on every platform. With one platform selected
(``--hil-platform``) every heavy case runs on it.

``early``: a test that runs for many minutes on its own (the ``hil matrix --quick`` of the
Allure acceptance) is collected first, so that under ``pytest -n`` it starts at once on one worker
while the others share the rest, instead of starting late and ending the run alone
(scripts/test.sh passes ``--dist worksteal``, which moves the queued tests of the busy worker to
the idle ones).
"""

from __future__ import annotations

import shutil
import zlib

import pytest

PLATFORM_PARAM = "platform_name"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: long sweeps; excluded by default (-m slow to run)")
    config.addinivalue_line(
        "markers",
        "heavy: by default runs on one platform per case (stably chosen); the other "
        "platforms' instances are marked slow",
    )
    config.addinivalue_line(
        "markers", "early: a long test collected first, so pytest -n starts it at once"
    )
    config.addinivalue_line("markers", "renode: needs the Renode emulator on PATH")
    config.addinivalue_line("markers", "toolchain: needs arm-none-eabi-gcc")


def default_platform(case_key: str, platforms: list[str]) -> str:
    """The platform a heavy case runs on in the default run: stable for a given case key."""
    ordered = sorted(platforms)
    return ordered[zlib.crc32(case_key.encode("utf-8")) % len(ordered)]


@pytest.hookimpl(tryfirst=True)  # before the mark plugin deselects by -m
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    heavy: dict[str, list[pytest.Function]] = {}
    for item in items:
        if not isinstance(item, pytest.Function) or item.get_closest_marker("heavy") is None:
            continue
        params = getattr(item, "callspec", None)
        name = params.params.get(PLATFORM_PARAM) if params is not None else None
        if not isinstance(name, str):
            continue
        heavy.setdefault(item.nodeid.replace(name, "{platform}"), []).append(item)
    for key, group in heavy.items():
        names = [str(it.callspec.params[PLATFORM_PARAM]) for it in group]
        chosen = default_platform(key, names)
        for it in group:
            if it.callspec.params[PLATFORM_PARAM] != chosen:
                it.add_marker(pytest.mark.slow)
    items.sort(key=lambda it: it.get_closest_marker("early") is None)  # stable: early first


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("renode") and shutil.which("renode") is None:
        pytest.skip(
            "Renode is not installed: it cannot be installed from the package registries this "
            "machine reaches (no Debian/PyPI/npm package); the renode engine is not tested here"
        )
    if item.get_closest_marker("toolchain") and shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc is missing; run the README's setup command")
