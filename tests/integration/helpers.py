"""Small helpers shared by the integration tests (device-evidence predicates)."""

from __future__ import annotations

from hil.device import Device
from hil.evidence import Event
from hil.platform.model import Platform

BOOT_BUDGET_MS = 3000


def boot_to_app(device: Device, budget_ms: int = BOOT_BUDGET_MS) -> tuple[Event, Event]:
    """Wait for the bootloader's reset cause and the app's BOOT; return both."""
    reason = device.wait_for("REBOOT_REASON", budget_ms, src="boot")
    boot = device.wait_for("BOOT", budget_ms, src="app")
    return reason, boot


def layout_from_events(events: list[Event]) -> dict[str, tuple[int, int]]:
    """Merge the area fields of the LAYOUT events of one boot into {area: (address, size)}."""
    areas: dict[str, tuple[int, int]] = {}
    for ev in events:
        if ev.name != "LAYOUT":
            continue
        for key, value in ev.fields:
            if key == "platform":
                continue
            addr, _, size = value.partition("+")
            areas[key] = (int(addr, 16), int(size, 16))
    return areas


def expected_layout(platform: Platform) -> dict[str, tuple[int, int]]:
    return {a.name: (a.address, a.size) for a in platform.layout.areas.values()}


def command(device: Device, line: str, reply: str, budget_ms: int = 1000) -> Event:
    """Send a console command to the app and wait for its reply event."""
    device.send_line(line)
    return device.wait_for(reply, budget_ms, src="app")


def scratch_page(platform: Platform) -> int:
    """A page the flash tests may erase and program: the last page of slot B (empty in these
    tests). Not the evidence area: the bootloader keeps its evidence ring there (issue 4)."""
    slot_b = platform.layout["slot_b"]
    return slot_b.address + slot_b.size - platform.flash.page_size
