"""STM32U585 flash controller model: unlock, erase, program, errors, tears, OPSR, ECC."""

from __future__ import annotations

from periph_fakesoc import FakeSoc, stm32u585_platform

from hil.engine.base import FlashOpKind, ResetCause
from hil.engine.unicorn.peripheral import Exc
from hil.engine.unicorn.peripherals import stm32u5_flash as F

FC = "flash_ctrl"
BASE = 0x0800_0000
PAGE = 0x2000
ERASE_I = 5000 * 4  # erase_time_us at 4 MHz
PROG_I = 100 * 4


def unlock(s: FakeSoc, keyr: int = F.NSKEYR) -> None:
    s.w32(FC, keyr, F.KEY1)
    s.w32(FC, keyr, F.KEY2)


def sr(s: FakeSoc) -> int:
    return s.r32(FC, F.NSSR)


def cr(s: FakeSoc) -> int:
    return s.r32(FC, F.NSCR)


def store(s: FakeSoc, addr: int, *words: int) -> None:
    for i, w in enumerate(words):
        s.models[FC].store_to_flash(addr + 4 * i, 4, w)


def program_qw(s: FakeSoc, addr: int, words: tuple[int, int, int, int], eopie: bool = True) -> None:
    s.w32(FC, F.NSCR, F.PG | (F.EOPIE if eopie else 0))
    store(s, addr, *words)
    s.advance(PROG_I)


def start_page_erase(s: FakeSoc, bank: int, page: int, eopie: bool = False) -> None:
    v = F.PER | (page << 3) | (F.BKER if bank else 0) | (F.EOPIE if eopie else 0)
    s.w32(FC, F.NSCR, v)
    s.w32(FC, F.NSCR, v | F.STRT)


# ---------------------------------------------------------------- reset state and lock


def test_reset_values(stm: FakeSoc) -> None:
    assert cr(stm) == F.LOCK | F.OPTLOCK
    assert stm.r32(FC, F.SECCR) == F.LOCK
    assert sr(stm) == 0
    optr = stm.r32(FC, F.OPTR)
    assert optr & (1 << 20) == 0  # SWAP_BANK
    assert optr & (1 << 21)  # DUALBANK
    assert (optr >> 8) & 7 == 0  # BOR_LEV
    assert optr & (1 << 16)  # IWDG_SW
    assert optr & (1 << 31) == 0  # TZEN
    assert stm.models[FC].read(F.NSCR + 3, 1) == 0xC0  # sub-word read


def test_unlock_and_relock(stm: FakeSoc) -> None:
    unlock(stm)
    assert cr(stm) & F.LOCK == 0
    stm.w32(FC, F.NSCR, F.LOCK)
    assert cr(stm) & F.LOCK
    unlock(stm)  # a new correct sequence unlocks again
    assert cr(stm) & F.LOCK == 0


def test_cr_write_ignored_while_locked(stm: FakeSoc) -> None:
    stm.w32(FC, F.NSCR, F.PG | F.PER)
    assert cr(stm) == F.LOCK | F.OPTLOCK
    stm.w32(FC, F.NSCR, F.PER | F.STRT)
    assert stm.ops == [] and sr(stm) == 0


def test_wrong_key_locks_until_reset(stm: FakeSoc) -> None:
    stm.w32(FC, F.NSKEYR, 0x1234_5678)
    unlock(stm)
    assert cr(stm) & F.LOCK
    stm.reset_all(ResetCause.SOFTWARE)
    unlock(stm)
    assert cr(stm) & F.LOCK == 0


def test_wrong_order_locks_until_reset(stm: FakeSoc) -> None:
    stm.w32(FC, F.NSKEYR, F.KEY2)
    stm.w32(FC, F.NSKEYR, F.KEY1)
    stm.w32(FC, F.NSKEYR, F.KEY2)
    assert cr(stm) & F.LOCK
    unlock(stm)
    assert cr(stm) & F.LOCK


def test_subword_key_is_wrong_key(stm: FakeSoc) -> None:
    stm.models[FC].write(F.NSKEYR, 2, F.KEY1 & 0xFFFF)
    unlock(stm)
    assert cr(stm) & F.LOCK


