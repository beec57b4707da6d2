"""A fault storm (``hil.engine.unicorn.storm``): an NMI handler that returns into a load of a
flash unit with an ECC error repeats the same entry forever. The engine recognises the fixed
point (same registers, RAM, flash, no peripheral write, no interrupt possible) and treats the
core as locked up instead of entering the NMI millions of times; a handler that changes
anything (here: counts in RAM) is executed entry by entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.engine.base import StopReason
from hil.engine.unicorn.storm import LIMIT
from hil.platform import load_platform
from tests.engine.irq.irqfw import Program, build

TORN = 0x08040000

SOURCE = r"""
#include "t.h"
volatile uint32_t nmis;
void NMI_Handler(void) { COUNT }
int main(void) {
    mark(1u);
    mark(*(volatile uint32_t *)0x08040000u);  /* a unit with an ECC error: NMI, every time */
    return 0;
}
"""


def _program(tmp_path: Path, count: str) -> Program:
    chip = load_platform("stm32u585")
    prog = Program(chip, build(chip, SOURCE.replace("COUNT", count), tmp_path))
    prog.engine.flash_lose_unit(TORN, 16)
    return prog


def test_a_handler_returning_into_the_same_fault_is_a_storm(tmp_path: Path) -> None:
    prog = _program(tmp_path, "")
    result = prog.engine.run(2_000_000)  # 2 s of virtual time at 4 MHz: 8 M instructions
    assert result.reason is StopReason.LOCKUP, result
    assert result.detail.startswith("fault storm: exception 2 entered"), result.detail
    assert prog.log == [1]  # the load never completed
    entered = prog.engine.exceptions.entered
    assert entered == 2 * LIMIT, entered  # recognised, not entered millions of times
    assert result.time_ns >= 2_000_000_000  # the time passed as it does on the chip


@pytest.mark.parametrize("count", ["nmis++;"])
def test_a_handler_that_changes_ram_is_not_a_storm(tmp_path: Path, count: str) -> None:
    prog = _program(tmp_path, count)
    result = prog.engine.run(2_000)  # 2 ms: about 1,600 entries
    assert result.reason is StopReason.BUDGET, result
    entered = prog.engine.exceptions.entered
    assert entered > 3 * LIMIT
    assert prog.word("nmis") == entered
