"""Robot Framework library of ota-hil: ``Library    hil.robot.OtaHil``.

One keyword class per domain, all thin over the core the CLI and the pytest plugin use (the
monitor's one command layer, ``hil.matrix.runner.run_case``, ``hil.replay``, the compliance
report): ``TargetKeywords`` (load, power, resets, brownout, ``Execute Command``),
``ConsoleKeywords`` (terminal tester, lines, events, their absence, timeline, slot state),
``UpdateKeywords`` (upload a package or a bad-package variant, expect an outcome),
``FaultKeywords`` (cut now or at a phase or flash operation, prove it fired), and
``MatrixKeywords`` (the 15 items' verdicts, replay, report). Renode's names are kept where a
keyword means the same (``Execute Command``, ``Start Emulation``, ``Create Terminal Tester``,
``Wait For Line On Uart``). Documentation: ``python -m robot.libdoc hil.robot.OtaHil``
(``scripts/setup.sh`` writes it to ``docs/robot/OtaHil.html``).
"""

from __future__ import annotations

from robot.api.deco import library

from hil.robot.console import ConsoleKeywords
from hil.robot.faults import FaultKeywords, UpdateKeywords
from hil.robot.matrix import MatrixKeywords
from hil.robot.target import TargetKeywords

__version__ = "0.1.0"


@library(scope="SUITE", version=__version__, auto_keywords=False)
class OtaHil(TargetKeywords, ConsoleKeywords, UpdateKeywords, FaultKeywords, MatrixKeywords):
    """ota-hil keywords: emulated STM32U585 / LPC55S69 targets running real firmware, OTA over
    SMP, power cuts and brownouts through the fault-trigger layer, and the must-pass matrix
    judged from the device's own evidence. Every target action is also a monitor command
    (``Execute Command``; ``Execute Command    help`` lists them)."""


__all__ = ["OtaHil"]
