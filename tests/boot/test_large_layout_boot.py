"""The STM32U585 large layout on the emulator (issue 16): its firmware builds for its own
layout, boots a 900 KiB factory image (the bootloader hashes and verifies all of it) and, slow,
installs a 900 KiB update over SMP. Verdicts come from the device's own events."""

from __future__ import annotations

import pytest

from hil.device import Device
from hil.engine.registry import create_engine
from hil.evidence import Outcome
from hil.firmware import build_firmware
from hil.image.builder import image_for_platform, sized_payload
from hil.platform import load_platform
from hil.provision import FactoryImage, factory_image, harness_keys
from hil.scenarios import Bench, ScenarioRun, power_cut_update
from hil.sweep.judge import judge_point

KIB = 1024


def test_large_layout_firmware_boots_a_900_kib_image() -> None:
    platform = load_platform("stm32u585-large")
    fw = build_firmware(platform)
    assert fw.boot_elf.parent.name == "stm32u585-large"  # its own build, beside the default
    gen = (fw.boot_elf.parent / "gen" / "platform_gen.h").read_text()
    assert "PLAT_AREA_SLOT_B_ADDR        0x08100000u" in gen
    assert "PLAT_AREA_SLOT_A_SIZE        0x000F0000u" in gen
    app = sized_payload(fw.app_bin.read_bytes(), 900 * KIB)
    slot_a = image_for_platform(platform, app, 1, harness_keys().signer, "A")
    factory = factory_image(platform, fw, slot_a=slot_a)
    with Device(create_engine("unicorn", platform, 1), factory) as dev:
        dev.power_on()
        dev.wait_for("BOOT", 20_000, src="app")
        layout = next(e for e in dev.events if e.name == "LAYOUT")
        assert layout.get("platform") == "stm32u585-large"
        verified = [e for e in dev.events if e.name == "VERIFY_SIG"]
        assert verified and all(str(e.get("result")) == "ok" for e in verified)
        boot = next(e for e in dev.events if e.name == "BOOT" and e.src == "app")
        assert str(boot.get("slot")) == "A" and str(boot.get("build")) == "1"


@pytest.mark.slow
def test_large_layout_installs_a_900_kib_update() -> None:
    """The power-cut sweep's clean update with a 900 KiB payload: upload to slot B (bank 2),
    trial boot, confirm (about 75 s of CPU)."""
    platform = load_platform("stm32u585-large")
    fw = build_firmware(platform)
    devices: list[Device] = []

    def make(fi: FactoryImage) -> Device:
        devices.append(Device(create_engine("unicorn", platform, 1), fi))
        return devices[-1]

    run = ScenarioRun("power-cut-update")
    power_cut_update(Bench(platform, fw, make), run, build=2, app_size=900 * KIB)
    assert run.error is None and run.device is not None
    verdict = judge_point(run.device.events, 0)
    assert verdict.outcome is Outcome.CONFIRMED and verdict.build == 2 and verdict.ok
