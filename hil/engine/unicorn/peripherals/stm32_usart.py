"""STM32 USART (USART1 of the STM32U585, NS 0x4001_3800), polled TX/RX.

Follows targets.md §1.4: register offsets (CR1 0x00, CR2 0x04, CR3 0x08, BRR 0x0C, GTPR 0x10,
RTOR 0x14, RQR 0x18, ISR 0x1C, ICR 0x20, RDR 0x24, TDR 0x28, PRESC 0x2C, AUTOCR 0x30), CR1 bits
(UE b0, RE b2, TE b3, FIFOEN b29), ISR bits and the Renode STM32F7_USART prior art.

Behaviour: a TDR write while CR1.UE and CR1.TE are set transmits the low 8 bits at once
(``soc.uart_tx``); otherwise the byte is lost. ISR.TXE/TXFNF (b7) and TC (b6) always read 1
(transmission is instantaneous); TEACK/REACK mirror TE/RE; RXNE/RXFNE (b5) is set while UE and
RE are set and a received byte waits. Reading RDR pops the next byte (when UE and RE; otherwise
the last value is read again). RQR.RXFRQ (b3) discards the waiting byte (all waiting bytes
when FIFOEN). Error flags (PE/FE/NE/ORE) are never raised; ICR writes are accepted.

Interrupt (output ``usart``, USART1_IRQn): asserted while CR1.RXNEIE/RXFNEIE (b5) and RXNE,
CR1.TCIE (b6) and TC, or CR1.TXEIE/TXFNFIE (b7) and TXE (STC:22814-22897 CR1 bits; the RM's
USART interrupt mapping). The level is re-evaluated at every register access and whenever host
bytes arrive. CR3's FIFO threshold interrupts (RXFTIE/TXFTIE) and the error interrupts are not
modelled.

Modelling choices: uncertain 11 (ISR reset value on U5): ISR reads TXE|TC|TXFE (0x008000C0)
plus the dynamic bits; TXFE (b23, TX FIFO empty) always reads 1. BRR/PRESC are storage: the
baud rate has no effect on timing (so TXE and TC interrupts are due at once while enabled).
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import RegisterPeripheral, merge
from hil.platform.model import PeripheralSpec

CR1, CR2, CR3, BRR, GTPR, RTOR, RQR, ISR, ICR, RDR, TDR, PRESC, AUTOCR = (
    0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x2C, 0x30,
)  # fmt: skip
UE, RE, TE, FIFOEN = 1, 1 << 2, 1 << 3, 1 << 29
RXNEIE, TCIE, TXEIE = 1 << 5, 1 << 6, 1 << 7
RXNE, TC, TXE, TEACK, REACK, TXFE = 1 << 5, 1 << 6, 1 << 7, 1 << 21, 1 << 22, 1 << 23
RXFRQ = 1 << 3

_STORAGE = (CR1, CR2, CR3, BRR, GTPR, RTOR, PRESC, AUTOCR)


@register
class Stm32Usart(RegisterPeripheral):
    model = "stm32_usart"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._regs: dict[int, int] = {}
        self._rdr = 0
        self.power_on()
        soc.on_uart_rx(spec.name, self._update_irq)

    def power_on(self) -> None:
        self._regs = dict.fromkeys(_STORAGE, 0)
        self._rdr = 0

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    def _rx_enabled(self) -> bool:
        cr1 = self._regs[CR1]
        return bool(cr1 & UE and cr1 & RE)

    def _update_irq(self) -> None:
        cr1 = self._regs[CR1]
        if not cr1 & (RXNEIE | TCIE | TXEIE):
            self.drive_irq("usart", False)
            return
        rx = self._rx_enabled() and self.soc.uart_rx_pending(self.spec.name) > 0
        self.drive_irq("usart", bool(cr1 & (TCIE | TXEIE)) or (bool(cr1 & RXNEIE) and rx))

    def read_reg(self, offset: int) -> int:
        if offset == ISR:
            cr1 = self._regs[CR1]
            isr = TXE | TC | TXFE
            if cr1 & TE:
                isr |= TEACK
            if cr1 & RE:
                isr |= REACK
            if self._rx_enabled() and self.soc.uart_rx_pending(self.spec.name) > 0:
                isr |= RXNE
            return isr
        if offset == RDR:
            if self._rx_enabled():
                b = self.soc.uart_rx_pop(self.spec.name)
                if b is not None:
                    self._rdr = b & 0xFF
                    if self._regs[CR1] & RXNEIE:
                        self._update_irq()
            return self._rdr
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset in self._regs:
            self._regs[offset] = merge(self._regs[offset], value, mask)
        elif offset == TDR:
            cr1 = self._regs[CR1]
            if cr1 & UE and cr1 & TE and mask & 0xFF:
                self.soc.uart_tx(self.spec.name, bytes([value & 0xFF]))
        elif offset == RQR and value & mask & RXFRQ:
            name = self.spec.name
            while self.soc.uart_rx_pending(name) > 0:
                self.soc.uart_rx_pop(name)
                if not self._regs[CR1] & FIFOEN:
                    break
        # ISR is read-only; ICR clears flags this model never raises; RDR is read-only.
        if offset in (CR1, RQR):
            self._update_irq()
