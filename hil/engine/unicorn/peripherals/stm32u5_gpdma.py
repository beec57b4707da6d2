"""STM32U585 GPDMA1 (NS 0x4002_0000): direct block transfers from memory to a peripheral that
requests them, as production firmware feeds the HASH input (HAL_HASH_Start_DMA style).

Registers (CMSIS ``DMA_TypeDef`` / ``DMA_Channel_TypeDef``, STC): SECCFGR 0x00, PRIVCFGR 0x04,
RCFGLOCKR 0x08, MISR 0x0C, SMISR 0x10; channel x at 0x50 + 0x80 x (STC:1805-1820): CLBAR 0x00,
CFCR 0x0C, CSR 0x10, CCR 0x14, CTR1 0x40, CTR2 0x44, CBR1 0x48, CSAR 0x4C, CDAR 0x50, CTR3 0x54,
CBR2 0x58, CLLR 0x7C. Bits (STC:6656-6903): CSR IDLEF 0, TCF 8, HTF 9, DTEF 10, ULEF 11, USEF
12, SUSPF 13, TOF 14 (CFCR: write 1 to clear the same bits); CCR EN 0, RESET 1, SUSP 2, TCIE 8,
HTIE 9, DTEIE 10, ULEIE 11, USEIE 12, SUSPIE 13, TOIE 14; CTR1 SDW_LOG2 1:0, SINC 3, PAM 12:11,
DDW_LOG2 17:16, DINC 19; CTR2 REQSEL 6:0, SWREQ 9, DREQ 10; CBR1 BNDT 15:0 (bytes).

Behaviour modelled (one block per enable, no linked list):
- CCR.EN = 1 starts the channel's block: BNDT bytes from CSAR (incremented, word beats) to the
  data register CDAR of the peripheral its request REQSEL names (``params.requests``: peripheral
  name -> request number; the destination drives it, CTR2.DREQ = 1). The transfer moves data only
  while that peripheral asks for it (the HASH with DMAE = 1); until then the channel waits.
- The data is read through the bus master (``Soc.master_read``: flash or RAM). The block
  completes when the peripheral has taken its last word (``DmaSink.dma_in``: the HASH takes 16
  words per block as its core frees the input FIFO) and at the earliest ``word_cycles`` HCLK
  cycles per word after the start. Then CSR.TCF and HTF rise, IDLEF rises, CCR.EN falls,
  BNDT reads 0 and CSAR points past the block (RM0456 GPDMA: the channel is disabled at the end
  of its last block).
- The model reads the whole block through the bus master when the transfer starts (assumed:
  the chip reads it beat by beat, so firmware that writes the source while the transfer runs
  would hash what the chip read at each beat; the reference driver waits for the end before it
  reuses its buffer, as the HAL's callers must).
- A source that is not readable (unmapped, a torn ECC unit of flash) sets DTEF and disables the
  channel (assumed: nothing of the block is delivered; RM0456 says the channel stops on a bus
  error, not how much data went before it). A block of 0 bytes, a BNDT or CSAR that is not a
  multiple of the word width, or a CDAR that is not the peripheral's data register sets USEF
  and the channel stays disabled (RM0456: a user setting error is detected at enable).
- CCR.RESET returns the channel to idle (EN 0, IDLEF 1; a block in progress is abandoned:
  assumed, data already delivered stays delivered).
- The channel's interrupt (``irqs.ch<x>``) is CSR & CCR over TCF, HTF, DTEF and USEF.
- The clock: while RCC_AHB1ENR.GPDMA1EN (``params.clock``) is 0, writes are ignored and reads
  return 0. A power loss or any reset loses everything (a block in flight included).

Not modelled, reported as unmodelled MMIO (``Soc.report_unmodelled``, strict mode stops there):
linked lists (CLLR != 0), software requests (memory to memory), requests not in
``params.requests``, peripheral-to-memory direction, widths other than word to word, a fixed
source or an incremented destination, packing (PAM), 2D blocks (CTR3, CBR2, BRC), suspend, and
the secure/privileged configuration registers beyond storing them.

Parameters: ``word_cycles`` (HCLK cycles per word beat, default 2: assumed, one AHB read and one
AHB write; RM0456 gives no cycle count), ``requests`` ({peripheral name: request number}),
``clock`` ({peripheral, offset, bit}; absent = always clocked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import (
    OtherBit,
    RegisterPeripheral,
    merge,
    param_int,
)
from hil.engine.unicorn.peripherals.stm32u5_hash import cycles_to_ticks
from hil.platform.model import PeripheralSpec

CH_BASE, CH_STRIDE, CHANNELS = 0x50, 0x80, 16
CLBAR, CFCR, CSR, CCR, CTR1, CTR2, CBR1, CSAR, CDAR, CTR3, CBR2, CLLR = (
    0x00, 0x0C, 0x10, 0x14, 0x40, 0x44, 0x48, 0x4C, 0x50, 0x54, 0x58, 0x7C
)  # fmt: skip
GLOBAL_REGS = {0x00: "SECCFGR", 0x04: "PRIVCFGR", 0x08: "RCFGLOCKR"}
MISR, SMISR = 0x0C, 0x10
IDLEF = 1
TCF, HTF, DTEF, ULEF, USEF, SUSPF, TOF = (1 << b for b in range(8, 15))
FLAGS = TCF | HTF | DTEF | ULEF | USEF | SUSPF | TOF
EN, RESET, SUSP = 1, 2, 4
IE_MODELLED = TCF | HTF | DTEF | USEF  # CCR enables sit at the CSR flag positions
CCR_STORED = 0x7F00 | 1 << 16 | 1 << 17 | 3 << 22  # the enables, LSM, LAP, PRIO (EN apart)
SDW_MASK, SINC, PAM_SHIFT, DDW_SHIFT, DINC = 3, 1 << 3, 11, 16, 1 << 19
REQSEL_MASK, SWREQ, DREQ = 0x7F, 1 << 9, 1 << 10
BNDT_MASK = 0xFFFF
WORD = 2  # SDW_LOG2 / DDW_LOG2 of a 32-bit beat
_CH_NAMES = {
    CLBAR: "CLBAR", CFCR: "CFCR", CSR: "CSR", CCR: "CCR", CTR1: "CTR1", CTR2: "CTR2",
    CBR1: "CBR1", CSAR: "CSAR", CDAR: "CDAR", CTR3: "CTR3", CBR2: "CBR2", CLLR: "CLLR",
}  # fmt: skip


@runtime_checkable
class DmaSink(Protocol):
    """A peripheral that requests memory-to-peripheral data from the GPDMA."""

    def dma_requesting(self) -> bool:
        """The peripheral asks for data now (its DMA interface is enabled and can take it)."""

    def dma_register(self, address: int) -> bool:
        """``address`` is the peripheral's data register (the channel's destination)."""

    def dma_in(self, data: bytes, word_ticks: int) -> int:
        """Take ``data`` (whole words, memory order) delivered from now on at ``word_ticks``
        per word at the earliest; returns the virtual time its last word was taken."""


class _Channel:
    def __init__(self) -> None:
        self.regs = {CLBAR: 0, CTR1: 0, CTR2: 0, CBR1: 0, CSAR: 0, CDAR: 0, CTR3: 0, CBR2: 0}
        self.regs[CLLR] = 0
        self.ccr = 0
        self.flags = IDLEF
        self.sink: DmaSink | None = None  # enabled, waiting for this peripheral's request
        self.done_at: int | None = None  # the block completes at this virtual time
        self.irq_at: int | None = None


@register
class Stm32u5Gpdma(RegisterPeripheral):
    model = "stm32u5_gpdma"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._word_cycles = param_int(spec, "word_cycles", 2)
        requests = spec.params.get("requests", {})
        self._requests: dict[int, str] = {}
        if isinstance(requests, Mapping):
            self._requests = {int(str(v), 0): str(k) for k, v in requests.items()}
        self._clock = OtherBit(spec, soc, "clock", True)
        self.blocks_done = 0  # blocks completed since power-on (tests, the harness)
        self._reset_state()

    def _reset_state(self) -> None:
        self._ch = [_Channel() for _ in range(CHANNELS)]
        self._global = dict.fromkeys(GLOBAL_REGS, 0)

    def power_on(self) -> None:
        self._reset_state()
        self.blocks_done = 0
        for x in range(CHANNELS):
            self.drive_irq(f"ch{x}", False)

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    # ------------------------------------------------------------------ helpers
    def _unmodelled(self, offset: int, name: str, write: bool, value: int) -> None:
        self.soc.report_unmodelled(
            "GPDMA1", name, self.spec.base + offset, 4, write, value & 0xFFFF_FFFF
        )

    def _sink(self, ch: _Channel, x: int) -> DmaSink | None:
        """The channel's destination peripheral, or None (reported) when not modelled."""
        ctr1, ctr2 = ch.regs[CTR1], ch.regs[CTR2]
        name = self._requests.get(ctr2 & REQSEL_MASK)
        base = CH_BASE + CH_STRIDE * x
        if ch.regs[CLLR]:
            self._unmodelled(base + CLLR, f"C{x}LLR", True, ch.regs[CLLR])
            return None
        plain = (
            name is not None
            and not ctr2 & SWREQ
            and ctr2 & DREQ
            and ctr1 & SDW_MASK == WORD
            and ctr1 >> DDW_SHIFT & 3 == WORD
            and ctr1 & SINC
            and not ctr1 & DINC
            and not ctr1 >> PAM_SHIFT & 3
            and not ch.regs[CTR3]
            and not ch.regs[CBR2]
            and not ch.regs[CBR1] >> 16
        )
        if not plain or name is None:
            self._unmodelled(base + CCR, f"C{x}CR", True, ch.ccr | EN)
            return None
        sink = self.soc.peripheral(name)
        if not isinstance(sink, DmaSink):
            self._unmodelled(base + CCR, f"C{x}CR", True, ch.ccr | EN)
            return None
        return sink

    def _stop(self, ch: _Channel, flags: int) -> None:
        ch.ccr &= ~EN
        ch.sink = None
        ch.done_at = None
        ch.flags |= IDLEF | flags

    def _start(self, ch: _Channel, x: int) -> None:
        ch.flags &= ~IDLEF
        sink = self._sink(ch, x)
        if sink is None:
            return  # not modelled: the channel stays busy, nothing moves
        size, src = ch.regs[CBR1] & BNDT_MASK, ch.regs[CSAR]
        if not size or size & 3 or src & 3 or not sink.dma_register(ch.regs[CDAR]):
            self._stop(ch, USEF)
            return
        ch.sink = sink
        self._advance(ch, x)

    def _advance(self, ch: _Channel, x: int) -> None:
        """Move a waiting block once its peripheral asks; complete a block whose time came."""
        now = self.soc.instructions
        sink = ch.sink
        if sink is not None:
            if not sink.dma_requesting():
                return
            ch.sink = None
            size = ch.regs[CBR1] & BNDT_MASK
            data = self.soc.master_read(ch.regs[CSAR], size)
            if data is None:
                self._stop(ch, DTEF)
                self._update_irq(ch, x)
                return
            word_ticks = cycles_to_ticks(self.soc, self._word_cycles)
            earliest = now + word_ticks * (size // 4)
            ch.done_at = max(sink.dma_in(data, word_ticks), earliest)
            self._arm_irq(ch, x)
        if ch.done_at is not None and now >= ch.done_at:
            size = ch.regs[CBR1] & BNDT_MASK
            ch.regs[CSAR] = (ch.regs[CSAR] + size) & 0xFFFF_FFFF
            ch.regs[CBR1] &= ~BNDT_MASK
            self.blocks_done += 1
            self._stop(ch, TCF | HTF)
            self._update_irq(ch, x)

    def _arm_irq(self, ch: _Channel, x: int) -> None:
        if not ch.ccr & IE_MODELLED or ch.done_at is None:
            return
        at = ch.irq_at = ch.done_at

        def fire() -> None:
            if ch.irq_at == at:
                ch.irq_at = None
                self._advance(ch, x)

        self.soc.schedule(at, fire)

    def _update_irq(self, ch: _Channel, x: int) -> None:
        self.drive_irq(f"ch{x}", bool(ch.flags & ch.ccr & IE_MODELLED))

    def _channel(self, offset: int) -> tuple[int, int] | None:
        if offset < CH_BASE or offset >= CH_BASE + CH_STRIDE * CHANNELS:
            return None
        x, reg = divmod(offset - CH_BASE, CH_STRIDE)
        return (x, reg) if reg in _CH_NAMES else None

    # ------------------------------------------------------------------ registers
    def read_reg(self, offset: int) -> int:
        if not self._clock.is_set():
            return 0
        if offset in GLOBAL_REGS:
            return self._global[offset]
        if offset in (MISR, SMISR):
            out = 0
            for x, ch in enumerate(self._ch):
                self._advance(ch, x)
                out |= bool(ch.flags & ch.ccr & IE_MODELLED) << x
            return out if offset == MISR else 0  # assumed: no channel is secure
        found = self._channel(offset)
        if found is None:
            return 0
        x, reg = found
        ch = self._ch[x]
        self._advance(ch, x)
        if reg == CSR:
            return ch.flags
        if reg == CCR:
            return ch.ccr & CCR_STORED
        if reg == CFCR:
            return 0
        return ch.regs[reg]

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if not self._clock.is_set():
            return
        if offset in GLOBAL_REGS:
            self._global[offset] = merge(self._global[offset], value, mask)
            return
        found = self._channel(offset)
        if found is None:
            return
        x, reg = found
        ch = self._ch[x]
        self._advance(ch, x)
        value &= mask
        if reg == CFCR:
            ch.flags &= ~(value & FLAGS)
        elif reg == CCR:
            if value & RESET:
                self._ch[x] = ch = _Channel()
            elif value & SUSP:
                self._unmodelled(offset, f"C{x}CR", True, value)
            else:
                was = ch.ccr & EN
                ch.ccr = merge(ch.ccr, value, mask) & (CCR_STORED | EN)
                if ch.ccr & EN and not was:
                    self._start(ch, x)
        elif reg == CSR:
            return  # read-only
        elif ch.ccr & EN:
            return  # assumed: the channel's setup is locked while it is enabled
        else:
            ch.regs[reg] = merge(ch.regs[reg], value, mask)
        self._update_irq(ch, x)
