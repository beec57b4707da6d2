"""Taking an interrupt the instruction after firmware unmasks it.

PRIMASK, BASEPRI and FAULTMASK change through CPSIE / MSR, which QEMU executes without telling
anyone. When an exception is pending that only these registers hold back (an RTOS pends PendSV
inside a critical section, an interrupt arrives while the idle loop's ``cpsid i; wfi`` runs),
the engine must notice the unmasking instruction itself, as the NVIC would, or the handler runs
late (and, for example, a Zephyr ``arch_swap`` returns before its context switch).

While that state lasts the engine runs one instruction per slice for up to ``STEP_LIMIT``
instructions (the usual case: the unmask follows within a few instructions), then installs a
code hook that reads the three registers before every instruction and ends the slice as soon as
the pending exception can preempt. The hook exists only in this state: Unicorn inlines its
instruction counter only while it is the sole code hook, so a permanent second hook would slow
every instruction. Installing it flushes the translated code (hooks are compiled in);
removing it invalidates the code it instrumented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from unicorn import UC_HOOK_CODE

if TYPE_CHECKING:
    from hil.engine.unicorn.engine import UnicornEngine

STEP_LIMIT = 64


class MaskWatch:
    def __init__(self, engine: UnicornEngine) -> None:
        self._e = engine
        self.steps = 0
        self._hook: Any = None
        self.hooked_stretches = 0  # how often the hook had to be installed (for tests)

    def held_back(self) -> bool:
        """An exception is pending that only PRIMASK/BASEPRI/FAULTMASK hold back."""
        e = self._e
        nvic = e.nvic
        if not nvic.effective_pending & nvic.enabled:
            return False
        return nvic.masked_candidate(*e.exceptions.masks())

    def plan(self, count: int) -> int:
        """The size of the next slice (at most ``count``)."""
        if not self.held_back():
            self.release()
            return count
        self.steps += 1
        if self.steps <= STEP_LIMIT:
            return 1
        if self._hook is None:
            uc = self._e.core.uc
            self._hook = uc.hook_add(UC_HOOK_CODE, self._e.core.guard(self._on_code))
            uc.ctl_flush_tb()
            self.hooked_stretches += 1
        return count

    def release(self) -> None:
        self.steps = 0
        if self._hook is not None:
            hook, self._hook = self._hook, None
            self._e.core.uc.hook_del(hook)

    def _on_code(self, _uc: Any, _address: int, _size: int, _ud: object) -> None:
        # runs before the instruction at _address (already counted): stop in front of it
        if not self.held_back():
            self._e.core.stop(adjust=1)