def test_reset_relocks(stm: FakeSoc) -> None:
    unlock(stm)
    stm.reset_all(ResetCause.PIN)
    assert cr(stm) & F.LOCK


def test_secure_domain_has_own_lock(stm: FakeSoc) -> None:
    unlock(stm, F.SECKEYR)
    assert stm.r32(FC, F.SECCR) & F.LOCK == 0
    assert cr(stm) & F.LOCK


def test_optlock_needs_lock_clear(stm: FakeSoc) -> None:
    stm.w32(FC, F.OPTKEYR, F.OPTKEY1)
    stm.w32(FC, F.OPTKEYR, F.OPTKEY2)
    assert cr(stm) & F.OPTLOCK
    unlock(stm)
    stm.w32(FC, F.OPTKEYR, F.OPTKEY1)
    stm.w32(FC, F.OPTKEYR, F.OPTKEY2)
    assert cr(stm) & F.OPTLOCK == 0


# ---------------------------------------------------------------- erase


def test_page_erase_timing_and_result(stm: FakeSoc) -> None:
    addr = BASE + 0x10_0000 + 5 * PAGE  # bank 2, page 5
    stm.ff.program(addr, b"\x00" * 64)
    unlock(stm)
    start_page_erase(stm, 1, 5, eopie=True)
    assert [(o.kind, o.address, o.size) for o in stm.ops] == [(FlashOpKind.ERASE, addr, PAGE)]
    assert sr(stm) & F.BSY and cr(stm) & F.STRT
    stm.advance(ERASE_I - 1)
    assert sr(stm) & F.BSY
    assert stm.flash.read(addr, 4) == b"\x00" * 4
    stm.advance(1)
    assert stm.flash.read(addr, PAGE) == b"\xff" * PAGE
    assert sr(stm) == F.EOP
    assert cr(stm) & F.STRT == 0
    stm.w32(FC, F.NSSR, F.EOP)
    assert sr(stm) == 0


def test_eop_gated_by_eopie(stm: FakeSoc) -> None:
    unlock(stm)
    start_page_erase(stm, 0, 3, eopie=False)
    stm.advance(ERASE_I)
    assert sr(stm) == 0


def test_strt_without_erase_bits_is_pgserr(stm: FakeSoc) -> None:
    unlock(stm)
    stm.w32(FC, F.NSCR, F.STRT)
    assert sr(stm) & F.PGSERR
    assert stm.ops == []
    assert cr(stm) & F.STRT == 0


def test_pnb_is_seven_bits(stm: FakeSoc) -> None:
    unlock(stm)
    stm.w32(FC, F.NSCR, F.PER | (0xFF << 3))
    assert (cr(stm) >> 3) & 0xFF == 0x7F


def test_erase_write_protected_page(stm: FakeSoc) -> None:
    stm.ff.protected.append((BASE + 2 * PAGE, BASE + 3 * PAGE))
    stm.ff.program(BASE + 2 * PAGE, b"\x12" * 16)
    unlock(stm)
    start_page_erase(stm, 0, 2)
    assert sr(stm) & F.WRPERR and not sr(stm) & F.BSY
    stm.advance(ERASE_I)
    assert stm.flash.read(BASE + 2 * PAGE, 1) == b"\x12"


def test_bank_erase(stm: FakeSoc) -> None:
    stm.ff.program(BASE + 0x10_0000 + 127 * PAGE, b"\x00" * 16)
    stm.ff.program(BASE, b"\x00" * 16)
    unlock(stm)
    stm.w32(FC, F.NSCR, F.MER2 | F.EOPIE)
    stm.w32(FC, F.NSCR, F.MER2 | F.EOPIE | F.STRT)
    stm.advance(ERASE_I * 128)
    assert len(stm.ops) == 128
    assert stm.flash.read(BASE + 0x10_0000 + 127 * PAGE, 1) == b"\xff"
    assert stm.flash.read(BASE, 1) == b"\x00"
    assert sr(stm) == F.EOP


# ---------------------------------------------------------------- program


