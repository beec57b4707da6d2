"""STM32U585 embedded-flash controller (FLASH, NS 0x4002_2000 / S 0x5002_2000).

Follows targets.md §1.2 (array behaviour: quad-word program, overwrite rule, 8 KB pages, ECC,
OPSR) and §1.3 (register offsets and bits, unlock keys, LOCK semantics, STRT rule, status-bit
clearing, EOP gating, BSY/WDW, ECCR, OPTR fields).

Registers: ACR 0x00, NSKEYR 0x08, SECKEYR 0x0C, OPTKEYR 0x10, PDKEY1R/PDKEY2R 0x18/0x1C,
NSSR 0x20, SECSR 0x24, NSCR 0x28, SECCR 0x2C, ECCR 0x30, OPSR 0x34, OPTR 0x40; every other
offset in the window is plain storage (boot addresses, watermarks, WRP... not interpreted).

Modelling choices (for the README):

- Uncertain 3 (ADDR_ECC encoding): ECCR.ADDR_ECC holds the bank-relative *byte* offset of the
  failing quad-word (16-byte aligned, 0x0_0000-0xF_FFF0), the same encoding OPSR.ADDR_OP
  documents. BK_ECC is the bank, SYSF_ECC stays 0.
- Uncertain 2 / 1: the NMI is raised precisely (stacked PC = the faulting load). It is raised
  on every double-ECC read even when ECCC/ECCD were already set (the ECCR fields only latch
  when both were clear, as documented). The data value returned is the core's business.
- Uncertain 4 (what an interrupted op leaves): torn erase = each quad-word of the page
  independently (``soc.rng``) becomes erased, keeps its old data, or becomes a torn unit holding
  a random half-erased mix (old | random) marked ECC-torn. Torn program = each quad-word
  programmed gets old & (new | random) (only 1->0 transitions, a random subset of them) and is
  marked torn. Deterministic for a given seed and history.
- Uncertain 5 (PNB width): PNB is PNB[9:3], 7 bits, as in the U585 CMSIS header (the width is
  derived from the geometry: pages per bank = 128 -> 7 bits). Bit 10 is reserved: it does not
  stick in NSCR/SECCR.
- Uncertain 6 (NS EOP gating): NSSR.EOP is gated by NSCR.EOPIE exactly like SECSR.EOP by
  SECCR.EOPIE (as Renode's WBA model does). OPERR is never produced by this model.
- Uncertain 7 (PGSERR conditions): PGSERR is set for STRT with PER/MER1/MER2 all clear; STRT
  together with PG; STRT or a flash store while an operation is in flight (BSY) or while a
  quad-word is half-written (WDW); a flash store while PG is clear or while the domain is
  LOCKed (so "program while locked" = PGSERR: PG cannot be set while locked anyway); a store
  with PG and PER/MER set together; clearing PG while a quad-word is half-written (the partial
  quad-word is dropped). Burst programming (BWR) is supported with 128-byte alignment.
- Write access while locked: a write to NSCR/SECCR while its LOCK is set is ignored entirely
  (no flag), so an erase attempt while locked does nothing and sets nothing.
- Key sequence: a wrong key (or a key written with a byte/half-word store) while LOCK is set
  latches "locked until reset": LOCK stays set and later correct keys are ignored until the
  next reset. Keys written while already unlocked are ignored. OPTKEYR works the same way for
  OPTLOCK and only counts when NSCR.LOCK is clear.
- Uncertain 8 (TZEN=0, secure registers): SECKEYR/SECCR/SECSR form a second control domain
  identical to the NS one. A flash store is programmed by the domain whose CR has PG set (NS
  first); if neither has PG, the error goes to SECSR for a store through the secure alias and
  to NSSR otherwise. BSY and WDW are mirrored in both status registers.
- Announce then check: every operation the controller starts is announced with
  ``soc.flash_op`` before the WRPERR/PROGERR checks (as the core's fault hooks count ops); a
  power cut during an op the controller then refuses leaves the array untouched (only OPSR
  records it). Erase checks write protection on the page's first byte.
- Bank erase (MER1/MER2) is a sequence of page erases, each announced and each taking
  ``erase_time_us``; a write-protected page stops it with WRPERR.
- OPSR (no RM text seen): rewritten at every reset and power-on with the operation *that*
  reset or power cut interrupted (CODE_OP/ADDR_OP/BK_OP, ADDR_OP bank-relative), or 0 when none
  was (the SVD enum for CODE_OP = 0 reads "No Flash operation interrupted by previous reset").
  So a record made by a power cut survives the following power-on, and a later reset that
  interrupts nothing clears it. A warm reset during an op tears it like a power cut.
- Option bytes (``stm32u5_options``): OPTR's factory value is assembled from the documented
  fields (RDP=0xAA, BOR_LEV=0, nRST_*=1, SRAM_RST=1, IWDG_SW/STOP/STDBY=1, WWDG_SW=1,
  SWAP_BANK=0, DUALBANK=1, ECC/SRAM2_RST/nSWBOOT0/nBOOT0/PA15_PUPEN=1, TZEN=0) = 0x1FEFF0AA
  (uncertain 11; ``params.optr`` overrides). OPTR and the other option registers are writable
  while OPTLOCK is clear, OPTSTRT programs them (BSY), OBL_LAUNCH loads them with a reset; the
  loaded SWAP_BANK swaps the banks in the memory map and in BKER/ECCR/OPSR bank addressing.
- ACR (LATENCY[3:0] STC:8601, PRFTEN, LPM, PDREQx, SLEEP_PD) is storage and reads back what
  was written, as the HAL's wait-state check needs; a write makes the clock-tree model
  (``params.clocks``, default "rcc") re-check LATENCY against HCLK (stm32u5_rcc); wait states
  do not slow the core (assumed:
  one instruction per cycle at any clock).
- Interrupts (outputs ``ns`` = FLASH_IRQn, ``sec`` = FLASH_S_IRQn; STC:8737-8740 EOPIE b24 /
  ERRIE b25, STC:8640 OPERR b1): a domain's line is asserted while its CR.EOPIE and SR.EOP, or
  CR.ERRIE and SR.OPERR. OPERR is set when an operation the domain started ends with an error
  (PROGERR, WRPERR, PGSERR... set by that operation) while ERRIE is set (RM0456 NSSR.OPERR: "set
  only if error interrupts are enabled"). ECCIE (ECC correction) never fires: single-bit
  corrections are not modelled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hil.engine.base import FlashOpKind, ResetCause
from hil.engine.unicorn.peripheral import Exc, Soc, TearRun, register
from hil.engine.unicorn.peripherals._common import (
    RegisterPeripheral,
    apply_tear,
    merge,
    notify_clock_tree,
    param_int,
    rng_copy,
)
from hil.engine.unicorn.peripherals.stm32u5_options import REGISTERS as OPTION_REGISTERS
from hil.engine.unicorn.peripherals.stm32u5_options import OptionBytes
from hil.platform.model import PeripheralSpec

ACR, NSKEYR, SECKEYR, OPTKEYR = 0x00, 0x08, 0x0C, 0x10
NSSR, SECSR, NSCR, SECCR, ECCR, OPSR, OPTR = 0x20, 0x24, 0x28, 0x2C, 0x30, 0x34, 0x40

KEY1, KEY2 = 0x4567_0123, 0xCDEF_89AB
OPTKEY1, OPTKEY2 = 0x0819_2A3B, 0x4C5D_6E7F

# SR bits
EOP, OPERR, PROGERR, WRPERR = 1, 1 << 1, 1 << 3, 1 << 4
PGAERR, SIZERR, PGSERR, OPTWERR = 1 << 5, 1 << 6, 1 << 7, 1 << 13
BSY, WDW = 1 << 16, 1 << 17
SR_W1C = EOP | OPERR | PROGERR | WRPERR | PGAERR | SIZERR | PGSERR | OPTWERR

# CR bits
PG, PER, MER1, BKER, BWR, MER2, STRT = 1, 1 << 1, 1 << 2, 1 << 11, 1 << 14, 1 << 15, 1 << 16
OPTSTRT, EOPIE, ERRIE, RDERRIE = 1 << 17, 1 << 24, 1 << 25, 1 << 26
OBL_LAUNCH, INV = 1 << 27, 1 << 29
OPTLOCK, LOCK = 1 << 30, 1 << 31
PNB_SHIFT = 3

# ECCR bits
ECCIE, ECCC, ECCD, BK_ECC = 1 << 24, 1 << 30, 1 << 31, 1 << 21

# OPSR
CODE_SINGLE_WRITE, CODE_BURST_WRITE, CODE_PAGE_ERASE = 1, 2, 3
CODE_BANK_ERASE, CODE_MASS_ERASE = 4, 5
BK_OP = 1 << 21

OPTR_FACTORY = 0x1FEF_F0AA

NS, SEC = 0, 1


@dataclass
class _Domain:
    """NSx or SECx registers: key state machine, control register, own status bits."""

    cr_reset: int
    cr_writable: int
    cr: int = 0
    sr: int = 0  # EOP and error bits (BSY/WDW are shared and added on read)
    key_stage: int = 0
    key_latched: bool = False

    def reset(self) -> None:
        self.cr = self.cr_reset
        self.sr = 0
        self.key_stage = 0
        self.key_latched = False


@dataclass
class _Op:
    kind: FlashOpKind
    address: int  # absolute NS address
    size: int
    code: int  # OPSR.CODE_OP
    data: bytes | None  # program data
    valid: bool  # False: the controller refuses it after announcing (WRPERR / PROGERR)


@register
class Stm32u5Flash(RegisterPeripheral):
    model = "stm32u5_flash"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        geo = soc.platform.flash
        self._geo = geo
        self._region = soc.platform.region(geo.region)
        self._pages_per_bank = geo.bank_size // geo.page_size
        self._pnb_mask = ((1 << max(1, (self._pages_per_bank - 1).bit_length())) - 1) << PNB_SHIFT
        common = PG | PER | MER1 | self._pnb_mask | BKER | BWR | MER2 | STRT | EOPIE | ERRIE | LOCK
        self._dom = (
            _Domain(LOCK | OPTLOCK, common | OPTSTRT | OBL_LAUNCH | OPTLOCK),
            _Domain(LOCK, common | RDERRIE | INV),
        )
        self._options = OptionBytes(soc, {OPTR: param_int(spec, "optr", OPTR_FACTORY)}, spec.base)
        self._storage: dict[int, int] = {}
        self._acr = 0
        self._eccr = 0
        self._opsr = 0
        self._opt_stage = 0
        self._opt_latched = False
        self._busy = False
        self._buf_addr: int | None = None
        self._buf_words: list[int] = []
        self._buf_unit = 16
        self._buf_domain = NS
        self._inflight: _Op | None = None
        self._cut_record: int | None = None
        self._gen = 0
        self._reset_registers()

    # ------------------------------------------------------------------ life cycle

    def _reset_registers(self) -> None:
        for d in self._dom:
            d.reset()
        self._storage.clear()
        self._acr = 0
        self._eccr = 0
        self._opt_stage = 0
        self._opt_latched = False
        self._busy = False
        self._drop_buffer()
        self._inflight = None
        self._gen += 1

    def power_on(self) -> None:
        self._reset_registers()
        self._options.load()
        self._opsr = self._cut_record if self._cut_record is not None else 0
        self._cut_record = None

    def reset(self, cause: ResetCause) -> None:
        record = 0
        if self._inflight is not None:
            record = self._tear(self._inflight)
        option_record = self._options.reset(cause)
        if option_record is not None:
            record = option_record
        self._cut_record = None
        self._reset_registers()
        self._opsr = record

    def flash_busy(self) -> bool:
        return self._inflight is not None

    def tear_in_flight(self) -> None:
        if self._inflight is not None:
            self._cut_record = self._tear(self._inflight)
            self._inflight = None
            self._gen += 1
        option_record = self._options.tear()
        if option_record is not None:
            self._cut_record = option_record
            self._busy = False

    # ------------------------------------------------------------------ addressing

    def _to_ns(self, address: int) -> int:
        r = self._region
        for alias in r.aliases:
            if alias <= address < alias + r.size:
                return address - alias + r.base
        return address

    def _in_secure_alias(self, address: int) -> bool:
        r = self._region
        return any(a <= address < a + r.size for a in r.aliases)

    def _bank_of(self, ns_address: int) -> tuple[int, int]:
        """(bank index 0/1, bank-relative byte offset) of an NS flash address."""
        off = ns_address - self._geo.base
        bank = off // self._geo.bank_size
        if self._options.swapped:  # SWAP_BANK: logical bank 1 is physical bank 2
            bank ^= 1
        return bank, off % self._geo.bank_size

    def _opsr_value(self, op: _Op) -> int:
        bank, rel = self._bank_of(op.address)
        return (op.code << 29) | (BK_OP if bank else 0) | (rel & 0xF_FFF0)

    # ------------------------------------------------------------------ registers

    def latency(self) -> int:
        """FLASH_ACR.LATENCY: the wait states of CPU reads (the RCC checks it against HCLK)."""
        return self._acr & 0xF

    def read_reg(self, offset: int) -> int:
        if offset == ACR:
            return self._acr
        if offset in (NSKEYR, SECKEYR, OPTKEYR, 0x18, 0x1C):
            return 0
        if offset in (NSSR, SECSR):
            d = self._dom[NS if offset == NSSR else SEC]
            op = self._inflight
            writing = self._buf_addr is not None or (
                op is not None and op.kind is FlashOpKind.PROGRAM
            )
            shared = (BSY if self._busy else 0) | (WDW if writing else 0)
            return d.sr | shared
        if offset in (NSCR, SECCR):
            return self._dom[NS if offset == NSCR else SEC].cr
        if offset == ECCR:
            return self._eccr
        if offset == OPSR:
            return self._opsr
        if offset in OPTION_REGISTERS:
            return self._options.read(offset)
        return self._storage.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == ACR:
            self._acr = merge(self._acr, value, mask) & 0x0000_790F
            notify_clock_tree(self.soc, str(self.spec.params.get("clocks", "rcc")))
        elif offset in (NSKEYR, SECKEYR):
            self._key(self._dom[NS if offset == NSKEYR else SEC], value, mask)
        elif offset == OPTKEYR:
            self._optkey(value, mask)
        elif offset in (0x18, 0x1C, OPSR):
            pass  # power-down keys, read-only OPSR
        elif offset in OPTION_REGISTERS:
            self._options.write(offset, value, mask, not self._dom[NS].cr & OPTLOCK)
        elif offset in (NSSR, SECSR):
            self._dom[NS if offset == NSSR else SEC].sr &= ~(value & mask & SR_W1C)
            self._update_irqs()
        elif offset in (NSCR, SECCR):
            self._write_cr(NS if offset == NSCR else SEC, value, mask)
            self._update_irqs()
        elif offset == ECCR:
            self._eccr &= ~(value & mask & (ECCC | ECCD))
            self._eccr = (self._eccr & ~ECCIE) | (merge(self._eccr, value, mask) & ECCIE)
        else:
            self._storage[offset] = merge(self._storage.get(offset, 0), value, mask)

    def _key(self, d: _Domain, value: int, mask: int) -> None:
        if not d.cr & LOCK:
            return
        if d.key_latched:
            return
        if mask == 0xFFFF_FFFF and d.key_stage == 0 and value == KEY1:
            d.key_stage = 1
        elif mask == 0xFFFF_FFFF and d.key_stage == 1 and value == KEY2:
            d.key_stage = 0
            d.cr &= ~LOCK
        else:
            d.key_stage = 0
            d.key_latched = True

    def _optkey(self, value: int, mask: int) -> None:
        ns = self._dom[NS]
        if not ns.cr & OPTLOCK or ns.cr & LOCK or self._opt_latched:
            return
        if mask == 0xFFFF_FFFF and self._opt_stage == 0 and value == OPTKEY1:
            self._opt_stage = 1
        elif mask == 0xFFFF_FFFF and self._opt_stage == 1 and value == OPTKEY2:
            self._opt_stage = 0
            ns.cr &= ~OPTLOCK
        else:
            self._opt_stage = 0
            self._opt_latched = True

    def _write_cr(self, which: int, value: int, mask: int) -> None:
        d = self._dom[which]
        if d.cr & LOCK:
            return  # the register is locked: writes are ignored
        old = d.cr
        new = merge(old, value, mask) & d.cr_writable
        new |= old & (LOCK | OPTLOCK)  # set-only bits
        new = self._option_bits(which, old, new)
        start = bool(new & STRT) and not old & STRT
        if old & STRT:
            new |= STRT  # STRT is cleared by hardware only
        elif not start:
            new &= ~STRT
        d.cr = new
        pending = self._buf_addr is not None and self._buf_domain == which
        if old & PG and not new & PG and pending:
            self._drop_buffer()
            d.sr |= PGSERR
        if new & LOCK and pending:
            self._drop_buffer()
        if start:
            self._start_erase(which)

    def _option_bits(self, which: int, old: int, new: int) -> int:
        """OPTSTRT and OBL_LAUNCH (NS domain only; neither can be written while OPTLOCK is
        set). OPTSTRT stays set until its BSY ends; OBL_LAUNCH until the reset it requests."""
        if which != NS or old & OPTLOCK:
            return new & ~(OPTSTRT | OBL_LAUNCH)
        if new & OPTSTRT and not old & OPTSTRT:
            if self._busy or self._buf_addr is not None:
                self._dom[NS].sr |= PGSERR
                new &= ~OPTSTRT
            else:
                self._busy = True
                geo = self._geo
                if not self._options.start(
                    self._options_done, geo.erase_time_us + geo.program_time_us
                ):
                    return new
        new |= old & OPTSTRT  # cleared by hardware only
        if new & OBL_LAUNCH and not old & OBL_LAUNCH:
            if self._busy:
                new &= ~OBL_LAUNCH  # assumed: ignored while an operation is in flight
            else:
                self.soc.request_reset(ResetCause.OPTION_BYTES)
        return new

    def _options_done(self) -> None:
        d = self._dom[NS]
        self._busy = False
        d.cr &= ~OPTSTRT
        if d.cr & EOPIE:
            d.sr |= EOP

    # ------------------------------------------------------------------ erase

    def _start_erase(self, which: int) -> None:
        d = self._dom[which]
        cr = d.cr
        if self._busy or self._buf_addr is not None or cr & PG or not cr & (PER | MER1 | MER2):
            d.sr |= PGSERR
            d.cr &= ~STRT
            return
        ppb = self._pages_per_bank
        if cr & PER:
            bank = 1 if cr & BKER else 0
            pages = [bank * ppb + ((cr & self._pnb_mask) >> PNB_SHIFT)]
            code = CODE_PAGE_ERASE
        else:
            pages = []
            if cr & MER1:
                pages += range(0, ppb)
            if cr & MER2 and self._geo.banks > 1:
                pages += range(ppb, 2 * ppb)
            code = CODE_MASS_ERASE if cr & MER1 and cr & MER2 else CODE_BANK_ERASE
        if self._options.swapped and self._geo.banks > 1:  # physical -> logical with SWAP_BANK
            pages = [(p + ppb) % (2 * ppb) for p in pages]
        self._busy = True
        self._erase_step(which, pages, 0, code)

    def _erase_step(self, which: int, pages: list[int], i: int, code: int) -> None:
        geo = self._geo
        page = pages[i]
        address = geo.base + page * geo.page_size
        valid = not self.soc.flash.is_write_protected(address)
        op = _Op(FlashOpKind.ERASE, address, geo.page_size, code, None, valid)
        self._inflight = op
        if not self.soc.flash_op(FlashOpKind.ERASE, address, geo.page_size):
            if self._inflight is op:
                self.tear_in_flight()
            return
        if not valid:
            self._inflight = None
            self._finish(which, WRPERR)
            return
        gen = self._gen

        def done() -> None:
            if gen != self._gen:
                return
            self.soc.flash.erase_page(page)
            self._inflight = None
            if i + 1 < len(pages):
                self._erase_step(which, pages, i + 1, code)
            else:
                self._finish(which, 0)

        t = self.soc.us_to_instructions(geo.erase_time_us)
        self.soc.schedule(self.soc.instructions + t, done)

    def _finish(self, which: int, error: int) -> None:
        d = self._dom[which]
        self._busy = False
        d.cr &= ~STRT
        if error:
            d.sr |= error | (OPERR if d.cr & ERRIE else 0)
        elif d.cr & EOPIE:
            d.sr |= EOP
        self._update_irqs()

    def _update_irqs(self) -> None:
        for which, name in ((NS, "ns"), (SEC, "sec")):
            d = self._dom[which]
            level = d.cr & EOPIE and d.sr & EOP or d.cr & ERRIE and d.sr & OPERR
            self.drive_irq(name, bool(level))

    # ------------------------------------------------------------------ program

    def _drop_buffer(self) -> None:
        self._buf_addr = None
        self._buf_words = []

    def store_to_flash(self, address: int, size: int, value: int) -> None:
        ns_addr = self._to_ns(address)
        which = NS if self._dom[NS].cr & PG else SEC if self._dom[SEC].cr & PG else -1
        if which < 0:
            which = SEC if self._in_secure_alias(address) else NS
        d = self._dom[which]
        if self._busy or d.cr & LOCK or not d.cr & PG or d.cr & (PER | MER1 | MER2):
            d.sr |= PGSERR
            self._drop_buffer()
            return
        if size != 4:
            d.sr |= SIZERR
            self._drop_buffer()
            return
        if self._buf_addr is None:
            unit = 128 if d.cr & BWR else 16
            if ns_addr % unit:
                d.sr |= PGAERR
                return
            self._buf_addr, self._buf_words = ns_addr, []
            self._buf_unit, self._buf_domain = unit, which
        elif ns_addr != self._buf_addr + 4 * len(self._buf_words) or which != self._buf_domain:
            d.sr |= PGAERR
            self._drop_buffer()
            return
        self._buf_words.append(value & 0xFFFF_FFFF)
        if 4 * len(self._buf_words) == self._buf_unit:
            qw_addr = self._buf_addr
            data = b"".join(w.to_bytes(4, "little") for w in self._buf_words)
            self._drop_buffer()
            self._program(which, qw_addr, data)

    def _program_error(self, address: int, data: bytes) -> int:
        flash = self.soc.flash
        if any(flash.is_write_protected(address + o) for o in range(0, len(data), 16)):
            return WRPERR
        old = flash.read(address, len(data))
        for o in range(0, len(data), 16):
            if old[o : o + 16] != b"\xff" * 16 and data[o : o + 16] != bytes(16):
                return PROGERR
        return 0

    def _program(self, which: int, address: int, data: bytes) -> None:
        error = self._program_error(address, data)
        code = CODE_BURST_WRITE if len(data) > 16 else CODE_SINGLE_WRITE
        op = _Op(FlashOpKind.PROGRAM, address, len(data), code, data, error == 0)
        self._inflight = op
        self._busy = True
        if not self.soc.flash_op(FlashOpKind.PROGRAM, address, len(data)):
            if self._inflight is op:
                self.tear_in_flight()
            return
        if error:
            self._inflight = None
            self._finish(which, error)
            return
        gen = self._gen

        def done() -> None:
            if gen != self._gen:
                return
            self.soc.flash.write_raw(address, data)
            self._inflight = None
            self._finish(which, 0)

        t = self.soc.us_to_instructions(self._geo.program_time_us)
        self.soc.schedule(self.soc.instructions + t, done)

    # ------------------------------------------------------------------ tearing and ECC

    def _tear_runs(self, op: _Op, rng: random.Random) -> list[TearRun]:
        """The writes the torn ``op`` leaves (module doc), in order."""
        flash = self.soc.flash
        runs: list[TearRun] = []
        if op.valid and op.kind is FlashOpKind.ERASE:
            old = flash.read(op.address, op.size)
            for o in range(0, op.size, 16):
                fate = rng.randrange(3)
                if fate == 0:
                    runs.append((op.address + o, b"\xff" * 16, False))
                elif fate == 2:
                    mix = int.from_bytes(old[o : o + 16], "little") | rng.getrandbits(128)
                    runs.append((op.address + o, mix.to_bytes(16, "little"), True))
        elif op.valid and op.data is not None:
            old = flash.read(op.address, op.size)
            for o in range(0, op.size, 16):
                a = int.from_bytes(old[o : o + 16], "little")
                n = int.from_bytes(op.data[o : o + 16], "little")
                mix = a & (n | rng.getrandbits(128))
                runs.append((op.address + o, mix.to_bytes(16, "little"), True))
        return runs

    def _tear(self, op: _Op) -> int:
        """Leave the torn state of ``op`` in the array; returns its OPSR record."""
        apply_tear(self.soc.flash, self._tear_runs(op, self.soc.rng))
        self._busy = False
        return self._opsr_value(op)

    def tear_preview(self) -> list[TearRun] | None:
        if self._options.busy:
            return None  # an option change tears the option bytes (not previewed)
        if self._inflight is None:
            return []
        return self._tear_runs(self._inflight, rng_copy(self.soc.rng))

    def cpu_read_fault(self, address: int) -> None:
        if not self._eccr & (ECCC | ECCD):
            bank, rel = self._bank_of(self._to_ns(address))
            self._eccr = (self._eccr & ECCIE) | ECCD | (BK_ECC if bank else 0) | (rel & 0xF_FFF0)
        self.soc.raise_exception(Exc.NMI)
