"""The planted-bug catalogue on the Python side and the mutation run of ``hil matrix --mutants``.

Every planted bug of ``firmware_stubs/core/mut_hooks.h`` has one entry in ``PLANTED``: its
``MUT_*`` flag, the matrix item that owns it, the class of scenario meant to reach it
(``CLASSES``), and the keys of the item's cases that run on the mutated firmware (empty: every
case of the item). ``run_mutants`` builds each mutant, runs those cases and records, per
platform, which of them failed: the bug is caught when at least one did. The result goes into
the compliance report's mutation-score section (``hil.report.mutation``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hil.errors import Interrupted
from hil.firmware import FirmwareSet
from hil.matrix.items import EXTRA_MUTATIONS, ITEMS, MatrixItem
from hil.matrix.runner import CaseRun, MatrixCase, cases_for, run_case
from hil.platform.model import Platform
from hil.report.mutation import MutantResult

# the classes of scenario of issue 10 (the matrix scenarios that existed before are "baseline")
CLASSES: dict[str, str] = {
    "baseline": "the item's original scenario",
    "at-rest": "faults at rest between boots: bit flips / retention loss, readable-but-wrong "
    "and unreadable, in a persistent structure",
    "brownout": "a brownout at every write and erase of an update, in every area",
    "boot-stage": "a new image that fails at every boot stage (crash/hang before, during, after "
    "its boot test; fault handler)",
    "state-request": "every state of the update state machine x every SMP request then",
    "geometry": "package geometry: smallest, chunk boundaries, near-full, full, one byte over",
    "anchor": "trust-anchor changes between boots: floor raised, key revoked, hardware ID",
    "resume": "resume over bad bytes written before a reboot",
}


@dataclass(frozen=True)
class PlantedBug:
    flag: str
    item: int
    scenario_class: str
    bug: str
    cases: tuple[str, ...] = ()  # keys of the item's cases that run (empty: all)


# what the extra planted bugs of ``EXTRA_MUTATIONS`` do
EXTRA_BUGS: dict[str, str] = {
    "MUT_FLOOR_BEFORE_CONFIRM": "floor raised before the boot test",
    "MUT_RESCUE_NO_REVOCATION": "the rescue path skips the revocation check",
}


def _baseline() -> tuple[PlantedBug, ...]:
    out = [
        PlantedBug(it.mutation, it.number, "baseline", f"the bug item {it.number} exists for")
        for it in ITEMS
        if it.mutation
    ]
    out += [
        PlantedBug(flag, n, "baseline", EXTRA_BUGS.get(flag, f"see mut_hooks.h {flag}"), (sc,))
        for flag, (n, sc) in EXTRA_MUTATIONS.items()
    ]
    return tuple(out)


# new planted bugs of issue 10, each reached by its class's scenarios (mut_hooks.h documents them)
NEW: tuple[PlantedBug, ...] = (
    PlantedBug(
        "MUT_SKIP_META_CRC",
        12,
        "at-rest",
        "the metadata CRC is not checked: a record with one flipped bit decides the boot",
        ("at-rest/meta-winner-flip",),
    ),
    PlantedBug(
        "MUT_APP_COUNTS_ATTEMPTS",
        14,
        "boot-stage",
        "the application counts trial attempts: an image failing before its boot test is "
        "tried forever",
        ("early-failure/crash-before", "early-failure/hang-before"),
    ),
    PlantedBug(
        "MUT_NO_TRIAL_GUARD",
        3,
        "state-request",
        "no guard against writing the running slot: an upload during a trial overwrites the "
        "image being tested",
        ("trial-upload",),
    ),
    PlantedBug(
        "MUT_PENDING_VS_OWN_BUILD",
        9,
        "anchor",
        "a PENDING image is checked against the active image's recorded build, not the floor",
        ("anchor-change/floor-raised",),
    ),
    PlantedBug(
        "MUT_ERASE_PAST_END",
        3,
        "geometry",
        "the erased tail window after an image is not clamped to the slot: an erase past the "
        "slot end hits the running image",
        ("geometry/near-full", "geometry/full"),
    ),
    PlantedBug(
        "MUT_UNGATED_META_ERASE",
        13,
        "brownout",
        "a metadata erase is not gated by the supply monitor: it starts under low voltage after "
        "a brownout at the write before it",
        ("brownout-meta", "brownout-write"),
    ),
    PlantedBug(
        "MUT_RESUME_TRUSTS_WRITTEN",
        2,
        "resume",
        "a chunk written before the reboot is trusted: its bytes are not compared again and "
        "it counts as checked, so a resumed upload runs over a corrupt chunk",
        ("resume-over-bad-bytes",),
    ),
)

PLANTED: tuple[PlantedBug, ...] = _baseline() + NEW


def planted_for(items: Sequence[MatrixItem]) -> list[PlantedBug]:
    numbers = {it.number for it in items}
    return [p for p in PLANTED if p.item in numbers]


def mutant_cases(bug: PlantedBug) -> list[MatrixCase]:
    """The cases the mutant runs: the owning item's cases, restricted to ``bug.cases``."""
    cases = [c for c in cases_for(ITEMS) if c.item == bug.item]
    if bug.cases:
        cases = [c for c in cases if c.key in bug.cases]
    return cases


