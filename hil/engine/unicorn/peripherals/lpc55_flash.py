"""LPC55S69 flash controller (FLASH, NS 0x4003_4000 / S 0x5003_4000), driven directly.

Follows targets.md §2.2 (16-byte flash words, word numbers = byte address >> 4 on 18 bits,
512-byte pages as erase and program unit, erased raw value 0x00, erased pages fault on AHB
reads) and §2.3(b) (CMD 0x000, EVENT 0x004, STARTA 0x010, STOPA 0x014 inclusive, DATAW0-3
0x080-0x08C, INT_CLR_ENABLE 0xFD8, INT_SET_ENABLE 0xFDC, INT_STATUS 0xFE0 with FAIL b0 / ERR b1 /
DONE b2 / ECC_ERR b3, INT_ENABLE 0xFE4, INT_CLR_STATUS 0xFE8, INT_SET_STATUS 0xFEC, MODULE_ID
0xFFC; commands INIT 0, READ_SINGLE_WORD 3, ERASE_RANGE 4, BLANK_CHECK 5, WRITE 8, PROGRAM 12;
Hubris' status interpretation).

Flow: writing CMD clears DONE and starts the command. INIT, READ_SINGLE_WORD, BLANK_CHECK and
WRITE finish at once (DONE set in the same store). ERASE_RANGE takes ``erase_time_us`` per page
and PROGRAM ``program_time_us`` of virtual time; DONE (with FAIL if refused) is set when they
finish. Each erased page and each programmed page is announced with ``soc.flash_op`` before it
is checked (a power cut during a refused op leaves the array untouched). CPU stores to flash
and CPU reads of torn/erased pages keep the seam defaults (precise BusFault).

Modelling choices:
- Uncertain 15 (status on erased / half-programmed pages): READ_SINGLE_WORD of a word in an
  erased page or in a torn page sets ECC_ERR (not FAIL), with DONE, and returns the raw cells
  in DATAW0-3 (erased = 0x00); with DATAW0.b2 (ECC off) set on input it returns the raw cells
  and no ECC_ERR. It never faults. BLANK_CHECK: FAIL = 1 when any page of STARTA..STOPA is not
  erased (torn pages are not blank); DATAW0 = the first word number of the first non-blank page.
- Uncertain 17 (program without erase): PROGRAM into a page that is not erased sets FAIL and
  leaves the page untouched. A write-protected page (``is_write_protected``) gives FAIL too
  (erase and program); an ERASE_RANGE stops at the first protected page (earlier pages stay
  erased).
- Uncertain 14 (interrupted program): a torn program leaves the page with a random subset of
  the bits to be programmed set (raw erased 0x00 | (new & random)) and the whole page marked
  torn (reads fault). A torn erase leaves old & random in the page, marked torn.
- SET_READ_MODE (2; MCUX fsl_clock.c:372-385, CLOCK_SetFLASHAccessCyclesForFreq) keeps
  DATAW0[3:0] as the controller's read wait states (``read_wait_states``; assumed: 0 after
  reset, not in the sources) and finishes at once. The CPU's fetch timing is the SYSCON's
  FMCCR.FLASHTIM, which the SYSCON checks against the core clock.
- Uncertain 16: commands other than 0, 2, 3, 4, 5, 8, 12 give ERR (with DONE); so do a word number
  outside the array, STARTA > STOPA for a range command, and a command written while one is
  running (the running one continues).
- EVENT.ABORT (b2) aborts a running erase/program: the unit in progress is left torn and the
  command finishes with FAIL|DONE. EVENT.RST/WAKEUP are accepted and do nothing.
- After a reset the boot ROM has run INIT: INT_STATUS = DONE. The 512-byte page register
  starts as all-ones and keeps its contents after PROGRAM (assumed). A warm reset during an
  erase/program tears it like a power cut. MODULE_ID reads 0xC40F_0000 (assumed ID value).
- Interrupt (output ``flash``, on WDT_BOD_IRQn shared with the WWDT and the BOD, LPC:84):
  asserted while INT_STATUS & INT_ENABLE is non-zero (DONE = end of operation, FAIL/ERR =
  errors), re-evaluated after every register store and when an erase/program finishes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from hil.engine.base import FlashOpKind, ResetCause
from hil.engine.unicorn.peripheral import Soc, TearRun, register
from hil.engine.unicorn.peripherals._common import (
    RegisterPeripheral,
    apply_tear,
    merge,
    rng_copy,
)
from hil.platform.model import PeripheralSpec

CMD, EVENT, STARTA, STOPA = 0x000, 0x004, 0x010, 0x014
DATAW0 = 0x080
INT_CLR_ENABLE, INT_SET_ENABLE, INT_STATUS, INT_ENABLE = 0xFD8, 0xFDC, 0xFE0, 0xFE4
INT_CLR_STATUS, INT_SET_STATUS, MODULE_ID = 0xFE8, 0xFEC, 0xFFC

FAIL, ERR, DONE, ECC_ERR = 1, 1 << 1, 1 << 2, 1 << 3
INT_BITS = FAIL | ERR | DONE | ECC_ERR
EVENT_ABORT = 1 << 2
WORD_MASK = 0x3_FFFF
READ_ECC_OFF = 1 << 2
MODULE_ID_VALUE = 0xC40F_0000

CMD_INIT, CMD_SET_READ_MODE, CMD_READ_SINGLE_WORD, CMD_ERASE_RANGE, CMD_BLANK_CHECK = (
    0, 2, 3, 4, 5,
)  # fmt: skip
CMD_WRITE, CMD_PROGRAM = 8, 12

WORD = 16


@dataclass
class _Op:
    kind: FlashOpKind
    address: int
    size: int
    data: bytes | None
    valid: bool


@register
class Lpc55Flash(RegisterPeripheral):
    model = "lpc55_flash"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        self._geo = soc.platform.flash
        self._words = self._geo.size // WORD
        self._words_per_page = self._geo.page_size // WORD
        self._starta = 0
        self._stopa = 0
        self._dataw = [0, 0, 0, 0]
        self.read_wait_states = 0
        self._status = DONE
        self._enable = 0
        self._page_reg = bytearray(b"\xff" * self._geo.page_size)
        self._running = False
        self._inflight: _Op | None = None
        self._gen = 0
        self.power_on()

    # ------------------------------------------------------------------ life cycle

    def power_on(self) -> None:
        self._starta = self._stopa = 0
        self._dataw = [0, 0, 0, 0]
        self.read_wait_states = 0
        self._status = DONE
        self._enable = 0
        self._page_reg = bytearray(b"\xff" * self._geo.page_size)
        self._running = False
        self._inflight = None
        self._gen += 1

    def reset(self, cause: ResetCause) -> None:
        self.tear_in_flight()
        self.power_on()

    def flash_busy(self) -> bool:
        return self._inflight is not None

    def tear_in_flight(self) -> None:
        op = self._inflight
        if op is not None:
            self._inflight = None
            self._gen += 1
            self._running = False
            self._tear(op)

    def _tear_runs(self, op: _Op, rng: random.Random) -> list[TearRun]:
        """The write the torn ``op`` leaves (module doc)."""
        if not op.valid:
            return []
        old = int.from_bytes(self.soc.flash.read(op.address, op.size), "little")
        noise = rng.getrandbits(op.size * 8)
        if op.kind is FlashOpKind.ERASE:
            mix = old & noise
        else:
            new = int.from_bytes(op.data or bytes(op.size), "little")
            mix = old | (new & noise)
        return [(op.address, mix.to_bytes(op.size, "little"), True)]

    def _tear(self, op: _Op) -> None:
        apply_tear(self.soc.flash, self._tear_runs(op, self.soc.rng))

    def tear_preview(self) -> list[TearRun] | None:
        if self._inflight is None:
            return []
        return self._tear_runs(self._inflight, rng_copy(self.soc.rng))

    # ------------------------------------------------------------------ registers

    def read_reg(self, offset: int) -> int:
        if offset == STARTA:
            return self._starta
        if offset == STOPA:
            return self._stopa
        if DATAW0 <= offset < DATAW0 + 16:
            return self._dataw[(offset - DATAW0) // 4]
        if offset == INT_STATUS:
            return self._status
        if offset == INT_ENABLE:
            return self._enable
        if offset == MODULE_ID:
            return MODULE_ID_VALUE
        return 0  # CMD, EVENT and the set/clear registers are write-only

    def _update_irq(self) -> None:
        self.drive_irq("flash", bool(self._status & self._enable))

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        self._write(offset, value, mask)
        self._update_irq()

    def _write(self, offset: int, value: int, mask: int) -> None:
        v = value & mask
        if offset == CMD:
            self._command(v)
        elif offset == EVENT:
            if v & EVENT_ABORT and self._inflight is not None:
                self.tear_in_flight()
                self._status |= FAIL | DONE
        elif offset == STARTA:
            self._starta = merge(self._starta, value, mask) & WORD_MASK
        elif offset == STOPA:
            self._stopa = merge(self._stopa, value, mask) & WORD_MASK
        elif DATAW0 <= offset < DATAW0 + 16:
            i = (offset - DATAW0) // 4
            self._dataw[i] = merge(self._dataw[i], value, mask)
        elif offset == INT_CLR_ENABLE:
            self._enable &= ~v & INT_BITS
        elif offset == INT_SET_ENABLE:
            self._enable |= v & INT_BITS
        elif offset == INT_CLR_STATUS:
            self._status &= ~v & INT_BITS
        elif offset == INT_SET_STATUS:
            self._status |= v & INT_BITS

    # ------------------------------------------------------------------ commands

    def _addr(self, word: int) -> int:
        return self._geo.base + word * WORD

    def _page_of(self, word: int) -> int:
        return word // self._words_per_page

    def _command(self, cmd: int) -> None:
        if self._running:
            self._status |= ERR
            return
        self._status &= ~DONE
        if cmd == CMD_INIT:
            self._status |= DONE
        elif cmd == CMD_SET_READ_MODE:
            self.read_wait_states = self._dataw[0] & 0xF
            self._status |= DONE
        elif cmd == CMD_READ_SINGLE_WORD:
            self._read_single_word()
        elif cmd == CMD_ERASE_RANGE:
            if self._starta > self._stopa or self._stopa >= self._words:
                self._status |= ERR | DONE
                return
            first, last = self._page_of(self._starta), self._page_of(self._stopa)
            self._running = True
            self._erase_step(list(range(first, last + 1)), 0)
        elif cmd == CMD_BLANK_CHECK:
            self._blank_check()
        elif cmd == CMD_WRITE:
            row = self._starta % self._words_per_page
            data = b"".join(w.to_bytes(4, "little") for w in self._dataw)
            self._page_reg[row * WORD : (row + 1) * WORD] = data
            self._status |= DONE
        elif cmd == CMD_PROGRAM:
            if self._starta >= self._words:
                self._status |= ERR | DONE
                return
            self._running = True
            self._program(self._page_of(self._starta))
        else:
            self._status |= ERR | DONE

    def _read_single_word(self) -> None:
        word = self._starta
        if word >= self._words:
            self._status |= ERR | DONE
            return
        flash = self.soc.flash
        address = self._addr(word)
        raw = flash.read(address, WORD)
        bad = flash.is_erased_page(self._page_of(word)) or flash.is_torn(address, WORD)
        if bad and not self._dataw[0] & READ_ECC_OFF:
            self._status |= ECC_ERR
        self._dataw = [int.from_bytes(raw[i : i + 4], "little") for i in range(0, WORD, 4)]
        self._status |= DONE

    def _blank_check(self) -> None:
        if self._starta > self._stopa or self._stopa >= self._words:
            self._status |= ERR | DONE
            return
        flash = self.soc.flash
        for page in range(self._page_of(self._starta), self._page_of(self._stopa) + 1):
            if not flash.is_erased_page(page):
                self._status |= FAIL
                self._dataw[0] = page * self._words_per_page
                break
        self._status |= DONE

    def _start(self, op: _Op, duration_us: int, complete: Callable[[], None]) -> None:
        """Announce ``op``; if refused finish with FAIL, else complete after the duration."""
        self._inflight = op
        if not self.soc.flash_op(op.kind, op.address, op.size):
            if self._inflight is op:
                self.tear_in_flight()
            return
        if not op.valid:
            self._inflight = None
            self._running = False
            self._status |= FAIL | DONE
            return
        gen = self._gen

        def done() -> None:
            if gen == self._gen:
                self._inflight = None
                complete()
                self._update_irq()

        t = self.soc.us_to_instructions(duration_us)
        self.soc.schedule(self.soc.instructions + t, done)

    def _finish(self) -> None:
        self._running = False
        self._status |= DONE

    def _erase_step(self, pages: list[int], i: int) -> None:
        page = pages[i]
        address = self._geo.base + page * self._geo.page_size
        valid = not self.soc.flash.is_write_protected(address)
        op = _Op(FlashOpKind.ERASE, address, self._geo.page_size, None, valid)

        def complete() -> None:
            self.soc.flash.erase_page(page)
            if i + 1 < len(pages):
                self._erase_step(pages, i + 1)
            else:
                self._finish()

        self._start(op, self._geo.erase_time_us, complete)

    def _program(self, page: int) -> None:
        flash = self.soc.flash
        address = self._geo.base + page * self._geo.page_size
        data = bytes(self._page_reg)
        valid = flash.is_erased_page(page) and not flash.is_write_protected(address)
        op = _Op(FlashOpKind.PROGRAM, address, self._geo.page_size, data, valid)

        def complete() -> None:
            flash.write_raw(address, data)
            self._finish()

        self._start(op, self._geo.program_time_us, complete)
