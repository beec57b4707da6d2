"""Allure results for the matrix cases, written without pytest.

``write_allure_results(cases, out_dir)`` turns each ``CaseResult`` into one Allure test result
(the ``allure-results`` folder format: ``<uuid>-result.json`` plus ``<uuid>-attachment.<ext>``
files) with ``allure_commons`` (allure-python-commons, the library allure-pytest writes its
results with), so any Allure report generator reads them like pytest's.

Per case:

* labels: ``epic`` = platform, ``feature`` = ``item N: <title>``, ``story`` = scenario,
  ``parentSuite`` = platform, ``suite`` = ``item N: <title>``, ``subSuite`` = scenario, a
  ``tag`` = engine, ``framework`` = ota-hil;
* ``status`` passed / failed; a failed case has ``statusDetails`` with its failing reasons
  (``message``) and every reason (``trace``);
* ``historyId`` = ``testCaseId`` = md5 of (platform, item, scenario, engine), stable across runs;
  ``parameters`` platform, engine and seed (the seed excluded from Allure's history key);
* steps: each of ``CaseResult.steps`` (failed when it starts with ``FAIL:``), then each reason
  (``ok:`` passed, ``FAIL:`` failed, anything else such as ``note:`` passed);
* attachments: the evidence log (``evidence_path``), every ``CaseResult.attachments`` entry by
  role (MIME type from the file suffix, else from the role: console/timeline text, timeline_html
  HTML, flashmap_* SVG, fault_plan YAML, replay_record JSON) and the replay command as a text
  attachment named ``replay command``. A file is attached once (the evidence log may also be
  listed by role); a path that does not exist becomes a text attachment saying so, never a
  silent gap.

Determinism: nothing comes from the wall clock or a random source. Every case starts at the
fixed instant ``START_MS`` and lasts its emulated instruction count at a nominal 1000
instructions per millisecond (0 ms when unknown); uuids and file names are md5 digests of the
case identity (and the seed). The same cases give byte-identical files with identical names.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import (
    Attachment,
    Label,
    Parameter,
    StatusDetails,
    TestResult,
    TestStepResult,
)
from allure_commons.model2 import Status as AllureStatus
from allure_commons.types import AttachmentType, LabelType
from allure_commons.utils import md5 as _allure_md5
from attr import asdict

from hil.report.compliance import CaseResult, ReportItem

RESULTS_DIRNAME = "allure-results"
INSTRUCTIONS_PER_MS = 1000
# every case "starts" at this fixed instant (2000-01-01T00:00:00Z, in ms): not a clock reading,
# and not 0, which the Allure result format drops as "no value"
START_MS = 946_684_800_000
REPLAY_NAME = "replay command"
EVIDENCE_ROLE = "evidence log"

# allure_commons is not annotated: give its md5 (hex digest of the parts, utf-8) a type
md5 = cast(Callable[..., str], _allure_md5)

_BY_SUFFIX: dict[str, AttachmentType] = {
    ".txt": AttachmentType.TEXT,
    ".log": AttachmentType.TEXT,
    ".jsonl": AttachmentType.TEXT,  # JSON lines is not one JSON document
    ".html": AttachmentType.HTML,
    ".htm": AttachmentType.HTML,
    ".svg": AttachmentType.SVG,
    ".json": AttachmentType.JSON,
    ".yaml": AttachmentType.YAML,
    ".yml": AttachmentType.YAML,
}

_BY_ROLE: dict[str, AttachmentType] = {
    "console": AttachmentType.TEXT,
    "timeline": AttachmentType.TEXT,
    "timeline_html": AttachmentType.HTML,
    "flashmap": AttachmentType.SVG,
    "fault_plan": AttachmentType.YAML,
    "replay_record": AttachmentType.JSON,
}


def attachment_type(role: str, path: str | os.PathLike[str]) -> AttachmentType:
    """The Allure attachment type (MIME type and extension) of an evidence file: by its suffix,
    else by its role (``flashmap_before`` counts as ``flashmap``), else plain text."""
    by_suffix = _BY_SUFFIX.get(Path(path).suffix.lower())
    if by_suffix is not None:
        return by_suffix
    if role in _BY_ROLE:
        return _BY_ROLE[role]
    for prefix, kind in _BY_ROLE.items():
        if role.startswith(prefix + "_"):
            return kind
    return AttachmentType.TEXT


def history_id(case: CaseResult) -> str:
    """The case's identity across runs: md5 of platform, item, scenario and engine."""
    return md5(case.platform, str(case.item), case.scenario, case.engine)


