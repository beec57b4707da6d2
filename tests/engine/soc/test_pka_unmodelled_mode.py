"""STM32U585 PKA on the real engine: a mode the model does not compute (ECC scalar
multiplication) is recorded with the unmodelled MMIO accesses, and strict mode stops there."""

from __future__ import annotations

import pytest
from soc_support import Assembler, reg, start

from hil.engine.base import StrictMmioStop

PROG = """
reset:
  ldr r0, =0x46020C8C      @ RCC_AHB2ENR1
  ldr r1, =0x00080000      @ PKAEN
  str r1, [r0]
  ldr r0, =0x420C2000      @ PKA_CR
  movs r1, #1              @ EN
  str r1, [r0]
wait:
  ldr r2, [r0, #4]         @ PKA_SR: wait for INITOK
  lsls r2, r2, #31
  beq wait
  ldr r1, =0x2003          @ MODE 0x20 (ECC scalar multiplication), START, EN
  str r1, [r0]
  ldr r3, [r0, #4]         @ SR after the start
done:
  b done
"""


def test_unmodelled_pka_mode_is_recorded(asm: Assembler) -> None:
    e = start("stm32u585", asm("stm32u585", PROG))
    e.run(2000)
    assert reg(e, 3) & (1 << 16)  # BUSY: the operation never ends
    recs = [r for r in e.unmodelled_mmio() if r.block == "PKA"]
    assert [(r.register, r.address, r.write, r.value) for r in recs] == [
        ("CR.MODE=0x20", 0x420C_2000, True, 0x2003)
    ]


def test_strict_mode_stops_at_the_unmodelled_mode(asm: Assembler) -> None:
    e = start("stm32u585", asm("stm32u585", PROG), strict=True)
    with pytest.raises(StrictMmioStop, match="PKA.CR.MODE=0x20"):
        e.run(2000)
