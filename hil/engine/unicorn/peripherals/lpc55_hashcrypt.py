"""LPC55S69 HASHCRYPT (NS 0x400A_4000), SHA2-256 on its registers.

Registers and bits (SVD HASHCRYPT, UM11126 HASHCRYPT chapter): CTRL 0x00 (MODE 2:0 with
0 disabled, 1 SHA1, 2 SHA2-256, 4 AES, 5 ICB-AES; NEW_HASH 4, self-clearing; DMA_I 8; DMA_O 9;
HASHSWPB 12), STATUS 0x04 (WAITING 0, DIGEST 1, ERROR 2 write-1-to-clear, NEEDKEY 4, NEEDIV 5),
INTENSET 0x08 (write 1 to enable; reads the enables), INTENCLR 0x0C (write 1 to disable),
MEMCTRL 0x10 (MASTER 0, COUNT 26:16), MEMADDR 0x14, INDATA 0x20, ALIAS0..6 0x24..0x3C,
DIGEST0..7 0x40..0x5C, CRYPTCFG 0x80, CONFIG 0x84 (read-only), LOCK 0x8C, MASK0..3 0x90..0x9C.

Behaviour modelled:
- CTRL with MODE = 2 and NEW_HASH = 1 starts a new SHA2-256 hash: the digest restarts from the
  initial value and WAITING rises (16 words wanted). MODE = 0 disables the block.
- INDATA and ALIAS0..6 take the next word of the block. The block swaps bytes itself: a word is
  the little-endian form of 4 message bytes ("abcd" = 0x64636261), unless CTRL.HASHSWPB = 1
  (then the word's most significant byte is the first). The 16th word starts the block: WAITING
  and DIGEST fall, ``block_cycles`` HCLK cycles later (virtual time, current core clock) DIGEST
  and WAITING rise. A word written while WAITING is 0 is an overrun: ERROR rises, the word is
  dropped (CONFIG.DUAL = 0: one 512-bit buffer).
- MEMCTRL with MASTER = 1 and COUNT = n > 0 (the AHB master, as the SDK's
  ``hashcrypt_sha_process_message_data`` uses it for word-aligned messages): while WAITING is
  1 in SHA2-256 mode, the block reads n 64-byte blocks from MEMADDR (flash or RAM,
  ``Soc.master_read``) and hashes them; WAITING and DIGEST fall and rise again
  n x (``block_cycles`` + ``load_cycles``) HCLK cycles later. A bus error (an unmapped address,
  a torn ECC unit or a faulting erased page in flash), a MEMADDR not word aligned, or a start
  while WAITING is 0 sets ERROR and loads nothing (assumed: UM11126 says the master stops on an
  error; which blocks were hashed before it is not given). COUNT = 0 starts nothing.
- DIGEST0..7 read the SHA-256 chaining state after the last block (word i = H_i, the SDK reverses
  each word into the byte string); the driver pads the message itself, so after its padded last
  block this is the SHA-256 digest. (A read while a block is in progress returns the state
  before that block: assumed.)
- The interrupt (``irqs.hashcrypt``) is STATUS & INTENSET over WAITING, DIGEST and ERROR.
- Clock and reset: while SYSCON AHBCLKCTRL2.HASH_AES (``params.clock``) is 0 or PRESETCTRL2
  .HASH_AES_RST (``params.reset``) is 1, writes are ignored and reads return 0; leaving reset
  returns every register to its reset value.
- A power loss or any reset loses everything: a hash in progress is gone; the firmware starts
  it over.

Not modelled, reported as unmodelled MMIO (``Soc.report_unmodelled``, strict mode stops there):
MODE 1 (SHA1), 4 and 5 (AES, ICB-AES) and the other values, DMA_I/DMA_O, MEMCTRL.MASTER = 1
outside SHA2-256 mode, and writes to CRYPTCFG, LOCK and MASK.

Parameters: ``block_cycles`` (default 66), ``load_cycles`` (the AHB master's cycles to read one
64-byte block, default 16), ``config`` (CONFIG's value), ``clock`` and ``reset``
({peripheral, offset, bit}; absent = always clocked / out of reset).
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import OtherBit, RegisterPeripheral, param_int
from hil.engine.unicorn.peripherals._sha256 import BlockStream
from hil.engine.unicorn.peripherals.stm32u5_hash import cycles_to_ticks
from hil.platform.model import PeripheralSpec

CTRL, STATUS, INTENSET, INTENCLR, MEMCTRL, MEMADDR = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14
INDATA, ALIAS_HI = 0x20, 0x3C
DIGEST_LO, DIGEST_HI = 0x40, 0x5C
CRYPTCFG, CONFIG, LOCK, MASK_LO, MASK_HI = 0x80, 0x84, 0x8C, 0x90, 0x9C
MODE_MASK, NEW_HASH, DMA_I, DMA_O, HASHSWPB = 0x7, 1 << 4, 1 << 8, 1 << 9, 1 << 12
MODE_SHA256 = 2
WAITING, DIGEST, ERROR = 1, 2, 4
MASTER = 1
COUNT_SHIFT, COUNT_MASK = 16, 0x7FF


@register
class Lpc55Hashcrypt(RegisterPeripheral):
    model = "lpc55_hashcrypt"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._block_cycles = param_int(spec, "block_cycles", 66)
        self._load_cycles = param_int(spec, "load_cycles", 16)
        self._config = param_int(spec, "config", 0)
        self._clock = OtherBit(spec, soc, "clock", True)
        self._reset_bit = OtherBit(spec, soc, "reset", False)
        self.stream = BlockStream()
        self.blocks_done = 0  # blocks hashed since power-on or reset (tests, the harness)
        self.master_blocks = 0  # of which the AHB master read from memory
        self._in_reset = False
        self._reset_state()

    def _reset_state(self) -> None:
        self._ctrl = 0
        self._status_bits = 0  # WAITING/DIGEST as of the last event; ERROR latched
        self._busy_until: int | None = None
        self._words: list[bytes] = []
        self._inten = 0
        self._memaddr = 0
        self._state: tuple[int, ...] | None = None  # cached chaining state
        self._irq_armed_at: int | None = None
        self.stream.reset()

    def power_on(self) -> None:
        self._reset_state()
        self.blocks_done = self.master_blocks = 0
        self.drive_irq("hashcrypt", False)

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    # ------------------------------------------------------------------ helpers
    def _usable(self) -> bool:
        in_reset = self._reset_bit.is_set()
        if in_reset != self._in_reset:
            self._in_reset = in_reset
            if in_reset:
                self.power_on()  # held in reset: every register at its reset value
        return not in_reset and self._clock.is_set()

    def _unmodelled(self, offset: int, name: str, write: bool, value: int) -> None:
        self.soc.report_unmodelled(
            "HASHCRYPT", name, self.spec.base + offset, 4, write, value & 0xFFFF_FFFF
        )

    def _status(self) -> int:
        if self._busy_until is not None and self.soc.instructions >= self._busy_until:
            self._busy_until = None
            self._status_bits |= WAITING | DIGEST
        return self._status_bits

    def _update_irq(self) -> None:
        level = bool(self._status() & self._inten & (WAITING | DIGEST | ERROR))
        self.drive_irq("hashcrypt", level)
        at = self._busy_until
        if self._inten and at is not None and self._irq_armed_at != at:
            self._irq_armed_at = at

            def fire() -> None:
                if self._irq_armed_at == at:
                    self._irq_armed_at = None
                    self._update_irq()

            self.soc.schedule(at, fire)

    def _write_ctrl(self, value: int) -> None:
        mode = value & MODE_MASK
        self._ctrl = value & (MODE_MASK | DMA_I | DMA_O | HASHSWPB)
        if value & (DMA_I | DMA_O):
            self._unmodelled(CTRL, "CTRL", True, value)
        if mode == 0:
            self._status_bits &= ERROR
            self._busy_until = None
            self._words = []
            return
        if mode != MODE_SHA256:
            self._unmodelled(CTRL, "CTRL", True, value)
            self._status_bits &= ERROR
            return
        if value & NEW_HASH:
            self._words = []
            self.stream.reset()
            self._state = None
            self._busy_until = None
            self._status_bits = (self._status_bits & ERROR) | WAITING

    def _write_data(self, value: int) -> None:
        status = self._status()
        if (self._ctrl & MODE_MASK) != MODE_SHA256 or not status & WAITING:
            self._status_bits |= ERROR  # overrun: INDATA written when not appropriate
            return
        swap = self._ctrl & HASHSWPB
        self._words.append(value.to_bytes(4, "big" if swap else "little"))
        self._status_bits &= ~DIGEST  # cleared when any data is written
        if len(self._words) == 16:
            self.stream.add(b"".join(self._words))
            self._words = []
            self._state = None
            self.blocks_done += 1
            self._status_bits &= ~(WAITING | DIGEST)
            self._busy_until = self.soc.instructions + cycles_to_ticks(self.soc, self._block_cycles)

    def _master(self, value: int) -> None:
        """MEMCTRL.MASTER = 1: hash COUNT blocks read from MEMADDR (module doc)."""
        count = value >> COUNT_SHIFT & COUNT_MASK
        if (self._ctrl & MODE_MASK) != MODE_SHA256:
            self._unmodelled(MEMCTRL, "MEMCTRL", True, value)
            return
        if not count:
            return
        data = None
        if self._status() & WAITING and not self._words and not self._memaddr & 3:
            data = self.soc.master_read(self._memaddr, 64 * count)
        if data is None:
            self._status_bits |= ERROR
            return
        self.stream.add(data)
        self._state = None
        self.blocks_done += count
        self.master_blocks += count
        self._status_bits &= ~(WAITING | DIGEST)
        cycles = count * (self._block_cycles + self._load_cycles)
        self._busy_until = self.soc.instructions + cycles_to_ticks(self.soc, cycles)

    def _digest_word(self, index: int) -> int:
        if self._state is None:
            self._state = self.stream.chaining_state()
        return self._state[index]

    # ------------------------------------------------------------------ registers
    def read_reg(self, offset: int) -> int:
        if not self._usable():
            return 0
        if offset == CTRL:
            return self._ctrl
        if offset == STATUS:
            return self._status()
        if offset == INTENSET:
            return self._inten
        if offset == MEMADDR:
            return self._memaddr
        if offset == CONFIG:
            return self._config
        if DIGEST_LO <= offset <= DIGEST_HI:
            if (self._ctrl & MODE_MASK) != MODE_SHA256:
                return 0
            return self._digest_word((offset - DIGEST_LO) // 4)
        return 0  # write-only data registers, MEMCTRL, unmodelled crypto registers

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if not self._usable():
            return
        value &= mask
        if offset == CTRL:
            self._write_ctrl(value)
        elif INDATA <= offset <= ALIAS_HI:
            self._write_data(value)
            if not self._inten:
                return  # no interrupt enabled: the line stays low (the hot path: a word)
        elif offset == STATUS:
            self._status_bits &= ~(value & ERROR)
        elif offset == INTENSET:
            self._inten |= value & (WAITING | DIGEST | ERROR)
        elif offset == INTENCLR:
            self._inten &= ~value
        elif offset == MEMCTRL:
            if value & MASTER:
                self._master(value)
        elif offset == MEMADDR:
            self._memaddr = value
        elif offset in (CRYPTCFG, LOCK) or MASK_LO <= offset <= MASK_HI:
            self._unmodelled(offset, f"+0x{offset:x}", True, value)
            return
        else:
            return
        self._update_irq()