def result_uuid(case: CaseResult, seed: int | None = None) -> str:
    """The deterministic uuid of the case's result file (identity plus seed)."""
    key = history_id(case) if seed is None else md5(history_id(case), str(seed))
    return str(uuid.UUID(hex=key, version=3))  # an md5-derived (name-based) uuid


def feature(it: ReportItem) -> str:
    """The feature label of a matrix item: ``item N: <title>``."""
    return f"item {it.number}: {it.title}"


def _step_status(text: str) -> str:
    return AllureStatus.FAILED if text.startswith("FAIL") else AllureStatus.PASSED


def _failing(case: CaseResult) -> list[str]:
    bad = [r for r in case.reasons if r.startswith("FAIL")]
    return bad or [r for r in case.reasons if not r.startswith(("ok:", "note:"))]


@dataclass(frozen=True)
class _Pending:
    """An attachment to write: a file to copy or text to store, under ``file_name``."""

    file_name: str
    source: Path | None = None
    text: str | None = None


class _Writer(AllureFileLogger):
    """``AllureFileLogger`` with file names from the result's own (deterministic) uuid instead
    of a fresh ``uuid4`` per file, and a fixed JSON layout whatever ``ALLURE_INDENT_OUTPUT``
    says."""

    def report_result(self, result: TestResult) -> None:
        data = asdict(result, filter=lambda _, v: v or v is False)
        path = Path(self._report_dir) / result.file_pattern.format(prefix=result.uuid)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.write("\n")
        os.replace(tmp, path)


def _resolve(path: str, base: Path | None) -> Path:
    p = Path(path)
    if base is not None and not p.is_absolute():
        p = base / p
    return p


def _attachments(
    case: CaseResult, rid: str, base: Path | None
) -> tuple[list[Attachment], list[_Pending]]:
    entries: list[tuple[str, str]] = []
    if case.evidence_path is not None:
        entries.append((EVIDENCE_ROLE, case.evidence_path))
    entries += sorted(case.attachments.items())
    refs: list[Attachment] = []
    pending: list[_Pending] = []
    seen: set[Path] = set()
    for role, path in entries:
        src = _resolve(path, base)
        if src.resolve() in seen:  # the evidence log is also an attachment: attach it once
            continue
        seen.add(src.resolve())
        digest = md5(rid, role)
        if src.is_file():
            kind = attachment_type(role, src)
            name = f"{digest}-attachment.{kind.extension}"
            refs.append(Attachment(name=f"{role} ({src.name})", source=name, type=kind.mime_type))
            pending.append(_Pending(name, source=src))
        else:
            kind = AttachmentType.TEXT
            name = f"{digest}-attachment.{kind.extension}"
            refs.append(Attachment(name=f"{role} (missing)", source=name, type=kind.mime_type))
            pending.append(_Pending(name, text=f"{role}: no such file: {path}\n"))
    if case.replay is not None:
        name = f"{md5(rid, REPLAY_NAME)}-attachment.txt"
        refs.append(Attachment(name=REPLAY_NAME, source=name, type=AttachmentType.TEXT.mime_type))
        pending.append(_Pending(name, text=case.replay + "\n"))
    return refs, pending


