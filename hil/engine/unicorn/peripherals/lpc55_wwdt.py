"""LPC55S69 windowed watchdog (WWDT, NS 0x4000_C000).

Follows targets.md §2.7: MOD 0x00 (WDEN b0 set-only, WDRESET b1 set-only, WDTOF b2 cleared by
writing 0, WDINT b3 write-1-to-clear, WDPROTECT b4 set-only), TC 0x04 (24-bit; a value below
0xFF loads 0xFF), FEED 0x08 (0xAA then 0x55 reloads TV from TC), TV 0x0C (read-only), WARNINT
0x14 (10-bit), WINDOW 0x18 (24-bit, reset 0xFF_FFFF); fixed /4 prescaler: TV counts down at
``params.clock_hz`` / 4 (contracts §6: 1 MHz).

Timing is virtual: after a valid feed with WDEN set the counter runs; it reaches 0 after
(TC+1)*4 / clock_hz seconds, which sets WDTOF and, with WDRESET, calls
``soc.request_reset(ResetCause.WATCHDOG)``. WDEN takes effect at the first feed. TV is
interpolated from virtual time. Crossing WARNINT sets WDINT. One timeout check and one
warning check are pending at a time: a feed moves the deadlines and the pending checks re-arm
themselves for them.

Modelling choices:
- Uncertain 22 (clock): ``params.clock_hz`` is the WWDT clock after SYSCON WDTCLKDIV; the
  divider register is not read.
- Feed errors: once WDEN is set and the counter runs, a feed while TV > WINDOW, or any write
  other than 0x55 to FEED / any write to another WWDT register right after 0xAA, is a watchdog
  event (WDTOF, reset if WDRESET), like a timeout.
- After a timeout without WDRESET the counter stops at 0 until the next feed.
- WDPROTECT: TC writes are ignored unless TV <= WARNINT and TV <= WINDOW.
- WDTOF survives every reset except power-on and a pin reset (so firmware can tell a watchdog
  reset); the other registers return to their reset values and the counter stops.
- The warning interrupt: output ``wdt`` (WDT_BOD_IRQn, shared with the BOD and the flash
  controller, LPC:84) is asserted while MOD.WDINT is set (cleared by writing WDINT = 1).
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import (
    DeadlineCheck,
    RegisterPeripheral,
    merge,
    param_int,
)
from hil.platform.model import PeripheralSpec

MOD, TC, FEED, TV, WARNINT, WINDOW = 0x00, 0x04, 0x08, 0x0C, 0x14, 0x18
WDEN, WDRESET, WDTOF, WDINT, WDPROTECT = 1, 1 << 1, 1 << 2, 1 << 3, 1 << 4
MASK24 = 0xFF_FFFF


@register
class Lpc55Wwdt(RegisterPeripheral):
    model = "lpc55_wwdt"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self.clock_hz = param_int(spec, "clock_hz", 1_000_000)
        self._mod = 0
        self._tc = 0xFF
        self._warnint = 0
        self._window = MASK24
        self.running = False
        self._loaded = 0xFF
        self._load_at = 0
        self._deadline = 0
        self._feed_stage = False
        self._gen = 0
        self._timeout = DeadlineCheck(soc, self._timeout_due, self._event)
        self._warning = DeadlineCheck(soc, self._warn_due, self._warn)
        self.power_on()

    def power_on(self) -> None:
        self._registers_to_reset(keep_wdtof=False)

    def reset(self, cause: ResetCause) -> None:
        self._registers_to_reset(keep_wdtof=cause is not ResetCause.PIN)

    def _registers_to_reset(self, keep_wdtof: bool) -> None:
        self._mod &= WDTOF if keep_wdtof else 0
        self._tc = 0xFF
        self._warnint = 0
        self._window = MASK24
        self.running = False
        self._loaded = 0xFF
        self._feed_stage = False
        self._gen += 1
        self._timeout.cancel()  # the engine clears its scheduler at every reset
        self._warning.cancel()

    # ------------------------------------------------------------------ timing

    def _instr_for_ticks(self, ticks: int) -> int:
        return max(1, self.soc.us_to_instructions(ticks * 4 * 1_000_000 / self.clock_hz))

    def tv(self) -> int:
        if not self.running:
            return self._loaded
        total = max(1, self._deadline - self._load_at)
        elapsed = self.soc.instructions - self._load_at
        return max(0, self._loaded - elapsed * (self._loaded + 1) // total)

    def _reload(self) -> None:
        self._gen += 1
        self._loaded = self._tc
        self._load_at = self.soc.instructions
        self._deadline = self._load_at + self._instr_for_ticks(self._loaded + 1)
        self.running = bool(self._mod & WDEN)
        if not self.running:
            return

        self._warning.arm()
        self._timeout.arm()

    def _timeout_due(self) -> int | None:
        return self._deadline if self.running else None

    def _warn_due(self) -> int | None:
        if not self.running or self._warnint >= self._loaded:
            return None
        return self._load_at + self._instr_for_ticks(self._loaded - self._warnint)

    def _warn(self) -> None:
        self._mod |= WDINT
        self.drive_irq("wdt", True)

    def _event(self) -> None:
        """Timeout or feed error."""
        self._gen += 1
        self.running = False
        self._loaded = 0
        self._mod |= WDTOF
        if self._mod & WDRESET:
            self.soc.request_reset(ResetCause.WATCHDOG)

    # ------------------------------------------------------------------ registers

    def read_reg(self, offset: int) -> int:
        if offset == MOD:
            return self._mod
        if offset == TC:
            return self._tc
        if offset == TV:
            return self.tv()
        if offset == WARNINT:
            return self._warnint
        if offset == WINDOW:
            return self._window
        return 0

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if self._feed_stage and not (offset == FEED and value & mask & 0xFF == 0x55):
            self._feed_stage = False
            if self.running:
                self._event()
                return
        if offset == FEED:
            v = value & mask & 0xFF
            if v == 0xAA:
                self._feed_stage = True
            elif v == 0x55 and self._feed_stage:
                self._feed_stage = False
                if self.running and self.tv() > self._window:
                    self._event()
                else:
                    self._reload()
        elif offset == MOD:
            new = merge(self._mod, value, mask)
            mod = self._mod | (new & (WDEN | WDRESET | WDPROTECT))
            if mask & WDTOF and not new & WDTOF:
                mod &= ~WDTOF
            if value & mask & WDINT:
                mod &= ~WDINT
            self._mod = mod
            self.drive_irq("wdt", bool(mod & WDINT))
        elif offset == TC:
            if self._mod & WDPROTECT and not (
                self.tv() <= self._warnint and self.tv() <= self._window
            ):
                return
            self._tc = max(0xFF, merge(self._tc, value, mask) & MASK24)
        elif offset == WARNINT:
            self._warnint = merge(self._warnint, value, mask) & 0x3FF
        elif offset == WINDOW:
            self._window = merge(self._window, value, mask) & MASK24
