"""The harness's own timers (``Engine.after``): a callback a number of ticks from now, such as
a fault plan's cut ``offset`` ticks after a phase event.

A timer survives a warm reset (it is scheduled again, at once if its instant has passed, since
the engine clears its scheduler at every reset) and is dropped by a power-on (a cut ends the
harness's plan for that run, as a host's stopwatch would be restarted). A timer fires once,
even when a reset scheduled a second copy of it.
"""

from __future__ import annotations

from collections.abc import Callable

from hil.engine.base import ResetCause, Timer

ArmAt = Callable[[int, Timer], None]  # schedule a callback at an instant (ticks)


class HarnessTimers:
    """The pending harness timers of one engine: ``now`` gives the ticks, ``arm_at`` schedules
    a callback at an instant and makes the core stop there."""

    def __init__(self, now: Callable[[], int], arm_at: ArmAt) -> None:
        self._now = now
        self._arm_at = arm_at
        self._timers: list[tuple[int, Timer]] = []

    def add(self, ticks: int, callback: Timer) -> None:
        """``callback`` ``ticks`` (> 0) from now."""
        entry = (self._now() + ticks, callback)
        self._timers.append(entry)
        self._arm(entry[0], callback)

    def on_reset(self, cause: ResetCause) -> None:
        if cause is ResetCause.POWER_ON:
            self._timers.clear()
            return
        for at, callback in list(self._timers):
            self._arm(max(at, self._now()), callback)

    def _arm(self, at: int, callback: Timer) -> None:
        timers = self._timers

        def fire() -> None:
            for i, (_, cb) in enumerate(timers):
                if cb is callback:
                    del timers[i]
                    break
            else:
                return  # fired already (a re-armed copy of the same timer)
            callback()

        self._arm_at(at, fire)


__all__ = ["HarnessTimers"]
