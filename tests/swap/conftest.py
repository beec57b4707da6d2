"""Fixtures of the swap-target tests: the host libraries (one per chip, one per planted bug)
and a set of imgtool-signed images per chip."""

from __future__ import annotations

import ctypes
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.swap.swap_harness import CHIPS, IMGTOOL, Image, SwapSim, build_lib, payload, sign


@pytest.fixture(autouse=True)
def _smp_sequence_from_zero() -> None:
    """The `smp` package numbers requests from one process-wide counter, so a test's requests
    would depend on which tests ran before it in the same worker. Each test starts at 0."""
    import itertools

    import smp.message

    smp.message._counter = itertools.count()  # type: ignore[attr-defined]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "chip" in metafunc.fixturenames:
        metafunc.parametrize("chip", CHIPS)


@pytest.fixture(scope="session")
def swap_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("host gcc missing")
    return tmp_path_factory.mktemp("swaplib")


_LIBS: dict[tuple[str, tuple[str, ...]], ctypes.CDLL] = {}


@pytest.fixture(scope="session")
def swap_lib(swap_build_dir: Path) -> Callable[..., ctypes.CDLL]:
    """``swap_lib(chip, *defines)``: the host library, built once per (chip, defines)."""

    def get(chip: str, *defines: str) -> ctypes.CDLL:
        key = (chip, tuple(sorted(defines)))
        if key not in _LIBS:
            _LIBS[key] = build_lib(chip, swap_build_dir, key[1])
        return _LIBS[key]

    return get


@dataclass
class Images:
    v1: Image  # factory image: 1.0.0+1, security counter 1
    v2: Image  # the update: 1.1.0+2, counter 2, a different size (3 sectors on STM32U585)
    v3: Image  # 1.2.0+3, counter 3
    old: Image  # 0.9.0+0, counter 1: older than v1 (downgrade)
    low_cnt: Image  # 2.0.0+4, counter 0: newer version, counter below the floor
    second_key: Image  # 1.1.0+2 signed with the second allowed key
    revoked: Image  # 1.1.0+2 signed with the revoked key
    unknown: Image  # 1.1.0+2 signed with a key that is in no list
    no_cnt: Image  # 1.1.0+2 without a security counter TLV
    fail: Image  # 1.1.0+2 with SELF_TEST = fail


@pytest.fixture(scope="session")
def images(
    tmp_path_factory: pytest.TempPathFactory, swap_lib: Callable[..., ctypes.CDLL]
) -> Callable[[str], Images]:
    """``images(chip)``: the signed images of the tests (imgtool, cached per chip)."""
    if not IMGTOOL.exists():
        pytest.skip("imgtool missing from the virtual environment")
    cache: dict[str, Images] = {}
    work = tmp_path_factory.mktemp("swapimg")

    def get(chip: str) -> Images:
        if chip in cache:
            return cache[chip]
        sim = SwapSim(swap_lib(chip), chip)
        sector = sim.layout.sector_size
        hdr = sim.layout.hdr_size
        size = sim.layout.secondary_size

        def mk(n: int, seed: int, version: str, cnt: int | None, **kw: object) -> Image:
            d = work / chip
            d.mkdir(exist_ok=True)
            return sign(
                payload(n, seed),
                version=version,
                sec_cnt=cnt,
                hdr_size=hdr,
                slot_size=size,
                workdir=d,
                **kw,  # type: ignore[arg-type]
            )

        unknown_key = work / "unknown.pem"
        if not unknown_key.exists():
            from hil.image.keys import derive_key, save_private_key

            save_private_key(derive_key("ota-hil/swap/unknown"), unknown_key)
        # sizes: v1 just over 2 sectors, v2 about 2.5 sectors (the swap covers 3 sectors)
        n1 = 2 * sector + sector // 4
        n2 = 2 * sector + sector // 2
        cache[chip] = Images(
            v1=mk(n1, 1, "1.0.0+1", 1),
            v2=mk(n2, 2, "1.1.0+2", 2),
            v3=mk(n1 // 2, 3, "1.2.0+3", 3),
            old=mk(n1, 4, "0.9.0+0", 1),
            low_cnt=mk(n2, 5, "2.0.0+4", 0),
            second_key=mk(n2, 2, "1.1.0+2", 2, key="swap-second"),
            revoked=mk(n2, 2, "1.1.0+2", 2, key="swap-revoked"),
            unknown=mk(n2, 2, "1.1.0+2", 2, key=str(unknown_key)),
            no_cnt=mk(n2, 2, "1.1.0+2", None),
            fail=mk(n2, 6, "1.1.0+2", 2, self_test=1),
        )
        return cache[chip]

    return get
