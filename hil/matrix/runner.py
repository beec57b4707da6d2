"""Running the must-pass matrix outside pytest: the case table, one case on one platform with its
evidence kept on disk, and the ``CaseResult`` the compliance summary is built from.

The case table (``CASES``) is shared with ``suites/test_matrix.py``: each ready item's
scenario(s) with the parameter sets that exercise it (bad-package variants, replayed builds).
``run_case`` runs one case on a fresh device whose logs (``console.log``, ``events.jsonl``)
go to the case's evidence directory, writes the event timeline next to them (text and HTML),
and judges the device's evidence with the item's predicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hil.device import Device
from hil.engine.registry import create_engine
from hil.errors import HilError, Interrupted
from hil.firmware import FirmwareSet
from hil.matrix.classify import EXPECTED_PARTS
from hil.matrix.items import ITEMS, MatrixItem, item
from hil.matrix.predicates import Judgement, Params, judge
from hil.matrix.sweep_items import SWEEP_SCENARIOS, run_sweep_case
from hil.platform.model import Platform
from hil.provision import FactoryImage
from hil.report.compliance import CaseResult
from hil.report.flashmap import AreaSnapshot, render_svg, snapshot_platform
from hil.report.timeline import timeline_page, timeline_text
from hil.scenarios import CLASSIFY_PARTS, Bench, ScenarioRun, run_scenario
from hil.scenarios.at_rest import KINDS as AT_REST_KINDS
from hil.scenarios.at_rest import TARGETS as AT_REST_TARGETS
from hil.scenarios.stages import STAGES

# item 15's scenario runs exactly the parts the classifier's table expects
assert set(CLASSIFY_PARTS) == set(EXPECTED_PARTS)

FORGED = ("forged-signature", "forged-signature-same-id", "signature-bitflip")
TAMPERED = (
    "tlv-overrun",
    "tlv-magic",
    "bad-field",
    "missing-field",
    "chunk-map",
    "two-signatures",
    "wrong-hardware",
    "wrong-slot",
    "wrong-type",
    "bad-header",
    "oversize",
)


@dataclass(frozen=True)
class MatrixCase:
    """One scenario run for one item, with its parameters; ``variant`` tells cases of the same
    scenario apart (a bad-package variant, ``older``/``same`` for replay)."""

    item: int
    scenario: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    variant: str | None = None

    @property
    def key(self) -> str:
        """``scenario`` or ``scenario/variant``: unique within the item."""
        if self.variant is None or self.variant == self.scenario:
            return self.scenario
        return f"{self.scenario}/{self.variant}"

    @property
    def test_id(self) -> str:
        """The pytest id of the case in ``suites/test_matrix.py``."""
        return f"{self.item}-{self.variant or self.scenario}"

    @property
    def dirname(self) -> str:
        """The evidence directory of the case: ``item<N>-<scenario>[-<variant>]``."""
        name = f"item{self.item}-{self.scenario}"
        if self.variant is not None and self.variant != self.scenario:
            name += f"-{self.variant}"
        return name


def _p(**kw: Any) -> Mapping[str, Any]:
    return MappingProxyType(kw)


# faults at rest in the default matrix, by owning item: metadata and evidence ring (12), the
# inactive slot's image (11: nothing unverified runs, the confirmed image survives)
AT_REST_DEFAULT: dict[int, tuple[tuple[str, str], ...]] = {
    12: (
        ("meta-winner", "flip"),
        ("meta-older", "flip"),
        ("meta-winner", "lose"),
        ("evidence", "flip"),
    ),
    11: (("inactive-payload", "flip"), ("inactive-trailer", "lose")),
}


GEOMETRY_DEFAULT = ("near-full", "full")

CASES: tuple[MatrixCase, ...] = (
    MatrixCase(1, "normal-update"),
    MatrixCase(2, "resume-after-reboot", _p(cut="mid-chunk", chunk=3), "mid-chunk"),
    MatrixCase(2, "resume-after-reboot", _p(cut="chunk-boundary", chunk=4), "chunk-boundary"),
    MatrixCase(3, "two-releases"),
    MatrixCase(4, "self-test-fail"),
    MatrixCase(5, "rescue-strap"),
    MatrixCase(5, "rescue-uart"),
    *(MatrixCase(6, "forged-signature", _p(variant=v), v) for v in FORGED),
    *(MatrixCase(7, "tampered-manifest", _p(variant=v), v) for v in TAMPERED),
    MatrixCase(8, "replay", _p(build=2), "replay-older"),
    MatrixCase(8, "replay", _p(build=3), "replay-same"),
    MatrixCase(9, "below-floor-install"),
    MatrixCase(9, "below-floor-boot"),
    MatrixCase(10, "revoked-key"),
    # a cut in every metadata, evidence and anchor operation, every phase event, every 4th
    # operation on a slot (the payload's programs and erases); --exhaustive cuts every one
    MatrixCase(11, "power-cut-sweep", _p(slot_stride=4)),
    MatrixCase(12, "meta-cut"),
    MatrixCase(13, "brownout-write"),
    MatrixCase(14, "never-confirms"),
    MatrixCase(15, "classify"),
    # issue 10, faults at rest (hil/scenarios/at_rest.py): readable-but-wrong and unreadable
    *(MatrixCase(12, "at-rest", _p(where=w, kind=k), f"{w}-{k}") for w, k in AT_REST_DEFAULT[12]),
    *(MatrixCase(11, "at-rest", _p(where=w, kind=k), f"{w}-{k}") for w, k in AT_REST_DEFAULT[11]),
    # issue 10, a new image that fails at every boot stage (SELF_TEST 4-6, contracts §7)
    *(MatrixCase(14, "early-failure", _p(stage=s), s) for s in STAGES),
    # issue 10, an upload while the running image is on trial (SELF_TEST 3: a late test)
    MatrixCase(3, "trial-upload"),
    # issue 10, the trust anchor re-provisioned between boots, an image PENDING
    MatrixCase(9, "anchor-change", _p(change="floor-raised"), "floor-raised"),
    MatrixCase(10, "anchor-change", _p(change="key-revoked"), "key-revoked"),
    MatrixCase(7, "anchor-change", _p(change="hw-id"), "hw-id"),
    # issue 10, package geometry: the second release ends at a chosen place in slot A
    # (staged first and the power cycled: the running image in slot B must survive the
    # preparation of slot A, even where an erase past slot A hits only B's header)
    *(MatrixCase(3, "geometry", _p(shape=s, staged_reboot=True), s) for s in GEOMETRY_DEFAULT),
    MatrixCase(7, "geometry", _p(shape="over"), "over"),
    # issue 10, a brownout as the metadata commit that sets PENDING starts: the metadata erase
    # must be gated first (on LPC55S69 no write comes within the hold-up before that erase)
    MatrixCase(13, "brownout-meta"),
    # issue 10, resume over bad bytes: a corrupt chunk cut during its check, then the good
    # package resumed (hil/scenarios/resume.py; the chunk and byte drawn from the seed)
    MatrixCase(2, "resume-over-bad-bytes", _p(seed=0)),
)

# the nightly variants (``hil matrix --exhaustive``): every target x kind, and flips of every
# bit position class (low/high bit of each byte class) of the metadata copies
EXHAUSTIVE_CASES: tuple[MatrixCase, ...] = (
    *(
        MatrixCase(
            12 if w.startswith(("meta", "evidence")) else 11,
            "at-rest",
            _p(where=w, kind=k),
            f"{w}-{k}",
        )
        for w in AT_REST_TARGETS
        for k in AT_REST_KINDS
        if (w, k) not in AT_REST_DEFAULT[11] + AT_REST_DEFAULT[12]
    ),
    *(
        MatrixCase(12, "at-rest", _p(where=w, kind="flip", bit=bit), f"{w}-bit{bit}")
        for w in ("meta-winner", "meta-older")
        for bit in range(0, 60 * 8, 29)
    ),
    *(MatrixCase(3, "geometry", _p(shape=s), s) for s in ("smallest", "chunk-boundary")),
    MatrixCase(11, "power-cut-sweep", _p(), "every-op"),  # a cut in every flash operation
)


def ready_numbers() -> list[int]:
    return [it.number for it in ITEMS if it.ready]


def parse_items(text: str | None) -> list[MatrixItem]:
    """``"1,3-6,14"`` (or None / ``all``: every item) -> the items, in table order.

    A number that is not an item, or text that is not a list of numbers, is a ``HilError``
    whose message lists the valid item numbers.
    """
    if text is None or text.strip().lower() == "all":
        return list(ITEMS)
    valid = [it.number for it in ITEMS]
    listing = ", ".join(str(n) for n in valid)
    wanted: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        lo, sep, hi = part.partition("-")
        try:
            nums = range(int(lo), int(hi) + 1) if sep else range(int(lo), int(lo) + 1)
        except ValueError:
            raise HilError(
                f"--items: expected item numbers or ranges (e.g. 1,3-6) from {listing}; "
                f"found {part!r}"
            ) from None
        bad = [n for n in nums if n not in valid]
        if bad or not nums:
            raise HilError(f"--items: no matrix item {part!r}; valid item numbers: {listing}")
        wanted.update(nums)
    return [item(n) for n in valid if n in wanted]


# ``hil matrix --quick``: item 11's sweep cuts every this many-th slot operation
QUICK_SLOT_STRIDE = 16


def cases_for(
    items: Iterable[MatrixItem], exhaustive: bool = False, quick: bool = False
) -> list[MatrixCase]:
    """The cases of the given items (items that are not ready have none yet); with
    ``exhaustive`` also the nightly variants (``EXHAUSTIVE_CASES``); with ``quick`` only each
    item's first case, item 11's sweep at every ``QUICK_SLOT_STRIDE``-th slot operation."""
    numbers = {it.number for it in items}
    table = CASES + EXHAUSTIVE_CASES if exhaustive else CASES
    cases = [c for c in table if c.item in numbers]
    if not quick:
        return cases
    first: dict[int, MatrixCase] = {}
    for c in cases:
        if c.item not in first:
            if "slot_stride" in c.params:
                c = replace(c, params=_p(**{**c.params, "slot_stride": QUICK_SLOT_STRIDE}))
            first[c.item] = c
    return list(first.values())


@dataclass
class CaseRun:
    """What running one case produced: the scenario run, the judgement and the CaseResult."""

    case: MatrixCase
    platform: str
    run: ScenarioRun
    judgement: Judgement
    result: CaseResult

    @property
    def passed(self) -> bool:
        return self.result.passed


def _bench(
    platform: Platform,
    firmware: FirmwareSet,
    engine: str,
    seed: int,
    log_dir: Path,
    made: list[Device],
    before: list[list[AreaSnapshot]] | None = None,
    outcome_ms: int | None = None,
) -> Bench:
    def make_device(fi: FactoryImage) -> Device:
        # the first device of a case logs into the case directory, any further one beside it
        where = log_dir if not made else log_dir / f"device-{len(made)}"
        dev = Device(create_engine(engine, platform, seed), fi, log_dir=where)
        made.append(dev)
        if before is not None:  # the flash map as provisioned, before the scenario acts
            before.append(snapshot_platform(platform, dev.engine.flash_read))
        return dev

    if outcome_ms is None:
        return Bench(platform, firmware, make_device)
    return Bench(platform, firmware, make_device, outcome_ms=outcome_ms)


def run_case(
    case: MatrixCase,
    platform: Platform,
    firmware: FirmwareSet,
    evidence_dir: Path,
    *,
    engine: str = "unicorn",
    seed: int = 1,
    replay: str | None = None,
    defines: Mapping[str, int] | None = None,
    sweep_progress: Callable[[int, int], None] | None = None,
    outcome_ms: int | None = None,
) -> CaseRun:
    """Run ``case`` on a fresh ``platform`` device, keep its evidence in ``evidence_dir``
    (console.log, events.jsonl, timeline.txt, timeline.html) and judge it.

    A case passes when the scenario ran to its end and the item's predicate holds on the
    device's evidence.
    """
    evidence_dir.mkdir(parents=True, exist_ok=True)
    if case.scenario in SWEEP_SCENARIOS:
        return _run_sweep_case(
            case,
            platform,
            firmware,
            evidence_dir,
            engine,
            seed,
            replay,
            defines or {},
            sweep_progress,
        )
    made: list[Device] = []
    before: list[list[AreaSnapshot]] = []
    bench = _bench(platform, firmware, engine, seed, evidence_dir, made, before, outcome_ms)
    try:
        run = run_scenario(case.scenario, bench, **case.params)
    finally:
        for dev in made:
            dev.close()
    params = Params(attempts=platform.layout.boot_attempts, parts=run.parts or None)
    verdict = judge(case.item, run.events, params, case.scenario)
    reasons = list(verdict.reasons)
    if run.error is not None:
        reasons.insert(0, f"FAIL: scenario {case.scenario} stopped: {run.error}")
    reasons += [f"note: {n}" for n in run.notes]
    passed = verdict.passed and run.error is None

    attachments: dict[str, str] = {}
    title = f"{platform.name} item {case.item} {case.key}"
    timeline_txt = evidence_dir / "timeline.txt"
    timeline_htm = evidence_dir / "timeline.html"
    _write(timeline_txt, timeline_text(run.events))
    _write(timeline_htm, timeline_page(run.events, title))
    attachments["timeline"] = str(timeline_txt)
    attachments["timeline_html"] = str(timeline_htm)
    if made and before:  # the first device's flash map as provisioned and as the case left it
        svg = evidence_dir / "flashmap.svg"
        after = snapshot_platform(platform, made[0].engine.flash_read)
        _write(svg, render_svg(before[0], after, f"{title}: flash before -> after"))
        attachments["flashmap"] = str(svg)
    main_dev = run.device
    if main_dev is not None and main_dev.log_path is not None:
        attachments["console"] = str(main_dev.log_path)
        events_log = main_dev.log_path.parent / "events.jsonl"
    else:
        events_log = evidence_dir / "events.jsonl"
    for k, extra in enumerate(made[1:], start=1):
        if extra.log_path is not None:
            attachments[f"console_device{k}"] = str(extra.log_path)
    result = CaseResult(
        item=case.item,
        platform=platform.name,
        engine=engine,
        scenario=case.key,
        passed=passed,
        reasons=reasons,
        evidence_path=str(events_log) if events_log.exists() else None,
        replay=replay,
        duration_instructions=sum(d.engine.instructions for d in made) if made else None,
        attachments=attachments,
    )
    return CaseRun(case, platform.name, run, verdict, result)


def _run_sweep_case(
    case: MatrixCase,
    platform: Platform,
    firmware: FirmwareSet,
    evidence_dir: Path,
    engine: str,
    seed: int,
    replay: str | None,
    defines: Mapping[str, int],
    progress: Callable[[int, int], None] | None = None,
) -> CaseRun:
    sc = run_sweep_case(
        case.scenario,
        case.params,
        platform,
        firmware,
        evidence_dir,
        engine=engine,
        seed=seed,
        defines=defines,
        progress=progress,
    )
    rec = sc.attachments.get("replay_record")
    result = CaseResult(
        item=case.item,
        platform=platform.name,
        engine=engine,
        scenario=case.key,
        passed=sc.judgement.passed,
        reasons=list(sc.judgement.reasons),
        evidence_path=sc.attachments["sweep_points"],
        replay=f"hil replay {rec}" if rec else replay,
        duration_instructions=sc.instructions,
        attachments=sc.attachments,
    )
    return CaseRun(case, platform.name, ScenarioRun(case.scenario), sc.judgement, result)


Progress = Callable[[int, int, str, MatrixCase, CaseRun | None], None]


def unfinished(
    case: MatrixCase, platform: str, engine: str, why: str, replay: str | None
) -> CaseResult:
    """The result of a case a stop (SIGINT/SIGTERM) kept from finishing: neither pass nor
    fail; the report shows it as skipped with ``not finished: <why>``."""
    return CaseResult(
        item=case.item,
        platform=platform,
        engine=engine,
        scenario=case.key,
        passed=False,
        reasons=[f"not finished: {why}"],
        evidence_path=None,
        replay=replay,
        duration_instructions=None,
    )


def run_matrix(
    platforms: Sequence[Platform],
    items: Sequence[MatrixItem],
    evidence_root: Path,
    firmware: Callable[[Platform], FirmwareSet],
    *,
    engine: str = "unicorn",
    seed: int = 1,
    progress: Progress | None = None,
    replay: Callable[[str, MatrixCase], str] | None = None,
    sweep_progress: Callable[[int, int], None] | None = None,
    exhaustive: bool = False,
    quick: bool = False,
) -> list[CaseRun]:
    """Every case of ``items`` on every platform, evidence under
    ``evidence_root/<platform>/<case.dirname>``; ``progress(i, n, platform, case, run)`` is
    called before (``run`` None) and after each case."""
    cases = cases_for(items, exhaustive, quick)
    total = len(cases) * len(platforms)
    out: list[CaseRun] = []
    i = 0
    current: tuple[str, MatrixCase] | None = None  # the case running, None between cases
    try:
        for plat in platforms if cases else ():
            for case in cases:
                i += 1
                current = (plat.name, case)
                if progress is not None:
                    progress(i, total, plat.name, case, None)
                cr = run_case(
                    case,
                    plat,
                    firmware(plat),
                    evidence_root / plat.name / case.dirname,
                    engine=engine,
                    seed=seed,
                    replay=replay(plat.name, case) if replay is not None else None,
                    sweep_progress=sweep_progress,
                )
                out.append(cr)
                current = None
                if progress is not None:
                    progress(i, total, plat.name, case, cr)
    except KeyboardInterrupt as exc:  # SIGINT/SIGTERM, wherever it lands: keep what finished
        why = str(exc) or "interrupted"
        stopped = None
        if current is not None:
            name, case = current
            cmd = replay(name, case) if replay is not None else None
            stopped = unfinished(case, name, engine, why, cmd)
        raise MatrixInterrupted(why, out, stopped) from exc
    return out


class MatrixInterrupted(Interrupted):
    """``run_matrix`` was interrupted (SIGINT/SIGTERM): ``done`` holds the cases that finished,
    ``stopped`` the case that was running (not finished: neither pass nor fail), None when the
    stop came between cases or before the first one started."""

    def __init__(
        self,
        why: str,
        done: list[CaseRun],
        stopped: CaseResult | None,
        unfinished: list[CaseResult] | None = None,
    ) -> None:
        super().__init__(why)
        self.why = why
        self.done = done
        self.stopped = stopped
        # every case that was running (platforms run side by side: one per worker)
        self.unfinished = unfinished if unfinished is not None else [stopped] if stopped else []

    @property
    def during(self) -> str:
        s = self.stopped
        if s is None:
            return "start-up (no case had started)" if not self.done else "the step between cases"
        return f"{s.platform} item {s.item} {s.scenario}"


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
