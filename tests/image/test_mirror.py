"""``hil/image/constants.py`` and ``firmware_stubs/core/image.h`` must agree one for one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hil.image import constants
from hil.image.constants import ImageResult

HEADER = Path(__file__).resolve().parents[2] / "firmware_stubs" / "core" / "image.h"


def _header_text() -> str:
    if not HEADER.exists():
        pytest.skip(f"{HEADER} does not exist yet (written by the firmware side of issue 3)")
    text = HEADER.read_text()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _c_int(literal: str) -> int:
    return int(re.sub(r"[uUlL]+$", "", literal.strip()), 0)


def test_result_codes_match_one_for_one() -> None:
    text = _header_text()
    m = re.search(r"typedef\s+enum\s*\w*\s*\{(?P<body>.*?)\}\s*img_result_t\s*;", text, re.S)
    assert m, f"{HEADER}: expected 'typedef enum {{ ... }} img_result_t;'"
    c: dict[str, int] = {}
    for name, value in re.findall(r"\bIMG_([A-Z0-9_]+)\s*=\s*([0-9xXa-fA-FuU]+)", m["body"]):
        c[name] = _c_int(value)
    py = {r.name: r.value for r in ImageResult}
    assert c == py, (
        f"only in C: {sorted(set(c) - set(py))}, only in Python: {sorted(set(py) - set(c))}, "
        f"different: {sorted(n for n in set(c) & set(py) if c[n] != py[n])}"
    )


# C-internal macros that have no Python twin (manifest bit set, streaming block size).
C_ONLY = re.compile(r"^IMG_(HAVE_\w+|IO_CHUNK)$")


def test_format_macros_match_one_for_one() -> None:
    text = _header_text()
    c = {
        name: _c_int(value)
        for name, value in re.findall(
            r"#define\s+(IMG_\w+)\s+\(?\s*(0[xX][0-9a-fA-F]+[uU]?|\d+[uU]?)\s*\)?\s*$",
            text,
            re.M,
        )
        if not C_ONLY.match(name)
    }
    py = {n: v for n, v in vars(constants).items() if n.startswith("IMG_") and isinstance(v, int)}
    assert sorted(c) == sorted(py), (
        f"only in C: {sorted(set(c) - set(py))}, only in Python: {sorted(set(py) - set(c))}"
    )
    different = {n: (hex(c[n]), hex(py[n])) for n in c if c[n] != py[n]}
    assert not different, f"(C, Python) values differ: {different}"
