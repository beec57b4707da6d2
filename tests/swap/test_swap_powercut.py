"""Power cuts at every flash operation of the swap bootloader's swaps (host build over the
flash simulator, the chips' tearing rules): after each cut the next boot resumes from the
swap status, never bricks, and ends with a complete image pair in the slots. The planted
bug that skips the status records is caught the same way.

Default run: every operation on the LPC55S69 (512-byte units: ~600 operations per swap),
every 7th on the STM32U585 (16-byte units: ~3600 operations); `-m slow` cuts every one."""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import pytest

from tests.swap.conftest import Images
from tests.swap.powercut import (
    Point,
    SweepResult,
    judge_perm,
    judge_revert,
    judge_test_swap,
    run_point,
    sweep,
)
from tests.swap.swap_harness import BOOT_OK, SWAP_TEST, Image, SwapSim

STRIDE = {"stm32u585": 7, "lpc55s69": 1}


def before_test_swap(lib: ctypes.CDLL, chip: str, old: Image, new: Image, perm: bool = False):
    sim = SwapSim(lib, chip)
    sim.provision(0, old)
    assert sim.boot().rc == BOOT_OK
    sim.provision(1, new)
    assert sim.set_pending(permanent=perm) == 0
    return sim


def before_revert(lib: ctypes.CDLL, chip: str, old: Image, new: Image) -> SwapSim:
    sim = before_test_swap(lib, chip, old, new)
    assert sim.boot().swap_type == SWAP_TEST
    return sim


def check(res: SweepResult, *, expect_resumes: bool = True) -> None:
    assert res.points > 0 and res.ops > 0
    assert not res.failures, f"{len(res.failures)} failing points, first: {res.failures[:3]}"
    if expect_resumes:
        assert res.resumed > 0, "no cut landed inside the swap"


def test_cut_during_test_swap(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = before_test_swap(swap_lib(chip), chip, im.v1, im.v2)
    res = sweep(sim, judge_test_swap(im.v1, im.v2), stride=STRIDE[chip], nested=20)
    check(res)
    assert res.outcomes.get("new-on-test", 0) > 0


def test_cut_during_revert(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = before_revert(swap_lib(chip), chip, im.v1, im.v2)
    res = sweep(sim, judge_revert(im.v1, im.v2), stride=STRIDE[chip], nested=20)
    check(res)


def test_cut_during_permanent_swap(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    sim = before_test_swap(swap_lib(chip), chip, im.v1, im.v2, perm=True)
    res = sweep(sim, judge_perm(im.v1, im.v2), stride=STRIDE[chip] * 3)
    check(res)


@pytest.mark.slow
def test_cut_at_every_operation_of_every_swap(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    im = images(chip)
    lib = swap_lib(chip)
    check(
        sweep(before_test_swap(lib, chip, im.v1, im.v2), judge_test_swap(im.v1, im.v2), nested=200)
    )
    check(sweep(before_revert(lib, chip, im.v1, im.v2), judge_revert(im.v1, im.v2), nested=200))
    perm = before_test_swap(lib, chip, im.v1, im.v2, perm=True)
    check(sweep(perm, judge_perm(im.v1, im.v2)))


def test_cut_during_app_writes(
    chip: str, swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    """The application's trailer writes (mark for test, confirm) and the bootloader's counter
    raise: a cut at each of their operations leaves a device that boots a good image."""
    im = images(chip)
    lib = swap_lib(chip)

    # mark for test: the magic is written last, so a cut at any of its operations leaves no
    # request (the old image runs), and the request can be made again
    sim = SwapSim(lib, chip)
    sim.provision(0, im.v1)
    assert sim.boot().rc == BOOT_OK
    sim.provision(1, im.v2)
    assert lib.sh_save(1) == 0
    lib.sh_reset_ops()
    assert sim.set_pending() == 0
    n = int(lib.sh_ops())
    assert n >= 3
    seen = set()
    for op in range(n):
        for torn in (0, 1):
            lib.sh_restore(1)
            lib.sh_power_on()
            lib.sh_reset_ops()
            lib.sh_arm_cut(op, op, torn)
            sim.set_pending()
            assert lib.sh_dead() == 1
            lib.sh_power_on()
            out = sim.boot()
            assert out.rc == BOOT_OK, (op, torn, sim.log)
            assert sim.holds(0, im.v1) or sim.holds(0, im.v2)
            seen.add("swapped" if sim.holds(0, im.v2) else "not requested")
            # the request can always be made again
            if sim.holds(0, im.v1):
                assert sim.set_pending() == 0, (op, torn)
    assert seen == {"not requested"}

    # confirm of a test image: afterwards it is confirmed, or it is reverted at the next boot
    sim = before_revert(lib, chip, im.v1, im.v2)
    assert lib.sh_save(1) == 0
    lib.sh_reset_ops()
    assert sim.confirm() == 0
    n = int(lib.sh_ops())
    assert n == 1
    outcomes = set()
    for torn in (0, 1):
        lib.sh_restore(1)
        lib.sh_power_on()
        lib.sh_reset_ops()
        lib.sh_arm_cut(0, 5, torn)
        sim.confirm()
        lib.sh_power_on()
        out = sim.boot()
        assert out.rc == BOOT_OK, sim.log
        outcomes.add("kept" if sim.holds(0, im.v2) else "reverted")
    assert "reverted" in outcomes  # the cut before the write

    # the counter raise after a confirm: the counter never goes down, and reaches 2
    sim = before_revert(lib, chip, im.v1, im.v2)
    assert sim.confirm() == 0
    assert lib.sh_save(1) == 0
    lib.sh_reset_ops()
    assert sim.boot().rc == BOOT_OK and sim.counter == 2
    n = int(lib.sh_ops())
    assert n == 1
    for torn in (0, 1):
        lib.sh_restore(1)
        lib.sh_power_on()
        lib.sh_reset_ops()
        lib.sh_arm_cut(0, 9, torn)
        sim.boot()
        lib.sh_power_on()
        assert sim.counter == 1
        assert sim.boot().rc == BOOT_OK and sim.counter == 2, sim.log


def test_a_failing_point_replays_exactly(
    swap_lib: Callable[..., ctypes.CDLL], images: Callable[[str], Images]
) -> None:
    """A point is identified by (operation, torn, second cut): replaying it gives the same
    flash, the same log and the same outcome."""
    chip = "stm32u585"
    im = images(chip)
    sim = before_test_swap(swap_lib(chip), chip, im.v1, im.v2)
    assert sim.lib.sh_save(0) == 0
    p = Point(1234, 1, 77)
    judge = judge_test_swap(im.v1, im.v2)
    first = run_point(sim, p, judge, seed=12)
    log1 = sim.log
    flash1 = sim.slot_bytes(0, sim.slot_size(0)) + sim.slot_bytes(1, sim.slot_size(1))
    second = run_point(sim, p, judge, seed=12)
    assert first == second and sim.log == log1
    assert flash1 == sim.slot_bytes(0, sim.slot_size(0)) + sim.slot_bytes(1, sim.slot_size(1))
