"""What scenarios need and what they leave: the ``Bench`` (platform, firmware, a way to make
devices, virtual-time budgets) and the ``ScenarioRun`` (the device, harness-side errors,
outcomes, notes, where a recovery started)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hil.device import Device
from hil.evidence import Event, Outcome
from hil.firmware import FirmwareSet
from hil.platform.model import Platform
from hil.provision import FactoryImage
from hil.report.flashmap import AreaSnapshot

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
    capture_flash: bool = False  # keep a flash map of the areas when the power comes back
    # called with the device right before ``recover`` powers it on after a cut (the power-cut
    # sweep reads the state the recovery starts from there)
    before_power_on: Callable[[Device], None] | None = None


@dataclass
class ScenarioRun:
    name: str
    device: Device | None = None
    error: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recovery_mark: int | None = None  # index in ``events`` where the power came back after a cut
    flash_before: list[AreaSnapshot] | None = None  # the areas as the cut left them
    # a scenario made of parts on fresh devices (``classify``): each part's events, in order
    parts: dict[str, list[Event]] = field(default_factory=dict)

    @property
    def events(self) -> list[Event]:
        """The device's events; for a scenario with parts, every part's events in order."""
        if self.parts:
            return [ev for evs in self.parts.values() for ev in evs]
        return self.device.events if self.device is not None else []


__all__ = ["Bench", "MakeDevice", "ScenarioRun"]
