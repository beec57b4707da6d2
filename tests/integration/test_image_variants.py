"""Issue 3 acceptance: on both emulated chips the bootloader refuses every bad-package variant
with the matching evidence (and, nothing being bootable, enters rescue: issue 4), and boots
the valid image. Verdicts come from the device's own
PARSE_MANIFEST / VERIFY_SIG events, never from what the harness knows it built."""

from __future__ import annotations

import pytest

from hil.device import Device
from hil.evidence import Event
from hil.image.builder import image_for_spec, slot_size, spec_for_platform
from hil.image.constants import ImageResult
from hil.image.keyring import render_anchor
from hil.image.keys import key_id
from hil.image.variants import VARIANTS, make_context
from hil.platform.model import Platform
from hil.provision import FactoryImage, harness_keys
from tests.integration.helpers import BOOT_BUDGET_MS

BUILD = 3  # variants need room below: floor = running build = BUILD - 1

# Where the device's view differs from a verifier holding the package file:
DEVICE_EXPECTED = {
    # no running build at boot: the floor (raised to BUILD by the last confirmed install)
    # is what stops a replayed older package there; REPLAY itself is an install-path result
    "replay": ImageResult.BELOW_FLOOR,
    # in flash a cut-short package is followed by erased cells that the device cannot tell
    # from TLV bytes, so the damage surfaces as an unparseable signature
    "tlv-truncated": ImageResult.BAD_SIGNATURE,
}


def _device_for(
    platform: Platform,
    variant: str | None,
    device_factory,
    firmware_factory,
    defines: dict[str, int] | None = None,
) -> Device:  # type: ignore[no-untyped-def]
    fw = firmware_factory(platform, defines=defines)
    keys = harness_keys()
    spec = spec_for_platform(platform, fw.app_bin, BUILD, keys.signer, "A")
    ctx = make_context(spec, slot_size(platform, "A"))
    package = VARIANTS[variant].build(ctx) if variant else image_for_spec(platform, spec)
    floor = ctx.policy.floor
    if variant == "replay":
        # At boot there is no running build to compare with: a replayed older package is
        # caught by the rollback floor, which the last confirmed install raised to BUILD.
        floor = BUILD
    anchor = render_anchor(ctx.keyring, floor, spec.hw_compat)
    room = slot_size(platform, "A")
    factory = FactoryImage(platform, fw, anchor, {"A": package[:room]})
    return device_factory(platform, factory=factory)  # type: ignore[no-any-return]


def _slot_a_checks(events: list[Event]) -> list[Event]:
    """The PARSE_MANIFEST / VERIFY_SIG events of slot A (after SLOT_CHECK slot=A, before the
    next SLOT_CHECK): the bootloader checks both slots, each introduced by SLOT_CHECK."""
    out: list[Event] = []
    current = None
    for e in events:
        if e.name == "SLOT_CHECK":
            current = e["slot"]
        elif e.name in ("PARSE_MANIFEST", "VERIFY_SIG") and current == "A":
            out.append(e)
    return out


def _verdict(device: Device) -> tuple[list[Event], Event]:
    """Nothing bootable: the bootloader enters rescue (contracts §8) instead of halting."""
    rescue = device.wait_for("RESCUE", BOOT_BUDGET_MS, src="boot")
    return _slot_a_checks(device.events), rescue


def test_valid_image_boots(platform: Platform, device_factory, firmware_factory) -> None:  # type: ignore[no-untyped-def]
    device = _device_for(platform, None, device_factory, firmware_factory)
    device.power_on()
    device.wait_for("BOOT", BOOT_BUDGET_MS, src="app")
    sig = next(e for e in _slot_a_checks(device.events) if e.name == "VERIFY_SIG")
    manifest = next(e for e in _slot_a_checks(device.events) if e.name == "PARSE_MANIFEST")
    assert (sig["result"], sig["error_code"]) == ("ok", "ok")
    assert sig.int("key_id") == key_id(harness_keys().signer)
    assert (manifest["result"], manifest.int("build"), manifest["slot"]) == ("ok", BUILD, "A")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_bootloader_refuses_variant(
    platform: Platform,
    variant: str,
    device_factory,
    firmware_factory,  # type: ignore[no-untyped-def]
) -> None:
    device = _device_for(platform, variant, device_factory, firmware_factory)
    device.forbid("JUMP")
    device.forbid("BOOT", lambda e: e.src == "app")
    device.power_on()
    checks, rescue = _verdict(device)
    expected = DEVICE_EXPECTED.get(variant, VARIANTS[variant].expected)
    failed = [e for e in checks if e["result"] == "fail"]
    assert failed, f"no failing check in {[e.raw for e in checks]}"
    assert failed[-1]["error_code"] == expected.error_code
    assert rescue["cause"] == "no_bootable"
    # factory state (no metadata) with no adoptable image: nothing was committed or marked
    meta = next(e for e in device.events if e.name == "META")
    assert meta["result"] == "both-invalid"
    assert not [e for e in device.events if e.name in ("SLOT_TRANSITION", "ROLLBACK")]
    device.wait_for("RESCUE_READY", BOOT_BUDGET_MS, src="rescue")
