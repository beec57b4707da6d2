"""``hil matrix``: run the must-pass matrix on the emulated platforms and write the compliance
summary with every case's evidence."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from hil.commands.base import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_platform_args,
    arguments,
    command,
    err,
    out,
)
from hil.errors import HilError
from hil.firmware import FirmwareSet, build_firmware, repo_root
from hil.matrix.items import ITEMS, MatrixItem
from hil.matrix.mutants import MutantsInterrupted, PlantedBug, planted_for, run_mutants
from hil.matrix.runner import (
    QUICK_SLOT_STRIDE,
    CaseRun,
    MatrixCase,
    MatrixInterrupted,
    cases_for,
    parse_items,
    run_matrix,
    unfinished,
)
from hil.matrix.split import run_split
from hil.matrix.sweep_items import SWEEP_SCENARIOS
from hil.platform import known_platforms, load_platform
from hil.platform.model import Platform
from hil.profile import Profile, Route, load_profile
from hil.report import ComplianceSummary, Status
from hil.report.allure_results import RESULTS_DIRNAME, write_allure_results
from hil.report.compliance import CaseResult
from hil.report.mutation import MutantResult, score

NOT_READY = "not run (needs the fault injector)"

# the compliance report's "Generated" line of a --quick run
QUICK_LABEL = (
    f"quick: one case per item (the item 11 sweep at every {QUICK_SLOT_STRIDE}th slot "
    "operation); the full matrix is hil matrix without --quick"
)

HELP = "run the must-pass matrix on the platforms; write the compliance summary and evidence"

EPILOG = """\
Runs every scenario of each selected ready item on every selected platform; each case's device
logs (console.log, events.jsonl) and event timeline (timeline.txt, timeline.html) are kept under
DIR/evidence/<platform>/item<N>-<scenario>/. DIR then holds:

  compliance.json, compliance.md, compliance.html   the compliance summary (items x platforms)
  junit.xml                                         JUnit XML, one testcase per case
  allure-results/                                   Allure results, one per case, with steps
                                                    and the evidence attached
  evidence/                                         every case's evidence files

`hil report DIR` renders DIR/allure-results into an Allure report (DIR/allure-report).

