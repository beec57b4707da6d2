"""Fixtures for the SMP server tests: the C sources (cbor.c, smp_frame.c, smp_server.c) are
compiled with the host gcc into a temporary shared library (ctypes) and, for the sanitizer run,
into an ASan/UBSan driver executable. The Makefiles are not used (owned elsewhere)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import pytest
from smp_harness import REPO, bind

CORE = REPO / "firmware_stubs" / "core"
HOST = REPO / "firmware_stubs" / "host"
SMP_SOURCES = [CORE / "cbor.c", CORE / "smp_frame.c", CORE / "smp_server.c"]
CFLAGS = ["-std=c11", "-O2", "-g", "-Wall", "-Wextra", "-Werror", f"-I{CORE}"]


def _need_gcc() -> None:
    if shutil.which("gcc") is None:
        pytest.skip("host gcc missing")


@pytest.fixture(scope="session")
def smp_lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    _need_gcc()
    out = tmp_path_factory.mktemp("smp_lib") / "libsmp.so"
    subprocess.run(
        ["gcc", *CFLAGS, "-fPIC", "-shared", "-o", str(out), *map(str, SMP_SOURCES)],
        check=True,
    )
    return bind(ctypes.CDLL(str(out)))


@pytest.fixture(scope="session")
def smp_driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_gcc()
    out = tmp_path_factory.mktemp("smp_driver") / "smp_driver"
    subprocess.run(
        [
            "gcc",
            *CFLAGS,
            "-O1",
            "-fno-omit-frame-pointer",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
            "-o",
            str(out),
            str(HOST / "smp_driver.c"),
            *map(str, SMP_SOURCES),
        ],
        check=True,
    )
    return out
