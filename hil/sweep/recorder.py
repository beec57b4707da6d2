"""The clean pass's recorder: every flash operation of the update with the layout area it
writes and the OTA phase it falls in, and every phase event the device announced, as the
fault-trigger layer counts them (so a point's index is what a fault plan's ``op`` means)."""

from __future__ import annotations

from hil.engine.base import Engine
from hil.faults.plan import Phase
from hil.faults.trigger import OpHit, PhaseHit, Triggers
from hil.platform.model import Platform
from hil.sweep.phases import PhaseTracker
from hil.sweep.result import OpInfo, PhaseMark
from hil.sweep.select import area_of


class CleanPassRecorder:
    """Attached to a device's trigger layer when the device is made (before its first boot)."""

    def __init__(self, platform: Platform, engine: Engine, triggers: Triggers) -> None:
        self.platform = platform
        self.tracker = PhaseTracker(engine)
        self.ops: list[OpInfo] = []
        self.marks: list[PhaseMark] = []
        triggers.each_flash_op(self._on_op)
        triggers.each_phase(self._on_phase)

    def _on_op(self, hit: OpHit) -> None:
        op = hit.op
        area = area_of(self.platform, op.address)
        phase = self.tracker.phase(area)
        self.ops.append(
            OpInfo(
                hit.index, hit.kind_index, op.kind.value, op.address, area, phase, op.instructions
            )
        )

    def _on_phase(self, hit: PhaseHit) -> None:
        label = self.tracker.phase() if hit.phase is not Phase.BETWEEN_CHUNKS else hit.phase.value
        self.marks.append(PhaseMark(hit.phase, hit.occurrence, hit.instructions, label))


__all__ = ["CleanPassRecorder"]
