"""STM32U585 USART1, RCC reset flags, PWR PVD and IWDG models."""

from __future__ import annotations

from periph_fakesoc import FakeSoc

from hil.engine.base import ResetCause
from hil.engine.unicorn.peripherals import stm32_iwdg as W
from hil.engine.unicorn.peripherals import stm32_usart as U
from hil.engine.unicorn.peripherals import stm32u5_pwr as P
from hil.engine.unicorn.peripherals import stm32u5_rcc as R

# ---------------------------------------------------------------- USART


def test_usart_tx_needs_ue_and_te(stm: FakeSoc) -> None:
    stm.w32("usart1", U.TDR, ord("x"))
    stm.w32("usart1", U.CR1, U.UE)
    stm.w32("usart1", U.TDR, ord("y"))
    assert stm.tx.get("usart1", b"") == b""
    stm.w32("usart1", U.CR1, U.UE | U.TE)
    stm.w32("usart1", U.TDR, 0x141)  # 9-bit value: low 8 bits sent
    stm.models["usart1"].write(U.TDR, 1, ord("k"))  # byte store
    assert bytes(stm.tx["usart1"]) == b"Ak"


def test_usart_isr_bits(stm: FakeSoc) -> None:
    isr = stm.r32("usart1", U.ISR)
    assert isr & U.TXE and isr & U.TC and not isr & (U.TEACK | U.REACK | U.RXNE)
    stm.w32("usart1", U.CR1, U.UE | U.TE | U.RE)
    isr = stm.r32("usart1", U.ISR)
    assert isr & U.TEACK and isr & U.REACK and not isr & U.RXNE


def test_usart_rx(stm: FakeSoc) -> None:
    stm.send("usart1", b"hi")
    assert not stm.r32("usart1", U.ISR) & U.RXNE  # receiver disabled
    stm.w32("usart1", U.CR1, U.UE | U.RE)
    assert stm.r32("usart1", U.ISR) & U.RXNE
    assert stm.r32("usart1", U.RDR) == ord("h")
    assert stm.r32("usart1", U.ISR) & U.RXNE
    assert stm.models["usart1"].read(U.RDR, 1) == ord("i")
    assert not stm.r32("usart1", U.ISR) & U.RXNE
    assert stm.r32("usart1", U.RDR) == ord("i")  # empty: last value again


def test_usart_storage_and_reset(stm: FakeSoc) -> None:
    stm.w32("usart1", U.BRR, 0x23)
    stm.models["usart1"].write(U.CR1 + 1, 1, 0x80)
    assert stm.r32("usart1", U.BRR) == 0x23 and stm.r32("usart1", U.CR1) == 0x8000
    stm.reset_all(ResetCause.PIN)
    assert stm.r32("usart1", U.BRR) == 0


# ---------------------------------------------------------------- RCC

PIN, BOR, SFT, IWDG = 1 << 26, 1 << 27, 1 << 28, 1 << 29
FLAGS = 0xFE00_0000


def csr(s: FakeSoc) -> int:
    return s.r32("rcc", 0xF4)


def test_rcc_power_on_flags(stm: FakeSoc) -> None:
    assert csr(stm) & FLAGS == BOR | PIN


def test_rcc_flags_persist_until_rmvf(stm: FakeSoc) -> None:
    rcc = stm.models["rcc"]
    rcc.reset(ResetCause.WATCHDOG)
    assert csr(stm) & FLAGS == BOR | PIN | IWDG
    rcc.reset(ResetCause.SOFTWARE)
    assert csr(stm) & FLAGS == BOR | PIN | IWDG | SFT
    stm.w32("rcc", 0xF4, 1 << 23)
    assert csr(stm) & FLAGS == 0
    assert csr(stm) & (1 << 23) == 0  # RMVF reads 0
    rcc.reset(ResetCause.PIN)
    assert csr(stm) & FLAGS == PIN
    rcc.reset(ResetCause.LOCKUP)
    assert csr(stm) & FLAGS == PIN


def test_rcc_msis_range_write_past_the_voltage_range_is_a_clock_violation(stm: FakeSoc) -> None:
    """Writing MSISSRANGE 0 (48 MHz) with RMVF while in range 4 at 0 wait states: the
    RCC records it and raises a HardFault (issue 13: the clock model checks the sequence)."""
    stm.w32("rcc", 0xF4, 1 << 23)
    rcc = stm.models["rcc"]
    assert rcc.hclk_hz() == 48_000_000  # type: ignore[attr-defined]
    assert stm.exceptions == [(3, False)]
    assert "above 24000000 Hz, the maximum of voltage range 4" in rcc.violations[0]  # type: ignore[attr-defined]


def test_rcc_power_on_clears_old_flags(stm: FakeSoc) -> None:
    stm.models["rcc"].reset(ResetCause.SOFTWARE)
    stm.power_cycle()
    assert csr(stm) & FLAGS == BOR | PIN


def test_rcc_brownout_flags(stm: FakeSoc) -> None:
    stm.w32("rcc", 0xF4, 1 << 23)
    stm.models["rcc"].reset(ResetCause.BROWNOUT)
    assert csr(stm) & FLAGS == BOR | PIN


def test_rcc_flags_read_only_and_storage(stm: FakeSoc) -> None:
    stm.w32("rcc", 0xF4, IWDG | 0x8800)
    assert csr(stm) & FLAGS == BOR | PIN
    assert csr(stm) & 0xFF00 == 0x8800
    stm.w32("rcc", 0xA4, 1 << 14)  # APB2ENR USART1EN
    assert stm.r32("rcc", 0xA4) == 1 << 14
    stm.models["rcc"].reset(ResetCause.PIN)
    assert stm.r32("rcc", 0xA4) == 0


