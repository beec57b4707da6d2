"""Taking an interrupt the instruction after firmware unmasks it.

PRIMASK, BASEPRI and FAULTMASK change through CPSIE / MSR, which QEMU executes without telling
anyone. When an exception is pending that only these registers hold back (an RTOS pends PendSV
inside a critical section, SysTick wraps during a flash operation run with interrupts disabled,
an interrupt arrives while the idle loop's ``cpsid i; wfi`` runs), the engine must notice the
unmasking instruction itself, as the NVIC would, or the handler runs late (and, for example, a
Zephyr ``arch_swap`` returns before its context switch).

While that state lasts the engine runs one instruction per slice for up to ``STEP_LIMIT``
instructions (the usual case: the unmask follows within a few instructions). A longer stretch
makes every address where an unmasking instruction is encoded in executable memory (flash, RAM,
ROM and their aliases) a Unicorn exit: ``CPSIE i/f`` (T1 0xB66x) and ``MSR`` to PRIMASK, BASEPRI
or FAULTMASK (T1 0xF38n 0x88ss; ``BASEPRI_MAX`` can only raise the mask). The CPU stops in front
of such an instruction, the engine executes it alone (as it steps over a symbol exit), and the
slice boundary after it takes the exception. Exits are compiled into the translated blocks that
hold them (only those are retranslated) and cost nothing elsewhere; encodings found in data are
never executed. The scan runs once per stretch (a few ``memmem`` passes). Exception return and
NVIC writes, the other ways a held-back exception becomes takeable, already end the slice.

Two slower designs were measured and dropped: a Python code hook before every instruction
(~60x: 2 s of virtual time with interrupts masked and SysTick pending took minutes), and
bounded code hooks at the sites (Unicorn then checks every hook for every instruction: with the
few dozen false sites in seeded RAM, 5x).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hil.engine.unicorn.memory import HostBuffer

if TYPE_CHECKING:
    from hil.engine.unicorn.engine import UnicornEngine

STEP_LIMIT = 64
# Thumb encodings (little-endian halfwords) of the instructions that can lower the masks
CPSIE = (b"\x61\xb6", b"\x62\xb6", b"\x63\xb6")  # CPSIE f, CPSIE i, CPSIE if
MSR_SYSM = (b"\x10\x88", b"\x11\x88", b"\x13\x88")  # MSR 2nd halfword: PRIMASK/BASEPRI/FAULTMASK


def _all(buffer: HostBuffer, pattern: bytes) -> list[int]:
    found: list[int] = []
    at = buffer.find(pattern)
    while at >= 0:
        if not at & 1:
            found.append(at)
        at = buffer.find(pattern, at + 1)
    return found


def unmask_sites(buffer: HostBuffer) -> list[int]:
    """Offsets of every halfword-aligned CPSIE or MSR-to-a-mask encoding in ``buffer``."""
    sites: list[int] = []
    for pattern in CPSIE:
        sites += _all(buffer, pattern)
    for pattern in MSR_SYSM:
        for at in _all(buffer, pattern):
            if (
                at >= 2
                and buffer.read(at - 2, 2)[1] == 0xF3
                and buffer.read(at - 2, 1)[0] >> 4 == 8
            ):
                sites.append(at - 2)  # first halfword 0xF38n: MSR <spec_reg>, Rn
    return sorted(sites)


class MaskWatch:
    def __init__(self, engine: UnicornEngine) -> None:
        self._e = engine
        self.steps = 0
        self._installed = False
        self.sites = 0  # unmasking sites of the last stretch
        self.hooked_stretches = 0  # how often the sites had to be found (for tests)

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
        if not self._installed:
            self._install()
        return count

    def _executable(self) -> list[tuple[HostBuffer, tuple[int, ...]]]:
        e = self._e
        areas = [(e.flash.buffer, e.flash.bases)]
        for r in e.memory.regions:
            areas.append((r.buffer, (r.region.base, *r.region.aliases)))
        return areas

    def _install(self) -> None:
        sites: set[int] = set()
        for buffer, bases in self._executable():
            for off in unmask_sites(buffer):
                sites.update(base + off for base in bases)
        self._e.core.set_extra_exits(sites)
        self.sites = len(sites)
        self._installed = True
        self.hooked_stretches += 1

    def release(self) -> None:
        self.steps = 0
        if self._installed:
            self._installed = False
            self._e.core.set_extra_exits(set())
