"""The engine's Unicorn callbacks on the CPU: protection traps (flash), unmapped accesses, CPU
exceptions reported by QEMU, symbol hooks, and running one slice.

None of these run on the hot path: protection and unmapped hooks fire only on invalid accesses,
interrupt hooks only on CPU exceptions, symbol hooks are bounded to their one address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from unicorn import (
    UC_ERR_INSN_INVALID,
    UC_MEM_FETCH_PROT,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_READ_PROT,
    UC_MEM_WRITE_PROT,
    UC_PROT_EXEC,
    UC_PROT_READ,
)
from unicorn.arm_const import UC_ARM_REG_XPSR

from hil.engine.unicorn.core import THUMB_BIT
from hil.engine.unicorn.exceptions import BUSFAULT, HARDFAULT, SVCALL, USAGEFAULT
from hil.engine.unicorn.ppb import (
    BFARVALID,
    DIVBYZERO,
    HFSR_DEBUGEVT,
    IBUSERR,
    INVSTATE,
    NOCP,
    PRECISERR,
    UNALIGNED,
    UNDEFINSTR,
)

if TYPE_CHECKING:
    from hil.engine.unicorn.engine import UnicornEngine

# QEMU's ARM exception numbers as Unicorn's interrupt hook reports them
EXCP_UDEF, EXCP_SWI, EXCP_PREFETCH_ABORT, EXCP_DATA_ABORT = 1, 2, 3, 4
EXCP_BKPT, EXCP_EXCEPTION_EXIT = 7, 8
EXCP_NOCP, EXCP_INVSTATE, EXCP_UNALIGNED, EXCP_DIVBYZERO = 17, 18, 22, 23
_USAGE = {
    EXCP_UDEF: UNDEFINSTR,
    EXCP_NOCP: NOCP,
    EXCP_INVSTATE: INVSTATE,
    EXCP_UNALIGNED: UNALIGNED,
    EXCP_DIVBYZERO: DIVBYZERO,
}
_NEEDS = {UC_MEM_FETCH_PROT: UC_PROT_EXEC, UC_MEM_READ_PROT: UC_PROT_READ}
_MASKS = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFFFFFF, 8: 0xFFFFFFFFFFFFFFFF}


class CpuHooks:
    def __init__(self, engine: UnicornEngine) -> None:
        self._e = engine
        self.exception_return = False
        self.halted: str | None = None
        self.sleep: str | None = None  # the last slice ended on a completed WFI / WFE
        self._hooked_pc: int | None = None  # symbol hooks already ran for this stop
        self._reprotect: set[int] = set()  # flash addresses whose page protection to re-apply

    # -- slice ---------------------------------------------------------------------------------
    def run_slice(self, count: int) -> None:
        e = self._e
        core = e.core
        pc = core.pc
        self.sleep = None
        e.flash.settle()  # permissions a flash change left to apply (flash_array)
        if pc in core.exits:
            if pc != self._hooked_pc and self._symbol_hit(pc):
                return
            self._hooked_pc = None
            result = core.step_over_exit()
        else:
            result = core.run_slice(count)
            if result.at_exit:
                self._symbol_hit(result.pc)
                return
        self.sleep = result.sleep
        for address in self._reprotect:
            e.flash.reprotect(address)
        self._reprotect.clear()
        e.flash.show_touched()
        error = result.errno
        if error is not None and e.exceptions.pending is None and not self.exception_return:
            if error == UC_ERR_INSN_INVALID:
                thumb = int(e.core.uc.reg_read(UC_ARM_REG_XPSR)) & THUMB_BIT
                e.exceptions.pend(USAGEFAULT, cfsr=UNDEFINSTR if thumb else INVSTATE)
            else:  # anything else no hook classified: a precise HardFault at the faulting PC
                e.exceptions.pend(HARDFAULT)

    def bus_fault(self, address: int) -> None:
        self._e.exceptions.pend(BUSFAULT, cfsr=PRECISERR | BFARVALID, bfar=address)
        self._e.core.stop(adjust=1)

    # -- memory traps --------------------------------------------------------------------------
    def on_prot(
        self, _uc: Any, access: int, address: int, size: int, value: int, _ud: object
    ) -> bool:
        e = self._e
        ns = e.flash.to_ns(address)
        if ns is not None and e.flash.tracking:  # read tracking (flash_array module doc)
            off = ns - e.flash.geometry.base
            e.flash.touch_cpu(off, size)  # shown at the slice's end (show_touched)
            need = _NEEDS.get(access)
            if need is not None and e.flash.allows(off, size, need):
                if access == UC_MEM_READ_PROT:
                    # measured: a read let through without ending the slice after it can
                    # complete with other bytes (as with a torn page below); a fetch is
                    # trapped while its block is translated, where a stop would miscount
                    e.core.stop_after_current()
                return True  # the page's own permissions let it complete
        if access == UC_MEM_FETCH_PROT:
            e.exceptions.pend(BUSFAULT, cfsr=IBUSERR)
            return False
        if ns is None:  # a store into ROM
            e.exceptions.pend(BUSFAULT, cfsr=PRECISERR | BFARVALID, bfar=address)
            return False
        e.core.access_address = address
        before = e.exceptions.pending
        controller = e.soc.peripheral(e.platform.roles.flash_controller)
        if access == UC_MEM_READ_PROT:
            if e.flash.read_faults(ns, size):
                controller.cpu_read_fault(ns)
            # Either way QEMU has now cached the page as readable (also when the access
            # faults), so the page must be re-protected before the CPU reads it again.
            self._reprotect.add(ns)
            if e.exceptions.pending is before:
                # the read completes with the cell contents: end the slice after it
                e.core.stop_after_current()
        elif access == UC_MEM_WRITE_PROT:
            controller.store_to_flash(ns, size, value & _MASKS.get(size, 0xFFFFFFFF))
        # returning False makes the access fault precisely (the model raised an exception);
        # True lets a read complete with the cell contents / drops the store into the array
        return e.exceptions.pending is before

    def on_unmapped(
        self, _uc: Any, access: int, address: int, size: int, value: int, _ud: object
    ) -> bool:
        if access != UC_MEM_FETCH_UNMAPPED and self._e.unmodelled.claim(self._e.core.uc, address):
            return True  # a block of the chip no model covers: mapped now, the access retries
        if access == UC_MEM_FETCH_UNMAPPED:
            self._e.exceptions.pend(BUSFAULT, cfsr=IBUSERR)
        else:
            self._e.exceptions.pend(BUSFAULT, cfsr=PRECISERR | BFARVALID, bfar=address)
        return False

    # -- CPU exceptions ------------------------------------------------------------------------
    def on_intr(self, _uc: Any, intno: int, _ud: object) -> None:
        e = self._e
        if intno == EXCP_EXCEPTION_EXIT:
            self.exception_return = True
            e.core.stop(adjust=0)
        elif intno == EXCP_SWI:
            e.exceptions.pend(SVCALL)
            e.core.stop(adjust=0)
        elif intno == EXCP_PREFETCH_ABORT:
            e.exceptions.pend(BUSFAULT, cfsr=IBUSERR)
            e.core.stop(adjust=0)
        elif intno == EXCP_DATA_ABORT:
            e.exceptions.pend(BUSFAULT, cfsr=PRECISERR)
            e.core.stop(adjust=1)
        elif intno == EXCP_BKPT:
            e.exceptions.pend(HARDFAULT, hfsr=HFSR_DEBUGEVT)
            e.core.stop(adjust=1)
        else:
            e.exceptions.pend(USAGEFAULT, cfsr=_USAGE.get(intno, UNDEFINSTR))
            e.core.stop(adjust=1)

    # -- symbols -------------------------------------------------------------------------------
    def _symbol_hit(self, address: int) -> bool:
        """Run the symbol hooks at ``address`` (CPU stopped before it); True if one halts."""
        self._hooked_pc = address
        for name, hook in self._e.symbol_hooks_at(address):
            if hook(name, address) and self.halted is None:
                self.halted = name
        return self.halted is not None
