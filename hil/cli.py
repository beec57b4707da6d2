"""The ``hil`` command. The only place where an error becomes an exit code.

Exit codes: 0 success; 1 the device did not do what was expected (timeout, lockup, failed
check); 2 bad input or environment (unknown platform, malformed file, missing toolchain);
3 an internal or engine failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from hil.errors import DeviceTimeout, EngineError, HilError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Handler, str]] = {}


def command(name: str, help_text: str) -> Callable[[Handler], Handler]:
    """Register a sub-command: the decorated function runs it; ``<name>_args`` adds options."""

    def deco(fn: Handler) -> Handler:
        _COMMANDS[name] = (_ARGS.get(name, lambda p: None), fn, help_text)
        return fn

    return deco


_ARGS: dict[str, Callable[[argparse.ArgumentParser], None]] = {}


def arguments(name: str) -> Callable[[Callable[[argparse.ArgumentParser], None]], None]:
    def deco(fn: Callable[[argparse.ArgumentParser], None]) -> None:
        _ARGS[name] = fn

    return deco


def build_parser() -> argparse.ArgumentParser:
    import hil.commands  # noqa: F401  (registers the sub-commands)

    parser = argparse.ArgumentParser(
        prog="hil",
        description="ota-hil: hardware-in-the-loop tests of secure OTA updates on emulated "
        "STM32U585 and LPC55S69 targets.",
        epilog="Exit codes: 0 ok, 1 device failed a check or timed out, 2 bad input or "
        "environment, 3 internal/engine error.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (add_args, _, help_text) in sorted(_COMMANDS.items()):
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
    return parser


def out(text: str = "") -> None:
    """Print a line for the user (CLI only)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _, handler, _ = _COMMANDS[args.command]
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
    except KeyboardInterrupt:
        err(f"hil {args.command}: interrupted")
        return 130


def add_platform_args(p: argparse.ArgumentParser, *, multiple: bool = False) -> None:
    if multiple:
        p.add_argument(
            "--platform",
            action="append",
            metavar="P",
            help="platform name (repeatable; default: all known platforms)",
        )
    else:
        p.add_argument(
            "--platform", required=True, metavar="P", help="platform name, e.g. stm32u585"
        )


def add_engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", default="unicorn", help="emulation engine (default: unicorn)")
    p.add_argument("--seed", type=int, default=1, help="seed of every random choice (default: 1)")
    p.add_argument("--log-dir", type=Path, default=None, help="write console.log/events.jsonl here")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
