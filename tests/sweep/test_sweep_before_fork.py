"""Issue 16: a sweep point decided at its cut, before forking. The engine previews what a power
cut in the operation now would leave in flash (``Engine.cut_preview``, the seeded tear
included) without changing anything; the sweep decides "same state"/"same recovery" from it
in the parent, so a collapsed point costs no child. The preview equals the real cut, and a
sweep that decides before forking reports exactly what one that forks every point reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.engine.base import FlashOp, FlashOpAction, FlashOpKind
from hil.firmware import build_firmware
from hil.platform import load_platform
from hil.scenarios import Bench, ScenarioRun, power_cut_update
from hil.sweep import Sweep, SweepOptions
from hil.sweep.report import write_sweep


@pytest.mark.parametrize("chip", ["stm32u585", "lpc55s69"])
@pytest.mark.parametrize("kind", [FlashOpKind.ERASE, FlashOpKind.PROGRAM])
def test_cut_preview_is_the_cut(chip: str, kind: FlashOpKind) -> None:
    """At the 3rd operation of the kind in a slot: the preview's pages and digests are those
    the real cut leaves, and previewing changed nothing (the run goes on to the same cut)."""
    from hil.device import Device
    from hil.engine.registry import create_engine

    platform = load_platform(chip)
    fw = build_firmware(platform)
    slot = platform.layout["slot_b"]
    seen: dict[str, object] = {}

    def make(factory):  # type: ignore[no-untyped-def]
        dev = Device(create_engine("unicorn", platform, 1), factory)
        n = 0

        def hook(op: FlashOp) -> FlashOpAction:
            nonlocal n
            if op.kind is not kind or not slot.address <= op.address < slot.end or seen:
                return FlashOpAction.CONTINUE
            n += 1
            if n < 3:
                return FlashOpAction.CONTINUE
            engine = dev.engine
            before = engine.flash_page_digests()
            preview = engine.cut_preview()
            again = engine.cut_preview()
            assert engine.flash_page_digests() == before  # nothing changed
            engine.power_off()
            after = engine.flash_page_digests()
            seen.update(preview=preview, again=again, before=before, after=after)
            return FlashOpAction.CUT

        dev.engine.on_flash_op(hook)
        return dev

    run = ScenarioRun("power-cut-update")
    power_cut_update(Bench(platform, fw, make), run)
    preview, before, after = seen["preview"], seen["before"], seen["after"]
    assert isinstance(preview, dict) and isinstance(before, list) and isinstance(after, list)
    changed = {p: d for p, d in enumerate(after) if d != before[p]}
    assert changed and preview == changed  # the cut tore these pages, as previewed
    assert seen["again"] == preview  # the preview drew nothing from the seeded randomness


def test_deciding_before_fork_reports_what_forking_every_point_reports(tmp_path: Path) -> None:
    platform = load_platform("stm32u585")
    fw = build_firmware(platform)
    reports = []
    decided = []
    for before in (True, False):
        opt = SweepOptions(stride=24, phases=False, random=0, workers=2, decide_before_fork=before)
        res = Sweep(platform, fw, options=opt).run()
        d = tmp_path / str(before)
        write_sweep(res, d, engine="unicorn", build=2, defines={}, hashes={})
        reports.append((d / "points.jsonl").read_bytes())
        decided.append(res.decided_before_fork)
        assert not res.failures() and res.collapsed > res.points_run
    assert reports[0] == reports[1]
    # the download's cuts after the first recoveries were published collapse at the cut
    assert decided[0] > 10 and decided[1] == 0


def test_the_sample_rate_is_lowered_to_draw_about_sample_max_first_cuts() -> None:
    from hil.sweep.select import sample_rate

    assert sample_rate(SweepOptions(sample=0.1, sample_max=100), 400) == 0.1
    assert sample_rate(SweepOptions(sample=0.1, sample_max=100), 4000) == 100 / 4000
    assert sample_rate(SweepOptions(sample=0.1, sample_max=0), 4000) == 0.1  # no limit
    assert sample_rate(SweepOptions(sample=0.0, sample_max=100), 4000) == 0.0
