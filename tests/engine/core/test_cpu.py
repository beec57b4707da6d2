"""Instruction counting, exceptions, faults and lockup on the unicorn engine core."""

from __future__ import annotations

import pytest
from core_support import RAM, RCC, UART, Assembler, boot

from hil.engine import StopReason, create_engine, known_engines
from hil.engine.base import ResetCause
from hil.engine.unicorn.engine import UnicornEngine
from hil.errors import EngineError, UnknownNameError

OUT = RAM + 0x100  # where handlers leave results


def test_registry(platform) -> None:  # type: ignore[no-untyped-def]
    assert "unicorn" in known_engines()
    assert isinstance(create_engine("unicorn", platform, 1), UnicornEngine)
    with pytest.raises(UnknownNameError, match="unknown engine 'qemu'; known: unicorn"):
        create_engine("qemu", platform, 1)


def test_instruction_counter_is_exact(engine: UnicornEngine, assemble: Assembler) -> None:
    elf = assemble("""
reset:
  ldr r0, =1000
loop:
  subs r0, #1
  bne loop
done:
  b done
.ltorg
""")
    boot(engine, elf)
    engine.define_symbol("done", engine.symbols["done"])
    engine.on_symbol("done", lambda name, addr: True)
    result = engine.run(10_000)
    assert result.reason is StopReason.HALTED and result.detail == "done"
    assert result.instructions == 1 + 2 * 1000
    # small slices do not change the count
    e2 = UnicornEngine(engine.platform, 1234, slice_instructions=7)
    hits: list[int] = []
    boot(e2, elf).on_symbol("done", lambda name, addr: not hits.append(addr) and len(hits) == 1)
    assert e2.run(10_000).instructions == 2001
    # resuming after a halt executes the halted instruction; the budget lands exactly
    r = e2.run(100)
    assert r.reason is StopReason.BUDGET and r.instructions == 2101
    assert len(hits) == 100


def test_svc_entry_and_return(engine: UnicornEngine, assemble: Assembler) -> None:
    elf = assemble(f"""
reset:
  ldr sp, ={RAM + 0x1004}     @ misaligned by 4: the frame is realigned (xPSR bit 9)
  movs r0, #7
  movs r1, #0
  svc #1
  adds r1, r1, #1             @ runs after the handler returned
  ldr r2, ={OUT}
  str r0, [r2]
  str r1, [r2, #4]
  mov r3, sp
  str r3, [r2, #8]
done:
  b done
svc:
  ldr r2, ={OUT + 0x10}
  str lr, [r2]
  ldr r3, [sp, #28]           @ stacked xPSR
  str r3, [r2, #4]
  mov r3, sp
  str r3, [r2, #8]
  adds r0, r0, #5
  str r0, [sp]                @ modify stacked r0
  bx lr
.ltorg
""")
    boot(engine, elf)
    engine.on_symbol("done", lambda n, a: True)
    assert engine.run(1000).reason is StopReason.HALTED
    assert engine.debug_read32(OUT) == 12
    assert engine.debug_read32(OUT + 4) == 1
    assert engine.debug_read32(OUT + 8) == RAM + 0x1004
    assert engine.debug_read32(OUT + 0x10) == 0xFFFFFFF9
    assert engine.debug_read32(OUT + 0x14) & (1 << 9)
    assert engine.debug_read32(OUT + 0x18) == RAM + 0x1004 - 36
    assert engine.exceptions.active == []


FAULT_HANDLER = f"""
hardfault:
  ldr r2, ={OUT}
  ldr r4, =0xE000ED28
  ldr r3, [r4]          @ CFSR
  str r3, [r2]
  ldr r3, [r4, #4]      @ HFSR
  str r3, [r2, #4]
  ldr r3, [r4, #16]     @ BFAR
  str r3, [r2, #8]
  ldr r3, [sp, #24]     @ stacked PC
  str r3, [r2, #12]
  ldr r4, =0xE000ED04
  ldr r3, [r4]          @ ICSR.VECTACTIVE
  str r3, [r2, #16]
hf_done:
  b hf_done
"""


def test_unmapped_read_is_precise_busfault_escalated(
    engine: UnicornEngine, assemble: Assembler
) -> None:
    elf = assemble(
        """
reset:
  ldr r5, =0x60000000
  movs r0, #1
fault:
  ldr r6, [r5]
  b .
.ltorg
"""
        + FAULT_HANDLER
    )
    boot(engine, elf).on_symbol("hf_done", lambda n, a: True)
    result = engine.run(1000)
    assert result.reason is StopReason.HALTED
    assert result.instructions == 2 + 13  # ldr, movs, (faulting ldr not counted), handler
    assert engine.debug_read32(OUT) == 0x8200  # BFARVALID | PRECISERR
    assert engine.debug_read32(OUT + 4) == 1 << 30  # FORCED
    assert engine.debug_read32(OUT + 8) == 0x60000000
    assert engine.debug_read32(OUT + 12) == engine.symbols["fault"]
    assert engine.debug_read32(OUT + 16) & 0x1FF == 3  # VECTACTIVE


