"""Issue 2 acceptance: flash-controller register rules on the real engine, driven through the
bus like a debug probe (SWD AHB-AP) while our firmware idles in its main loop.

Register facts: shared/spec/targets.md §1.3 (STM32U585 FLASH) and §2.3 (LPC55S69 FLASH).
"""

from __future__ import annotations

import pytest

from hil.device import Device
from hil.engine.base import ResetCause
from hil.platform import load_platform
from tests.integration.helpers import boot_to_app, scratch_page

# STM32U585 FLASH (NS)
KEYR, SR, CR = 0x08, 0x20, 0x28
KEY1, KEY2 = 0x4567_0123, 0xCDEF_89AB
PG, PER, STRT, LOCK = 1 << 0, 1 << 1, 1 << 16, 1 << 31
EOPIE = 1 << 24
EOP, PROGERR, PGAERR, PGSERR, BSY, WDW = 1 << 0, 1 << 3, 1 << 5, 1 << 7, 1 << 16, 1 << 17

# LPC55S69 FLASH
CMD, STARTA, STOPA, DATAW0 = 0x000, 0x010, 0x014, 0x080
INT_STATUS, INT_CLR_STATUS = 0xFE0, 0xFE8
FAIL, ERR, DONE = 1 << 0, 1 << 1, 1 << 2
ERASE_RANGE, BLANK_CHECK, WRITE, PROGRAM = 4, 5, 8, 12


def _probe(device: Device) -> tuple[int, int]:
    """Boot to the app's idle loop; return (flash controller base, scratch page)."""
    device.power_on()
    boot_to_app(device)
    device.wait_for("RAM_MARK", 1000, src="app")
    device.run_for(50)  # the app stores its start-up events in the flash evidence ring
    base = device.platform.peripheral(device.platform.roles.flash_controller).base
    return base, scratch_page(device.platform)


@pytest.fixture
def stm32(device_factory) -> Device:  # type: ignore[no-untyped-def]
    return device_factory(load_platform("stm32u585"))  # type: ignore[no-any-return]


@pytest.fixture
def lpc(device_factory) -> Device:  # type: ignore[no-untyped-def]
    return device_factory(load_platform("lpc55s69"))  # type: ignore[no-any-return]


def _unlock(device: Device, base: int) -> None:
    device.engine.debug_write32(base + KEYR, KEY1)
    device.engine.debug_write32(base + KEYR, KEY2)


def _wait_idle(device: Device, base: int) -> int:
    device.run_for(20)  # > erase time (5 ms) of virtual time
    sr = device.engine.debug_read32(base + SR)
    assert sr & (BSY | WDW) == 0
    return sr


def test_stm32_locked_and_wrong_key_locks_until_reset(stm32: Device) -> None:
    device = stm32
    e = device.engine
    base, page = _probe(device)
    assert e.debug_read32(base + CR) & LOCK
    # erase attempt while locked: the control register ignores the write
    before = e.flash_read(page, 16)
    e.debug_write32(base + CR, PER | STRT | (((page - 0x0800_0000) // 0x2000) << 3))
    assert e.debug_read32(base + SR) & BSY == 0
    assert e.flash_read(page, 16) == before
    # a wrong key latches the lock until the next reset, even for the right keys
    e.debug_write32(base + KEYR, 0x1234_5678)
    _unlock(device, base)
    assert e.debug_read32(base + CR) & LOCK
    device.reset(ResetCause.PIN)
    boot_to_app(device)
    _unlock(device, base)
    assert e.debug_read32(base + CR) & LOCK == 0


def test_stm32_erase_program_and_error_flags(stm32: Device) -> None:
    device = stm32
    e = device.engine
    base, page = _probe(device)
    _unlock(device, base)
    pnb = ((page - 0x0800_0000) % 0x10_0000) // 0x2000
    e.debug_write32(base + CR, PER | EOPIE | (pnb << 3))
    e.debug_write32(base + CR, PER | EOPIE | (pnb << 3) | STRT)
    assert e.debug_read32(base + SR) & BSY  # erase takes virtual time
    assert _wait_idle(device, base) & EOP
    assert e.flash_read(page, 0x2000) == b"\xff" * 0x2000
    e.debug_write32(base + SR, EOP)  # write 1 to clear
    assert e.debug_read32(base + SR) & EOP == 0
    # quad-word program: four word stores with PG set
    e.debug_write32(base + CR, PG)
    for i in range(4):
        e.debug_write32(page + 4 * i, 0x1111_0000 + i)
        if i < 3:  # the write buffer waits for the rest of the quad-word
            assert e.debug_read32(base + SR) & WDW
    _wait_idle(device, base)
    assert e.flash_read(page, 8) == bytes.fromhex("0000111101001111")
    # programming a unit that is not erased: PROGERR, nothing written
    for i in range(4):
        e.debug_write32(page + 4 * i, 0x2222_2222)
    assert _wait_idle(device, base) & PROGERR
    assert e.flash_read(page, 4) == bytes.fromhex("00001111")
    # misaligned first word: PGAERR
    e.debug_write32(base + SR, PROGERR)
    e.debug_write32(page + 0x24, 0)
    assert _wait_idle(device, base) & PGAERR
    e.debug_write32(base + SR, PGAERR)
    assert e.debug_read32(base + SR) & (PGAERR | PROGERR) == 0
    # a flash store with PG clear: PGSERR
    e.debug_write32(base + CR, 0)
    e.debug_write32(page + 0x40, 0)
    assert e.debug_read32(base + SR) & PGSERR


def _lpc_cmd(device: Device, base: int, cmd: int, start: int, stop: int | None = None) -> int:
    e = device.engine
    e.debug_write32(base + INT_CLR_STATUS, 0xF)
    e.debug_write32(base + STARTA, start >> 4)
    if stop is not None:
        e.debug_write32(base + STOPA, stop >> 4)
    e.debug_write32(base + CMD, cmd)
    device.run_for(5)  # > one page operation of virtual time
    status = e.debug_read32(base + INT_STATUS)
    assert status & DONE
    return status


def test_lpc_commands(lpc: Device) -> None:
    device = lpc
    e = device.engine
    base, page = _probe(device)
    assert _lpc_cmd(device, base, 0x55, page) & ERR  # not a command
    assert _lpc_cmd(device, base, ERASE_RANGE, page, page + 0x1FF) & (FAIL | ERR) == 0
    assert _lpc_cmd(device, base, BLANK_CHECK, page, page + 0x1FF) & FAIL == 0
    for row in range(32):
        for w in range(4):
            e.debug_write32(base + DATAW0 + 4 * w, 0xA000_0000 + row * 4 + w)
        assert _lpc_cmd(device, base, WRITE, page + 16 * row) & ERR == 0
    assert _lpc_cmd(device, base, PROGRAM, page) & (FAIL | ERR) == 0
    assert e.flash_read(page + 16, 4) == (0xA000_0004).to_bytes(4, "little")
    assert _lpc_cmd(device, base, BLANK_CHECK, page, page + 0x1FF) & FAIL  # not blank now
    # programming a page that is not erased fails and changes nothing
    assert _lpc_cmd(device, base, PROGRAM, page) & FAIL
    assert e.flash_read(page + 16, 4) == (0xA000_0004).to_bytes(4, "little")
    e.debug_write32(base + INT_CLR_STATUS, FAIL | ERR | DONE)
    assert e.debug_read32(base + INT_STATUS) & (FAIL | ERR | DONE) == 0
