"""Register-level tests of the SHA-256 accelerator models: STM32U585 HASH and LPC55S69
HASHCRYPT (digests of known vectors, multi-block and partial last words, flags, interrupts,
timing in virtual time, clock gating, unmodelled modes, power loss)."""

from __future__ import annotations

import dataclasses
import hashlib
import struct

import pytest
from periph_fakesoc import FakeSoc

from hil.engine.unicorn.peripherals._sha256 import IV, compress
from hil.platform.loader import load_platform

# STM32U585 HASH
CR, DIN, STR, IMR, SR, HR0, DHR0 = 0x00, 0x04, 0x08, 0x20, 0x24, 0x0C, 0x310
INIT, SHA256, BYTES = 1 << 2, 3 << 17, 2 << 4
DINIS, DCIS, BUSY = 1, 2, 8
HASH_IRQ = 96
# LPC55S69 HASHCRYPT
CTRL, STATUS, INTENSET, INTENCLR, MEMCTRL, INDATA, DIGEST0 = 0x0, 0x4, 0x8, 0xC, 0x10, 0x20, 0x40
MEMADDR = 0x14
WAITING, DIGEST, ERROR = 1, 2, 4
HASHCRYPT_IRQ = 54

# 63 and 127 bytes: the last, partial word is the 16th word of a block (NBLW trims a word
# the FIFO already holds as a whole block)
VECTORS = [b"", b"abc", bytes(range(64)), bytes(range(256)) * 4, b"x" * 1001, b"q" * 119]
VECTORS += [b"r" * 63, b"s" * 127, b"t" * 4095]


def _soc(chip: str, keep: tuple[str, ...]) -> FakeSoc:
    plat = load_platform(chip)
    periph = tuple(p for p in plat.peripherals if p.name in keep)
    return FakeSoc(dataclasses.replace(plat, peripherals=periph))


@pytest.fixture
def stm() -> FakeSoc:
    soc = _soc("stm32u585", ("rcc", "pwr", "flash_ctrl", "hash"))
    soc.w32("rcc", 0x8C, 1 << 17)  # RCC_AHB2ENR1.HASHEN
    return soc


@pytest.fixture
def lpc() -> FakeSoc:
    soc = _soc("lpc55s69", ("syscon", "anactrl", "pmc", "flash_ctrl", "hashcrypt"))
    soc.w32("syscon", 0x208, 1 << 18)  # AHBCLKCTRL2.HASH_AES
    return soc


# ---------------------------------------------------------------- STM32U585 HASH
def _stm_feed(soc: FakeSoc, msg: bytes) -> None:
    soc.w32("hash", CR, SHA256 | BYTES | INIT)
    padded = msg + bytes(-len(msg) % 4)
    for i in range(0, len(padded), 4):
        soc.w32("hash", DIN, int.from_bytes(padded[i : i + 4], "little"))
    soc.w32("hash", STR, (8 * (len(msg) % 4)) | 1 << 8)  # NBLW, DCAL


def _stm_digest(soc: FakeSoc, base: int = DHR0) -> bytes:
    return b"".join(soc.r32("hash", base + 4 * i).to_bytes(4, "big") for i in range(8))


@pytest.mark.parametrize("msg", VECTORS, ids=lambda m: f"{len(m)}B")
def test_stm32_hash_digest_of_vectors(stm: FakeSoc, msg: bytes) -> None:
    _stm_feed(stm, msg)
    stm.advance(10_000)
    assert stm.r32("hash", SR) & (DCIS | BUSY) == DCIS
    assert _stm_digest(stm) == hashlib.sha256(msg).digest()
    assert _stm_digest(stm, HR0)[:20] == hashlib.sha256(msg).digest()[:20]  # HR0..HR4


def test_stm32_hash_datatype_32bit_words_are_big_endian(stm: FakeSoc) -> None:
    stm.w32("hash", CR, SHA256 | INIT)  # DATATYPE 0: no swap
    stm.w32("hash", DIN, 0x61626300)
    stm.w32("hash", STR, 24 | 1 << 8)
    stm.advance(1000)
    assert _stm_digest(stm) == hashlib.sha256(b"abc").digest()


