"""STM32U585 RCC (NS 0x4602_0C00, window 0x400): reset-cause flags in RCC_CSR and the clock tree
the core runs on.

Reset causes follow targets.md §1.5 (RCC_CSR at 0xF4; RMVF b23, OBLRSTF b25, PINRSTF b26,
BORRSTF b27, SFTRSTF b28, IWDGRSTF b29, WWDGRSTF b30, LPWRRSTF b31; flags set by hardware on
their reset event and cleared only by writing RMVF=1, so they persist across other resets) and
contracts §6 (``csr_offset``, ``flag_bits``, ``cause_flags``).

Clock tree (register layout STC:1013-1078, CR bits STC:15619-15694, ICSCR1 STC:15732-15749,
CFGR1 SW/SWS STC:15837-15843, CFGR2 HPRE STC:15871, PLL1CFGR STC:15926-15959, PLL1DIVR
STC:16026-16058; frequencies and arithmetic as CMSIS SystemCoreClockUpdate, STSYS:167-170,
STSYS:271-346):
- Oscillator enables in CR (MSISON b0, MSIKON b4, HSION b8, HSI48ON b12, SHSION b14, HSEON b16,
  PLL1ON b24, PLL2ON b26, PLL3ON b28): the ready bit one above each (PLLn: the next bit) rises
  ``params.ready_us[<osc>]`` of virtual time after the enable, and falls at once when the enable
  is cleared. A PLL locks only once its source (PLL1CFGR.PLL1SRC: 1 MSIS, 2 HSI16, 3 HSE) is
  ready. The oscillator SYSCLK runs on (and the PLL's source while the PLL is SYSCLK) ignores
  being disabled.
- CFGR1.SW selects SYSCLK (0 MSIS, 1 HSI16, 2 HSE, 3 PLL1 R); SWS follows as soon as the
  selected source is ready (at once when it already is). HCLK (the core clock) = SYSCLK >>
  AHBPrescTable[CFGR2.HPRE]. MSIS runs at ``params.msi_ranges_hz`` [ICSCR1.MSISRANGE] when
  ICSCR1.MSIRGSEL = 1, else [CSR.MSISSRANGE]; PLL1 R = f_src / (PLL1M+1) * (PLL1N+1 +
  PLL1FRACN/8192 when PLL1FRACEN) / (PLL1R+1). Every change of HCLK is reported with
  ``soc.set_core_clock_hz`` (virtual time then follows it).
- Reset values (STHAL Src/stm32u5xx_hal_rcc.c:355-420, HAL_RCC_DeInit, and :71): CR = MSISON,
  MSISRDY, MSIKON, MSIKRDY (0x35); ICSCR1 ranges 4 (4 MHz); CFGR1 = CFGR2 = 0; PLL1DIVR =
  0x01010280. Every other register of the window is plain storage, cleared by every reset.

Clock limits (checked at every change of HCLK, of FLASH_ACR.LATENCY and of the PWR voltage
range or booster; the flash and PWR models are ``params.flash`` / ``params.pwr``): HCLK must
not exceed the ceiling of the active voltage range, FLASH_ACR.LATENCY must be at least the wait
states HCLK needs in that range (``params.latency_max_hz_range<N>``: the HCLK ceiling for 0, 1,
2... wait states, STHAL Src/stm32u5xx_hal_rcc.c:325-341, whose last entry is the range's
maximum), and above ``params.boost_above_hz`` (55 MHz, RM0456 EPOD booster) in range 1 or 2 the
EPOD booster must be ready (PWR BOOSTRDY). A violation is recorded in ``violations`` (virtual
time, PC, what was wrong) and the core takes a HardFault at once (assumed: RM0456 requires
these settings but states no failure mode; too few wait states or too low a voltage make flash
reads and logic unreliable, which ends in a fault; the model makes that deterministic). A
setting that stays wrong is recorded once, until it is right again.

Modelling choices:
- Uncertain 9 (RCC_CSR reset value, co-occurring flags): the flags a reset sets are
  ``params.cause_flags[cause]``. ``power_on()`` clears every flag first, then sets the power-on
  flags; other resets OR their flags into the kept ones. A ``lockup`` cause has no flag of its
  own. MSIKSRANGE/MSISSRANGE (bits 15:8) reset to 4/4 (0x4400) and are storage.
- RMVF reads 0; writing RMVF=1 clears every *RSTF flag.
- Ready delays are assumed (no datasheet in the sources; each is far below the HAL's timeouts,
  STHAL Src/stm32u5xx_hal_rcc.c:188-195). The switch itself takes no modelled time. Clock
  security, MSI PLL-mode, the ready interrupts (CIER) and PLL2/PLL3 frequencies are not
  modelled (their ready bits are).
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Peripheral, Soc, register
from hil.engine.unicorn.peripherals._common import (
    ClockLimits,
    RegisterPeripheral,
    merge,
    param_int,
    param_int_list,
    param_int_map,
    param_name_lists,
)
from hil.errors import UnknownNameError
from hil.platform.model import PeripheralSpec

DEFAULT_FLAG_BITS = {
    "RMVF": 23, "OBLRSTF": 25, "PINRSTF": 26, "BORRSTF": 27, "SFTRSTF": 28,
    "IWDGRSTF": 29, "WWDGRSTF": 30, "LPWRRSTF": 31,
}  # fmt: skip
DEFAULT_CAUSE_FLAGS = {
    "power-on": ["BORRSTF", "PINRSTF"],
    "brownout": ["BORRSTF", "PINRSTF"],
    "software": ["SFTRSTF", "PINRSTF"],
    "watchdog": ["IWDGRSTF", "PINRSTF"],
    "pin": ["PINRSTF"],
    "option-bytes": ["OBLRSTF", "PINRSTF"],
}
CSR_STORAGE_MASK = 0x0000_FF00  # MSIKSRANGE[11:8], MSISSRANGE[15:12]
CSR_STORAGE_RESET = 0x0000_4400

CR, ICSCR1, CFGR1, CFGR2, PLL1CFGR, PLL1DIVR, PLL1FRACR = 0x00, 0x08, 0x1C, 0x20, 0x28, 0x34, 0x38
CR_RESET = 0x35
ICSCR1_RESET = 0x4400_0000
PLL1DIVR_RESET = 0x0101_0280
MSIRGSEL = 1 << 23
# oscillator: (enable bit, ready bit)
OSCS = {
    "msis": (0, 2), "msik": (4, 5), "hsi16": (8, 10), "hsi48": (12, 13), "shsi": (14, 15),
    "hse": (16, 17), "pll1": (24, 25), "pll2": (26, 27), "pll3": (28, 29),
}  # fmt: skip
READY_MASK = sum(1 << r for _, r in OSCS.values())
CR_WRITABLE = 0x1F1F_7FFF & ~READY_MASK
SW_SOURCES = ("msis", "hsi16", "hse", "pll1")
PLL_SOURCES = {1: "msis", 2: "hsi16", 3: "hse"}
AHB_SHIFT = (0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 6, 7, 8, 9)  # STSYS:167
DEFAULT_MSI = [
    48_000_000, 24_000_000, 16_000_000, 12_000_000, 4_000_000, 2_000_000, 1_330_000,
    1_000_000, 3_072_000, 1_536_000, 1_024_000, 768_000, 400_000, 200_000, 133_000, 100_000,
]  # fmt: skip
# HCLK ceiling (Hz) per wait-state count, by voltage range (STHAL hal_rcc.c:325-341)
DEFAULT_LATENCY_MAX_HZ = {
    1: [32_000_000, 64_000_000, 96_000_000, 128_000_000, 160_000_000],
    2: [25_000_000, 50_000_000, 75_000_000, 100_000_000],
    3: [12_500_000, 25_000_000, 37_500_000, 50_000_000],
    4: [8_000_000, 16_000_000, 24_000_000],
}
DEFAULT_READY_US = {
    "msis": 5, "msik": 5, "hsi16": 4, "hsi48": 4, "shsi": 4, "hse": 2000,
    "pll1": 40, "pll2": 40, "pll3": 40,
}  # fmt: skip


@register
class Stm32u5Rcc(RegisterPeripheral, ClockLimits):
    model = "stm32u5_rcc"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._csr_offset = param_int(spec, "csr_offset", 0xF4)
        self._flag_bits = param_int_map(spec, "flag_bits", DEFAULT_FLAG_BITS)
        self._cause_flags = param_name_lists(spec, "cause_flags", DEFAULT_CAUSE_FLAGS)
        self._msi = param_int_list(spec, "msi_ranges_hz", DEFAULT_MSI)
        self._hsi16_hz = param_int(spec, "hsi16_hz", 16_000_000)
        self._hse_hz = param_int(spec, "hse_hz", 16_000_000)
        self._ready_us = param_int_map(spec, "ready_us", DEFAULT_READY_US)
        self._latency_max_hz = {
            r: param_int_list(spec, f"latency_max_hz_range{r}", hz)
            for r, hz in DEFAULT_LATENCY_MAX_HZ.items()
        }
        self._boost_above_hz = param_int(spec, "boost_above_hz", 55_000_000)
        self._flash_name = str(spec.params.get("flash", "flash_ctrl"))
        self._pwr_name = str(spec.params.get("pwr", "pwr"))
        ClockLimits.__init__(self)
        self._rmvf = 1 << self._flag_bits.get("RMVF", 23)
        self._flag_mask = 0
        for name, bit in self._flag_bits.items():
            if name != "RMVF":
                self._flag_mask |= 1 << bit
        self._regs: dict[int, int] = {}
        self._flags = 0
        self._csr_storage = CSR_STORAGE_RESET
        self._gen = 0
        self.power_on()

    @property
    def flags(self) -> int:
        """The *RSTF bits currently set (for the harness)."""
        return self._flags

    def _clear_registers(self) -> None:
        self.forget_violation()
        self._regs = {CR: CR_RESET, ICSCR1: ICSCR1_RESET, PLL1DIVR: PLL1DIVR_RESET}
        self._csr_storage = CSR_STORAGE_RESET
        self._gen += 1  # ready timers of the old state are void (the engine drops them too)

    def power_on(self) -> None:
        self._clear_registers()
        self._flags = 0
        self.record_cause(ResetCause.POWER_ON)

    def reset(self, cause: ResetCause) -> None:
        self._clear_registers()
        self.record_cause(cause)

    def record_cause(self, cause: ResetCause) -> None:
        """OR the flags of ``cause`` into RCC_CSR (kept until RMVF)."""
        for name in self._cause_flags.get(cause.value, []):
            bit = self._flag_bits.get(name)
            if bit is not None:
                self._flags |= 1 << bit

    # ------------------------------------------------------------------ clock tree

    def _ready(self, osc: str) -> bool:
        return bool(self._regs[CR] >> OSCS[osc][1] & 1)

    def _pll_source(self) -> str | None:
        return PLL_SOURCES.get(self._regs.get(PLL1CFGR, 0) & 3)

    def _msis_hz(self) -> int:
        if self._regs[ICSCR1] & MSIRGSEL:
            index = self._regs[ICSCR1] >> 28
        else:
            index = self._csr_storage >> 12 & 0xF
        return self._msi[index] if index < len(self._msi) else self._msi[-1]

    def _source_hz(self, osc: str | None) -> float:
        if osc == "msis":
            return self._msis_hz()
        if osc == "hsi16":
            return self._hsi16_hz
        if osc == "hse":
            return self._hse_hz
        if osc == "pll1":
            cfg, div = self._regs.get(PLL1CFGR, 0), self._regs[PLL1DIVR]
            m = (cfg >> 8 & 0xF) + 1
            n = (div & 0x1FF) + 1.0
            if cfg >> 4 & 1:  # PLL1FRACEN
                n += (self._regs.get(PLL1FRACR, 0) >> 3 & 0x1FFF) / 8192
            r = (div >> 24 & 0x7F) + 1
            return self._source_hz(self._pll_source()) / m * n / r
        return 0.0

    def sysclk_source(self) -> str:
        return SW_SOURCES[self._regs.get(CFGR1, 0) >> 2 & 3]

    def hclk_hz(self) -> int:
        sysclk = self._source_hz(self.sysclk_source())
        return max(1, int(sysclk) >> AHB_SHIFT[self._regs.get(CFGR2, 0) & 0xF])

    def _apply_clock(self) -> None:
        self.soc.set_core_clock_hz(self.hclk_hz())
        self.check_clock()

    # ------------------------------------------------------------------ clock limits

    def _model(self, name: str) -> Peripheral | None:
        try:
            return self.soc.peripheral(name)
        except UnknownNameError:
            return None

    def clock_problem(self) -> str | None:
        """What is wrong with HCLK against the voltage range, wait states and booster now."""
        flash, pwr = self._model(self._flash_name), self._model(self._pwr_name)
        latency = getattr(flash, "latency", None)
        vrange = getattr(pwr, "voltage_range", None)
        boost = getattr(pwr, "boost_ready", None)
        if latency is None or vrange is None or boost is None:
            return None
        hz, rng = self.hclk_hz(), int(vrange())
        ceilings = self._latency_max_hz.get(rng, [])
        if not ceilings or hz > ceilings[-1]:
            top = ceilings[-1] if ceilings else 0
            return f"HCLK {hz} Hz above {top} Hz, the maximum of voltage range {rng}"
        need = next(i for i, top in enumerate(ceilings) if hz <= top)
        if int(latency()) < need:
            return (
                f"FLASH_ACR.LATENCY {int(latency())} below the {need} wait states HCLK {hz} Hz"
                f" needs in voltage range {rng}"
            )
        if hz > self._boost_above_hz and rng <= 2 and not boost():
            return f"HCLK {hz} Hz above {self._boost_above_hz} Hz without the EPOD booster ready"
        return None

    def _in_use(self) -> set[str]:
        used = {self.sysclk_source()}
        if "pll1" in used and self._pll_source() is not None:
            used.add(str(self._pll_source()))
        return used

    def _arm(self, osc: str) -> None:
        gen = self._gen
        us = self._ready_us.get(osc, 1)

        def ready() -> None:
            if gen != self._gen or not self._regs[CR] >> OSCS[osc][0] & 1:
                return
            if osc == "pll1" and not (self._pll_source() and self._ready(str(self._pll_source()))):
                return  # no input clock: locks when its source becomes ready
            self._regs[CR] |= 1 << OSCS[osc][1]
            self._settle()

        self.soc.schedule(self.soc.instructions + self.soc.us_to_instructions(us), ready)

    def _settle(self) -> None:
        """After a ready bit rose: lock a waiting PLL, complete a pending clock switch."""
        cr = self._regs[CR]
        source = self._pll_source()
        if cr >> OSCS["pll1"][0] & 1 and not self._ready("pll1") and source and self._ready(source):
            self._arm("pll1")
        cfgr1 = self._regs.get(CFGR1, 0)
        want = SW_SOURCES[cfgr1 & 3]
        if want != self.sysclk_source() and self._ready(want):
            self._regs[CFGR1] = (cfgr1 & ~0xC) | (cfgr1 & 3) << 2
            self._apply_clock()

    def _write_cr(self, value: int, mask: int) -> None:
        old = self._regs[CR]
        enables = merge(old, value, mask) & CR_WRITABLE
        for osc in self._in_use():  # the running clock cannot be stopped
            enables |= old & (1 << OSCS[osc][0])
        ready = old & READY_MASK
        for osc, (en, rdy) in OSCS.items():
            if not enables >> en & 1:
                ready &= ~(1 << rdy)
            elif not old >> en & 1:
                self._arm(osc)
        self._regs[CR] = enables | ready

    # ------------------------------------------------------------------ registers

    def read_reg(self, offset: int) -> int:
        if offset == self._csr_offset:
            return self._flags | self._csr_storage
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == self._csr_offset:
            self._csr_storage = merge(self._csr_storage, value, mask) & CSR_STORAGE_MASK
            if value & mask & self._rmvf:
                self._flags &= ~self._flag_mask
            self._apply_clock()
            return
        if offset == CR:
            self._write_cr(value, mask)
            return
        if offset == CFGR1:
            self._regs[CFGR1] = merge(self._regs.get(CFGR1, 0), value, mask) & ~0xC | (
                self._regs.get(CFGR1, 0) & 0xC
            )
            self._settle()
            return
        self._regs[offset] = merge(self._regs.get(offset, 0), value, mask)
        if offset in (ICSCR1, CFGR2, PLL1CFGR, PLL1DIVR, PLL1FRACR):
            self._apply_clock()
