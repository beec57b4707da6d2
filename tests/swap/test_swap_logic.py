"""The swap bootloader's decisions on the host (firmware_stubs/swap over the flash simulator):
MCUboot swap types test / perm / revert / none, image validation, downgrade prevention, the
monotonic security counter and brownout gating, on each chip's real layout."""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from tests.swap.conftest import Images
from tests.swap.swap_harness import (
    BOOT_EFLASH,
    BOOT_ENOIMAGE,
    BOOT_OK,
    FLAG_SET,
    FLAG_UNSET,
    MAGIC_GOOD,
    MAGIC_UNSET,
    SWAP_NONE,
    SWAP_PERM,
    SWAP_REVERT,
    SWAP_TEST,
    Image,
    SwapSim,
)

F_BOOTABLE, F_PENDING, F_CONFIRMED, F_ACTIVE, F_PERMANENT = 1, 2, 4, 8, 16


def factory(lib: ctypes.CDLL, chip: str, img: Image) -> SwapSim:
    sim = SwapSim(lib, chip)
    sim.provision(0, img)
    out = sim.boot()
    assert out.rc == BOOT_OK, sim.log
    return sim


def test_factory_image_boots_and_sets_the_counter(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = SwapSim(swap_lib(chip), chip)
    sim.provision(0, im.v1)
    out = sim.boot()
    assert out.rc == BOOT_OK and out.swap_type == SWAP_NONE, sim.log
    assert out.vtor == sim.slot_addr(0) + sim.layout.hdr_size
    assert out.image_off == sim.layout.primary_off
    assert sim.counter == 1
    lines = sim.log.splitlines()
    assert "I: Primary image: magic=unset, swap_type=0x1, copy_done=0x3, image_ok=0x3" in lines
    assert "I: Boot source: none" in lines
    assert "I: Image index: 0, Swap type: none" in lines
    assert "I: Security counter raised to 1" in lines
    assert f"I: Bootloader chainload address offset: 0x{sim.layout.primary_off:x}" in lines
    # slot 0 is active and confirmed (no trailer: a factory image is permanent)
    assert sim.flags(0) == F_BOOTABLE | F_ACTIVE | F_CONFIRMED
    assert sim.flags(1) == -1


def test_test_swap_then_confirm(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = factory(swap_lib(chip), chip, im.v1)
    sim.provision(1, im.v2)
    assert sim.flags(1) == F_BOOTABLE
    assert sim.set_pending() == 0
    assert sim.flags(1) == F_BOOTABLE | F_PENDING
    st = sim.trailer(1)
    assert (st.magic, st.image_ok, st.swap_type) == (MAGIC_GOOD, FLAG_UNSET, SWAP_TEST)

    out = sim.boot()
    assert out.rc == BOOT_OK and out.swap_type == SWAP_TEST, sim.log
    assert "I: Image index: 0, Swap type: test" in sim.log
    assert "I: Image 0 upgrade secondary slot -> primary slot" in sim.log
    assert "I: Primary   slot: version=1.0.0+1" in sim.log
    assert "I: Secondary slot: version=1.1.0+2" in sim.log
    assert sim.holds(0, im.v2) and sim.holds(1, im.v1)
    pst, sst = sim.trailer(0), sim.trailer(1)
    assert (pst.magic, pst.copy_done, pst.image_ok) == (MAGIC_GOOD, FLAG_SET, FLAG_UNSET)
    assert sst.magic == MAGIC_UNSET
    assert sim.counter == 1, "the counter rises only once the image is confirmed"
    # running unconfirmed: MCUmgr shows slot 1 (the old image) as the confirmed one
    assert sim.flags(0) == F_BOOTABLE | F_ACTIVE
    assert sim.flags(1) == F_BOOTABLE | F_CONFIRMED

    assert sim.confirm() == 0
    assert sim.trailer(0).image_ok == FLAG_SET
    out = sim.boot()
    assert out.rc == BOOT_OK and out.swap_type == SWAP_NONE, sim.log
    assert sim.holds(0, im.v2)
    assert sim.counter == 2
    assert sim.flags(0) == F_BOOTABLE | F_ACTIVE | F_CONFIRMED


def test_unconfirmed_image_is_reverted(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = factory(swap_lib(chip), chip, im.v1)
    sim.provision(1, im.v2)
    assert sim.set_pending() == 0
    assert sim.boot().swap_type == SWAP_TEST
    out = sim.boot()  # no confirm: the next boot reverts
    assert out.rc == BOOT_OK and out.swap_type == SWAP_REVERT, sim.log
    assert "I: Image index: 0, Swap type: revert" in sim.log
    assert "I: Image 0 revert secondary slot -> primary slot" in sim.log
    assert sim.holds(0, im.v1) and sim.holds(1, im.v2)
    pst = sim.trailer(0)
    assert (pst.magic, pst.copy_done, pst.image_ok) == (MAGIC_GOOD, FLAG_SET, FLAG_SET)
    assert sim.trailer(1).magic == MAGIC_UNSET
    out = sim.boot()
    assert out.swap_type == SWAP_NONE and sim.holds(0, im.v1)
    assert sim.counter == 1


def test_permanent_swap(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = factory(swap_lib(chip), chip, im.v1)
    sim.provision(1, im.v2)
    assert sim.set_pending(permanent=True) == 0
    assert sim.flags(1) == F_BOOTABLE | F_PENDING | F_PERMANENT
    out = sim.boot()
    assert out.swap_type == SWAP_PERM and sim.holds(0, im.v2), sim.log
    assert sim.trailer(0).image_ok == FLAG_SET
    assert sim.counter == 2, "a permanent image is confirmed: the counter rises at once"
    out = sim.boot()
    assert out.swap_type == SWAP_NONE and sim.holds(0, im.v2)


def test_two_releases_in_a_row(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = factory(swap_lib(chip), chip, im.v1)
    for new, old in ((im.v2, im.v1), (im.v3, im.v2)):
        sim.lib.sh_erase_range(sim.slot_addr(1), sim.image_area)
        sim.provision(1, new)
        assert sim.set_pending() == 0
        assert sim.boot().swap_type == SWAP_TEST, sim.log
        assert sim.holds(0, new) and sim.holds(1, old)
        assert sim.confirm() == 0
        assert sim.boot().swap_type == SWAP_NONE
    assert sim.counter == 3


REFUSALS = [
    # image attribute, the reason line, the item it proves
    ("revoked", "E: Image 0 secondary slot: revoked key"),
    ("unknown", "E: Image 0 secondary slot: unknown key"),
    ("no_cnt", "E: Image 0 secondary slot: no security counter"),
    ("old", "E: Insufficient version in secondary slot"),
    ("low_cnt", "E: Image security counter value 0 lower than monotonic value 1"),
]


def test_refused_images_are_erased_and_the_old_image_boots(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    for attr, line in REFUSALS:
        sim = factory(swap_lib(chip), chip, im.v1)
        bad: Image = getattr(im, attr)
        sim.provision(1, bad)
        assert sim.set_pending() == 0, attr  # the app checks integrity only, not the signature
        out = sim.boot()
        assert out.rc == BOOT_OK and out.swap_type == SWAP_NONE, (attr, sim.log)
        lines = sim.log.splitlines()
        assert line in lines, (attr, sim.log)
        assert "E: Image in the secondary slot is not valid!" in lines
        assert "E: Erasing image from secondary slot" in lines
        assert "Starting swap" not in sim.log
        assert sim.holds(0, im.v1)
        assert sim.trailer(1).magic == MAGIC_UNSET
        assert sim.slot_bytes(1, 32) == bytes([sim.layout.erased_value]) * 32


def test_forged_signature_and_tampered_image(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    data = im.v2.data
    # the last TLV is the ECDSA signature: flip a byte of its s value
    forged = Image(data[:-3] + bytes([data[-3] ^ 0x01]) + data[-2:], "1.1.0+2", 2)
    sim = factory(swap_lib(chip), chip, im.v1)
    sim.provision(1, forged)
    assert sim.set_pending() == 0
    sim.boot()
    assert "E: Image 0 secondary slot: bad signature" in sim.log.splitlines()
    assert sim.holds(0, im.v1)

    # a payload byte changed after signing: the app refuses to mark it (hash re-read)
    tampered = Image(data[:2000] + bytes([data[2000] ^ 0x80]) + data[2001:], "1.1.0+2", 2)
    sim = factory(swap_lib(chip), chip, im.v1)
    sim.provision(1, tampered)
    assert sim.set_pending() == -2  # IMGST_ERR_HASH
    assert sim.trailer(1).magic == MAGIC_UNSET
    # staged directly with a trailer magic (a debugger): the bootloader refuses it too
    sim.lib.sh_provision(
        sim.slot_addr(1) + sim.slot_size(1) - sim.layout.write_unit,
        trailer_magic_unit(sim),
        sim.layout.write_unit,
    )
    assert sim.trailer(1).magic == MAGIC_GOOD
    sim.boot()
    assert "E: Image 0 secondary slot: hash mismatch" in sim.log.splitlines()
    assert sim.holds(0, im.v1)


def trailer_magic_unit(sim: SwapSim) -> bytes:
    """The last write unit of a slot with MCUboot's magic (BOOT_MAX_ALIGN = the unit)."""
    a = sim.layout.write_unit
    magic = a.to_bytes(2, "little") + bytes.fromhex("2de15d29410b8d77679c110f1f8a")
    return bytes([sim.layout.erased_value]) * (a - 16) + magic


def test_second_allowed_key_is_accepted(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = factory(swap_lib(chip), chip, im.v1)
    sim.provision(1, im.second_key)
    assert sim.set_pending() == 0
    assert sim.boot().swap_type == SWAP_TEST, sim.log
    assert sim.holds(0, im.second_key)


def test_primary_below_the_counter_does_not_boot(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = factory(swap_lib(chip), chip, im.v2)
    assert sim.counter == 2
    # a debugger writes an older (validly signed) image into the primary slot
    sim.lib.sh_erase_range(sim.slot_addr(0), sim.slot_size(0))
    sim.provision(0, im.v1)
    out = sim.boot()
    assert out.rc == BOOT_ENOIMAGE, sim.log
    lines = sim.log.splitlines()
    assert "E: Image security counter value 1 lower than monotonic value 2" in lines
    assert "E: Image in the primary slot is not valid!" in lines
    assert lines[-1] == "E: Unable to find bootable image"


def test_empty_primary_is_not_bootable(chip: str, swap_lib: Callable[..., ctypes.CDLL]) -> None:
    sim = SwapSim(swap_lib(chip), chip)
    out = sim.boot()
    assert out.rc == BOOT_ENOIMAGE
    assert "E: Image 0 primary slot: bad image magic" in sim.log.splitlines()


def test_brownout_gates_the_swap_and_it_resumes(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = factory(swap_lib(chip), chip, im.v1)
    sim.provision(1, im.v2)
    assert sim.set_pending() == 0
    sim.lib.sh_reset_ops()
    sim.lib.sh_supply_low(1)
    out = sim.boot()
    assert out.rc == BOOT_EFLASH, sim.log
    assert sim.lib.sh_ops() == 0, "no flash operation may start while the supply is low"
    assert "E: Flash write gated (supply low): erase at 0x" in sim.log
    assert "E: Swap stopped: flash gated error 0 at 0x" in sim.log
    sim.lib.sh_supply_low(0)
    out = sim.boot()
    assert out.rc == BOOT_OK and out.swap_type == SWAP_TEST, sim.log
    assert sim.holds(0, im.v2) and sim.holds(1, im.v1)


def test_self_test_tlv_is_reported(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = factory(swap_lib(chip), chip, im.v1)
    sim.provision(1, im.fail)
    assert sim.set_pending() == 0
    out = sim.boot()
    assert out.swap_type == SWAP_TEST and out.self_test == 1, sim.log
    assert out.image_end == len(im.fail.data)
