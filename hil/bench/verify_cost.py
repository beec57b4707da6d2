"""What the bootloader spends, in instructions, to hash and verify a signed image.

The firmware runs unchanged; the engine records its virtual time (instruction count) when the
CPU reaches three functions of the image verifier. Instruction counts are exact and do not
depend on the machine, so the figures are the same on every run.

- ``hash``: from ``img_verify`` entry to ``p256_verify`` entry: the one read pass over the
  signed region (the port's tolerant block read), the whole-image SHA-256 and, in the same
  pass, the SHA-256 of every chunk-map chunk of the payload (the payload is read once and
  hashed twice, with one message schedule per 64-byte block for both hashes:
  ``sha256_update2``), the trust-anchor lookup and KEYHASH.
- ``signature``: from ``p256_verify`` entry to ``img_check_policy`` entry: one ECDSA P-256
  verification (DER decoding included).
- ``policy``: from ``img_check_policy`` entry to the jump: the chunk-map outcome of the pass,
  hardware/slot/floor checks, the trailing-bytes check, the decision and the jump.
"""

from __future__ import annotations

from dataclasses import dataclass

from hil.engine.base import StopReason
from hil.engine.registry import create_engine
from hil.errors import EngineError
from hil.firmware import FirmwareSet
from hil.image.builder import default_hw_compat, image_for_platform
from hil.image.keyring import render_anchor
from hil.platform.model import Platform
from hil.provision import FactoryImage, harness_keys, program

MARKS = ("img_verify", "p256_verify", "img_check_policy", "port_jump")


@dataclass(frozen=True)
class VerifyCost:
    platform: str
    payload_bytes: int
    signed_bytes: int
    hash_instructions: int
    signature_instructions: int
    policy_instructions: int

    @property
    def hash_per_byte(self) -> float:
        return self.hash_instructions / self.signed_bytes

    @property
    def total(self) -> int:
        return self.hash_instructions + self.signature_instructions + self.policy_instructions


def bootloader_verify_cost(
    platform: Platform, firmware: FirmwareSet, payload_bytes: int = 64 * 1024, seed: int = 1
) -> VerifyCost:
    """Boot a factory device whose slot A holds an image of ``payload_bytes`` and measure."""
    app = firmware.app_bin.read_bytes()
    if len(app) > payload_bytes:
        raise EngineError(f"payload: expected at least {len(app)} bytes, found {payload_bytes}")
    payload = app + bytes(payload_bytes - len(app))  # runnable: padding follows the code
    keys = harness_keys()
    image = image_for_platform(platform, payload, 1, keys.signer, "A")
    anchor = render_anchor(keys.keyring(), 0, default_hw_compat(platform))
    engine = create_engine("unicorn", platform, seed)
    program(engine, FactoryImage(platform, firmware, anchor, {"A": image}))
    marks: dict[str, int] = {}

    def mark(name: str, address: int) -> bool:
        marks.setdefault(name, engine.instructions)
        return False

    for name in MARKS:
        engine.on_symbol(name, mark)
    engine.power_on()
    result = engine.run(60_000_000, until=lambda: "port_jump" in marks)
    if result.reason is not StopReason.CONDITION:
        raise EngineError(
            f"{platform.name}: expected the bootloader to verify and jump, it stopped with "
            f"{result.reason.value} ({result.detail}); reached: {sorted(marks)}"
        )
    header = platform.layout.image_header_size
    protect = int.from_bytes(image[10:12], "little")
    return VerifyCost(
        platform=platform.name,
        payload_bytes=payload_bytes,
        signed_bytes=header + payload_bytes + protect,
        hash_instructions=marks["p256_verify"] - marks["img_verify"],
        signature_instructions=marks["img_check_policy"] - marks["p256_verify"],
        policy_instructions=marks["port_jump"] - marks["img_check_policy"],
    )
