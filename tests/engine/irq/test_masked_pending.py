"""A SysTick held back by PRIMASK or BASEPRI costs nothing extra: the engine neither slices a
critical section at every SysTick wrap nor watches it instruction by instruction; the pending
exception is still taken right after the unmasking instruction. Measured deterministically in
slices and Python callbacks, not wall time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from irqfw import Program, build

from hil.engine.unicorn.core import Core
from hil.engine.unicorn.maskwatch import STEP_LIMIT
from hil.platform.model import Platform

SOURCE = r"""
#include "t.h"
void SysTick_Handler(void) { mark(0x51); }
int main(void) {
    REG8(SCB_SHPR(15)) = 0x80;                  /* held back by BASEPRI 0x40 */
    REG32(SYST_RVR) = 999u;                      /* a wrap every 1000 cycles */
    REG32(SYST_CVR) = 0u;
    REG32(SYST_CSR) = TICKING ? 7u : 0u;
    MASK_ON;
    for (volatile uint32_t i = 0; i < 20000u; i++) { }   /* ~140 wraps while held back */
    mark(1);
    MASK_OFF;
    mark(2);
    REG32(SYST_CSR) = 0u;
    return 0;
}
"""
VARIANTS = {
    "idle": (0, "", ""),
    "primask": (1, "cpsid()", "cpsie()"),
    "basepri": (1, "set_basepri(0x40)", "set_basepri(0)"),
}


def _measure(
    chip: Platform, tmp_path: Path, variant: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[int], int, int, int]:
    ticking, on, off = VARIANTS[variant]
    source = SOURCE.replace("MASK_ON", on).replace("MASK_OFF", off)
    elf = build(chip, source, tmp_path / variant, {"TICKING": ticking})
    calls = [0]
    guard = Core.guard

    def counting_guard(self: Core, fn: Callable[..., Any], default: Any = None) -> Any:
        def counted(*args: Any) -> Any:
            calls[0] += 1
            return fn(*args)

        return guard(self, counted, default)

    with monkeypatch.context() as m:
        m.setattr(Core, "guard", counting_guard)
        prog = Program(chip, elf)
    slices = [0]
    run_slice = prog.engine.hooks.run_slice

    def counting_slice(count: int) -> None:
        slices[0] += 1
        run_slice(count)

    prog.engine.hooks.run_slice = counting_slice  # type: ignore[method-assign]
    prog.run()
    return prog.log, slices[0], calls[0], prog.engine.instructions


@pytest.mark.parametrize("mask", ["primask", "basepri"])
def test_masked_pending_systick_runs_like_idle_and_is_taken_at_the_unmask(
    chip: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mask: str
) -> None:
    idle_log, idle_slices, idle_calls, idle_instr = _measure(chip, tmp_path, "idle", monkeypatch)
    log, slices, calls, instr = _measure(chip, tmp_path, mask, monkeypatch)
    assert idle_log == [1, 2]
    assert log == [1, 0x51, 2]  # held back through the loop, taken right after the unmask
    assert instr > 100_000 and abs(instr - idle_instr) < 1000
    # ~140 SysTick periods passed while held back: neither a slice per wrap nor a callback per
    # instruction; only the short single-step phase of the mask watch is extra
    assert slices <= idle_slices + STEP_LIMIT + 8, (slices, idle_slices)
    assert calls <= idle_calls + STEP_LIMIT + 8, (calls, idle_calls)
