"""LPC55S69 flash controller model: commands, timing, status bits, tears."""

from __future__ import annotations

from periph_fakesoc import FakeSoc, lpc55s69_platform

from hil.engine.base import FlashOpKind, ResetCause
from hil.engine.unicorn.peripheral import Exc
from hil.engine.unicorn.peripherals import lpc55_flash as L

FC = "flash_ctrl"
PAGE = 512
WPP = 32  # words per page
ERASE_I = 4000 * 12  # erase_time_us at 12 MHz
PROG_I = 1000 * 12


def status(s: FakeSoc) -> int:
    return s.r32(FC, L.INT_STATUS)


def cmd(s: FakeSoc, code: int, start: int = 0, stop: int | None = None) -> None:
    s.w32(FC, L.INT_CLR_STATUS, 0xF)
    s.w32(FC, L.STARTA, start)
    s.w32(FC, L.STOPA, start if stop is None else stop)
    s.w32(FC, L.CMD, code)


def load_page(s: FakeSoc, data: bytes) -> None:
    for row in range(WPP):
        chunk = data[row * 16 : row * 16 + 16]
        for i in range(4):
            s.w32(FC, L.DATAW0 + 4 * i, int.from_bytes(chunk[4 * i : 4 * i + 4], "little"))
        cmd(s, L.CMD_WRITE, row)
        assert status(s) == L.DONE


def write_page(s: FakeSoc, page: int, data: bytes) -> None:
    load_page(s, data)
    cmd(s, L.CMD_PROGRAM, page * WPP + 3)
    s.advance(PROG_I)


def test_reset_state(lpc: FakeSoc) -> None:
    assert status(lpc) == L.DONE
    assert lpc.r32(FC, L.MODULE_ID) == L.MODULE_ID_VALUE
    lpc.w32(FC, L.STARTA, 0xFFFF_FFFF)
    assert lpc.r32(FC, L.STARTA) == 0x3FFFF


def test_init_done_at_once(lpc: FakeSoc) -> None:
    cmd(lpc, L.CMD_INIT)
    assert status(lpc) == L.DONE


def test_illegal_command_err(lpc: FakeSoc) -> None:
    cmd(lpc, 9)
    assert status(lpc) == L.ERR | L.DONE
    cmd(lpc, L.CMD_READ_SINGLE_WORD, 0x3FFFF)  # beyond the array
    assert status(lpc) == L.ERR | L.DONE
    cmd(lpc, L.CMD_ERASE_RANGE, 64, 32)  # STARTA > STOPA
    assert status(lpc) == L.ERR | L.DONE
    assert lpc.ops == []


def test_program_and_read_back(lpc: FakeSoc) -> None:
    data = bytes(range(256)) * 2
    load_page(lpc, data)
    cmd(lpc, L.CMD_PROGRAM, 10 * WPP + 7)
    assert [(o.kind, o.address, o.size) for o in lpc.ops] == [
        (FlashOpKind.PROGRAM, 10 * PAGE, PAGE)
    ]
    assert status(lpc) == 0  # running: DONE clear
    lpc.advance(PROG_I - 1)
    assert status(lpc) == 0 and lpc.flash.is_erased_page(10)
    lpc.advance(1)
    assert status(lpc) == L.DONE
    assert lpc.flash.read(10 * PAGE, PAGE) == data
    lpc.w32(FC, L.DATAW0, 0)
    cmd(lpc, L.CMD_READ_SINGLE_WORD, 10 * WPP + 1)
    assert status(lpc) == L.DONE
    assert [lpc.r32(FC, L.DATAW0 + 4 * i) for i in range(4)] == [
        int.from_bytes(data[16 + 4 * i : 20 + 4 * i], "little") for i in range(4)
    ]


def test_program_non_erased_page_fails(lpc: FakeSoc) -> None:
    write_page(lpc, 4, b"\x11" * PAGE)
    write_page(lpc, 4, b"\x22" * PAGE)
    assert status(lpc) == L.FAIL | L.DONE
    assert lpc.flash.read(4 * PAGE, 4) == b"\x11" * 4


def test_program_write_protected_fails(lpc: FakeSoc) -> None:
    lpc.ff.protected.append((8 * PAGE, 9 * PAGE))
    write_page(lpc, 8, b"\x11" * PAGE)
    assert status(lpc) == L.FAIL | L.DONE
    assert lpc.flash.is_erased_page(8)


def test_erase_range_pages_and_timing(lpc: FakeSoc) -> None:
    for p in (2, 3, 4):
        lpc.ff.program(p * PAGE, b"\xaa" * PAGE)
    cmd(lpc, L.CMD_ERASE_RANGE, 2 * WPP + 5, 3 * WPP + 31)  # pages 2 and 3, STOPA inclusive
    assert status(lpc) == 0
    assert [(o.kind, o.address) for o in lpc.ops] == [(FlashOpKind.ERASE, 2 * PAGE)]
    lpc.advance(ERASE_I)
    assert lpc.flash.is_erased_page(2) and status(lpc) == 0
    assert [o.address for o in lpc.ops] == [2 * PAGE, 3 * PAGE]
    lpc.advance(ERASE_I)
    assert status(lpc) == L.DONE
    assert lpc.flash.is_erased_page(3) and not lpc.flash.is_erased_page(4)
    assert lpc.flash.read(2 * PAGE, PAGE) == bytes(PAGE)  # raw erased value 0x00


def test_erase_write_protected_fails(lpc: FakeSoc) -> None:
    lpc.ff.program(5 * PAGE, b"\xaa" * PAGE)
    lpc.ff.protected.append((5 * PAGE, 6 * PAGE))
    cmd(lpc, L.CMD_ERASE_RANGE, 5 * WPP)
    assert status(lpc) == L.FAIL | L.DONE
    assert not lpc.flash.is_erased_page(5)


