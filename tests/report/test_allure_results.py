"""Allure results from matrix cases without pytest: labels, status, steps, attachments,
determinism, and the optional ``steps`` of ``CaseResult`` in compliance.json."""

from __future__ import annotations

import json
import math
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from hil.matrix.items import ITEMS, item
from hil.report import CaseResult, ComplianceSummary, validate
from hil.report.allure_results import (
    INSTRUCTIONS_PER_MS,
    REPLAY_NAME,
    START_MS,
    attachment_type,
    history_id,
    result_uuid,
    write_allure_results,
)

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>\n'


def evidence(d: Path) -> dict[str, str]:
    """One case's evidence files, by role, as the runner and the fault tooling write them."""
    d.mkdir(parents=True, exist_ok=True)
    files = {
        "console": ("console.log", "BOOT slot=A build=1\n"),
        "timeline": ("timeline.txt", "0 BOOT\n1 CONFIRMED\n"),
        "timeline_html": ("timeline.html", "<!DOCTYPE html><p>timeline</p>\n"),
        "flashmap_before": ("flash-before.svg", SVG),
        "flashmap_after": ("flash-after.svg", SVG.replace("4", "8")),
        "fault_plan": ("plan.yaml", "cuts:\n  - at: flash_op\n    n: 3\n"),
        "replay_record": ("record.json", '{"case": "abc"}\n'),
    }
    out: dict[str, str] = {}
    for role, (name, text) in files.items():
        (d / name).write_text(text, encoding="utf-8")
        out[role] = str(d / name)
    (d / "events.jsonl").write_text('{"name": "BOOT"}\n', encoding="utf-8")
    return out


def make_case(
    d: Path, *, platform: str = "stm32u585", passed: bool = True, **kw: Any
) -> CaseResult:
    args: dict[str, Any] = {
        "item": 1,
        "platform": platform,
        "engine": "unicorn",
        "scenario": "normal-update",
        "passed": passed,
        "reasons": ["ok: CONFIRMED", "note: two devices"]
        if passed
        else ["ok: downloaded", "FAIL: no CONFIRMED after BOOT_TEST", "note: slow"],
        "evidence_path": str(d / "events.jsonl"),
        "replay": f"hil matrix --platform {platform} --items 1 --engine unicorn --seed 1",
        "duration_instructions": 1_234_567,
        "attachments": evidence(d),
    }
    args.update(kw)
    return CaseResult(**args)


def results(d: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(d.glob("*-result.json"))]


