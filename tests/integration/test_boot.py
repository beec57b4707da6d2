"""Issue 2 acceptance: both chips boot our bootloader and application from a power-on."""

from __future__ import annotations

from hil.device import Device
from hil.evidence import Text
from hil.platform.model import Platform
from tests.integration.helpers import boot_to_app, expected_layout, layout_from_events


def test_power_on_boot_reports_cause_layout_and_running_app(
    platform: Platform, device: Device
) -> None:
    device.power_on()
    reason, boot = boot_to_app(device)
    assert reason["cause"] == "power-on"
    assert reason["brownout_flag"] == "0"
    assert layout_from_events(device.events) == expected_layout(platform)
    assert {e["platform"] for e in device.events if e.name == "LAYOUT"} == {platform.name}
    jump = next(e for e in device.events if e.name == "JUMP")
    slot_a = platform.layout["slot_a"].address + platform.layout.image_header_size
    assert (jump["slot"], jump.int("addr")) == ("A", slot_a)
    assert (boot["slot"], boot["build"], boot["state"]) == ("A", "1", "running")
    assert Text("running build 1 from slot A") in device.records
    # sequence numbers count up by one from 0 across bootloader and application
    assert [e.seq for e in device.events] == list(range(len(device.events)))


def test_app_answers_commands(platform: Platform, device: Device) -> None:
    device.power_on()
    boot_to_app(device)
    device.send_line("ping")
    pong = device.wait_for("PONG", 500, src="app")
    assert pong.src == "app"


def test_build_number_comes_from_the_build(
    platform: Platform, device_factory, firmware_factory
) -> None:  # type: ignore[no-untyped-def]
    fw = firmware_factory(platform, app_build=7)
    dev = device_factory(platform, firmware=fw)
    dev.power_on()
    _, boot = boot_to_app(dev)
    assert boot["build"] == "7"
