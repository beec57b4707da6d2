"""The ``hil`` command. The only place where an error becomes an exit code.

Exit codes: 0 success; 1 the device did not do what was expected (timeout, lockup, failed
check); 2 bad input or environment (unknown platform, malformed file, missing toolchain);
3 an internal or engine failure (an unexpected one: a one-line reason and the path of the log
holding its traceback); 130 interrupted (SIGINT or SIGTERM: the engine's stop flag is set, a
running emulator stops at its next slice boundary). A closed output pipe ends quietly.
The sub-commands live in ``hil.commands`` and register
themselves there (``hil.commands.base``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from hil.commands.base import (
    COMMANDS,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    err,
)
from hil.engine.base import Engine
from hil.errors import DeviceTimeout, EngineError, HilError, Interrupted

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "build_parser",
    "main",
]


def build_parser() -> argparse.ArgumentParser:
    import hil.commands  # noqa: F401  (registers the sub-commands)

    parser = argparse.ArgumentParser(
        prog="hil",
        description="ota-hil: hardware-in-the-loop tests of secure OTA updates on emulated "
        "STM32U585 and LPC55S69 targets.",
        epilog="Exit codes: 0 ok, 1 device failed a check or timed out, 2 bad input or "
        "environment, 3 internal/engine error, 130 interrupted.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (add_args, _, help_text) in sorted(COMMANDS.items()):
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
    return parser


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """SIGINT/SIGTERM: set the engine's stop flag (a running emulator stops at its next slice
    boundary and raises there, never inside an emulator callback); with no emulator running,
    stop at once."""
    name = signal.Signals(signum).name
    if not Engine.request_stop(f"interrupted ({name})"):
        raise Interrupted(f"interrupted ({name})")


def _crash_log(command: str, exc: BaseException) -> Path:
    """Write the traceback of an unexpected error to a log file; returns its path."""
    d = Path(os.environ.get("TMPDIR") or tempfile.gettempdir()) / "ota-hil"
    d.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"hil-{command}-", suffix=".log", dir=d)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"hil {command}: {type(exc).__name__}: {exc}\n")
        f.write("".join(traceback.format_exception(exc)))
    return Path(name)


def _quiet_broken_pipe() -> None:
    """The reader went away (``hil platforms | head``): end quietly, without flushing again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _, handler, _ = COMMANDS[args.command]
    Engine.clear_stop()
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        for s in previous:
            signal.signal(s, _on_signal)
    try:
        return handler(args)
    except DeviceTimeout as exc:
        err(f"hil {args.command}: FAILED: {exc}")
        return EXIT_FAILED
    except EngineError as exc:
        err(f"hil {args.command}: engine error: {exc}")
        return EXIT_INTERNAL
    except HilError as exc:
        err(f"hil {args.command}: {exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        why = str(exc) or "interrupted"
        err(f"hil {args.command}: {why}")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_broken_pipe()
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place an unexpected error becomes exit 3
        log = _crash_log(args.command, exc)
        first = (str(exc).splitlines() or [""])[0]
        what = f"{type(exc).__name__}: {first}"
        err(f"hil {args.command}: internal error: {what} (traceback in {log})")
        return EXIT_INTERNAL
    finally:
        if in_main:
            for s, h in previous.items():
                signal.signal(s, h)
        Engine.clear_stop()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