MutantProgress = Callable[[int, int, str, PlantedBug, MutantResult | None], None]


def _run_mutant(
    plat: Platform,
    bug: PlantedBug,
    evidence_root: Path,
    firmware: Callable[[Platform, Mapping[str, int]], FirmwareSet],
    engine: str,
    seed: int,
) -> MutantResult:
    """Build ``bug`` for ``plat`` and run its item's cases until one catches it."""
    defines = {bug.flag: 1}
    fw = firmware(plat, defines)
    ran: list[str] = []
    caught: list[str] = []
    for case in mutant_cases(bug):
        cr: CaseRun = run_case(
            case,
            plat,
            fw,
            evidence_root / plat.name / bug.flag.lower() / case.dirname,
            engine=engine,
            seed=seed,
            defines=defines,
            outcome_ms=30_000,
        )
        ran.append(case.key)
        if not cr.passed:
            caught.append(case.key)
            break
    return MutantResult(
        bug.flag, bug.item, plat.name, bug.scenario_class, bug.bug, tuple(ran), tuple(caught)
    )


class MutantsInterrupted(Interrupted):
    """``run_mutants`` was interrupted: ``done`` holds the mutants that finished, ``during``
    names the one that was running (or the step between two)."""

    def __init__(self, why: str, done: list[MutantResult], during: str) -> None:
        super().__init__(why)
        self.why = why
        self.done = done
        self.during = during


def run_mutants(
    platforms: Sequence[Platform],
    bugs: Sequence[PlantedBug],
    evidence_root: Path,
    firmware: Callable[[Platform, Mapping[str, int]], FirmwareSet],
    *,
    engine: str = "unicorn",
    seed: int = 1,
    progress: MutantProgress | None = None,
) -> list[MutantResult]:
    """Each planted bug on each platform: its firmware built with the flag, the owning item's
    cases run (evidence under ``evidence_root/<platform>/<flag>/<case.dirname>``); a case that
    fails caught the bug. A mutant stops at the first case that catches it."""
    total = len(bugs) * len(platforms)
    out: list[MutantResult] = []
    i = 0
    during = "start-up (no mutant had started)"
    try:
        for plat in platforms:
            for bug in bugs:
                i += 1
                during = f"{plat.name} mutant {bug.flag}"
                if progress is not None:
                    progress(i, total, plat.name, bug, None)
                out.append(_run_mutant(plat, bug, evidence_root, firmware, engine, seed))
                during = "the step between mutants"
                if progress is not None:
                    progress(i, total, plat.name, bug, out[-1])
    except KeyboardInterrupt as exc:  # SIGINT/SIGTERM, wherever it lands: keep what finished
        raise MutantsInterrupted(str(exc) or "interrupted", out, during) from exc
    return out
