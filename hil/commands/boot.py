"""``hil boot``: power the target on and stream its evidence until the application runs."""

from __future__ import annotations

import argparse

from hil.commands.base import EXIT_OK, add_engine_args, add_platform_args, arguments, command, out
from hil.device import Device
from hil.engine.base import UNMODELLED_MMIO_LOG
from hil.engine.registry import create_engine
from hil.evidence import Event, Record, SmpLine, Truncated
from hil.evidence.vocab import Ev, Src
from hil.firmware import build_firmware
from hil.platform import load_platform
from hil.provision import factory_image


@arguments("boot")
def _args(p: argparse.ArgumentParser) -> None:
    add_platform_args(p)
    add_engine_args(p)
    p.add_argument(
        "--power-cycles", type=int, default=0, metavar="K", help="power-cycle K more times"
    )
    p.add_argument(
        "--budget-ms", type=int, default=5000, help="virtual-time budget per boot (default 5000)"
    )
    p.add_argument(
        "--strict-mmio",
        action="store_true",
        help="stop at the first access to a peripheral block the engine does not model and name "
        "it (block, register, address, PC); without it such accesses answer reset values and "
        f"are recorded (in --log-dir as {UNMODELLED_MMIO_LOG})",
    )


def printer(device: Device) -> None:
    def show(rec: Record) -> None:
        t = device.engine.time_ns / 1e9
        if isinstance(rec, Event):
            out(f"[{t:12.6f}] {rec}")
        elif isinstance(rec, SmpLine):
            return  # management traffic, not for the console view
        elif isinstance(rec, Truncated):
            out(f"[{t:12.6f}] (line cut by restart) {rec.text}")
        else:
            out(f"[{t:12.6f}] | {rec.text}")

    device.subscribe(show)


@command("boot", "boot the target, stream decoded events, exit 0 once the app runs")
def run(args: argparse.Namespace) -> int:
    platform = load_platform(args.platform)
    fw = build_firmware(platform)
    engine = create_engine(args.engine, platform, args.seed)
    engine.set_strict_mmio(args.strict_mmio)
    if args.log_dir is not None:
        engine.log_unmodelled_mmio(args.log_dir / UNMODELLED_MMIO_LOG)
    with Device(engine, factory_image(platform, fw), log_dir=args.log_dir) as device:
        printer(device)
        for cycle in range(args.power_cycles + 1):
            if cycle:
                out(f"-- power cycle {cycle}")
                device.power_cycle()
            else:
                device.power_on()
            ev = device.wait_for(Ev.BOOT, args.budget_ms, src=Src.APP)
            out(f"{platform.name}: application running build {ev['build']} from slot {ev['slot']}")
    touched = sorted({f"{a.block}.{a.register}" for a in engine.unmodelled_mmio()})
    if touched:
        out(f"{platform.name}: unmodelled registers touched: {', '.join(touched)}")
    return EXIT_OK
