"""LPC55S69 SYSCON (NS 0x4000_0000): clock/reset control storage and SWR_RESET.

Follows targets.md §2.5 (SWR_RESET at 0x160: writing 0x5A00_0001 resets the chip) and §2.7
(WDTCLKDIV at 0x38C, DIV[5:0]). Every register is storage (AHBCLKCTRL, PRESETCTRL, clock
selects and dividers...), cleared by every reset, except SWR_RESET which is write-only (reads
0).

Behaviour: a word store of 0x5A00_0001 to SWR_RESET tells the reset-cause model
(``platform.roles.reset_cause``, the PMC) ``note_software_source("swr")`` and then calls
``soc.request_reset(ResetCause.SOFTWARE)``; the PMC records SWRRESET instead of SYSTEMRESET.
Any other value is ignored.

Modelling choices: divider HALT/REQFLAG handshakes are not modelled (storage only), and the
WWDT does not read WDTCLKDIV (uncertain 22: see lpc55_wwdt).
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import RegisterPeripheral, merge
from hil.platform.model import PeripheralSpec

SWR_RESET = 0x160
SWR_KEY = 0x5A00_0001
WDTCLKDIV = 0x38C


@register
class Lpc55Syscon(RegisterPeripheral):
    model = "lpc55_syscon"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._regs: dict[int, int] = {}

    def power_on(self) -> None:
        self._regs = {}

    def reset(self, cause: ResetCause) -> None:
        self._regs = {}

    def read_reg(self, offset: int) -> int:
        if offset == SWR_RESET:
            return 0
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == SWR_RESET:
            if mask == 0xFFFF_FFFF and value == SWR_KEY:
                pmc = self.soc.peripheral(self.soc.platform.roles.reset_cause)
                note = getattr(pmc, "note_software_source", None)
                if note is not None:
                    note("swr")
                self.soc.request_reset(ResetCause.SOFTWARE)
            return
        self._regs[offset] = merge(self._regs.get(offset, 0), value, mask)
