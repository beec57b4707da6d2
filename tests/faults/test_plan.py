"""Fault-plan validation: every malformed plan names the file, the dotted field and the value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hil.faults import (
    Brownout,
    FaultPlanError,
    FlashOpCut,
    OpKind,
    Phase,
    PhaseCut,
    RandomCuts,
    SymbolCut,
    Tear,
    load_plan,
    parse_plan,
)

GOOD_YAML = """
name: everything
faults:
  - {kind: phase_cut, phase: staging, offset: 200}
  - {kind: flash_op_cut, op: 3, tear: partial_erase}
  - {kind: symbol_cut, symbol: meta_commit, hit: 2}
  - {kind: brownout, at: {phase: verify}, holdup_us: 500}
  - {kind: random_cuts, count: 4, seed: 7, op_kind: program}
"""


def test_good_yaml_plan(tmp_path: Path) -> None:
    p = tmp_path / "plan.yaml"
    p.write_text(GOOD_YAML)
    plan = load_plan(p)
    assert plan.name == "everything"
    assert plan.faults == (
        PhaseCut(Phase.STAGING, 200, 1),
        FlashOpCut(3, OpKind.ERASE, Tear.PARTIAL_ERASE),
        SymbolCut("meta_commit", 2),
        Brownout(PhaseCut(Phase.VERIFY), 500, None),
        RandomCuts(4, 7, OpKind.PROGRAM),
    )


def test_good_json_plan(tmp_path: Path) -> None:
    p = tmp_path / "plan.json"
    p.write_text(json.dumps({"faults": [{"kind": "flash_op_cut", "op": 0, "tear": "none"}]}))
    assert load_plan(p).faults == (FlashOpCut(0, OpKind.ANY, Tear.NONE),)


BAD: list[tuple[str, object, str, str]] = [
    ("root not a mapping", [1], "<root>", "a list"),
    ("no faults", {"name": "x"}, "faults", "missing"),
    ("empty faults", {"faults": []}, "faults", "a list"),
    ("unknown top key", {"faults": [{"kind": "symbol_cut", "symbol": "s"}], "x": 1}, "x", "'x'"),
    ("fault not mapping", {"faults": [3]}, "faults[0]", "int 3"),
    ("missing kind", {"faults": [{"op": 1}]}, "faults[0].kind", "missing"),
    ("bad kind", {"faults": [{"kind": "zap"}]}, "faults[0].kind", "'zap'"),
    ("kind wrong type", {"faults": [{"kind": 5}]}, "faults[0].kind", "int 5"),
    (
        "unknown fault key",
        {"faults": [{"kind": "flash_op_cut", "op": 1, "opp": 2}]},
        "faults[0].opp",
        "unknown field 'opp'",
    ),
    ("negative op", {"faults": [{"kind": "flash_op_cut", "op": -1}]}, "faults[0].op", "-1"),
    ("op as string", {"faults": [{"kind": "flash_op_cut", "op": "3"}]}, "faults[0].op", "'3'"),
    ("op as bool", {"faults": [{"kind": "flash_op_cut", "op": True}]}, "faults[0].op", "boolean"),
    ("missing op", {"faults": [{"kind": "flash_op_cut"}]}, "faults[0].op", "missing"),
    (
        "bad tear",
        {"faults": [{"kind": "flash_op_cut", "op": 1, "tear": "half"}]},
        "faults[0].tear",
        "'half'",
    ),
    (
        "tear vs op kind",
        {
            "faults": [
                {"kind": "flash_op_cut", "op": 1, "op_kind": "program", "tear": "partial_erase"}
            ]
        },
        "faults[0].tear",
        "erase tear",
    ),
    (
        "bad op_kind",
        {"faults": [{"kind": "flash_op_cut", "op": 1, "op_kind": "write"}]},
        "faults[0].op_kind",
        "'write'",
    ),
    (
        "bad phase",
        {"faults": [{"kind": "phase_cut", "phase": "landing"}]},
        "faults[0].phase",
        "'landing'",
    ),
    ("missing phase", {"faults": [{"kind": "phase_cut"}]}, "faults[0].phase", "missing"),
    (
        "negative offset",
        {"faults": [{"kind": "phase_cut", "phase": "verify", "offset": -5}]},
        "faults[0].offset",
        "-5",
    ),
    (
        "zero occurrence",
        {"faults": [{"kind": "phase_cut", "phase": "verify", "occurrence": 0}]},
        "faults[0].occurrence",
        "0",
    ),
    ("empty symbol", {"faults": [{"kind": "symbol_cut", "symbol": ""}]}, "faults[0].symbol", "''"),
    ("brownout no at", {"faults": [{"kind": "brownout"}]}, "faults[0].at", "missing"),
    (
        "brownout two points",
        {"faults": [{"kind": "brownout", "at": {"phase": "verify", "symbol": "s"}}]},
        "faults[0].at",
        "phase, symbol",
    ),
    (
        "brownout tear in point",
        {"faults": [{"kind": "brownout", "at": {"flash_op": 1, "tear": "none"}}]},
        "faults[0].at.tear",
        "unknown field",
    ),
    (
        "brownout negative holdup",
        {"faults": [{"kind": "brownout", "at": {"flash_op": 1}, "holdup_us": -1}]},
        "faults[0].holdup_us",
        "-1",
    ),
    (
        "random zero count",
        {"faults": [{"kind": "random_cuts", "count": 0}]},
        "faults[0].count",
        "0",
    ),
    (
        "random float seed",
        {"faults": [{"kind": "random_cuts", "count": 1, "seed": 1.5}]},
        "faults[0].seed",
        "1.5",
    ),
    (
        "second fault bad",
        {
            "faults": [
                {"kind": "symbol_cut", "symbol": "a"},
                {"kind": "symbol_cut", "symbol": "b", "hit": -2},
            ]
        },
        "faults[1].hit",
        "-2",
    ),
]


@pytest.mark.parametrize(("data", "field", "found"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_malformed_plans_name_the_field(data: object, field: str, found: str) -> None:
    with pytest.raises(FaultPlanError) as info:
        parse_plan(data, "plans/bad.yaml")
    err = info.value
    assert err.path == "plans/bad.yaml"
    assert err.field == field, str(err)
    assert found in err.found, str(err)
    assert err.expected
    assert str(err).startswith(f"plans/bad.yaml: field '{field}': expected ")


def test_bad_yaml_file(tmp_path: Path) -> None:
    p = tmp_path / "broken.yaml"
    p.write_text("faults: [ {kind: \n")
    with pytest.raises(FaultPlanError, match="broken.yaml: field '<file>': expected valid YAML"):
        load_plan(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FaultPlanError, match="expected a readable plan file"):
        load_plan(tmp_path / "nope.json")
