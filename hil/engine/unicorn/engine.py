"""The Unicorn engine: QEMU's TCG Cortex-M33 core with the SoC modelled in Python.

Virtual time is instructions. The CPU runs in ``count``-bounded slices; between slices the engine
enters exceptions, performs resets and power changes, runs scheduled model callbacks, pumps ptys
and evaluates the caller's condition. No per-instruction Python hook exists on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from unicorn import (
    UC_HOOK_INTR,
    UC_HOOK_MEM_FETCH_PROT,
    UC_HOOK_MEM_FETCH_UNMAPPED,
    UC_HOOK_MEM_READ_PROT,
    UC_HOOK_MEM_READ_UNMAPPED,
    UC_HOOK_MEM_WRITE_PROT,
    UC_HOOK_MEM_WRITE_UNMAPPED,
)

from hil.engine.base import (
    CpuBench,
    Engine,
    FlashOp,
    FlashOpAction,
    FlashOpHook,
    FlashOpKind,
    MmioAccess,
    ResetCause,
    ResetHook,
    RunResult,
    StopReason,
    SymbolHook,
    Timer,
)
from hil.engine.unicorn.bus import DebugBus
from hil.engine.unicorn.core import PAGE, WFE, WFI, Core
from hil.engine.unicorn.cpu_hooks import CpuHooks
from hil.engine.unicorn.elf_load import load_elf_image
from hil.engine.unicorn.exceptions import ExceptionUnit
from hil.engine.unicorn.flash_array import UcFlashArray
from hil.engine.unicorn.harness_timers import HarnessTimers
from hil.engine.unicorn.maskwatch import MaskWatch
from hil.engine.unicorn.memory import Memory
from hil.engine.unicorn.mmio import PeripheralBus, raw_mmio_map
from hil.engine.unicorn.nvic import SYSTICK, Nvic
from hil.engine.unicorn.peripheral import Peripheral, TearRun, peripheral_class
from hil.engine.unicorn.peripherals._common import ClockLimits
from hil.engine.unicorn.power import PowerController, PowerState
from hil.engine.unicorn.ppb import (
    PPB_BASE,
    PPB_SIZE,
    SCR_SEVONPEND,
    SCR_SLEEPONEXIT,
    SystemControlSpace,
)
from hil.engine.unicorn.registers import REGISTERS, register_id
from hil.engine.unicorn.scheduler import Scheduler
from hil.engine.unicorn.serial import UcSerialPort
from hil.engine.unicorn.soc import SocServices
from hil.engine.unicorn.spin import SpinSkip
from hil.engine.unicorn.storm import FaultStorm
from hil.engine.unicorn.systick import TICKINT, SysTick
from hil.engine.unicorn.timebase import TimeBase
from hil.engine.unicorn.unmodelled import UnmodelledBlocks
from hil.errors import EngineError, UnknownNameError
from hil.platform.model import Platform, RegionKind, SecurityState

SYSTICK_BIT = 1 << SYSTICK
DEFAULT_SLICE = 200_000
# the harness sees serial output this long (virtual time) after the byte left the UART: the
# caller's condition is evaluated then, like a host reacting to a line, not mid-instruction
UNTIL_LATENCY_US = 1000


class UnicornEngine(Engine):
    name = "unicorn"
    fork_safe = True  # Unicorn, the models and the flash cells all live in this process
    _harness_timers: HarnessTimers | None = None  # Engine.after, made on first use

    def __init__(
        self,
        platform: Platform,
        seed: int,
        slice_instructions: int = DEFAULT_SLICE,
        until_latency_us: int = UNTIL_LATENCY_US,
    ):
        super().__init__(platform, seed)
        self.slice_instructions = slice_instructions
        self.core = Core()
        uc = self.core.uc
        flash_region = platform.region(platform.flash.region)
        self.flash = UcFlashArray(platform.flash, flash_region, uc, platform.name)
        self.memory = Memory([r for r in platform.memory if r.kind is not RegionKind.FLASH], uc)
        self.scheduler = Scheduler()
        self.pins: dict[str, int] = {}
        self.until_active = False
        self.flash_ops: list[tuple[FlashOp, int]] = []  # every announced op and the supply (mV)
        self._ports: dict[str, UcSerialPort] = {}
        self.soc = SocServices(self, self.flash)
        self.models: list[Peripheral] = [
            peripheral_class(spec.model)(spec, self.soc) for spec in platform.peripherals
        ]
        core_spec = platform.core
        self.timebase = TimeBase(core_spec.clock_hz, lambda: self.core.instructions)
        self.nvic = Nvic(core_spec.nvic.irq_lines, core_spec.nvic.priority_bits)
        self.systick = SysTick(
            lambda: self.core.instructions,
            core_spec.systick.external_divider,
            core_spec.systick.calib,
            lambda: self.nvic.set_pending(SYSTICK),
            self.core.stop_after,
        )
        self.scs = SystemControlSpace(
            core_spec.boot_address,
            lambda: self.core.instructions,
            lambda: self.request_reset(ResetCause.SOFTWARE),
            self.nvic,
            self.systick,
            self.interrupts_changed,
        )
        self.bus = DebugBus(self.flash, self.memory, PeripheralBus(self.models), self.scs)
        self.exceptions = ExceptionUnit(
            self.core,
            self.scs,
            self.nvic,
            self.bus.read_vector,
            self.bus.stack_ok,
            core_spec.security is SecurityState.SECURE,
        )
        self.storm = FaultStorm.of(self)
        self.power: PowerController = PowerController(
            platform,
            seed,
            self.core,
            self.timebase,
            self.memory,
            self.models,
            self.scs,
            self.exceptions,
            self.scheduler,
            self.bus.read_vector,
        )
        self.until_latency_us = until_latency_us
        self.sleeping: str | None = None  # WFI / WFE: the core waits for an event
        self.idle_cycles = 0  # cycles skipped asleep (part of ``instructions``)
        self.spins = SpinSkip(self)  # loops that only spend time, skipped to the next event
        self.mask_watch = MaskWatch(self)
        self.power.core_reset_hooks.append(self._core_reset)
        self.hooks = CpuHooks(self)
        self.unmodelled = UnmodelledBlocks(platform, self.core)
        self.power.reset_hooks.append(lambda _cause: self.unmodelled.reset())
        self.bus.peripherals.map(uc, self.core, self.hooks.bus_fault)
        raw_mmio_map(uc, PPB_BASE, PPB_SIZE, self.core, self.scs.read, self.scs.write)
        g = self.core.guard
        uc.hook_add(
            UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_FETCH_PROT,
            g(self.hooks.on_prot, False),
        )
        uc.hook_add(
            UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED,
            g(self.hooks.on_unmapped, False),
        )
        uc.hook_add(UC_HOOK_INTR, g(self.hooks.on_intr))
        self._flash_hooks: list[FlashOpHook] = []
        self._op_index = 0
        self.symbols: dict[str, int] = {}
        self._symbol_hooks: dict[int, list[tuple[str, SymbolHook]]] = {}
        self._pending_reset: ResetCause | None = None
        self._cut_detail = ""

    # -- process life --------------------------------------------------------------------------
    def before_forks(self) -> None:
        self.memory.prefetch = True  # the children's power-on patterns, made once here

    def after_fork(self) -> None:
        self.memory.prefetch = False

    # -- services used by the hooks and the Soc -----------------------------------------------
    def _core_reset(self) -> None:
        self.soc.reset_irqs()  # models re-drive their lines from their reset state
        self.sleeping = None
        self.hooks.sleep = None
        self.mask_watch.release()

    def port(self, peripheral_name: str) -> UcSerialPort:
        port = self._ports.get(peripheral_name)
        if port is None:
            port = self._ports[peripheral_name] = UcSerialPort(peripheral_name)
        return port

    def request_reset(self, cause: ResetCause) -> None:
        if self.power.state is PowerState.ON and self._pending_reset is None:
            self._pending_reset = cause
            self.core.stop_after_current()

    def announce_flash_op(self, kind: FlashOpKind, address: int, size: int) -> bool:
        op = FlashOp(self._op_index, kind, address, size, self.ticks)
        self._op_index += 1
        self.flash_ops.append((op, self.power.supply_mv))
        for hook in self._flash_hooks:
            if hook(op) is FlashOpAction.CUT:
                self._cut_detail = (
                    f"power cut during flash op {op.index} ({kind.value} 0x{address:08x})"
                )
                self._power_off()
                self.core.stop_after_current()
                return False
        return True

    # -- Engine: loading ----------------------------------------------------------------------
    def load_elf(self, path: str) -> None:
        self.symbols.update(load_elf_image(path, self.platform, self.flash, self.memory))

    def define_symbol(self, name: str, address: int) -> None:
        """Name an address (for images loaded without an ELF)."""
        self.symbols[name] = address & ~1

    def program_flash(self, address: int, data: bytes) -> None:
        ns = self.flash.to_ns(address)
        if ns is None:
            raise EngineError(
                f"program_flash: expected an address inside flash 0x{self.flash.geometry.base:08x}"
                f"+0x{self.flash.geometry.size:x}, found 0x{address:08x}"
            )
        self.flash.write_raw(ns, data)

    def flash_lose_unit(self, address: int, size: int) -> None:
        ns = self.flash.to_ns(address)
        if ns is None or self.flash.to_ns(address + max(size, 1) - 1) is None:
            raise EngineError(
                f"flash_lose_unit: expected a range inside flash 0x{self.flash.geometry.base:08x}"
                f"+0x{self.flash.geometry.size:x}, found 0x{address:08x}+0x{size:x}"
            )
        self.flash.mark_torn(ns, size)

    def flash_busy(self) -> bool:
        return any(m.flash_busy() for m in self.models)

    # -- Engine: power ------------------------------------------------------------------------
    def write_protect(self, address: int, size: int) -> None:
        self.flash.set_write_protected(address, size)

    def power_on(self) -> None:
        if self.power.state is not PowerState.OFF:
            raise EngineError("power_on: expected the target powered off, found it powered on")
        self._pending_reset = None
        self.power.power_on()

    def power_off(self) -> None:
        self._pending_reset = None
        self._power_off()

    def _power_off(self) -> None:
        self.flash.held = True  # nothing runs until power-on: the tear's protections wait
        self.power.power_off()

    def reset(self, cause: ResetCause) -> None:
        if self.power.state is PowerState.OFF:
            raise EngineError(f"reset({cause.value}): expected a powered target, found it off")
        self._pending_reset = None
        if cause is ResetCause.POWER_ON:
            self._power_off()
            self.power.power_on()
        elif cause is ResetCause.BROWNOUT:
            self.power.brownout_assert()
        else:
            self.power.warm_reset(cause)

    def set_supply_mv(self, millivolts: int) -> None:
        self.power.set_supply_mv(millivolts)
        if self.power.state is PowerState.ON:
            for model in self.models:
                model.supply_changed()
        if self.power.brownout_at is not None:
            self.core.stop_after(self.power.brownout_at)

    # -- Engine: running ----------------------------------------------------------------------
    @property
    def instructions(self) -> int:
        """Core cycles since engine creation: instructions executed plus the cycles that passed
        while the core slept, was locked up or was held in reset."""
        return self.core.instructions

    @property
    def ticks(self) -> int:
        """Virtual time in periods of the reset clock (equals ``instructions`` until the
        firmware changes its core clock); the unit of the scheduler and of run budgets."""
        return self.timebase.ticks()

    @property
    def time_ns(self) -> int:
        return self.timebase.ns()

    def _result(self, reason: StopReason, detail: str = "") -> RunResult:
        return RunResult(reason, self.instructions, self.time_ns, detail)

    def interrupts_changed(self) -> None:
        """Pending, enable, priority or mask state changed while the CPU may be running: end
        the slice after the current instruction so that the boundary takes what is ready."""
        nvic = self.nvic
        if self.core.running and nvic.effective_pending & nvic.enabled:
            self.core.stop_after_current()
        wrap = self.systick.next_event
        if wrap is not None:  # SysTick may no longer be pending: its next wrap counts again
            self.core.stop_after(wrap)

    def _settle(self) -> RunResult | None:
        """Apply everything the last slice (or the harness) left pending."""
        while True:
            if self.power.state is PowerState.OFF:
                return self._result(StopReason.POWERED_OFF, self._cut_detail or "powered off")
            if self._pending_reset is not None:
                cause, self._pending_reset = self._pending_reset, None
                self.power.warm_reset(cause)
                continue
            on = self.power.state is PowerState.ON
            if self.hooks.exception_return:
                self.hooks.exception_return = False
                if self.exceptions.exception_return() and self.scs.scr & SCR_SLEEPONEXIT:
                    self.sleeping = WFI
            if self.exceptions.pending is not None and on:
                self.sleeping = None
                self.exceptions.take_pending()
                self.storm.entered()
            now = self.ticks
            if self.power.brownout_at is not None and self.power.brownout_at <= now:
                self.power.brownout_assert()
                continue
            callback = self.scheduler.pop_due(now)
            if callback is not None:
                callback()
                continue
            if on and not self.exceptions.locked:
                self.systick.due(self.core.instructions)
                if self.exceptions.take_interrupt():
                    self.sleeping = None
            return None

    def _went_to_sleep(self) -> None:
        """The slice ended on a completed WFI / WFE: sleep unless an event is already there."""
        kind, self.hooks.sleep = self.hooks.sleep, None
        if kind == WFE:
            sev = self.scs.scr & SCR_SEVONPEND and self.nvic.sevonpend_event
            if self.exceptions.event or sev or self.core.sev_before_wfe(self.core.pc):
                # WFE consumes the event register and continues
                self.exceptions.event = self.nvic.sevonpend_event = False
                return
        self.nvic.sevonpend_event = False
        self.sleeping = kind

    def _awake(self) -> bool:
        """Whether the sleeping core has a wake-up event now."""
        nvic = self.nvic
        if self.sleeping == WFE and self.scs.scr & SCR_SEVONPEND and nvic.sevonpend_event:
            return True
        _, basepri, faultmask = self.exceptions.masks()
        return nvic.wakes_wfi(basepri, faultmask) if nvic.effective_pending else False

    def _deadline(self, end: int) -> int:
        """Cycle count of the next thing due: the budget's end, a scheduled callback, the
        brownout reset, a SysTick wrap."""
        tb = self.timebase
        deadline = tb.cycles_at(end)
        for ticks in (self.scheduler.next_deadline, self.power.brownout_at):
            if ticks is not None:
                deadline = min(deadline, tb.cycles_at(ticks))
        wrap = self.systick.next_event
        if (
            wrap is not None
            and self.power.state is PowerState.ON
            and not self.exceptions.locked
            and self.systick.csr & TICKINT
            and not self.nvic.pending & SYSTICK_BIT
        ):
            # a wrap only pends SysTick (COUNTFLAG is computed lazily): while SysTick is still
            # pending (held back by a mask or a busy handler) the wrap changes nothing, and a
            # critical section must not be cut into one slice per SysTick period
            deadline = min(deadline, wrap)
        return deadline

    def run(self, budget_us: int, until: Callable[[], bool] | None = None) -> RunResult:
        if budget_us < 0:
            raise EngineError(f"run: expected a budget >= 0 us, found {budget_us}")
        end = self.ticks + self.power.us_to_instructions(budget_us)
        self._cut_detail = ""
        self.until_active = until is not None
        ran = False
        try:
            with self.running_guard:
                return self._run_loop(end, until, ran)
        finally:
            self.until_active = False
            self.mask_watch.release()
            self.unmodelled.flush()

    def _run_loop(self, end: int, until: Callable[[], bool] | None, ran: bool) -> RunResult:
        """The slices of ``run`` until a stop reason (checks the stop flag first in each)."""
        core = self.core
        while True:
            self.check_stop()
            stopped = self._settle()
            if stopped is not None:
                return stopped
            if self.hooks.halted is not None:
                name, self.hooks.halted = self.hooks.halted, None
                return self._result(StopReason.HALTED, name)
            if ran and until is not None and until():
                return self._result(StopReason.CONDITION)
            if self.ticks >= end:
                return self._result(StopReason.BUDGET)
            now = core.instructions
            gap = max(1, self._deadline(end) - now)
            if self.power.state is PowerState.ON and not self.exceptions.locked:
                if self.sleeping is not None:
                    if self._awake():
                        self.sleeping = None
                    else:
                        core.advance(gap)  # asleep: time passes up to the next event
                        self.idle_cycles += gap
                elif not self.spins.skip(gap):
                    count = self.mask_watch.plan(min(self.slice_instructions, gap))
                    self.hooks.run_slice(count)
                    self.unmodelled.raise_if_stopped()
                    if self.hooks.sleep is not None:
                        self._went_to_sleep()
                    self.spins.after_slice()
            elif self.exceptions.locked and self.timebase.cycles_at(end) <= now + gap:
                # nothing scheduled can reset the core within the budget; time still passes
                core.advance(self.timebase.cycles_at(end) - now)
                return self._result(StopReason.LOCKUP, self.exceptions.lockup_detail)
            else:  # locked up or held in reset: time passes, nothing executes
                core.advance(gap)
            for port in self._ports.values():
                port.pump()
            ran = True

    # -- Engine: I/O, flash, hooks ------------------------------------------------------------
    def serial(self, role: str = "console_uart") -> UcSerialPort:
        roles = self.platform.roles
        if hasattr(roles, role):
            return self.port(str(getattr(roles, role)))
        names = [p.name for p in self.platform.peripherals]
        if role in names:
            return self.port(role)
        raise UnknownNameError("serial role or peripheral", role, ["console_uart", *names])

    def flash_read(self, address: int, size: int) -> bytes:
        ns = self.flash.to_ns(address)
        if ns is None:
            raise EngineError(f"flash_read: expected a flash address, found 0x{address:08x}")
        return self.flash.read(ns, size)

    def flash_snapshot(self) -> bytes:
        return self.flash.snapshot()

    def flash_restore(self, snapshot: bytes) -> None:
        self.flash.restore(snapshot)

    tracks_reads = True
    read_page_size = PAGE

    def track_reads_start(self, varying: Sequence[tuple[int, int]] | None = None) -> None:
        base = self.platform.flash.base
        self.flash.track_start(
            None if varying is None else [(a - base, a - base + n) for a, n in varying]
        )

    def track_reads_stop(self) -> list[int]:
        return self.flash.track_stop()

    def flash_page_digests(self) -> list[str]:
        return self.flash.page_digests()

    def cut_preview(self) -> dict[int, str] | None:
        runs: list[TearRun] = []
        for m in self.models:
            r = m.tear_preview()
            if r is None:
                return None
            runs += r
        return self.flash.preview_digests(runs)

    def flash_global_state(self) -> str:
        return self.flash.global_state()

    def next_power_on_fill(self) -> int:
        return self.power.power_on_index + 1

    def on_flash_op(self, hook: FlashOpHook) -> None:
        self._flash_hooks.append(hook)

    def on_reset(self, hook: ResetHook) -> None:
        self.power.reset_hooks.append(hook)

    def on_symbol(self, symbol: str, hook: SymbolHook) -> None:
        if symbol not in self.symbols:
            raise UnknownNameError("symbol", symbol, list(self.symbols)[:50])
        address = self.symbols[symbol]
        if address not in self._symbol_hooks:
            self._symbol_hooks[address] = []
            self.core.add_exit(address)
        self._symbol_hooks[address].append((symbol, hook))

    def symbol_hooks_at(self, address: int) -> list[tuple[str, SymbolHook]]:
        return self._symbol_hooks.get(address, [])

    def debug_read32(self, address: int) -> int:
        return self.bus.read32(address)

    def debug_write32(self, address: int, value: int) -> None:
        controller = self.soc.peripheral(self.platform.roles.flash_controller)
        self.bus.write32(address, value, controller)

    def set_pin(self, name: str, level: int) -> None:
        self.pins[name] = 1 if level else 0

    def set_clock_limit_faults(self, fault: bool) -> None:
        for m in self._clock_models():
            m.fault_on_violation = fault

    def clock_violations(self) -> list[str]:
        return [v for m in self._clock_models() for v in m.violations]

    def _clock_models(self) -> list[ClockLimits]:
        return [m for m in self.models if isinstance(m, ClockLimits)]

    def set_strict_mmio(self, strict: bool) -> None:
        self.unmodelled.strict = strict

    def unmodelled_mmio(self) -> list[MmioAccess]:
        return list(self.unmodelled.records)

    def log_unmodelled_mmio(self, path: Path) -> None:
        self.unmodelled.set_log(path)

    def close(self) -> None:
        self.unmodelled.flush()
        for port in self._ports.values():
            port.close()

    # -- Engine: harness state, timers, halts, debugger --------------------------------------
    @property
    def powered(self) -> bool:
        return self.power.state is not PowerState.OFF

    @property
    def pc(self) -> int:
        return self.core.pc

    def us_to_instructions(self, microseconds: float) -> int:
        return self.power.us_to_instructions(microseconds)

    def after(self, instructions: int, callback: Timer) -> None:
        if instructions <= 0:
            callback()
            return
        timers = self._harness_timers
        if timers is None:
            timers = self._harness_timers = HarnessTimers(lambda: self.ticks, self._arm_at)
            self.on_reset(timers.on_reset)  # after the hooks of whoever came first
        timers.add(instructions, callback)  # ticks: what us_to_instructions gives

    def _arm_at(self, at: int, callback: Timer) -> None:
        self.scheduler.schedule(at, callback)
        self.core.stop_after(self.timebase.cycles_at(at))

    def halt(self, reason: str) -> None:
        self.hooks.halted = reason
        self.core.stop_after_current()

    @property
    def register_names(self) -> tuple[str, ...]:
        return tuple(REGISTERS)

    def read_register(self, name: str) -> int:
        return int(self.core.uc.reg_read(register_id(name))) & 0xFFFFFFFF

    def write_register(self, name: str, value: int) -> None:
        self.core.uc.reg_write(register_id(name), value & 0xFFFFFFFF)

    def step(self) -> RunResult:
        start = self.instructions
        saved = self.slice_instructions
        self.slice_instructions = 1
        try:
            return self.run(1_000, until=lambda: self.instructions != start)
        finally:
            self.slice_instructions = saved


def cpu_benchmark(platform: Platform) -> CpuBench:
    """``hil bench --what engine`` for this engine (see ``hil.engine.unicorn.bench``)."""
    from hil.engine.unicorn.bench import cpu_loop_benchmark

    return cpu_loop_benchmark(platform)
