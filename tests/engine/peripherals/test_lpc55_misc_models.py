"""LPC55S69 USART, PMC reset cause, SYSCON SWR_RESET, ANACTRL BOD and WWDT models."""

from __future__ import annotations

from periph_fakesoc import FakeSoc

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripherals import lpc55_anactrl as A
from hil.engine.unicorn.peripherals import lpc55_pmc as P
from hil.engine.unicorn.peripherals import lpc55_usart as U
from hil.engine.unicorn.peripherals import lpc55_wwdt as W

FX = "flexcomm0"

# ---------------------------------------------------------------- USART


def usart_init(s: FakeSoc) -> None:
    s.w32(FX, U.PSELID, U.PERSEL_USART)
    s.w32(FX, U.FIFOCFG, U.ENABLETX | U.ENABLERX | U.EMPTYTX | U.EMPTYRX)
    s.w32(FX, U.CFG, U.ENABLE | (1 << 2))


def test_usart_tx_gating(lpc: FakeSoc) -> None:
    lpc.w32(FX, U.FIFOWR, ord("a"))
    lpc.w32(FX, U.CFG, U.ENABLE)
    lpc.w32(FX, U.FIFOCFG, U.ENABLETX)
    lpc.w32(FX, U.FIFOWR, ord("b"))  # PERSEL still none
    assert lpc.tx.get(FX, b"") == b""
    usart_init(lpc)
    lpc.w32(FX, U.FIFOWR, ord("c"))
    lpc.models[FX].write(U.FIFOWR, 1, ord("d"))
    assert bytes(lpc.tx[FX]) == b"cd"
    stat = lpc.r32(FX, U.FIFOSTAT)
    assert stat & U.TXEMPTY and stat & U.TXNOTFULL
    assert lpc.r32(FX, U.STAT) & U.TXIDLE


def test_usart_rx(lpc: FakeSoc) -> None:
    usart_init(lpc)
    assert not lpc.r32(FX, U.FIFOSTAT) & U.RXNOTEMPTY
    lpc.send(FX, b"xyz")
    stat = lpc.r32(FX, U.FIFOSTAT)
    assert stat & U.RXNOTEMPTY and (stat >> 16) & 0x1F == 3
    assert lpc.r32(FX, U.FIFORDNOPOP) == ord("x")
    assert (lpc.r32(FX, U.FIFOSTAT) >> 16) & 0x1F == 3
    assert lpc.r32(FX, U.FIFORD) == ord("x")
    assert lpc.r32(FX, U.FIFORD) == ord("y")
    assert (lpc.r32(FX, U.FIFOSTAT) >> 16) & 0x1F == 1
    lpc.w32(FX, U.FIFOCFG, U.ENABLETX | U.ENABLERX | U.EMPTYRX)
    assert not lpc.r32(FX, U.FIFOSTAT) & U.RXNOTEMPTY
    assert lpc.r32(FX, U.FIFOCFG) & U.EMPTYRX == 0


def test_usart_rx_level_saturates(lpc: FakeSoc) -> None:
    usart_init(lpc)
    lpc.send(FX, bytes(20))
    stat = lpc.r32(FX, U.FIFOSTAT)
    assert (stat >> 16) & 0x1F == 16 and stat & U.RXFULL


def test_usart_fifosize_and_pselid_lock(lpc: FakeSoc) -> None:
    assert lpc.r32(FX, U.FIFOSIZE) == 16
    assert lpc.r32(FX, U.PSELID) & (1 << 4)  # USARTPRESENT
    lpc.w32(FX, U.PSELID, U.PERSEL_USART | U.PSEL_LOCK)
    lpc.w32(FX, U.PSELID, 2)
    assert lpc.r32(FX, U.PSELID) & 0xF == U.PERSEL_USART | U.PSEL_LOCK
    lpc.reset_all(ResetCause.PIN)
    assert lpc.r32(FX, U.PSELID) & 0xF == 0
    assert lpc.r32(FX, U.OSR) == 0xF


# ---------------------------------------------------------------- PMC / SYSCON

POR, PAD, BOD, SYS, WDT, SWR = (1 << b for b in range(4, 10))


def aoreg1(s: FakeSoc) -> int:
    return s.r32("pmc", 0x84)


def test_aoreg1_power_on(lpc: FakeSoc) -> None:
    assert aoreg1(lpc) == POR


