"""Register-level tests of the STM32U585 GPDMA1 model feeding the HASH processor (HASH_IN
request): digests by DMA equal the CPU-fed ones, the transfer's flags and timing in virtual
time, MDMAT and the automatic DCAL, errors (unreadable source, bad setup), the wait for the
HASH's request, interrupts, clock gating, unmodelled setups and power loss."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from periph_fakesoc import FakeSoc

from hil.engine.base import ResetCause
from hil.platform.loader import load_platform

# HASH
CR, DIN, STR, SR, DHR0 = 0x00, 0x04, 0x08, 0x24, 0x310
INIT, DMAE, MDMAT, SHA256, BYTES = 1 << 2, 1 << 3, 1 << 13, 3 << 17, 2 << 4
DINIS, DCIS, DMAS = 1, 2, 4
HASH_DIN = 0x420C0400 + DIN
# GPDMA1 channel x
CH = 0x50
CFCR, CSR, CCR, CTR1, CTR2, CBR1, CSAR, CDAR, CLLR = (
    0xC,
    0x10,
    0x14,
    0x40,
    0x44,
    0x48,
    0x4C,
    0x50,
    0x7C,
)
IDLEF, TCF, DTEF, USEF = 1, 1 << 8, 1 << 10, 1 << 12
EN, RESET, TCIE = 1, 2, 1 << 8
WORDS = 2 | 1 << 3 | 2 << 16  # word beats, source incremented
HASH_IN = 89 | 1 << 10  # REQSEL, DREQ
RAM = 0x2000_0000
CH0_IRQ, CH1_IRQ = 29, 30


@pytest.fixture
def soc() -> FakeSoc:
    plat = load_platform("stm32u585")
    keep = ("rcc", "pwr", "flash_ctrl", "hash", "gpdma1")
    periph = tuple(p for p in plat.peripherals if p.name in keep)
    s = FakeSoc(dataclasses.replace(plat, peripherals=periph))
    s.w32("rcc", 0x8C, 1 << 17)  # RCC_AHB2ENR1.HASHEN
    s.w32("rcc", 0x88, 1)  # RCC_AHB1ENR.GPDMA1EN
    return s


def _ch(x: int, reg: int) -> int:
    return CH + 0x80 * x + reg


def _setup(soc: FakeSoc, src: int, size: int, x: int = 0, ctr1: int = WORDS) -> None:
    soc.w32("gpdma1", _ch(x, CFCR), 0x7F00)
    soc.w32("gpdma1", _ch(x, CTR1), ctr1)
    soc.w32("gpdma1", _ch(x, CTR2), HASH_IN)
    soc.w32("gpdma1", _ch(x, CBR1), size)
    soc.w32("gpdma1", _ch(x, CSAR), src)
    soc.w32("gpdma1", _ch(x, CDAR), HASH_DIN)
    soc.w32("gpdma1", _ch(x, CLLR), 0)


def _digest(soc: FakeSoc) -> bytes:
    return b"".join(soc.r32("hash", DHR0 + 4 * i).to_bytes(4, "big") for i in range(8))


def _dma_hash(soc: FakeSoc, msg: bytes, mdmat: bool) -> None:
    """The whole message by one DMA transfer; NBLW set first (RM0090 25.3.3)."""
    padded = msg + bytes(-len(msg) % 4)
    soc.ram[: len(padded)] = padded
    soc.w32("hash", CR, SHA256 | BYTES | INIT)
    soc.w32("hash", STR, 8 * (len(msg) % 4))
    soc.w32("hash", CR, SHA256 | BYTES | DMAE | (MDMAT if mdmat else 0))
    _setup(soc, RAM, len(padded))
    soc.w32("gpdma1", _ch(0, CCR), EN)


@pytest.mark.parametrize("msg", [b"abc", bytes(range(64)), b"x" * 1001, b"s" * 127, b"t" * 4096])
def test_dma_fed_digest_with_automatic_dcal(soc: FakeSoc, msg: bytes) -> None:
    _dma_hash(soc, msg, mdmat=False)
    assert soc.r32("hash", SR) & DMAS
    soc.advance(100_000)
    assert soc.r32("gpdma1", _ch(0, CSR)) & (TCF | IDLEF) == TCF | IDLEF
    assert not soc.r32("gpdma1", _ch(0, CCR)) & EN
    assert soc.r32("gpdma1", _ch(0, CBR1)) & 0xFFFF == 0
    assert soc.r32("gpdma1", _ch(0, CSAR)) == RAM + len(msg) + (-len(msg) % 4)
    assert soc.r32("hash", SR) & DCIS
    assert _digest(soc) == hashlib.sha256(msg).digest()


def test_mdmat_keeps_the_message_open_for_the_cpu_tail(soc: FakeSoc) -> None:
    head, tail = bytes(range(256)), b"tail!"
    soc.ram[:256] = head
    soc.w32("hash", CR, SHA256 | BYTES | INIT)
    soc.w32("hash", CR, SHA256 | BYTES | DMAE | MDMAT)
    _setup(soc, RAM, 256)
    soc.w32("gpdma1", _ch(0, CCR), EN)
    soc.advance(10_000)
    assert soc.r32("gpdma1", _ch(0, CSR)) & TCF
    assert not soc.r32("hash", SR) & DCIS  # no automatic DCAL with MDMAT
    soc.w32("hash", CR, SHA256 | BYTES)  # DMAE off: the CPU writes the tail
    padded = tail + bytes(-len(tail) % 4)
    for i in range(0, len(padded), 4):
        soc.w32("hash", DIN, int.from_bytes(padded[i : i + 4], "little"))
    soc.w32("hash", STR, 8 * (len(tail) % 4) | 1 << 8)
    soc.advance(1000)
    assert _digest(soc) == hashlib.sha256(head + tail).digest()


def test_transfer_time_follows_the_hash_core(soc: FakeSoc) -> None:
    # 4 blocks at 2 cycles a word (4 MHz: a cycle is a tick): block 1 reaches the core at 32,
    # block 2 waits in the FIFO for it (core takes it at 98), block 3's words enter the FIFO
    # once block 2 went to the core (98 + 32), block 4's once block 3 did (164): the last word
    # enters at 164 + 32; the core is the bottleneck, not the DMA's 128 beats
    soc.ram[:256] = bytes(256)
    soc.w32("hash", CR, SHA256 | BYTES | INIT)
    soc.w32("hash", CR, SHA256 | BYTES | DMAE | MDMAT)
    _setup(soc, RAM, 256)
    soc.w32("gpdma1", _ch(0, CCR), EN)
    done = 16 * 2 + 2 * 66 + 16 * 2
    soc.advance(done - 1)
    assert not soc.r32("gpdma1", _ch(0, CSR)) & TCF
    soc.advance(1)
    assert soc.r32("gpdma1", _ch(0, CSR)) & (TCF | IDLEF) == TCF | IDLEF


def test_channel_waits_for_the_hash_request(soc: FakeSoc) -> None:
    soc.ram[:64] = bytes(64)
    soc.w32("hash", CR, SHA256 | BYTES | INIT)  # DMAE still 0: no request
    _setup(soc, RAM, 64)
    soc.w32("gpdma1", _ch(0, CCR), EN)
    soc.advance(10_000)
    assert soc.r32("gpdma1", _ch(0, CSR)) & (TCF | IDLEF) == 0  # enabled, nothing moved
    soc.w32("hash", CR, SHA256 | BYTES | DMAE | MDMAT)
    soc.r32("gpdma1", _ch(0, CSR))  # the channel sees the request
    soc.advance(1000)
    assert soc.r32("gpdma1", _ch(0, CSR)) & TCF


def test_unreadable_source_is_a_transfer_error(soc: FakeSoc) -> None:
    base = soc.platform.flash.base
    soc.ff.program(base, bytes(64))
    soc.ff.mark_torn(base, 16)
    soc.w32("hash", CR, SHA256 | BYTES | INIT)
    soc.w32("hash", CR, SHA256 | BYTES | DMAE | MDMAT)
    _setup(soc, base, 64)
    soc.w32("gpdma1", _ch(0, CCR), EN)
    assert soc.r32("gpdma1", _ch(0, CSR)) & (DTEF | IDLEF | TCF) == DTEF | IDLEF
    assert not soc.r32("gpdma1", _ch(0, CCR)) & EN


@pytest.mark.parametrize(
    ("src", "size", "dest"),
    [(RAM + 2, 64, HASH_DIN), (RAM, 62, HASH_DIN), (RAM, 0, HASH_DIN), (RAM, 64, HASH_DIN + 4)],
    ids=["unaligned-source", "partial-word", "empty", "not-din"],
)
def test_bad_setup_is_a_user_setting_error(soc: FakeSoc, src: int, size: int, dest: int) -> None:
    soc.w32("hash", CR, SHA256 | BYTES | INIT)
    soc.w32("hash", CR, SHA256 | BYTES | DMAE | MDMAT)
    _setup(soc, src, size)
    soc.w32("gpdma1", _ch(0, CDAR), dest)
    soc.w32("gpdma1", _ch(0, CCR), EN)
    assert soc.r32("gpdma1", _ch(0, CSR)) & (USEF | IDLEF | TCF) == USEF | IDLEF
    soc.w32("gpdma1", _ch(0, CFCR), USEF)
    assert not soc.r32("gpdma1", _ch(0, CSR)) & USEF


def test_transfer_complete_interrupt_on_its_channel_line(soc: FakeSoc) -> None:
    soc.ram[:64] = bytes(64)
    soc.w32("hash", CR, SHA256 | BYTES | INIT)
    soc.w32("hash", CR, SHA256 | BYTES | DMAE | MDMAT)
    _setup(soc, RAM, 64, x=1)
    soc.w32("gpdma1", _ch(1, CCR), EN | TCIE)
    assert not soc.irq(CH1_IRQ)
    soc.advance(1000)  # the scheduled completion raises the line without a register access
    assert soc.irq(CH1_IRQ) and not soc.irq(CH0_IRQ)
    assert soc.r32("gpdma1", 0x0C) == 1 << 1  # MISR: channel 1
    soc.w32("gpdma1", _ch(1, CFCR), TCF)
    assert not soc.irq(CH1_IRQ)


def test_needs_its_clock(soc: FakeSoc) -> None:
    soc.w32("rcc", 0x88, 0)
    soc.w32("gpdma1", _ch(0, CBR1), 64)
    assert soc.r32("gpdma1", _ch(0, CBR1)) == 0 and soc.r32("gpdma1", _ch(0, CSR)) == 0


def test_unmodelled_setups_are_reported(soc: FakeSoc) -> None:
    soc.w32("hash", CR, SHA256 | BYTES | INIT)
    soc.w32("hash", CR, SHA256 | BYTES | DMAE | MDMAT)
    _setup(soc, RAM, 64)
    soc.w32("gpdma1", _ch(0, CLLR), 0x2000_0100)  # a linked list
    soc.w32("gpdma1", _ch(0, CCR), EN)
    _setup(soc, RAM, 64, x=2, ctr1=WORDS & ~3)  # byte beats
    soc.w32("gpdma1", _ch(2, CCR), EN)
    regs = [(blk, reg) for blk, reg, *_ in soc.unmodelled]
    assert regs == [("GPDMA1", "C0LLR"), ("GPDMA1", "C2CR")]
    soc.advance(10_000)
    assert not soc.r32("gpdma1", _ch(0, CSR)) & TCF  # nothing moved


def test_power_loss_and_reset_lose_the_transfer(soc: FakeSoc) -> None:
    soc.ram[:4096] = bytes(4096)
    soc.w32("hash", CR, SHA256 | BYTES | INIT)
    soc.w32("hash", CR, SHA256 | BYTES | DMAE | MDMAT)
    _setup(soc, RAM, 4096)
    soc.w32("gpdma1", _ch(0, CCR), EN)
    soc.reset_all(ResetCause.SOFTWARE)
    soc.w32("rcc", 0x88, 1)
    assert soc.r32("gpdma1", _ch(0, CSR)) == IDLEF
    assert soc.r32("gpdma1", _ch(0, CBR1)) == 0
    soc.w32("gpdma1", _ch(0, CCR), RESET)
    assert soc.r32("gpdma1", _ch(0, CCR)) == 0
