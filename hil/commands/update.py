"""``hil update``: factory-provision a target, boot it, upload packages over SMP, judge the
outcome from the device's own evidence."""

from __future__ import annotations

import argparse

from hil.commands.base import (
    EXIT_FAILED,
    EXIT_OK,
    add_app_size_arg,
    add_engine_args,
    add_platform_args,
    arguments,
    command,
    out,
    platform_name,
)
from hil.commands.boot import printer
from hil.device import Device
from hil.engine.registry import create_engine
from hil.evidence import Outcome
from hil.firmware import build_firmware
from hil.image.variants import VARIANTS
from hil.platform import load_platform
from hil.provision import factory_image
from hil.scenarios import Bench, boot
from hil.update import KEY_CHOICES, SELF_TEST, check_app_size, package_for, update_client


@arguments("update")
def _args(p: argparse.ArgumentParser) -> None:
    add_platform_args(p, profile=True)
    add_engine_args(p)
    p.add_argument(
        "--build",
        dest="builds",
        type=int,
        action="append",
        required=True,
        metavar="N",
        help="build number of the package to upload (repeatable: one update after another)",
    )
    p.add_argument(
        "--then",
        dest="builds",
        type=int,
        action="append",
        metavar="N",
        help="another update after the previous one (same as repeating --build)",
    )
    p.add_argument("--key", choices=KEY_CHOICES, default="signer", help="harness key that signs")
    add_app_size_arg(p)
    p.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        default=None,
        metavar="NAME",
        help="send this bad-package variant instead (names: hil image variants)",
    )
    p.add_argument(
        "--self-test", choices=sorted(SELF_TEST), default="pass", help="the image's self-test"
    )
    p.add_argument(
        "--budget-ms",
        type=int,
        default=90_000,
        help="virtual-time budget for each upload and for each outcome (default 90000)",
    )


def expected_outcome(key: str, variant: str | None, self_test: str) -> Outcome:
    if variant is not None or key in ("revoked", "unknown"):
        return Outcome.REJECT
    if self_test != "pass":
        return Outcome.ROLLBACK
    return Outcome.CONFIRMED


@command("update", "provision, boot, upload packages over SMP and judge each outcome")
def run(args: argparse.Namespace) -> int:
    platform = load_platform(platform_name(args))
    fw = build_firmware(platform)
    if args.app_size is not None:  # before the device boots: one line naming the slot size
        check_app_size(platform, fw, args.app_size)
    engine = create_engine(args.engine, platform, args.seed)
    expected = expected_outcome(args.key, args.variant, args.self_test)
    ok = True
    with Device(engine, factory_image(platform, fw), log_dir=args.log_dir) as device:
        bench = Bench(
            platform,
            fw,
            lambda fi: device,
            update_ms=args.budget_ms,
            outcome_ms=args.budget_ms,
        )
        printer(device)
        first = boot(bench, device)
        out(f"-- factory image: {first}")
        client = update_client(device)
        for build in args.builds:
            slot = device.summary().target_slot
            pkg = package_for(
                platform,
                fw,
                build,
                slot,
                key=args.key,
                variant=args.variant,
                self_test=SELF_TEST[args.self_test],
                app_size=args.app_size,
            )
            what = f"build {build} for slot {slot} ({len(pkg)} bytes, key {args.key}"
            what += f", variant {args.variant})" if args.variant else ")"
            out(f"-- uploading {what}")
            res = client.update(pkg, budget_ms=args.budget_ms)
            offs = res.upload.offsets
            out(
                f"-- upload: {len(offs)} answers, last offset {offs[-1] if offs else '-'}"
                + (f", {res.upload.error}" if res.upload.error else "")
            )
            if res.marked:
                out(
                    "-- marked for test (state write, confirm=false): "
                    + (str(res.mark_error) if res.mark_error else "ok")
                )
            if res.reset_sent:
                outcome = client.wait_outcome(res.mark, args.budget_ms)
            else:
                outcome = Outcome.REJECT
            final = device.summary()
            verdict = "as expected" if outcome is expected else f"EXPECTED {expected}"
            out(f"-- outcome: {outcome} ({verdict})")
            out(f"-- state: {final.describe()}")
            if outcome is not expected:
                ok = False
                break
    return EXIT_OK if ok else EXIT_FAILED
