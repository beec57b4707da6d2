"""``hil init [DIR]`` writes a commented target profile for a folder of build outputs;
``hil check PROFILE`` runs a clean boot and a clean update and says which items it can prove."""

from __future__ import annotations

import argparse
from pathlib import Path

from hil.commands.base import EXIT_FAILED, EXIT_OK, arguments, command, out
from hil.errors import HilError
from hil.matrix.items import ITEMS
from hil.matrix.proofs import provable
from hil.platform import known_platforms
from hil.profile import Route, load_profile
from hil.target.init import init_profile


@arguments("init")
def _init_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", nargs="?", type=Path, default=Path("."), help="build folder")
    p.add_argument("--chip", required=True, choices=known_platforms(), help="the platform")
    p.add_argument("--out", type=Path, default=None, help="profile file (default DIR/profile.yaml)")
    p.add_argument(
        "--key",
        action="append",
        type=Path,
        default=[],
        metavar="PEM",
        help="signing key (repeatable); with one, a clean update measures the update duration",
    )


@command("init", "write a commented target profile for a folder of build outputs")
def run_init(args: argparse.Namespace) -> int:
    folder: Path = args.dir
    if not folder.is_dir():
        raise HilError(f"hil init: expected a build folder, found no directory {folder}")
    target: Path = args.out or folder / "profile.yaml"
    scan = init_profile(folder, args.chip, target, [k.resolve() for k in args.key])
    out(f"wrote {target}")
    out(f"  console {scan.console} (banner {scan.banner!r}), SMP on {scan.mgmt}")
    out(f"  {len(scan.areas)} flash areas, {len(scan.patterns)} pattern(s) seen")
    if not args.key:
        out("  keys.signing is empty: add your signing key, then run hil check")
    return EXIT_OK


@arguments("check")
def _check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("profile", type=Path, help="the target profile")
    p.add_argument("--seed", type=int, default=1)


@command("check", "clean boot + clean update with a profile; list the items it can prove")
def run_check(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    out(f"{profile.name} on {profile.chip}: routes {', '.join(r.value for r in profile.routes)}")
    for it in ITEMS:
        proof, why = provable(it.number, profile)
        mark = "provable" if proof else "NOT PROVABLE"
        out(f"  item {it.number:>2} {it.title:<46} {mark}" + (f": {why}" if why else ""))
    if Route.LIBRARY in profile.routes:
        out("clean boot + update: run `hil matrix --profile FILE --items 1` (evidence library)")
        return EXIT_OK
    from hil.matrix.profile_items import case, run_case, runs, seen

    ok, reasons, run = run_case(case(1, "normal-update"), profile, args.seed)
    banner = profile.console.banner
    booted = run.target is not None and (banner is None or banner in run.target.log)
    out(f"clean boot: {'ok' if booted else 'FAILED (banner not seen)'}")
    recorded = profile.overrides.clock_limits != "fault"
    for v in run.target.engine.clock_violations() if run.target is not None else ():
        out(f"  clock limit violated: {v}" + (" (recorded only)" if recorded else " (HardFault)"))
    # the clean update: delivered over the profile's route, then installed and running (the
    # oracle), or at least reported (the UPGRADE pattern) without the oracle
    if Route.ORACLE in profile.routes:
        bad = runs("v2")(run.evidence)
    elif "UPGRADE" in profile.pattern_events():
        bad = seen("UPGRADE")(run.evidence)
    else:
        bad = ["neither the oracle nor an UPGRADE pattern can see the update"]
    out(f"clean update: {'ok' if not bad else 'FAILED'}")
    for r in bad:
        out(f"  {r}")
    out(f"item 1 (normal update, every check of its routes): {'PASS' if ok else 'FAIL'}")
    for r in reasons:
        if not r.startswith("ok:"):
            out(f"  {r}")
    return EXIT_OK if not bad and booted else EXIT_FAILED
