"""The compliance summary: matrix items x platforms, pass / fail / not-run, links to evidence.

``ComplianceSummary`` is built from the test cases that ran (``CaseResult``) and the item
metadata it is given as data (``ReportItem``: the matrix item table, or the items of a parsed
``compliance.json``; the report never imports the matrix). An item x platform cell passes only
if it has at least one case and all of its cases pass; a cell without a case is *not run*,
which is never a pass. The summary is written as
``compliance.json`` (schema: ``hil.report.compliance_schema``), Markdown, a self-contained HTML
page and JUnit XML. Every output is deterministic: the same cases give byte-identical files.
"""

from __future__ import annotations

import html
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import quote

from hil.report import mutation
from hil.report.compliance_schema import SCHEMA_ID, SCHEMA_VERSION
from hil.report.mutation import MutantResult

JSON_NAME = "compliance.json"
MARKDOWN_NAME = "compliance.md"
HTML_NAME = "compliance.html"
JUNIT_NAME = "junit.xml"


class ReportItem(Protocol):
    """What the report needs to know about a matrix item (``hil.matrix.items.MatrixItem``)."""

    @property
    def number(self) -> int: ...

    @property
    def title(self) -> str: ...

    @property
    def expected(self) -> str: ...

    @property
    def evidence(self) -> str: ...

    @property
    def scenarios(self) -> tuple[str, ...]: ...

    @property
    def ready(self) -> bool: ...


@dataclass(frozen=True)
class ItemInfo:
    """Item metadata as a report document carries it (``ComplianceSummary.from_dict``)."""

    number: int
    title: str
    expected: str
    scenarios: tuple[str, ...]
    ready: bool
    evidence: str = ""


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_RUN = "not-run"
    NOT_PROVABLE = "not-provable"  # the profile's evidence routes cannot prove the item


@dataclass(frozen=True)
class CaseResult:
    """One test case: a scenario run for a matrix item on one platform and engine."""

    item: int
    platform: str
    engine: str
    scenario: str
    passed: bool
    reasons: list[str]
    evidence_path: str | None  # the device's evidence log
    replay: str | None  # the one command that replays the case
    duration_instructions: int | None
    # further evidence by role (timeline, flashmap_before, flashmap_after, fault_plan, ...)
    attachments: Mapping[str, str] = field(default_factory=dict)
    # what the case did, in order (e.g. "provision build 1", "upload build 2", "reset"); a step
    # starting with "FAIL:" is one that went wrong. Optional: empty when the runner keeps none.
    steps: tuple[str, ...] = ()

    @property
    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.platform, self.item, self.scenario, self.engine)

    @property
    def name(self) -> str:
        return f"item{self.item:02d}-{self.scenario}[{self.platform}-{self.engine}]"


@dataclass(frozen=True)
class Cell:
    item: int
    platform: str
    status: Status
    cases: tuple[int, ...]  # indices into ComplianceSummary.cases


def _link(path: str, base: Path | None) -> str:
    """A POSIX path to ``path`` relative to the report directory ``base``.

    Absolute paths are made relative to ``base``; relative ones are taken as already relative
    to the report directory.
    """
    if base is not None and os.path.isabs(path):
        path = os.path.relpath(path, base)
    return PurePosixPath(*Path(path).parts).as_posix() if path else path


