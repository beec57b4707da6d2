"""``hil platforms``: list the known platforms."""

from __future__ import annotations

import argparse

from hil.commands.base import EXIT_OK, command, out
from hil.platform import known_platforms, load_platform


@command("platforms", "list the known platforms and their flash layout")
def run(args: argparse.Namespace) -> int:
    for name in known_platforms(layouts=True):
        p = load_platform(name)
        layout_of = "" if p.chip == p.name else f" [layout of {p.chip}]"
        out(f"{p.name}: {p.title}{layout_of}")
        for area in p.layout.areas.values():
            out(f"  {area.name:<10} 0x{area.address:08x} +0x{area.size:x}")
    return EXIT_OK
