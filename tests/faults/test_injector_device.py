"""Fault plans on the real device (firmware console commands on the scratch page)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hil.device import Device, DeviceState
from hil.engine.registry import create_engine
from hil.errors import HilError
from hil.evidence import Outcome
from hil.faults import FaultInjector, FaultPlanError, parse_plan
from hil.firmware import FirmwareSet
from hil.platform.model import Platform
from hil.provision import FactoryImage
from hil.scenarios import (
    Bench,
    ScenarioRun,
    fresh,
    install,
    package,
    power_cut_update,
    settle_boot,
    target,
)
from hil.update import update_client
from tests.integration.helpers import boot_to_app, command, scratch_page


def _booted(device: Device) -> int:
    device.power_on()
    boot_to_app(device)
    return scratch_page(device.platform)


def test_flash_op_cut_fires_once_and_is_counted(platform: Platform, device: Device) -> None:
    page = _booted(device)
    plan = parse_plan({"faults": [{"kind": "flash_op_cut", "op": 0, "op_kind": "erase"}]})
    inj = FaultInjector(device, plan)
    device.send_line(f"erase {page:x}")
    device.run_for(200)
    assert [f.kind for f in inj.fired] == ["flash_op_cut"]
    assert inj.count(0) == 1
    assert f"0x{page:08x}" in inj.fired[0].where
    inj.check()
    device.power_on()
    boot_to_app(device)
    command(device, f"erase {page:x}", "ERASE")  # a later op does not fire it again
    assert inj.count() == 1


def test_op_index_beyond_the_run_never_fires(platform: Platform, device: Device) -> None:
    page = _booted(device)
    plan = parse_plan({"faults": [{"kind": "flash_op_cut", "op": 100_000}]}, "plan.yaml")
    inj = FaultInjector(device, plan)
    command(device, f"erase {page:x}", "ERASE")
    command(device, f"prog {page:x} 12345678", "PROG")
    assert inj.fired == []
    with pytest.raises(FaultPlanError, match=r"plan.yaml: field 'faults\[0\]'.*never fired"):
        inj.check()


def test_brownout_plan_reboots_with_brownout_cause(platform: Platform, device: Device) -> None:
    page = _booted(device)
    plan = parse_plan({"faults": [{"kind": "brownout", "at": {"flash_op": 0}}]})
    inj = FaultInjector(device, plan)
    device.send_line(f"erase {page:x}")
    reason = device.wait_for("REBOOT_REASON", 3000, src="boot")
    assert reason["cause"] == "brownout"
    assert [f.kind for f in inj.fired] == ["brownout"]
    inj.check()


def test_tear_none_leaves_the_page_as_it_was(platform: Platform, device: Device) -> None:
    page = _booted(device)
    command(device, f"erase {page:x}", "ERASE")
    command(device, f"prog {page:x} 12345678", "PROG")
    plan = parse_plan(
        {"faults": [{"kind": "flash_op_cut", "op": 0, "tear": "none", "op_kind": "erase"}]}
    )
    inj = FaultInjector(device, plan)
    device.send_line(f"erase {page:x}")
    device.run_for(200)
    inj.check()
    device.power_on()
    boot_to_app(device)
    ev = command(device, f"read {page:x}", "READ")
    assert (ev["result"], ev.int("value")) == ("ok", 0x12345678)


def test_random_cuts_are_seeded(platform: Platform, device: Device) -> None:
    plan = parse_plan({"faults": [{"kind": "random_cuts", "count": 3}]})
    a = FaultInjector(device.engine, plan, seed=11, clean_op_count=20)
    b = FaultInjector(device.engine, plan, seed=11, clean_op_count=20)
    assert a.random_indices == b.random_indices
    assert len(a.random_indices[0]) == 3
    with pytest.raises(FaultPlanError, match="never fired"):
        a.check()


def test_symbol_cut_powers_off_and_counts(platform: Platform, device: Device) -> None:
    # the engine knows the bootloader's symbols (hil.provision loads the boot ELF)
    plan = parse_plan({"faults": [{"kind": "symbol_cut", "symbol": "main"}]})
    inj = FaultInjector(device, plan)
    device.power_on()
    device.run_for(200)
    assert [f.kind for f in inj.fired] == ["symbol_cut"]
    assert device.state.value == "off"
    assert not device.events_named(["BOOT"])
    inj.check()


def test_unknown_symbol_is_a_plan_error(platform: Platform, device: Device) -> None:
    plan = parse_plan({"faults": [{"kind": "symbol_cut", "symbol": "no_such_fn"}]}, "p.yaml")
    with pytest.raises(FaultPlanError, match=r"faults\[0\]\.symbol"):
        FaultInjector(device, plan)


@pytest.mark.parametrize("offset", [0, 5000])
def test_phase_cut_during_an_update(
    platform: Platform, firmware_factory: Callable[[Platform], FirmwareSet], offset: int
) -> None:
    """A phase cut fires on the device's own STAGING event (+offset instructions), the update
    scenario sees the power go, powers on and the recovery runs the confirmed build."""
    plan = parse_plan({"faults": [{"kind": "phase_cut", "phase": "staging", "offset": offset}]})
    injectors: list[FaultInjector] = []

    def make(fi: FactoryImage) -> Device:
        dev = Device(create_engine("unicorn", platform, 1), fi)
        injectors.append(FaultInjector(dev, plan))
        return dev

    run = ScenarioRun("power-cut-update")
    power_cut_update(Bench(platform, firmware_factory(platform), make), run)
    (inj,) = injectors
    assert [f.kind for f in inj.fired] == ["phase_cut"]
    assert "STAGING" in inj.fired[0].where
    inj.check()
    assert run.recovery_mark is not None and run.device is not None
    after = run.device.events[run.recovery_mark :]
    assert after[0].name == "REBOOT_REASON" and after[0].get("cause") == "power-on"
    assert any(e.name == "BOOT" and e.src == "app" and e.get("build") == "1" for e in after)


def test_writes_after_a_cut_inside_a_flash_operation_still_program(
    platform: Platform, firmware_factory: Callable[[Platform], FirmwareSet]
) -> None:
    """A cut inside a flash operation during a download, then the same package again: the
    device resumes and the update confirms. (The CPU mapping of the flash array once became
    writable after a torn STM32U585 erase, so later programs failed with PROGERR.)"""
    fw = firmware_factory(platform)
    bench = Bench(platform, fw, lambda fi: Device(create_engine("unicorn", platform, 1), fi))
    dev = fresh(bench)
    pkg = package(bench, 2, target(dev))
    plan = {"faults": [{"kind": "flash_op_cut", "op": 8, "op_kind": "erase"}]}
    inj = FaultInjector(dev, parse_plan(plan))
    with pytest.raises(HilError):
        update_client(dev).update(pkg, budget_ms=60_000, reset=False)
    inj.check()
    dev.state = DeviceState.OFF
    dev.power_on()
    settle_boot(bench, dev)
    run = ScenarioRun("resume")
    res = install(bench, run, dev, pkg)
    assert res.upload.error is None, res.upload.error
    assert run.outcomes == [Outcome.CONFIRMED]
    assert any(e.name == "RESUME" for e in dev.events)