def test_aoreg1_per_cause(lpc: FakeSoc) -> None:
    pmc = lpc.models["pmc"]
    lpc.w32("pmc", 0x84, POR | (3 << 16))  # BOOTERRORCOUNTER = 3
    for cause, bit in (
        (ResetCause.WATCHDOG, WDT),
        (ResetCause.SOFTWARE, SYS),
        (ResetCause.PIN, PAD),
        (ResetCause.BROWNOUT, BOD),
    ):
        pmc.reset(cause)
        assert aoreg1(lpc) == bit | (3 << 16)
    pmc.reset(ResetCause.LOCKUP)
    assert aoreg1(lpc) == 3 << 16
    lpc.power_cycle()
    assert aoreg1(lpc) == POR


def test_swr_reset_records_swrreset(lpc: FakeSoc) -> None:
    lpc.w32("syscon", 0x160, 0x5A00_0000)
    assert lpc.resets == []
    lpc.w32("syscon", 0x160, 0x5A00_0001)
    assert lpc.resets == [ResetCause.SOFTWARE]
    lpc.reset_all(ResetCause.SOFTWARE)
    assert aoreg1(lpc) == SWR
    lpc.reset_all(ResetCause.SOFTWARE)  # a later SYSRESETREQ
    assert aoreg1(lpc) == SYS
    assert lpc.r32("syscon", 0x160) == 0


def test_syscon_storage(lpc: FakeSoc) -> None:
    lpc.w32("syscon", 0x38C, 0x3)
    lpc.w32("syscon", 0x200, 0x1234_5678)
    assert lpc.r32("syscon", 0x38C) == 3
    assert lpc.models["syscon"].read(0x202, 2) == 0x1234


def test_pmc_bod_threshold(lpc: FakeSoc) -> None:
    pmc = lpc.models["pmc"]
    assert isinstance(pmc, P.Lpc55Pmc)
    lpc.w32("pmc", P.BODVBAT, (2 << 5) | 17)
    assert pmc.bod_threshold_mv() == 2700
    lpc.w32("pmc", P.BODVBAT, 31)
    assert pmc.bod_threshold_mv() == 3500  # beyond the table: last entry
    lpc.w32("pmc", P.RESETCTRL, 0x2)
    assert lpc.r32("pmc", P.RESETCTRL) == 0x2


# ---------------------------------------------------------------- ANACTRL


def test_bod_status_follows_supply(lpc: FakeSoc) -> None:
    lpc.w32("pmc", P.BODVBAT, 13)  # 2300 mV
    st = lpc.r32("anactrl", A.INT_STATUS)
    assert st & A.VBAT_VAL and not st & A.VBAT_STATUS
    lpc.supply = 2299
    st = lpc.r32("anactrl", A.INT_STATUS)
    assert not st & A.VBAT_VAL and st & A.VBAT_STATUS
    lpc.supply = 3300
    st = lpc.r32("anactrl", A.INT_STATUS)
    assert st & A.VBAT_VAL and st & A.VBAT_STATUS  # latched
    lpc.w32("anactrl", A.INT_CTRL, A.VBAT_INT_CLEAR)
    assert not lpc.r32("anactrl", A.INT_STATUS) & A.VBAT_STATUS
    assert lpc.r32("anactrl", A.INT_CTRL) & A.VBAT_INT_CLEAR == 0


def test_bod_sample_supply_latches_dip(lpc: FakeSoc) -> None:
    lpc.w32("pmc", P.BODVBAT, 13)
    lpc.w32("anactrl", A.INT_CTRL, A.VBAT_INT_ENABLE)
    lpc.supply = 2000
    an = lpc.models["anactrl"]
    assert isinstance(an, A.Lpc55Anactrl)
    assert an.sample_supply() is False
    lpc.supply = 3300
    st = lpc.r32("anactrl", A.INT_STATUS)
    assert st & A.VBAT_STATUS and st & A.VBAT_INT_STATUS and st & A.VBAT_VAL


# ---------------------------------------------------------------- WWDT

TICK_I = 4 * 12  # one WWDT tick (4 clocks of 1 MHz) at 12 MHz


def feed(s: FakeSoc) -> None:
    s.w32("wwdt", W.FEED, 0xAA)
    s.w32("wwdt", W.FEED, 0x55)


def test_wwdt_reset_values_and_tc_minimum(lpc: FakeSoc) -> None:
    assert lpc.r32("wwdt", W.TC) == 0xFF and lpc.r32("wwdt", W.TV) == 0xFF
    assert lpc.r32("wwdt", W.WINDOW) == 0xFF_FFFF
    lpc.w32("wwdt", W.TC, 0x10)
    assert lpc.r32("wwdt", W.TC) == 0xFF


def test_wwdt_needs_feed_to_start(lpc: FakeSoc) -> None:
    lpc.w32("wwdt", W.MOD, W.WDEN | W.WDRESET)
    lpc.advance(TICK_I * 1000)
    assert lpc.resets == []


