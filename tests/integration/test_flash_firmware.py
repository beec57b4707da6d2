"""Issue 2 acceptance: flash-controller rules as the firmware's own driver experiences them.

The application's console commands run the port's flash driver on the real controller
registers; the results come back as device evidence.
"""

from __future__ import annotations

from hil.device import Device
from hil.engine.base import FlashOp, FlashOpAction, FlashOpKind
from hil.platform.model import ErasedRead, Platform, TornRead
from tests.integration.helpers import boot_to_app, command, scratch_page


def _booted(device: Device) -> None:
    device.power_on()
    boot_to_app(device)


def test_erase_program_read_and_persistence(platform: Platform, device: Device) -> None:
    _booted(device)
    page = scratch_page(platform)
    assert command(device, f"erase {page:x}", "ERASE")["result"] == "ok"
    assert command(device, f"prog {page:x} 12345678", "PROG")["result"] == "ok"
    ev = command(device, f"read {page:x}", "READ")
    assert (ev["result"], ev.int("value")) == ("ok", 0x12345678)
    device.power_cycle()
    boot_to_app(device)
    ev = command(device, f"read {page:x}", "READ")
    assert (ev["result"], ev.int("value")) == ("ok", 0x12345678)  # flash kept its contents


def test_programming_a_written_unit_is_refused(platform: Platform, device: Device) -> None:
    _booted(device)
    page = scratch_page(platform)
    command(device, f"erase {page:x}", "ERASE")
    assert command(device, f"prog {page:x} 0000ffff", "PROG")["result"] == "ok"
    second = command(device, f"prog {page:x} 0000fff0", "PROG")["result"]
    # STM32U585: PROGERR; LPC55S69: the PROGRAM command FAILs on a page that is not erased
    assert second == ("progerr" if platform.name == "stm32u585" else "fail")
    ev = command(device, f"read {page:x}", "READ")
    assert ev.int("value") == 0x0000FFFF  # the refused program changed nothing


def test_erased_read(platform: Platform, device: Device) -> None:
    _booted(device)
    page = scratch_page(platform)
    command(device, f"erase {page:x}", "ERASE")
    ev = command(device, f"read {page:x}", "READ")
    if platform.name == "stm32u585":
        assert (ev["result"], ev.int("value")) == ("ok", 0xFFFFFFFF)
    else:
        assert ev["result"] == "erased"  # found by BLANK_CHECK without a faulting load


def _cut_at(kind: FlashOpKind, address: int, fired: list[FlashOp]):  # type: ignore[no-untyped-def]
    def hook(op: FlashOp) -> FlashOpAction:
        if op.kind is kind and op.address <= address < op.address + op.size and not fired:
            fired.append(op)
            return FlashOpAction.CUT
        return FlashOpAction.CONTINUE

    return hook


def test_torn_program_reads_the_chips_way(platform: Platform, device: Device) -> None:
    _booted(device)
    page = scratch_page(platform)
    command(device, f"erase {page:x}", "ERASE")
    fired: list[FlashOp] = []
    device.engine.on_flash_op(_cut_at(FlashOpKind.PROGRAM, page, fired))
    device.send_line(f"prog {page:x} 5a5aa5a5")
    device.run_for(200)
    assert len(fired) == 1, "the power cut never fired"
    device.power_on()
    boot_to_app(device)
    peek = command(device, f"peek {page:x}", "PEEK")
    again = command(device, f"peek {page:x}", "PEEK")
    assert again["result"] == peek["result"]  # a torn unit stays torn: every load faults
    read = command(device, f"read {page:x}", "READ")
    if platform.flash.torn_read is TornRead.ECC_NMI:
        # a plain CPU load takes the double-ECC NMI; the handler saw FLASH_ECCR.ECCD
        assert peek["result"] == "ecc"
        assert read["result"] == "ecc"
    else:
        assert peek["result"] == "fault"  # the CPU load took the precise bus fault
        assert read["result"] == "ecc"  # the controller probe found it without faulting


def test_torn_erase_leaves_torn_units(platform: Platform, device: Device) -> None:
    _booted(device)
    page = scratch_page(platform)
    command(device, f"erase {page:x}", "ERASE")
    command(device, f"prog {page:x} 00000000", "PROG")
    fired: list[FlashOp] = []
    device.engine.on_flash_op(_cut_at(FlashOpKind.ERASE, page, fired))
    device.send_line(f"erase {page:x}")
    device.run_for(200)
    assert len(fired) == 1, "the power cut never fired"
    device.power_on()
    boot_to_app(device)
    results = set()
    unit = platform.flash.ecc_unit
    for offset in range(0, platform.flash.page_size, max(unit, platform.flash.page_size // 16)):
        results.add(command(device, f"read {page + offset:x}", "READ")["result"])
    assert results & {"ecc", "fault"}, f"no torn unit found after a torn erase: {results}"


def test_cpu_load_of_erased_flash(platform: Platform, device: Device) -> None:
    _booted(device)
    page = scratch_page(platform)
    command(device, f"erase {page:x}", "ERASE")
    ev = command(device, f"peek {page:x}", "PEEK")
    if platform.flash.erased_read is ErasedRead.BUS_FAULT:
        assert ev["result"] == "fault"  # LPC55S69: erased pages have invalid ECC
    else:
        assert (ev["result"], ev.int("value")) == ("ok", 0xFFFFFFFF)
    command(device, f"prog {page:x} 0badc0de", "PROG")
    ev = command(device, f"peek {page:x}", "PEEK")
    assert (ev["result"], ev.int("value")) == ("ok", 0x0BADC0DE)
