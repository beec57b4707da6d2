"""Issue 2 acceptance: the firmware itself reads the right reset cause; SRAM and flash retention.

Every verdict here comes from the device's own events (REBOOT_REASON decoded by the bootloader
from the chip's reset-cause register, RAM_MARK kept by the application in .noinit RAM).
"""

from __future__ import annotations

from hil.device import Device
from hil.engine.base import ResetCause
from hil.platform.model import Platform
from tests.integration.helpers import boot_to_app, command

WDT_BUDGET_MS = 6000  # the bootloader arms a ~2 s watchdog


def _ram_mark(device: Device) -> tuple[str, int]:
    ev = device.wait_for("RAM_MARK", 1000, src="app")
    return ev["valid"], ev.int("count")


def test_software_reset(platform: Platform, device: Device) -> None:
    device.power_on()
    boot_to_app(device)
    assert _ram_mark(device) == ("0", 0)
    command(device, "reset", "RESET_REQ")
    reason, _ = boot_to_app(device)
    assert reason["cause"] == "software"
    # a warm reset keeps SRAM: the app's .noinit counter survived and went on counting
    assert _ram_mark(device) == ("1", 1)


def test_pin_reset_keeps_sram(platform: Platform, device: Device) -> None:
    device.power_on()
    boot_to_app(device)
    _ram_mark(device)
    device.reset(ResetCause.PIN)
    reason, _ = boot_to_app(device)
    assert reason["cause"] == "pin"
    assert _ram_mark(device) == ("1", 1)


def test_power_cycle_loses_sram(platform: Platform, device: Device) -> None:
    device.power_on()
    boot_to_app(device)
    _ram_mark(device)
    device.reset(ResetCause.PIN)
    boot_to_app(device)
    assert _ram_mark(device) == ("1", 1)
    device.power_cycle()
    reason, _ = boot_to_app(device)
    assert reason["cause"] == "power-on"
    assert _ram_mark(device)[0] == "0"


def test_watchdog_reset_after_app_stops_feeding(platform: Platform, device: Device) -> None:
    device.power_on()
    boot_to_app(device)
    command(device, "wdt-stop", "WDT_STOP")
    reason = device.wait_for("REBOOT_REASON", WDT_BUDGET_MS, src="boot")
    assert reason["cause"] == "watchdog"


def test_watchdog_build_flag(platform: Platform, device_factory, firmware_factory) -> None:  # type: ignore[no-untyped-def]
    fw = firmware_factory(platform, defines={"APP_NO_WDT_FEED": 1})
    dev = device_factory(platform, firmware=fw)
    dev.power_on()
    boot_to_app(dev)
    reason = dev.wait_for("REBOOT_REASON", WDT_BUDGET_MS, src="boot")
    assert reason["cause"] == "watchdog"


def test_brownout_reset(platform: Platform, device: Device) -> None:
    device.power_on()
    boot_to_app(device)
    _ram_mark(device)
    device.set_supply_mv(platform.supply.reset_mv - 100)
    # held in reset while the supply is low: nothing boots
    device.run_for(50)
    assert len(device.events_named(["REBOOT_REASON"])) == 1
    device.set_supply_mv(platform.supply.nominal_mv)
    reason, _ = boot_to_app(device)
    assert reason["cause"] == "brownout"
    assert reason["brownout_flag"] == "1"
    assert _ram_mark(device)[0] == "0"  # SRAM did not survive the brownout
