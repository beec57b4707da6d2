"""The steps scenarios are made of: boot, make a fresh factory device, sign a package for the
slot the device is not running, install it (upload, reset, outcome), enter rescue, reboot."""

from __future__ import annotations

from typing import Any

from hil.device import Device
from hil.engine.base import ResetCause
from hil.errors import HilError
from hil.evidence import Event, Outcome, on_events
from hil.evidence.vocab import Ev, boot_settled
from hil.provision import factory_image
from hil.scenarios.bench import Bench, ScenarioRun
from hil.update import UpdateResult, package_for, update_client


def settle_boot(b: Bench, dev: Device) -> Event:
    """Run until the application BOOTs or the bootloader enters RESCUE; return that event."""
    settled = on_events(boot_settled)
    hit = dev.expect(settled, b.boot_ms, since=dev.mark(), what="an application BOOT or a RESCUE")
    return hit.event


def boot(b: Bench, dev: Device) -> Event:
    dev.power_on()
    return settle_boot(b, dev)


def fresh(b: Bench, build: int = 1, floor: int = 0) -> Device:
    """A factory-programmed device (``build`` confirmed in slot A, anchor ``floor``), booted."""
    dev = b.make_device(factory_image(b.platform, b.firmware, build=build, floor=floor))
    boot(b, dev)
    return dev


def target(dev: Device) -> str:
    """The slot the next package must be signed for: the one the device is not running."""
    return dev.summary().target_slot


def package(b: Bench, build: int, slot: str, **kw: Any) -> bytes:
    return package_for(b.platform, b.firmware, build, slot, **kw)


def install(b: Bench, run: ScenarioRun, dev: Device, pkg: bytes) -> UpdateResult:
    """Upload, mark for test; if the device marked it PENDING, reset and wait for the
    outcome."""
    client = update_client(dev)
    res = client.update(pkg, budget_ms=b.update_ms)
    if res.reset_sent:
        run.outcomes.append(client.wait_outcome(res.mark, b.outcome_ms))
    else:
        run.outcomes.append(Outcome.REJECT)
        if res.upload.error is not None:
            run.notes.append(f"upload refused: {res.upload.error}")
        elif res.mark_error is not None:
            run.notes.append(f"marking for test refused: {res.mark_error}")
    return res


def enter_rescue(b: Bench, dev: Device, how: str) -> Event:
    """Request rescue by the strap pin or by the ``rescue`` console line after a reset."""
    if how == "strap":
        dev.set_pin("rescue", 1)
        dev.reset(ResetCause.PIN)
        ev = settle_boot(b, dev)
        dev.set_pin("rescue", 0)
    else:
        dev.reset(ResetCause.PIN)
        dev.send_line("rescue")  # queued before the bootloader runs: inside its 20 ms window
        ev = settle_boot(b, dev)
    if ev.name != Ev.RESCUE:
        raise HilError(f"rescue by {how}: expected RESCUE, found {ev}")
    return ev


def reboot(b: Bench, dev: Device) -> Event:
    dev.reset(ResetCause.PIN)
    return settle_boot(b, dev)


__all__ = [
    "boot",
    "enter_rescue",
    "fresh",
    "install",
    "package",
    "reboot",
    "settle_boot",
    "target",
]
