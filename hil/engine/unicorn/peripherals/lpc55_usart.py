"""LPC55S69 FLEXCOMM0 as USART0 (NS 0x4008_6000), polled TX/RX.

Follows targets.md §2.4: PSELID 0xFF8 (PERSEL[2:0], LOCK b3, USARTPRESENT b4 ... I2SPRESENT b7),
CFG 0x000 (ENABLE b0), CTL 0x004, STAT 0x008 (RXIDLE b1, TXIDLE b3), INTENSET/INTENCLR
0x00C/0x010, BRG 0x020, INTSTAT 0x024, OSR 0x028, ADDR 0x02C, FIFOCFG 0xE00 (ENABLETX b0,
ENABLERX b1, SIZE[5:4], EMPTYTX b16, EMPTYRX b17), FIFOSTAT 0xE04 (TXEMPTY b4, TXNOTFULL b5,
RXNOTEMPTY b6, RXFULL b7, TXLVL[12:8], RXLVL[20:16]), FIFOTRIG 0xE08, FIFOINTENSET/CLR/STAT
0xE10/0xE14/0xE18, FIFOWR 0xE20, FIFORD 0xE30, FIFORDNOPOP 0xE40, FIFOSIZE 0xE48, ID 0xFFC;
and the Renode LPC_USART prior art (TXEMPTY/TXNOTFULL/TXIDLE read 1, RX status from the queue).

Behaviour: a FIFOWR store transmits its low 8 bits at once when CFG.ENABLE, FIFOCFG.ENABLETX and
PSELID.PERSEL = USART (1); otherwise the byte is lost. FIFORD pops the next received byte
(when FIFOCFG.ENABLERX); FIFORDNOPOP peeks. FIFOSTAT.RXNOTEMPTY/RXLVL/RXFULL follow the waiting
bytes (RXLVL saturates at 16). FIFOCFG.EMPTYRX discards every waiting byte. PSELID.LOCK, once
set, freezes PERSEL until reset.

Modelling choices:
- Uncertain 19 (FIFO depth): FIFOSIZE reads 16 (matching FIFOCFG.SIZE = 0, "16 entries").
- TXEMPTY reads 1 always; TXNOTFULL reads FIFOCFG.ENABLETX (TX is instantaneous). STAT.TXIDLE
  and RXIDLE read 1. Error flags are never raised. BRG/OSR/CFG framing are storage (baud has
  no timing effect). PSELID.ID and the ID register values are assumed (0x00101000 /
  0xE0102100).

Interrupt (output ``usart``, FLEXCOMM0_IRQn): FIFOINTSTAT.TXLVL (b2) while FIFOTRIG.TXLVLENA
(b0) and the TX FIFO level (always 0: TX is instantaneous) <= FIFOTRIG.TXLVL[11:8];
FIFOINTSTAT.RXLVL (b3) while FIFOTRIG.RXLVLENA (b1) and the RX level > FIFOTRIG.RXLVL[19:16]
(LPC:26354-26382, 26413-26489: "0 = trigger when the RX FIFO has received one entry");
INTSTAT.TXIDLE (b3) always (STAT.TXIDLE reads 1). The line is asserted while FIFOINTSTAT &
FIFOINTENSET or INTSTAT & INTENSET is non-zero, re-evaluated at every register access and when
host bytes arrive. Error interrupts (TXERR/RXERR, framing...) never occur.
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import RegisterPeripheral, merge
from hil.platform.model import PeripheralSpec

CFG, CTL, STAT, INTENSET, INTENCLR, BRG, INTSTAT, OSR, ADDR = (
    0x000, 0x004, 0x008, 0x00C, 0x010, 0x020, 0x024, 0x028, 0x02C,
)  # fmt: skip
FIFOCFG, FIFOSTAT, FIFOTRIG = 0xE00, 0xE04, 0xE08
FIFOINTENSET, FIFOINTENCLR, FIFOINTSTAT = 0xE10, 0xE14, 0xE18
FIFOWR, FIFORD, FIFORDNOPOP, FIFOSIZE = 0xE20, 0xE30, 0xE40, 0xE48
PSELID, ID = 0xFF8, 0xFFC

ENABLE = 1
RXIDLE, TXIDLE = 1 << 1, 1 << 3
ENABLETX, ENABLERX, EMPTYTX, EMPTYRX = 1, 1 << 1, 1 << 16, 1 << 17
FIFOCFG_WRITABLE = ENABLETX | ENABLERX | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 15)
TXEMPTY, TXNOTFULL, RXNOTEMPTY, RXFULL = 1 << 4, 1 << 5, 1 << 6, 1 << 7
PERSEL_MASK, PSEL_LOCK = 0x7, 1 << 3
PERSEL_USART = 1
PRESENT = 0xF0  # USART, SPI, I2C and I2S present on FLEXCOMM0
PSELID_ID = 0x0010_1000
USART_ID = 0xE010_2100
FIFO_DEPTH = 16
TXLVLENA, RXLVLENA = 1, 1 << 1
INT_TXLVL, INT_RXLVL = 1 << 2, 1 << 3
TXIDLEEN = 1 << 3

_STORAGE = (CFG, CTL, BRG, OSR, ADDR, FIFOTRIG)


@register
class Lpc55Usart(RegisterPeripheral):
    model = "lpc55_usart"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._regs: dict[int, int] = {}
        self._fifocfg = 0
        self._pselid = 0
        self._inten = 0
        self._fifointen = 0
        self._peek: int | None = None
        self._last = 0
        self.power_on()
        soc.on_uart_rx(spec.name, self._update_irq)

    def power_on(self) -> None:
        self._regs = dict.fromkeys(_STORAGE, 0)
        self._regs[OSR] = 0xF
        self._fifocfg = 0
        self._pselid = 0
        self._inten = 0
        self._fifointen = 0
        self._peek = None
        self._last = 0

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    # ------------------------------------------------------------------ RX queue

    def _pending(self) -> int:
        return self.soc.uart_rx_pending(self.spec.name) + (1 if self._peek is not None else 0)

    def _head(self) -> int | None:
        if self._peek is None:
            self._peek = self.soc.uart_rx_pop(self.spec.name)
        return self._peek

    def _pop(self) -> int | None:
        b = self._head()
        self._peek = None
        return b

    def _tx_ready(self) -> bool:
        return bool(
            self._regs[CFG] & ENABLE
            and self._fifocfg & ENABLETX
            and self._pselid & PERSEL_MASK == PERSEL_USART
        )

    def _fifointstat(self) -> int:
        trig = self._regs[FIFOTRIG]
        stat = 0
        if trig & TXLVLENA and self._fifocfg & ENABLETX:
            stat |= INT_TXLVL  # TX FIFO level 0 <= TXLVL
        rx_on = trig & RXLVLENA and self._fifocfg & ENABLERX
        if rx_on and self._pending() > (trig >> 16) & 0xF:
            stat |= INT_RXLVL
        return stat

    def _update_irq(self) -> None:
        if not (self._fifointen or self._inten):
            self.drive_irq("usart", False)
            return
        asserted = bool(self._fifointstat() & self._fifointen or self._inten & TXIDLEEN)
        self.drive_irq("usart", asserted)

    # ------------------------------------------------------------------ registers

    def read_reg(self, offset: int) -> int:
        value = self._read(offset)
        if offset == FIFORD and (self._fifointen or self._inten):
            self._update_irq()
        return value

    def _read(self, offset: int) -> int:
        if offset in self._regs:
            return self._regs[offset]
        if offset == STAT:
            return TXIDLE | RXIDLE
        if offset in (INTENSET, INTENCLR):
            return self._inten if offset == INTENSET else 0
        if offset == FIFOCFG:
            return self._fifocfg  # SIZE[5:4] = 0: 16 entries
        if offset == FIFOSTAT:
            stat = TXEMPTY | (TXNOTFULL if self._fifocfg & ENABLETX else 0)
            if self._fifocfg & ENABLERX:
                n = self._pending()
                if n:
                    stat |= RXNOTEMPTY | (min(n, FIFO_DEPTH) << 16)
                if n >= FIFO_DEPTH:
                    stat |= RXFULL
            return stat
        if offset in (FIFOINTENSET, FIFOINTENCLR):
            return self._fifointen if offset == FIFOINTENSET else 0
        if offset in (FIFORD, FIFORDNOPOP):
            if self._fifocfg & ENABLERX:
                b = self._pop() if offset == FIFORD else self._head()
                if b is not None:
                    self._last = b & 0xFF
            return self._last
        if offset == FIFOSIZE:
            return FIFO_DEPTH
        if offset == PSELID:
            return self._pselid | PRESENT | PSELID_ID
        if offset == ID:
            return USART_ID
        if offset == FIFOINTSTAT:
            return self._fifointstat()
        if offset == INTSTAT:
            return self._inten & TXIDLEEN
        return 0

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        v = value & mask
        if offset in self._regs:
            self._regs[offset] = merge(self._regs[offset], value, mask)
        elif offset == INTENSET:
            self._inten |= v
        elif offset == INTENCLR:
            self._inten &= ~v
        elif offset == FIFOCFG:
            self._fifocfg = merge(self._fifocfg, value, mask) & FIFOCFG_WRITABLE
            if v & EMPTYRX:
                self._peek = None
                while self.soc.uart_rx_pending(self.spec.name) > 0:
                    self.soc.uart_rx_pop(self.spec.name)
        elif offset == FIFOINTENSET:
            self._fifointen |= v
        elif offset == FIFOINTENCLR:
            self._fifointen &= ~v
        elif offset == FIFOWR:
            if self._tx_ready() and mask & 0xFF:
                self.soc.uart_tx(self.spec.name, bytes([value & 0xFF]))
        elif offset == PSELID and not self._pselid & PSEL_LOCK:
            self._pselid = merge(self._pselid, value, mask) & (PERSEL_MASK | PSEL_LOCK)
        if offset in (FIFOTRIG, FIFOCFG, FIFOINTENSET, FIFOINTENCLR, INTENSET, INTENCLR):
            self._update_irq()