def test_program_quad_word(stm: FakeSoc) -> None:
    addr = BASE + 0x4000
    unlock(stm)
    stm.w32(FC, F.NSCR, F.PG | F.EOPIE)
    store(stm, addr, 0x11111111)
    assert sr(stm) & F.WDW and not sr(stm) & F.BSY
    store(stm, addr + 4, 0x22222222, 0x33333333, 0x44444444)
    assert [(o.kind, o.address, o.size) for o in stm.ops] == [(FlashOpKind.PROGRAM, addr, 16)]
    assert sr(stm) & F.BSY and sr(stm) & F.WDW
    assert stm.flash.read(addr, 4) == b"\xff" * 4
    stm.advance(PROG_I)
    assert stm.flash.read(addr, 16) == bytes.fromhex("11111111222222223333333344444444")
    assert sr(stm) == F.EOP


def test_program_via_secure_alias_lands_in_ns_array(stm: FakeSoc) -> None:
    unlock(stm)
    program_qw(stm, 0x0C00_0000 + 0x100, (1, 2, 3, 4))
    assert stm.flash.read(BASE + 0x100, 4) == b"\x01\x00\x00\x00"
    assert stm.ops[0].address == BASE + 0x100


def test_progerr_on_non_erased(stm: FakeSoc) -> None:
    addr = BASE + 0x4000
    stm.ff.program(addr, b"\xf0" + b"\xff" * 15)
    unlock(stm)
    program_qw(stm, addr, (0x0, 0x1, 0x0, 0x0))
    assert sr(stm) & F.PROGERR
    assert not sr(stm) & (F.BSY | F.WDW | F.EOP)
    assert stm.flash.read(addr, 16) == b"\xf0" + b"\xff" * 15


def test_zeroing_written_quad_word_allowed(stm: FakeSoc) -> None:
    addr = BASE + 0x4000
    stm.ff.program(addr, b"\x5a" * 16)
    unlock(stm)
    program_qw(stm, addr, (0, 0, 0, 0))
    assert sr(stm) == F.EOP
    assert stm.flash.read(addr, 16) == bytes(16)


def test_pgaerr_unaligned_first_word(stm: FakeSoc) -> None:
    unlock(stm)
    stm.w32(FC, F.NSCR, F.PG)
    store(stm, BASE + 0x4004, 1)
    assert sr(stm) & F.PGAERR and not sr(stm) & F.WDW


def test_pgaerr_word_outside_quad_word(stm: FakeSoc) -> None:
    unlock(stm)
    stm.w32(FC, F.NSCR, F.PG)
    store(stm, BASE + 0x4000, 1)
    store(stm, BASE + 0x4008, 2)  # skipped a word
    assert sr(stm) & F.PGAERR and not sr(stm) & F.WDW
    assert stm.ops == []


def test_sizerr_on_byte_store(stm: FakeSoc) -> None:
    unlock(stm)
    stm.w32(FC, F.NSCR, F.PG)
    stm.models[FC].store_to_flash(BASE + 0x4000, 1, 0x12)
    assert sr(stm) & F.SIZERR
    stm.models[FC].store_to_flash(BASE + 0x4000, 2, 0x1234)
    assert stm.ops == []


def test_pgserr_store_without_pg_no_bus_fault(stm: FakeSoc) -> None:
    unlock(stm)
    store(stm, BASE + 0x4000, 1)
    assert sr(stm) & F.PGSERR
    assert stm.exceptions == []


def test_pgserr_store_while_locked(stm: FakeSoc) -> None:
    store(stm, BASE + 0x4000, 1)
    assert sr(stm) & F.PGSERR
    assert stm.exceptions == []


def test_pgserr_goes_to_secsr_for_secure_alias(stm: FakeSoc) -> None:
    store(stm, 0x0C00_4000, 1)
    assert stm.r32(FC, F.SECSR) & F.PGSERR and not sr(stm) & F.PGSERR


