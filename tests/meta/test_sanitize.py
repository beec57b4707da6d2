"""The same C code built with -fsanitize=address,undefined into a small driver executable
(tests/meta/sanitize_main.c) that runs power-cut sweeps and a fuzz of the decision table and
record parser on both chips' geometries."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import cmeta
import pytest


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("host gcc missing")
    out = tmp_path_factory.mktemp("sanitize")
    try:
        return cmeta.build(
            out,
            [
                "-fsanitize=address,undefined",
                "-fno-sanitize-recover=all",
                "-fno-omit-frame-pointer",
            ],
            shared=False,
            main=cmeta.HERE / "sanitize_main.c",
            name="meta_sanitize",
        )
    except subprocess.CalledProcessError as e:
        if "sanitize" in (e.stderr or "") and "cannot find" in (e.stderr or ""):
            pytest.skip("sanitizer runtime missing")
        raise


def test_sanitized_sweeps(driver: Path, chip: cmeta.Chip) -> None:
    g = chip.geom(512)
    args = [str(getattr(g, f)) for f, _ in g._fields_]
    proc = subprocess.run([str(driver), *args], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for name in ("adopt", "install", "attempts", "confirm", "ring"):
        assert any(ln.startswith(name + " ops=") for ln in lines), proc.stdout
    assert "fuzz decide+parse 200000 ok" in proc.stdout
    print(chip.name, proc.stdout)
