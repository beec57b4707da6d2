"""Power-cut simulation of the swap bootloader on the host (MCUboot-simulator style): run a
boot that swaps, cut the power at flash operation n (the operation never starts, or is torn
as the chip tears it), power on and boot again (optionally cut again), and judge the flash
and the boot outcome. Every failing point has an ID that replays it exactly."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.swap.swap_harness import BOOT_OK, FLAG_UNSET, MAGIC_GOOD, Image, SwapSim

SAVE_SLOT = 0


@dataclass(frozen=True)
class Point:
    op: int  # flash operation (0-based, counted from the start of the boot) that is cut
    torn: int  # 0: the operation never starts; 1: it is torn
    second: int = -1  # a second cut during the recovery boot (-1: none)

    @property
    def ident(self) -> str:
        s = f"op{self.op:05d}-{'torn' if self.torn else 'clean'}"
        return s if self.second < 0 else f"{s}-then-op{self.second:05d}"


@dataclass
class SweepResult:
    ops: int  # flash operations of the clean boot
    points: int = 0
    resumed: int = 0  # recoveries that resumed an interrupted swap from its status
    outcomes: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (point id, reason)


# A judge returns the name of the outcome, or raises AssertionError with the reason.
Judge = Callable[[SwapSim], str]


def installed(sim: SwapSim, primary: Image, secondary: Image) -> bool:
    return sim.holds(0, primary) and sim.holds(1, secondary)


def judge_test_swap(old: Image, new: Image) -> Judge:
    """After a test swap of `new` over `old` (and any cut): either the new image runs on its
    test (primary = new, secondary = old, unconfirmed, so a revert is possible) or the swap
    was already reverted (primary = old, confirmed); never anything else."""

    def judge(sim: SwapSim) -> str:
        pst = sim.trailer(0)
        if installed(sim, new, old):
            assert pst.magic == MAGIC_GOOD and pst.image_ok == FLAG_UNSET, "new image not on test"
            return "new-on-test"
        if installed(sim, old, new):
            assert sim.lib.sh_running_confirmed() == 1, "old image back but not confirmed"
            return "reverted"
        raise AssertionError("the slots hold neither image pair (data lost)")

    return judge


def judge_revert(old: Image, new: Image) -> Judge:
    """After the revert of an unconfirmed `new` (and any cut): the old image is back."""

    def judge(sim: SwapSim) -> str:
        if installed(sim, old, new):
            assert sim.lib.sh_running_confirmed() == 1, "old image back but not confirmed"
            return "reverted"
        raise AssertionError("the old image is not back in the primary slot")

    return judge


def judge_perm(old: Image, new: Image) -> Judge:
    def judge(sim: SwapSim) -> str:
        if installed(sim, new, old):
            assert sim.lib.sh_running_confirmed() == 1, "permanent image not confirmed"
            return "new-permanent"
        raise AssertionError("the new image is not installed")

    return judge


def boot_ok(sim: SwapSim) -> int:
    out = sim.boot()
    assert out.rc == BOOT_OK, f"boot rc {out.rc}:\n{sim.log}"
    return int(out.resumed)


def run_point(sim: SwapSim, p: Point, judge: Judge, seed: int) -> tuple[str, int]:
    """Replay point `p` from the saved state. Returns (outcome, resumed)."""
    lib = sim.lib
    assert lib.sh_restore(SAVE_SLOT) == 0
    lib.sh_power_on()
    lib.sh_reset_ops()
    lib.sh_arm_cut(p.op, seed ^ p.op, p.torn)
    sim.boot()
    assert lib.sh_dead() == 1, "the cut never fired (operation beyond the boot)"
    lib.sh_power_on()
    resumed = 0
    if p.second >= 0:
        lib.sh_reset_ops()
        lib.sh_arm_cut(p.second, seed ^ (p.second << 8), 1)
        sim.boot()
        lib.sh_power_on()
        lib.sh_disarm()
    resumed = boot_ok(sim)
    return judge(sim), resumed


def sweep(
    sim: SwapSim,
    judge: Judge,
    *,
    stride: int = 1,
    seed: int = 12,
    nested: int = 0,
) -> SweepResult:
    """`sim` is saved (slot 0) just before the boot that swaps. Cut every `stride`-th
    operation both ways, plus `nested` seeded double cuts."""
    lib = sim.lib
    assert lib.sh_save(SAVE_SLOT) == 0
    lib.sh_reset_ops()
    boot_ok(sim)
    ops = int(lib.sh_ops())
    judge(sim)
    res = SweepResult(ops)
    points = [Point(op, torn) for op in range(0, ops, stride) for torn in (0, 1)]
    rnd = random.Random(seed)
    for _ in range(nested):
        first = rnd.randrange(ops)
        points.append(Point(first, 1, rnd.randrange(max(1, ops))))
    for p in points:
        res.points += 1
        try:
            outcome, resumed = run_point(sim, p, judge, seed)
        except AssertionError as exc:
            res.failures.append((p.ident, str(exc).splitlines()[0] if str(exc) else "failed"))
            continue
        res.resumed += resumed
        res.outcomes[outcome] = res.outcomes.get(outcome, 0) + 1
    lib.sh_restore(SAVE_SLOT)
    lib.sh_power_on()
    return res
