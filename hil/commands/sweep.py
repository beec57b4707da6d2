"""``hil sweep``: cut the power at every flash operation and phase of an update (snapshot and
continue), judge every recovery from the device's evidence, print the summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hil.commands.base import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    add_app_size_arg,
    add_platform_args,
    arguments,
    command,
    err,
    out,
    platform_name,
)
from hil.faults.plan import load_plan
from hil.firmware import build_firmware
from hil.platform import load_platform
from hil.provision import factory_image

EPILOG = """\
Points: a cut in every flash operation of a clean update (factory build 1 -> build 2 -> power
cycle), torn as the platform's flash tears; a cut at every phase event the device reports;
K seeded random instants; optionally brownouts at operations on chosen layout areas. After
each cut the device is powered on and run until a confirmed boot, RESCUE or the bound, and
its evidence is checked: outcome in CONFIRMED/ROLLBACK/REJECT/RESCUE, a confirmed bootable
slot, metadata valid or recovered, nothing below the floor runs, only verified images run,
PENDING images always verify. A phase in which no fault fired fails the sweep.

With --plan FILE (a fault plan, YAML or JSON) only that plan's faults are swept.
With --app-size KIB the factory image and the update both carry a payload of that size (the
app followed by a deterministic filler, hashed and verified like the code).
With --report DIR: DIR/summary.json, DIR/points.jsonl, and for every failing point
DIR/failures/<id>/{record.json,console.log,plan.json}; `hil replay DIR/failures/<id>/record.json`
reproduces it byte for byte (add --gdb PORT to stop at the fault).

