"""Helpers shared by the peripheral models (not a model itself: nothing here registers).

``RegisterPeripheral`` turns the byte-offset/size accesses of the seam into 32-bit register
accesses: a load returns the addressed bytes of the containing register, a store passes the
written bits already shifted into place together with a mask of the bytes written, so a model
can merge sub-word stores into storage registers and decide what a partial store to a
side-effect register means.
"""

from __future__ import annotations

import abc
import random
from collections.abc import Callable, Mapping, Sequence

from hil.engine.unicorn.peripheral import Exc, FlashArray, Peripheral, Soc, TearRun
from hil.errors import UnknownNameError
from hil.platform.model import PeripheralSpec

MASK32 = 0xFFFF_FFFF


class RegisterPeripheral(Peripheral):
    """A peripheral made of 32-bit registers at word-aligned offsets."""

    def read(self, offset: int, size: int) -> int:
        if size == 4 and not offset & 3:  # the common case: an aligned word
            return self.read_reg(offset) & MASK32
        reg = offset & ~3
        shift = (offset & 3) * 8
        width = min(size * 8, 32 - shift)
        return (self.read_reg(reg) >> shift) & ((1 << width) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        if size == 4 and not offset & 3:  # the common case: an aligned word
            self.write_reg(offset, value & MASK32, MASK32)
            return
        reg = offset & ~3
        shift = (offset & 3) * 8
        mask = (((1 << (size * 8)) - 1) << shift) & MASK32
        self.write_reg(reg, (value << shift) & mask, mask)

    @abc.abstractmethod
    def read_reg(self, offset: int) -> int:
        """The 32-bit register at word-aligned ``offset``."""

    @abc.abstractmethod
    def write_reg(self, offset: int, value: int, mask: int) -> None:
        """A store: ``value`` holds the written bits in place, ``mask`` says which bits were
        written (0xFFFFFFFF for a word store)."""


class OtherBit:
    """A bit of another model's register that gates this one (a clock enable, a reset):
    ``params.<name>: {peripheral, offset, bit}``; absent = ``default`` always. The other model
    is found on first use and kept (the same model for the engine's life)."""

    def __init__(self, spec: PeripheralSpec, soc: Soc, name: str, default: bool) -> None:
        raw = spec.params.get(name)
        self._soc, self._default = soc, default
        self._where: tuple[str, int, int] | None = None
        if isinstance(raw, Mapping):
            self._where = (
                str(raw["peripheral"]), int(str(raw["offset"]), 0), int(str(raw["bit"]), 0)
            )  # fmt: skip
        self._model: Peripheral | None = None

    def is_set(self) -> bool:
        if self._where is None:
            return self._default
        name, offset, bit = self._where
        model = self._model
        if model is None:
            model = self._model = self._soc.peripheral(name)
        return bool(model.read(offset, 4) >> bit & 1)


class DeadlineCheck:
    """One pending scheduler entry for a deadline that a model keeps moving (a watchdog feed):
    ``arm()`` after every move schedules a check only if none is pending at or before the new
    deadline; when the check comes and the deadline has moved on, it re-arms itself, so ``fire``
    runs exactly at the deadline. ``due()`` returns the deadline in instructions, or None when
    nothing is due (stopped). ``cancel()`` at every reset: the engine clears its scheduler.
    (A schedule per feed would leave thousands of stale entries for every update.)"""

    def __init__(self, soc: Soc, due: Callable[[], int | None], fire: Callable[[], None]) -> None:
        self._soc, self._due, self._fire = soc, due, fire
        self._at: int | None = None

    def cancel(self) -> None:
        self._at = None

    def arm(self) -> None:
        due = self._due()
        if due is None or (self._at is not None and self._at <= due):
            return
        self._at = at = due

        def check() -> None:
            if self._at != at:
                return  # a reset cleared the scheduler and something re-armed since
            self._at = None
            now_due = self._due()
            if now_due is None:
                return
            if self._soc.instructions < now_due:
                self.arm()
                return
            self._fire()

        self._soc.schedule(at, check)


def merge(old: int, value: int, mask: int) -> int:
    """A storage register after a (possibly sub-word) store."""
    return ((old & ~mask) | (value & mask)) & MASK32


def _as_int(raw: object, what: str) -> int:
    if isinstance(raw, bool):
        raise TypeError(f"{what}: expected an integer, found {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        return int(raw, 0)
    raise TypeError(f"{what}: expected an integer, found {raw!r}")


def param_int(spec: PeripheralSpec, name: str, default: int) -> int:
    """``params[name]`` as an int (YAML int or hex string), or ``default``."""
    raw = spec.params.get(name)
    return default if raw is None else _as_int(raw, f"{spec.name}.params.{name}")


def param_int_list(spec: PeripheralSpec, name: str, default: list[int]) -> list[int]:
    raw = spec.params.get(name)
    if raw is None:
        return list(default)
    if not isinstance(raw, list | tuple):
        raise TypeError(f"{spec.name}.params.{name}: expected a list, found {raw!r}")
    return [_as_int(x, f"{spec.name}.params.{name}") for x in raw]


def param_int_map(spec: PeripheralSpec, name: str, default: Mapping[str, int]) -> dict[str, int]:
    raw = spec.params.get(name)
    if raw is None:
        return dict(default)
    if not isinstance(raw, Mapping):
        raise TypeError(f"{spec.name}.params.{name}: expected a mapping, found {raw!r}")
    return {str(k): _as_int(v, f"{spec.name}.params.{name}.{k}") for k, v in raw.items()}


def param_name_lists(
    spec: PeripheralSpec, name: str, default: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    raw = spec.params.get(name)
    if raw is None:
        return {k: list(v) for k, v in default.items()}
    if not isinstance(raw, Mapping):
        raise TypeError(f"{spec.name}.params.{name}: expected a mapping, found {raw!r}")
    out: dict[str, list[str]] = {}
    for k, v in raw.items():
        if not isinstance(v, list | tuple):
            raise TypeError(f"{spec.name}.params.{name}.{k}: expected a list, found {v!r}")
        out[str(k)] = [str(x) for x in v]
    return out


def param_pin_bits(spec: PeripheralSpec, width: int) -> dict[int, str]:
    """``params.pins`` as {bit: pin name}; each bit in [0, width), used once."""
    raw = spec.params.get("pins", {})
    if not isinstance(raw, Mapping):
        raise TypeError(f"{spec.name}.params.pins: expected a mapping, found {raw!r}")
    out: dict[int, str] = {}
    for name, entry in raw.items():
        if not isinstance(entry, Mapping) or "bit" not in entry:
            raise TypeError(f"{spec.name}.params.pins.{name}: expected {{bit: N}}, found {entry!r}")
        bit = entry["bit"]
        if isinstance(bit, bool) or not isinstance(bit, int) or not 0 <= bit < width:
            raise ValueError(
                f"{spec.name}.params.pins.{name}.bit: expected 0..{width - 1}, found {bit!r}"
            )
        if bit in out:
            raise ValueError(
                f"{spec.name}.params.pins.{name}.bit: bit {bit} already used by {out[bit]}"
            )
        out[bit] = str(name)
    return out


def notify_clock_tree(soc: Soc, name: str) -> None:
    """Tell the chip's clock-tree model ``name`` that a register it checks against the core
    clock changed (flash wait states, voltage scaling): it calls its ``check_clock()``.
    Nothing happens when the platform has no such model."""
    try:
        model = soc.peripheral(name)
    except UnknownNameError:
        return
    check = getattr(model, "check_clock", None)
    if check is not None:
        check()


class ClockLimits:
    """The clock-limit check of a clock-tree model (the RCC, SYSCON): ``clock_problem()`` says
    what the chip's limits forbid in the current settings (voltage range, flash wait states,
    booster), or None. A new violation is recorded in ``violations`` ("t=<instructions>
    pc=0x... <what>", kept across resets) and the core takes a HardFault at once."""

    soc: Soc

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.fault_on_violation = True  # False: recorded only (Engine.set_clock_limit_faults)
        self._violating = False

    @abc.abstractmethod
    def clock_problem(self) -> str | None: ...

    def forget_violation(self) -> None:
        """At a reset: the settings are back to their reset values."""
        self._violating = False

    def check_clock(self) -> None:
        """Re-check the limits after a change of a register that they depend on."""
        problem = self.clock_problem()
        if problem is not None and not self._violating:
            pc = self.soc.core_reg(15)
            self.violations.append(f"t={self.soc.instructions} pc={pc:#010x} {problem}")
            if self.fault_on_violation:
                self.soc.raise_exception(Exc.HARDFAULT, precise=False)
        self._violating = problem is not None


def apply_tear(flash: FlashArray, runs: Sequence[TearRun]) -> None:
    """Leave a torn operation's writes (``Peripheral.tear_preview`` form) in the array."""
    for address, cells, torn in runs:
        flash.write_raw(address, cells)
        if torn:
            flash.mark_torn(address, len(cells))


def rng_copy(rng: random.Random) -> random.Random:
    """A copy of ``rng`` at its current state: a preview draws what the real tear will draw,
    leaving the original untouched."""
    copy = random.Random()
    copy.setstate(rng.getstate())
    return copy
