"""LPC55S69 PMC (NS 0x4002_0000): reset cause (AOREG1), BODVBAT level, RESETCTRL.

Follows targets.md §2.5 (AOREG1 at ``params.aoreg1_offset`` = 0x84: POR b4, PADRESET b5,
BODRESET b6, SYSTEMRESET b7, WDTRESET b8, SWRRESET b9, DPDRESET_* b10-12, BOOTERRORCOUNTER
[19:16]; bits written by the boot ROM; RESETCTRL at 0x08) and §2.6 (BODVBAT at 0x30: TRIGLVL
[4:0], HYST[6:5]; PDRUNCFG0 at 0xB8) and contracts §6 (``flag_bits``, ``cause_flags``,
``bod_levels_mv``). STATUS (0x04; BOOTMODE[19:18] = 0, so the SDK takes the POR branch) and
every other register are storage.

AOREG1 is written the way the boot ROM does at each reset: ``power_on()`` clears it and sets
``cause_flags['power-on']`` (POR); ``reset(cause)`` clears the cause bits 4..12 and sets the
bits of ``cause_flags[cause]``, keeping BOOTERRORCOUNTER and the other bits. A software reset
requested through SYSCON SWR_RESET (``note_software_source("swr")`` before the reset) records
SWRRESET instead of SYSTEMRESET. A ``lockup`` cause records no bit.

Modelling choices:
- Uncertain 20 (ROM algorithm for AOREG1): as above: the cause bits are replaced, not
  accumulated (no stale DPD bits).
- Uncertain 21 (BOD reset enables): RESETCTRL is storage; whether a brownout resets the chip is
  decided by the engine from the supply, this model only records what ``reset`` says.
- BODVBAT resets to 0 (assumed: TRIGLVL 0, HYST 0); ``bod_threshold_mv()`` maps TRIGLVL
  through ``params.bod_levels_mv`` (an index past the table's end uses its last entry).
- The other PMC registers are cleared by every reset, except AOREG1.
- Power control (PDRUNCFG0 0xB8, PDRUNCFGSET0 0xC0 / PDRUNCFGCLR0 0xC8 setting / clearing its
  bits, LPC:14653-14657, PDEN_XTAL32M b8, PDEN_PLL0 b9, PDEN_PLL1 b10, PDEN_PLL0_SSCG b23
  LPC:15562-15642): PDRUNCFG0 resets to ``params.pdruncfg0_reset`` (assumed: UM11126's
  0x00DEFFC4, PLLs and the crystal oscillator powered down; not in the sources here). A change
  tells the clock model (``params.clocks``, the SYSCON) to re-evaluate (PLL lock, core clock).
- DCDC0 (0x10; VOUT[20:17] LPC:14760, the core-logic supply, MCUX fsl_power.c:1100-1182)
  resets to ``params.dcdc0_reset`` (assumed: the SDK's PMC_DCDC0_DEFAULT 0x010C4E68,
  fsl_power.c:1199, VOUT = 1.1 V; UM11126's reset value is not in the sources). A write tells
  the clock model, which checks VOUT against the core clock (lpc55_syscon).
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import (
    RegisterPeripheral,
    merge,
    param_int,
    param_int_list,
    param_int_map,
    param_name_lists,
)
from hil.errors import UnknownNameError
from hil.platform.model import PeripheralSpec

STATUS, RESETCTRL, DCDC0, BODVBAT, PDRUNCFG0 = 0x04, 0x08, 0x10, 0x30, 0xB8
DCDC0_RESET = 0x010C_4E68  # VOUT[20:17] = 6: 1.1 V
PDRUNCFGSET0, PDRUNCFGCLR0 = 0xC0, 0xC8
PDRUNCFG0_RESET = 0x00DE_FFC4
TRIGLVL_MASK = 0x1F
CAUSE_BITS = 0x1FF0  # bits 4..12

DEFAULT_FLAG_BITS = {
    "POR": 4, "PADRESET": 5, "BODRESET": 6, "SYSTEMRESET": 7, "WDTRESET": 8, "SWRRESET": 9,
}  # fmt: skip
DEFAULT_CAUSE_FLAGS = {
    "power-on": ["POR"],
    "brownout": ["BODRESET"],
    "software": ["SYSTEMRESET"],
    "watchdog": ["WDTRESET"],
    "pin": ["PADRESET"],
}
# TRIGLVL -> mV, MCUX fsl_power.h power_bod_vbat_level_t (0..25); used when params give none
DEFAULT_BOD_LEVELS = [
    1000, 1100, 1200, 1300, 1400, 1500, 1600, 1650, 1700, 1750, 1800, 1900, 2000, 2100,
    2200, 2300, 2400, 2500, 2600, 2700, 2806, 2900, 3000, 3100, 3200, 3300,
]  # fmt: skip


@register
class Lpc55Pmc(RegisterPeripheral):
    model = "lpc55_pmc"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._aoreg1_offset = param_int(spec, "aoreg1_offset", 0x84)
        self._flag_bits = param_int_map(spec, "flag_bits", DEFAULT_FLAG_BITS)
        self._cause_flags = param_name_lists(spec, "cause_flags", DEFAULT_CAUSE_FLAGS)
        self._bod_levels = param_int_list(spec, "bod_levels_mv", DEFAULT_BOD_LEVELS)
        self._pd_reset = param_int(spec, "pdruncfg0_reset", PDRUNCFG0_RESET)
        self._dcdc0_reset = param_int(spec, "dcdc0_reset", DCDC0_RESET)
        self._clocks = str(spec.params.get("clocks", "syscon"))
        self._regs: dict[int, int] = {}
        self._aoreg1 = 0
        self._software_source: str | None = None
        self.power_on()

    def power_on(self) -> None:
        self._regs = {PDRUNCFG0: self._pd_reset, DCDC0: self._dcdc0_reset}
        self._aoreg1 = 0
        self._software_source = None
        self._record(ResetCause.POWER_ON)

    def reset(self, cause: ResetCause) -> None:
        self._regs = {PDRUNCFG0: self._pd_reset, DCDC0: self._dcdc0_reset}
        self._aoreg1 &= ~CAUSE_BITS
        self._record(cause)
        self._software_source = None

    def _record(self, cause: ResetCause) -> None:
        names = list(self._cause_flags.get(cause.value, []))
        if cause is ResetCause.SOFTWARE and self._software_source == "swr":
            names = ["SWRRESET"]
        for name in names:
            bit = self._flag_bits.get(name)
            if bit is not None:
                self._aoreg1 |= 1 << bit

    def note_software_source(self, source: str) -> None:
        """The next SOFTWARE reset comes from ``source`` ("swr": SYSCON SWR_RESET)."""
        self._software_source = source

    def bod_threshold_mv(self) -> int:
        """The BODVBAT trigger level selected by BODVBAT.TRIGLVL, in mV."""
        level = self._regs.get(BODVBAT, 0) & TRIGLVL_MASK
        return self._bod_levels[min(level, len(self._bod_levels) - 1)]

    @property
    def aoreg1(self) -> int:
        return self._aoreg1

    def read_reg(self, offset: int) -> int:
        if offset == self._aoreg1_offset:
            return self._aoreg1
        if offset in (PDRUNCFGSET0, PDRUNCFGCLR0):
            return 0  # write-only
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == self._aoreg1_offset:
            self._aoreg1 = merge(self._aoreg1, value, mask)
        elif offset in (PDRUNCFG0, PDRUNCFGSET0, PDRUNCFGCLR0):
            old = self._regs.get(PDRUNCFG0, 0)
            v = value & mask
            new = (
                merge(old, value, mask)
                if offset == PDRUNCFG0
                else old | v
                if offset == PDRUNCFGSET0
                else old & ~v
            )
            self._regs[PDRUNCFG0] = new
            if new != old:
                self._tell_clocks()
        else:
            self._regs[offset] = merge(self._regs.get(offset, 0), value, mask)
            if offset == DCDC0:
                self._tell_clocks()

    def _tell_clocks(self) -> None:
        try:
            model = self.soc.peripheral(self._clocks)
        except UnknownNameError:
            return
        changed = getattr(model, "clock_changed", None)
        if changed is not None:
            changed()
