"""STM32U585 PKA model (hil/engine/unicorn/peripherals/stm32u5_pka.py): ECDSA P-256 verification
on its registers, driven the way the HAL drives it, against signatures made by ``cryptography``."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from periph_fakesoc import FakeSoc

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripherals import stm32u5_pka as pka
from hil.platform import load_platform

P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
IRQ = 97
ENR = 0x8C  # RCC_AHB2ENR1, PKAEN bit 19


@pytest.fixture
def soc() -> FakeSoc:
    s = FakeSoc(load_platform("stm32u585"))
    s.w32("rcc", ENR, 1 << 19)
    return s


def _signed(msg: bytes = b"image") -> dict[str, int]:
    key = ec.derive_private_key(0x1234567, ec.SECP256R1())
    r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(hashes.SHA256())))
    q = key.public_key().public_numbers()
    z = int.from_bytes(hashlib.sha256(msg).digest(), "big")
    return {"qx": q.x, "qy": q.y, "r": r, "s": s, "z": z}


def _put(soc: FakeSoc, offset: int, value: int, words: int = 8) -> None:
    for i in range(words):
        soc.w32("pka", offset + 4 * i, (value >> (32 * i)) & 0xFFFF_FFFF)
    soc.w32("pka", offset + 4 * words, 0)
    soc.w32("pka", offset + 4 * words + 4, 0)


def _enable(soc: FakeSoc, cr_extra: int = 0) -> None:
    soc.w32("pka", pka.CR, pka.EN | cr_extra)
    assert not soc.r32("pka", pka.SR) & pka.INITOK  # RAM initialisation takes time
    soc.advance(2000)
    assert soc.r32("pka", pka.SR) & pka.INITOK


def _load(soc: FakeSoc, v: dict[str, int]) -> None:
    soc.w32("pka", pka.RAM_ORDER_NB_BITS, 256)
    soc.w32("pka", pka.RAM_MOD_NB_BITS, 256)
    soc.w32("pka", pka.RAM_A_COEFF_SIGN, 1)  # a = -3
    _put(soc, pka.RAM_A_COEFF, 3)
    _put(soc, pka.RAM_MOD_GF, P)
    _put(soc, pka.RAM_GX, GX)
    _put(soc, pka.RAM_GY, GY)
    _put(soc, pka.RAM_QX, v["qx"])
    _put(soc, pka.RAM_QY, v["qy"])
    _put(soc, pka.RAM_R, v["r"])
    _put(soc, pka.RAM_S, v["s"])
    _put(soc, pka.RAM_HASH, v["z"])
    _put(soc, pka.RAM_ORDER_N, N)


def _verify(soc: FakeSoc, v: dict[str, int], cr_extra: int = 0) -> int:
    _enable(soc, cr_extra)
    _load(soc, v)
    soc.w32("pka", pka.CR, pka.EN | cr_extra | (0x26 << 8) | pka.START)
    assert soc.r32("pka", pka.SR) & pka.BUSY
    soc.advance(10**9)
    sr = soc.r32("pka", pka.SR)
    assert sr & pka.PROCENDF and not sr & pka.BUSY
    return soc.r32("pka", pka.RAM_RESULT)


def test_valid_signature_verifies(soc: FakeSoc) -> None:
    assert _verify(soc, _signed()) == pka.RESULT_VALID
    assert soc.models["pka"].results == [pka.RESULT_VALID]  # type: ignore[attr-defined]


@pytest.mark.parametrize("field", ["r", "s", "z", "qx", "qy"])
def test_a_flipped_bit_fails(soc: FakeSoc, field: str) -> None:
    v = _signed()
    v[field] ^= 1 << 77
    assert _verify(soc, v) == pka.RESULT_INVALID


@pytest.mark.parametrize(("field", "value"), [("r", 0), ("s", 0), ("r", N), ("s", N + 5)])
def test_r_or_s_out_of_range_is_invalid(soc: FakeSoc, field: str, value: int) -> None:
    v = _signed()
    v[field] = value
    assert _verify(soc, v) == pka.RESULT_INVALID


def test_time_is_virtual_and_follows_the_core_clock(soc: FakeSoc) -> None:
    _enable(soc)
    _load(soc, _signed())
    start = soc.instructions
    soc.w32("pka", pka.CR, pka.EN | (0x26 << 8) | pka.START)
    ticks = 3_000_000  # verify_cycles_256 HCLK cycles at the 4 MHz reset clock = ticks
    soc.advance(ticks - 1)
    assert soc.r32("pka", pka.SR) & pka.BUSY
    soc.advance(1)
    assert soc.r32("pka", pka.SR) & pka.PROCENDF and soc.instructions - start == ticks
    # at 160 MHz the same operation takes 40 times fewer ticks of the 4 MHz reset clock
    soc.core_hz = 160_000_000
    soc.w32("pka", pka.CLRFR, pka.PROCENDF)
    soc.w32("pka", pka.CR, pka.EN | (0x26 << 8) | pka.START)
    soc.advance(ticks // 40 - 1)
    assert soc.r32("pka", pka.SR) & pka.BUSY
    soc.advance(1)
    assert soc.r32("pka", pka.SR) & pka.PROCENDF


def test_procend_interrupt_and_clear(soc: FakeSoc) -> None:
    _verify(soc, _signed(), cr_extra=pka.PROCENDIE)
    assert soc.irq(IRQ)
    soc.w32("pka", pka.CLRFR, pka.PROCENDF)
    assert not soc.r32("pka", pka.SR) & pka.PROCENDF and not soc.irq(IRQ)
    # without PROCENDIE the line stays low
    soc2 = FakeSoc(load_platform("stm32u585"))
    soc2.w32("rcc", ENR, 1 << 19)
    _verify(soc2, _signed())
    assert not soc2.irq(IRQ)


def test_ram_access_while_busy_sets_ramerr(soc: FakeSoc) -> None:
    _enable(soc, pka.RAMERRIE)
    _load(soc, _signed())
    soc.w32("pka", pka.CR, pka.EN | pka.RAMERRIE | (0x26 << 8) | pka.START)
    assert soc.r32("pka", pka.RAM_RESULT) == 0  # ignored, reads 0
    sr = soc.r32("pka", pka.SR)
    assert sr & pka.RAMERRF and sr & pka.BUSY and soc.irq(IRQ)
    soc.w32("pka", pka.CLRFR, pka.RAMERRF)
    assert not soc.r32("pka", pka.SR) & pka.RAMERRF and not soc.irq(IRQ)


def test_address_error_and_operation_error(soc: FakeSoc) -> None:
    _enable(soc, pka.ADDRERRIE | pka.OPERRIE)
    soc.r32("pka", 0x100)  # between CLRFR and the RAM
    assert soc.r32("pka", pka.SR) & pka.ADDRERRF and soc.irq(IRQ)
    soc.w32("pka", pka.CLRFR, pka.ADDRERRF)
    soc.w32("pka", pka.CR, pka.EN | pka.ADDRERRIE | pka.OPERRIE | (0x3E << 8) | pka.START)
    sr = soc.r32("pka", pka.SR)
    assert sr & pka.OPERRF and not sr & pka.BUSY and soc.irq(IRQ)


def test_unmodelled_mode_is_reported(soc: FakeSoc) -> None:
    _enable(soc)
    soc.w32("pka", pka.CR, pka.EN | (0x20 << 8) | pka.START)  # ECC scalar multiplication
    assert soc.unmodelled == [("PKA", "CR.MODE=0x20", 0x420C_2000, 4, True, 0x2003)]
    soc.advance(10**9)
    assert soc.r32("pka", pka.SR) & pka.BUSY  # it never ends


def test_start_needs_enable_and_initok(soc: FakeSoc) -> None:
    soc.w32("pka", pka.CR, pka.EN | (0x26 << 8) | pka.START)  # INITOK not yet up
    assert not soc.r32("pka", pka.SR) & pka.BUSY
    assert soc.models["pka"].operations == 0  # type: ignore[attr-defined]


def test_gated_clock_reads_zero_and_drops_writes() -> None:
    soc = FakeSoc(load_platform("stm32u585"))
    soc.w32("pka", pka.CR, pka.EN)
    soc.w32("rcc", ENR, 1 << 19)
    assert soc.r32("pka", pka.CR) == 0


@pytest.mark.parametrize("how", ["power", "reset", "disable"])
def test_a_cut_during_the_operation_loses_it(soc: FakeSoc, how: str) -> None:
    """State lost: no result ever appears, the PKA is back at reset; the firmware starts over."""
    _enable(soc, pka.PROCENDIE)
    _load(soc, _signed())
    soc.w32("pka", pka.CR, pka.EN | pka.PROCENDIE | (0x26 << 8) | pka.START)
    soc.advance(1_000_000)
    assert soc.r32("pka", pka.SR) & pka.BUSY
    if how == "power":
        soc.models["pka"].power_on()  # the scheduler entry survives: the model must drop it
    elif how == "reset":
        soc.models["pka"].reset(ResetCause.BROWNOUT)
    else:
        soc.w32("pka", pka.CR, 0)
    soc.advance(10**9)
    assert soc.models["pka"].results == []  # type: ignore[attr-defined]
    assert not soc.r32("pka", pka.SR) & (pka.BUSY | pka.PROCENDF | pka.INITOK)
    assert not soc.irq(IRQ)
    if how != "disable":
        assert soc.r32("pka", pka.RAM_QX) == 0  # RAM back to reset
    # starting over gives the right answer
    assert _verify(soc, _signed()) == pka.RESULT_VALID


def test_python_math_agrees_with_cryptography() -> None:
    for i in range(4):
        v = _signed(bytes([i]) * 7)
        assert pka.ecdsa_verify(P, -3, (GX, GY), N, (v["qx"], v["qy"]), v["r"], v["s"], v["z"])
        assert not pka.ecdsa_verify(
            P, -3, (GX, GY), N, (v["qx"], v["qy"]), v["r"], v["s"], v["z"] + 1
        )
