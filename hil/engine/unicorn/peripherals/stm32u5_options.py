"""STM32U585 option bytes, as the flash controller (``stm32u5_flash``) exposes them.

Three copies of each option register (OPTR 0x40, NSBOOTADD0R 0x44, NSBOOTADD1R 0x48,
SECBOOTADD0R 0x4C, SECWM1R1/R2 0x50/0x54, WRP1AR/BR 0x58/0x5C, SECWM2R1/R2 0x60/0x64,
WRP2AR/BR 0x68/0x6C):

- *stored*: the option bytes in flash. They live in the flash array (``soc.flash.options``), so
  they survive power cycles like flash and are part of flash snapshots; unset = factory value.
- *loaded*: what the chip runs with. Loaded from the stored bytes at power-on and at the reset
  that OBL_LAUNCH causes (option byte loading), and only then: e.g. OPTR.SWAP_BANK remaps the
  banks (``soc.flash.set_banks_swapped``) at that point, and the flash controller's bank
  addressing (BKER, ECCR/OPSR bank bits) follows the loaded value.
- *registers*: what firmware reads and writes. Every reset sets them to the loaded values.

Sequence (S32D flash_u5.yaml NSCR.OPTSTRT / OBL_LAUNCH / OPTLOCK descriptions): with NSCR.LOCK
and then OPTLOCK cleared (OPTKEYR keys, in ``stm32u5_flash``), stores to the option registers
are kept (while OPTLOCK is set they are ignored: assumed, the RM's write-protection of the option
registers); NSCR.OPTSTRT starts programming them into the stored copy: BSY is set, OPTSTRT stays
set until BSY clears, the operation is announced as a flash operation (kind program, address of
FLASH_OPTR) so fault plans can cut it, and it takes one page erase plus one program
(assumed: RM0456 gives no duration). NSCR.OBL_LAUNCH (OPTLOCK clear, not busy) requests the
option-byte-loading reset: ``ResetCause.OPTION_BYTES``, which sets RCC_CSR.OBLRSTF.

A cut (power-off, brownout or reset) while OPTSTRT is in flight: OPSR records CODE_OP 6 (option
change interrupted, S32D enum) and the stored option bytes are torn: each bit that was to change
keeps its old value or takes the new one (seeded). Assumed: RM0456's text on an interrupted
option change was not available; the closest sourced statement (RM0444, STM32G0) says the
option bytes then load with values that are neither old nor new. The next option byte loading
uses whatever was stored.
"""

from __future__ import annotations

from collections.abc import Callable

from hil.engine.base import FlashOpKind, ResetCause
from hil.engine.unicorn.peripheral import Soc
from hil.engine.unicorn.peripherals._common import merge

OPTR = 0x40
REGISTERS = tuple(range(0x40, 0x70, 4))
SWAP_BANK = 1 << 20
CODE_OPTION_CHANGE = 6


class OptionBytes:
    def __init__(self, soc: Soc, factory: dict[int, int], base: int) -> None:
        self._soc = soc
        self._factory = {off: factory.get(off, 0) for off in REGISTERS}
        self._address = base + OPTR  # what the flash operation announces
        self.loaded = dict(self._factory)
        self.regs = dict(self._factory)
        self._inflight: dict[int, int] | None = None  # the values being programmed
        self._gen = 0

    # -- copies ---------------------------------------------------------------------------------
    def stored(self) -> dict[int, int]:
        stored = self._soc.flash.options
        return {off: stored.get(off, v) for off, v in self._factory.items()}

    def _store(self, values: dict[int, int]) -> None:
        options = self._soc.flash.options
        options.clear()
        options.update({o: v for o, v in values.items() if v != self._factory[o]})

    @property
    def swapped(self) -> bool:
        """The banks are swapped (the loaded OPTR.SWAP_BANK)."""
        return bool(self.loaded[OPTR] & SWAP_BANK)

    def load(self) -> None:
        """Option byte loading: power-on or the OBL_LAUNCH reset."""
        self.loaded = self.stored()
        self.regs = dict(self.loaded)
        self._soc.flash.set_banks_swapped(self.swapped)

    # -- life cycle ---------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._inflight is not None

    def reset(self, cause: ResetCause) -> int | None:
        """A reset; returns the OPSR record if it interrupted an option change."""
        record = self.tear()
        if cause is ResetCause.OPTION_BYTES:
            self.load()
        self.regs = dict(self.loaded)
        return record

    def tear(self) -> int | None:
        """Power cut or reset during an option change: leave the torn stored copy."""
        if self._inflight is None:
            return None
        new, old = self._inflight, self.stored()
        rng = self._soc.rng
        torn = {}
        for off in REGISTERS:
            changing = old[off] ^ new[off]
            take = changing & rng.getrandbits(32)
            torn[off] = (old[off] & ~take) | (new[off] & take)
        self._store(torn)
        self._inflight = None
        self._gen += 1
        return (CODE_OPTION_CHANGE << 29) & 0xFFFF_FFFF

    # -- registers ----------------------------------------------------------------------------
    def read(self, offset: int) -> int:
        return self.regs[offset]

    def write(self, offset: int, value: int, mask: int, unlocked: bool) -> None:
        if unlocked and not self.busy:
            self.regs[offset] = merge(self.regs[offset], value, mask)

    def start(self, done: Callable[[], None], duration_us: int) -> bool:
        """OPTSTRT: program the registers into the stored copy. False if the power was cut
        during it (the caller must not complete anything)."""
        values = dict(self.regs)
        self._inflight = values
        if not self._soc.flash_op(FlashOpKind.PROGRAM, self._address, 4 * len(REGISTERS)):
            return False
        gen = self._gen

        def finish() -> None:
            if gen != self._gen or self._inflight is not values:
                return
            self._store(values)
            self._inflight = None
            done()

        soc = self._soc
        soc.schedule(soc.instructions + soc.us_to_instructions(duration_us), finish)
        return True