Exit codes: 0 every point passes and every phase is covered; 1 otherwise; 2 bad input."""


@arguments("sweep")
def _args(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = EPILOG
    add_platform_args(p, profile=True)
    add_app_size_arg(p)
    p.add_argument("--plan", type=Path, default=None, metavar="FILE", help="sweep this plan only")
    p.add_argument("--report", type=Path, default=None, metavar="DIR", help="write results here")
    p.add_argument("--stride", type=int, default=1, help="every N-th flash op (default 1: all)")
    p.add_argument("--random", type=int, default=4, metavar="K", help="seeded random instants")
    p.add_argument(
        "--brownout",
        action="append",
        default=[],
        metavar="AREA",
        help="also a brownout at every flash op on this layout area (repeatable: meta_a, ...)",
    )
    p.add_argument(
        "--define",
        action="append",
        default=[],
        metavar="NAME[=V]",
        help="firmware build flag, e.g. MUT_META_IN_PLACE (plants a bug the sweep must catch)",
    )
    p.add_argument("--workers", type=int, default=0, help="parallel children (default: CPUs)")
    p.add_argument("--engine", default="unicorn", help="emulation engine (default: unicorn)")
    p.add_argument("--seed", type=int, default=1, help="seed of every random choice (default 1)")
    p.add_argument(
        "--depth",
        type=int,
        default=1,
        metavar="N",
        help="cut the recoveries too, down to depth N (2: every flash op of every recovery)",
    )
    p.add_argument(
        "--no-dedup",
        action="store_true",
        help="run every point (default: a state already judged is 'same state as' its first, "
        "and at the last depth a state that agrees with a judged recovery on every page it "
        "read is 'same recovery as' that point)",
    )
    p.add_argument(
        "--sample",
        type=float,
        default=0.1,
        metavar="RATE",
        help="seeded share of 'same state' and 'same recovery' points run anyway, which must "
        "agree (default 0.1)",
    )
    p.add_argument(
        "--sample-max",
        type=int,
        default=None,
        metavar="N",
        help="lower the sample's rate so that it draws about N of the sweep's first cuts "
        "(default 100, SweepOptions.sample_max; 0: no limit): a big update's sweep then runs "
        "about as many sample recoveries as a small one's",
    )
    p.add_argument(
        "--shard",
        type=_shard,
        default=(1, 1),
        metavar="K/N",
        help="run shard K of N (a deterministic share of the points); join the shards' "
        "--report dirs with `hil report --merge`",
    )


def _shard(text: str) -> tuple[int, int]:
    k, _, n = text.partition("/")
    try:
        kk, nn = int(k), int(n)
    except ValueError:
        kk = nn = 0
    if not 1 <= kk <= nn:
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N, found {text!r}")
    return kk, nn


def _defines(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        name, _, value = item.partition("=")
        out[name] = int(value or "1", 0)
    return out


@command("sweep", "power-cut sweep of an update: every flash op, every phase, random instants")
def run(args: argparse.Namespace) -> int:
    from hil.sweep import Sweep, SweepOptions
    from hil.sweep.report import summary_lines, write_sweep

    sample_max = SweepOptions.sample_max if args.sample_max is None else args.sample_max
    if args.depth < 1 or not 0 <= args.sample <= 1 or sample_max < 0:
        err(
            f"hil sweep: expected --depth >= 1, --sample in 0..1 and --sample-max >= 0, found "
            f"--depth {args.depth} --sample {args.sample} --sample-max {args.sample_max}"
        )
        return EXIT_BAD_INPUT
    platform = load_platform(platform_name(args))
    plan = load_plan(args.plan) if args.plan is not None else None
    defines = _defines(args.define)
    fw = build_firmware(platform, defines=defines)
    if args.app_size is not None:  # one line naming the slot size if it does not fit
        from hil.update import check_app_size

        check_app_size(platform, fw, args.app_size)
    if plan is not None:  # checked now, before the clean run
        from hil.firmware import elf_symbols
        from hil.sweep.select import check_plan_for_sweep

        names = elf_symbols(fw.boot_elf) | elf_symbols(fw.app_elf)
        check_plan_for_sweep(plan, names, f"{fw.boot_elf.name}, {fw.app_elf.name}")
    opt = SweepOptions(
        stride=args.stride,
        random=args.random,
        brownout_areas=tuple(args.brownout),
        seed=args.seed,
        workers=args.workers,
        plan=plan,
        depth=args.depth,
        dedup=not args.no_dedup,
        sample=args.sample,
        sample_max=sample_max,
        shard=args.shard,
        app_size=args.app_size,
    )

    tty = sys.stderr.isatty()
    # the progress counts the first cuts; below --depth 1 each one's recovery is cut too, a
    # number known only as it runs (the summary gives it)
    unit = "points" if args.depth == 1 else "first cuts (their recoveries' cuts follow each)"

    def progress(done: int, total: int) -> None:
        if tty:
            sys.stderr.write(f"\r  {done}/{total} {unit}")
            sys.stderr.flush()
        elif done == total or done % 250 == 0:
            err(f"  {done}/{total} {unit}")
        if done == total and args.depth > 1:
            if tty:
                sys.stderr.write("\n")
            err("  every first cut made; the last recoveries' cuts are still running")

    err(f"hil sweep: {platform.name}: clean update, then the points (snapshot and continue)")
    sweep = Sweep(platform, fw, engine=args.engine, defines=defines, options=opt, progress=progress)
    # what runs, for the replay records
    hashes = factory_image(platform, fw, app_size=args.app_size).provenance()
    result = sweep.run()
    if tty and args.depth == 1:  # at depth 2 and more the last progress line ended already
        sys.stderr.write("\n")
    for line in summary_lines(result):
        out(line)
    if args.report is not None:
        written = write_sweep(
            result,
            args.report,
            engine=args.engine,
            build=opt.build,
            defines=defines,
            hashes=hashes,
            timing=True,
            app_size=args.app_size,
        )
        out(f"report: {written['summary']} (points: {written['points']})")
    if result.shard != (1, 1):
        k, n = result.shard
        out(f"shard {k}/{n}: join the shards' report dirs with `hil report DIR --merge ...`")
    uncovered = result.uncovered()
    if uncovered:
        out(f"FAIL: no fault fired in phase(s): {', '.join(uncovered)}")
    if result.lost:  # a harness failure, not a device verdict
        for pid, why in sorted(result.lost.items()):
            err(f"hil sweep: internal error: point {pid}: {why}")
        err(
            f"hil sweep: {len(result.lost)} point(s) without a result (their child died twice); "
            "no verdict"
        )
        return EXIT_INTERNAL
    verdict = "PASS" if result.passed else "FAIL"
    out(f"verdict: {verdict}")
    return EXIT_OK if result.passed else EXIT_FAILED
