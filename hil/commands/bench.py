"""``hil bench``: benchmarks that print ratios and counts measured in one run."""

from __future__ import annotations

import argparse
import os

from hil.bench.table import Column, Table
from hil.commands.base import (
    EXIT_OK,
    add_app_size_arg,
    add_platform_args,
    arguments,
    command,
    out,
)
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
        "verify a 64 KiB image; sweep: power-cut sweep at depth 1 and 2, dedup off and on, "
        "side by side: cuts, distinct states, distinct recoveries, points run, points "
        "collapsed, seeded sample run/agreed, points per second (each recovery "
        "boot with full verification), CPU per point against its pure emulation cost (its "
        "instructions at bare Unicorn speed), the share of a point's wall time outside "
        "emulation and the limit (bare instr/s x workers / "
        "recovery instructions) with the share of it reached",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="sweep bench: parallel children (default: CPUs; 1: serial, in this process)",
    )
    p.add_argument(
        "--points",
        type=int,
        default=400,
        help="sweep bench: about this many flash-op cut points per chip (default 400)",
    )
    add_app_size_arg(p, multiple=True)
    p.epilog = (
        "sweep with --app-size (repeatable, e.g. 64 128 200): instead of the depth/dedup table, "
        "the sweep of an update of each size side by side (depth 1, dedup on): flash ops of the "
        "update (the exhaustive sweep's cuts), points run at a stride giving about --points "
        "points per size, wall and CPU time (the process and its children), CPU per point, "
        "and the exhaustive sweep's CPU time estimated as flash ops x CPU per point"
    )


