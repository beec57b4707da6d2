"""The scenarios of the matrix: what the harness does to a device. Judging is elsewhere
(``hil.matrix.predicates``) and reads only the evidence the device emitted.

A scenario builds its factory image, creates the device through ``Bench.make_device``, drives
it (uploads with smpclient, resets, straps) and returns. A harness-side failure (a timeout,
an SMP error the scenario did not expect) ends the scenario early and is kept in
``ScenarioRun.error``: a mutated firmware may well stop answering, and the predicate then
judges whatever evidence there is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hil.device import Device
from hil.engine.base import ResetCause
from hil.errors import HilError, UnknownNameError
from hil.evidence import Event
from hil.firmware import FirmwareSet
from hil.platform.model import Platform
from hil.provision import FactoryImage, factory_image
from hil.update import Outcome, UpdateResult, package_for

MakeDevice = Callable[[FactoryImage], Device]


@dataclass(frozen=True)
class Bench:
    """What scenarios need: the platform, a firmware build and a way to make devices."""

    platform: Platform
    firmware: FirmwareSet
    make_device: MakeDevice
    boot_ms: int = 5_000  # virtual time for a boot to reach the application (or rescue)
    update_ms: int = 60_000  # virtual time for one whole upload
    outcome_ms: int = 90_000  # virtual time for a trial boot to resolve (attempts x watchdog)


@dataclass
class ScenarioRun:
    name: str
    device: Device | None = None
    error: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def events(self) -> list[Event]:
        return self.device.events if self.device is not None else []


# -- steps -------------------------------------------------------------------------------------
def other_slot(slot: str | None) -> str:
    return "B" if slot in (None, "A") else "A"


def settle_boot(b: Bench, dev: Device) -> Event:
    """Run until the application BOOTs or the bootloader enters RESCUE; return that event."""
    found: list[Event] = []
    cursor = [dev.mark()]

    def scan() -> bool:
        recs = dev.stream.records
        while cursor[0] < len(recs):
            rec = recs[cursor[0]]
            cursor[0] += 1
            if isinstance(rec, Event) and (
                (rec.name == "BOOT" and rec.src == "app") or rec.name == "RESCUE"
            ):
                found.append(rec)
                return True
        return False

    dev.run_until(scan, b.boot_ms)
    if not found:
        raise HilError(f"no application BOOT and no RESCUE within {b.boot_ms} ms:\n{dev.tail()}")
    return found[0]


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
    s = dev.summary()
    return other_slot(s.running_slot or s.confirmed_slot)


def package(b: Bench, build: int, slot: str, **kw: Any) -> bytes:
    return package_for(b.platform, b.firmware, build, slot, **kw)


def install(b: Bench, run: ScenarioRun, dev: Device, pkg: bytes) -> UpdateResult:
    """Upload; if the device marked it PENDING, reset and wait for the outcome."""
    res = dev.update(pkg, budget_ms=b.update_ms)
    if res.reset_sent:
        run.outcomes.append(dev.wait_outcome(res.mark, b.outcome_ms))
    else:
        run.outcomes.append(Outcome.REJECTED)
        if res.upload.error is not None:
            run.notes.append(f"upload refused: {res.upload.error}")
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
    if ev.name != "RESCUE":
        raise HilError(f"rescue by {how}: expected RESCUE, found {ev}")
    return ev


def reboot(b: Bench, dev: Device) -> Event:
    dev.reset(ResetCause.PIN)
    return settle_boot(b, dev)


# -- scenarios -----------------------------------------------------------------------------------
def normal_update(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev)))
    dev.power_cycle()
    settle_boot(b, dev)


def two_releases(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b)
    for build in (2, 3):
        install(b, run, dev, package(b, build, target(dev)))
    dev.power_cycle()
    settle_boot(b, dev)


def self_test_fail(b: Bench, run: ScenarioRun, self_test: int = 1, **_: Any) -> None:
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev), self_test=self_test))


def never_confirms(b: Bench, run: ScenarioRun, **_: Any) -> None:
    self_test_fail(b, run, self_test=2)


def _rescue(b: Bench, run: ScenarioRun, how: str) -> None:
    # build 2 confirmed with the anchor floor at 2: build 1 is below the floor
    dev = run.device = fresh(b, build=2, floor=2)
    enter_rescue(b, dev, how)
    slot = "B"  # slot A holds the confirmed image
    install(b, run, dev, package(b, 3, slot, variant="forged-signature-same-id"))
    install(b, run, dev, package(b, 1, slot))
    install(b, run, dev, package(b, 3, slot))


def rescue_strap(b: Bench, run: ScenarioRun, **_: Any) -> None:
    _rescue(b, run, "strap")


def rescue_uart(b: Bench, run: ScenarioRun, **_: Any) -> None:
    _rescue(b, run, "uart")


def bad_package(b: Bench, run: ScenarioRun, variant: str = "forged-signature", **_: Any) -> None:
    """Upload a bad-package variant (build 2, for the inactive slot), then reset."""
    dev = run.device = fresh(b)
    install(b, run, dev, package(b, 2, target(dev), variant=variant))
    if run.outcomes[-1] is Outcome.REJECTED:
        reboot(b, dev)


def replay(b: Bench, run: ScenarioRun, build: int = 2, **_: Any) -> None:
    """Build 3 runs (floor 0); a validly signed older (or equal) build is offered."""
    dev = run.device = fresh(b, build=3)
    install(b, run, dev, package(b, build, target(dev)))


def below_floor_install(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b, build=3, floor=3)
    install(b, run, dev, package(b, 2, target(dev)))


def below_floor_boot(b: Bench, run: ScenarioRun, **_: Any) -> None:
    """Slot A holds build 1, validly signed, but the trust anchor's floor is 2."""
    run.device = b.make_device(factory_image(b.platform, b.firmware, build=1, floor=2))
    boot(b, run.device)


def revoked_key(b: Bench, run: ScenarioRun, **_: Any) -> None:
    dev = run.device = fresh(b)
    slot = target(dev)
    install(b, run, dev, package(b, 2, slot, key="revoked"))
    enter_rescue(b, dev, "strap")
    install(b, run, dev, package(b, 2, slot, key="revoked"))
    reboot(b, dev)


SCENARIOS: dict[str, Callable[..., None]] = {
    "normal-update": normal_update,
    "two-releases": two_releases,
    "self-test-fail": self_test_fail,
    "never-confirms": never_confirms,
    "rescue-strap": rescue_strap,
    "rescue-uart": rescue_uart,
    "forged-signature": bad_package,
    "tampered-manifest": bad_package,
    "replay": replay,
    "below-floor-install": below_floor_install,
    "below-floor-boot": below_floor_boot,
    "revoked-key": revoked_key,
}


def run_scenario(name: str, bench: Bench, **params: Any) -> ScenarioRun:
    """Run scenario ``name``; a harness-side failure is kept in ``error``, never raised."""
    if name not in SCENARIOS:
        raise UnknownNameError("scenario", name, list(SCENARIOS))
    run = ScenarioRun(name)
    try:
        SCENARIOS[name](bench, run, **params)
    except HilError as exc:
        run.error = f"{type(exc).__name__}: {exc}"
    return run
