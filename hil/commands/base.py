"""What every ``hil`` sub-command shares: exit codes, the registry the sub-commands add
themselves to (``command``, ``arguments``), common options and the CLI's output functions.
``hil.cli`` builds the parser from the registry and turns errors into exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130  # SIGINT / SIGTERM (128 + SIGINT, the shell's convention)

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Handler, str]] = {}
_ARGS: dict[str, Callable[[argparse.ArgumentParser], None]] = {}


def command(name: str, help_text: str) -> Callable[[Handler], Handler]:
    """Register a sub-command: the decorated function runs it; ``arguments(name)`` adds its
    options."""

    def deco(fn: Handler) -> Handler:
        COMMANDS[name] = (_ARGS.get(name, lambda p: None), fn, help_text)
        return fn

    return deco


def arguments(name: str) -> Callable[[Callable[[argparse.ArgumentParser], None]], None]:
    def deco(fn: Callable[[argparse.ArgumentParser], None]) -> None:
        _ARGS[name] = fn

    return deco


def out(text: str = "") -> None:
    """Print a line for the user (CLI only)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _platform_help(note: str = "") -> str:
    """``--platform``'s help: the known names (chips and their other layouts, ``extends:``)."""
    from hil.platform import known_platforms

    names = ", ".join(known_platforms(layouts=True))
    return f"platform: {names}" + (f" ({note})" if note else "")


def add_platform_args(
    p: argparse.ArgumentParser, *, multiple: bool = False, profile: bool = False
) -> None:
    """``--platform`` (and with ``profile=True`` its alternative ``--profile FILE``: a target
    profile of the reference firmware names the chip; see ``platform_name``)."""
    if profile:
        p.add_argument("--platform", metavar="P", help=_platform_help())
        p.add_argument(
            "--profile",
            type=Path,
            metavar="FILE",
            help="target profile (profiles/reference-<chip>.yaml is the default behaviour)",
        )
        return
    if multiple:
        p.add_argument(
            "--platform",
            action="append",
            metavar="P",
            help=_platform_help("repeatable; default: every chip, not the other layouts"),
        )
    else:
        p.add_argument("--platform", required=True, metavar="P", help=_platform_help())


def _kib(text: str) -> int:
    try:
        kib = int(text, 10)
    except ValueError:
        kib = 0
    if kib <= 0:
        raise argparse.ArgumentTypeError(f"expected a size in KiB (an integer > 0), found {text!r}")
    return kib * 1024


def add_app_size_arg(p: argparse.ArgumentParser, *, multiple: bool = False) -> None:
    """``--app-size KIB`` (stored in bytes): image payloads are the application followed by a
    deterministic filler up to this size (``hil.image.builder.sized_payload``)."""
    p.add_argument(
        "--app-size",
        type=_kib,
        action="append" if multiple else "store",
        default=None,
        metavar="KIB",
        help="image payload of this size in KiB (the sweep: factory image and update): the app "
        "binary followed by a deterministic filler the bootloader hashes and verifies like "
        "the code" + (" (repeatable)" if multiple else ""),
    )


def add_engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", default="unicorn", help="emulation engine (default: unicorn)")
    p.add_argument("--seed", type=int, default=1, help="seed of every random choice (default: 1)")
    p.add_argument("--log-dir", type=Path, default=None, help="write console.log/events.jsonl here")


def platform_name(args: argparse.Namespace) -> str:
    """The platform of ``--platform`` or of ``--profile`` (a profile judged by the evidence
    library: the reference firmware and builds that use its evidence files)."""
    from hil.errors import HilError
    from hil.profile import reference_chip

    if getattr(args, "profile", None) is not None:
        return reference_chip(args.profile, args.platform)
    if args.platform is None:
        raise HilError("expected --platform P or --profile FILE, found neither")
    return str(args.platform)
