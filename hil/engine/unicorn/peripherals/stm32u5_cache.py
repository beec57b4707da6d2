"""STM32U585 instruction and data caches: ICACHE (NS 0x4003_0400) and DCACHE1 (0x4003_1400).

Registers (CMSIS ``ICACHE_TypeDef`` / ``DCACHE_TypeDef``): CR 0x00, SR 0x04, IER 0x08, FCR 0x0C,
ICACHE: HMONR 0x10, MMONR 0x14, CRR0..3 0x20..0x2C; DCACHE: RHMONR 0x10, RMMONR 0x14,
WHMONR 0x20, WMMONR 0x24, CMDRSADDRR 0x28, CMDREADDRR 0x2C.

What firmware can observe, modelled: CR.EN enables the cache; CR.CACHEINV (ICACHE, DCACHE)
starts a full invalidation: SR.BUSYF rises, the bit reads back 0 (self-clearing), and after
``params.invalidate_cycles`` core cycles BUSYF falls and BSYENDF rises. DCACHE: CR.STARTCMD with
CACHECMD (clean / invalidate / clean+invalidate a range) sets BUSYCMDF, then CMDENDF. FCR
(write 1) clears BSYENDF (bit 1), ERRF (bit 2) and, DCACHE, CMDENDF (bit 4). After every reset
the hardware invalidates the cache by itself: BUSYF is set at reset and falls the same way.
Caching itself is not modelled (the emulated flash is always coherent), so the hit/miss monitors
read 0 and the invalidation changes no data.

Parameters: ``kind`` (``icache`` | ``dcache``), ``cr_reset`` (ICACHE: 0x4, WAYSEL = 2-way),
``invalidate_cycles`` (default 64).
"""

from __future__ import annotations

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripheral import Soc, register
from hil.engine.unicorn.peripherals._common import RegisterPeripheral, merge, param_int
from hil.platform.model import PeripheralSpec

CR, SR, IER, FCR = 0x00, 0x04, 0x08, 0x0C
EN, CACHEINV, WAYSEL = 1, 1 << 1, 1 << 2
CACHECMD_MASK, STARTCMD = 0x7 << 8, 1 << 11
BUSYF, BSYENDF, ERRF, BUSYCMDF, CMDENDF = 1, 1 << 1, 1 << 2, 1 << 3, 1 << 4


@register
class Stm32u5Cache(RegisterPeripheral):
    model = "stm32u5_cache"

    def __init__(self, spec: PeripheralSpec, soc: Soc) -> None:
        super().__init__(spec, soc)
        kind = str(spec.params.get("kind", "icache"))
        if kind not in ("icache", "dcache"):
            raise ValueError(f"{spec.name}.params.kind: expected icache or dcache, found {kind!r}")
        self.dcache = kind == "dcache"
        self._cr_reset = param_int(spec, "cr_reset", 0 if self.dcache else WAYSEL)
        self._cycles = param_int(spec, "invalidate_cycles", 64)
        self._regs: dict[int, int] = {}
        self._sr = 0
        # (busy flag, end flag, virtual time it ends): evaluated when SR is read, so a cache
        # nobody polls costs nothing and schedules nothing (no extra slice boundaries)
        self._pending: list[tuple[int, int, int]] = []
        self.invalidations = 0  # invalidations started (for the harness and tests)
        # nothing here reads the time: models are built before the engine's clocks exist;
        # power_on() (the engine calls it at every power-on) starts the reset invalidation
        self._regs = {CR: self._cr_reset}

    @property
    def enabled(self) -> bool:
        return bool(self._regs.get(CR, 0) & EN)

    def power_on(self) -> None:
        self._regs = {CR: self._cr_reset}
        self._sr = 0
        self._pending = []
        self._busy(BUSYF, BSYENDF)  # the hardware invalidates the cache after every reset

    def reset(self, cause: ResetCause) -> None:
        self.power_on()

    def _busy(self, flag: int, done_flag: int) -> None:
        self._status()
        self._sr = (self._sr | flag) & ~done_flag
        self._pending.append((flag, done_flag, self.soc.instructions + self._cycles))
        if flag == BUSYF:
            self.invalidations += 1

    def _status(self) -> int:
        now = self.soc.instructions
        for item in [p for p in self._pending if p[2] <= now]:
            self._pending.remove(item)
            self._sr = (self._sr & ~item[0]) | item[1]
        return self._sr

    def read_reg(self, offset: int) -> int:
        if offset == SR:
            return self._status()
        if offset == FCR:
            return 0
        if offset in (0x10, 0x14) or (self.dcache and offset in (0x20, 0x24)):
            return 0  # hit/miss monitors: caching is not modelled
        return self._regs.get(offset, 0)

    def write_reg(self, offset: int, value: int, mask: int) -> None:
        if offset == SR:
            return  # read-only
        if offset == FCR:
            clear = BSYENDF | ERRF | (CMDENDF if self.dcache else 0)
            self._status()
            self._sr &= ~(value & mask & clear)
            return
        if offset != CR:
            self._regs[offset] = merge(self._regs.get(offset, 0), value, mask)
            return
        new = merge(self._regs.get(CR, 0), value, mask)
        sr = self._status()
        if new & CACHEINV and not sr & BUSYF:
            self._busy(BUSYF, BSYENDF)
        if self.dcache and new & STARTCMD and not sr & BUSYCMDF and new & CACHECMD_MASK:
            self._busy(BUSYCMDF, CMDENDF)
        self._regs[CR] = new & ~(CACHEINV | STARTCMD)  # both read 0
