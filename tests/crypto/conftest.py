"""Fixtures for tests/crypto: the host build of firmware_stubs/core/{sha256,p256}.c."""

from __future__ import annotations

import pytest
from crypto_support import CLib, build_shared


@pytest.fixture(scope="module")
def clib(tmp_path_factory: pytest.TempPathFactory) -> CLib:
    """sha256.c + p256.c compiled with host gcc -O2 -fPIC -shared, loaded with ctypes."""
    return CLib(build_shared(tmp_path_factory.mktemp("crypto_so")))