def test_rcc_record_cause(stm: FakeSoc) -> None:
    rcc = stm.models["rcc"]
    assert isinstance(rcc, R.Stm32u5Rcc)
    rcc.record_cause(ResetCause.WATCHDOG)
    assert rcc.flags & IWDG


# ---------------------------------------------------------------- PWR


def test_pvd_output_follows_supply(stm: FakeSoc) -> None:
    assert stm.r32("pwr", P.SVMSR) & P.PVDO == 0
    stm.supply = 1900
    assert stm.r32("pwr", P.SVMSR) & P.PVDO == 0  # PVD disabled
    stm.w32("pwr", P.SVMCR, P.PVDE | (2 << 5))  # 2400 mV
    assert stm.r32("pwr", P.SVMSR) & P.PVDO
    stm.supply = 2399
    assert stm.r32("pwr", P.SVMSR) & P.PVDO
    stm.supply = 2400
    assert stm.r32("pwr", P.SVMSR) & P.PVDO == 0
    stm.w32("pwr", P.SVMCR, P.PVDE | (6 << 5))  # 2900 mV
    assert stm.r32("pwr", P.SVMSR) & P.PVDO
    stm.w32("pwr", P.SVMCR, P.PVDE | (7 << 5))  # external input: not modelled
    assert stm.r32("pwr", P.SVMSR) & P.PVDO == 0


def test_pwr_storage(stm: FakeSoc) -> None:
    stm.w32("pwr", 0x00, 0x1234)
    assert stm.r32("pwr", 0x00) == 0x1234
    assert stm.r32("pwr", P.VOSR) & P.VOSRDY


# ---------------------------------------------------------------- IWDG

TIMEOUT_I = int(4 * 4096 / 32000 * 4_000_000)  # PR=0, RLR=0xFFF at 4 MHz


def test_iwdg_reset_values(stm: FakeSoc) -> None:
    assert stm.r32("iwdg", W.RLR) == 0xFFF and stm.r32("iwdg", W.WINR) == 0xFFF
    assert stm.r32("iwdg", W.PR) == 0


def test_iwdg_not_running_until_started(stm: FakeSoc) -> None:
    stm.advance(TIMEOUT_I * 10)
    assert stm.resets == []


def test_iwdg_timeout(stm: FakeSoc) -> None:
    stm.w32("iwdg", W.KR, W.KEY_START)
    stm.advance(TIMEOUT_I - 1)
    assert stm.resets == []
    stm.advance(1)
    assert stm.resets == [ResetCause.WATCHDOG]


def test_iwdg_reload_postpones(stm: FakeSoc) -> None:
    stm.w32("iwdg", W.KR, W.KEY_START)
    for _ in range(5):
        stm.advance(TIMEOUT_I - 100)
        stm.w32("iwdg", W.KR, W.KEY_RELOAD)
    assert stm.resets == []
    stm.advance(TIMEOUT_I)
    assert stm.resets == [ResetCause.WATCHDOG]


def test_iwdg_prescaler_and_reload_value(stm: FakeSoc) -> None:
    stm.w32("iwdg", W.KR, W.KEY_START)
    stm.w32("iwdg", W.KR, W.KEY_ACCESS)
    stm.w32("iwdg", W.PR, 3)  # /32
    stm.w32("iwdg", W.RLR, 999)  # 1000 * 32 / 32000 = 1 s
    stm.w32("iwdg", W.KR, W.KEY_RELOAD)
    stm.advance(4_000_000 - 1)
    assert stm.resets == []
    stm.advance(1)
    assert stm.resets == [ResetCause.WATCHDOG]


def test_iwdg_write_protection(stm: FakeSoc) -> None:
    stm.w32("iwdg", W.RLR, 5)
    assert stm.r32("iwdg", W.RLR) == 0xFFF
    stm.w32("iwdg", W.KR, W.KEY_ACCESS)
    stm.w32("iwdg", W.RLR, 5)
    assert stm.r32("iwdg", W.RLR) == 5
    stm.w32("iwdg", W.KR, 0)
    stm.w32("iwdg", W.RLR, 7)
    assert stm.r32("iwdg", W.RLR) == 5


def test_iwdg_stops_on_reset(stm: FakeSoc) -> None:
    stm.w32("iwdg", W.KR, W.KEY_START)
    stm.advance(TIMEOUT_I // 2)
    stm.models["iwdg"].reset(ResetCause.SOFTWARE)
    stm.advance(TIMEOUT_I * 2)
    assert stm.resets == []


def test_iwdg_window_early_reload(stm: FakeSoc) -> None:
    stm.w32("iwdg", W.KR, W.KEY_START)
    stm.w32("iwdg", W.KR, W.KEY_ACCESS)
    stm.w32("iwdg", W.WINR, 0x100)  # reloads: counter back at 0xFFF
    stm.advance(TIMEOUT_I // 2)  # counter ~0x800 > WINR
    stm.w32("iwdg", W.KR, W.KEY_RELOAD)
    assert stm.resets == [ResetCause.WATCHDOG]


def test_iwdg_window_late_reload_ok(stm: FakeSoc) -> None:
    stm.w32("iwdg", W.KR, W.KEY_START)
    stm.w32("iwdg", W.KR, W.KEY_ACCESS)
    stm.w32("iwdg", W.WINR, 0x100)
    stm.advance(TIMEOUT_I * 15 // 16 + 100)  # counter below 0x100
    stm.w32("iwdg", W.KR, W.KEY_RELOAD)
    assert stm.resets == []
