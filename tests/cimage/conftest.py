"""Fixtures for the C image verifier tests: the host library, the ASan driver, keys and
imgtool-signed images for both platforms' header sizes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cimage.helpers import (
    FLAG_ALLOWED,
    FLAG_REVOKED,
    PLATFORMS,
    CVerifier,
    Key,
    build_host,
    hw_id,
    imgtool_sign,
    make_key,
    render_anchor,
)


@pytest.fixture(scope="session")
def cverifier() -> CVerifier:
    if shutil.which("make") is None or shutil.which("gcc") is None:
        pytest.skip("make and gcc are needed to build libotacore.so")
    out = build_host("all")
    return CVerifier(out / "libotacore.so")


@pytest.fixture(scope="session")
def img_driver() -> Path:
    """The ASan/UBSan batch driver (firmware_stubs/host/img_driver.c)."""
    if shutil.which("make") is None or shutil.which("gcc") is None:
        pytest.skip("make and gcc are needed to build img_driver")
    return build_host("driver") / "img_driver"


@pytest.fixture(scope="session")
def keydir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cimage-keys")


@pytest.fixture(scope="session")
def signer(keydir: Path) -> Key:
    return make_key(0x5EED_0001, keydir)


@pytest.fixture(scope="session")
def other_key(keydir: Path) -> Key:
    return make_key(0x5EED_0002, keydir)


@pytest.fixture(scope="session")
def revoked_key(keydir: Path) -> Key:
    return make_key(0x5EED_0003, keydir)


@pytest.fixture(params=sorted(PLATFORMS))
def plat(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def payload_of(size: int, seed: int = 1) -> bytes:
    """A deterministic pseudo-random payload (the verifier does not interpret it)."""
    import random

    return random.Random(seed).randbytes(size)


def standard_anchor(plat: str, signer: Key, revoked: Key, floor: int = 0) -> bytes:
    return render_anchor(
        [(signer.key_id, FLAG_ALLOWED, signer.xy), (revoked.key_id, FLAG_REVOKED, revoked.xy)],
        floor,
        hw_id(plat),
    )


@pytest.fixture(scope="session")
def signed_images(keydir: Path, signer: Key) -> dict[str, bytes]:
    """One imgtool-signed image per platform (5000-byte payload, 1024-byte chunks, build 7)."""
    out = {}
    for name, p in PLATFORMS.items():
        out[name] = imgtool_sign(
            payload_of(5000),
            signer,
            keydir,
            hdr_size=p["hdr_size"],
            slot_size=p["slot_size"],
            build=7,
            hw_compat=hw_id(name),
            name=f"std-{name}",
        )
    return out
