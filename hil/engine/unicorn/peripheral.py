"""The seam between the unicorn engine core and the peripheral models.

A peripheral model is a class registered under a model name (the ``model:`` field of a
platform's peripheral entry). The core maps its address window (and aliases) as MMIO and calls
``read``/``write`` with the offset inside the window. Models never touch Unicorn directly: they
use the ``Soc`` services below. Models are deterministic: no wall clock, randomness only from
``soc.rng``.

Time: ``soc.instructions`` is virtual time in *ticks*, periods of the platform's reset clock
(``core.clock_hz``): it equals the instructions executed as long as the firmware keeps the
reset clock, and keeps meaning the same time after it switches clocks (the core then runs more
or fewer instructions per tick). ``soc.us_to_instructions`` converts to ticks and
``soc.schedule`` takes ticks, so a model that counts its own clock (a watchdog, a flash
operation's duration) is right at any core clock without knowing it.

Interrupts: a model raises its interrupt outputs through ``soc.set_irq(line, asserted)``
(level-sensitive, the usual peripheral line: pending while asserted and the handler is not
active, pending again after the handler returns if still asserted) or ``soc.pulse_irq(line)``
(pends once). ``line`` is the NVIC IRQ number (0 = the first external interrupt); a model finds
its own in ``self.irq(name)``, from the ``irqs:`` mapping of its platform entry (None when the
platform wires no such output). A model re-evaluates its line level whenever its state changes
(register writes, a scheduled event, ``soc.on_uart_rx`` for host bytes) and calls ``set_irq``
with the new level; an unchanged level costs nothing.

Clocks: the clock-tree model of a chip (RCC, SYSCON) calls ``soc.set_core_clock_hz(hz)`` when
the firmware switches the core clock; ``soc.core_clock_hz`` reads it.
"""

from __future__ import annotations

import abc
import random
from collections.abc import Callable
from typing import Protocol

from hil.engine.base import FlashOpKind, ResetCause
from hil.errors import UnknownNameError
from hil.platform.model import FlashGeometry, PeripheralSpec, Platform

TearRun = tuple[int, bytes, bool]  # (address, cells written, their ECC units torn)


class Exc:
    """Cortex-M exception numbers the models may raise."""

    NMI = 2
    HARDFAULT = 3
    BUSFAULT = 5


class FlashArray(Protocol):
    """The flash cells, owned by the core (it is also mapped into the CPU's address space).

    Addresses are absolute non-secure addresses inside ``geometry``. The array tracks, besides the
    bytes, which ECC units are torn (reads fail the chip's way) and, where ``erased_read`` is
    ``bus-fault``, which pages are erased (reads fault). It keeps the CPU mapping in step.
    """

    geometry: FlashGeometry

    def read(self, address: int, size: int) -> bytes:
        """Raw cells, no fault semantics."""

    def write_raw(self, address: int, data: bytes) -> None:
        """Set cells as programmed, clearing torn/erased marks of the units touched."""

    def erase_page(self, page_index: int) -> None:
        """Set a page to the erased value (and, for bus-fault parts, mark it erased)."""

    def mark_torn(self, address: int, size: int) -> None:
        """Mark the ECC units covering [address, address+size) as torn."""

    def is_torn(self, address: int, size: int) -> bool: ...

    def is_erased_page(self, page_index: int) -> bool: ...

    def is_write_protected(self, address: int) -> bool:
        """True where the engine refuses writes (e.g. a provisioned trust anchor)."""

    @property
    def options(self) -> dict[int, int]:
        """Option bytes the chip stores in flash, by register offset (persistent, in snapshots;
        empty = factory values). Models change the dict in place."""

    def set_banks_swapped(self, swapped: bool) -> None:
        """Dual-bank parts: show physical bank 2 at bank 1's addresses and vice versa (applied
        at option byte loading). Addresses given to this array are always the CPU's view."""