class ComplianceSummary:
    def __init__(
        self,
        cases: Iterable[CaseResult],
        items: Sequence[ReportItem],
        platforms: Sequence[str] | None = None,
        generated: str | None = None,
        not_provable: Mapping[tuple[int, str], str] | None = None,
        profiles: Mapping[str, Mapping[str, Any]] | None = None,
        mutants: Sequence[MutantResult] = (),
    ) -> None:
        # (item, platform) -> why the profile's routes cannot prove it; such a cell has no case
        self.not_provable: dict[tuple[int, str], str] = dict(not_provable or {})
        # platform -> the profile it ran (name, file, sha256, firmware hashes)
        self.profiles: dict[str, Mapping[str, Any]] = dict(profiles or {})
        # the mutation-score section (hil matrix --mutants); empty: no section is written
        self.mutants: tuple[MutantResult, ...] = tuple(mutants)
        self.cases: tuple[CaseResult, ...] = tuple(sorted(cases, key=lambda c: c.sort_key))
        self.items: tuple[ReportItem, ...] = tuple(sorted(items, key=lambda i: i.number))
        known = {i.number for i in self.items}
        stray = sorted({c.item for c in self.cases} - known)
        if stray:
            raise ValueError(f"cases for unknown matrix items: {stray}")
        names = list(platforms) if platforms is not None else []
        names += sorted({c.platform for c in self.cases} - set(names))
        self.platforms: tuple[str, ...] = tuple(names)
        self.generated = generated
        self.cells: tuple[Cell, ...] = tuple(
            self._cell(it.number, p) for it in self.items for p in self.platforms
        )

    def _cell(self, item: int, platform: str) -> Cell:
        idx = tuple(
            i for i, c in enumerate(self.cases) if c.item == item and c.platform == platform
        )
        if not idx and (item, platform) in self.not_provable:
            status = Status.NOT_PROVABLE
        elif not idx:
            status = Status.NOT_RUN
        elif all(self.cases[i].passed for i in idx):
            status = Status.PASS
        else:
            status = Status.FAIL
        return Cell(item, platform, status, idx)

    # -- queries ----------------------------------------------------------------------------------
    def cell(self, item: int, platform: str) -> Cell:
        for c in self.cells:
            if (c.item, c.platform) == (item, platform):
                return c
        raise KeyError((item, platform))

    def count(self, status: Status) -> int:
        return sum(1 for c in self.cells if c.status is status)

    @property
    def verdict(self) -> str:
        if self.count(Status.FAIL):
            return "fail"
        return "incomplete" if self.count(Status.NOT_RUN) else "pass"

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def totals(self) -> dict[str, int]:
        n_passed = sum(1 for c in self.cases if c.passed)
        return {
            "cells": len(self.cells),
            "pass": self.count(Status.PASS),
            "fail": self.count(Status.FAIL),
            "not_run": self.count(Status.NOT_RUN),
            "not_provable": self.count(Status.NOT_PROVABLE),
            "cases": len(self.cases),
            "cases_passed": n_passed,
            "cases_failed": len(self.cases) - n_passed,
        }

    # -- JSON -------------------------------------------------------------------------------------
    def to_dict(self, base: Path | None = None) -> dict[str, Any]:
        return {
            "schema": SCHEMA_ID,
            "schema_version": SCHEMA_VERSION,
            "generated": self.generated,
            "verdict": self.verdict,
            "platforms": list(self.platforms),
            "items": [
                {
                    "number": it.number,
                    "title": it.title,
                    "expected": it.expected,
                    "scenarios": list(it.scenarios),
                    "ready": it.ready,
                }
                for it in self.items
            ],
            "cells": [
                {
                    "item": c.item,
                    "platform": c.platform,
                    "status": str(c.status),
                    "cases": list(c.cases),
                    **(
                        {"reason": self.not_provable[(c.item, c.platform)]}
                        if c.status is Status.NOT_PROVABLE
                        else {}
                    ),
                }
                for c in self.cells
            ],
            "cases": [
                {
                    "item": c.item,
                    "platform": c.platform,
                    "engine": c.engine,
                    "scenario": c.scenario,
                    "passed": c.passed,
                    "reasons": list(c.reasons),
                    "evidence_path": None
                    if c.evidence_path is None
                    else _link(c.evidence_path, base),
                    "replay": c.replay,
                    "duration_instructions": c.duration_instructions,
                    "attachments": {k: _link(v, base) for k, v in sorted(c.attachments.items())},
                    # optional key: written only when the case has steps (older readers and
                    # older files stay valid)
                    **({"steps": list(c.steps)} if c.steps else {}),
                }
                for c in self.cases
            ],
            "totals": self.totals(),
            **(
                {"profiles": {k: dict(v) for k, v in self.profiles.items()}}
                if self.profiles
                else {}
            ),
            # optional key: written only when mutants ran (older files stay valid)
            **({"mutation": mutation.to_dict(self.mutants)} if self.mutants else {}),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ComplianceSummary:
        """Rebuild a summary from a parsed ``compliance.json`` (items from the document)."""
        items = [
            ItemInfo(
                i["number"], i["title"], i["expected"], tuple(i["scenarios"]), bool(i["ready"])
            )
            for i in doc["items"]
        ]
        cases = [
            CaseResult(
                c["item"],
                c["platform"],
                c["engine"],
                c["scenario"],
                c["passed"],
                list(c["reasons"]),
                c["evidence_path"],
                c["replay"],
                c["duration_instructions"],
                dict(c["attachments"]),
                tuple(c.get("steps", ())),
            )
            for c in doc["cases"]
        ]
        not_provable = {
            (c["item"], c["platform"]): c.get("reason", "")
            for c in doc["cells"]
            if c["status"] == Status.NOT_PROVABLE.value
        }
        mutants = mutation.from_dict(doc["mutation"]) if "mutation" in doc else []
        return cls(
            cases,
            items,
            doc["platforms"],
            doc["generated"],
            not_provable,
            doc.get("profiles"),
            mutants,
        )

    def to_json(self, base: Path | None = None) -> str:
        return json.dumps(self.to_dict(base), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def write_json(self, path: str | os.PathLike[str]) -> Path:
        p = Path(path)
        return _write(p, self.to_json(p.parent.resolve()))

    # -- Markdown ---------------------------------------------------------------------------------
    def to_markdown(self, base: Path | None = None) -> str:
        mark = {
            Status.PASS: "PASS",
            Status.FAIL: "**FAIL**",
            Status.NOT_RUN: "not run",
            Status.NOT_PROVABLE: "NOT PROVABLE",
        }
        t = self.totals()
        lines = [
            "# OTA compliance summary",
            "",
            f"Verdict: **{self.verdict.upper()}**: {t['pass']} pass, {t['fail']} fail, "
            f"{t['not_run']} not run of {t['cells']} cells; {t['cases']} cases.",
        ]
        if self.generated is not None:
            lines.append(f"Generated: {_md(self.generated)}")
        lines += ["", "| # | Item | " + " | ".join(_md(p) for p in self.platforms) + " |"]
        lines.append("|---|---|" + "---|" * len(self.platforms))
        for it in self.items:
            row = [mark[self.cell(it.number, p).status] for p in self.platforms]
            lines.append(f"| {it.number} | {_md(it.title)} | " + " | ".join(row) + " |")
        if self.not_provable:
            lines += ["", "## Not provable with the profile", ""]
            for (item, platform), why in sorted(self.not_provable.items()):
                lines.append(f"- item {item} on {_md(platform)}: {_md(why)}")
        if self.profiles:
            lines += ["", "## Profiles", ""]
            for platform, ident in sorted(self.profiles.items()):
                lines.append(f"- {_md(platform)}: {_md(str(ident.get('file')))} "
                             f"(sha256 {_md(str(ident.get('sha256')))[:16]})")  # fmt: skip
                for f, h in sorted(dict(ident.get("firmware", {})).items()):
                    lines.append(f"  - {_md(f)}: sha256 {h}")
        if self.mutants:
            lines += mutation.markdown(self.mutants, _md)
        lines += ["", "## Cases", ""]
        for c in self.cases:
            lines.append(f"### {'PASS' if c.passed else 'FAIL'} {_md(c.name)}")
            lines.append("")
            if c.evidence_path is not None:
                ev = _link(c.evidence_path, base)
                lines.append(f"- evidence: [{_md(ev)}](<{ev.replace('>', '%3E')}>)")
            for role, path in sorted(c.attachments.items()):
                a = _link(path, base)
                lines.append(f"- {_md(role)}: [{_md(a)}](<{a.replace('>', '%3E')}>)")
            if c.replay is not None:
                lines.append(f"- replay: {_code(c.replay)}")
            if c.duration_instructions is not None:
                lines.append(f"- instructions: {c.duration_instructions}")
            lines += [f"- step: {_md(st)}" for st in c.steps]
            lines += [f"- {_md(r)}" for r in c.reasons]
            lines.append("")
        return "\n".join(lines).rstrip("\n") + "\n"

    def write_markdown(self, path: str | os.PathLike[str]) -> Path:
        p = Path(path)
        return _write(p, self.to_markdown(p.parent.resolve()))

    # -- HTML -------------------------------------------------------------------------------------
    def to_html(self, base: Path | None = None) -> str:
        e = html.escape
        t = self.totals()
        out = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            "<title>OTA compliance summary</title>",
            f"<style>{_CSS}</style></head><body>",
            "<h1>OTA compliance summary</h1>",
            f'<p class="verdict {e(self.verdict)}">Verdict: {e(self.verdict.upper())}: '
            f"{t['pass']} pass, {t['fail']} fail, {t['not_run']} not run of {t['cells']} cells; "
            f"{t['cases']} cases.</p>",
        ]
        if self.generated is not None:
            out.append(f"<p>Generated: {e(self.generated)}</p>")
        out.append('<table class="matrix"><thead><tr><th>#</th><th>Item</th>')
        out += [f"<th>{e(p)}</th>" for p in self.platforms]
        out.append("</tr></thead><tbody>")
        for it in self.items:
            out.append(f"<tr><td>{it.number}</td><td>{e(it.title)}</td>")
            for p in self.platforms:
                cell = self.cell(it.number, p)
                label = {
                    "pass": "PASS",
                    "fail": "FAIL",
                    "not-run": "not run",
                    "not-provable": "NOT PROVABLE",
                }[cell.status]
                if cell.cases:
                    label = f'<a href="#case-{cell.cases[0]}">{label}</a>'
                out.append(f'<td class="{cell.status}">{label}</td>')
            out.append("</tr>")
        out.append("</tbody></table>")
        if self.mutants:
            out += mutation.html_lines(self.mutants)
        out.append("<h2>Cases</h2>")
        for i, c in enumerate(self.cases):
            status = "pass" if c.passed else "fail"
            out.append(f'<section id="case-{i}" class="case {status}">')
            out.append(f"<h3>{status.upper()} {e(c.name)}</h3><ul>")
            if c.evidence_path is not None:
                out.append(f"<li>evidence: {_a(_link(c.evidence_path, base))}</li>")
            for role, path in sorted(c.attachments.items()):
                out.append(f"<li>{e(role)}: {_a(_link(path, base))}</li>")
            if c.replay is not None:
                out.append(f"<li>replay: <code>{e(c.replay)}</code></li>")
            if c.duration_instructions is not None:
                out.append(f"<li>instructions: {c.duration_instructions}</li>")
            out.append("</ul>")
            if c.steps:
                out.append('<ol class="steps">')
                out += [f"<li>{e(st)}</li>" for st in c.steps]
                out.append("</ol>")
            if c.reasons:
                out.append('<ul class="reasons">')
                out += [f"<li>{e(r)}</li>" for r in c.reasons]
                out.append("</ul>")
            out.append("</section>")
        out.append("</body></html>")
        return "\n".join(out) + "\n"

    def write_html(self, path: str | os.PathLike[str]) -> Path:
        p = Path(path)
        return _write(p, self.to_html(p.parent.resolve()))

    # -- JUnit ------------------------------------------------------------------------------------
    def to_junit(self, base: Path | None = None) -> str:
        """JUnit XML: one testsuite per platform, one testcase per case, plus one skipped
        testcase per not-run cell so that a missing case shows up as skipped, not as nothing."""
        root = ET.Element("testsuites", name="ota-compliance")
        n_tests = n_fail = n_skip = 0
        titles = {it.number: it.title for it in self.items}
        for p in self.platforms:
            suite = ET.SubElement(root, "testsuite", name=p)
            tests = fails = skips = 0
            for i, c in enumerate(self.cases):
                if c.platform != p:
                    continue
                tests += 1
                tc = ET.SubElement(
                    suite, "testcase", name=c.name, classname=f"ota.{p}.item{c.item:02d}"
                )
                if not c.passed:
                    fails += 1
                    bad = [r for r in c.reasons if not r.startswith("ok:")] or ["failed"]
                    fail = ET.SubElement(tc, "failure", message=_xml(bad[0]), type="matrix")
                    fail.text = _xml("\n".join(c.reasons))
                info = [f"case: {i}", f"engine: {c.engine}", f"item: {c.item}"]
                if c.evidence_path is not None:
                    info.append(f"evidence: {_link(c.evidence_path, base)}")
                info += [f"{k}: {_link(v, base)}" for k, v in sorted(c.attachments.items())]
                if c.replay is not None:
                    info.append(f"replay: {c.replay}")
                info += [f"step: {st}" for st in c.steps]
                ET.SubElement(tc, "system-out").text = _xml("\n".join(info))
            for cell in self.cells:
                if cell.platform == p and cell.status is Status.NOT_RUN:
                    tests += 1
                    skips += 1
                    tc = ET.SubElement(
                        suite,
                        "testcase",
                        name=f"item{cell.item:02d}-not-run[{p}]",
                        classname=f"ota.{p}.item{cell.item:02d}",
                    )
                    ET.SubElement(tc, "skipped", message=_xml(f"not run: {titles[cell.item]}"))
            suite.set("tests", str(tests))
            suite.set("failures", str(fails))
            suite.set("errors", "0")
            suite.set("skipped", str(skips))
            n_tests, n_fail, n_skip = n_tests + tests, n_fail + fails, n_skip + skips
        root.set("tests", str(n_tests))
        root.set("failures", str(n_fail))
        root.set("errors", "0")
        root.set("skipped", str(n_skip))
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"

    def write_junit(self, path: str | os.PathLike[str]) -> Path:
        p = Path(path)
        return _write(p, self.to_junit(p.parent.resolve()))

    # -- all --------------------------------------------------------------------------------------
    def write_all(self, report_dir: str | os.PathLike[str]) -> dict[str, Path]:
        d = Path(report_dir)
        d.mkdir(parents=True, exist_ok=True)
        return {
            "json": self.write_json(d / JSON_NAME),
            "markdown": self.write_markdown(d / MARKDOWN_NAME),
            "html": self.write_html(d / HTML_NAME),
            "junit": self.write_junit(d / JUNIT_NAME),
        }


_CSS = (
    "body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
    "td,th{border:1px solid #999;padding:2px 6px}.pass{background:#c8f0c8}"
    ".fail{background:#f4b8b8}.not-run{background:#e0e0e0}code{white-space:pre-wrap}"
)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path


def _a(link: str) -> str:
    """An HTML link to a report-relative path; the href is percent-encoded, so a hostile path
    can neither leave the attribute nor become a ``javascript:`` URL."""
    href = quote(link)
    if not href.startswith(("./", "../", "/")):
        href = "./" + href
    return f'<a href="{html.escape(href)}">{html.escape(link)}</a>'


def _md(text: str) -> str:
    """Markdown-inert text: table pipes, HTML and emphasis characters escaped."""
    out = html.escape(text.replace("\n", " "))
    for ch in "\\`*_[]|":
        out = out.replace(ch, "\\" + ch)
    return out


def _code(text: str) -> str:
    """A Markdown code span holding ``text`` verbatim (raw HTML in a code span is inert)."""
    text = text.replace("\n", " ")
    run = longest = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _xml(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry (control characters other than tab/LF/CR)."""
    return "".join(
        ch if ch in "\t\n\r" or (ord(ch) >= 0x20 and ord(ch) not in (0xFFFE, 0xFFFF)) else "?"
        for ch in text
    )
