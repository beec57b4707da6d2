"""The schema of ``compliance.json`` and a dependency-free validator for it.

``compliance.json`` is the machine-readable form of the compliance summary: every must-pass
matrix item (ota-requirements §5) against every platform, each cell pass / fail / not-run, with
the test cases behind it and links to their evidence. It is written by
``hil.report.compliance.ComplianceSummary.write_json``; its output is deterministic (keys sorted,
lists in a fixed order, two-space indent, trailing newline, no timestamp unless one is passed in).

Top level (an object; all keys required)::

    schema          "ota-hil/compliance"           constant; identifies the file
    schema_version  1                              integer; bumped on any incompatible change
    generated       string | null                  caller-supplied timestamp/label, else null
    verdict         "pass" | "fail" | "incomplete" pass: every cell passes; fail: some cell
                                                   fails; incomplete: none fails, some not run
    platforms       [string]                       column order (platform names)
    items           [item]                         row order (matrix item table)
    cells           [cell]                         one per item x platform, row-major
    cases           [case]                         every test case, sorted (see below)
    totals          {cells, pass, fail, not_run, cases, cases_passed, cases_failed}  integers

``item``:  ``{number: int >= 1, title: str, expected: str, scenarios: [str], ready: bool}``
(``ready`` is false while the item waits for the fault injector).

``cell``: ``{item: int, platform: str, status: "pass" | "fail" | "not-run", cases: [int]}``;
``cases`` are indices into the top-level ``cases`` list. A cell passes only if it has at least
one case and all of its cases pass; a cell without a case is ``not-run``, which is *not* a pass.

``case``: ``{item: int, platform: str, engine: str, scenario: str, passed: bool,
reasons: [str], evidence_path: str | null, replay: str | null,
duration_instructions: int | null, attachments: {str: str}, steps?: [str]}``.
``evidence_path`` and the ``attachments`` values (timeline, flash maps, fault plan, ...) are POSIX
paths relative to the directory holding ``compliance.json``; ``replay`` is the one command that
re-runs the case. ``steps`` is optional (the only optional key; written only when the case
recorded steps, so files without it, including every file written before it existed, stay
valid): what the case did, in order, one string per step; a step starting with ``FAIL:`` is one
that went wrong. Cases are sorted by (platform, item, scenario, engine).

``validate(doc)`` returns a list of problems (empty when the document is valid); it checks the
structure against ``COMPLIANCE_SCHEMA`` (a JSON-Schema draft 2020-12 subset: type, const, enum,
required, properties, additionalProperties, items, minimum; a key not in ``required`` is
optional) and then the cross-references (cell indices, cell status against its cases, totals,
verdict).

``mutation`` (optional: written only by ``hil matrix --mutants``): the mutation score,
``{score: {caught, planted, per_item: {"<item>": {caught, planted}}}, mutants: [mutant]}`` with
``mutant`` = ``{flag, item, platform, class, bug, ran: [str], caught_by: [str], caught: bool}``:
each planted bug of the catalogue (firmware_stubs/core/mut_hooks.h) on each platform, the
owning item's cases run on the mutated firmware (``ran``) and those that failed
(``caught_by``; empty: the bug escaped).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCHEMA_ID = "ota-hil/compliance"
SCHEMA_VERSION = 1

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_STR_LIST: dict[str, Any] = {"type": "array", "items": _STR}


def _obj(props: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "required": sorted(k for k in props if k not in optional),
        "properties": props,
        "additionalProperties": False,
    }


ITEM_SCHEMA = _obj(
    {
        "number": {"type": "integer", "minimum": 1},
        "title": _STR,
        "expected": _STR,
        "scenarios": _STR_LIST,
        "ready": {"type": "boolean"},
    }
)

CELL_SCHEMA = _obj(
    {
        "item": {"type": "integer", "minimum": 1},
        "platform": _STR,
        "status": {"enum": ["pass", "fail", "not-run", "not-provable"]},
        "cases": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "reason": _STR,
    },
    optional=("reason",),
)

CASE_SCHEMA = _obj(
    {
        "item": {"type": "integer", "minimum": 1},
        "platform": _STR,
        "engine": _STR,
        "scenario": _STR,
        "passed": {"type": "boolean"},
        "reasons": _STR_LIST,
        "evidence_path": {"type": ["string", "null"]},
        "replay": {"type": ["string", "null"]},
        "duration_instructions": {"type": ["integer", "null"], "minimum": 0},
        "attachments": {"type": "object", "additionalProperties": _STR},
        "steps": _STR_LIST,
    },
    optional=("steps",),
)

TOTALS_SCHEMA = _obj(
    {
        k: {"type": "integer", "minimum": 0}
        for k in (
            "cells",
            "pass",
            "fail",
            "not_run",
            "not_provable",
            "cases",
            "cases_passed",
            "cases_failed",
        )
    },
    optional=("not_provable",),
)

MUTANT_SCHEMA = _obj(
    {
        "flag": _STR,
        "item": {"type": "integer", "minimum": 1},
        "platform": _STR,
        "class": _STR,
        "bug": _STR,
        "ran": _STR_LIST,
        "caught_by": _STR_LIST,
        "caught": {"type": "boolean"},
    }
)

_CP = _obj(
    {"caught": {"type": "integer", "minimum": 0}, "planted": {"type": "integer", "minimum": 0}}
)

MUTATION_SCHEMA = _obj(
    {
        "score": _obj(
            {
                "caught": {"type": "integer", "minimum": 0},
                "planted": {"type": "integer", "minimum": 0},
                "per_item": {"type": "object", "additionalProperties": _CP},
            }
        ),
        "mutants": {"type": "array", "items": MUTANT_SCHEMA},
    }
)

COMPLIANCE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "ota-hil compliance summary",
    **_obj(
        {
            "schema": {"const": SCHEMA_ID},
            "schema_version": {"const": SCHEMA_VERSION},
            "generated": {"type": ["string", "null"]},
            "verdict": {"enum": ["pass", "fail", "incomplete"]},
            "platforms": _STR_LIST,
            "items": {"type": "array", "items": ITEM_SCHEMA},
            "cells": {"type": "array", "items": CELL_SCHEMA},
            "cases": {"type": "array", "items": CASE_SCHEMA},
            "totals": TOTALS_SCHEMA,
            "profiles": {"type": "object"},
            "mutation": MUTATION_SCHEMA,
        },
        optional=("profiles", "mutation"),
    ),
}

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _is_type(value: object, name: str) -> bool:
    if name in ("integer",) and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def _check(value: object, schema: Mapping[str, Any], where: str, out: list[str]) -> None:
    if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
        out.append(f"{where}: expected {schema['const']!r}, got {value!r}")
        return
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: {value!r} is not one of {schema['enum']}")
        return
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, t) for t in types):
            out.append(f"{where}: expected {' or '.join(types)}, got {type(value).__name__}")
            return
    if "minimum" in schema and _is_type(value, "integer"):
        assert isinstance(value, int)
        if value < schema["minimum"]:
            out.append(f"{where}: {value} is below the minimum {schema['minimum']}")
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                out.append(f"{where}: missing key '{key}'")
        props: Mapping[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, sub in value.items():
            if key in props:
                _check(sub, props[key], f"{where}.{key}", out)
            elif extra is False:
                out.append(f"{where}: unexpected key '{key}'")
            elif isinstance(extra, Mapping):
                _check(sub, extra, f"{where}.{key}", out)
    if isinstance(value, list) and "items" in schema:
        for i, sub in enumerate(value):
            _check(sub, schema["items"], f"{where}[{i}]", out)


def _semantics(doc: Mapping[str, Any], out: list[str]) -> None:
    cases: list[Mapping[str, Any]] = doc["cases"]
    cells: list[Mapping[str, Any]] = doc["cells"]
    counts = {"pass": 0, "fail": 0, "not-run": 0, "not-provable": 0}
    for i, cell in enumerate(cells):
        where = f"$.cells[{i}]"
        idx: list[int] = cell["cases"]
        if any(j >= len(cases) for j in idx):
            out.append(f"{where}: case index out of range")
            continue
        for j in idx:
            if (cases[j]["item"], cases[j]["platform"]) != (cell["item"], cell["platform"]):
                out.append(f"{where}: case {j} belongs to another cell")
        want = (
            "not-run" if not idx else ("pass" if all(cases[j]["passed"] for j in idx) else "fail")
        )
        if not idx and cell["status"] == "not-provable":
            want = "not-provable"  # never a pass: a cell without cases the profile cannot prove
            if not cell.get("reason"):
                out.append(f"{where}: a not-provable cell needs its reason")
        if cell["status"] != want:
            out.append(f"{where}: status {cell['status']!r} but its cases say {want!r}")
        if cell["status"] in counts:
            counts[cell["status"]] += 1
    if len(cells) != len(doc["items"]) * len(doc["platforms"]):
        out.append("$.cells: expected one cell per item x platform")
    totals = doc["totals"]
    passed = sum(1 for c in cases if c["passed"])
    want_totals = {
        "cells": len(cells),
        "pass": counts["pass"],
        "fail": counts["fail"],
        "not_run": counts["not-run"],
        "cases": len(cases),
        "cases_passed": passed,
        "cases_failed": len(cases) - passed,
    }
    if "not_provable" in totals or counts["not-provable"]:
        want_totals["not_provable"] = counts["not-provable"]
    for key, want_n in want_totals.items():
        if totals.get(key) != want_n:
            out.append(f"$.totals.{key}: {totals.get(key)!r} but the document has {want_n}")
    verdict = "fail" if counts["fail"] else ("incomplete" if counts["not-run"] else "pass")
    if doc["verdict"] != verdict:
        out.append(f"$.verdict: {doc['verdict']!r} but the cells say {verdict!r}")


def validate(doc: object) -> list[str]:
    """Problems with a parsed ``compliance.json`` (empty list: the document is valid)."""
    out: list[str] = []
    _check(doc, COMPLIANCE_SCHEMA, "$", out)
    if not out and isinstance(doc, dict):
        _semantics(doc, out)
    return out
