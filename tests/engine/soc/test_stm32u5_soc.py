"""STM32U585 SoC blocks firmware meets first: ICACHE/DCACHE handshakes, every GPIO port with its
reset values, option bytes (unlock, OPTSTRT, OBL_LAUNCH reset with OBLRSTF) and the dual-bank
swap taking effect at option byte loading, persisting like flash, in snapshots, and a power cut
during the option change. Every program runs in strict MMIO mode: it touches modelled blocks
only."""

from __future__ import annotations

from pathlib import Path

import pytest
from soc_support import Assembler, reg, start

from hil.engine.base import FlashOp, FlashOpAction, ResetCause
from hil.engine.unicorn.engine import UnicornEngine
from hil.platform import load_platform

FLASH_R = 0x40022000
OPSR, OPTR = FLASH_R + 0x34, FLASH_R + 0x40
RCC_CSR = 0x46020CF4
OBLRSTF = 1 << 25
SWAP_BANK = 1 << 20
BANK2 = 0x08100000
MARKER = 0x08000200

CACHE_PROG = """
reset:
  ldr r0, =0x40030400      @ ICACHE
wait_reset_inval:
  ldr r1, [r0, #4]         @ SR: BUSYF after reset until the hardware invalidation ends
  lsls r2, r1, #31
  bmi wait_reset_inval
  mov r8, r1               @ SR after it: BSYENDF
  movs r1, #2
  str r1, [r0, #12]        @ FCR.CBSYENDF
  ldr r9, [r0, #4]         @ SR: 0
  ldr r1, [r0]
  orr r1, r1, #1           @ CR.EN
  str r1, [r0]
  orr r1, r1, #2           @ CR.CACHEINV
  str r1, [r0]
  ldr r3, [r0, #4]         @ SR: BUSYF
wait_inval:
  ldr r1, [r0, #4]
  lsls r2, r1, #30         @ BSYENDF into N
  bpl wait_inval
  ldr r10, [r0]            @ CR: EN + WAYSEL, CACHEINV reads 0
  ldr r0, =0x40031400      @ DCACHE1
  ldr r1, =0x00000901      @ EN | CACHECMD=1 | STARTCMD
  str r1, [r0]
wait_cmd:
  ldr r1, [r0, #4]
  lsls r2, r1, #27         @ CMDENDF into N
  bpl wait_cmd
  mov r11, r1
done:
  b done
"""

GPIO_PROG = """
reset:
  ldr r0, =0x42020000      @ GPIOA
  ldr r1, [r0]             @ MODER
  ldr r2, [r0, #8]         @ OSPEEDR
  ldr r3, [r0, #12]        @ PUPDR
  ldr r4, =0x42020400      @ GPIOB
  ldr r4, [r4]
  ldr r5, =0x42021800      @ GPIOG
  ldr r6, =0x00000200      @ BSRR: set pin 9
  str r6, [r5, #0x18]
  ldr r6, [r5, #0x14]      @ ODR
  ldr r7, [r5]             @ MODER
  ldr r0, =0x42022000      @ GPIOI
  ldr r8, [r0]
done:
  b done
"""

