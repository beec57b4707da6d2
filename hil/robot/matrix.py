"""Matrix, replay and report keywords: a must-pass item's case (``hil.matrix.runner.CASES``) on
a platform, judged by the item's predicate from the device's evidence, exactly as ``hil
matrix`` runs it (``run_case``); the replay of a record; the compliance report of the cases
run so far.

A case's evidence (console, events, timeline) goes to ``${OUTPUT DIR}/evidence/<platform>/
<case>``. Under allure-robotframework each case gets the labels of ``hil matrix``'s Allure
results (epic = platform, feature = ``item N: <title>``, story = the case) and the
attachments: the evidence log, the console, the timeline and the replay command; a failing
case also gets its replay record (``hil replay`` reproduces it byte for byte).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import allure as _allure
from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn

from hil.firmware import FirmwareSet, build_firmware
from hil.matrix.items import ITEMS, item
from hil.matrix.runner import CASES, MatrixCase, run_case
from hil.matrix.sweep_items import SWEEP_SCENARIOS
from hil.platform import load_platform
from hil.record import load_record
from hil.replay import record_case, replay
from hil.report.allure_results import feature
from hil.report.compliance import CaseResult, ComplianceSummary
from hil.robot._base import RobotFailure, SessionHolder

allure: Any = _allure  # allure-python-commons is not annotated


def find_case(number: int, name: str) -> MatrixCase:
    """The case of item ``number`` called ``name`` (its key, variant or scenario)."""
    mine = [c for c in CASES if c.item == number]
    for attr in ("key", "variant", "scenario"):
        hits = [c for c in mine if getattr(c, attr) == name]
        if hits:
            return hits[0]
    known = ", ".join(c.key for c in mine) or "(none)"
    raise RobotFailure(f"item {number} has no case {name!r}; its cases: {known}")


def _options(options: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, int]]:
    params: dict[str, Any] = {}
    defines: dict[str, int] = {}
    for opt in options:
        key, eq, value = opt.partition("=")
        if not eq:
            raise RobotFailure(
                f"expected key=value options (stride=16, define=FLAG); found {opt!r}"
            )
        if key == "define":
            flag, _, v = value.partition("=")
            defines[flag] = int(v, 0) if v else 1
        else:
            params[key] = int(value, 0) if value.lstrip("-").isdigit() else value
    return params, defines


class MatrixKeywords(SessionHolder):
    _firmware: dict[tuple[str, tuple[tuple[str, int], ...]], FirmwareSet]
    _results: list[CaseResult]

    def _fw(self, platform: str, defines: dict[str, int]) -> FirmwareSet:
        cache: dict[tuple[str, tuple[tuple[str, int], ...]], FirmwareSet]
        cache = self.__dict__.setdefault("_firmware", {})
        key = (platform, tuple(sorted(defines.items())))
        if key not in cache:
            cache[key] = build_firmware(load_platform(platform), defines=defines)
        return cache[key]

    @keyword("Matrix Item Should Pass")
    def matrix_item_should_pass(self, number: int, case: str, platform: str, *options: str) -> str:
        """Run item ``number``'s case ``case`` on ``platform`` and judge the device's evidence
        with the item's predicate; fail with the predicate's failing reasons (each names the
        event that disproved the item).

        ``options``: ``key=value`` overrides of the case's parameters (the sweep items:
        ``stride=N``, ``random=K``, ``slot_stride=N``) and ``define=FLAG[=V]`` (build the
        firmware with a mutation flag)."""
        n = int(number)
        mc = find_case(n, case)
        params, defines = _options(options)
        if params:
            mc = MatrixCase(mc.item, mc.scenario, {**mc.params, **params}, mc.variant)
        plat = load_platform(platform)
        out_dir = Path(str(BuiltIn().get_variable_value("${OUTPUT DIR}", ".")))
        evidence = out_dir / "evidence" / platform / mc.dirname
        flags = "".join(f" (firmware {k}={v})" for k, v in sorted(defines.items()))
        rerun = f"hil matrix --platform {platform} --items {n}{flags}"
        allure.dynamic.epic(platform)
        allure.dynamic.feature(feature(item(n)))
        allure.dynamic.story(mc.key)
        cr = run_case(
            mc, plat, self._fw(platform, defines), evidence, replay=rerun, defines=defines
        )
        res = cr.result
        if not res.passed and mc.scenario not in SWEEP_SCENARIOS:
            path = evidence / "record.json"
            record_case(platform, mc.scenario, args=dict(mc.params), defines=defines, path=path)
            res = dataclasses.replace(
                res,
                attachments={**res.attachments, "replay_record": str(path)},
                replay=f"hil replay {path}",
            )
        self.__dict__.setdefault("_results", []).append(res)
        self._attach(res)
        text = "\n".join(res.reasons)
        logger.info(text)
        logger.info(f"replay: {res.replay}")
        if not res.passed:
            failing = [r for r in res.reasons if r.startswith("FAIL")] or res.reasons[:3]
            raise RobotFailure(
                f"item {n} ({mc.key}) on {platform} FAILED:\n"
                + "\n".join(failing)
                + f"\nevidence: {res.evidence_path}\nreplay: {res.replay}"
            )
        return text

    def _attach(self, res: CaseResult) -> None:
        if res.evidence_path and Path(res.evidence_path).exists():
            allure.attach.file(
                res.evidence_path, name="evidence log", attachment_type=allure.attachment_type.TEXT
            )
        for role in ("console", "timeline", "replay_record"):
            p = res.attachments.get(role)
            if p and Path(p).exists():
                kind = (
                    allure.attachment_type.JSON
                    if p.endswith(".json")
                    else (allure.attachment_type.TEXT)
                )
                allure.attach.file(p, name=role, attachment_type=kind)
        allure.attach(
            res.replay or "", name="replay command", attachment_type=allure.attachment_type.TEXT
        )

    @keyword("Replay Should Be Identical")
    def replay_should_be_identical(self, record: str) -> str:
        """Re-run a replay record (``hil replay``); its console must be byte-identical."""
        rec = load_record(record)
        res = replay(rec)
        if not res.identical:
            raise RobotFailure(
                f"replay of {record} differs: recorded {res.expected_digest}, got {res.digest}"
            )
        return res.digest

    @keyword("Save Session Record")
    def save_session_record(self, path: str) -> str:
        """Save this suite's monitor session as a replay record."""
        return self._command(f"record save {path}")

    @keyword("Write Compliance Report")
    def write_compliance_report(self, directory: str) -> str:
        """The compliance summary (JSON, Markdown, JUnit, HTML) of the matrix cases this suite
        ran, like ``hil matrix --report``."""
        results: list[CaseResult] = self.__dict__.get("_results", [])
        platforms = sorted({r.platform for r in results})
        written = ComplianceSummary(results, list(ITEMS), platforms).write_all(Path(directory))
        return str(written["html"])