def test_wrperr(stm: FakeSoc) -> None:
    stm.ff.protected.append((BASE + 0x8000, BASE + 0xA000))
    unlock(stm)
    program_qw(stm, BASE + 0x8010, (0, 1, 2, 3))
    assert sr(stm) & F.WRPERR
    assert stm.flash.read(BASE + 0x8010, 16) == b"\xff" * 16


def test_error_flags_clear_by_writing_one(stm: FakeSoc) -> None:
    unlock(stm)
    store(stm, BASE, 1)  # PGSERR
    stm.w32(FC, F.NSCR, F.PG)
    store(stm, BASE + 4, 1)  # PGAERR
    stm.models[FC].store_to_flash(BASE, 1, 0)  # SIZERR
    assert sr(stm) & (F.PGSERR | F.PGAERR | F.SIZERR) == F.PGSERR | F.PGAERR | F.SIZERR
    stm.w32(FC, F.NSSR, 0)
    assert sr(stm) & F.PGSERR
    stm.w32(FC, F.NSSR, F.PGAERR)
    assert sr(stm) & F.PGAERR == 0 and sr(stm) & F.PGSERR
    stm.w32(FC, F.NSSR, 0xFFFF_FFFF)
    assert sr(stm) == 0


def test_burst_write(stm: FakeSoc) -> None:
    unlock(stm)
    stm.w32(FC, F.NSCR, F.PG | F.BWR)
    store(stm, BASE + 0x80, *range(32))
    assert stm.ops[0].size == 128
    stm.advance(PROG_I)
    assert stm.flash.read(BASE + 0x80 + 124, 4) == (31).to_bytes(4, "little")


# ---------------------------------------------------------------- tears and OPSR


