"""Issue 16: the reference firmware hashes on the chip's accelerator by default (CRYPTO=hw) and
keeps the software path (CRYPTO=sw, HIL_CRYPTO_SW). On both chips the bootloader reaches the same
slot-A verdict (its own PARSE_MANIFEST / VERIFY_SIG evidence) with either build, on the valid
image and on every bad-package variant of hil/image/variants.py; the hw build really used the
accelerator, the sw build never touched it.

One engine run per (variant, build), stopped as soon as the bootloader moved past slot A (its
SLOT_CHECK of slot B, a JUMP or RESCUE), so the whole test takes seconds per variant."""

from __future__ import annotations

import pytest

from hil.engine.base import StopReason
from hil.engine.registry import create_engine
from hil.evidence.line import is_evidence, parse_line
from hil.firmware import FirmwareSet
from hil.image.builder import image_for_spec, slot_size, spec_for_platform
from hil.image.keyring import render_anchor
from hil.image.variants import VARIANTS, make_context
from hil.platform import load_platform
from hil.platform.model import Platform
from hil.provision import FactoryImage, harness_keys, program

BUILD = 3  # as tests/integration/test_image_variants.py: the floor sits at BUILD - 1
SW = {"HIL_CRYPTO_SW": 1}
DMA = "HIL_HASH_DMA"  # STM32U585: GPDMA1 feeds the HASH (sha256_hw.c)
HASH_MODEL = {"stm32u585": "hash", "lpc55s69": "hashcrypt"}


def _slot_a_verdict(
    platform: Platform, fw: FirmwareSet, variant: str | None, dma: bool = False
) -> tuple[list[tuple[str, str, str]], int]:
    """The slot-A checks ((event, result, error_code) in order) and the accelerator's blocks
    (``dma``, a HIL_HASH_DMA build: only the blocks the GPDMA fed it)."""
    keys = harness_keys()
    spec = spec_for_platform(platform, fw.app_bin, BUILD, keys.signer, "A")
    ctx = make_context(spec, slot_size(platform, "A"))
    package = VARIANTS[variant].build(ctx) if variant else image_for_spec(platform, spec)
    anchor = render_anchor(ctx.keyring, BUILD if variant == "replay" else ctx.policy.floor,
                           spec.hw_compat)  # fmt: skip
    room = slot_size(platform, "A")
    engine = create_engine("unicorn", platform, 1)
    program(engine, FactoryImage(platform, fw, anchor, {"A": package[:room]}))
    port = engine.serial()

    def past_slot_a() -> bool:
        t = port.transcript
        return t.count(b"SLOT_CHECK") >= 2 or b"JUMP" in t or b"RESCUE" in t

    engine.power_on()
    result = engine.run(80_000_000, until=past_slot_a)
    assert result.reason is StopReason.CONDITION, (result.reason, result.detail)
    checks: list[tuple[str, str, str]] = []
    slot = None
    for raw in port.transcript.decode("utf-8", "replace").splitlines():
        if not is_evidence(raw):
            continue
        ev = parse_line(raw)
        if ev.name == "SLOT_CHECK":
            slot = ev["slot"]
        elif ev.name in ("PARSE_MANIFEST", "VERIFY_SIG") and slot == "A":
            checks.append((ev.name, ev["result"], ev.get("error_code") or ""))
    model = next(m for m in engine.models if m.spec.name == HASH_MODEL[platform.name])  # type: ignore[attr-defined]
    if dma:
        return checks, int(model.dma_blocks)  # type: ignore[attr-defined]
    return checks, int(model.blocks_done)  # type: ignore[attr-defined]


# the default run: the valid image and one variant of each way a check can fail (hash,
# chunk map, signature, bounds); every variant runs nightly (-m slow)
FAST = {"signature-bitflip", "forged-signature-same-id", "tampered-chunk-hash", "no-hash",
        "tampered-build-rehashed", "oversize"}  # fmt: skip
CASES = [None, *sorted(VARIANTS)]


@pytest.mark.parametrize(
    "variant",
    [v if v is None or v in FAST else pytest.param(v, marks=pytest.mark.slow) for v in CASES],
    ids=lambda v: v or "valid",
)
def test_hw_and_sw_crypto_give_the_same_verdict(
    platform: Platform,
    variant: str | None,
    firmware_factory,  # type: ignore[no-untyped-def]
) -> None:
    hw, hw_blocks = _slot_a_verdict(platform, firmware_factory(platform), variant)
    sw, sw_blocks = _slot_a_verdict(platform, firmware_factory(platform, defines=SW), variant)
    assert hw, "no slot-A check in the evidence"
    assert hw == sw
    assert sw_blocks == 0  # the software build never touches the accelerator
    if variant is None:
        assert hw_blocks > 64  # the image was hashed on the accelerator
        assert ("VERIFY_SIG", "ok", "ok") in hw
        assert all(result == "ok" for _, result, _ in hw)