def test_stm32_hash_timing_in_virtual_time(stm: FakeSoc) -> None:
    stm.w32("hash", CR, SHA256 | BYTES | INIT)
    assert stm.r32("hash", SR) & (DINIS | BUSY) == DINIS
    for _ in range(16):
        stm.w32("hash", DIN, 0)
    # the block went to the core: FIFO free (DINIS), core BUSY for 66 cycles = 66 ticks at 4 MHz
    assert stm.r32("hash", SR) & (DINIS | BUSY) == DINIS | BUSY
    for _ in range(16):
        stm.w32("hash", DIN, 0)
    assert stm.r32("hash", SR) & (DINIS | BUSY) == BUSY  # second block waits for the core
    stm.advance(65)
    assert stm.r32("hash", SR) & (DINIS | BUSY) == BUSY
    stm.advance(1)
    assert stm.r32("hash", SR) & (DINIS | BUSY) == DINIS | BUSY  # the core took block 2
    stm.w32("hash", STR, 1 << 8)  # DCAL: 128 bytes -> one padding block after block 2
    stm.advance(66 + 65)
    assert stm.r32("hash", SR) & (DCIS | BUSY) == BUSY
    stm.advance(1)
    assert stm.r32("hash", SR) & (DCIS | BUSY) == DCIS
    assert _stm_digest(stm) == hashlib.sha256(bytes(128)).digest()


def test_stm32_hash_time_follows_the_core_clock(stm: FakeSoc) -> None:
    stm.core_hz = 8_000_000  # twice the reset clock: 66 cycles = 33 ticks
    _stm_feed(stm, b"abc")
    stm.advance(32)
    assert not stm.r32("hash", SR) & DCIS
    stm.advance(1)
    assert stm.r32("hash", SR) & DCIS


def test_stm32_hash_interrupts(stm: FakeSoc) -> None:
    stm.w32("hash", IMR, 2)  # DCIE
    _stm_feed(stm, b"abc")
    assert not stm.irq(HASH_IRQ)
    stm.advance(66)
    assert stm.irq(HASH_IRQ)
    stm.w32("hash", SR, ~DCIS & 0xFFFF_FFFF)  # DCIS: write 0 to clear
    assert not stm.irq(HASH_IRQ)
    stm.w32("hash", IMR, 1)  # DINIE: the FIFO is ready after INIT
    stm.w32("hash", CR, SHA256 | BYTES | INIT)
    assert stm.irq(HASH_IRQ)


def test_stm32_hash_needs_its_clock(stm: FakeSoc) -> None:
    stm.w32("rcc", 0x8C, 0)
    _stm_feed(stm, b"abc")
    stm.advance(1000)
    assert stm.r32("hash", SR) == 0 and _stm_digest(stm) == bytes(32)


def test_stm32_hash_unmodelled_modes_are_reported(stm: FakeSoc) -> None:
    stm.w32("hash", CR, INIT)  # ALGO 0 = SHA-1
    stm.w32("hash", CR, SHA256 | 1 << 6 | INIT)  # HMAC
    stm.r32("hash", 0xF8)  # CSR0: context swap
    regs = [(blk, reg, write) for blk, reg, _, _, write, _ in stm.unmodelled]
    assert regs == [("HASH", "CR", True), ("HASH", "CR", True), ("HASH", "CSR[0]", False)]


def test_stm32_hash_power_loss_mid_hash_loses_the_message(stm: FakeSoc) -> None:
    stm.w32("hash", CR, SHA256 | BYTES | INIT)
    for _ in range(20):
        stm.w32("hash", DIN, 0x11111111)
    stm.power_cycle()  # cut during the first block's processing
    stm.w32("rcc", 0x8C, 1 << 17)  # the RCC lost its state too
    assert stm.r32("hash", SR) & (BUSY | DCIS | DINIS) == 0
    assert _stm_digest(stm) == bytes(32)
    _stm_feed(stm, b"abc")  # the recovery starts over
    stm.advance(1000)
    assert _stm_digest(stm) == hashlib.sha256(b"abc").digest()


# ---------------------------------------------------------------- LPC55S69 HASHCRYPT
def _pad(msg: bytes) -> bytes:
    return msg + b"\x80" + bytes(-(len(msg) + 9) % 64) + struct.pack(">Q", 8 * len(msg))


def _lpc_hash(soc: FakeSoc, msg: bytes, wait: int = 66) -> bytes:
    soc.w32("hashcrypt", CTRL, 2 | 1 << 4)  # SHA2-256, NEW_HASH
    padded = _pad(msg)
    for b in range(0, len(padded), 64):
        assert soc.r32("hashcrypt", STATUS) & WAITING
        for i in range(16):
            word = int.from_bytes(padded[b + 4 * i : b + 4 * i + 4], "little")
            soc.w32("hashcrypt", INDATA + 4 * (i % 8), word)  # INDATA and ALIAS0..6
        soc.advance(wait)
    return b"".join(soc.r32("hashcrypt", DIGEST0 + 4 * i).to_bytes(4, "big") for i in range(8))


