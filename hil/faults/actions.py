"""What a fault does to the chip when its point is reached (``hil.faults.trigger``): a cut with
a tear, a brownout, a halt for a debugger. Shared by the fault injector, the power-cut sweep and
``hil replay``, so a swept point, its replay and a plan's fault take the same path."""

from __future__ import annotations

from collections.abc import Callable

from hil.engine.base import Engine, FlashOpAction, ResetCause
from hil.faults.plan import Tear


def cut_in_flash_op(engine: Engine, tear: Tear | None) -> FlashOpAction:
    """The answer of a flash-op point that cuts the power in this operation: the flash model
    tears the op; ``tear: none`` powers off at once and puts the array back as it was when the
    op was announced (a cut just before the op)."""
    if tear is Tear.NONE:
        before = engine.flash_snapshot()
        engine.power_off()  # tears the op in flight ...
        engine.flash_restore(before)  # ... and the array goes back as it was
    return FlashOpAction.CUT


def power_cut(engine: Engine) -> None:
    """The supply goes away now (between two instructions)."""
    engine.power_off()


def start_brownout(
    engine: Engine, low_mv: int, holdup_us: int, fired: Callable[[], None] | None = None
) -> None:
    """The supply drops to ``low_mv`` now (the monitor flag side); ``holdup_us`` later it is
    restored and the brownout reset fires (``fired`` is called just before the reset)."""
    engine.set_supply_mv(low_mv)
    nominal = engine.platform.supply.nominal_mv

    def fire() -> None:
        engine.set_supply_mv(nominal)
        if fired is not None:
            fired()
        engine.reset(ResetCause.BROWNOUT)

    engine.after(engine.us_to_instructions(holdup_us), fire)


def halt(engine: Engine, reason: str) -> None:
    """Stop the core right after the instruction being executed (``hil replay --gdb``)."""
    engine.halt(reason)


__all__ = ["cut_in_flash_op", "halt", "power_cut", "start_brownout"]