class Soc(Protocol):
    """Services the core offers to peripheral models."""

    @property
    def platform(self) -> Platform: ...

    @property
    def flash(self) -> FlashArray: ...

    @property
    def rng(self) -> random.Random:
        """Seeded; the only source of randomness for models (tears)."""

    @property
    def instructions(self) -> int:
        """Virtual time in ticks (periods of the reset clock; see the module docstring)."""

    def us_to_instructions(self, microseconds: float) -> int:
        """A duration in ticks (rounded up)."""

    @property
    def supply_mv(self) -> int: ...

    def request_reset(self, cause: ResetCause) -> None:
        """Ask for a chip reset; it takes effect when the current instruction completes."""

    def raise_exception(self, number: int, precise: bool = True) -> None:
        """Enter exception ``number`` (``Exc``). ``precise``: the stacked PC is the instruction
        doing the current access, which does not complete."""

    def schedule(self, at_instructions: int, callback: Callable[[], None]) -> None:
        """Call ``callback`` once virtual time reaches ``at_instructions`` ticks."""

    def master_read(self, address: int, size: int) -> bytes | None:
        """A bus master's read (a crypto block's AHB master, a DMA): the bytes, or None when
        the bus errors (outside flash and RAM; in flash, a torn ECC unit or a faulting erased
        page). Flash read this way counts as read (the sweep's read tracking)."""

    def set_irq(self, line: int, asserted: bool, source: str = "") -> None:
        """Drive interrupt line ``line`` (NVIC IRQ number) high or low (level-sensitive). A line
        several outputs share (``source`` tells them apart) is asserted while any asserts it."""

    def pulse_irq(self, line: int) -> None:
        """Pend interrupt ``line`` once (an edge or pulse)."""

    @property
    def core_clock_hz(self) -> int:
        """The core clock now (the platform's ``core.clock_hz`` after every reset)."""

    def set_core_clock_hz(self, hz: int) -> None:
        """The firmware switched the core clock: instructions now take 1/hz each."""

    def on_uart_rx(self, peripheral_name: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever host bytes arrive for this UART (re-evaluate RX IRQs)."""

    def flash_op(self, kind: FlashOpKind, address: int, size: int) -> bool:
        """Announce a flash operation the controller is about to perform.

        Runs the fault hooks; returns False if the power was cut during this operation. In that
        case the core has already called ``tear_in_flight`` on the announcing model, the CPU
        stops and the model must not complete the operation.
        """

    def uart_tx(self, peripheral_name: str, data: bytes) -> None:
        """Bytes a UART model transmitted (the core keeps the transcript and feeds the pty)."""

    def uart_rx_pending(self, peripheral_name: str) -> int:
        """How many received bytes wait for this UART (host -> device)."""

    def uart_rx_pop(self, peripheral_name: str) -> int | None:
        """Take the next received byte, or None."""

    def peripheral(self, name: str) -> Peripheral:
        """Another model of the same chip, by its platform name (e.g. the PMC for the BOD level)."""

    def pin(self, name: str) -> int:
        """Level of a modelled input pin (0/1), e.g. the rescue strap."""

    def core_reg(self, index: int) -> int:
        """Core register r<index> (13 = SP, 14 = LR, 15 = PC) as the current access sees it:
        for models that stand in for code, such as a boot ROM's API."""

    def mem_read(self, address: int, size: int) -> bytes:
        """Bytes of RAM, ROM or flash as the CPU sees them (no fault semantics)."""

    def mem_write(self, address: int, data: bytes) -> None:
        """Store into RAM, or lay down ROM contents (a boot ROM model); never flash."""

    def report_unmodelled(
        self, block: str, register: str, address: int, width: int, write: bool, value: int
    ) -> None:
        """Firmware used a feature of a modelled block that its model does not implement (a
        mode, a register): recorded like an access to an unmodelled block (``unmodelled_mmio``,
        the run's ``mmio_unmodelled.jsonl``; strict MMIO stops the CPU at it)."""


class Peripheral(abc.ABC):
    """Base of every peripheral model. Subclasses are named after their files."""

    #: models register under this name (the ``model:`` value in platform.yaml)
    model: str = ""

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        self.spec = spec
        self.soc = soc

    def irq(self, name: str) -> int | None:
        """The NVIC IRQ number of this block's output ``name`` (platform ``irqs:``), or None."""
        return self.spec.irqs.get(name)

    def drive_irq(self, name: str, asserted: bool) -> None:
        """Set the level of this block's interrupt output ``name`` (no-op when not wired)."""
        line = self.spec.irqs.get(name)
        if line is not None:
            self.soc.set_irq(line, asserted, f"{self.spec.name}.{name}")

    def supply_changed(self) -> None:  # noqa: B027  (optional hook)
        """The supply voltage changed (``soc.supply_mv``): supply monitors re-evaluate."""

    @abc.abstractmethod
    def read(self, offset: int, size: int) -> int:
        """A CPU load of ``size`` bytes at ``offset`` inside the window."""

    @abc.abstractmethod
    def write(self, offset: int, size: int, value: int) -> None:
        """A CPU store."""

    def power_on(self) -> None:  # noqa: B027  (optional hook)
        """Power-on: every register to its reset value."""

    def reset(self, cause: ResetCause) -> None:
        """A system reset with ``cause`` (not power-on). Default: like power-on."""
        self.power_on()

    def tear_in_flight(self) -> None:  # noqa: B027  (optional hook)
        """Power was cut while this model had a flash operation in flight: leave the torn state."""

    def tear_preview(self) -> list[TearRun] | None:
        """What ``tear_in_flight`` would leave in the flash array now, changing nothing (the
        seeded randomness included): its writes in order, each (address, cells, torn: the
        cells' ECC units are then torn). None when the model cannot tell (the caller cuts for
        real). Default: nothing (a model that does not write flash)."""
        return []

    def flash_busy(self) -> bool:
        """True while this model has a flash operation in flight (flash controllers)."""
        return False

    def store_to_flash(self, address: int, size: int, value: int) -> None:
        """A CPU store into the flash array (only flash controllers receive these).

        The default is a bus error, as on parts whose flash is not written by CPU stores."""
        self.soc.raise_exception(Exc.BUSFAULT)

    def cpu_read_fault(self, address: int) -> None:
        """A CPU load hit a torn unit or (bus-fault parts) an erased page: raise what the chip
        raises. Default: precise bus error (the core escalates it to HardFault when BusFault is
        disabled and records CFSR/BFAR)."""
        self.soc.raise_exception(Exc.BUSFAULT)


_REGISTRY: dict[str, type[Peripheral]] = {}


def register(cls: type[Peripheral]) -> type[Peripheral]:
    """Class decorator: make ``cls`` available under ``cls.model``."""
    if not cls.model:
        raise ValueError(f"{cls.__name__} has no model name")
    _REGISTRY[cls.model] = cls
    return cls


def peripheral_class(model: str) -> type[Peripheral]:
    import hil.engine.unicorn.peripherals  # noqa: F401  (registers the models)

    try:
        return _REGISTRY[model]
    except KeyError:
        raise UnknownNameError("peripheral model", model, list(_REGISTRY)) from None


def known_models() -> list[str]:
    import hil.engine.unicorn.peripherals  # noqa: F401

    return sorted(_REGISTRY)
