"""``hil serve``: boot a target and expose its console UART as a pseudo-terminal, so that a
user's own SMP client (``smpmgr``, ``mcumgr``, smpclient) can talk to the emulated device.

The emulator runs in virtual time, the pty in wall time. The command pumps the engine in
short slices and, by default, paces it so that one second of virtual time takes at least one
second of wall time (the device's timeouts then look as they would on a board). Evidence
lines are decoded and printed as they arrive; SMP traffic goes to the pty only.
"""

from __future__ import annotations

import argparse
import time

from hil.commands.base import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_engine_args,
    add_platform_args,
    arguments,
    command,
    out,
)
from hil.commands.boot import printer
from hil.device import Device, DeviceState
from hil.engine.registry import create_engine
from hil.firmware import build_firmware
from hil.platform import load_platform
from hil.provision import factory_image

SLICE_MS = 10


@arguments("serve")
def _args(p: argparse.ArgumentParser) -> None:
    add_platform_args(p)
    add_engine_args(p)
    p.add_argument(
        "--build", type=int, default=1, help="build number of the factory image (default 1)"
    )
    p.add_argument(
        "--fast",
        action="store_true",
        help="do not pace virtual time to wall time (runs as fast as the host allows)",
    )
    p.add_argument("--rescue", action="store_true", help="hold the rescue strap at power-on")


@command("serve", "boot a target and serve its console UART on a pty until Ctrl-C")
def run(args: argparse.Namespace) -> int:
    platform = load_platform(args.platform)
    fw = build_firmware(platform)
    engine = create_engine(args.engine, platform, args.seed)
    factory = factory_image(platform, fw, build=args.build)
    with Device(engine, factory, log_dir=args.log_dir) as device:
        printer(device)
        path = engine.serial().open_pty()
        if args.rescue:
            device.set_pin("rescue", 1)
        device.power_on()
        out(f"{platform.name}: console UART on {path}")
        out(f"  e.g. smpmgr --port {path} upgrade --slot 1 <package.bin>   (Ctrl-C stops)")
        start_wall = time.monotonic()
        start_virtual = engine.time_ns
        try:
            while True:
                if device.state is DeviceState.OFF:
                    device.power_on()
                device.run_for(SLICE_MS)
                if args.rescue and engine.time_ns - start_virtual > 50_000_000:
                    device.set_pin("rescue", 0)
                if not args.fast:
                    ahead = (engine.time_ns - start_virtual) / 1e9 - (time.monotonic() - start_wall)
                    if ahead > 0:
                        time.sleep(ahead)
        except KeyboardInterrupt:  # SIGINT/SIGTERM (hil.cli): the engine stopped between slices
            out("-- stopped")
            return EXIT_INTERRUPTED
    return EXIT_OK
