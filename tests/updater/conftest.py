"""Fixtures for the updater tests: the updater and everything it uses (SMP server, metadata,
image verifier) are compiled with the host gcc, together with the flash simulator and the
glue in upd_host.c, into a temporary shared library (ctypes). No Makefile is involved."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import pytest
from upd_harness import bind

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "firmware_stubs" / "core"
HOST = REPO / "firmware_stubs" / "host"
HERE = Path(__file__).resolve().parent
UNITS = (
    "updater updater_upload updater_install smp_server smp_frame cbor meta bootsel evidence "
    "crc32 fmt sha256 p256 keyring image"
)
SOURCES = [
    *(CORE / f"{n}.c" for n in UNITS.split()),
    HOST / "flashsim.c",
    HERE / "upd_host.c",
]
# HIL_CRYPTO_SW: the software SHA-256 (core/sha256.h); the host has no hash accelerator
CFLAGS = ["-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-DHIL_CRYPTO_SW=1"]
CFLAGS += [f"-I{CORE}", f"-I{HOST}"]


def build(out: Path, extra: list[str] | None = None) -> ctypes.CDLL:
    if shutil.which("gcc") is None:
        pytest.skip("host gcc missing")
    subprocess.run(
        ["gcc", *CFLAGS, *(extra or []), "-fPIC", "-shared", "-o", str(out), *map(str, SOURCES)],
        check=True,
    )
    return bind(ctypes.CDLL(str(out)))


@pytest.fixture(scope="session")
def updlib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    # UBSan works inside a ctypes-loaded library (ASan would need LD_PRELOAD): every test of
    # the updater runs with undefined-behaviour checks that abort the process.
    return build(
        tmp_path_factory.mktemp("updlib") / "libupd.so",
        ["-fsanitize=undefined", "-fno-sanitize-recover=all"],
    )


@pytest.fixture(scope="session")
def mutlib(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ctypes.CDLL]:
    """One library per mutation flag the updater implements."""
    d = tmp_path_factory.mktemp("updmut")
    flags = [
        "MUT_SAME_SLOT",
        "MUT_SKIP_SIG",
        "MUT_NO_REPLAY_CHECK",
        "MUT_ACCEPT_REVOKED",
        "MUT_SKIP_MANIFEST",
        "MUT_PENDING_BEFORE_HASH",
        "MUT_RESUME_BEFORE_VERIFY",
        "MUT_META_IN_PLACE",
        "MUT_RESUME_TRUSTS_WRITTEN",
    ]
    return {f: build(d / f"lib_{f}.so", [f"-D{f}=1"]) for f in flags}
