"""STM32 independent watchdog (IWDG of the STM32U585, NS 0x4000_3000).

Follows targets.md §1.7: KR 0x00, PR 0x04, RLR 0x08, SR 0x0C, WINR 0x10, EWCR 0x14; keys 0xCCCC
start, 0xAAAA reload, 0x5555 enable write access to PR/RLR/WINR (any other key disables it);
PR[3:0] divider 4*2^PR (/4 .. /1024), RLR[11:0], WINR[11:0]; model reset values RLR = WINR =
0xFFF (Renode); LSI clock ``params.clock_hz`` (32 kHz); OPTR.IWDG_SW = 1 (software start).

Timing is virtual: after a start or reload the watchdog expires ``4*2**PR * (RLR+1) /
clock_hz`` seconds later (``soc.us_to_instructions``), which calls
``soc.request_reset(ResetCause.WATCHDOG)``. One expiry check is pending at a time: a reload
moves the deadline, and the pending check re-arms itself for it. The counter value (for the
window check) is interpolated linearly.

Modelling choices:
- PR/RLR/WINR updates take effect at once (SR.PVU/RVU/WVU always read 0) and are used from the
  next start/reload. Writing WINR while running reloads the counter (as the HAL relies on), without
  the window check.
- Window: a reload while the counter is above WINR is a watchdog reset (with the reset value
  WINR = 0xFFF this never happens).
- The watchdog stops on every reset and at power-on (IWDG_SW = 1: firmware starts it).
- Early wakeup (EWCR EWIT[11:0], EWIC b14, EWIE b15; SR.EWIF b14; STC:23642, STC:23652-23658):
  EWIF is set when the down-counter reaches EWIT after a start or reload (not when EWIT is not
  below the reloaded value); writing EWIC = 1 clears it (also without the 0x5555 key, as the
  HAL's IRQ handler does). The output ``iwdg`` (IWDG_IRQn) is asserted while EWIF and EWIE.
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

KR, PR, RLR, SR, WINR, EWCR = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14
KEY_START, KEY_RELOAD, KEY_ACCESS = 0xCCCC, 0xAAAA, 0x5555
EWIT_MASK, EWIC, EWIE, EWIF = 0xFFF, 1 << 14, 1 << 15, 1 << 14


@register
class Stm32Iwdg(RegisterPeripheral):
    model = "stm32_iwdg"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self.clock_hz = param_int(spec, "clock_hz", 32000)
        self.running = False
        self._access = False
        self._pr = 0
        self._rlr = 0xFFF
        self._winr = 0xFFF
        self._ewcr = 0
        self._reload_at = 0
        self._deadline = 0
        self._loaded = 0xFFF
        self._gen = 0
        self._expiry = DeadlineCheck(soc, self._expiry_due, self._expire)
        self._ewif = False
        self._ew_done = False
        self._early = DeadlineCheck(soc, self._early_due, self._early_wakeup)
        self.power_on()

    def power_on(self) -> None:
        self.running = False
        self._access = False
        self._pr, self._rlr, self._winr, self._ewcr = 0, 0xFFF, 0xFFF, 0
        self._loaded = 0xFFF
        self._gen += 1
        self._expiry.cancel()  # the engine clears its scheduler at every reset
        self._early.cancel()
        self._ewif = False

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    # ------------------------------------------------------------------ timing

    def timeout_us(self) -> float:
        """Time from a reload to expiry with the current PR/RLR."""
        return (4 << min(self._pr, 8)) * (self._rlr + 1) * 1_000_000 / self.clock_hz

    def counter(self) -> int:
        """The down-counter value now (RLR just after a reload, 0 at expiry)."""
        if not self.running:
            return self._loaded
        total = max(1, self._deadline - self._reload_at)
        elapsed = self.soc.instructions - self._reload_at
        return max(0, self._loaded - elapsed * (self._loaded + 1) // total)

    def _reload(self) -> None:
        self._gen += 1
        self._loaded = self._rlr
        self._reload_at = self.soc.instructions
        self._deadline = self._reload_at + max(1, self.soc.us_to_instructions(self.timeout_us()))
        self._expiry.arm()
        self._ew_done = False
        if self._ewcr & EWIE:  # without EWIE nothing needs the exact instant (SR is lazy)
            self._early.arm()

    def _early_due(self) -> int | None:
        ewit = self._ewcr & EWIT_MASK
        if not self.running or ewit >= self._loaded or self._ew_done:
            return None
        total = self._deadline - self._reload_at
        return self._reload_at + -(-(self._loaded - ewit) * total // (self._loaded + 1))

    def _early_wakeup(self) -> None:
        self._ewif = True
        self._ew_done = True  # once per start/reload
        self._update_irq()

    def _sample_early(self) -> None:
        due = self._early_due()
        if due is not None and self.soc.instructions >= due:
            self._early_wakeup()

    def _update_irq(self) -> None:
        self.drive_irq("iwdg", self._ewif and bool(self._ewcr & EWIE))

    def _expiry_due(self) -> int | None:
        return self._deadline if self.running else None

    def _expire(self) -> None:
        self._gen += 1
        self.soc.request_reset(ResetCause.WATCHDOG)

    def _refresh(self) -> None:
        if self.counter() > self._winr:
            self._gen += 1
            self.soc.request_reset(ResetCause.WATCHDOG)
            return
        self._reload()

    # ------------------------------------------------------------------ registers

    def read_reg(self, offset: int) -> int:
        if offset == PR:
            return self._pr
        if offset == RLR:
            return self._rlr
        if offset == WINR:
            return self._winr
        if offset == EWCR:
            return self._ewcr
        if offset == SR:
            self._sample_early()
            return EWIF if self._ewif else 0  # PVU/RVU/WVU/EWU: updates are immediate
        return 0  # KR is write-only

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == KR:
            key = value & mask & 0xFFFF
            self._access = key == KEY_ACCESS
            if key == KEY_START and not self.running:
                self.running = True
                self._reload()
            elif key == KEY_RELOAD and self.running:
                self._refresh()
            return
        if offset == EWCR and value & mask & EWIC:
            self._sample_early()
            self._ewif = False
            self._update_irq()
        if not self._access:
            return
        if offset == PR:
            self._pr = merge(self._pr, value, mask) & 0xF
        elif offset == RLR:
            self._rlr = merge(self._rlr, value, mask) & 0xFFF
        elif offset == WINR:
            self._winr = merge(self._winr, value, mask) & 0xFFF
            if self.running:
                self._reload()  # a WINR write reloads the counter (no window check)
        elif offset == EWCR:
            self._sample_early()
            self._ewcr = merge(self._ewcr, value, mask) & (EWIE | EWIT_MASK)
            self._update_irq()
            if self.running and self._ewcr & EWIE:
                self._early.arm()