# Bank 1's copy swaps the banks (RM0456 option change sequence); bank 2's copy (marker 2) erases
# physical bank 1's first page through BKER=0 and stops.
SWAP_PROG = """
reset:
  ldr r0, =marker
  ldr r0, [r0]
  ldr r4, =0x40022000      @ FLASH
  ldr r1, =0x45670123      @ NSKEYR
  str r1, [r4, #0x08]
  ldr r1, =0xCDEF89AB
  str r1, [r4, #0x08]
  cmp r0, #2
  beq in_bank2
  ldr r1, =0x08192A3B      @ OPTKEYR
  str r1, [r4, #0x10]
  ldr r1, =0x4C5D6E7F
  str r1, [r4, #0x10]
  ldr r1, [r4, #0x40]      @ OPTR ^= SWAP_BANK
  eor r1, r1, #0x100000
  str r1, [r4, #0x40]
  ldr r1, [r4, #0x28]
  orr r1, r1, #0x20000     @ NSCR.OPTSTRT
  str r1, [r4, #0x28]
busy:
  ldr r1, [r4, #0x20]      @ NSSR.BSY
  lsls r1, r1, #15
  bmi busy
  ldr r1, [r4, #0x28]
  orr r1, r1, #{launch}
  str r1, [r4, #0x28]
hang:
  b hang
in_bank2:
  ldr r1, =0x00000002      @ NSCR: PER, PNB 0, BKER 0 (physical bank 1)
  str r1, [r4, #0x28]
  ldr r1, =0x00010002      @ | STRT
  str r1, [r4, #0x28]
erasing:
  ldr r1, [r4, #0x20]
  lsls r1, r1, #15
  bmi erasing
  movs r7, #0xB2
done:
  b done
.org 0x200
marker:
  .word 1
"""
OBL_LAUNCH = 0x08000000
SYSRESETREQ_INSTEAD = """
  ldr r0, =0xE000ED0C
  ldr r1, =0x05FA0004
  str r1, [r0]
"""


def test_icache_and_dcache_handshakes(asm: Assembler) -> None:
    e = start("stm32u585", asm("stm32u585", CACHE_PROG), strict=True)
    e.run(1000)
    assert reg(e, 8) & 0b11 == 0b10  # BSYENDF after the reset invalidation, BUSYF clear
    assert reg(e, 9) == 0 and reg(e, 3) & 1 == 1  # flag cleared; BUSYF after CACHEINV
    assert reg(e, 10) == 0b101  # EN + WAYSEL, CACHEINV self-cleared
    assert reg(e, 11) & 0b11000 == 0b10000  # DCACHE range command ended (CMDENDF)
    assert e.unmodelled_mmio() == []


def test_gpio_ports_reset_values(asm: Assembler) -> None:
    e = start("stm32u585", asm("stm32u585", GPIO_PROG), strict=True)
    e.run(100)
    assert (reg(e, 1), reg(e, 2), reg(e, 3)) == (0xABFFFFFF, 0x0C000000, 0x64000000)
    assert reg(e, 4) == 0xFFFFFEBF and reg(e, 7) == 0xFFFFFFFF and reg(e, 8) == 0xFFFFFFFF
    assert reg(e, 6) == 0x200


def _swap_engine(asm: Assembler, launch: bool = True, seed: int = 7) -> UnicornEngine:
    body = SWAP_PROG.replace("#{launch}", f"#{OBL_LAUNCH:#x}")
    if not launch:  # a plain system reset instead of OBL_LAUNCH: the new options stay unloaded
        body = body.replace(
            "  ldr r1, [r4, #0x28]\n  orr r1, r1, #0x8000000\n  str r1, [r4, #0x28]\n",
            SYSRESETREQ_INSTEAD,
        )
    elf = asm("stm32u585", body)
    e = UnicornEngine(load_platform("stm32u585"), seed=seed)
    e.load_elf(str(elf))
    image = e.flash_read(0x08000000, 0x400)
    e.program_flash(BANK2, image[:0x200] + (2).to_bytes(4, "little") + image[0x204:])
    e.set_strict_mmio(True)
    return e


