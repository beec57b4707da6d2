"""Issue 13 point 6: a sweep child that dies (SIGKILL) is an internal error, not a brick: its
point is run once more; lost twice, it is reported as lost (no device verdict, exit 3)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hil.faults import parse_plan
from hil.firmware import FirmwareSet
from hil.platform import load_platform
from hil.sweep import Sweep, SweepOptions
from hil.sweep.fork import ForkPool

FwFactory = Callable[[Any], FirmwareSet]


@pytest.mark.parametrize("deaths", [1, 2])
def test_killed_child_is_retried_then_internal(
    firmware_factory: FwFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deaths: int
) -> None:
    platform = load_platform("lpc55s69")
    fw = firmware_factory(platform)
    plan = parse_plan({"faults": [{"kind": "phase_cut", "phase": "staging"}]}, "one point")
    real_exit = ForkPool.child_exit
    count = tmp_path / "deaths"

    def dying_exit(self: ForkPool, tag: str, result: Any) -> Any:  # runs in the child
        with open(count, "a", encoding="utf-8") as f:
            f.write("x")
        if len(count.read_text(encoding="utf-8")) <= deaths:
            os.kill(os.getpid(), signal.SIGKILL)  # as if killed from outside
        return real_exit(self, tag, result)

    monkeypatch.setattr(ForkPool, "child_exit", dying_exit)
    res = Sweep(platform, fw, options=SweepOptions(plan=plan, seed=1, workers=2)).run()
    assert res.bricks == 0 and not res.failures()
    if deaths == 1:  # the retry gave the verdict
        assert not res.lost and res.passed
        assert res.points[0].verdict.ok and res.points[0].fired
    else:
        (why,) = res.lost.values()
        assert "signal 9" in why and "retried once" in why, why
        assert not res.passed
