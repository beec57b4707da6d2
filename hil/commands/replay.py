"""``hil replay RECORD [--gdb PORT]``: re-run a recorded case and compare its evidence.

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
from hil.faults import Halt
from hil.gdb import GdbServer
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