def labels(r: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for lb in r["labels"]:
        out.setdefault(lb["name"], []).append(lb["value"])
    return out


def test_labels_identity_and_parameters(tmp_path: Path) -> None:
    c = make_case(tmp_path / "ev")
    files = write_allure_results([c], tmp_path / "allure-results", seed=7, items=ITEMS)
    assert len(files) == 1 and files[0].name == f"{result_uuid(c, 7)}-result.json"
    (r,) = results(tmp_path / "allure-results")
    feature = f"item 1: {item(1).title}"
    assert labels(r) == {
        "epic": ["stm32u585"],
        "feature": [feature],
        "story": ["normal-update"],
        "parentSuite": ["stm32u585"],
        "suite": [feature],
        "subSuite": ["normal-update"],
        "tag": ["unicorn"],
        "framework": ["ota-hil"],
    }
    assert r["status"] == "passed" and "statusDetails" not in r
    assert r["name"] == c.name
    assert r["historyId"] == r["testCaseId"] == history_id(c)
    params = {p["name"]: p for p in r["parameters"]}
    assert params["platform"]["value"] == "stm32u585"
    assert params["engine"]["value"] == "unicorn"
    assert params["seed"] == {"name": "seed", "value": "7", "excluded": True}
    # no wall clock: a fixed start, the duration from the emulated instruction count
    assert r["start"] == START_MS
    assert r["stop"] - r["start"] == math.ceil(1_234_567 / INSTRUCTIONS_PER_MS)


def test_history_id_is_the_case_identity_not_the_run(tmp_path: Path) -> None:
    a = make_case(tmp_path / "a")
    b = make_case(tmp_path / "b", platform="lpc55s69")
    c = make_case(tmp_path / "c", engine="renode")
    a2 = make_case(tmp_path / "a2", passed=False, duration_instructions=5)
    assert history_id(a) == history_id(a2)  # same platform+item+scenario+engine
    assert len({history_id(a), history_id(b), history_id(c)}) == 3
    assert result_uuid(a, 1) != result_uuid(a, 2)  # a different seed is a different result
    assert result_uuid(a, 1) == result_uuid(a2, 1)
    with pytest.raises(ValueError, match="same identity"):
        write_allure_results([a, a2], tmp_path / "out", items=ITEMS)


def test_failed_case_has_status_details_and_failed_steps(tmp_path: Path) -> None:
    c = make_case(tmp_path / "ev", passed=False)
    write_allure_results([c], tmp_path / "out", items=ITEMS)
    (r,) = results(tmp_path / "out")
    assert r["status"] == "failed"
    assert r["statusDetails"]["message"] == "FAIL: no CONFIRMED after BOOT_TEST"
    assert r["statusDetails"]["trace"] == "\n".join(c.reasons)
    assert [(s["name"], s["status"]) for s in r["steps"]] == [
        ("ok: downloaded", "passed"),
        ("FAIL: no CONFIRMED after BOOT_TEST", "failed"),
        ("note: slow", "passed"),
    ]


def test_explicit_steps_come_first_then_the_judgement(tmp_path: Path) -> None:
    c = make_case(
        tmp_path / "ev",
        passed=False,
        steps=("provision build 1", "upload build 2", "FAIL: reset hung"),
        reasons=["FAIL: scenario stopped"],
    )
    write_allure_results([c], tmp_path / "out", items=ITEMS)
    (r,) = results(tmp_path / "out")
    assert [(s["name"], s["status"]) for s in r["steps"]] == [
        ("provision build 1", "passed"),
        ("upload build 2", "passed"),
        ("FAIL: reset hung", "failed"),
        ("FAIL: scenario stopped", "failed"),
    ]
    assert all(s["stage"] == "finished" for s in r["steps"])


def test_every_attachment_is_copied_with_its_mime_type(tmp_path: Path) -> None:
    c = make_case(tmp_path / "ev")
    out = tmp_path / "out"
    write_allure_results([c], out, items=ITEMS)
    (r,) = results(out)
    by_name = {a["name"]: a for a in r["attachments"]}
    want = {
        "evidence log (events.jsonl)": ("text/plain", tmp_path / "ev" / "events.jsonl"),
        "console (console.log)": ("text/plain", tmp_path / "ev" / "console.log"),
        "timeline (timeline.txt)": ("text/plain", tmp_path / "ev" / "timeline.txt"),
        "timeline_html (timeline.html)": ("text/html", tmp_path / "ev" / "timeline.html"),
        "flashmap_before (flash-before.svg)": (
            "image/svg+xml",
            tmp_path / "ev" / "flash-before.svg",
        ),
        "flashmap_after (flash-after.svg)": ("image/svg+xml", tmp_path / "ev" / "flash-after.svg"),
        "fault_plan (plan.yaml)": ("application/yaml", tmp_path / "ev" / "plan.yaml"),
        "replay_record (record.json)": ("application/json", tmp_path / "ev" / "record.json"),
    }
    assert set(by_name) == set(want) | {REPLAY_NAME}
    for name, (mime, src) in want.items():
        a = by_name[name]
        assert a["type"] == mime, name
        assert (out / a["source"]).read_bytes() == src.read_bytes(), name
        assert a["source"].endswith("-attachment." + attachment_type("", src).extension)
    replay = by_name[REPLAY_NAME]
    assert replay["type"] == "text/plain"
    assert (out / replay["source"]).read_text(encoding="utf-8") == c.replay + "\n"
    # the evidence log first, the replay command last
    assert r["attachments"][0]["name"].startswith("evidence log")
    assert r["attachments"][-1]["name"] == REPLAY_NAME


def test_a_file_listed_twice_is_attached_once(tmp_path: Path) -> None:
    c = make_case(tmp_path / "ev")
    points = str(tmp_path / "ev" / "events.jsonl")
    c = make_case(tmp_path / "ev", attachments={**c.attachments, "sweep_points": points})
    write_allure_results([c], tmp_path / "out", items=ITEMS)
    (r,) = results(tmp_path / "out")
    names = [a["name"] for a in r["attachments"]]
    assert "evidence log (events.jsonl)" in names
    assert not any(n.startswith("sweep_points") for n in names)
    assert len(names) == len(set(names)) == 9


def test_attachment_types_by_suffix_then_role() -> None:
    assert attachment_type("fault_plan", "p.json").mime_type == "application/json"
    assert attachment_type("fault_plan", "p.yml").mime_type == "application/yaml"
    assert attachment_type("fault_plan", "plan").mime_type == "application/yaml"
    assert attachment_type("flashmap_after", "map").mime_type == "image/svg+xml"
    assert attachment_type("replay_record", "rec").mime_type == "application/json"
    assert attachment_type("timeline_html", "t").mime_type == "text/html"
    assert attachment_type("console_device1", "c").mime_type == "text/plain"
    assert attachment_type("anything", "x.bin").mime_type == "text/plain"


def test_relative_paths_resolve_against_base_and_missing_files_say_so(tmp_path: Path) -> None:
    ev = evidence(tmp_path / "report" / "evidence" / "c1")
    rel = {k: str(Path(v).relative_to(tmp_path / "report")) for k, v in ev.items()}
    rel["flashmap_after"] = "evidence/c1/nowhere.svg"
    c = CaseResult(
        1, "lpc55s69", "unicorn", "normal-update", True, ["ok: x"], None, None, None, rel
    )
    write_allure_results([c], tmp_path / "out", base=tmp_path / "report", items=ITEMS)
    (r,) = results(tmp_path / "out")
    by_name = {a["name"]: a for a in r["attachments"]}
    assert "console (console.log)" in by_name
    missing = by_name["flashmap_after (missing)"]
    assert missing["type"] == "text/plain"
    text = (tmp_path / "out" / missing["source"]).read_text(encoding="utf-8")
    assert "no such file: evidence/c1/nowhere.svg" in text
    # no instruction count: a zero-length case, not a clock reading
    assert r["start"] == r["stop"] == START_MS


def test_same_cases_give_byte_identical_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [
        make_case(tmp_path / "ev1"),
        make_case(tmp_path / "ev2", platform="lpc55s69", passed=False),
        make_case(tmp_path / "ev3", scenario="rescue-strap", item=5, steps=("hold strap",)),
    ]
    write_allure_results(cases, tmp_path / "run1", seed=3, items=ITEMS)

    def no(*_: object) -> None:
        raise AssertionError("the writer must not use the clock or random uuids")

    monkeypatch.setattr(uuid, "uuid4", no)
    monkeypatch.setattr(time, "time", no)
    write_allure_results(list(reversed(cases)), tmp_path / "run2", seed=3, items=ITEMS)

    def tree(d: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(d.iterdir())}

    one, two = tree(tmp_path / "run1"), tree(tmp_path / "run2")
    assert one == two
    assert sum(n.endswith("-result.json") for n in one) == 3
    assert not any(n.endswith(".tmp") for n in one)


def test_clean_empties_the_folder_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale-result.json").write_text("{}", encoding="utf-8")
    write_allure_results([make_case(tmp_path / "ev")], out, items=ITEMS)
    assert not (out / "stale-result.json").exists()
    assert len(results(out)) == 1


# -- CaseResult.steps in compliance.json ------------------------------------------------------


def test_steps_are_optional_in_compliance_json(tmp_path: Path) -> None:
    plain = make_case(tmp_path / "a")
    stepped = make_case(tmp_path / "b", platform="lpc55s69", steps=("boot", "update"))
    doc = ComplianceSummary([plain, stepped], ITEMS, platforms=["stm32u585", "lpc55s69"]).to_dict()
    assert validate(doc) == []
    by_platform = {c["platform"]: c for c in doc["cases"]}
    assert "steps" not in by_platform["stm32u585"]  # unchanged output for cases without steps
    assert by_platform["lpc55s69"]["steps"] == ["boot", "update"]
    again = ComplianceSummary.from_dict(json.loads(json.dumps(doc)))
    assert {c.platform: c.steps for c in again.cases} == {
        "stm32u585": (),
        "lpc55s69": ("boot", "update"),
    }
    bad = json.loads(json.dumps(doc))
    bad["cases"][0]["steps"] = ["ok", 3]
    assert any("steps[1]" in p for p in validate(bad))
