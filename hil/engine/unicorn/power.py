"""Power, supply and reset sequencing; the engine acts as the boot ROM at reset entry.

Order of events:

- power-on: SRAM and backup SRAM get their seeded fill, every model's ``power_on()`` resets its
  registers, then the reset-cause model's ``reset(POWER_ON)`` records the cause, then reset entry.
- warm reset (software, watchdog, pin): every model's ``reset(cause)``, then reset entry.
- brownout: the supply falls below ``supply.reset_mv``; after ``supply.holdup_us`` the chip is
  held in reset (flash operations in flight are torn); when the supply comes back, SRAM is
  refilled (backup SRAM kept), every model's ``reset(BROWNOUT)``, then reset entry.
- power-off: every model's ``tear_in_flight()``; nothing runs until the next power-on.

Scheduled model callbacks are dropped at every reset and power change: they belong to register
state that no longer exists.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum

from unicorn.arm_const import (
    UC_ARM_REG_BASEPRI,
    UC_ARM_REG_CONTROL,
    UC_ARM_REG_FAULTMASK,
    UC_ARM_REG_FPSCR,
    UC_ARM_REG_LR,
    UC_ARM_REG_MSP,
    UC_ARM_REG_PC,
    UC_ARM_REG_PRIMASK,
    UC_ARM_REG_PSP,
    UC_ARM_REG_R0,
    UC_ARM_REG_SP,
    UC_ARM_REG_XPSR_NZCVQG,
)

from hil.engine.base import ResetCause
from hil.engine.unicorn.core import THUMB_BIT, Core
from hil.engine.unicorn.exceptions import ExceptionUnit
from hil.engine.unicorn.memory import Memory
from hil.engine.unicorn.peripheral import Peripheral
from hil.engine.unicorn.ppb import SystemControlSpace
from hil.engine.unicorn.scheduler import Scheduler
from hil.engine.unicorn.timebase import TimeBase
from hil.platform.model import Platform


class PowerState(StrEnum):
    OFF = "off"
    ON = "on"
    RESET_HOLD = "reset-hold"  # brownout: supply below the reset threshold


class PowerController:
    def __init__(
        self,
        platform: Platform,
        seed: int,
        core: Core,
        timebase: TimeBase,
        memory: Memory,
        models: list[Peripheral],
        scs: SystemControlSpace,
        exceptions: ExceptionUnit,
        scheduler: Scheduler,
        read_word: Callable[[int], int | None],
    ) -> None:
        self._platform = platform
        self._seed = seed
        self._core = core
        self._timebase = timebase
        self._memory = memory
        self._models = models
        self._scs = scs
        self._exceptions = exceptions
        self._scheduler = scheduler
        self._read_word = read_word
        self.state = PowerState.OFF
        self.power_on_index = -1  # index of the last SRAM fill (power-on or brownout)
        self.supply_mv = platform.supply.nominal_mv
        self.brownout_at: int | None = None
        self.resets: list[ResetCause] = []  # every reset since engine creation, in order
        self.reset_hooks: list[Callable[[ResetCause], None]] = []
        # the engine's own state to clear at reset entry (sleep, mask watch)
        self.core_reset_hooks: list[Callable[[], None]] = []

    def _role_model(self, role: str) -> Peripheral | None:
        name = getattr(self._platform.roles, role)
        for m in self._models:
            if m.spec.name == name:
                return m
        return None

    # -- power --------------------------------------------------------------------------------
    def power_on(self) -> None:
        self.supply_mv = self._platform.supply.nominal_mv
        self.brownout_at = None
        self.power_on_index += 1
        self._memory.power_on_fill(self._seed, self.power_on_index)
        self._scheduler.clear()
        for m in self._models:
            m.power_on()
        cause_model = self._role_model("reset_cause")
        if cause_model is not None:
            cause_model.reset(ResetCause.POWER_ON)
        self.state = PowerState.ON
        self._started(ResetCause.POWER_ON)

    def power_off(self) -> None:
        if self.state is PowerState.OFF:
            return
        for m in self._models:
            m.tear_in_flight()
        self._scheduler.clear()
        self.brownout_at = None
        self.state = PowerState.OFF
        self._exceptions.reset()

    def warm_reset(self, cause: ResetCause) -> None:
        self._scheduler.clear()
        for m in self._models:
            m.reset(cause)
        self._started(cause)

    def _started(self, cause: ResetCause) -> None:
        self.resets.append(cause)
        self.boot()
        for hook in self.reset_hooks:
            hook(cause)

    # -- supply -------------------------------------------------------------------------------
    def us_to_instructions(self, microseconds: float) -> int:
        """A duration in ticks (periods of the reset clock: see ``timebase.py``)."""
        return math.ceil(microseconds * self._platform.core.clock_hz / 1_000_000)

    def set_supply_mv(self, millivolts: int) -> None:
        self.supply_mv = millivolts
        below = millivolts < self._platform.supply.reset_mv
        if self.state is PowerState.ON and below and self.brownout_at is None:
            holdup = self.us_to_instructions(self._platform.supply.holdup_us)
            self.brownout_at = self._timebase.ticks() + holdup
        elif not below:
            self.brownout_at = None
            if self.state is PowerState.RESET_HOLD:
                self.brownout_release()

    def brownout_assert(self) -> None:
        """The hold-up time ran out: the chip enters (and stays in) reset."""
        self.brownout_at = None
        for m in self._models:
            m.tear_in_flight()
        self._scheduler.clear()
        self._exceptions.reset()
        self.state = PowerState.RESET_HOLD
        if self.supply_mv >= self._platform.supply.reset_mv:
            self.brownout_release()

    def brownout_release(self) -> None:
        self.power_on_index += 1
        self._memory.brownout_fill(self._seed, self.power_on_index)
        self.state = PowerState.ON
        self.warm_reset(ResetCause.BROWNOUT)

    # -- reset entry (boot ROM) ---------------------------------------------------------------
    def reset_hooks_core(self) -> None:
        for hook in self.core_reset_hooks:
            hook()

    def boot(self) -> None:
        uc = self._core.uc
        self._scs.reset()  # NVIC and SysTick too
        self._exceptions.reset()
        self._timebase.set_hz(self._platform.core.clock_hz)  # the chip restarts on its reset clock
        self.reset_hooks_core()
        # the special registers are written from Handler mode (privileged whatever CONTROL.nPRIV
        # says), then the core goes to Thread mode on MSP
        uc.reg_write(UC_ARM_REG_XPSR_NZCVQG, THUMB_BIT | 3)
        uc.reg_write(UC_ARM_REG_CONTROL, 0)
        for reg in (UC_ARM_REG_PRIMASK, UC_ARM_REG_BASEPRI, UC_ARM_REG_FAULTMASK):
            uc.reg_write(reg, 0)
        uc.reg_write(UC_ARM_REG_XPSR_NZCVQG, THUMB_BIT)
        for reg in range(13):
            uc.reg_write(UC_ARM_REG_R0 + reg, 0)
        uc.reg_write(UC_ARM_REG_PSP, 0)
        uc.reg_write(UC_ARM_REG_LR, 0xFFFFFFFF)
        uc.reg_write(UC_ARM_REG_FPSCR, 0)
        vtor = self._platform.core.boot_address
        msp = self._read_word(vtor)
        pc = self._read_word(vtor + 4)
        if msp is None or pc is None:
            self._exceptions.lockup(f"reset vector table at 0x{vtor:08x} unreadable")
            return
        uc.reg_write(UC_ARM_REG_MSP, msp & ~3)
        uc.reg_write(UC_ARM_REG_SP, msp & ~3)
        uc.reg_write(UC_ARM_REG_PC, pc & ~1)