def case_to_result(
    case: CaseResult,
    *,
    seed: int | None = None,
    base: Path | None = None,
    items: Mapping[int, ReportItem],
) -> tuple[TestResult, list[_Pending]]:
    """The Allure test result of one case (its item's metadata from ``items``, by number) and
    the attachments it refers to."""
    it = items[case.item]
    rid = result_uuid(case, seed)
    hid = history_id(case)
    start = stop = START_MS
    if case.duration_instructions is not None:
        stop += math.ceil(case.duration_instructions / INSTRUCTIONS_PER_MS)
    steps = [
        TestStepResult(
            name=text, status=_step_status(text), stage="finished", start=start, stop=stop
        )
        for text in (*case.steps, *case.reasons)
    ]
    status = AllureStatus.PASSED if case.passed else AllureStatus.FAILED
    details = None
    if not case.passed:
        details = StatusDetails(
            message="\n".join(_failing(case)) or "failed", trace="\n".join(case.reasons)
        )
    params = [
        Parameter(name="platform", value=case.platform),
        Parameter(name="engine", value=case.engine),
    ]
    if seed is not None:
        params.append(Parameter(name="seed", value=str(seed), excluded=True))
    labels = [
        Label(name=LabelType.EPIC, value=case.platform),
        Label(name=LabelType.FEATURE, value=feature(it)),
        Label(name=LabelType.STORY, value=case.scenario),
        Label(name=LabelType.PARENT_SUITE, value=case.platform),
        Label(name=LabelType.SUITE, value=feature(it)),
        Label(name=LabelType.SUB_SUITE, value=case.scenario),
        Label(name=LabelType.TAG, value=case.engine),
        Label(name=LabelType.FRAMEWORK, value="ota-hil"),
    ]
    refs, pending = _attachments(case, rid, base)
    description = (
        f"Matrix item {it.number} on {case.platform} ({case.engine}): expected outcome "
        f"{it.expected}; passes when the device's evidence shows: {it.evidence}."
    )
    if case.replay is not None:
        description += f"\n\nReplay: `{case.replay}`"
    result = TestResult(
        uuid=rid,
        historyId=hid,
        testCaseId=hid,
        name=case.name,
        fullName=f"ota.{case.platform}.item{case.item:02d}.{case.scenario}[{case.engine}]",
        titlePath=[case.platform, feature(it)],
        description=description,
        status=status,
        statusDetails=details,
        stage="finished",
        steps=steps,
        attachments=refs,
        parameters=params,
        labels=labels,
        start=start,
        stop=stop,
    )
    return result, pending


def write_allure_results(
    cases: Iterable[CaseResult],
    out_dir: str | os.PathLike[str],
    *,
    seed: int | None = None,
    base: Path | None = None,
    items: Iterable[ReportItem],
    clean: bool = True,
    unfinished: Iterable[CaseResult] = (),
) -> list[Path]:
    """Write one Allure result per case (and its attachments) into ``out_dir``; return the
    result files in case order. ``items`` is the item metadata (the matrix item table).

    Relative evidence paths are taken relative to ``base`` (default: the working directory).
    ``clean`` empties ``out_dir`` first, so it holds this run's results only. ``unfinished``
    cases (an interrupted run's running case) are written as ``skipped``, their first reason
    as the message.
    """
    unfinished = list(unfinished)
    ordered = sorted([*cases, *unfinished], key=lambda c: c.sort_key)
    seen: dict[str, CaseResult] = {}
    for case in ordered:
        other = seen.setdefault(history_id(case), case)
        if other is not case:
            raise ValueError(f"two cases with the same identity: {case.name}")
    # allure_commons is not annotated: its calls are untyped
    writer = _Writer(str(out_dir), clean=clean)  # type: ignore[no-untyped-call]
    root = Path(out_dir)
    written: list[Path] = []
    by_number = {it.number: it for it in items}
    stopped = {id(c) for c in unfinished}
    for case in ordered:
        result, pending = case_to_result(case, seed=seed, base=base, items=by_number)
        if id(case) in stopped:
            result.status = AllureStatus.SKIPPED
            result.statusDetails = StatusDetails(message="\n".join(case.reasons) or "not finished")
        for a in pending:
            if a.source is not None:
                writer.report_attached_file(str(a.source), a.file_name)  # type: ignore[no-untyped-call]
            else:
                writer.report_attached_data(a.text or "", a.file_name)  # type: ignore[no-untyped-call]
        writer.report_result(result)
        written.append(root / result.file_pattern.format(prefix=result.uuid))
    return written
