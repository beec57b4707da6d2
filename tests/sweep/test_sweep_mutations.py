"""Issue 15: the planted bugs that only a second cut finds. Each runs only in a recovery, so a
depth-1 sweep of the cuts that set that recovery in motion passes, and the same sweep at
depth 2 (cutting the recovery's own flash operations too) fails with metadata lost."""

from __future__ import annotations

import pytest

from hil.faults import parse_plan
from hil.firmware import build_firmware
from hil.platform import load_platform
from hil.sweep import Sweep, SweepOptions
from hil.sweep.mutations import RECOVERY_MUTATIONS, recovery_points


@pytest.mark.parametrize(
    ("flag", "chip"),
    [("MUT_ROLLBACK_META_IN_PLACE", "stm32u585"), ("MUT_UNJOURNALED_FLOOR_BUMP", "lpc55s69")],
)
def test_caught_by_depth_2_missed_by_depth_1(flag: str, chip: str) -> None:
    assert flag in RECOVERY_MUTATIONS
    platform = load_platform(chip)
    defines = {flag: 1}
    fw = build_firmware(platform, defines=defines)
    ops, _, _ = Sweep(platform, fw, defines=defines).clean_pass()
    plan = parse_plan(recovery_points(flag, ops, limit=1), f"{flag} recovery points")

    def sweep(depth: int) -> list[str]:
        opt = SweepOptions(plan=plan, depth=depth, workers=2)
        res = Sweep(platform, fw, defines=defines, options=opt).run()
        assert all(r.fired for r in res.points if r.ran)
        return [p for r in res.failures() for p in r.problems()]

    assert sweep(1) == []  # one cut, an untouched recovery: the bug never shows
    caught = sweep(2)
    assert caught, f"{flag}: depth 2 did not catch it"
    assert any("META result=both-invalid" in p for p in caught), caught[:3]
