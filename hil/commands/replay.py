"""``hil replay RECORD [--gdb PORT] [--profile FILE]``: re-run a recorded case and compare its
evidence.

A record of a target-profile case (``hil matrix --profile``; scenario ``profile-case``)
carries the profile (name, file, SHA-256) and the SHA-256 of every firmware file: the replay
loads that profile (or ``--profile FILE``, e.g. after the files moved), refuses one whose file
or firmware hashes differ (exit 2), re-runs the case and compares the digest of its console
transcript and evidence events. For other records ``--profile`` names the reference profile
of the record's chip (checked, nothing else changes).

Prints the case ID, the faults that fired and the digest comparison; exit 0 when the console
transcript is byte-identical, 1 when not (2 for a malformed record or one whose firmware
hashes no longer match the rebuilt firmware). With ``--gdb PORT`` the last fault halts the
core instead of cutting the power (see ``hil.replay``) and a GDB server waits on PORT.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hil.commands.base import EXIT_FAILED, EXIT_OK, arguments, command, out
from hil.engine.base import Engine
from hil.errors import HilError
from hil.faults import Halt
from hil.gdb import GdbServer
from hil.profile import reference_chip
from hil.record import ReplayRecord, load_record, recorded_case_id
from hil.replay import replay


@arguments("replay")
def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("record", type=Path, help="a replay record (JSON) written for a case")
    p.add_argument(
        "--gdb",
        type=int,
        default=None,
        metavar="PORT",
        help="halt at the last fault of the plan (a sweep point: the last cut of its path; "
        "the earlier ones cut) instead of cutting, and serve GDB on 127.0.0.1:PORT",
    )
    p.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="FILE",
        help="the target profile of the record (default: the one it names); its file and "
        "firmware must hash as recorded",
    )


@command("replay", "re-run a recorded case; exit 0 when its evidence is byte-identical")
def run(args: argparse.Namespace) -> int:
    record = load_record(args.record)
    recorded = recorded_case_id(args.record)
    out(
        f"case {record.case_id}: {record.platform}/{record.engine} seed {record.seed} "
        f"scenario {record.scenario}"
    )
    if recorded is not None and recorded != record.case_id:
        out(f"  note: the record says case {recorded}; its contents were edited since")
    if record.profile is not None:
        return _profile_case(record, args.profile, args.gdb)
    if args.profile is not None:
        reference_chip(args.profile, record.platform)  # the record's own firmware: check only
    if args.gdb is not None:
        return _gdb(record, args.gdb)
    result = replay(record)
    for f in result.fired:
        out(f"  fired: faults[{f.fault}] {f.kind} at {f.where} (instruction {f.instructions})")
    if not result.fired:
        out("  fired: none")
    if result.identical:
        out(f"  evidence: identical (sha256 {result.digest})")
        return EXIT_OK
    out(f"  evidence: DIFFERS: recorded sha256 {result.expected_digest}, replay {result.digest}")
    return EXIT_FAILED


def _profile_case(record: ReplayRecord, profile: Path | None, gdb: int | None) -> int:
    from hil.matrix.profile_replay import replay_profile

    if gdb is not None:
        raise HilError(
            "--gdb: expected a record of the evidence-library firmware (its fault plan names the "
            "halt), found a profile case (it has no fault plan to halt at)"
        )
    assert record.profile is not None
    out(f"  profile: {record.profile['name']} ({record.profile['file']}, sha256 "
        f"{record.profile['sha256'][:12]}); item {record.args.get('item')} "
        f"{record.args.get('case')}")  # fmt: skip
    result = replay_profile(record, profile)
    out(f"  verdict: {'PASS' if result.passed else 'FAIL'}")
    for r in result.reasons:
        out(f"    {r}")
    if result.identical:
        out(f"  evidence: identical (sha256 {result.digest})")
        return EXIT_OK
    out(f"  evidence: DIFFERS: recorded sha256 {result.expected_digest}, replay {result.digest}")
    return EXIT_FAILED


def _gdb(record: ReplayRecord, port: int) -> int:
    def serve(engine: Engine, halt: Halt) -> None:
        server = GdbServer(engine, port)
        out(f"  halted at {halt.fault}: pc 0x{halt.pc:08x}, instruction {halt.instructions}")
        out(
            f"  gdb server on 127.0.0.1:{server.port} (gdb-multiarch -ex 'target remote "
            f":{server.port}')"
        )
        server.serve()

    result = replay(record, halt=True, on_halt=serve)
    if result.halt is None:
        out("  the fault never fired: nothing to halt at")
        return EXIT_FAILED
    return EXIT_OK
