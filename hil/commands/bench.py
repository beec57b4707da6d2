"""``hil bench``: benchmarks that print ratios and counts measured in one run."""

from __future__ import annotations

import argparse

from hil.commands.base import EXIT_OK, add_platform_args, arguments, command, out
from hil.platform import known_platforms, load_platform

BENCHES = ("engine", "verify", "sweep")


@arguments("bench")
def _args(p: argparse.ArgumentParser) -> None:
    add_platform_args(p, multiple=True)
    p.add_argument(
        "--what",
        action="append",
        choices=BENCHES,
        help="which benchmark (repeatable; default: all). engine: CPU-bound loop with all "
        "hooks vs bare Unicorn, virtual-to-wall ratio, wall time of WFI idling; verify: "
        "instructions the bootloader spends to hash and "
        "verify a 64 KiB image; sweep: power-cut sweep throughput (cut points per second "
        "including each recovery boot with full verification) and harness overhead per point "
        "as a ratio to the emulated recovery",
    )
    p.add_argument(
        "--points",
        type=int,
        default=400,
        help="sweep bench: about this many flash-op cut points per chip (default 400)",
    )


def _engine(name: str) -> None:
    from hil.engine.registry import cpu_benchmark

    platform = load_platform(name)
    r = cpu_benchmark("unicorn", platform)
    mhz = platform.core.clock_hz / 1e6
    out(
        f"{name}: engine: bare unicorn {r.bare_ips / 1e6:.1f} M instr/s, engine with hooks "
        f"{r.engine_ips / 1e6:.1f} M instr/s, ratio {r.ratio:.2f} (goal >= 0.5); "
        f"virtual/wall {r.virtual_per_wall:.1f}x at the {mhz:g} MHz reset clock"
    )
    if r.masked_ips:
        out(
            f"{name}: engine masked: the same loop with PRIMASK set and SysTick pending "
            f"{r.masked_ips / 1e6:.1f} M instr/s, ratio {r.masked_ips / r.engine_ips:.2f} to "
            "unmasked (goal >= 0.5)"
        )
    for idle in r.idle:
        out(
            f"{name}: engine idle: WFI with a SysTick every {idle.tick_ms:g} ms: "
            f"{idle.wall_ms_per_virtual_s:.2f} ms wall per virtual second "
            f"({idle.ticks} ticks in {idle.virtual_s:g} s virtual)"
        )


def _verify(name: str) -> None:
    from hil.bench.verify_cost import bootloader_verify_cost
    from hil.firmware import build_firmware

    platform = load_platform(name)
    c = bootloader_verify_cost(platform, build_firmware(platform))
    out(
        f"{name}: verify: {c.payload_bytes // 1024} KiB payload, {c.signed_bytes} signed bytes: "
        f"hash {c.hash_instructions:,} instr ({c.hash_per_byte:.1f} instr/byte incl. flash "
        f"reads and the chunk-map hashes), P-256 verify x1 {c.signature_instructions:,} instr, "
        f"manifest policy {c.policy_instructions:,} instr, total {c.total:,} instr"
    )


def _sweep(name: str, points: int) -> None:
    from hil.firmware import build_firmware
    from hil.sweep import Sweep, SweepOptions

    platform = load_platform(name)
    fw = build_firmware(platform)
    probe = Sweep(platform, fw, options=SweepOptions())
    ops, _, _ = probe.clean_pass()
    stride = max(1, len(ops) // max(1, points))
    opt = SweepOptions(stride=stride, phases=False, random=0)
    res = Sweep(platform, fw, options=opt).run()
    recov = sum(r.instructions for r in res.points) / max(1, len(res.points))
    out(
        f"{name}: sweep: {len(res.points)} cut points (1 in {stride} of {len(ops)} flash ops) "
        f"in {res.wall_s:.1f} s with {res.workers} workers = {res.points_per_s:.1f} points/s "
        f"(incl. the clean pass); recovery {recov / 1e6:.2f} M instr/point with full "
        f"verification; harness overhead {res.overhead_ratio():.2f}x the emulated recovery "
        f"(goal <= 1.2); {len(res.failures())} failing points"
    )


@command(
    "bench",
    "benchmarks: engine speed ratio; bootloader verify cost; power-cut sweep points per second",
)
def run(args: argparse.Namespace) -> int:
    what = args.what or list(BENCHES)
    for name in args.platform or known_platforms():
        if "engine" in what:
            _engine(name)
        if "verify" in what:
            _verify(name)
        if "sweep" in what:
            _sweep(name, args.points)
    return EXIT_OK
