"""The outside oracle's view of a sweep point, and its agreement with the evidence.

At the end of a point's recovery the sweep asks the chip itself, without the firmware's
help (``hil.oracle``: an image by its bytes and the PC): which image runs (the slot holding
the PC; that slot's MCUboot image, named by its SHA-256 among the images of the clean update,
the approved ones), whether the core sits in a fault handler (IPSR), and whether it was
cycling through resets. ``reboot loop`` here: the recovery did not reach a running
application and the chip reset itself (watchdog, lockup, software; not the harness's
power-on) ``LOOP_RESETS`` times or more. assumed: a bound, not a rule from the reference
manual: the reference bootloader gives a trial image three attempts, so a recovery that ends
well resets itself at most three times.

``disagreement(verdict, view)`` compares the two: an application the evidence says runs
(build N from slot S) must be the approved image of build N in slot S by the oracle, with the
PC in its code, not in a fault handler, no reboot loop; when the evidence says nothing runs
(a brick, RESCUE), the oracle must not see an approved image running. A point where they
disagree fails (invariant ``oracle``) and the report names both views.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hil.engine.base import Engine, ResetCause
from hil.evidence import Outcome
from hil.oracle import slot_image
from hil.oracle.oracle import FAULT_EXCEPTIONS
from hil.platform.model import Platform
from hil.sweep.judge import PointVerdict

SLOT_AREAS = {"slot_a": "A", "slot_b": "B"}
LOOP_RESETS = 4


@dataclass(frozen=True)
class OracleView:
    running: str  # "build N" (approved), "unknown:<sha>", "fault", "bootloader", "off", "none"
    slot: str | None  # the slot whose image holds the PC
    pc: int
    chip_resets: int  # resets the chip did itself during the recovery
    reboot_loop: bool

    def text(self) -> str:
        where = f" from slot {self.slot}" if self.slot else ""
        loop = ", reboot loop" if self.reboot_loop else ""
        return f"{self.running}{where} (PC 0x{self.pc:08x}, {self.chip_resets} chip resets{loop})"


def approved_images(platform: Platform, engine: Engine) -> dict[str, str]:
    """The images the slots hold (after the clean update): SHA-256 -> "build N"."""
    out: dict[str, str] = {}
    for name in SLOT_AREAS:
        a = platform.layout[name]
        img = slot_image(engine.flash_read(a.address, a.size))
        if img is not None:
            out[img.sha256] = f"build {img.version.rpartition('+')[2]}"
    return out


def observe(
    platform: Platform,
    engine: Engine,
    approved: Mapping[str, str],
    resets: Sequence[ResetCause],
    recovered: bool,
) -> OracleView:
    chip = sum(1 for c in resets if c is not ResetCause.POWER_ON)
    loop = not recovered and chip >= LOOP_RESETS
    pc = engine.pc
    if not engine.powered:
        return OracleView("off", None, pc, chip, loop)
    if engine.read_register("xpsr") & 0x1FF in FAULT_EXCEPTIONS:
        return OracleView("fault", None, pc, chip, loop)
    for name, slot in SLOT_AREAS.items():
        a = platform.layout[name]
        if a.address <= pc < a.end:
            img = slot_image(engine.flash_read(a.address, a.size))
            if img is None or not a.address + img.hdr_size <= pc < a.address + img.end:
                return OracleView("outside an image", slot, pc, chip, loop)
            label = approved.get(img.sha256, f"unknown:{img.sha256[:12]}")
            return OracleView(label, slot, pc, chip, loop)
    boot = platform.layout["bootloader"]
    running = "bootloader" if boot.address <= pc < boot.end else "none"
    return OracleView(running, None, pc, chip, loop)


def disagreement(v: PointVerdict, view: OracleView) -> str | None:
    """Both views when the evidence and the oracle disagree, else None."""
    runs = v.outcome not in (Outcome.UNKNOWN, Outcome.RESCUE) and v.build is not None
    evidence = (
        f"build {v.build} runs from slot {v.slot} ({v.outcome.value})"
        if runs
        else f"no application runs ({v.outcome.value})"
    )
    if runs:
        agree = view.running == f"build {v.build}" and view.slot == v.slot and not view.reboot_loop
    else:
        agree = not view.running.startswith("build ")
    return None if agree else f"evidence: {evidence}; oracle: {view.text()}"


__all__ = ["LOOP_RESETS", "OracleView", "approved_images", "disagreement", "observe"]
