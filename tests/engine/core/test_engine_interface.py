"""What the engine interface (``hil.engine.base.Engine``) offers the harness above it, on the
unicorn engine: harness timers, halts, power state, PC and registers, single steps, time
conversion. The test platform's clock is 1 MHz: one instruction is one microsecond."""

from __future__ import annotations

from core_support import FCTL, FLASH, Assembler, boot

from hil.engine import StopReason
from hil.engine.base import Engine, FlashOpAction, ResetCause
from hil.engine.unicorn.engine import UnicornEngine

SPIN = "reset:\n  b reset\n"


def test_timer_fires_at_its_instruction(engine: UnicornEngine, assemble: Assembler) -> None:
    boot(engine, assemble(SPIN))
    seen: list[int] = []
    engine.after(1_234, lambda: seen.append(engine.instructions))
    engine.after(0, lambda: seen.append(-1))  # at once
    assert seen == [-1]
    result = engine.run(10_000)
    assert result.reason is StopReason.BUDGET
    assert seen == [-1, 1_234]


def test_timer_survives_a_warm_reset_and_is_dropped_at_power_on(
    engine: UnicornEngine, assemble: Assembler
) -> None:
    boot(engine, assemble(SPIN))
    seen: list[str] = []
    engine.after(5_000, lambda: seen.append(f"warm {engine.instructions}"))
    engine.run(1_000)
    engine.reset(ResetCause.PIN)  # the chip's own callbacks are dropped, the harness's are not
    engine.run(10_000)
    assert seen == ["warm 5000"]
    engine.after(5_000, lambda: seen.append("cold"))
    engine.reset(ResetCause.POWER_ON)
    engine.run(10_000)
    assert seen == ["warm 5000"]


def test_halt_stops_the_run_with_the_reason(engine: UnicornEngine, assemble: Assembler) -> None:
    boot(engine, assemble(SPIN))
    engine.after(300, lambda: engine.halt("look here"))
    result = engine.run(10_000)
    assert (result.reason, result.detail, result.instructions) == (
        StopReason.HALTED,
        "look here",
        300,
    )
    assert engine.run(100).reason is StopReason.BUDGET  # the next run carries on


def test_powered_pc_registers_and_one_step(engine: UnicornEngine, assemble: Assembler) -> None:
    elf = assemble("""
reset:
  movs r0, #1
  adds r0, r0, #1
  b reset
""")
    assert not engine.powered
    boot(engine, elf)
    assert engine.powered
    start = engine.pc
    assert start & ~0xFFFF == FLASH
    assert {"r0", "sp", "pc", "xpsr", "msp", "psp"} <= set(engine.register_names)
    engine.write_register("r0", 41)
    assert engine.step().instructions == 1 and engine.pc == start + 2
    assert engine.read_register("r0") == 1
    engine.step()
    assert engine.read_register("r0") == 2 and engine.pc == start + 4
    engine.power_off()
    assert not engine.powered


def test_time_conversion_follows_the_core_clock(engine: UnicornEngine) -> None:
    assert engine.us_to_instructions(250) == 250
    assert engine.us_to_instructions(0.5) == 1  # rounded up: never earlier than asked
    assert engine.instructions_to_us(1_999) == 1_999
    assert Engine.us_to_instructions(engine, 3) == 3  # the interface's own formula agrees


def test_the_unicorn_engine_forks_with_the_process(engine: UnicornEngine) -> None:
    assert engine.fork_safe
    engine.after_fork()  # nothing to drop: no pty was opened


def test_flash_op_hook_and_power_cut_inside_it(engine: UnicornEngine, assemble: Assembler) -> None:
    elf = assemble(f"""
reset:
  ldr r4, ={FCTL}
  ldr r0, ={FLASH + 0x8000}
  str r0, [r4]          @ erase: the controller announces a flash operation
loop:
  b loop
.ltorg
""")
    boot(engine, elf)
    engine.on_flash_op(lambda op: FlashOpAction.CUT)
    result = engine.run(1_000)
    assert result.reason is StopReason.POWERED_OFF and "flash op 0" in result.detail
    assert not engine.powered


def test_trigger_layer_counts_operations_and_fires_once(
    engine: UnicornEngine, assemble: Assembler
) -> None:
    """``hil.faults.trigger`` on the engine interface alone: points by index, in arming order,
    observers see every operation, a cut answer powers off inside the operation."""
    from hil.faults import OpKind, Triggers

    erases = "\n".join(f"  ldr r0, ={FLASH + 0x8000 + 0x800 * i}\n  str r0, [r4]" for i in range(4))
    elf = assemble(f"reset:\n  ldr r4, ={FCTL}\n{erases}\nloop:\n  b loop\n.ltorg\n")
    boot(engine, elf)
    triggers = Triggers(engine)
    seen: list[tuple[int, int]] = []
    fired: list[str] = []
    triggers.each_flash_op(lambda hit: seen.append((hit.index, hit.kind_index)))
    triggers.at_flash_op(
        1, OpKind.ERASE, lambda hit: fired.append(f"a {hit.where}") or FlashOpAction.CONTINUE
    )
    triggers.at_flash_op(1, OpKind.ANY, lambda hit: fired.append("b") or FlashOpAction.CONTINUE)
    triggers.at_flash_op(2, OpKind.PROGRAM, lambda hit: fired.append("never") or FlashOpAction.CUT)
    triggers.at_flash_op(3, OpKind.ANY, lambda hit: FlashOpAction.CUT)
    result = engine.run(1_000)
    assert result.reason is StopReason.POWERED_OFF
    assert seen == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert fired == [f"a flash op 1 (erase 0x{FLASH + 0x8800:08x})", "b"]
    assert triggers.op_count() == 4 and triggers.op_count(OpKind.PROGRAM) == 0