def _torn_erase(seed: int) -> tuple[bytes, frozenset[int]]:
    s = FakeSoc(stm32u585_platform(), seed)
    addr = BASE + 0x10_0000 + 7 * PAGE
    s.ff.program(addr, bytes(range(256)) * (PAGE // 256))
    unlock(s)
    s.cut_ops = {0}
    start_page_erase(s, 1, 7)
    return s.flash.read(addr, PAGE), frozenset(s.ff.torn)


def test_torn_erase_mix_is_deterministic() -> None:
    data, torn = _torn_erase(42)
    assert (data, torn) == _torn_erase(42)
    assert (data, torn) != _torn_erase(43)
    old = bytes(range(256)) * (PAGE // 256)
    units = [data[o : o + 16] for o in range(0, PAGE, 16)]
    erased = sum(u == b"\xff" * 16 for u in units)
    kept = sum(u == old[i * 16 : i * 16 + 16] for i, u in enumerate(units))
    assert erased > 50 and kept > 50 and len(torn) > 50
    base_unit = (0x10_0000 + 7 * PAGE) // 16
    assert all(base_unit <= t < base_unit + PAGE // 16 for t in torn)


def test_torn_erase_opsr_after_power_cycle(stm: FakeSoc) -> None:
    unlock(stm)
    stm.cut_ops = {0}
    start_page_erase(stm, 1, 7)
    stm.advance(ERASE_I * 2)
    stm.power_cycle()
    opsr = stm.r32(FC, F.OPSR)
    assert opsr >> 29 == F.CODE_PAGE_ERASE
    assert opsr & F.BK_OP
    assert opsr & 0xF_FFFF == 7 * PAGE
    stm.power_cycle()
    assert stm.r32(FC, F.OPSR) == 0


def test_torn_program_marks_unit(stm: FakeSoc) -> None:
    addr = BASE + 0x4020
    unlock(stm)
    stm.cut_ops = {0}
    stm.w32(FC, F.NSCR, F.PG)
    store(stm, addr, 0, 0, 0, 0)
    assert stm.flash.is_torn(addr, 16)
    assert not stm.flash.is_torn(addr + 16, 16)
    data = stm.flash.read(addr, 16)
    assert data != b"\xff" * 16 and data != bytes(16)  # a partial program
    stm.advance(PROG_I * 2)
    assert stm.flash.read(addr, 16) == data  # never completed
    stm.power_cycle()
    opsr = stm.r32(FC, F.OPSR)
    assert opsr >> 29 == F.CODE_SINGLE_WRITE and opsr & 0xF_FFFF == 0x4020 and not opsr & F.BK_OP


def test_torn_program_keeps_only_cleared_bits(stm: FakeSoc) -> None:
    addr = BASE + 0x4000
    unlock(stm)
    stm.cut_ops = {0}
    new = (0x0F0F0F0F, 0x0F0F0F0F, 0x0F0F0F0F, 0x0F0F0F0F)
    stm.w32(FC, F.NSCR, F.PG)
    store(stm, addr, *new)
    data = stm.flash.read(addr, 16)
    assert all(b & 0x0F == 0x0F for b in data)  # bits that stay 1 in the new data stay 1
    assert data != b"\xff" * 16 and data != b"\x0f" * 16  # a random subset was cleared


def test_model_tears_once_if_core_did_not(stm: FakeSoc) -> None:
    stm.tear_on_cut = False
    addr = BASE + 0x4000
    unlock(stm)
    stm.cut_ops = {0}
    stm.w32(FC, F.NSCR, F.PG)
    store(stm, addr, 0, 0, 0, 0)
    assert stm.flash.is_torn(addr, 16)


def test_cut_during_refused_program_leaves_array(stm: FakeSoc) -> None:
    addr = BASE + 0x4000
    stm.ff.program(addr, b"\x01" * 16)
    unlock(stm)
    stm.cut_ops = {0}
    stm.w32(FC, F.NSCR, F.PG)
    store(stm, addr, 5, 5, 5, 5)  # would be PROGERR
    assert stm.flash.read(addr, 16) == b"\x01" * 16 and not stm.ff.torn


def test_tear_in_flight_while_busy(stm: FakeSoc) -> None:
    addr = BASE + 3 * PAGE
    stm.ff.program(addr, b"\x00" * PAGE)
    unlock(stm)
    start_page_erase(stm, 0, 3)
    stm.advance(ERASE_I // 2)
    stm.models[FC].tear_in_flight()
    stm.advance(ERASE_I)  # the stale completion must not erase the page
    assert stm.ff.torn
    assert stm.flash.read(addr, PAGE) != b"\xff" * PAGE
    stm.power_cycle()
    assert stm.r32(FC, F.OPSR) >> 29 == F.CODE_PAGE_ERASE


def test_warm_reset_interrupts_op_and_records_opsr(stm: FakeSoc) -> None:
    unlock(stm)
    stm.w32(FC, F.NSCR, F.PG)
    store(stm, BASE + 0x10_0040, 0, 0, 0, 0)
    stm.models[FC].reset(ResetCause.WATCHDOG)
    opsr = stm.r32(FC, F.OPSR)
    assert opsr >> 29 == F.CODE_SINGLE_WRITE and opsr & F.BK_OP and opsr & 0xF_FFFF == 0x40
    assert stm.flash.is_torn(BASE + 0x10_0040, 16)
    assert sr(stm) == 0 and cr(stm) & F.LOCK
    stm.models[FC].reset(ResetCause.SOFTWARE)
    assert stm.r32(FC, F.OPSR) == 0


# ---------------------------------------------------------------- ECC


def test_ecc_double_error_nmi(stm: FakeSoc) -> None:
    fc = stm.models[FC]
    fc.cpu_read_fault(0x0C10_0124)  # secure alias, bank 2
    eccr = stm.r32(FC, F.ECCR)
    assert eccr & F.ECCD and not eccr & F.ECCC
    assert eccr & F.BK_ECC
    assert eccr & 0xF_FFFF == 0x120
    assert stm.exceptions == [(Exc.NMI, True)]
    fc.cpu_read_fault(BASE + 0x40)  # latched: fields kept, NMI still raised
    assert stm.r32(FC, F.ECCR) == eccr
    assert len(stm.exceptions) == 2
    stm.w32(FC, F.ECCR, F.ECCD)
    assert stm.r32(FC, F.ECCR) & F.ECCD == 0
    fc.cpu_read_fault(BASE + 0x40)
    assert stm.r32(FC, F.ECCR) & 0xF_FFFF == 0x40 and not stm.r32(FC, F.ECCR) & F.BK_ECC
