"""Issue 13 point 5: a sweep plan is checked when it is read (before the clean run): every
symbol it names exists in the firmware's ELF files, and a fault the sweep cannot snapshot (a
symbol cut) is refused there, each with a one-line error that names no Python class."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.cli import main


def _plan(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        (
            "faults:\n  - kind: symbol_cut\n    symbol: no_such_function\n",
            "field 'faults[0].symbol': expected a symbol of the firmware (boot.elf, app.elf), "
            "found 'no_such_function'",
        ),
        (
            "faults:\n  - kind: brownout\n    at: {symbol: nowhere}\n",
            "field 'faults[0].at.symbol': expected a symbol of the firmware",
        ),
        (
            "faults:\n  - kind: symbol_cut\n    symbol: meta_commit\n",
            "field 'faults[0].kind': expected a fault the sweep can snapshot",
        ),
    ],
)
def test_plan_checked_when_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expect: str
) -> None:
    plan = _plan(tmp_path, body)
    rc = main(["sweep", "--platform", "stm32u585", "--plan", str(plan)])
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0], err
    assert "SymbolCut" not in err and "Brownout" not in err
    assert "clean update" not in err  # refused before the clean run