@pytest.mark.parametrize("msg", VECTORS, ids=lambda m: f"{len(m)}B")
def test_lpc55_hashcrypt_digest_of_vectors(lpc: FakeSoc, msg: bytes) -> None:
    assert _lpc_hash(lpc, msg) == hashlib.sha256(msg).digest()
    assert lpc.r32("hashcrypt", STATUS) & (WAITING | DIGEST | ERROR) == WAITING | DIGEST


def test_lpc55_hashcrypt_intermediate_state_is_the_chaining_value(lpc: FakeSoc) -> None:
    block = bytes(range(64))
    lpc.w32("hashcrypt", CTRL, 2 | 1 << 4 | 1 << 12)  # HASHSWPB: MSB is the first byte
    for i in range(16):
        lpc.w32("hashcrypt", INDATA, int.from_bytes(block[4 * i : 4 * i + 4], "big"))
    lpc.advance(66)
    words = tuple(lpc.r32("hashcrypt", DIGEST0 + 4 * i) for i in range(8))
    assert words == compress(IV, block)
    # the pure-Python compression agrees with hashlib on a padded message
    state = IV
    padded = _pad(b"abc" * 30)
    for b in range(0, len(padded), 64):
        state = compress(state, padded[b : b + 64])
    assert struct.pack(">8I", *state) == hashlib.sha256(b"abc" * 30).digest()


def test_lpc55_hashcrypt_timing_and_overrun(lpc: FakeSoc) -> None:
    lpc.w32("hashcrypt", CTRL, 2 | 1 << 4)
    assert lpc.r32("hashcrypt", STATUS) & 7 == WAITING
    for _ in range(16):
        lpc.w32("hashcrypt", INDATA, 0)
    assert lpc.r32("hashcrypt", STATUS) & 7 == 0  # processing: neither WAITING nor DIGEST
    lpc.w32("hashcrypt", INDATA, 0)  # overrun
    assert lpc.r32("hashcrypt", STATUS) & 7 == ERROR
    lpc.advance(65)
    assert lpc.r32("hashcrypt", STATUS) & 7 == ERROR
    lpc.advance(1)
    assert lpc.r32("hashcrypt", STATUS) & 7 == ERROR | WAITING | DIGEST
    lpc.w32("hashcrypt", STATUS, ERROR)  # write 1 to clear
    assert lpc.r32("hashcrypt", STATUS) & 7 == WAITING | DIGEST
    lpc.w32("hashcrypt", INDATA, 0)
    assert lpc.r32("hashcrypt", STATUS) & 7 == WAITING  # DIGEST clears when data is written


def test_lpc55_hashcrypt_interrupts(lpc: FakeSoc) -> None:
    lpc.w32("hashcrypt", CTRL, 2 | 1 << 4)
    lpc.w32("hashcrypt", INTENSET, DIGEST)
    assert lpc.r32("hashcrypt", INTENSET) == DIGEST
    for _ in range(16):
        lpc.w32("hashcrypt", INDATA, 0)
    assert not lpc.irq(HASHCRYPT_IRQ)
    lpc.advance(66)
    assert lpc.irq(HASHCRYPT_IRQ)
    lpc.w32("hashcrypt", INTENCLR, DIGEST)
    assert not lpc.irq(HASHCRYPT_IRQ)


def test_lpc55_hashcrypt_clock_and_reset(lpc: FakeSoc) -> None:
    lpc.w32("hashcrypt", CTRL, 2 | 1 << 4)
    lpc.w32("syscon", 0x108, 1 << 18)  # PRESETCTRL2.HASH_AES_RST: held in reset
    assert lpc.r32("hashcrypt", STATUS) == 0
    lpc.w32("syscon", 0x108, 0)
    assert lpc.r32("hashcrypt", CTRL) == 0 and lpc.r32("hashcrypt", STATUS) == 0
    lpc.w32("syscon", 0x208, 0)  # clock off: writes ignored
    lpc.w32("hashcrypt", CTRL, 2 | 1 << 4)
    lpc.w32("syscon", 0x208, 1 << 18)
    assert lpc.r32("hashcrypt", CTRL) == 0


