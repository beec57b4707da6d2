"""The ``hil`` command. The only place where an error becomes an exit code.

Exit codes: 0 success; 1 the device did not do what was expected (timeout, lockup, failed
check); 2 bad input or environment (unknown platform, malformed file, missing toolchain);
3 an internal or engine failure. The sub-commands live in ``hil.commands`` and register
themselves there (``hil.commands.base``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from hil.commands.base import (
    COMMANDS,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    err,
)
from hil.errors import DeviceTimeout, EngineError, HilError

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERNAL", "EXIT_OK", "build_parser", "main"]


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
    for name, (add_args, _, help_text) in sorted(COMMANDS.items()):
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _, handler, _ = COMMANDS[args.command]
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
