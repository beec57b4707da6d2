"""``hil build``: generate platform files and build the reference firmware."""

from __future__ import annotations

import argparse

from hil.commands.base import EXIT_OK, add_platform_args, arguments, command, out
from hil.firmware import build_firmware
from hil.platform import known_platforms, load_platform


@arguments("build")
def _args(p: argparse.ArgumentParser) -> None:
    add_platform_args(p, multiple=True)
    p.add_argument("--app-build", type=int, default=1, help="application build number (default 1)")
    p.add_argument(
        "-D",
        dest="defines",
        action="append",
        default=[],
        metavar="FLAG[=N]",
        help="firmware build flag, e.g. -D APP_NO_WDT_FEED",
    )


def parse_defines(items: list[str]) -> dict[str, int]:
    flags: dict[str, int] = {}
    for item in items:
        name, _, value = item.partition("=")
        flags[name] = int(value, 0) if value else 1
    return flags


@command("build", "generate the platform header/linker files and build bootloader and app")
def run(args: argparse.Namespace) -> int:
    for name in args.platform or known_platforms():
        platform = load_platform(name)
        fw = build_firmware(platform, app_build=args.app_build, defines=parse_defines(args.defines))
        out(f"{platform.name}: {fw.boot_elf} {fw.app_elf}")
    return EXIT_OK
