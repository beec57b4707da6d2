"""What the bootloader spends, in instructions, to hash and verify a signed image.

The firmware runs unchanged; the engine records its virtual time (instruction count) when the
CPU reaches three functions of the image verifier. Instruction counts are exact and do not
depend on the machine, so the figures are the same on every run.

- ``hash``: from ``img_verify`` entry to ``p256_verify_sig`` entry: the one read pass over the
  signed region (the port's tolerant block read), the whole-image SHA-256 and, in the same
  pass, the SHA-256 of every chunk-map chunk of the payload (the payload is read once and
  hashed twice, with one message schedule per 64-byte block for both hashes:
  ``sha256_update2``), the trust-anchor lookup and KEYHASH.
- ``signature``: from ``p256_verify_sig`` entry to ``img_check_policy`` entry: one ECDSA P-256
  verification, in software or on the chip's accelerator (STM32U585 PKA, CRYPTO=hw): there the
  figure counts the core cycles that pass while the core sleeps until the PKA is done (virtual
  time in cycles of the run clock), and ``signature_us`` says how long that is.
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

MARKS = ("img_verify", "p256_verify_sig", "img_check_policy", "port_jump")


@dataclass(frozen=True)
class VerifyCost:
    platform: str
    payload_bytes: int
    signed_bytes: int
    hash_instructions: int
    signature_instructions: int
    policy_instructions: int
    signature_us: int = 0  # virtual time of the signature step
    signature_executed: int = 0  # instructions the core executed in it (no sleep)

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
    ticks: dict[str, int] = {}
    idle: dict[str, int] = {}

    def mark(name: str, address: int) -> bool:
        marks.setdefault(name, engine.instructions)
        ticks.setdefault(name, engine.ticks)
        # cycles the core slept so far (the unicorn engine counts them), else 0
        idle.setdefault(name, int(getattr(engine, "idle_cycles", 0)))
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
        hash_instructions=marks["p256_verify_sig"] - marks["img_verify"],
        signature_instructions=marks["img_check_policy"] - marks["p256_verify_sig"],
        policy_instructions=marks["port_jump"] - marks["img_check_policy"],
        signature_us=engine.instructions_to_us(
            ticks["img_check_policy"] - ticks["p256_verify_sig"]
        ),
        signature_executed=(marks["img_check_policy"] - marks["p256_verify_sig"])
        - (idle["img_check_policy"] - idle["p256_verify_sig"]),
    )
