"""Issue 16, hardware crypto: the STM32U585 bootloader verifies signatures on the PKA by default
(CRYPTO=hw) and in software with CRYPTO=sw (HIL_CRYPTO_SW). Both builds give the same verdict on
every bad-package variant and on the valid image; the PKA model proves which path ran. A power
cut while the PKA computes loses the operation, and the next boot verifies from the start."""

from __future__ import annotations

import pytest

from hil.device import Device
from hil.engine.unicorn.peripherals.stm32u5_pka import RESULT_INVALID, RESULT_VALID, Stm32u5Pka
from hil.platform import load_platform
from hil.platform.model import Platform
from tests.integration.helpers import BOOT_BUDGET_MS, boot_to_app
from tests.integration.test_image_variants import _device_for, _slot_a_checks

SW = {"HIL_CRYPTO_SW": 1}


@pytest.fixture(scope="module")
def stm() -> Platform:
    return load_platform("stm32u585")


def _pka(device: Device) -> Stm32u5Pka:
    model = device.engine.soc.peripheral("pka")  # type: ignore[attr-defined]
    assert isinstance(model, Stm32u5Pka)
    return model


def _verdict(device: Device, variant: str | None) -> tuple[object, ...]:
    """What the device said: its slot-A checks, then the app's BOOT or the rescue cause."""
    device.power_on()
    if variant is None:
        device.wait_for("BOOT", BOOT_BUDGET_MS, src="app")
        end = "boot"
    else:
        end = device.wait_for("RESCUE", BOOT_BUDGET_MS, src="boot")["cause"]
    checks = tuple((e.name, e["result"], e["error_code"]) for e in _slot_a_checks(device.events))
    return checks, end


# every variant's hw/sw verdicts: tests/integration/test_crypto_backends.py (both chips); here
# the PKA's side of it: which path ran, and a bad signature reaching the PKA
@pytest.mark.parametrize(
    "variant", [None, "forged-signature-same-id", "signature-bitflip"], ids=lambda v: v or "valid"
)
def test_hw_and_sw_verdicts_are_identical(
    stm: Platform,
    variant: str | None,
    device_factory,
    firmware_factory,  # type: ignore[no-untyped-def]
) -> None:
    hw = _device_for(stm, variant, device_factory, firmware_factory)
    sw = _device_for(stm, variant, device_factory, firmware_factory, defines=SW)
    hw_verdict, sw_verdict = _verdict(hw, variant), _verdict(sw, variant)
    assert hw_verdict == sw_verdict
    # which path ran: the software build never touches the PKA; every operation the hardware
    # build started ended with a result; a forged or damaged signature reached the PKA
    assert _pka(sw).operations == 0
    assert _pka(hw).operations == len(_pka(hw).results)
    if variant in ("forged-signature-same-id", "signature-bitflip"):
        assert RESULT_INVALID in _pka(hw).results


def test_valid_image_is_verified_on_the_pka(
    stm: Platform,
    device_factory,
    firmware_factory,  # type: ignore[no-untyped-def]
) -> None:
    device = _device_for(stm, None, device_factory, firmware_factory)
    device.power_on()
    boot_to_app(device)
    assert _pka(device).results == [RESULT_VALID]


def test_cut_during_pka_operation_starts_over(
    stm: Platform,
    device_factory,
    firmware_factory,  # type: ignore[no-untyped-def]
) -> None:
    device = _device_for(stm, None, device_factory, firmware_factory)
    pka = _pka(device)
    device.power_on()
    for _ in range(BOOT_BUDGET_MS):  # 1 ms steps of virtual time until the PKA computes
        if pka.busy:
            break
        device.engine.run(1000)
    assert pka.busy and pka.operations == 1 and pka.results == []
    assert not device.events_named(["VERIFY_SIG"])
    device.power_cycle()  # the cut: the operation in flight is lost with the chip's state
    assert not pka.busy
    boot_to_app(device)
    # verified from the start (a second operation); the lost one never wrote a result
    assert pka.operations == 2 and pka.results == [RESULT_VALID]
    sig = device.events_named(["VERIFY_SIG"])
    assert len(sig) == 1 and sig[0]["result"] == "ok"
