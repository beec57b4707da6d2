"""Point selection from a clean pass (hil.sweep.select): ``slot_stride`` thins the cuts in the
image's slot operations only; every metadata, evidence and anchor operation keeps its cut."""

from __future__ import annotations

from hil.platform import load_platform
from hil.sweep import PointKind, SweepOptions, select_points
from hil.sweep.result import OpInfo

AREAS = ["evidence", "meta_a"] + ["slot_b"] * 10 + ["meta_b", "slot_b", "slot_b", "evidence"]


def _ops() -> list[OpInfo]:
    return [OpInfo(i, i, "program", 0, area, "download", 1000 * i) for i, area in enumerate(AREAS)]


def _cut_ops(options: SweepOptions) -> list[int]:
    points = select_points(load_platform("stm32u585"), options, _ops(), [])
    return [p.op for p in points if p.kind is PointKind.FLASH_OP]


def test_slot_stride_thins_slot_operations_only() -> None:
    assert _cut_ops(SweepOptions(random=0)) == list(range(len(AREAS)))
    every_4th_slot = _cut_ops(SweepOptions(slot_stride=4, random=0))
    slot = [i for i, a in enumerate(AREAS) if a == "slot_b"]
    assert every_4th_slot == sorted([i for i, a in enumerate(AREAS) if a != "slot_b"] + slot[::4])
    assert [AREAS[i] for i in every_4th_slot].count("slot_b") == 3  # of 12


def test_stride_applies_before_slot_stride() -> None:
    both = _cut_ops(SweepOptions(stride=2, slot_stride=2, random=0))
    halved = list(range(0, len(AREAS), 2))
    slot = [i for i in halved if AREAS[i] == "slot_b"]
    assert both == sorted([i for i in halved if AREAS[i] != "slot_b"] + slot[::2])
