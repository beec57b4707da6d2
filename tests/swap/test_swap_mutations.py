"""Each planted bug of the swap bootloader (firmware_stubs/swap/swap_hooks.h) changes what the
outside can see, on the host build: the same check passes on the normal build and fails on
the mutant. (The matrix catches them on the emulator through patterns and the oracle.)"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import pytest

from tests.swap.conftest import Images
from tests.swap.powercut import judge_test_swap, sweep
from tests.swap.swap_harness import BOOT_OK, SWAP_NONE, SWAP_TEST, Image, SwapSim

CHIP = "lpc55s69"  # both chips run the same code; the sweep is fastest on this one


def updated(lib: ctypes.CDLL, old: Image, new: Image) -> SwapSim:
    """Factory `old`, `new` marked for test, one boot."""
    sim = SwapSim(lib, CHIP)
    sim.provision(0, old)
    assert sim.boot().rc == BOOT_OK
    sim.provision(1, new)
    assert sim.set_pending() == 0
    sim.boot()
    return sim


def forged(img: Image) -> Image:
    d = img.data
    return Image(d[:-3] + bytes([d[-3] ^ 0x01]) + d[-2:], img.version, img.sec_cnt)


# flag -> (scenario, what the scenario shows on the good build)
def installs(im: Images, attr: str) -> Callable[[ctypes.CDLL], bool]:
    def run(lib: ctypes.CDLL) -> bool:
        bad = forged(im.v2) if attr == "forged" else getattr(im, attr)
        sim = updated(lib, im.v1, bad)
        return sim.holds(0, bad)

    return run


@pytest.mark.parametrize(
    ("flag", "attr"),
    [
        ("SWAP_MUT_SKIP_SIG", "forged"),
        ("SWAP_MUT_ACCEPT_REVOKED", "revoked"),
        ("SWAP_MUT_ACCEPT_DOWNGRADE", "old"),
        ("SWAP_MUT_IGNORE_SEC_CNT", "low_cnt"),
    ],
)
def test_refusal_bugs_install_the_bad_image(
    flag: str, attr: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    scenario = installs(images(CHIP), attr)
    assert scenario(swap_lib(CHIP)) is False
    assert scenario(swap_lib(CHIP, flag)) is True


def test_boot_old_image_is_hidden_from_the_log(
    swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    """SWAP_MUT_BOOT_OLD_IMAGE: the log of the update is byte for byte the good build's, the
    trailers decode the same, only the slot contents (the oracle) differ."""
    im = images(CHIP)
    good = updated(swap_lib(CHIP), im.v1, im.v2)
    bad = updated(swap_lib(CHIP, "SWAP_MUT_BOOT_OLD_IMAGE"), im.v1, im.v2)
    assert bad.log == good.log
    assert "I: Image 0 upgrade secondary slot -> primary slot" in bad.log
    for slot in (0, 1):
        g, b = good.trailer(slot), bad.trailer(slot)
        assert (g.magic, g.copy_done, g.image_ok) == (b.magic, b.copy_done, b.image_ok)
    assert good.holds(0, im.v2)
    assert bad.holds(0, im.v1) and not bad.holds(0, im.v2)


def test_no_revert_keeps_the_unconfirmed_image(
    swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(CHIP)
    for flag, reverted in (((), True), (("SWAP_MUT_NO_REVERT",), False)):
        sim = updated(swap_lib(CHIP, *flag), im.v1, im.fail)
        out = sim.boot()  # the test image did not confirm
        assert out.rc == BOOT_OK
        assert sim.holds(0, im.v1) is reverted, sim.log
        assert ("Swap type: revert" in sim.log) is reverted


def test_no_status_records_lose_data_after_a_cut(
    swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(CHIP)
    results = {}
    for flag in ((), ("SWAP_MUT_NO_STATUS",)):
        sim = SwapSim(swap_lib(CHIP, *flag), CHIP)
        sim.provision(0, im.v1)
        assert sim.boot().rc == BOOT_OK
        sim.provision(1, im.v2)
        assert sim.set_pending() == 0
        results[flag] = sweep(sim, judge_test_swap(im.v1, im.v2), stride=5)
    assert not results[()].failures
    bad = results[("SWAP_MUT_NO_STATUS",)]
    assert bad.failures, "the mutant survived every cut"
    reasons = {r for _, r in bad.failures}
    assert "boot rc -1:" in reasons, "no brick (Unable to find bootable image) among the points"
    assert "the slots hold neither image pair (data lost)" in reasons


def test_no_brownout_gating_writes_at_low_supply(
    swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(CHIP)
    for flag, gated in (((), True), (("SWAP_MUT_NO_BROWNOUT_GATING",), False)):
        sim = SwapSim(swap_lib(CHIP, *flag), CHIP)
        sim.provision(0, im.v1)
        assert sim.boot().rc == BOOT_OK
        sim.provision(1, im.v2)
        assert sim.set_pending() == 0
        sim.lib.sh_reset_ops()
        sim.lib.sh_supply_low(1)
        out = sim.boot()
        assert (sim.lib.sh_ops() == 0) is gated
        assert ("Flash write gated" in sim.log) is gated
        assert (out.swap_type == SWAP_TEST) is not gated
        assert out.swap_type in (SWAP_NONE, SWAP_TEST)
