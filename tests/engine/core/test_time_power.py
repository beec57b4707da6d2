"""Virtual-time scheduling, brownout, serial ports and the CPU benchmark."""

from __future__ import annotations

import os
import select

from core_support import BKP, RAM, RCC, UART, Assembler, CauseModel, boot, make_platform

from hil.engine import StopReason
from hil.engine.base import ResetCause
from hil.engine.unicorn.bench import cpu_loop_benchmark
from hil.engine.unicorn.engine import UnicornEngine

SPIN = "reset:\n  b reset\n"


def test_scheduled_deadline_lands_exactly(engine: UnicornEngine, assemble: Assembler) -> None:
    boot(engine, assemble(SPIN))
    seen: list[int] = []
    engine.soc.schedule(12_345, lambda: seen.append(engine.instructions))
    engine.soc.schedule(7, lambda: seen.append(engine.instructions))
    result = engine.run(50_000)
    assert result.reason is StopReason.BUDGET and result.instructions == 50_000
    assert seen == [7, 12_345]


def test_schedule_from_a_model_access_cuts_the_running_slice(
    engine: UnicornEngine, assemble: Assembler
) -> None:
    elf = assemble(f"""
reset:
  ldr r4, ={UART}
  movs r0, #'x'
  str r0, [r4]           @ the 3rd instruction: the model schedules 100 instructions later
loop:
  b loop
.ltorg
""")
    boot(engine, elf)
    seen: list[int] = []
    uart = engine.soc.peripheral("uart")
    original = uart.write

    def write(offset: int, size: int, value: int) -> None:
        original(offset, size, value)
        engine.soc.schedule(engine.soc.instructions + 100, lambda: seen.append(engine.instructions))

    uart.write = write  # type: ignore[method-assign]
    engine.run(10_000)
    assert seen == [2 + 100]  # two instructions completed when the store ran


def test_brownout_holds_in_reset_then_restarts(engine: UnicornEngine, assemble: Assembler) -> None:
    boot(engine, assemble(SPIN))
    cause_model = engine.soc.peripheral("rcc")
    assert isinstance(cause_model, CauseModel)
    assert cause_model.history == ["power_on", "power-on"]
    engine.debug_write32(BKP, 0xB0B0B0B0)
    engine.debug_write32(RAM, 0x5A5A5A5A)
    engine.run(100)
    engine.set_supply_mv(1500)  # below reset_mv 1700; hold-up 50 us = 50 instructions
    assert engine.run(40).reason is StopReason.BUDGET
    assert engine.power.state.value == "on"
    engine.run(1000)
    assert engine.power.state.value == "reset-hold"
    assert engine.debug_read32(RAM) == 0x5A5A5A5A  # not refilled until it restarts
    engine.set_supply_mv(3300)
    engine.run(10)
    assert engine.power.state.value == "on"
    assert cause_model.cause is ResetCause.BROWNOUT
    assert engine.debug_read32(BKP) == 0xB0B0B0B0
    assert engine.debug_read32(RAM) != 0x5A5A5A5A
    assert engine.debug_read32(RCC) == list(ResetCause).index(ResetCause.BROWNOUT)


def test_serial_rx_and_pty(engine: UnicornEngine, assemble: Assembler) -> None:
    elf = assemble(f"""
reset:
  ldr r4, ={UART}
loop:
  ldr r0, [r4]
  adds r1, r0, #1
  beq loop                @ nothing received (0xFFFFFFFF)
  adds r0, r0, #1         @ echo the next character
  str r0, [r4]
  b loop
.ltorg
""")
    boot(engine, elf)
    port = engine.serial()
    assert port is engine.serial("uart")
    port.write(b"abc")
    engine.run(1000, until=lambda: len(port.transcript) >= 3)
    assert port.read() == b"bcd"
    path = port.open_pty()
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        os.write(fd, b"HAL")
        for _ in range(200):  # pty input arrives when the kernel relays it (wall time)
            if engine.run(500, until=lambda: len(port.transcript) >= 6).reason.value == "condition":
                break
            select.select([], [], [], 0.01)
        engine.run(10)  # one more slice boundary pumps the output to the pty
        assert port.read() == b"IBM"
        got = b""
        while len(got) < 3 and select.select([fd], [], [], 2.0)[0]:  # the kernel relays async
            got += os.read(fd, 100)
        assert got == b"IBM"
    finally:
        os.close(fd)


def test_bench_ratio_is_reported() -> None:
    result = cpu_loop_benchmark(make_platform(), iterations=400_000)
    print(
        f"\nbench: bare {result.bare_ips / 1e6:.0f} M instr/s, engine "
        f"{result.engine_ips / 1e6:.0f} M instr/s, ratio {result.ratio:.2f}"
    )
    assert result.instructions == 1 + 5 * 400_000
    assert result.ratio > 0
