"""``hil monitor [--platform P | --profile FILE] [--port N] [--script FILE] [--record FILE]``:
the monitor console (``hil.monitor``): every action on a target is a command, typed at the
prompt (readline line editing and history), sent over a localhost TCP port, or read from a
``.hilmon`` script.

``--platform P`` loads the target first (the command ``load P``); ``--profile FILE`` loads the
chip of a target profile that the evidence library judges (``load <chip> profile=FILE``).
A script stops at its first failing command (exit 2 for a command error, with the line named).
``--record FILE`` saves the session as a replay record at the end (``hil replay FILE``
reproduces it byte for byte).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hil.commands.base import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    add_engine_args,
    arguments,
    command,
    err,
    out,
    platform_name,
)
from hil.errors import HilError
from hil.monitor.commands import execute
from hil.monitor.console import Console, interactive, run_script, serve_tcp
from hil.monitor.record import save_session
from hil.monitor.session import Session


@arguments("monitor")
def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--platform", metavar="P", help="load this platform first (load P)")
    p.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="load the chip of this target profile first (a profile of the evidence library, "
        "e.g. profiles/reference-stm32u585.yaml)",
    )
    add_engine_args(p)
    p.add_argument(
        "--port",
        type=int,
        default=None,
        metavar="N",
        help="also serve the monitor on 127.0.0.1:N (0: any free port; printed at start)",
    )
    p.add_argument("--script", type=Path, metavar="FILE", help="run a .hilmon script and exit")
    p.add_argument(
        "--record", type=Path, metavar="FILE", help="save the session as a replay record at exit"
    )


@command("monitor", "interactive monitor console: every action on a target is a command")
def run(args: argparse.Namespace) -> int:
    session = Session(engine=args.engine, seed=args.seed, log_dir=args.log_dir)
    console = Console(session)
    try:
        if args.profile is not None:
            load = f"load {platform_name(args)} profile={args.profile}"
        elif args.platform is not None:
            load = f"load {args.platform}"
        else:
            load = None
        if load is not None:
            reply = execute(session, load)
            if not reply.ok:
                raise HilError(reply.text.removeprefix("error: "))
            out(reply.text)
        server = None
        if args.port is not None:
            try:
                server, port = serve_tcp(console, args.port)
            except OSError as exc:
                raise HilError(f"--port {args.port}: cannot listen on 127.0.0.1: {exc}") from None
            out(f"monitor on 127.0.0.1:{port}")
        try:
            if args.script is not None:
                try:
                    lines = args.script.read_text(encoding="utf-8").splitlines()
                except OSError as exc:
                    raise HilError(f"--script: expected a readable .hilmon file; {exc}") from None
                failed = run_script(console, lines, out, str(args.script))
                if failed is not None:
                    err(f"hil monitor: {failed}")
                    return EXIT_BAD_INPUT
            else:
                out("ota-hil monitor: type help for the commands, quit to leave")
                interactive(console, sys.stdout)
        finally:
            if server is not None:
                server.shutdown()
        if args.record is not None:
            with console.lock:
                rec = save_session(session, args.record)
            out(f"record {rec.case_id} written to {args.record}")
        return EXIT_OK
    finally:
        session.close()
