"""The engine interface: what every engine (unicorn, renode) offers to everything above it.

Everything above this seam is engine-blind. Time is virtual: instructions executed, scaled by the
target's core clock. Nothing here depends on wall time.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import ClassVar

from hil.errors import EngineError, Interrupted
from hil.platform.model import Platform


class ResetCause(StrEnum):
    """Why the chip (re)started. The engine sets the chip's own flags for each."""

    POWER_ON = "power-on"
    BROWNOUT = "brownout"
    WATCHDOG = "watchdog"
    SOFTWARE = "software"  # SCB AIRCR.SYSRESETREQ (or LPC55S69 SYSCON SWR_RESET)
    PIN = "pin"  # external reset pin (NRST / RESETN)
    LOCKUP = "lockup"  # harness-visible only: core locked up (no chip flag of its own)
    OPTION_BYTES = "option-bytes"  # STM32 FLASH_NSCR.OBL_LAUNCH: reset that loads option bytes


class StopReason(StrEnum):
    """Why ``Engine.run`` returned."""

    CONDITION = "condition"  # the caller's predicate became true
    BUDGET = "budget"  # the virtual-time budget ran out
    POWERED_OFF = "powered-off"  # a hook or fault plan cut the power
    LOCKUP = "lockup"  # the core locked up (fault inside a fault handler) and nothing resets it
    HALTED = "halted"  # a breakpoint / symbol hook asked to stop (for GDB and replay)


@dataclass(frozen=True)
class RunResult:
    reason: StopReason
    instructions: int  # total instructions executed since power-on of this engine instance
    time_ns: int  # the same, as virtual nanoseconds
    detail: str = ""


class FlashOpKind(StrEnum):
    ERASE = "erase"  # one page erase
    PROGRAM = "program"  # one program unit (STM32U585 quad-word, LPC55S69 page)


@dataclass(frozen=True)
class FlashOp:
    """One flash operation as the controller starts it.

    ``index`` counts operations since the engine was created."""

    index: int
    kind: FlashOpKind
    address: int  # absolute, non-secure alias
    size: int
    instructions: int  # virtual time at which it started (engine ticks)


class FlashOpAction(StrEnum):
    CONTINUE = "continue"
    CUT = "cut"  # cut the power in the middle of this operation; the engine tears it


FlashOpHook = Callable[[FlashOp], FlashOpAction]
SymbolHook = Callable[[str, int], bool]  # (symbol, address) -> True to stop (StopReason.HALTED)
ResetHook = Callable[["ResetCause"], None]
Timer = Callable[[], None]


@dataclass(frozen=True)
class IdleBench:
    """A core idling in WFI, woken by a SysTick every ``tick_ms`` (handler, then WFI again)."""

    virtual_s: float  # virtual time run
    tick_ms: float
    ticks: int  # SysTick exceptions taken
    wall_ms_per_virtual_s: float


@dataclass(frozen=True)
class CpuBench:
    """``hil bench --what engine``: the engine's own speed against its bare CPU backend."""

    instructions: int
    bare_ips: float  # instructions per second of the bare backend (no hooks, no models)
    engine_ips: float  # instructions per second through ``Engine.run`` with every hook installed
    ratio: float  # engine_ips / bare_ips (goal >= 0.5)
    virtual_per_wall: float = 0.0  # virtual seconds per wall second at the reset clock
    masked_ips: float = 0.0  # the same loop with PRIMASK set and SysTick pending (0: not run)
    idle: tuple[IdleBench, ...] = ()  # WFI idling at several SysTick periods


UNMODELLED_MMIO_LOG = "mmio_unmodelled.jsonl"  # the file name in a run's log directory


@dataclass(frozen=True)
class MmioAccess:
    """Accesses by firmware to a peripheral block the engine does not model (it answered from
    the block's reset values). Consecutive identical accesses are one record with a count."""

    block: str  # block name from the chip's block map, e.g. "ICACHE"
    register: str  # register name, or "+0x<offset>" where the block map names none
    address: int  # bus address (the alias firmware used)
    width: int  # bytes
    write: bool
    value: int  # value written, or value the read returned
    pc: int  # address of the accessing instruction
    instructions: int  # virtual time of the first of them
    count: int = 1

    def describe(self) -> str:
        what = "write of" if self.write else "read"
        value = f" 0x{self.value:x}" if self.write else ""
        return (
            f"{what}{value} {self.block}.{self.register} at 0x{self.address:08x} "
            f"(PC 0x{self.pc:08x})"
        )


