"""The C evidence formatter (firmware_stubs/core/evidence.c, built for the host) and the Python
one produce the same lines, and the host unit tests of the portable C core pass."""

from __future__ import annotations

import ctypes
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from hil.errors import EvidenceError
from hil.evidence import format_line, parse_line

KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
VALUE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:+-"


@pytest.fixture(scope="module")
def host_build(repo_root: Path) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("host gcc missing; run the README's setup command")
    out = repo_root / "build" / "host"
    subprocess.run(
        ["make", "-s", "-C", str(repo_root / "firmware_stubs" / "host"), f"OUT_DIR={out}"],
        check=True,
    )
    return out


@pytest.fixture(scope="module")
def lib(host_build: Path) -> ctypes.CDLL:
    so = ctypes.CDLL(str(host_build / "libotacore.so"))
    so.ev_format.restype = ctypes.c_int
    so.ev_format.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint32,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.c_size_t,
    ]
    return so


def c_format(
    lib: ctypes.CDLL, seq: int, src: str, name: str, fields: list[tuple[str, str]]
) -> str | int:
    n = len(fields)
    keys = (ctypes.c_char_p * max(n, 1))(*[k.encode() for k, _ in fields])
    values = (ctypes.c_char_p * max(n, 1))(*[v.encode() for _, v in fields])
    buf = ctypes.create_string_buffer(300)
    rc = lib.ev_format(buf, 300, seq, src.encode(), name.encode(), keys, values, n)
    if rc < 0:
        return int(rc)
    text = buf.raw[:rc].decode("ascii")
    assert text.endswith("\r\n")
    return text[:-2]


def _random_fields(rng: random.Random) -> list[tuple[str, str]]:
    keys = rng.sample(
        ["a", "addr", "build", "cause", "k9", "slot", "x_y", "result"], rng.randint(0, 5)
    )
    return [(k, "".join(rng.choice(VALUE_CHARS) for _ in range(rng.randint(1, 24)))) for k in keys]


def test_c_and_python_format_identical_lines(lib: ctypes.CDLL) -> None:
    rng = random.Random(2026)
    for _ in range(3000):
        seq = rng.choice([0, 1, rng.randrange(2**32)])
        src = rng.choice(["boot", "app", "rescue"])
        name = rng.choice(["BOOT", "REBOOT_REASON", "META", "X1"])
        fields = _random_fields(rng)
        c_line = c_format(lib, seq, src, name, fields)
        try:
            py_line: str | None = format_line(seq, src, name, fields)
        except EvidenceError:
            py_line = None
        if py_line is None:
            assert isinstance(c_line, int), f"C accepted what Python refuses: {c_line}"
        else:
            assert c_line == py_line
            assert parse_line(c_line).fields == tuple(fields)


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("lower", []),
        ("BOOT", [("Key", "v")]),
        ("BOOT", [("k", "a b")]),
        ("BOOT", [("k", "a=b")]),
        ("BOOT", [("k", "")]),
        ("BOOT", [("k", "x" * 41)]),
        ("BOOT", [("k", "1"), ("k", "2")]),
    ],
)
def test_c_refuses_what_the_format_cannot_carry(
    lib: ctypes.CDLL, name: str, fields: list[tuple[str, str]]
) -> None:
    assert isinstance(c_format(lib, 1, "app", name, fields), int)
    with pytest.raises(EvidenceError):
        format_line(1, "app", name, fields)


def test_c_core_host_unit_tests(repo_root: Path, host_build: Path) -> None:
    proc = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(repo_root / "firmware_stubs" / "host"),
            f"OUT_DIR={host_build}",
            "test",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all core tests passed" in proc.stdout