def test_wwdt_timeout_resets(lpc: FakeSoc) -> None:
    lpc.w32("wwdt", W.TC, 999)
    lpc.w32("wwdt", W.MOD, W.WDEN | W.WDRESET)
    feed(lpc)
    assert lpc.r32("wwdt", W.TV) == 999
    lpc.advance(TICK_I * 500)
    assert lpc.r32("wwdt", W.TV) == 499
    lpc.advance(TICK_I * 500 - 1)
    assert lpc.resets == []
    lpc.advance(1)
    assert lpc.resets == [ResetCause.WATCHDOG]
    assert lpc.r32("wwdt", W.MOD) & W.WDTOF


def test_wwdt_feed_postpones(lpc: FakeSoc) -> None:
    lpc.w32("wwdt", W.TC, 999)
    lpc.w32("wwdt", W.MOD, W.WDEN | W.WDRESET)
    feed(lpc)
    for _ in range(5):
        lpc.advance(TICK_I * 900)
        feed(lpc)
    assert lpc.resets == []
    lpc.advance(TICK_I * 1000)
    assert lpc.resets == [ResetCause.WATCHDOG]


def test_wwdt_without_wdreset_only_flags(lpc: FakeSoc) -> None:
    lpc.w32("wwdt", W.MOD, W.WDEN)
    feed(lpc)
    lpc.advance(TICK_I * 256)
    assert lpc.resets == [] and lpc.r32("wwdt", W.MOD) & W.WDTOF


def test_wwdt_mod_bits_set_once_and_wdtof_persistence(lpc: FakeSoc) -> None:
    lpc.w32("wwdt", W.MOD, W.WDEN | W.WDRESET | W.WDPROTECT)
    lpc.w32("wwdt", W.MOD, 0)
    assert lpc.r32("wwdt", W.MOD) & 0x13 == W.WDEN | W.WDRESET | W.WDPROTECT
    feed(lpc)
    lpc.advance(TICK_I * 256)
    lpc.reset_all(ResetCause.WATCHDOG)
    assert lpc.r32("wwdt", W.MOD) == W.WDTOF  # survives the watchdog reset, rest cleared
    assert aoreg1(lpc) == WDT
    lpc.w32("wwdt", W.MOD, 0)  # cleared by writing 0
    assert lpc.r32("wwdt", W.MOD) == 0
    lpc.w32("wwdt", W.MOD, W.WDEN)
    feed(lpc)
    lpc.advance(TICK_I * 256)
    lpc.power_cycle()
    assert lpc.r32("wwdt", W.MOD) == 0


def test_wwdt_warning_flag(lpc: FakeSoc) -> None:
    lpc.w32("wwdt", W.TC, 999)
    lpc.w32("wwdt", W.WARNINT, 100)
    lpc.w32("wwdt", W.MOD, W.WDEN)
    feed(lpc)
    lpc.advance(TICK_I * 898)
    assert not lpc.r32("wwdt", W.MOD) & W.WDINT
    lpc.advance(TICK_I * 2)
    assert lpc.r32("wwdt", W.MOD) & W.WDINT
    lpc.w32("wwdt", W.MOD, W.WDINT)
    assert not lpc.r32("wwdt", W.MOD) & W.WDINT


def test_wwdt_bad_feed_sequence(lpc: FakeSoc) -> None:
    lpc.w32("wwdt", W.MOD, W.WDEN | W.WDRESET)
    feed(lpc)
    lpc.w32("wwdt", W.FEED, 0xAA)
    lpc.w32("wwdt", W.FEED, 0x56)
    assert lpc.resets == [ResetCause.WATCHDOG]


def test_wwdt_feed_outside_window(lpc: FakeSoc) -> None:
    lpc.w32("wwdt", W.TC, 999)
    lpc.w32("wwdt", W.WINDOW, 500)
    lpc.w32("wwdt", W.MOD, W.WDEN | W.WDRESET)
    feed(lpc)  # not running yet: no window check
    lpc.advance(TICK_I * 100)
    feed(lpc)  # TV ~899 > WINDOW
    assert lpc.resets == [ResetCause.WATCHDOG]


def test_wwdt_protect_blocks_tc(lpc: FakeSoc) -> None:
    lpc.w32("wwdt", W.TC, 999)
    lpc.w32("wwdt", W.MOD, W.WDEN | W.WDPROTECT)
    feed(lpc)
    lpc.w32("wwdt", W.TC, 5000)
    assert lpc.r32("wwdt", W.TC) == 999