def _engine(name: str) -> None:
    from hil.engine.registry import cpu_benchmark

    platform = load_platform(name)
    r = cpu_benchmark("unicorn", platform)
    mhz = platform.core.clock_hz / 1e6
    out(
        f"{name}: engine: bare unicorn {r.bare_ips / 1e6:.1f} M instr/s, engine with hooks "
        f"{r.engine_ips / 1e6:.1f} M instr/s, ratio {r.ratio:.2f} (goal >= 0.75); "
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
    # side by side: the default build (CRYPTO=hw: accelerators where the port has them) and
    # the software build (CRYPTO=sw, HIL_CRYPTO_SW)
    for label, defines in (("hw", None), ("sw", {"HIL_CRYPTO_SW": 1})):
        c = bootloader_verify_cost(platform, build_firmware(platform, defines=defines))
        out(
            f"{name}: verify CRYPTO={label}: {c.payload_bytes // 1024} KiB payload, "
            f"{c.signed_bytes} signed bytes: hash {c.hash_instructions:,} instr "
            f"({c.hash_per_byte:.1f} instr/byte incl. flash reads and the chunk-map hashes), "
            f"P-256 verify x1 {c.signature_instructions:,} cycles ({c.signature_us:,} us, "
            f"{c.signature_executed:,} instr executed), "
            f"manifest policy {c.policy_instructions:,} instr, total {c.total:,}"
        )


SWEEP_RUNS = (  # (label, depth, dedup): side by side in one run
    ("depth 1, dedup off", 1, False),  # the sweep as it was before distinct states
    ("depth 1, dedup on", 1, True),
    ("depth 2, dedup off", 2, False),
    ("depth 2, dedup on", 2, True),
)


SWEEP_COLUMNS = (  # one row per run; a bench adds a column here and its value in the row
    Column("label", "run", 20, left=True),
    Column("cuts", "cuts", 6),
    Column("distinct", "states", 6),
    Column("recoveries", "recov.", 6),
    Column("run", "run", 5),
    Column("collapsed", "collapsed", 9),
    Column("sample", "sample ran/agreed", 17),
    Column("pps", "points/s", 9, ".1f"),
    Column("cpu_ms", "CPU ms/pt", 9, ".1f"),
    Column("pass_s", "pass CPU s", 10, ".1f"),
    Column("emu_ms", "emu ms/pt", 9, ".1f"),
    Column("cpu_x", "CPU/emu", 7, ".2f"),
    Column("outside", "outside", 7, ".0%"),
    Column("limit", "limit/s", 8, ".1f"),
    Column("share", "of limit", 8, ".0%"),
    Column("recovery", "recov M", 7, ".2f"),
    Column("failing", "failing", 7),
)


def _sweep(name: str, points: int, workers: int) -> None:
    from hil.engine.registry import cpu_benchmark
    from hil.firmware import build_firmware
    from hil.sweep import Sweep, SweepOptions

    platform = load_platform(name)
    fw = build_firmware(platform)
    probe = Sweep(platform, fw, options=SweepOptions())
    ops, _, _ = probe.clean_pass()
    stride = max(1, len(ops) // max(1, points))
    cores = workers or os.cpu_count() or 1
    bare_ips = cpu_benchmark("unicorn", platform).bare_ips  # this run, this machine's load
    out(
        f"{name}: sweep: 1 in {stride} of {len(ops)} flash ops at depth 1 (about {points} "
        f"points), 1 in {stride * DEPTH2_SPREAD} at depth 2 (each with every flash op of its "
        f"recovery), {cores} worker(s); bare unicorn {bare_ips / 1e6:.1f} M instr/s"
    )
    out(
        f"{name}: sweep: points/s include the clean pass; CPU ms/pt: the children's CPU per "
        "point run (serial: this process's); pass CPU s: the clean and sweep passes; "
        "emu ms/pt: the recovery's instructions at bare unicorn speed "
        "(the pure emulation cost); outside: the share of the run points' wall time spent "
        "outside emulation; limit/s: bare instr/s x workers / recovery instructions"
    )
    table = Table(SWEEP_COLUMNS)
    out(f"{name}: sweep: {table.header()}")
    rates: dict[str, float] = {}
    for label, depth, dedup in SWEEP_RUNS:
        opt = SweepOptions(
            stride=stride * (DEPTH2_SPREAD if depth > 1 else 1),
            phases=False,
            random=0,
            depth=depth,
            dedup=dedup,
            workers=workers,
        )
        own0, kids0 = _cpu_s()
        res = Sweep(platform, fw, options=opt).run()
        own1, kids1 = _cpu_s()
        ran = [r for r in res.points if r.ran]
        recov = sum(r.instructions for r in ran) / max(1, len(ran))
        emu_s = recov / bare_ips
        # forked: the children's CPU is the points'; this process ran the clean and sweep
        # passes. Serial: everything is this process's (each point reruns the pass)
        serial = cores == 1
        cpu_pt = ((own1 - own0) if serial else (kids1 - kids0)) / max(1, len(ran))
        pass_s = None if serial else own1 - own0
        limit = bare_ips * cores / recov if recov else 0.0
        rates[label] = res.points_per_s
        row = {
            "label": label,
            "cuts": res.cuts,
            "distinct": res.distinct_states,
            "recoveries": res.distinct_recoveries,
            "run": res.points_run,
            "collapsed": res.collapsed,
            "sample": f"{res.sample_run}/{res.sample_agreed}",
            "pps": res.points_per_s,
            "cpu_ms": cpu_pt * 1e3,
            "pass_s": pass_s,
            "emu_ms": emu_s * 1e3,
            "cpu_x": cpu_pt / emu_s if emu_s else None,
            "outside": res.outside_share(),
            "limit": limit,
            "share": res.points_run / res.wall_s / limit if limit and res.wall_s else None,
            "recovery": recov / 1e6,
            "failing": len(res.failures()),
        }
        out(f"{name}: sweep: {table.row(row)}")
    today, dedup1 = rates[SWEEP_RUNS[0][0]], rates[SWEEP_RUNS[1][0]]
    ratio = dedup1 / today if today > 0 else 0.0
    out(
        f"{name}: sweep: depth 1 with dedup at {ratio:.2f}x the points/s of depth 1 without "
        "(goal >= 1.0: dedup pays for itself; without dedup the sweep runs as before)"
    )


DEPTH2_SPREAD = 16  # a depth-1 point has about this many recovery flash ops


def _cpu_s() -> tuple[float, float]:
    """CPU seconds of this process and of its reaped children (the sweep's forked points)."""
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _sweep_sizes(name: str, sizes: list[int], points: int) -> None:
    """Sweep time against the update's size: one row per ``--app-size``, side by side."""
    import time

    from hil.firmware import build_firmware
    from hil.sweep import Sweep, SweepOptions
    from hil.update import check_app_size

    platform = load_platform(name)
    fw = build_firmware(platform)
    for size in sizes:  # every size fits, before the first sweep: one line naming the slot
        check_app_size(platform, fw, size)
    # the stride from the smallest update's clean pass, scaled to each size (flash ops grow
    # with the payload), so that every size runs about ``points`` points
    base = min(sizes)
    ops0, _, _ = Sweep(platform, fw, options=SweepOptions(app_size=base)).clean_pass()
    out(
        f"{name}: sweep by size: depth 1, dedup on, cuts in flash ops only, about {points} "
        "points per size; CPU: passes = this process (the clean and the sweep pass, the "
        "points decided at the cut), ms/run = the forked points' CPU / points run, ms/cut = "
        "the forked points' CPU / cuts (collapsed cuts included); exhaustive = 2 x the clean "
        "pass + flash ops x (ms/cut + the parent's CPU per cut beyond its two passes) (an "
        "estimate: the same share of cuts collapses); per KiB: exhaustive / KiB (linear "
        "growth: the same for every size)"
    )
    out(
        f"{name}: sweep by size: {'KiB':>5} {'flash ops':>9} {'stride':>6} {'cuts':>5} "
        f"{'run':>4} {'wall s':>7} {'CPU s':>7} {'passes s':>8} {'ms/run':>7} {'ms/cut':>6} "
        f"{'M instr/pt':>10} {'exhaustive CPU s':>16} {'per KiB':>7}"
    )
    for size in sizes:
        stride = max(1, round(len(ops0) * size / base / max(1, points)))
        opt = SweepOptions(stride=stride, phases=False, random=0, app_size=size)
        me_c = _cpu_s()[0]
        Sweep(platform, fw, options=opt).clean_pass()
        clean = _cpu_s()[0] - me_c
        (me0, kids0), wall0 = _cpu_s(), time.perf_counter()
        res = Sweep(platform, fw, options=opt).run()
        (me1, kids1), wall = _cpu_s(), time.perf_counter() - wall0
        passes, kids = me1 - me0, kids1 - kids0
        ran = [r for r in res.points if r.ran]
        per_run = kids / max(1, len(ran))
        per_cut = kids / max(1, res.cuts)
        instr = sum(r.instructions for r in ran) / max(1, len(ran))
        ops = len(res.clean_ops)
        decide = max(0.0, passes - 2 * clean) / max(1, res.cuts)
        exhaustive = passes + kids if stride == 1 else 2 * clean + ops * (per_cut + decide)
        out(
            f"{name}: sweep by size: {size // 1024:>5} {ops:>9} {stride:>6} {res.cuts:>5} "
            f"{len(ran):>4} {wall:>7.1f} {passes + kids:>7.1f} {passes:>8.1f} "
            f"{per_run * 1e3:>7.0f} {per_cut * 1e3:>6.0f} {instr / 1e6:>10.2f} "
            f"{exhaustive:>16.0f} {exhaustive / (size / 1024):>7.2f}"
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
        if "sweep" in what and args.app_size:
            _sweep_sizes(name, args.app_size, args.points)
        elif "sweep" in what:
            _sweep(name, args.points, args.workers)
    return EXIT_OK
