"""The NVIC and the system-exception state of an Armv8-M Mainline core (no Security Extension
banking): enable, pending, active and priority of every exception, AIRCR.PRIGROUP, and the
priority arithmetic of the Arm ARM (``ExecutionPriority``, ``PendingExceptionDetails``).

Exception numbers: 2 NMI, 3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault, 7 SecureFault,
11 SVCall, 12 DebugMonitor, 14 PendSV, 15 SysTick, 16 + n IRQ n. Bit ``k`` of the ``enabled``,
``pending``, ``active`` and ``level`` integers is exception ``k``.

Interrupt lines from the models are level-sensitive inputs (``set_level``): an asserted line
is pending while its handler is not active, so a line still asserted when the handler returns
pends again (Arm's NVIC behaviour for level-sensitive interrupts); ``pulse`` pends once (a
pulse or a software trigger). Priorities keep only the implemented high bits
(``priority_bits``); NMI is -2, HardFault -1. Nothing here touches the CPU: the exception unit
asks who preempts, the PPB reads and writes the registers.
"""

from __future__ import annotations

NMI, HARDFAULT, MEMMANAGE, BUSFAULT, USAGEFAULT, SECUREFAULT = 2, 3, 4, 5, 6, 7
SVCALL, DEBUGMON, PENDSV, SYSTICK = 11, 12, 14, 15
IRQ0 = 16
NO_PRIORITY = 256  # lower than any configurable priority (execution priority in Thread mode)
# system exceptions that are always enabled once pending (faults are pended only when enabled)
_SYSTEM_ENABLED = (
    (1 << NMI)
    | (1 << HARDFAULT)
    | (1 << MEMMANAGE)
    | (1 << BUSFAULT)
    | (1 << USAGEFAULT)
    | (1 << SECUREFAULT)
    | (1 << SVCALL)
    | (1 << DEBUGMON)
    | (1 << PENDSV)
    | (1 << SYSTICK)
)


class Nvic:
    def __init__(self, irq_lines: int, priority_bits: int) -> None:
        self.irq_lines = irq_lines
        self.count = IRQ0 + irq_lines
        self.priority_mask = (0xFF << (8 - priority_bits)) & 0xFF
        self.line_mask = ((1 << irq_lines) - 1) << IRQ0
        self.reset()

    def reset(self) -> None:
        self.enabled = _SYSTEM_ENABLED  # IRQ bits: ISER
        self.pending = 0
        self.active = 0
        self.level = 0  # asserted level-sensitive lines
        self.priority = bytearray(self.count)  # configurable priorities (4..count-1)
        self.prigroup = 0
        self.order: list[int] = []  # active exceptions, oldest first (nesting order)
        self.sevonpend_event = False  # SCR.SEVONPEND saw a new pending interrupt

    # -- priorities -----------------------------------------------------------------------------
    def priority_of(self, number: int) -> int:
        if number == NMI:
            return -2
        if number == HARDFAULT:
            return -1
        return self.priority[number] if number < self.count else NO_PRIORITY

    def set_priority(self, number: int, value: int) -> None:
        if 4 <= number < self.count:
            self.priority[number] = value & self.priority_mask

    def group(self, priority: int) -> int:
        """Group (preemption) priority: the bits above PRIGROUP's subpriority field."""
        if priority < 0:
            return priority
        return priority & ~((2 << self.prigroup) - 1) & 0xFF

    def execution_priority(self, primask: int, basepri: int, faultmask: int) -> int:
        """Arm ARM ExecutionPriority(): the highest group priority of the active exceptions,
        boosted by BASEPRI, PRIMASK and FAULTMASK."""
        return min(self.active_priority(), self.boost(primask, basepri, faultmask))

    def active_priority(self) -> int:
        best = NO_PRIORITY
        for number in self.order:
            best = min(best, self.group(self.priority_of(number)))
        return best

    def boost(self, primask: int, basepri: int, faultmask: int) -> int:
        if faultmask & 1:
            return -1
        if primask & 1:
            return 0
        basepri &= self.priority_mask
        return self.group(basepri) if basepri else NO_PRIORITY

    # -- pending state --------------------------------------------------------------------------
    @property
    def effective_pending(self) -> int:
        return self.pending | (self.level & ~self.active)

    def set_pending(self, number: int) -> None:
        bit = 1 << number
        if number >= IRQ0 and not (self.effective_pending & bit):
            self.sevonpend_event = True
        self.pending |= bit

    def clear_pending(self, number: int) -> None:
        self.pending &= ~(1 << number)

    def set_level(self, number: int, asserted: bool) -> None:
        bit = 1 << number
        if asserted:
            if not (self.effective_pending & bit):
                self.sevonpend_event = True
            self.level |= bit
        else:
            self.level &= ~bit

    def pulse(self, number: int) -> None:
        self.set_pending(number)

    def candidate(self) -> int | None:
        """The pending, enabled exception with the highest priority (lowest value, then the
        lowest number), or None."""
        ready = self.effective_pending & self.enabled
        if not ready:
            return None
        best: int | None = None
        best_key = (NO_PRIORITY + 1, 0)
        while ready:
            low = ready & -ready
            number = low.bit_length() - 1
            ready ^= low
            key = (self.priority_of(number), number)
            if key < best_key:
                best, best_key = number, key
        return best

    def preempting(self, primask: int, basepri: int, faultmask: int) -> int | None:
        """The exception to take now, if one's group priority beats the execution priority."""
        number = self.candidate()
        if number is None:
            return None
        limit = self.execution_priority(primask, basepri, faultmask)
        return number if self.group(self.priority_of(number)) < limit else None

    def masked_candidate(self, primask: int, basepri: int, faultmask: int) -> bool:
        """True when an exception would preempt if PRIMASK, BASEPRI and FAULTMASK were clear
        but they hold it back (firmware will take it when it lowers them)."""
        number = self.candidate()
        if number is None:
            return False
        group = self.group(self.priority_of(number))
        return group < self.active_priority() and group >= self.boost(primask, basepri, faultmask)

    def wakes_wfi(self, basepri: int, faultmask: int) -> bool:
        """WFI wakes on an exception that would preempt if PRIMASK were 0."""
        number = self.candidate()
        if number is None:
            return False
        limit = self.execution_priority(0, basepri, faultmask)
        return self.group(self.priority_of(number)) < limit

    # -- activation -----------------------------------------------------------------------------
    def activate(self, number: int) -> None:
        self.pending &= ~(1 << number)
        self.active |= 1 << number
        self.order.append(number)

    def deactivate(self, number: int) -> None:
        self.active &= ~(1 << number)
        if number in self.order:
            self.order.remove(number)

    @property
    def current(self) -> int:
        """The exception being handled (IPSR), 0 in Thread mode."""
        return self.order[-1] if self.order else 0

    def rettobase(self) -> bool:
        return len(self.order) <= 1

    # -- register views -------------------------------------------------------------------------
    def irq_word(self, value: int, word: int) -> int:
        """32 IRQ bits of ``value`` for register word ``word`` (ISERn/ISPRn/IABRn)."""
        return (value >> (IRQ0 + 32 * word)) & 0xFFFFFFFF

    def irq_bits(self, word: int, bits: int) -> int:
        """Exception bits for IRQ register word ``word`` with ``bits`` set (implemented lines)."""
        return (bits << (IRQ0 + 32 * word)) & self.line_mask
