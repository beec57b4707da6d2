"""The bootloader's mutation flags (contracts §8) plant the bug they name: each build shows
the behaviour the matrix item exists to catch. (The suites judge them with the matrix
predicates; these tests only check that the planted bug is live in the bootloader.)"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.platform.model import Platform
from hil.pytest_plugin.fixtures import DeviceFactory, FirmwareFactory
from hil.update import update_client
from tests.boot.helpers import BOOT_MS, hang_payload, names, signed
from tests.boot.test_boot_select import _trial_device
from tests.boot.test_rescue import UPDATE_MS


def test_mut_no_attempts_never_counts(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    n = platform.layout.boot_attempts
    device, _ = _trial_device(
        platform, device_factory, firmware_factory, fw={"defines": {"MUT_NO_ATTEMPTS": 1}}
    )
    device.forbid("ROLLBACK")
    device.power_on()
    for _ in range(n + 1):
        t = device.wait_for("SLOT_TRANSITION", BOOT_MS, lambda e: e.get("to") == "BOOT_TEST")
        assert (t["slot"], t["attempt"]) == ("B", "1")  # the attempt is never committed
        device.wait_for("REBOOT_REASON", 4000, src="boot")


def test_mut_no_rollback_keeps_the_exhausted_image(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    n = platform.layout.boot_attempts
    device, _ = _trial_device(
        platform,
        device_factory,
        firmware_factory,
        attempts=n,
        fw={"defines": {"MUT_NO_ROLLBACK": 1}},
    )
    device.forbid("ROLLBACK")
    device.power_on()
    assert device.wait_for("JUMP", BOOT_MS)["slot"] == "B"


def test_mut_floor_le_boots_floor_minus_one(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    device, _ = _trial_device(
        platform,
        device_factory,
        firmware_factory,
        build_a=5,
        build_b=4,
        floor=5,
        fw={"defines": {"MUT_FLOOR_LE": 1}},
    )
    device.forbid("ROLLBACK")
    device.power_on()
    t = device.wait_for("SLOT_TRANSITION", BOOT_MS, lambda e: e.get("to") == "BOOT_TEST")
    assert t["slot"] == "B"
    assert device.wait_for("JUMP", BOOT_MS)["slot"] == "B"


def test_mut_rescue_no_gates_installs_revoked(
    platform: Platform, device_factory: DeviceFactory, firmware_factory: FirmwareFactory
) -> None:
    from tests.boot.helpers import factory

    fw = firmware_factory(platform, defines={"MUT_RESCUE_NO_GATES": 1})
    device = device_factory(platform, factory=factory(platform, fw))
    device.power_on()
    device.wait_for("BOOT", BOOT_MS, src="app")
    device.reset(ResetCause.PIN)
    device.send_line("rescue")
    device.wait_for("RESCUE_READY", BOOT_MS, src="rescue")
    pkg = signed(platform, hang_payload(platform, "B"), 2, "B", key="revoked")
    res = update_client(device).update(pkg, budget_ms=UPDATE_MS, reset=False)
    sig = names(list(res.events), "VERIFY_SIG")
    assert sig and sig[-1]["error_code"] == "key_revoked"
    assert res.pending  # planted: refused by the gate, marked PENDING anyway
