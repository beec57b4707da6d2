"""STM32U585 hash processor HASH (NS 0x420C_0400), SHA-256 on its registers.

Registers (CMSIS ``HASH_TypeDef`` / ``HASH_DIGEST_TypeDef``, STC:363-381): CR 0x00, DIN 0x04,
STR 0x08, HR0..HR4 0x0C..0x1C, IMR 0x20, SR 0x24, CSR0..CSR53 0xF8..0x1CC and the digest
HASH_HR0..HR7 0x310..0x32C. Bits (STC:5936-6025): CR INIT 2, DMAE 3, DATATYPE 5:4, MODE 6
(HMAC), NBW 11:8, DINNE 12, MDMAT 13, LKEY 16, ALGO 18:17 (3 = SHA-256); STR NBLW 4:0, DCAL 8;
IMR DINIE 0, DCIE 1; SR DINIS 0, DCIS 1, DMAS 2, BUSY 3, NBWP 12:9, DINNE 15, NBWE 19:16.

Behaviour modelled:
- CR.INIT (reads 0) starts a new message with the ALGO, MODE and DATATYPE written with it: the
  input FIFO empties, DCIS clears, the digest registers keep their values.
- Every DIN word goes to the 16-word input FIFO after the DATATYPE swap (0: none, 1: half-words,
  2: bytes, 3: bits: the C string "abc" is written as the word 0x00636261 with DATATYPE 2).
  The 16th word hands the block to the core: BUSY for ``block_cycles`` HCLK cycles (in virtual
  time, at the current core clock), the FIFO is free at once (DINIS) unless the core still
  works on the block before, then DINIS waits until the core takes it.
- STR.DCAL pads the message after the NBLW valid bits of the last word (0 = 32) and computes
  the digest: the final block(s) take ``block_cycles`` each after the blocks in flight; then
  BUSY falls, DCIS rises and HR0..HR7 (and HR0..HR4 at 0x0C) hold the digest, word i = bytes
  4i..4i+3 of SHA-256 big-endian (the HAL reverses each word into the byte string).
- The interrupt (``irqs.hash``) is (DINIS and DINIE) or (DCIS and DCIE). DCIS is cleared by
  writing 0 to it or by INIT; DINIS follows the FIFO (writing 0 has no lasting effect).
- The RCC clock: while RCC_AHB2ENR1.HASHEN (``params.clock``) is 0 the block ignores writes and
  reads 0, as an unclocked AHB peripheral.
- DMA (CR.DMAE = 1, RM0090 25.3.3, the same ST hash processor): the block asks the
  GPDMA for words (``DmaSink``, ``hil.engine.unicorn.peripherals.stm32u5_gpdma``) as the
  CPU would write them to DIN: 16 per block, block k's words entering the FIFO only once the
  core took block k-1. With CR.MDMAT = 0 the end of the DMA transfer starts the final digest
  itself (DCAL is set automatically, padding after STR.NBLW); with MDMAT = 1 it does not (a
  message fed by several transfers, or finished by the CPU). SR.DMAS follows DMAE. CPU writes
  to DIN are accepted with DMAE set too (assumed: the manual only says DMA and CPU feed the
  same FIFO).
- A power loss or any reset loses everything: the registers return to their reset values; a
  message in progress is gone and the firmware starts it over.

Not modelled, reported as unmodelled MMIO (``Soc.report_unmodelled``, strict mode stops there):
ALGO other than SHA-256 (SHA-1, MD5, SHA-224), MODE = 1 (HMAC), the context swap
registers CSR0..53, and NBLW values that are not a multiple of 8 (a message of whole bytes is
what hashlib can compute). Writes to DIN while the FIFO waits for the core are accepted (the
real bus stalls the CPU for that time; the stall is not charged to virtual time).

Parameters: ``block_cycles`` (HCLK cycles per 512-bit block, default 66), ``clock`` ({peripheral,
offset, bit} of the clock-enable bit; absent = always clocked).
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import (
    OtherBit,
    RegisterPeripheral,
    merge,
    param_int,
)
from hil.engine.unicorn.peripherals._sha256 import BlockStream
from hil.platform.model import PeripheralSpec

CR, DIN, STR, IMR, SR = 0x00, 0x04, 0x08, 0x20, 0x24
HR_LO, HR_HI = 0x0C, 0x1C  # HR0..HR4 in HASH_TypeDef
CSR_LO, CSR_HI = 0xF8, 0x1CC
DIGEST_LO, DIGEST_HI = 0x310, 0x32C  # HASH_DIGEST HR0..HR7
INIT, DMAE, MODE, MDMAT = 1 << 2, 1 << 3, 1 << 6, 1 << 13
DATATYPE_SHIFT, ALGO_SHIFT = 4, 17
CR_STORED = (
    0x3 << 4 | MODE | DMAE | 1 << 13 | 1 << 16 | 0x3 << 17
)  # DATATYPE MODE DMAE MDMAT LKEY ALGO
ALGO_SHA256 = 3
DCAL = 1 << 8
DINIE, DCIE = 1, 2
DINIS, DCIS, DMAS, BUSY, DINNE = 1, 2, 4, 8, 1 << 15


def cycles_to_ticks(soc: Soc, cycles: int) -> int:
    """``cycles`` of the current core clock in ticks of the reset clock (rounded up)."""
    reset_hz = soc.platform.core.clock_hz
    hz = soc.core_clock_hz or reset_hz
    return -(-cycles * reset_hz // hz)


def swap_word(word: int, datatype: int) -> bytes:
    """The 4 message bytes a DIN word carries for DATATYPE 0..3 (RM0456 HASH data type)."""
    if not datatype:  # 32-bit words: the common case, first
        return word.to_bytes(4, "big")
    if datatype == 1:  # half-words: swap the two half-words
        word = (word >> 16 | word << 16) & 0xFFFF_FFFF
    elif datatype == 2:  # bytes
        return word.to_bytes(4, "little")
    elif datatype == 3:  # bits: the bit string is reversed
        word = int(f"{word:032b}"[::-1], 2)
    return word.to_bytes(4, "big")


@register
class Stm32u5Hash(RegisterPeripheral):
    model = "stm32u5_hash"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._block_cycles = param_int(spec, "block_cycles", 66)
        self._clock = OtherBit(spec, soc, "clock", True)
        self.stream = BlockStream()
        self.blocks_done = 0  # blocks hashed since power-on or reset (tests, the harness)
        self.dma_blocks = 0  # of them, blocks whose last word came by DMA
        self._reset_state()

    def _reset_state(self) -> None:
        self._cr = 0  # stored CR fields as of the last write
        self._algo_cr = 0  # CR as latched by INIT
        self._imr = 0
        self._nblw = 0
        self._fifo: list[bytes] = []
        self._last_start = 0  # when the core takes (took) the last block handed to it
        self._core_end = 0  # when the core finishes everything handed to it
        self._final_at: int | None = None  # DCAL: when the digest is ready
        self._dcis = False
        self._digest = [0] * 8
        self._pending_digest: list[int] | None = None
        self._active = False  # an INIT with a modelled configuration
        self._irq_armed_at: int | None = None
        self.stream.reset()

    def power_on(self) -> None:
        self._reset_state()
        self.blocks_done = 0
        self.dma_blocks = 0
        self.drive_irq("hash", False)

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    # ------------------------------------------------------------------ helpers
    def _unmodelled(self, offset: int, name: str, write: bool, value: int) -> None:
        self.soc.report_unmodelled(
            "HASH", name, self.spec.base + offset, 4, write, value & 0xFFFF_FFFF
        )

    def _settle(self) -> None:
        """Apply what virtual time has completed: the final digest."""
        if self._final_at is not None and self.soc.instructions >= self._final_at:
            self._final_at = None
            if self._pending_digest is not None:
                self._digest = self._pending_digest
                self._pending_digest = None
            self._dcis = True

    def _status(self) -> int:
        self._settle()
        now = self.soc.instructions
        sr = 0
        if self._active and not self._fifo and self._last_start <= now and self._final_at is None:
            sr |= DINIS
        if self._dcis:
            sr |= DCIS
        if now < self._core_end or self._final_at is not None:
            sr |= BUSY
        if self._cr & DMAE:
            sr |= DMAS
        n = len(self._fifo)
        if n:
            sr |= DINNE
        sr |= (n & 0xF) << 9 | ((16 - n) & 0xF) << 16  # NBWP, NBWE
        return sr

    def _update_irq(self) -> None:
        sr = self._status()
        level = bool(sr & DINIS and self._imr & DINIE) or bool(sr & DCIS and self._imr & DCIE)
        self.drive_irq("hash", level)
        if not self._imr:
            return
        now = self.soc.instructions
        nxt = [t for t in (self._last_start, self._final_at) if t is not None and t > now]
        if nxt and self._irq_armed_at != min(nxt):
            at = self._irq_armed_at = min(nxt)

            def fire() -> None:
                if self._irq_armed_at == at:
                    self._irq_armed_at = None
                    self._update_irq()

            self.soc.schedule(at, fire)

    def _block_ticks(self) -> int:
        return cycles_to_ticks(self.soc, self._block_cycles)

    def _hand_block(self) -> None:
        block = b"".join(self._fifo)
        self._fifo = []
        now = self.soc.instructions
        start = max(now, self._core_end)
        self._last_start = start
        self._core_end = start + self._block_ticks()
        self.stream.add(block)
        self.blocks_done += 1

    def _init(self) -> None:
        cr = self._cr
        self._algo_cr = cr
        self._fifo = []
        self.stream.reset()
        self._final_at = None
        self._pending_digest = None
        self._dcis = False
        now = self.soc.instructions
        self._last_start = min(self._last_start, now)
        self._core_end = min(self._core_end, now)
        algo = cr >> ALGO_SHIFT & 3
        self._active = algo == ALGO_SHA256 and not cr & MODE
        if not self._active:
            self._unmodelled(CR, "CR", True, cr | INIT)

    def _dcal(self, at: int | None = None) -> None:
        if not self._active:
            self._unmodelled(STR, "STR", True, self._nblw | DCAL)
            return
        nblw = self._nblw or 32
        if nblw % 8:
            self._unmodelled(STR, "STR", True, self._nblw | DCAL)
            self._active = False
            return
        words = self._fifo
        self._fifo = []
        tail = b"".join(words)
        if words:
            tail = tail[: len(tail) - 4 + nblw // 8]
        elif nblw < 32 and self.stream.blocks:
            # the message's last word was the 16th of a block the model handed to the core at
            # once; the chip starts a block only when the next word or DCAL comes (RM0090
            # 25.3.3: "HASH_DIN and the input FIFO form a FIFO of a 17-word length"), so NBLW
            # still trims that word: drop its unused bytes (found by a 517,247-byte image)
            del self.stream.data[len(self.stream.data) - 4 + nblw // 8 :]
            self.blocks_done -= 1  # that block is part of the final computation below
        length = len(self.stream.data) + len(tail)
        digest = self.stream.digest_with_tail(tail)
        self.stream.add(tail)  # the message is complete; the stream is spent
        final_blocks = (length % 64 + 9 + 63) // 64
        start = max(self.soc.instructions if at is None else at, self._core_end)
        self._final_at = self._core_end = start + final_blocks * self._block_ticks()
        self._last_start = start
        self._pending_digest = [int.from_bytes(digest[4 * i : 4 * i + 4], "big") for i in range(8)]
        self.blocks_done += final_blocks

    # ------------------------------------------------------------------ DMA (DmaSink)
    def dma_requesting(self) -> bool:
        return (
            self._clock.is_set()
            and self._active
            and bool(self._cr & DMAE)
            and self._final_at is None
            and not self._dcis
        )

    def dma_register(self, address: int) -> bool:
        return address in (self.spec.base + DIN, *(a + DIN for a in self.spec.aliases))

    def dma_in(self, data: bytes, word_ticks: int) -> int:
        """Words from the GPDMA (module doc): returns when the last one entered the FIFO."""
        now = self.soc.instructions
        datatype = self._algo_cr >> DATATYPE_SHIFT & 3
        if datatype == 2:  # bytes: the message bytes are the memory bytes
            msg = data
        else:
            msg = b"".join(
                swap_word(int.from_bytes(data[i : i + 4], "little"), datatype)
                for i in range(0, len(data), 4)
            )
        pending = b"".join(self._fifo) + msg
        held = len(self._fifo)  # words already in the FIFO (from the CPU)
        blocks = len(pending) // 64
        block_ticks = self._block_ticks()
        last = now
        for k in range(blocks):
            # block k's last word: no earlier than the beats before it, and its words enter
            # the FIFO only once the core took the block before it
            words_in = 16 * (k + 1) - held
            arrive = max(now + words_in * word_ticks, self._last_start + 16 * word_ticks)
            start = max(arrive, self._core_end)
            self._last_start = start
            self._core_end = start + block_ticks
            last = arrive
        if blocks:
            self.stream.add(pending[: 64 * blocks])
            self.blocks_done += blocks
            self.dma_blocks += blocks
        rest = pending[64 * blocks :]
        self._fifo = [rest[i : i + 4] for i in range(0, len(rest), 4)]
        if rest:
            last = max(now + (len(data) // 4) * word_ticks, self._last_start)
        if not self._cr & MDMAT:
            self._dcal(last)  # the end of the transfer sets DCAL (module doc)
        self._update_irq()
        return last

    # ------------------------------------------------------------------ registers
    def read_reg(self, offset: int) -> int:
        if not self._clock.is_set():
            return 0
        if offset == CR:
            n = len(self._fifo)
            return self._cr | (n & 0xF) << 8 | (DINNE >> 3 if n else 0)
        if offset == SR:
            return self._status()
        if offset == IMR:
            return self._imr
        if offset == STR:
            return self._nblw
        if HR_LO <= offset <= HR_HI:
            self._settle()
            return self._digest[(offset - HR_LO) // 4]
        if DIGEST_LO <= offset <= DIGEST_HI:
            self._settle()
            return self._digest[(offset - DIGEST_LO) // 4]
        if CSR_LO <= offset <= CSR_HI:
            self._unmodelled(offset, f"CSR[{(offset - CSR_LO) // 4}]", False, 0)
            return 0
        return 0  # DIN reads 0 (assumed), reserved offsets read 0

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if not self._clock.is_set():
            return
        if offset == CR:
            self._cr = merge(self._cr, value, mask) & CR_STORED
            if value & mask & INIT:
                self._init()
        elif offset == DIN:
            if not self._active:
                self._unmodelled(DIN, "DIN", True, value)
                return
            if self._final_at is not None or self._dcis:  # a DCAL came: settling keeps it so
                self._settle()
                return  # assumed: data after DCAL without INIT is ignored
            fifo = self._fifo
            fifo.append(swap_word(value, self._algo_cr >> DATATYPE_SHIFT & 3))
            if len(fifo) == 16:
                self._hand_block()
            if not self._imr:
                return  # no interrupt enabled: the line stays low (the hot path: a word)
        elif offset == STR:
            self._nblw = value & mask & 0x1F
            if value & mask & DCAL:
                self._dcal()
        elif offset == IMR:
            self._imr = merge(self._imr, value, mask) & (DINIE | DCIE)
        elif offset == SR:
            self._settle()
            if mask & DCIS and not value & DCIS:
                self._dcis = False
        elif CSR_LO <= offset <= CSR_HI:
            self._unmodelled(offset, f"CSR[{(offset - CSR_LO) // 4}]", True, value)
            return
        else:
            return
        self._update_irq()