def test_option_bytes_bank_swap_at_obl_launch(asm: Assembler) -> None:
    e = _swap_engine(asm)
    e.power_on()
    e.run(20_000)
    assert e.power.resets == [ResetCause.POWER_ON, ResetCause.OPTION_BYTES]
    assert e.debug_read32(RCC_CSR) & OBLRSTF
    assert e.debug_read32(OPTR) & SWAP_BANK and e.flash.banks_swapped
    assert reg(e, 7) == 0xB2  # bank 2's copy runs at 0x08000000 ...
    assert e.flash_read(MARKER, 4) == (2).to_bytes(4, "little")
    # ... and BKER=0 erased physical bank 1, now seen at the second bank's addresses
    assert e.flash_read(BANK2, 0x2000) == b"\xff" * 0x2000
    assert e.flash_read(0x08000000, 4) != b"\xff" * 4
    assert e.unmodelled_mmio() == []
    # persists across a power cycle, like flash, and rides in snapshots
    e.power_off()
    e.power_on()
    e.run(100)
    assert e.flash.banks_swapped and e.debug_read32(OPTR) & SWAP_BANK
    snap = e.flash_snapshot()
    fresh = UnicornEngine(load_platform("stm32u585"), seed=7)
    fresh.flash_restore(snap)
    fresh.power_on()
    assert fresh.flash.banks_swapped and fresh.debug_read32(OPTR) & SWAP_BANK
    assert fresh.flash_read(MARKER, 4) == (2).to_bytes(4, "little")


def test_options_are_loaded_only_by_obl_or_power_on(asm: Assembler) -> None:
    e = _swap_engine(asm, launch=False)
    e.power_on()
    e.run(20_000)
    # a plain system reset keeps the loaded options: still bank 1, programming again and again
    assert ResetCause.SOFTWARE in e.power.resets and not e.flash.banks_swapped
    assert not e.debug_read32(RCC_CSR) & OBLRSTF
    assert e.flash.options[0x40] & SWAP_BANK  # stored, not loaded
    e.power_off()
    e.power_on()  # power-on loads what was stored
    assert e.flash.banks_swapped and e.debug_read32(OPTR) & SWAP_BANK


def test_untouched_snapshot_is_unchanged_format() -> None:
    e = UnicornEngine(load_platform("stm32u585"), seed=1)
    assert b"options" not in e.flash_snapshot()[:400]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7, 8])
def test_power_cut_during_option_change(asm: Assembler, seed: int, tmp_path: Path) -> None:
    e = _swap_engine(asm, seed=seed)
    fired: list[FlashOp] = []

    def cut(op: FlashOp) -> FlashOpAction:
        if op.address == OPTR:
            fired.append(op)
            return FlashOpAction.CUT
        return FlashOpAction.CONTINUE

    e.on_flash_op(cut)
    e.power_on()
    e.run(20_000)
    assert len(fired) == 1 and e.power.state.value == "off"  # the cut fired during OPTSTRT
    e.power_on()
    assert e.debug_read32(OPSR) >> 29 == 6  # option change interrupted
    stored = e.flash.options.get(0x40, 0x1FEFF0AA)
    assert stored & ~SWAP_BANK == 0x1FEFF0AA & ~SWAP_BANK  # only the changing bit can differ
    assert e.flash.banks_swapped == bool(stored & SWAP_BANK)  # loaded = what the cut left
    assert bool(e.debug_read32(OPTR) & SWAP_BANK) == e.flash.banks_swapped
    # deterministic: the same seed leaves the same state
    again = _swap_engine(asm, seed=seed)
    again.on_flash_op(lambda op: FlashOpAction.CUT if op.address == OPTR else
                      FlashOpAction.CONTINUE)  # fmt: skip
    again.power_on()
    again.run(20_000)
    again.power_on()
    assert again.flash.options == e.flash.options


def test_cut_outcomes_cover_old_and_new(asm: Assembler) -> None:
    """Over seeds, a cut during the option change leaves the old value or the new one."""
    seen = set()
    for seed in range(1, 9):
        e = _swap_engine(asm, seed=seed)
        e.on_flash_op(lambda op: FlashOpAction.CUT if op.address == OPTR else
                      FlashOpAction.CONTINUE)  # fmt: skip
        e.power_on()
        e.run(20_000)
        e.power_on()
        seen.add(e.flash.banks_swapped)
    assert seen == {True, False}