@pytest.mark.parametrize("variant", [None, *sorted(FAST)], ids=lambda v: v or "valid")
def test_stm32_dma_fed_hash_gives_the_same_verdict(
    variant: str | None,
    firmware_factory,  # type: ignore[no-untyped-def]
) -> None:
    """The STM32U585 build whose HASH is fed by GPDMA1 (HIL_HASH_DMA, HAL_HASH_Start_DMA's
    way) reaches the CPU-fed build's verdict, and the image's blocks really came by DMA."""
    platform = load_platform("stm32u585")
    cpu, _ = _slot_a_verdict(platform, firmware_factory(platform), variant)
    dma_fw = firmware_factory(platform, defines={DMA: 1})
    dma, dma_blocks = _slot_a_verdict(platform, dma_fw, variant, dma=True)
    assert cpu and dma == cpu
    if variant is None:
        assert dma_blocks > 64
        assert ("VERIFY_SIG", "ok", "ok") in dma


STATUS_REG = {"stm32u585": 0x24, "lpc55s69": 0x04}  # HASH_SR, HASHCRYPT STATUS


def _busy(platform: Platform, status: int) -> bool:
    if platform.name == "stm32u585":
        return bool(status & 0x8)  # SR.BUSY
    return status & 0x3 == 0  # neither WAITING nor DIGEST: a block is being processed


def test_cut_during_an_accelerator_hash_starts_over(platform: Platform, firmware_factory) -> None:  # type: ignore[no-untyped-def]
    """Power goes while the accelerator works on a block of the image hash: the peripheral
    loses the message (as the chip does), the next boot hashes the image again from its first
    block and boots it."""
    fw = firmware_factory(platform)
    keys = harness_keys()
    spec = spec_for_platform(platform, fw.app_bin, BUILD, keys.signer, "A")
    ctx = make_context(spec, slot_size(platform, "A"))
    factory = FactoryImage(
        platform, fw, render_anchor(ctx.keyring, ctx.policy.floor, spec.hw_compat),
        {"A": image_for_spec(platform, spec)},
    )  # fmt: skip
    base = next(p.base for p in platform.peripherals if p.name == HASH_MODEL[platform.name])
    status = base + STATUS_REG[platform.name]

    def stop_in_blocks(engine, stop_at_call: int) -> None:  # type: ignore[no-untyped-def]
        calls = 0

        def hook(name: str, address: int) -> bool:
            nonlocal calls
            calls += 1
            return calls == stop_at_call

        engine.on_symbol("port_sha256_blocks", hook)

    clean = create_engine("unicorn", platform, 1)
    program(clean, factory)
    clean.power_on()
    port = clean.serial()
    assert clean.run(80_000_000, until=lambda: b"JUMP" in port.transcript).reason is (
        StopReason.CONDITION
    )
    model = next(m for m in clean.models if m.spec.name == HASH_MODEL[platform.name])  # type: ignore[attr-defined]
    clean_blocks = int(model.blocks_done)
    assert clean_blocks > 100
    if platform.name == "lpc55s69":  # the image's blocks go through the AHB master (the SDK's way)
        assert model.master_blocks > clean_blocks // 2

    engine = create_engine("unicorn", platform, 1)
    program(engine, factory)
    model = next(m for m in engine.models if m.spec.name == HASH_MODEL[platform.name])  # type: ignore[attr-defined]
    stop_in_blocks(engine, 40)  # stop at the 40th batch of blocks: well inside the image hash
    engine.power_on()
    assert engine.run(80_000_000).reason is StopReason.HALTED
    for _ in range(4000):  # step into the accelerator's work on a block
        if model.blocks_done > 0 and _busy(platform, engine.debug_read32(status)):
            break
        engine.step()
    assert _busy(platform, engine.debug_read32(status)), "the accelerator never became busy"
    fed = int(model.blocks_done)
    assert 0 < fed < clean_blocks
    port = engine.serial()
    cut_at = len(port.transcript)
    assert b"VERIFY_SIG" not in port.transcript  # the cut comes before any verdict
    engine.power_off()
    engine.power_on()
    assert model.blocks_done == 0 and model.stream.blocks == 0  # the message is gone
    assert engine.run(80_000_000, until=lambda: b"JUMP" in port.transcript).reason is (
        StopReason.CONDITION
    )
    after = [
        parse_line(raw)
        for raw in port.transcript[cut_at:].decode("utf-8", "replace").splitlines()
        if is_evidence(raw)
    ]
    sig = [e for e in after if e.name == "VERIFY_SIG"]
    assert sig and (sig[0]["result"], sig[0]["error_code"]) == ("ok", "ok")
    assert model.blocks_done == clean_blocks  # the recovery hashed the whole image again
