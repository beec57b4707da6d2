"""The ``hil`` console script. It installs its signal handlers before anything heavy is
imported, so a SIGINT/SIGTERM while the modules load ends the command quietly (exit 130), then
runs ``hil.cli.main`` (which installs the engine-aware handlers)."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

EXIT_INTERRUPTED = 130  # mirrors hil.commands.base (not imported here: it is the heavy part)


def _early(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write(f"hil: interrupted ({signal.Signals(signum).name}) while starting\n")
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


def run() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _early)
    from hil.cli import main

    code = main()
    if code == EXIT_INTERRUPTED:
        # stop now: every file is closed by the command already; tearing down the interpreter
        # (the emulator's memory, the modules) would only delay the exit by about a second
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)


__all__ = ["run"]