def test_busfault_handler_when_enabled(engine: UnicornEngine, assemble: Assembler) -> None:
    elf = assemble(f"""
reset:
  ldr r4, =0xE000ED24
  ldr r3, =0x20000      @ SHCSR.BUSFAULTENA
  str r3, [r4]
  ldr r5, ={UART + 0x800}  @ beyond the model's window: bus error
  ldr r6, [r5]
  b .
busfault:
  ldr r2, ={OUT}
  ldr r4, =0xE000ED38
  ldr r3, [r4]
  str r3, [r2]
bf_done:
  b bf_done
.ltorg
""")
    boot(engine, elf).on_symbol("bf_done", lambda n, a: True)
    assert engine.run(1000).reason is StopReason.HALTED
    assert engine.debug_read32(OUT) == UART + 0x800
    assert engine.exceptions.active == [5]


def test_fault_in_hardfault_locks_up(engine: UnicornEngine, assemble: Assembler) -> None:
    elf = assemble("""
reset:
  udf #0
hardfault:
  ldr r5, =0x60000000
  ldr r6, [r5]
  b .
.ltorg
""")
    boot(engine, elf)
    result = engine.run(5000)
    assert result.reason is StopReason.LOCKUP
    assert "exception 5 while exception 3" in result.detail
    # nothing resets it: a second run says the same; a harness reset recovers
    assert engine.run(5000).reason is StopReason.LOCKUP
    engine.reset(ResetCause.PIN)
    assert not engine.exceptions.locked


def test_lockup_recovered_by_scheduled_reset(engine: UnicornEngine, assemble: Assembler) -> None:
    elf = assemble("""
reset:
  udf #0
hardfault:
  udf #1
""")
    boot(engine, elf)
    engine.soc.schedule(3000, lambda: engine.soc.request_reset(ResetCause.WATCHDOG))
    result = engine.run(2000)
    assert result.reason is StopReason.LOCKUP and result.instructions == 2000  # time passed
    causes: list[ResetCause] = []
    engine.on_reset(causes.append)
    result = engine.run(2500)
    assert result.reason is StopReason.LOCKUP  # locked up again after the reset
    assert result.instructions == 4500
    assert causes == [ResetCause.WATCHDOG]
    assert engine.power.resets[-1] is ResetCause.WATCHDOG


def test_aircr_sysresetreq_is_software_reset(engine: UnicornEngine, assemble: Assembler) -> None:
    elf = assemble(f"""
reset:
  ldr r2, ={OUT}
  ldr r3, [r2]
  adds r3, r3, #1
  str r3, [r2]          @ RAM counter (kept on warm reset)
  ldr r4, ={UART}
  movs r0, #'R'
  str r0, [r4]
  cmp r3, #3
  beq stop
  ldr r4, =0xE000ED0C
  ldr r0, =0x05FA0004
  str r0, [r4]
  b .
stop:
  ldr r4, ={RCC}
  ldr r0, [r4]
  str r0, [r2, #4]
done:
  b done
.ltorg
""")
    engine.load_elf(str(elf))
    engine.power_on()
    engine.debug_write32(OUT, 0)
    engine.on_symbol("done", lambda n, a: True)
    assert engine.run(1000).reason is StopReason.HALTED
    assert engine.serial().transcript == b"RRR"
    assert engine.debug_read32(OUT + 4) == list(ResetCause).index(ResetCause.SOFTWARE)
    assert engine.power.resets == [ResetCause.POWER_ON, ResetCause.SOFTWARE, ResetCause.SOFTWARE]


def test_until_is_evaluated_a_latency_after_serial_output(
    platform,
    assemble: Assembler,  # type: ignore[no-untyped-def]
) -> None:
    elf = assemble(f"""
reset:
  ldr r4, ={UART}
  movs r0, #'a'
loop:
  str r0, [r4]
  adds r0, r0, #1
  b loop
.ltorg
""")
    engine = boot(UnicornEngine(platform, 1, until_latency_us=10), elf)
    port = engine.serial()
    result = engine.run(100_000, until=lambda: b"c" in port.transcript)
    assert result.reason is StopReason.CONDITION
    # the 1st byte leaves during instruction 3 (2 completed before it): the condition is first
    # evaluated 10 instructions (10 us at 1 MHz) later, when 'd' has gone out too
    assert port.read() == b"abcd"
    assert result.instructions == 2 + 10


def test_model_error_inside_mmio_access_is_raised_after_the_slice(
    engine: UnicornEngine, assemble: Assembler
) -> None:
    """MMIO callbacks are registered with Unicorn's C API directly (one Python frame per
    access); a Python error inside a model still stops the CPU and comes back as EngineError
    from run(), with the model's exception chained."""
    elf = assemble(f"""
reset:
  ldr r5, ={UART}
  ldr r6, [r5]
  b .
.ltorg
""")
    boot(engine, elf)
    uart = next(m for m in engine.models if m.spec.base == UART)

    def broken(offset: int, size: int) -> int:
        raise ValueError("model bug")

    uart.read = broken  # type: ignore[method-assign]
    with pytest.raises(EngineError, match="error inside an emulator callback") as info:
        engine.run(1000)
    assert isinstance(info.value.__cause__, ValueError)
