"""The bootloader cost benchmark measures real work, and exactly the same work every run."""

from __future__ import annotations

from hil.bench.verify_cost import bootloader_verify_cost
from hil.platform.model import Platform


def test_verify_cost_is_deterministic_and_plausible(platform: Platform, firmware_factory) -> None:  # type: ignore[no-untyped-def]
    fw = firmware_factory(platform)
    # the application carries the SMP server and the image verifier (issue 4): about 36 KiB
    a = bootloader_verify_cost(platform, fw, payload_bytes=48 * 1024)
    b = bootloader_verify_cost(platform, fw, payload_bytes=48 * 1024)
    assert a == b  # instruction counts, not wall time
    assert 500_000 < a.signature_instructions < 5_000_000  # one P-256 verify
    # per signed byte: the whole-image hash plus the chunk-map hash of the payload with one
    # shared message schedule per block (about 59; two independent hashes were about 80)
    assert 30 < a.hash_per_byte < 68
    bigger = bootloader_verify_cost(platform, fw, payload_bytes=64 * 1024)
    # hashing scales with the image; the signature check does not
    assert bigger.hash_instructions > a.hash_instructions + 16 * 1024 * 30
    assert abs(bigger.signature_instructions - a.signature_instructions) < 100_000


def test_pka_takes_the_signature_off_the_core(firmware_factory) -> None:  # type: ignore[no-untyped-def]
    """STM32U585, CRYPTO=hw: the core sleeps while the PKA verifies, so it executes almost
    nothing of the signature step; CRYPTO=sw executes the whole software verification."""
    from hil.platform import load_platform

    stm = load_platform("stm32u585")
    hw = bootloader_verify_cost(stm, firmware_factory(stm), payload_bytes=48 * 1024)
    sw = bootloader_verify_cost(
        stm, firmware_factory(stm, defines={"HIL_CRYPTO_SW": 1}), payload_bytes=48 * 1024
    )
    assert hw.signature_executed < 20_000 < 1_000_000 < sw.signature_executed
    # the PKA's modelled time passes all the same (virtual time, not skipped)
    assert hw.signature_instructions > 2_000_000 and hw.signature_us > 10_000
    # CRYPTO=sw also hashes in software: the HASH accelerator's share of the hash is gone
    assert hw.hash_instructions < sw.hash_instructions
