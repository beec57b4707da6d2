"""sha256_update2 (firmware_stubs/core/sha256.c, through the host library libotacore.so built
by firmware_stubs/host): hashing the same bytes into two contexts, with one message schedule
per block when both are at the same block offset, is exactly two sha256_update calls: same
chaining state, byte count, pending bytes and digests, on random data, lengths and offsets
(equal and different), in several calls, with c1 == c2 and with a NULL context."""

from __future__ import annotations

import ctypes
import hashlib
import random
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOST = REPO / "firmware_stubs" / "host"


class Ctx(ctypes.Structure):
    """sha256_ctx_t (core/sha256.h)."""

    _fields_ = [
        ("h", ctypes.c_uint32 * 8),
        ("total", ctypes.c_uint64),
        ("buflen", ctypes.c_uint32),
        ("buf", ctypes.c_uint8 * 64),
    ]

    def view(self) -> tuple[tuple[int, ...], int, int, bytes]:
        """What defines the hash state (bytes past buflen are scratch)."""
        return tuple(self.h), self.total, self.buflen, bytes(self.buf[: self.buflen])


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    if shutil.which("make") is None or shutil.which("gcc") is None:
        pytest.skip("make and gcc are needed to build libotacore.so")
    out = tmp_path_factory.mktemp("otacore")
    so = out / "libotacore.so"
    subprocess.run(["make", "-s", "-C", str(HOST), f"OUT_DIR={out}", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    p = ctypes.POINTER(Ctx)
    lib.sha256_init.argtypes = [p]
    lib.sha256_update.argtypes = [p, ctypes.c_char_p, ctypes.c_size_t]
    lib.sha256_update2.argtypes = [p, p, ctypes.c_char_p, ctypes.c_size_t]
    lib.sha256_final.argtypes = [p, ctypes.c_char_p]
    for f in (lib.sha256_init, lib.sha256_update, lib.sha256_update2, lib.sha256_final):
        f.restype = None
    return lib


def new(lib: ctypes.CDLL, prefix: bytes) -> Ctx:
    c = Ctx()
    lib.sha256_init(ctypes.byref(c))
    lib.sha256_update(ctypes.byref(c), prefix, len(prefix))
    return c


def final(lib: ctypes.CDLL, c: Ctx) -> bytes:
    out = ctypes.create_string_buffer(32)
    lib.sha256_final(ctypes.byref(c), out)
    return out.raw


def length(rng: random.Random) -> int:
    return rng.choice(
        [
            0,
            rng.randrange(1, 64),
            64,
            64 * rng.randrange(1, 20),
            64 * rng.randrange(1, 20) + rng.randrange(1, 64),
            rng.randrange(0, 5000),
        ]
    )


def test_dual_update_equals_two_single_updates(lib: ctypes.CDLL) -> None:
    rng = random.Random(0xD0A1)
    shared = 0  # cases where both contexts sat at the same offset (the shared-schedule path)
    for case in range(1500):
        p1 = rng.randbytes(length(rng))
        if rng.random() < 0.6:  # same offset in the block, different bytes
            p2 = rng.randbytes(64 * rng.randrange(0, 4) + len(p1) % 64)
        else:
            p2 = rng.randbytes(length(rng))
        shared += len(p1) % 64 == len(p2) % 64
        d1, d2 = new(lib, p1), new(lib, p2)  # through sha256_update2
        s1, s2 = new(lib, p1), new(lib, p2)  # through two sha256_update
        parts = [rng.randbytes(length(rng)) for _ in range(rng.randrange(1, 5))]
        for data in parts:
            lib.sha256_update2(ctypes.byref(d1), ctypes.byref(d2), data, len(data))
            lib.sha256_update(ctypes.byref(s1), data, len(data))
            lib.sha256_update(ctypes.byref(s2), data, len(data))
            assert d1.view() == s1.view() and d2.view() == s2.view(), case
        tail = b"".join(parts)
        assert final(lib, d1) == final(lib, s1) == hashlib.sha256(p1 + tail).digest(), case
        assert final(lib, d2) == final(lib, s2) == hashlib.sha256(p2 + tail).digest(), case
    assert shared > 600


def test_dual_update_same_context_and_null(lib: ctypes.CDLL) -> None:
    rng = random.Random(0xD0A2)
    for case in range(300):
        prefix = rng.randbytes(length(rng))
        data = rng.randbytes(length(rng))
        # c1 == c2: the bytes go in twice
        d, s = new(lib, prefix), new(lib, prefix)
        lib.sha256_update2(ctypes.byref(d), ctypes.byref(d), data, len(data))
        lib.sha256_update(ctypes.byref(s), data, len(data))
        lib.sha256_update(ctypes.byref(s), data, len(data))
        assert d.view() == s.view(), case
        assert final(lib, d) == hashlib.sha256(prefix + data + data).digest()
        # a NULL context is ignored, the other one is updated
        d, s = new(lib, prefix), new(lib, prefix)
        lib.sha256_update2(ctypes.byref(d), None, data, len(data))
        lib.sha256_update(ctypes.byref(s), data, len(data))
        assert d.view() == s.view(), case
        d, s = new(lib, prefix), new(lib, prefix)
        lib.sha256_update2(None, ctypes.byref(d), data, len(data))
        lib.sha256_update(ctypes.byref(s), data, len(data))
        assert d.view() == s.view(), case
    # NULL data (with any length) changes nothing, as in sha256_update
    d, s = new(lib, b"abc"), new(lib, b"abc")
    lib.sha256_update2(ctypes.byref(d), ctypes.byref(s), None, 5)
    assert d.view() == s.view() == new(lib, b"abc").view()