def test_lpc55_hashcrypt_unmodelled_modes_are_reported(lpc: FakeSoc) -> None:
    lpc.w32("hashcrypt", CTRL, 1 | 1 << 4)  # SHA1
    lpc.w32("hashcrypt", CTRL, 4 | 1 << 4)  # AES
    lpc.w32("hashcrypt", MEMCTRL, 1 | 1 << 16)  # AHB master
    assert [(b, r) for b, r, *_ in lpc.unmodelled] == [
        ("HASHCRYPT", "CTRL"), ("HASHCRYPT", "CTRL"), ("HASHCRYPT", "MEMCTRL"),
    ]  # fmt: skip


def _lpc_digest(soc: FakeSoc) -> bytes:
    return b"".join(soc.r32("hashcrypt", DIGEST0 + 4 * i).to_bytes(4, "big") for i in range(8))


@pytest.mark.parametrize("where", ["flash", "ram"])
def test_lpc55_hashcrypt_ahb_master_hashes_blocks_from_memory(lpc: FakeSoc, where: str) -> None:
    msg = bytes(range(256)) * 3 + b"tail"
    padded = _pad(msg)
    n = len(padded) // 64
    if where == "flash":
        address = lpc.platform.flash.base + 0x8000
        lpc.ff.program(address, padded)
    else:
        address = lpc.platform.ram.base + 0x100
        lpc.ram[0x100 : 0x100 + len(padded)] = padded
    lpc.w32("hashcrypt", CTRL, 2 | 1 << 4)
    lpc.w32("hashcrypt", MEMADDR, address)
    lpc.w32("hashcrypt", MEMCTRL, 1 | n << 16)  # MASTER, COUNT
    assert lpc.r32("hashcrypt", STATUS) & (WAITING | DIGEST) == 0  # the master is at work
    lpc.advance(n * (66 + 16) - 1)  # block_cycles + load_cycles per block, at the reset clock
    assert lpc.r32("hashcrypt", STATUS) & (WAITING | DIGEST) == 0
    lpc.advance(1)
    assert lpc.r32("hashcrypt", STATUS) == WAITING | DIGEST
    assert _lpc_digest(lpc) == hashlib.sha256(msg).digest()
    assert lpc.models["hashcrypt"].blocks_done == n  # type: ignore[attr-defined]


def test_lpc55_hashcrypt_ahb_master_errors(lpc: FakeSoc) -> None:
    base = lpc.platform.flash.base + 0x8000
    lpc.ff.program(base, bytes(128))
    model = lpc.models["hashcrypt"]

    def start(address: int, count: int) -> int:
        lpc.w32("hashcrypt", CTRL, 2 | 1 << 4)
        lpc.w32("hashcrypt", STATUS, ERROR)  # write 1 to clear
        lpc.w32("hashcrypt", MEMADDR, address)
        lpc.w32("hashcrypt", MEMCTRL, 1 | count << 16)
        return lpc.r32("hashcrypt", STATUS)

    assert start(base + 2, 1) == WAITING | ERROR  # MEMADDR not word aligned
    assert start(0x1000_0000 - 64, 1) == WAITING | ERROR  # nothing there: a bus error
    assert start(base, 0) == WAITING  # COUNT 0 starts nothing
    lpc.ff.mark_torn(base + 64, 16)
    assert start(base, 2) == WAITING | ERROR  # a torn ECC unit in the second block
    assert model.blocks_done == 0  # type: ignore[attr-defined]
    lpc.w32("hashcrypt", CTRL, 2 | 1 << 4)
    lpc.w32("hashcrypt", STATUS, ERROR)
    lpc.w32("hashcrypt", INDATA, 0)  # a block half written by the CPU
    lpc.w32("hashcrypt", MEMADDR, base)
    lpc.w32("hashcrypt", MEMCTRL, 1 | 1 << 16)
    assert lpc.r32("hashcrypt", STATUS) & ERROR and model.blocks_done == 0  # type: ignore[attr-defined]


def test_lpc55_hashcrypt_power_loss_mid_hash(lpc: FakeSoc) -> None:
    lpc.w32("hashcrypt", CTRL, 2 | 1 << 4)
    for _ in range(16):
        lpc.w32("hashcrypt", INDATA, 0x12345678)
    lpc.power_cycle()
    lpc.w32("syscon", 0x208, 1 << 18)
    assert lpc.r32("hashcrypt", STATUS) == 0
    assert _lpc_hash(lpc, b"abc") == hashlib.sha256(b"abc").digest()
