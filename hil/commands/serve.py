"""``hil serve``: boot a target and expose its console UART as a pseudo-terminal, so that a
user's own SMP client (``smpmgr``, ``mcumgr``, smpclient) can talk to the emulated device.

The emulator runs in virtual time, the pty in wall time. The command pumps the engine in
short slices and, by default, paces it so that one second of virtual time takes at least one
second of wall time (the device's timeouts then look as they would on a board). Evidence
lines are decoded and printed as they arrive; SMP traffic goes to the pty only.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hil.commands.base import EXIT_INTERRUPTED, EXIT_OK, add_engine_args, arguments, command, out
from hil.commands.boot import printer
from hil.device import Device, DeviceState
from hil.engine.registry import create_engine
from hil.errors import HilError
from hil.firmware import build_firmware
from hil.platform import load_platform
from hil.profile import Profile, Route, load_profile
from hil.provision import factory_image
from hil.target.device import ProfileTarget, sign

SLICE_MS = 10


@arguments("serve")
def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--platform", metavar="P", help="platform name, e.g. stm32u585")
    p.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="target profile: serve that firmware (its factory image signed with the "
        "profile's first key) and put its SMP UART on the pty",
    )
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
    profile = load_profile(args.profile) if args.profile else None
    if profile is not None and Route.LIBRARY not in profile.routes:
        return _serve_profile(args, profile)
    name = profile.chip if profile is not None else args.platform
    if name is None:
        raise HilError("expected --platform P or --profile FILE, found neither")
    platform = load_platform(name)
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


def _serve_profile(args: argparse.Namespace, profile: Profile) -> int:
    """A profile's firmware: factory image in the primary slot, the SMP UART on the pty, the
    console printed as it comes."""
    with tempfile.TemporaryDirectory(prefix="hil-serve-") as d:
        factory = sign(profile, f"1.0.0+{args.build}", 1, Path(d) / "factory.bin")
    t = ProfileTarget(profile, engine=args.engine, seed=args.seed)
    t.install_factory(factory, f"build {args.build}")
    port = t.mgmt if t.mgmt is not None else t.console
    path = port.open_pty()
    if args.rescue:
        t.engine.set_pin("rescue", 1)
    t.power_on()
    role = profile.mgmt.role if profile.mgmt is not None else profile.console.role
    out(f"{profile.name}: SMP on {role} at {path} (console printed here)")
    out(f"  e.g. smpmgr --port {path} upgrade <signed image>   (Ctrl-C stops)")
    start_wall, start_virtual = time.monotonic(), t.engine.time_ns
    pending = ""
    try:
        while True:
            if not t.engine.powered:
                t.power_on()
            t.engine.run(SLICE_MS * 1000)
            pending += t.poll()
            *lines, pending = pending.split("\n")
            for line in lines:
                out(f"| {line.rstrip()}")
            if args.rescue and t.engine.time_ns - start_virtual > 50_000_000:
                t.engine.set_pin("rescue", 0)
            if not args.fast:
                ahead = (t.engine.time_ns - start_virtual) / 1e9 - (time.monotonic() - start_wall)
                if ahead > 0:
                    time.sleep(ahead)
    except KeyboardInterrupt:  # SIGINT/SIGTERM (hil.cli): the engine stopped between slices
        out("-- stopped")
        return EXIT_INTERRUPTED
    return EXIT_OK