def test_command_while_busy_is_err(lpc: FakeSoc) -> None:
    cmd(lpc, L.CMD_ERASE_RANGE, 0)
    lpc.w32(FC, L.CMD, L.CMD_INIT)
    assert status(lpc) & L.ERR and not status(lpc) & L.DONE
    lpc.advance(ERASE_I)
    assert status(lpc) & L.DONE


def test_blank_check(lpc: FakeSoc) -> None:
    cmd(lpc, L.CMD_BLANK_CHECK, 0, 10 * WPP - 1)
    assert status(lpc) == L.DONE
    write_page(lpc, 6, b"\x01" * PAGE)
    cmd(lpc, L.CMD_BLANK_CHECK, 0, 10 * WPP - 1)
    assert status(lpc) == L.FAIL | L.DONE
    assert lpc.r32(FC, L.DATAW0) // WPP == 6


def test_read_single_word_on_erased_page(lpc: FakeSoc) -> None:
    lpc.w32(FC, L.DATAW0, 0)
    cmd(lpc, L.CMD_READ_SINGLE_WORD, 40)
    assert status(lpc) == L.ECC_ERR | L.DONE
    assert lpc.r32(FC, L.DATAW0) == 0
    lpc.w32(FC, L.DATAW0, L.READ_ECC_OFF)
    cmd(lpc, L.CMD_READ_SINGLE_WORD, 40)
    assert status(lpc) == L.DONE
    assert lpc.exceptions == []


def test_int_enable_and_status_registers(lpc: FakeSoc) -> None:
    lpc.w32(FC, L.INT_SET_ENABLE, 0xF)
    lpc.w32(FC, L.INT_CLR_ENABLE, L.FAIL)
    assert lpc.r32(FC, L.INT_ENABLE) == L.ERR | L.DONE | L.ECC_ERR
    lpc.w32(FC, L.INT_SET_STATUS, L.FAIL)
    assert status(lpc) == L.FAIL | L.DONE
    lpc.w32(FC, L.INT_CLR_STATUS, L.FAIL | L.DONE)
    assert status(lpc) == 0


def _torn_program(seed: int) -> FakeSoc:
    s = FakeSoc(lpc55s69_platform(), seed)
    s.cut_ops = {0}
    load_page(s, b"\xff" * PAGE)
    cmd(s, L.CMD_PROGRAM, 12 * WPP)
    return s


def test_torn_program_marks_page(lpc: FakeSoc) -> None:
    s = _torn_program(7)
    assert s.flash.is_torn(12 * PAGE, PAGE)
    assert all(s.flash.is_torn(12 * PAGE + o, 16) for o in range(0, PAGE, 16))
    data = s.flash.read(12 * PAGE, PAGE)
    assert data not in (bytes(PAGE), b"\xff" * PAGE)
    assert data == _torn_program(7).flash.read(12 * PAGE, PAGE)
    s.advance(PROG_I * 2)
    assert not status(s) & L.DONE  # never completes; the CPU is stopped anyway
    s.w32(FC, L.DATAW0, 0)
    s.power_cycle()
    cmd(s, L.CMD_READ_SINGLE_WORD, 12 * WPP)
    assert status(s) == L.ECC_ERR | L.DONE
    cmd(s, L.CMD_BLANK_CHECK, 12 * WPP)
    assert status(s) == L.FAIL | L.DONE


def test_torn_erase_marks_page(lpc: FakeSoc) -> None:
    lpc.ff.program(3 * PAGE, b"\xff" * PAGE)
    cmd(lpc, L.CMD_ERASE_RANGE, 3 * WPP)
    lpc.advance(ERASE_I // 3)
    lpc.models[FC].tear_in_flight()
    lpc.advance(ERASE_I)
    assert lpc.flash.is_torn(3 * PAGE, PAGE) and not lpc.flash.is_erased_page(3)
    data = lpc.flash.read(3 * PAGE, PAGE)
    assert data not in (bytes(PAGE), b"\xff" * PAGE)


def test_torn_erase_without_core_tear(lpc: FakeSoc) -> None:
    lpc.tear_on_cut = False
    lpc.cut_ops = {0}
    lpc.ff.program(3 * PAGE, b"\xff" * PAGE)
    cmd(lpc, L.CMD_ERASE_RANGE, 3 * WPP)
    assert lpc.flash.is_torn(3 * PAGE, PAGE)


def test_warm_reset_during_program_tears(lpc: FakeSoc) -> None:
    load_page(lpc, b"\x5a" * PAGE)
    cmd(lpc, L.CMD_PROGRAM, 0)
    lpc.models[FC].reset(ResetCause.WATCHDOG)
    assert lpc.flash.is_torn(0, PAGE)
    assert status(lpc) == L.DONE
    lpc.advance(PROG_I * 2)
    assert lpc.flash.read(0, PAGE) != b"\x5a" * PAGE


def test_abort_event(lpc: FakeSoc) -> None:
    load_page(lpc, b"\x5a" * PAGE)
    cmd(lpc, L.CMD_PROGRAM, 0)
    lpc.w32(FC, L.EVENT, L.EVENT_ABORT)
    assert status(lpc) == L.FAIL | L.DONE
    assert lpc.flash.is_torn(0, PAGE)


def test_cpu_store_and_read_fault_are_bus_faults(lpc: FakeSoc) -> None:
    fc = lpc.models[FC]
    fc.store_to_flash(0x100, 4, 0)
    fc.cpu_read_fault(0x100)
    assert [e for e, _ in lpc.exceptions] == [Exc.BUSFAULT, Exc.BUSFAULT]