With --quick each item runs its first case only: a smoke run that still puts every item of every
platform in the report (the test suite's rendered-report check uses it); the compliance report
says "quick". The main job and the nightly run are the full matrix.

{waiting}

Interrupted (Ctrl-C, SIGTERM): the report is completed from the cases that finished and marked
incomplete (compliance "Generated: incomplete: ..."), exit code 130.

Exit codes: 0 every selected ready item passes on every selected platform; 1 some case failed;
2 bad input (unknown platform, bad --items); 3 engine error; 130 interrupted."""

_WAITING = [str(it.number) for it in ITEMS if not it.ready]
EPILOG = EPILOG.format(
    waiting=textwrap.fill(
        f"Items that need the power-cut/brownout fault injector ({', '.join(_WAITING)}) cannot "
        'run yet: they are listed as "not run (needs the fault injector)" and do not count '
        "against the exit code."
        if _WAITING
        else "An item that needs the fault injector and is not runnable yet would be listed as "
        '"not run (needs the fault injector)"; today every item runs.',
        width=96,
    )
)


@arguments("matrix")
def _args(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = EPILOG
    add_platform_args(p, multiple=True)
    p.add_argument(
        "--items",
        metavar="LIST",
        default=None,
        help="matrix items to run, e.g. 1,3-6,14 (default: all)",
    )
    p.add_argument(
        "--report",
        type=Path,
        default=Path("reports/matrix"),
        metavar="DIR",
        help="report directory (default: reports/matrix)",
    )
    p.add_argument(
        "--profile",
        action="append",
        type=Path,
        metavar="FILE",
        help="target profile(s) to judge (repeatable; default: the reference firmware's, "
        "profiles/reference-<chip>.yaml); items a profile's evidence routes cannot prove are "
        "listed as NOT PROVABLE with the reason",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="run the platforms side by side in N forked workers (default: one per platform, "
        "up to the CPU count; 1: one platform after the other). Evidence and reports are the "
        "same either way",
    )
    p.add_argument("--engine", default="unicorn", help="emulation engine (default: unicorn)")
    p.add_argument("--seed", type=int, default=1, help="seed of every random choice (default: 1)")
    p.add_argument(
        "--exhaustive",
        action="store_true",
        help="also run the nightly variants (every fault-at-rest target x kind, every bit "
        "position class of the metadata copies, item 11's sweep with a cut in every flash "
        "operation); the default matrix runs a fixed subset",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="one case per item on each platform (its first scenario; item 11's sweep at every "
        f"{QUICK_SLOT_STRIDE}th slot operation): a smoke run of every item, marked quick in the "
        "compliance report; the default matrix judges every case",
    )
    p.add_argument(
        "--mutants",
        action="store_true",
        help="also build each planted bug of the catalogue (firmware_stubs/core/mut_hooks.h) "
        "owned by a selected item, run that item's cases on it and write the mutation score "
        "(caught/planted per item) into the compliance report; an escaped bug fails the run",
    )


def _points(done: int, total: int) -> None:
    """Progress inside a power-cut sweep case (thousands of points on STM32U585)."""
    if sys.stderr.isatty():
        width = 30
        filled = width * done // max(1, total)
        sys.stderr.write(f"\r    [{'#' * filled}{'.' * (width - filled)}] {done}/{total} points")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()
    elif done == total or done % 500 == 0:
        err(f"    {done}/{total} points")


def _labelled_points(platform: str) -> Callable[[int, int], None]:
    """Sweep progress of one worker among several: plain lines naming the platform."""

    def points(done: int, total: int) -> None:
        if done == total or done % 500 == 0:
            err(f"    {platform}: {done}/{total} points")

    return points


def _jobs(jobs: int | None, platforms: int) -> int:
    if jobs is None:
        return max(1, min(os.cpu_count() or 1, platforms))
    if jobs < 1:
        raise HilError(f"--jobs: expected a number of workers of at least 1, found {jobs}")
    return min(jobs, max(1, platforms))


def _progress(i: int, n: int, platform: str, case: MatrixCase, run: CaseRun | None) -> None:
    width = len(str(n))
    head = f"[{i:>{width}}/{n}] {platform} item {case.item} {case.key}"
    if run is None:
        if case.scenario in SWEEP_SCENARIOS:  # long: say what runs before the points bar
            err(f"{head} (power-cut sweep) ...")
        return
    status = "PASS" if run.passed else "FAIL"
    err(f"{head} ... {status}")
    if not run.passed:
        for reason in run.result.reasons:
            if not reason.startswith("ok:"):
                err(f"    {reason}")


def _mutant_progress(
    i: int, n: int, platform: str, bug: PlantedBug, res: MutantResult | None
) -> None:
    if res is None:
        return
    width = len(str(n))
    what = f"caught by {', '.join(res.caught_by)}" if res.caught else "ESCAPED"
    err(f"[{i:>{width}}/{n}] {platform} mutant {bug.flag} (item {bug.item}) ... {what}")


def _table(summary: ComplianceSummary, items: list[MatrixItem]) -> list[str]:
    label = {
        Status.PASS: "PASS",
        Status.FAIL: "FAIL",
        Status.NOT_RUN: "not run",
        Status.NOT_PROVABLE: "NOT PROVABLE",
    }
    head = ["#", "Item", *summary.platforms]
    rows: list[list[str]] = []
    for it in items:
        if not it.ready:
            cells = [NOT_READY] * len(summary.platforms)
        else:
            cells = [label[summary.cell(it.number, p).status] for p in summary.platforms]
        rows.append([str(it.number), it.title, *cells])
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    fmt = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return ["  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)).rstrip(), *fmt]


def _interrupted(
    stop: MatrixInterrupted,
    report: Path,
    items: list[MatrixItem],
    platforms: list[Platform],
    n_cases: int,
    seed: int,
) -> int:
    """Complete the report from the cases that finished, marked incomplete; one line says what
    was kept and where. Returns the exit code of an interrupt."""
    done = stop.done
    label = (
        f"incomplete: {stop.why} during {stop.during}; {len(done)} of {n_cases} case(s) "
        "finished and are reported, the others were not run"
    )
    results = [r.result for r in done]
    summary = ComplianceSummary(results, items, [p.name for p in platforms], generated=label)
    summary.write_all(report)
    write_allure_results(
        results,
        report / RESULTS_DIRNAME,
        seed=seed,
        items=ITEMS,
        unfinished=stop.unfinished,
    )
    err(
        f"hil matrix: {stop.why} during {stop.during}: kept the {len(done)} finished case(s) "
        f"of {n_cases} in {report} (compliance.json/.md/.html and junit.xml marked incomplete, "
        f"{RESULTS_DIRNAME}/ with the unfinished case as skipped, evidence/); "
        f"render: hil report {report}"
    )
    return EXIT_INTERRUPTED


@command("matrix", HELP)
def run(args: argparse.Namespace) -> int:
    items = parse_items(args.items)
    report: Path = args.report
    started = time.monotonic()
    profiles = [load_profile(f) for f in (args.profile or [])]
    own = [p for p in profiles if Route.LIBRARY not in p.routes]
    if own and len(own) != len(profiles):
        raise HilError(
            "--profile: expected profiles of one kind per run (evidence library, or patterns "
            "and oracle), found both"
        )
    if args.quick and args.exhaustive:
        raise HilError("--quick: expected either --quick or --exhaustive, found both")
    if own:
        if args.quick:
            raise HilError(
                "--quick: expected the reference firmware's matrix (profiles of the evidence "
                f"library), found {', '.join(str(p.path) for p in own)} judged by patterns"
            )
        return _run_profiles(args, own, items, report, started)
    names = [p.chip for p in profiles] or args.platform or known_platforms()
    if not profiles:
        root = repo_root()
        profiles = [load_profile(root / "profiles" / f"reference-{n}.yaml") for n in names]
    platforms: list[Platform] = [load_platform(n) for n in names]

    firmware_cache: dict[tuple[str, tuple[tuple[str, int], ...]], FirmwareSet] = {}

    def firmware(p: Platform, defines: Mapping[str, int] | None = None) -> FirmwareSet:
        key = (p.name, tuple(sorted((defines or {}).items())))
        if key not in firmware_cache:
            firmware_cache[key] = build_firmware(p, defines=defines)
        return firmware_cache[key]

    def replay(platform: str, case: MatrixCase) -> str:
        return (
            f"hil matrix --platform {platform} --items {case.item} --engine {args.engine} "
            f"--seed {args.seed} --report {report}{' --quick' if args.quick else ''}"
        )

    jobs = _jobs(args.jobs, len(platforms))
    ready = [it for it in items if it.ready]
    cases = cases_for(ready, args.exhaustive, args.quick)
    n_cases = len(cases) * len(platforms)
    try:
        err(
            f"hil matrix: {len(ready)} ready item(s), {n_cases} case(s) on "
            f"{', '.join(p.name for p in platforms)}; report in {report}"
        )

        def one(
            plats: list[Platform], offset: int, points: Callable[[int, int], None]
        ) -> list[CaseRun]:
            def progress(i: int, n: int, name: str, case: MatrixCase, run: CaseRun | None) -> None:
                _progress(i + offset, n_cases, name, case, run)

            return run_matrix(
                plats,
                ready,
                report / "evidence",
                firmware,
                engine=args.engine,
                seed=args.seed,
                progress=progress,
                replay=replay,
                sweep_progress=points,
                exhaustive=args.exhaustive,
                quick=args.quick,
            )

        if jobs > 1:
            for p in platforms:  # built before the workers fork (they never build at once)
                firmware(p)
            runs = run_split(
                platforms, cases, lambda p, off: one([p], off, _labelled_points(p.name)), jobs
            )
        else:
            runs = one(platforms, 0, _points)
    except MatrixInterrupted as stop:
        return _interrupted(stop, report, items, platforms, n_cases, args.seed)
    except KeyboardInterrupt as exc:  # a stop before the first case started: an empty report
        why = str(exc) or "interrupted"
        first = cases[0] if cases and platforms else None
        early = MatrixInterrupted(
            why,
            [],
            unfinished(first, platforms[0].name, args.engine, why, replay(platforms[0].name, first))
            if first is not None
            else None,
        )
        return _interrupted(early, report, items, platforms, n_cases, args.seed)
    mutants: list[MutantResult] = []
    if args.mutants:
        bugs = planted_for(ready)
        err(f"hil matrix --mutants: {len(bugs)} planted bug(s) x {len(platforms)} platform(s)")
        try:
            mutants = run_mutants(
                platforms,
                bugs,
                report / "mutants",
                firmware,
                engine=args.engine,
                seed=args.seed,
                progress=_mutant_progress,
            )
        except MutantsInterrupted as stop:  # the matrix finished: keep it and the mutants done
            label = (
                f"incomplete: {stop.why} during {stop.during}; the matrix's {len(runs)} case(s) "
                f"and {len(stop.done)} of {len(bugs) * len(platforms)} mutant(s) finished and "
                "are reported"
            )
            results = [r.result for r in runs]
            ComplianceSummary(
                results, items, [p.name for p in platforms], generated=label, mutants=stop.done
            ).write_all(report)
            write_allure_results(results, report / RESULTS_DIRNAME, seed=args.seed, items=ITEMS)
            err(
                f"hil matrix --mutants: {stop.why} during {stop.during}: kept the matrix's "
                f"{len(runs)} case(s) and {len(stop.done)} finished mutant(s) in {report} "
                f"(compliance.json/.md/.html and junit.xml marked incomplete); "
                f"render: hil report {report}"
            )
            return EXIT_INTERRUPTED
    summary = ComplianceSummary(
        [r.result for r in runs],
        items,
        [p.name for p in platforms],
        profiles={p.chip: p.identity() for p in profiles},
        mutants=mutants,
        generated=QUICK_LABEL if args.quick else None,
    )
    written = summary.write_all(report)
    allure_dir = report / RESULTS_DIRNAME
    write_allure_results([r.result for r in runs], allure_dir, seed=args.seed, items=ITEMS)

    for line in _table(summary, items):
        out(line)
    out()
    failed = [r for r in runs if not r.passed]
    missing = [
        (it.number, p.name)
        for it in ready
        for p in platforms
        if summary.cell(it.number, p.name).status is Status.NOT_RUN
    ]
    waiting = [it.number for it in items if not it.ready]
    elapsed = time.monotonic() - started
    escaped = [m for m in mutants if not m.caught]
    ok = not failed and not missing and not escaped
    verdict = "PASS" if ok else "FAIL"
    out(
        f"verdict: {verdict}: {len(runs) - len(failed)}/{len(runs)} cases pass, "
        f"{len(ready)} ready item(s) on {len(platforms)} platform(s) in {elapsed:.1f} s"
    )
    if waiting:
        out(f"not run (needs the fault injector): items {', '.join(map(str, waiting))}")
    for r in failed:
        out(f"FAILED: {r.platform} item {r.case.item} {r.case.key}")
    if mutants:
        sc = score(mutants)
        per = ", ".join(f"{k}: {v['caught']}/{v['planted']}" for k, v in sc["per_item"].items())
        out(f"mutation score: {sc['caught']}/{sc['planted']} planted bugs caught ({per})")
    for m in escaped:
        out(f"ESCAPED: {m.platform} {m.flag} (item {m.item}, ran {', '.join(m.ran)})")
    also = ", ".join(str(written[k]) for k in ("json", "markdown", "junit"))
    out(f"report: {written['html']} (also {also})")
    out(f"allure results: {allure_dir} (render them: hil report {report})")
    return EXIT_OK if ok else EXIT_FAILED


def _run_profiles(
    args: argparse.Namespace,
    profiles: list[Profile],
    items: list[MatrixItem],
    report: Path,
    started: float,
) -> int:
    """The matrix for firmware judged by console patterns and the outside oracle."""
    from hil.matrix.profile_items import ProfileMatrixInterrupted, run_profile_matrix

    results: list[CaseResult] = []
    not_provable: dict[tuple[int, str], str] = {}
    stopped: str | None = None
    chips = [p.chip for p in profiles]
    try:
        err(f"hil matrix: profiles {', '.join(p.name for p in profiles)}; report in {report}")
        for prof in profiles:
            res, np_ = run_profile_matrix(
                prof, [it.number for it in items], report / "evidence", seed=args.seed, progress=err
            )
            results += res
            not_provable.update(np_)
    except ProfileMatrixInterrupted as stop:  # keep what finished, marked incomplete
        results += stop.done
        not_provable.update(stop.not_provable)
        stopped = f"{stop.why} during {stop.during}"
    except KeyboardInterrupt as exc:  # between cases
        stopped = str(exc) or "interrupted"
    summary = ComplianceSummary(
        results,
        items,
        chips,
        not_provable=not_provable,
        profiles={p.chip: p.identity() for p in profiles},
        generated=(
            None
            if stopped is None
            else f"incomplete: {stopped}; {len(results)} case(s) finished and are reported, "
            "the others were not run"
        ),
    )
    written = summary.write_all(report)
    write_allure_results(results, report / RESULTS_DIRNAME, seed=args.seed, items=ITEMS)
    if stopped is not None:
        err(
            f"hil matrix: {stopped}: kept the {len(results)} finished case(s) in {report} "
            f"(compliance.json/.md/.html and junit.xml marked incomplete, evidence/); "
            f"render: hil report {report}"
        )
        return EXIT_INTERRUPTED
    for line in _table(summary, items):
        out(line)
    out()
    for (number, chip), why in sorted(not_provable.items()):
        out(f"NOT PROVABLE with {chip}'s profile: item {number}: {why}")
    failed = [r for r in results if not r.passed]
    missing = [
        (it.number, c)
        for it in items
        for c in chips
        if summary.cell(it.number, c).status is Status.NOT_RUN
    ]
    for number, chip in missing:
        out(f"not run: item {number} on {chip}: provable, but no scenario drives it yet")
    for r in failed:
        out(f"FAILED: {r.platform} item {r.item} {r.scenario}")
    ok = not failed and not missing
    out(
        f"verdict: {'PASS' if ok else 'FAIL'}: {len(results) - len(failed)}/{len(results)} cases "
        f"pass, {len(not_provable)} not provable, in {time.monotonic() - started:.1f} s"
    )
    out(f"report: {written['html']}")
    return EXIT_OK if ok else EXIT_FAILED
