"""The compliance summary: cell rules, the compliance.json schema, and its four renderings."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hil.matrix.items import ITEMS
from hil.report import CaseResult, ComplianceSummary, Status, validate
from hil.report.compliance import HTML_NAME, JSON_NAME, JUNIT_NAME, MARKDOWN_NAME

PLATFORMS = ["stm32u585", "lpc55s69"]
HOSTILE = '<script>alert("x")</script> & </td>'


def case(
    item: int, platform: str, passed: bool = True, scenario: str = "s", **kw: object
) -> CaseResult:
    args: dict[str, object] = {
        "engine": "unicorn",
        "reasons": ["ok: fine"] if passed else ["ok: part", f"FAIL: broken {HOSTILE}"],
        "evidence_path": f"evidence/{platform}/item{item}.log",
        "replay": f"hil replay --platform {platform} --item {item}",
        "duration_instructions": 1234,
    }
    args.update(kw)
    return CaseResult(item, platform, scenario=scenario, passed=passed, **args)  # type: ignore[arg-type]


def sample() -> ComplianceSummary:
    cases = [
        case(1, "stm32u585"),
        case(1, "lpc55s69"),
        case(3, "stm32u585", scenario="a"),
        case(3, "stm32u585", passed=False, scenario="b"),
        case(6, "lpc55s69", engine="renode", attachments={"timeline": "t/6.html"}),
    ]
    return ComplianceSummary(cases, ITEMS, PLATFORMS, generated="run-42")


def test_cells_pass_fail_and_not_run() -> None:
    s = sample()
    assert s.cell(1, "stm32u585").status is Status.PASS
    assert s.cell(3, "stm32u585").status is Status.FAIL  # one of two cases fails
    assert len(s.cell(3, "stm32u585").cases) == 2
    assert len(s.cells) == len(ITEMS) * len(PLATFORMS)
    assert s.verdict == "fail"


def test_not_run_cell_is_not_a_pass() -> None:
    s = ComplianceSummary([case(1, "stm32u585")], ITEMS[:2], ["stm32u585"])
    assert s.cell(1, "stm32u585").status is Status.PASS
    assert s.cell(2, "stm32u585").status is Status.NOT_RUN
    assert not s.passed and s.verdict == "incomplete"
    # a platform named but with no cases at all is all not-run
    s2 = ComplianceSummary([case(1, "stm32u585")], ITEMS[:1], ["stm32u585", "lpc55s69"])
    assert s2.cell(1, "lpc55s69").status is Status.NOT_RUN and not s2.passed
    only = ComplianceSummary([case(1, "stm32u585")], ITEMS[:1], ["stm32u585"])
    assert only.passed and only.verdict == "pass"
    doc = s.to_dict()
    assert doc["totals"]["not_run"] == 1 and doc["verdict"] == "incomplete"


def test_unknown_item_rejected() -> None:
    with pytest.raises(ValueError):
        ComplianceSummary([case(99, "stm32u585")], ITEMS)


def test_json_round_trip_and_schema(tmp_path: Path) -> None:
    s = sample()
    path = s.write_json(tmp_path / JSON_NAME)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert validate(doc) == []
    assert doc["schema"] == "ota-hil/compliance" and doc["schema_version"] == 1
    assert list(doc) == sorted(doc)
    again = ComplianceSummary.from_dict(doc)
    assert again.to_dict() == doc
    assert again.to_json() == path.read_text(encoding="utf-8")


def test_schema_rejects_broken_documents() -> None:
    doc = sample().to_dict()
    assert validate(doc) == []
    bad = copy.deepcopy(doc)
    bad["cells"][0]["status"] = "pass" if bad["cells"][0]["status"] != "pass" else "fail"
    assert any("status" in p for p in validate(bad))
    bad = copy.deepcopy(doc)
    del bad["cases"][0]["replay"]
    assert any("missing key 'replay'" in p for p in validate(bad))
    bad = copy.deepcopy(doc)
    bad["schema_version"] = 2
    assert validate(bad)
    bad = copy.deepcopy(doc)
    bad["cases"][0]["passed"] = 1
    assert validate(bad)
    bad = copy.deepcopy(doc)
    bad["verdict"] = "pass"
    assert any("verdict" in p for p in validate(bad))
    bad = copy.deepcopy(doc)
    bad["extra"] = True
    assert any("unexpected key" in p for p in validate(bad))
    assert validate([]) != []


def test_evidence_links_relative_to_report_dir(tmp_path: Path) -> None:
    ev = tmp_path / "runs" / "a" / "evidence.log"
    s = ComplianceSummary([case(1, "stm32u585", evidence_path=str(ev))], ITEMS[:1])
    paths = s.write_all(tmp_path / "report")
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert doc["cases"][0]["evidence_path"] == "../runs/a/evidence.log"
    assert 'href="../runs/a/evidence.log"' in paths["html"].read_text(encoding="utf-8")


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    hostile = case(
        2, "stm32u585", passed=False, evidence_path='javascript:alert(1)"><x', replay=HOSTILE
    )
    s = ComplianceSummary([hostile], ITEMS, [HOSTILE])
    text = s.write_html(tmp_path / HTML_NAME).read_text(encoding="utf-8")
    assert "<script" not in text
    assert "&lt;script&gt;" in text
    assert 'href="./javascript%3Aalert' in text and '"><x' not in text
    assert 'href="javascript' not in text
    assert "http://" not in text and "https://" not in text and "<link" not in text
    assert "src=" not in text
    md = s.write_markdown(tmp_path / MARKDOWN_NAME).read_text(encoding="utf-8")
    # the replay command is verbatim, inside a code span (inert); everything else is escaped
    assert md.count("<script") == 1 and f"- replay: `{HOSTILE}`" in md
    assert "FAIL: broken &lt;script&gt;" in md


def test_markdown_code_span_survives_backticks() -> None:
    s = ComplianceSummary([case(1, "p", replay="echo `id` x")], ITEMS[:1])
    assert "- replay: ``echo `id` x``" in s.to_markdown()


def test_junit_counts(tmp_path: Path) -> None:
    s = sample()
    root = ET.parse(s.write_junit(tmp_path / JUNIT_NAME)).getroot()
    assert root.tag == "testsuites"
    suites = {ts.get("name"): ts for ts in root.findall("testsuite")}
    assert set(suites) == set(PLATFORMS)
    stm = suites["stm32u585"]
    # 3 cases on stm32u585 (items 1, 3a, 3b), 13 not-run cells (15 items - items 1 and 3)
    assert len(stm.findall("testcase")) == int(stm.get("tests", "")) == 3 + 13
    assert int(stm.get("failures", "")) == len(stm.findall("testcase/failure")) == 1
    assert int(stm.get("skipped", "")) == len(stm.findall("testcase/skipped")) == 13
    failure = stm.find("testcase/failure")
    assert failure is not None and HOSTILE in (failure.text or "")
    assert "FAIL: broken" in failure.get("message", "")
    total = sum(int(ts.get("tests", "")) for ts in suites.values())
    assert int(root.get("tests", "")) == total == len(s.cases) + s.count(Status.NOT_RUN)
    allowed = {"testsuites", "testsuite", "testcase", "failure", "skipped", "system-out"}
    assert {el.tag for el in root.iter()} <= allowed


def test_output_is_deterministic(tmp_path: Path) -> None:
    first = sample().write_all(tmp_path / "one")
    # the same cases in another order give the same files
    cases = list(reversed(sample().cases))
    second = ComplianceSummary(cases, ITEMS, PLATFORMS, generated="run-42").write_all(
        tmp_path / "two"
    )
    assert set(first) == {"json", "markdown", "html", "junit"}
    for kind, path in first.items():
        assert path.read_bytes() == second[kind].read_bytes(), kind
    third = sample().write_all(tmp_path / "one")
    assert [p.read_bytes() for p in third.values()] == [p.read_bytes() for p in second.values()]
    assert "run-42" in first["json"].read_text(encoding="utf-8")
    undated = ComplianceSummary(sample().cases, ITEMS, PLATFORMS).to_json()
    assert '"generated": null' in undated


def test_mutation_score_section_round_trips_and_names_escapes(tmp_path: Path) -> None:
    from hil.report.mutation import MutantResult

    mutants = [
        MutantResult("MUT_A", 1, "stm32u585", "baseline", "bug a", ("x", "y"), ("y",)),
        MutantResult("MUT_B", 1, "stm32u585", "at-rest", f"bug {HOSTILE}", ("x",), ()),
        MutantResult("MUT_C", 3, "lpc55s69", "geometry", "bug c", ("z",), ("z",)),
    ]
    s = ComplianceSummary(sample().cases, ITEMS, PLATFORMS, generated="run-42", mutants=mutants)
    written = s.write_all(tmp_path)
    doc = json.loads(written["json"].read_text(encoding="utf-8"))
    assert validate(doc) == []
    assert doc["mutation"]["score"]["caught"] == 2 and doc["mutation"]["score"]["planted"] == 3
    assert doc["mutation"]["score"]["per_item"]["1"] == {"caught": 1, "planted": 2}
    assert ComplianceSummary.from_dict(doc).to_dict() == doc
    md = written["markdown"].read_text(encoding="utf-8")
    assert "## Mutation score" in md and "**2/3**" in md and "**ESCAPED**" in md
    page = written["html"].read_text(encoding="utf-8")
    assert "Mutation score" in page and HOSTILE not in page
    # a summary without mutants writes no section (older readers stay valid)
    assert "mutation" not in sample().to_dict()
