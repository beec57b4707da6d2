"""The mutation-score section of the compliance report: for each planted bug of the catalogue
(``firmware_stubs/core/mut_hooks.h``, ``hil.matrix.mutants``) on each platform, whether the matrix
item that owns it caught it (one of the item's cases failed on the mutated firmware) and which
cases did. The score is caught / planted, per item and in total; a planted bug the owning item
does not catch is an escape, and an escape fails ``hil matrix --mutants``.

The section is data (``MutantResult``) rendered into the JSON, Markdown and HTML outputs of
``hil.report.compliance.ComplianceSummary``; it is deterministic like the rest of the report.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MutantResult:
    """One planted bug run against its owning item on one platform."""

    flag: str  # the MUT_* build flag
    item: int  # the matrix item that owns the bug
    platform: str
    scenario_class: str  # the class of scenario meant to reach it (hil.matrix.mutants)
    bug: str  # what the planted bug does, one line
    ran: tuple[str, ...]  # the item's case keys run on the mutated firmware
    caught_by: tuple[str, ...]  # the case keys that failed (caught the bug)

    @property
    def caught(self) -> bool:
        return bool(self.caught_by)


def score(results: Sequence[MutantResult]) -> dict[str, Any]:
    """Caught/planted in total and per item (keys are item numbers as strings)."""
    per: dict[int, list[int]] = {}
    for r in results:
        cp = per.setdefault(r.item, [0, 0])
        cp[0] += int(r.caught)
        cp[1] += 1
    return {
        "caught": sum(int(r.caught) for r in results),
        "planted": len(results),
        "per_item": {str(k): {"caught": v[0], "planted": v[1]} for k, v in sorted(per.items())},
    }


def to_dict(results: Sequence[MutantResult]) -> dict[str, Any]:
    return {
        "score": score(results),
        "mutants": [
            {
                "flag": r.flag,
                "item": r.item,
                "platform": r.platform,
                "class": r.scenario_class,
                "bug": r.bug,
                "ran": list(r.ran),
                "caught_by": list(r.caught_by),
                "caught": r.caught,
            }
            for r in sorted(results, key=lambda r: (r.platform, r.item, r.flag))
        ],
    }


def from_dict(doc: Mapping[str, Any]) -> list[MutantResult]:
    return [
        MutantResult(
            m["flag"],
            m["item"],
            m["platform"],
            m["class"],
            m["bug"],
            tuple(m["ran"]),
            tuple(m["caught_by"]),
        )
        for m in doc["mutants"]
    ]


def _sorted(results: Sequence[MutantResult]) -> list[MutantResult]:
    return sorted(results, key=lambda r: (r.platform, r.item, r.flag))


def markdown(results: Sequence[MutantResult], esc: Any) -> list[str]:
    """The Markdown lines of the section (``esc`` makes text Markdown-inert)."""
    s = score(results)
    lines = [
        "",
        "## Mutation score",
        "",
        f"Planted bugs caught by the item that owns them: **{s['caught']}/{s['planted']}**.",
        "",
        "| Item | caught/planted |",
        "|---|---|",
    ]
    for k, v in s["per_item"].items():
        lines.append(f"| {k} | {v['caught']}/{v['planted']} |")
    lines += [
        "",
        "| Platform | Item | Flag | Class | Caught by | Bug |",
        "|---|---|---|---|---|---|",
    ]
    for r in _sorted(results):
        by = esc(", ".join(r.caught_by)) if r.caught else "**ESCAPED**"
        lines.append(
            f"| {esc(r.platform)} | {r.item} | {esc(r.flag)} | {esc(r.scenario_class)} | "
            f"{by} | {esc(r.bug)} |"
        )
    return lines


def html_lines(results: Sequence[MutantResult]) -> list[str]:
    e = html.escape
    s = score(results)
    out = [
        "<h2>Mutation score</h2>",
        f"<p>Planted bugs caught by the item that owns them: <b>{s['caught']}/{s['planted']}"
        "</b>.</p>",
        '<table class="mutation"><thead><tr><th>Item</th><th>caught/planted</th></tr></thead>'
        "<tbody>",
    ]
    for k, v in s["per_item"].items():
        cls = "pass" if v["caught"] == v["planted"] else "fail"
        out.append(f'<tr><td>{e(k)}</td><td class="{cls}">{v["caught"]}/{v["planted"]}</td></tr>')
    out.append("</tbody></table>")
    out.append(
        '<table class="mutants"><thead><tr><th>Platform</th><th>Item</th><th>Flag</th>'
        "<th>Class</th><th>Caught by</th><th>Bug</th></tr></thead><tbody>"
    )
    for r in _sorted(results):
        cls = "pass" if r.caught else "fail"
        by = ", ".join(r.caught_by) if r.caught else "ESCAPED"
        out.append(
            f"<tr><td>{e(r.platform)}</td><td>{r.item}</td><td>{e(r.flag)}</td>"
            f'<td>{e(r.scenario_class)}</td><td class="{cls}">{e(by)}</td><td>{e(r.bug)}</td></tr>'
        )
    out.append("</tbody></table>")
    return out