class StrictMmioStop(EngineError):
    """Strict MMIO mode: firmware touched a block the engine does not model. The CPU stopped
    before the access completed; ``access`` names it."""

    def __init__(self, access: MmioAccess) -> None:
        self.access = access
        super().__init__(
            f"strict MMIO: firmware {access.describe()}: block {access.block} is not modelled "
            "(expected only accesses to modelled peripherals)"
        )


class SerialPort(abc.ABC):
    """A UART as a byte stream for Python, and optionally a pty for other programs."""

    @abc.abstractmethod
    def read(self) -> bytes:
        """Bytes the device sent since the last call (never blocks)."""

    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Queue bytes for the device to receive."""

    @property
    @abc.abstractmethod
    def transcript(self) -> bytes:
        """Everything the device has sent since the engine was created."""

    def sent_from(self, pos: int) -> bytes:
        """What the device sent from byte ``pos`` of the transcript on (a port may avoid
        copying the whole transcript)."""
        return self.transcript[pos:]

    @abc.abstractmethod
    def open_pty(self) -> str:
        """Expose the port as a pseudo-terminal; returns the path other programs open."""


class _StopFlag:
    """The process's stop request (a signal handler sets it) and how many ``run`` calls are
    inside the emulator right now."""

    requested: str | None = None
    running: int = 0


_STOP = _StopFlag()


class Engine(abc.ABC):
    """One emulated target. One engine instance per process is the supported scale unit."""

    name: str = ""

    def __init__(self, platform: Platform, seed: int) -> None:
        self.platform = platform
        self.seed = seed

    # -- stopping (signals) --------------------------------------------------------------------
    @staticmethod
    def request_stop(why: str = "interrupted") -> bool:
        """Ask every engine of this process to stop (safe from a signal handler: only sets a
        flag). A ``run`` in progress raises ``hil.errors.Interrupted`` at its next slice
        boundary (within one slice of virtual work; nothing is raised inside an emulator
        callback), and so does every later ``run``. Returns True when a ``run`` is in progress
        (it stops by itself), False when none is (the caller may stop at once)."""
        _STOP.requested = why
        return _STOP.running > 0

    @staticmethod
    def stop_requested() -> str | None:
        """The pending stop request's reason, or None."""
        return _STOP.requested

    @staticmethod
    def clear_stop() -> None:
        """Forget a stop request (a new command in the same process)."""
        _STOP.requested = None

    def check_stop(self) -> None:
        """Raise ``Interrupted`` if a stop was requested (engines call it between slices)."""
        if _STOP.requested is not None:
            raise Interrupted(_STOP.requested)

    class _Running:
        def __enter__(self) -> None:
            _STOP.running += 1

        def __exit__(self, *exc: object) -> None:
            _STOP.running -= 1

    running_guard: ClassVar[_Running] = _Running()
    """``with self.running_guard:`` around the emulator loop of ``run`` (``request_stop``
    then knows a run will observe the flag)."""

    @abc.abstractmethod
    def load_elf(self, path: str) -> None:
        """Program an ELF's loadable segments (factory programming); learn its symbols."""

    @abc.abstractmethod
    def program_flash(self, address: int, data: bytes) -> None:
        """Factory-program raw bytes (harness side, not a firmware flash operation)."""

    @abc.abstractmethod
    def flash_lose_unit(self, address: int, size: int) -> None:
        """Retention loss at rest (harness side, power off): the ECC units of
        [address, address+size) become unreadable, as a torn program leaves them (the firmware
        reads an ECC error / read fault there until the page is erased)."""

    @abc.abstractmethod
    def flash_busy(self) -> bool:
        """True while the flash controller has an operation in flight (a debug probe waits for
        it before it writes the array or resets the chip)."""

    @abc.abstractmethod
    def write_protect(self, address: int, size: int) -> None:
        """From now on the flash controller refuses firmware erases/programs of this range, as
        the chip does for a provisioned OTP / protected region (WRPERR, FAIL)."""

    @abc.abstractmethod
    def power_on(self) -> None: ...

    @abc.abstractmethod
    def power_off(self) -> None: ...

    @abc.abstractmethod
    def reset(self, cause: ResetCause) -> None:
        """A warm reset (software, pin, watchdog): SRAM is kept, the chip's flags are set."""

    @abc.abstractmethod
    def run(self, budget_us: int, until: Callable[[], bool] | None = None) -> RunResult:
        """Run for at most ``budget_us`` of virtual time, or until ``until()`` is true.

        ``until`` is evaluated whenever new serial output arrived and at slice boundaries.
        """

    @property
    @abc.abstractmethod
    def instructions(self) -> int:
        """Instructions (core cycles) executed so far."""

    @property
    def ticks(self) -> int:
        """Virtual time in periods of the reset clock (``core.clock_hz``): the unit of
        ``after``, ``us_to_instructions``, ``instructions_to_us`` and of every virtual-time
        offset the harness keeps (flash operations, phase events). Equals ``instructions``
        while the firmware runs at the reset clock; engines whose core clock can change
        override it."""
        return self.instructions

    @property
    def time_ns(self) -> int:
        return self.instructions * 1_000_000_000 // self.platform.core.clock_hz

    @abc.abstractmethod
    def serial(self, role: str = "console_uart") -> SerialPort: ...

    @abc.abstractmethod
    def flash_read(self, address: int, size: int) -> bytes:
        """Raw cell contents (no faults), for the harness."""

    @abc.abstractmethod
    def flash_snapshot(self) -> bytes:
        """An opaque, restorable copy of the whole flash array including torn/ECC state."""

    @abc.abstractmethod
    def flash_restore(self, snapshot: bytes) -> None: ...

    @abc.abstractmethod
    def set_supply_mv(self, millivolts: int) -> None:
        """Set the supply voltage. Below the monitor threshold the flag rises; below the reset
        threshold the brownout reset fires after the platform's hold-up time."""

    @abc.abstractmethod
    def on_flash_op(self, hook: FlashOpHook) -> None: ...

    @abc.abstractmethod
    def on_symbol(self, symbol: str, hook: SymbolHook) -> None: ...

    @abc.abstractmethod
    def on_reset(self, hook: ResetHook) -> None:
        """Call ``hook(cause)`` each time the chip starts from reset (power-on included)."""

    @abc.abstractmethod
    def debug_read32(self, address: int) -> int:
        """A 32-bit read over the bus, as a debug probe would (peripherals included)."""

    @abc.abstractmethod
    def debug_write32(self, address: int, value: int) -> None: ...

    @abc.abstractmethod
    def set_pin(self, name: str, level: int) -> None:
        """Drive a modelled input pin (e.g. the rescue strap), sampled by firmware as GPIO."""

    # -- peripheral blocks no model covers (optional for an engine) -----------------------------
    def set_strict_mmio(self, strict: bool) -> None:
        """Strict: the first access to an unmodelled block makes ``run`` raise
        :class:`StrictMmioStop`, with the CPU stopped before that access."""
        if strict:
            raise EngineError(f"engine {self.name}: expected strict MMIO support, found none")

    def unmodelled_mmio(self) -> list[MmioAccess]:
        """Every access firmware made to an unmodelled block, in order."""
        return []

    def log_unmodelled_mmio(self, path: Path) -> None:
        """Append those accesses to ``path`` (JSON lines), created at the first one; nothing is
        written while firmware touches only modelled blocks."""
        del path

    # -- the clock-tree model's limits (optional for an engine) ----------------------------------
    def set_clock_limit_faults(self, fault: bool) -> None:
        """Fault (the default): a clock setting the chip's limits forbid (voltage range, flash
        wait states, booster) raises a HardFault at once. Off: it is only recorded, for firmware
        known to run on silicon through a brief violation."""
        if not fault:
            raise EngineError(f"engine {self.name}: expected clock-limit support, found none")

    def clock_violations(self) -> list[str]:
        """Every clock-limit violation so far: "t=<ticks> pc=0x... <what>"."""
        return []

    # -- what the harness reads and schedules (faults, sweeps, replay, debuggers) --------------
    @property
    @abc.abstractmethod
    def powered(self) -> bool:
        """The supply is on (also while a brownout holds the chip in reset); False after
        ``power_off`` or a cut, until the next ``power_on``."""

    @property
    @abc.abstractmethod
    def pc(self) -> int:
        """The program counter of the (stopped) core."""

    def us_to_instructions(self, microseconds: float) -> int:
        """Virtual time to instructions at the core clock (rounded up)."""
        return math.ceil(microseconds * self.platform.core.clock_hz / 1_000_000)

    def instructions_to_us(self, instructions: int) -> int:
        """Instructions to whole microseconds of virtual time (rounded down)."""
        return instructions * 1_000_000 // self.platform.core.clock_hz

    @abc.abstractmethod
    def after(self, instructions: int, callback: Timer) -> None:
        """Call ``callback`` once ``instructions`` more ticks have passed (periods of the reset
        clock, as ``us_to_instructions`` gives them; equal to instructions until the firmware
        changes its core clock) (at once when <= 0), between
        instructions, from inside ``run``. A harness timer is outside the chip: unlike the
        chip's own timers it survives a warm or brownout reset (re-armed at the same instant)
        and a power-on drops it."""

    @abc.abstractmethod
    def halt(self, reason: str) -> None:
        """Stop the current ``run`` right after the instruction being executed, with
        ``StopReason.HALTED`` and ``reason`` as its detail (a debugger takes over there)."""

    @abc.abstractmethod
    def define_symbol(self, name: str, address: int) -> None:
        """Name an address (for images loaded without an ELF, and for breakpoints)."""

    # -- a debugger's view (``hil replay --gdb``) ----------------------------------------------
    @property
    @abc.abstractmethod
    def register_names(self) -> tuple[str, ...]:
        """The core registers ``read_register`` knows (r0-r12, sp, lr, pc, xpsr, msp, psp)."""

    @abc.abstractmethod
    def read_register(self, name: str) -> int: ...

    @abc.abstractmethod
    def write_register(self, name: str, value: int) -> None: ...

    @abc.abstractmethod
    def step(self) -> RunResult:
        """Execute exactly one instruction (an exception entry it causes is taken as well)."""

    # -- process life --------------------------------------------------------------------------
    fork_safe: ClassVar[bool] = False
    """The whole machine state lives in this process's memory, so ``os.fork()`` is a complete
    snapshot of it (the power-cut sweep forks at every point). An engine that keeps state
    elsewhere (another process, a socket) leaves this False, and the sweep refuses it."""

    # -- read sets (the sweep's "same recovery as", hil.sweep.states) ---------------------------
    tracks_reads: ClassVar[bool] = False
    """The engine can record which flash pages a run reads (``track_reads_start``)."""

    def track_reads_start(self, varying: Sequence[tuple[int, int]] | None = None) -> None:
        """From now on, record every flash page the CPU fetches, reads or stores to and every
        page a model or the harness reads (``tracks_reads`` engines only). ``varying``: the
        flash ranges (address, size) the compared states can differ in; an engine may report
        every page outside them as read without watching it, and may record more than was
        read (both only make the read set larger)."""
        raise EngineError(f"engine {self.name}: expected an engine that tracks reads")

    def track_reads_stop(self) -> list[int]:
        """Stop recording; the pages (``read_page_size`` bytes each, by physical position in
        the array) read since ``track_reads_start``."""
        raise EngineError(f"engine {self.name}: expected an engine that tracks reads")

    read_page_size: ClassVar[int] = 0

    def flash_page_digests(self) -> list[str]:
        """Per ``read_page_size`` page of the array (physical order): a digest of its cells and
        of its torn units and erased state (what a read of the page can see)."""
        raise EngineError(f"engine {self.name}: expected an engine that tracks reads")

    def cut_preview(self) -> dict[int, str] | None:
        """The pages (``read_page_size`` bytes, physical) a power cut now would change, with
        their ``flash_page_digests`` after it, changing nothing (its seeded tear included);
        None when the engine cannot tell (the caller cuts for real)."""
        raise EngineError(f"engine {self.name}: expected an engine that tracks reads")

    def flash_global_state(self) -> str:
        """What every read of the array depends on beyond its pages (option bytes stored in
        flash, a bank swap), as text."""
        raise EngineError(f"engine {self.name}: expected an engine that tracks reads")

    def next_power_on_fill(self) -> int:
        """The index that seeds the RAM pattern the next power-on fills RAM with."""
        raise EngineError(f"engine {self.name}: expected an engine that tracks reads")

    def before_forks(self) -> None:
        """Called on an engine whose process will fork children at points of its run (the
        power-cut sweep's pass): prepare ahead what every child would otherwise make alone."""
        return None

    def after_fork(self) -> None:
        """Called in a forked child before it drives the engine (drop what must not be shared
        with the parent, such as pty threads)."""
        return None

    def close(self) -> None:
        """Release what the engine holds (ptys); the engine is not used afterwards."""
        return None
