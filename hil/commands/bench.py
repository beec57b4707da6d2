"""``hil bench``: benchmarks that print ratios and counts measured in one run."""

from __future__ import annotations

import argparse

from hil.cli import EXIT_OK, add_platform_args, arguments, command, out
from hil.platform import known_platforms, load_platform

BENCHES = ("engine", "verify")


@arguments("bench")
def _args(p: argparse.ArgumentParser) -> None:
    add_platform_args(p, multiple=True)
    p.add_argument(
        "--what",
        action="append",
        choices=BENCHES,
        help="which benchmark (repeatable; default: all). engine: CPU-bound loop with all "
        "hooks vs bare Unicorn; verify: instructions the bootloader spends to hash and "
        "verify a 64 KiB image",
    )


def _engine(name: str) -> None:
    from hil.engine.unicorn.bench import cpu_loop_benchmark

    r = cpu_loop_benchmark(load_platform(name))
    out(
        f"{name}: engine: bare unicorn {r.bare_ips / 1e6:.1f} M instr/s, engine with hooks "
        f"{r.engine_ips / 1e6:.1f} M instr/s, ratio {r.ratio:.2f} (goal >= 0.5)"
    )


def _verify(name: str) -> None:
    from hil.bench.verify_cost import bootloader_verify_cost
    from hil.firmware import build_firmware

    platform = load_platform(name)
    c = bootloader_verify_cost(platform, build_firmware(platform))
    out(
        f"{name}: verify: {c.payload_bytes // 1024} KiB payload, {c.signed_bytes} signed bytes: "
        f"hash {c.hash_instructions:,} instr ({c.hash_per_byte:.1f} instr/byte incl. flash "
        f"reads), P-256 verify x1 {c.signature_instructions:,} instr, manifest policy incl. "
        f"chunk re-hash {c.policy_instructions:,} instr, total {c.total:,} instr"
    )


@command("bench", "benchmarks: engine speed ratio; bootloader hash/verify cost in instructions")
def run(args: argparse.Namespace) -> int:
    what = args.what or list(BENCHES)
    for name in args.platform or known_platforms():
        if "engine" in what:
            _engine(name)
        if "verify" in what:
            _verify(name)
    return EXIT_OK
