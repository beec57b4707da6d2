"""``hil bench``: benchmarks that print ratios measured in one run."""

from __future__ import annotations

import argparse

from hil.cli import EXIT_OK, add_platform_args, arguments, command, out
from hil.engine.unicorn.bench import cpu_loop_benchmark
from hil.platform import known_platforms, load_platform


@arguments("bench")
def _args(p: argparse.ArgumentParser) -> None:
    add_platform_args(p, multiple=True)


@command("bench", "engine speed on a CPU-bound loop with all hooks, as a ratio to bare Unicorn")
def run(args: argparse.Namespace) -> int:
    for name in args.platform or known_platforms():
        r = cpu_loop_benchmark(load_platform(name))
        out(
            f"{name}: bare unicorn {r.bare_ips / 1e6:.1f} M instr/s, engine with hooks "
            f"{r.engine_ips / 1e6:.1f} M instr/s, ratio {r.ratio:.2f} (goal >= 0.5)"
        )
    return EXIT_OK
