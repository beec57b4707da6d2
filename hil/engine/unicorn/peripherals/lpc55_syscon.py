"""LPC55S69 SYSCON (NS 0x4000_0000): clock/reset control, SWR_RESET and the core clock tree.

Follows targets.md §2.5 (SWR_RESET at 0x160: writing 0x5A00_0001 resets the chip) and §2.7
(WDTCLKDIV at 0x38C, DIV[5:0]). Every register is storage (AHBCLKCTRL, PRESETCTRL, clock
selects and dividers...), cleared by every reset, except SWR_RESET which is write-only (reads
0) and the PLL status registers.

Behaviour: a word store of 0x5A00_0001 to SWR_RESET tells the reset-cause model
(``platform.roles.reset_cause``, the PMC) ``note_software_source("swr")`` and then calls
``soc.request_reset(ResetCause.SOFTWARE)``; the PMC records SWRRESET instead of SYSTEMRESET.
Any other value is ignored.

Core clock (the SDK's CLOCK_GetCoreSysClkFreq and PLL arithmetic, MCUX
devices/LPC55S69/drivers/fsl_clock.c:673-800, :1100-1182, :1431-1525; registers LPC:21480-21704,
bits LPC:23751, LPC:24518-24777, LPC:24917): main_clk_a = MAINCLKSELA (0x280) 0 FRO 12 MHz
(ANACTRL FRO192M_CTRL.ENA_12MHZCLK), 1 CLKIN (``params.clkin_hz`` when ANACTRL
XO32M_CTRL.ENABLE_SYSTEM_CLK_OUT), 2 FRO 1 MHz (CLOCK_CTRL 0xA18 b6), 3 FRO_HF 96 MHz
(FRO192M_CTRL.ENA_96MHZCLK); main_clk = MAINCLKSELB (0x284) 0 main_clk_a, 1 PLL0, 2 PLL1,
3 32 kHz; the core clock = main_clk / (AHBCLKDIV.DIV + 1) (0x380). PLL0 out = f_in
(PLL0CLKSEL 0x290: 0 FRO 12 MHz, 1 CLKIN, 2 FRO 1 MHz, 3 32 kHz) / N (PLL0NDEC, unless
BYPASSPREDIV) * M (PLL0SSCG1.MDIV_EXT with SEL_EXT, else the SSCG0/MD_MBS fixed point) / P
(2 * PLL0PDEC.PDIV, or PDIV with BYPASSPOSTDIV2; 1 with BYPASSPOSTDIV) while CLKEN and
powered (PMC PDRUNCFG0 PDEN_PLL0/PDEN_PLL0_SSCG clear), f_in with BYPASSPLL. PLL1 the same with
PLL1NDEC/PLL1MDEC.MDIV/PLL1PDEC (assumed: the SDK here has no PLL1 rate function).
PLLnSTAT.LOCK (b0) rises 500 us + 400/F_ref after the PLL is powered or reconfigured (the
SDK's stated lock time, fsl_clock.c:1646-1648) and falls at once on power-down or a change of
PLLnCTRL/NDEC/PDEC/MDEC/SSCG/CLKSEL. Every change of the core clock goes to
``soc.set_core_clock_hz``; a selection that yields 0 Hz keeps the previous clock (assumed: a
dead clock source hangs a real chip; the engine keeps running instead).

Clock limits (checked at every change of the core clock, of FMCCR and of the PMC's DCDC0):
FMCCR.FLASHTIM (0x400, bits 15:12, LPC:24146) must be at least the wait states the core clock
needs (``params.flashtim_max_hz``: the clock ceiling for FLASHTIM 0, 1, 2..., MCUX
fsl_clock.c:300-363 CLOCK_SetFLASHAccessCyclesForFreq; its last entry, 150 MHz, is the chip's
maximum), and the PMC's DCDC0.VOUT (the core-logic supply) at least the level the SDK sets
for that clock (``params.vout_max_hz`` / ``params.vout_min``: up to 100 MHz 1.0 V (VOUT 2),
130 MHz 1.1 V (6), 150 MHz 1.15 V (8), the nominal-process voltages of POWER_SetVoltageForFreq,
fsl_power.c:245-270, :1461-1485; assumed: the nominal (NNN) corner, which the SDK takes when
the protected flash holds no PVT trim, as on the emulated chip). FMCCR resets to
``params.fmccr_reset`` (assumed: FLASHTIM 1, what the SDK's table gives the 12 MHz reset
clock; UM11126's reset value is not in the sources). A violation is recorded in
``violations`` and the core takes a HardFault at once (assumed: UM11126 requires the settings
and states no failure mode; the model makes the misbehaviour deterministic), once until the
setting is right again.

Modelling choices: divider HALT/REQFLAG handshakes are not modelled (storage only; REQFLAG
reads 0: the change is immediate), and the WWDT does not read WDTCLKDIV (uncertain 22: see
lpc55_wwdt).
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import (
    ClockLimits,
    RegisterPeripheral,
    merge,
    param_int,
    param_int_list,
)
from hil.errors import UnknownNameError
from hil.platform.model import PeripheralSpec

SWR_RESET = 0x160
SWR_KEY = 0x5A00_0001
WDTCLKDIV = 0x38C
MAINCLKSELA, MAINCLKSELB, PLL0CLKSEL, PLL1CLKSEL = 0x280, 0x284, 0x290, 0x294
AHBCLKDIV, FMCCR, CLOCK_CTRL = 0x380, 0x400, 0xA18
FMCCR_RESET = 0x0000_1000  # FLASHTIM = 1
DEFAULT_FLASHTIM_MAX_HZ = [
    11_000_000, 22_000_000, 33_000_000, 44_000_000, 55_000_000, 66_000_000, 77_000_000,
    88_000_000, 100_000_000, 115_000_000, 130_000_000, 150_000_000,
]  # fmt: skip
DEFAULT_VOUT_MAX_HZ = [100_000_000, 130_000_000, 150_000_000]
DEFAULT_VOUT_MIN = [2, 6, 8]
PMC_DCDC0 = 0x10
PLL1CTRL, PLL1STAT, PLL1NDEC, PLL1MDEC, PLL1PDEC = 0x560, 0x564, 0x568, 0x56C, 0x570
PLL0CTRL, PLL0STAT, PLL0NDEC, PLL0PDEC, PLL0SSCG0, PLL0SSCG1 = (
    0x580, 0x584, 0x588, 0x58C, 0x590, 0x594,
)  # fmt: skip
BYPASSPLL, BYPASSPOSTDIV2, BYPASSPREDIV, BYPASSPOSTDIV, CLKEN = (
    1 << 15, 1 << 16, 1 << 19, 1 << 20, 1 << 21,
)  # fmt: skip
FRO1MHZ_CLK_ENA = 1 << 6
# ANACTRL and PMC registers the clock tree reads
FRO192M_CTRL, XO32M_CTRL = 0x10, 0x20
ENA_12MHZCLK, ENA_96MHZCLK, ENABLE_SYSTEM_CLK_OUT = 1 << 14, 1 << 30, 1 << 24
PDRUNCFG0 = 0xB8
PDEN_PLL0, PDEN_PLL1, PDEN_PLL0_SSCG = 1 << 9, 1 << 10, 1 << 23
OSC32K_HZ = 32_768
_PLL_REGS = {
    0: (PLL0CTRL, PLL0NDEC, PLL0PDEC, PLL0SSCG0, PLL0SSCG1, PLL0CLKSEL),
    1: (PLL1CTRL, PLL1NDEC, PLL1PDEC, PLL1MDEC, PLL1MDEC, PLL1CLKSEL),
}


@register
class Lpc55Syscon(RegisterPeripheral, ClockLimits):
    model = "lpc55_syscon"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._clkin_hz = param_int(spec, "clkin_hz", 16_000_000)
        self._anactrl = str(spec.params.get("anactrl", "anactrl"))
        self._pmc = str(spec.params.get("pmc", "pmc"))
        self._fmccr_reset = param_int(spec, "fmccr_reset", FMCCR_RESET)
        self._flashtim_max = param_int_list(spec, "flashtim_max_hz", DEFAULT_FLASHTIM_MAX_HZ)
        self._vout_max_hz = param_int_list(spec, "vout_max_hz", DEFAULT_VOUT_MAX_HZ)
        self._vout_min = param_int_list(spec, "vout_min", DEFAULT_VOUT_MIN)
        ClockLimits.__init__(self)
        self._regs: dict[int, int] = {FMCCR: self._fmccr_reset}
        self._locked = [False, False]
        self._gen = [0, 0]

    def power_on(self) -> None:
        self._regs = {FMCCR: self._fmccr_reset}
        self.forget_violation()
        self._locked = [False, False]
        self._gen = [self._gen[0] + 1, self._gen[1] + 1]

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    # ------------------------------------------------------------------ clock tree

    def _other(self, name: str, offset: int, default: int = 0) -> int:
        try:
            return self.soc.peripheral(name).read(offset, 4)
        except UnknownNameError:
            return default

    def _powered(self, pll: int) -> bool:
        pd = self._other(self._pmc, PDRUNCFG0, PDEN_PLL0 | PDEN_PLL1 | PDEN_PLL0_SSCG)
        bits = PDEN_PLL0 | PDEN_PLL0_SSCG if pll == 0 else PDEN_PLL1
        return not pd & bits

    def _fro12_hz(self) -> int:
        return 12_000_000 if self._other(self._anactrl, FRO192M_CTRL) & ENA_12MHZCLK else 0

    def _clkin_on(self) -> int:
        xo = self._other(self._anactrl, XO32M_CTRL)
        return self._clkin_hz if xo & ENABLE_SYSTEM_CLK_OUT else 0

    def _pll_in_hz(self, pll: int) -> int:
        sel = self._regs.get(_PLL_REGS[pll][5], 0) & 7
        return {0: 12_000_000, 1: self._clkin_on(), 2: self._fro1m_hz(), 3: OSC32K_HZ}.get(sel, 0)

    def _fro1m_hz(self) -> int:
        return 1_000_000 if self._regs.get(CLOCK_CTRL, 0) & FRO1MHZ_CLK_ENA else 0

    def _pll_hz(self, pll: int) -> float:
        ctrl_r, ndec_r, pdec_r, sscg0_r, mdec_r, _ = _PLL_REGS[pll]
        ctrl = self._regs.get(ctrl_r, 0)
        f_in = float(self._pll_in_hz(pll))
        if ctrl & BYPASSPLL:
            return f_in
        if not ctrl & CLKEN or not self._powered(pll) or not self._locked[pll]:
            return 0.0
        n = 1 if ctrl & BYPASSPREDIV else max(1, self._regs.get(ndec_r, 0) & 0xFF)
        pdiv = self._regs.get(pdec_r, 0) & 0x1F
        p = 1 if ctrl & BYPASSPOSTDIV else (pdiv if ctrl & BYPASSPOSTDIV2 else 2 * pdiv) or 2
        if pll == 1:
            m = float(self._regs.get(mdec_r, 0) & 0xFFFF)
        else:
            sscg1 = self._regs.get(mdec_r, 0)
            if sscg1 & (1 << 28):  # SEL_EXT: MDIV_EXT
                m = float(sscg1 >> 10 & 0xFFFF)
            else:  # MD_MBS:SSCG0 fixed point, 25 fractional bits (fsl_clock.c:51, :1157-1180)
                md = (sscg1 & 1) << 32 | self._regs.get(sscg0_r, 0)
                m = md / (1 << 25)
        return f_in / n * (m or 1.0) / p

    def main_clk_hz(self) -> float:
        selb = self._regs.get(MAINCLKSELB, 0) & 3
        if selb == 1:
            return self._pll_hz(0)
        if selb == 2:
            return self._pll_hz(1)
        if selb == 3:
            return OSC32K_HZ
        sela = self._regs.get(MAINCLKSELA, 0) & 7
        if sela == 0:
            return self._fro12_hz()
        if sela == 1:
            return self._clkin_on()
        if sela == 2:
            return self._fro1m_hz()
        if sela == 3:
            fro = self._other(self._anactrl, FRO192M_CTRL)
            return 96_000_000 if fro & ENA_96MHZCLK else 0
        return 0.0

    def clock_changed(self) -> None:
        """Re-evaluate the core clock (also called by ANACTRL and PMC on their changes)."""
        for pll in (0, 1):
            if self._locked[pll] and not self._powered(pll):
                self._locked[pll] = False
            elif not self._locked[pll] and self._powered(pll):
                self._arm_lock(pll)
        hz = int(self.main_clk_hz()) // ((self._regs.get(AHBCLKDIV, 0) & 0xFF) + 1)
        if hz > 0:
            self.soc.set_core_clock_hz(hz)
        self.check_clock()

    # ------------------------------------------------------------------ clock limits

    def clock_problem(self) -> str | None:
        """What is wrong with the core clock against FLASHTIM and the core voltage now."""
        hz = self.soc.core_clock_hz
        top = self._flashtim_max[-1]
        if hz > top:
            return f"core clock {hz} Hz above {top} Hz, the chip's maximum"
        need = next(i for i, ceiling in enumerate(self._flashtim_max) if hz <= ceiling)
        flashtim = self._regs.get(FMCCR, 0) >> 12 & 0xF
        if flashtim < need:
            return f"FMCCR.FLASHTIM {flashtim} below the {need} the core clock {hz} Hz needs"
        vout = self._other(self._pmc, PMC_DCDC0, 0xF << 17) >> 17 & 0xF
        for ceiling, least in zip(self._vout_max_hz, self._vout_min, strict=False):
            if hz <= ceiling:
                if vout < least:
                    return f"PMC DCDC0.VOUT {vout} below {least} for the core clock {hz} Hz"
                break
        return None

    def _arm_lock(self, pll: int) -> None:
        ctrl_r, ndec_r = _PLL_REGS[pll][0], _PLL_REGS[pll][1]
        ctrl = self._regs.get(ctrl_r, 0)
        n = 1 if ctrl & BYPASSPREDIV else max(1, self._regs.get(ndec_r, 0) & 0xFF)
        f_ref = self._pll_in_hz(pll) / n
        if f_ref <= 0:
            return
        self._gen[pll] += 1
        gen = self._gen[pll]

        def lock() -> None:
            if gen == self._gen[pll] and self._powered(pll):
                self._locked[pll] = True
                self.clock_changed()

        t = self.soc.us_to_instructions(500 + 400_000_000 / f_ref)
        self.soc.schedule(self.soc.instructions + t, lock)

    # ------------------------------------------------------------------ registers

    def read_reg(self, offset: int) -> int:
        if offset == SWR_RESET:
            return 0
        if offset in (PLL0STAT, PLL1STAT):
            return int(self._locked[0 if offset == PLL0STAT else 1])
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
        if offset in (PLL0STAT, PLL1STAT):
            return
        self._regs[offset] = merge(self._regs.get(offset, 0), value, mask)
        touched = False
        for pll, regs in _PLL_REGS.items():
            if offset in regs:
                self._locked[pll] = False  # reconfigured: locks again
                self._gen[pll] += 1
                touched = True
        if touched or offset in (MAINCLKSELA, MAINCLKSELB, AHBCLKDIV, CLOCK_CTRL):
            self.clock_changed()
        elif offset == FMCCR:
            self.check_clock()
