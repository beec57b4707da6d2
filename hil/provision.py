"""Factory programming: what a device's flash holds before the first power-on.

A ``FactoryImage`` is the bootloader ELF, the trust anchor (allowed and revoked keys, rollback
floor, hardware ID) and the signed application image(s). ``program`` writes it into an engine
the way a production line would, then write-protects the trust anchor as the chip's OTP /
protected flash region would be.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from hil.engine.base import Engine
from hil.firmware import FirmwareSet
from hil.image.builder import default_hw_compat, image_for_platform, sized_payload
from hil.image.keyring import Keyring, render_anchor
from hil.image.variants import VariantKeys
from hil.platform.model import Platform


def harness_keys() -> VariantKeys:
    """The harness's deterministic keys: signer and a second allowed key, a revoked key and an
    unknown key (derived from fixed labels, so images are byte-identical run to run)."""
    return VariantKeys.standard()


@dataclass(frozen=True)
class FactoryImage:
    platform: Platform
    firmware: FirmwareSet
    anchor: bytes
    slots: dict[str, bytes] = field(default_factory=dict)  # "A"/"B" -> signed image bytes

    def provenance(self) -> dict[str, str]:
        """SHA-256 of everything programmed: for reports and replay records."""
        out = self.firmware.hashes()
        out["anchor"] = hashlib.sha256(self.anchor).hexdigest()
        for slot, data in sorted(self.slots.items()):
            out[f"slot_{slot.lower()}"] = hashlib.sha256(data).hexdigest()
        return out


def factory_image(
    platform: Platform,
    firmware: FirmwareSet,
    *,
    keys: VariantKeys | None = None,
    keyring: Keyring | None = None,
    floor: int = 0,
    hw_compat: int | None = None,
    build: int | None = None,
    slot_a: bytes | None = None,
    app_size: int | None = None,
) -> FactoryImage:
    """The standard factory image: the app signed by the harness signer into slot A.

    ``slot_a`` replaces the signed image (e.g. with a bad-package variant); ``build`` defaults
    to the firmware's APP_BUILD, which is what the application reports; ``app_size`` (bytes)
    pads the app's payload to that size (``sized_payload``: a product with a large app).
    """
    ks = keys or harness_keys()
    ring = keyring or ks.keyring()
    hw = default_hw_compat(platform) if hw_compat is None else hw_compat
    image = slot_a
    if image is None:
        image = image_for_platform(
            platform,
            firmware.app_bin
            if app_size is None
            else sized_payload(firmware.app_bin.read_bytes(), app_size),
            firmware.app_build if build is None else build,
            ks.signer,
            "A",
            hw_compat=hw,
        )
    return FactoryImage(platform, firmware, render_anchor(ring, floor, hw), {"A": image})


def program(engine: Engine, factory: FactoryImage) -> None:
    """Program the factory image into ``engine``'s flash and lock the trust anchor."""
    layout = factory.platform.layout
    engine.load_elf(str(factory.firmware.boot_elf))
    keys = layout["keys"]
    engine.program_flash(keys.address, factory.anchor)
    engine.write_protect(keys.address, keys.size)
    for slot, data in factory.slots.items():
        engine.program_flash(layout[f"slot_{slot.lower()}"].address, data)


def reprovision_anchor(
    engine: Engine,
    platform: Platform,
    *,
    keyring: Keyring | None = None,
    floor: int = 0,
    hw_compat: int | None = None,
) -> bytes:
    """A factory re-provisioning step between power cycles (the engine powered off): the trust
    anchor area is rewritten with a new anchor (``keyring`` default: the harness keys; the
    rest of the area erased), as a production line re-provisions a device. The area stays
    write-protected for the firmware. Returns the anchor written."""
    keys = platform.layout["keys"]
    hw = default_hw_compat(platform) if hw_compat is None else hw_compat
    anchor = render_anchor(keyring or harness_keys().keyring(), floor, hw)
    fill = bytes([platform.flash.erased_value]) * (keys.size - len(anchor))
    engine.program_flash(keys.address, anchor + fill)
    return anchor
