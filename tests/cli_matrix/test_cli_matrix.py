"""``hil matrix``: runs the matrix cases, writes the compliance summary and per-case evidence,
exit codes for failures and bad input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hil.cli import main
from hil.errors import HilError
from hil.matrix.items import ITEMS
from hil.matrix.runner import CASES, QUICK_SLOT_STRIDE, cases_for, parse_items
from hil.report import validate
from hil.report.compliance import HTML_NAME, JSON_NAME, JUNIT_NAME, MARKDOWN_NAME

ROOT = Path(__file__).resolve().parents[2]
VALID = ", ".join(str(i.number) for i in ITEMS)


def test_item6_on_lpc55s69_passes_and_writes_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["matrix", "--platform", "lpc55s69", "--items", "6", "--report", str(tmp_path)])
    cap = capsys.readouterr()
    assert rc == 0, cap.out + cap.err

    doc = json.loads((tmp_path / JSON_NAME).read_text(encoding="utf-8"))
    assert validate(doc) == []
    assert doc["verdict"] == "pass"
    assert doc["platforms"] == ["lpc55s69"]
    assert [i["number"] for i in doc["items"]] == [6]
    cases6 = [c for c in CASES if c.item == 6]
    assert len(doc["cases"]) == len(cases6)
    assert all(c["passed"] and c["engine"] == "unicorn" for c in doc["cases"])

    for name in (MARKDOWN_NAME, HTML_NAME):
        assert "Package with a forged signature" in (tmp_path / name).read_text(encoding="utf-8")
    junit = ET.parse(tmp_path / JUNIT_NAME).getroot()
    assert junit.get("tests") == str(len(cases6)) and junit.get("failures") == "0"

    # per-case evidence, linked from compliance.json by report-relative paths
    for c in cases6:
        d = tmp_path / "evidence" / "lpc55s69" / c.dirname
        for f in ("console.log", "events.jsonl", "timeline.txt", "timeline.html"):
            assert (d / f).is_file() and (d / f).stat().st_size > 0, d / f
        assert "VERIFY_SIG" in (d / "timeline.txt").read_text(encoding="utf-8")
    for c in doc["cases"]:
        assert (tmp_path / c["evidence_path"]).is_file()
        assert set(c["attachments"]) >= {"console", "timeline", "timeline_html"}
        for rel in c["attachments"].values():
            assert not Path(rel).is_absolute() and (tmp_path / rel).is_file()
        assert c["replay"].startswith("hil matrix --platform lpc55s69 --items 6")

    # progress lines on stderr, the table and the verdict on stdout
    assert f"[1/{len(cases6)}] lpc55s69 item 6 forged-signature ... PASS" in cap.err
    assert "Package with a forged signature" in cap.out
    assert "verdict: PASS" in cap.out


@pytest.mark.parametrize("bad", ["99", "abc", "6,0", "3-20", ""])
def test_bad_items_exit_2_listing_the_valid_numbers(
    bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["matrix", "--items", bad, "--report", str(tmp_path)])
    assert rc == 2
    assert VALID in capsys.readouterr().err
    assert not (tmp_path / JSON_NAME).exists()


def test_unknown_platform_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["matrix", "--platform", "nope", "--items", "6", "--report", str(tmp_path)])
    assert rc == 2
    assert "nope" in capsys.readouterr().err


def test_a_sweep_item_runs_and_keeps_its_points(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["matrix", "--platform", "lpc55s69", "--items", "12", "--report", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0, out
    doc = json.loads((tmp_path / JSON_NAME).read_text(encoding="utf-8"))
    assert validate(doc) == []
    sweeps = [c for c in doc["cases"] if c["scenario"] == "meta-cut"]
    assert doc["verdict"] != "incomplete" and len(sweeps) == 1
    case_dir = tmp_path / "evidence" / "lpc55s69"
    points = list(case_dir.rglob("points.jsonl"))
    assert points and points[0].read_text().strip(), "the sweep's points were not kept"
    assert list(case_dir.rglob("record.json")), "no replay record for the shown point"


def test_parse_items() -> None:
    assert [i.number for i in parse_items(None)] == [i.number for i in ITEMS]
    assert [i.number for i in parse_items("all")] == [i.number for i in ITEMS]
    assert [i.number for i in parse_items("14, 3-5,1")] == [1, 3, 4, 5, 14]
    with pytest.raises(HilError, match="valid item numbers: " + VALID):
        parse_items("16")


def test_quick_runs_each_items_first_case_and_thins_the_sweep() -> None:
    full = cases_for(ITEMS)
    quick = cases_for(ITEMS, quick=True)
    assert [c.item for c in quick] == [it.number for it in ITEMS]
    for c in quick:
        first = next(f for f in full if f.item == c.item)
        assert (c.scenario, c.variant) == (first.scenario, first.variant)
        if c.scenario == "power-cut-sweep":
            assert first.params["slot_stride"] < c.params["slot_stride"] == QUICK_SLOT_STRIDE
        else:
            assert c == first


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--exhaustive"], "either --quick or --exhaustive"),
        (["--profile", str(ROOT / "profiles" / "swap-lpc55s69.yaml")], "judged by patterns"),
    ],
)
def test_quick_refuses_what_it_cannot_thin(
    extra: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["matrix", "--quick", *extra, "--report", str(tmp_path)])
    assert rc == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / JSON_NAME).exists()


def test_help_documents_the_not_run_items(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["matrix", "--help"])
    text = capsys.readouterr().out
    assert "Exit codes" in text and "every item runs" in text
