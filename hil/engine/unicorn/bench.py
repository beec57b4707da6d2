"""CPU-bound throughput: bare Unicorn versus the engine with all its hooks installed.

The loop is hand-encoded Thumb (no toolchain needed at run time). Time is measured here and only
here: this is a benchmark, not part of any emulation. The loops are timed in CPU time of this
process (``time.process_time``), so that a machine shared with other work gives the same ratios;
the idle figures are wall time per virtual second.
"""

from __future__ import annotations

import struct
import time

from unicorn import UC_ARCH_ARM, UC_MODE_MCLASS, UC_MODE_THUMB, UC_PROT_ALL
from unicorn.arm_const import UC_ARM_REG_PRIMASK, UC_ARM_REG_SP, UC_CPU_ARM_CORTEX_M33

from hil.engine.base import CpuBench, FlashOpAction, IdleBench
from hil.engine.unicorn._uc import Uc
from hil.engine.unicorn.core import PAGE
from hil.engine.unicorn.engine import UnicornEngine
from hil.platform.model import Platform

_CODE_OFFSET = 0x40
# A loop with the mix firmware has (stack traffic and ALU work):
# 0x40: ldr r0, [pc, #12]   (literal at 0x50: iteration count)
# 0x42: push {r1} ; 0x44: pop {r2} ; 0x46: adds r1, r1, r0 ; 0x48: subs r0, #1 ; 0x4A: bne 0x42
# 0x4C: b .       ; 0x4E: padding  ; 0x50: literal
_LOOP = struct.pack("<8H", 0x4803, 0xB402, 0xBC04, 0x1809, 0x3801, 0xD1FA, 0xE7FE, 0)
_PER_ITERATION = 5
_END = 0xC  # offset of "b ." from the code start


# The idle program (offsets from the image start): SysTick every RVR+1 cycles, WFI between.
# 0x40: ldr r0, =0xE000E010 ; 0x42: ldr r1, =RVR ; 0x44: str r1, [r0, #4] ; 0x46: movs r1, #0
# 0x48: str r1, [r0, #8]    ; 0x4A: movs r1, #7  ; 0x4C: str r1, [r0]     ; 0x4E: wfi
# 0x50: b 0x4E              ; 0x52: bx lr (SysTick handler) ; 0x54, 0x58: literals
_IDLE = struct.pack("<10H", 0x4804, 0x4905, 0x6041, 0x2100, 0x6081, 0x2107, 0x6001, 0xBF30,
                    0xE7FD, 0x4770)  # fmt: skip
_SYSTICK_HANDLER = 0x52


def _image(platform: Platform, iterations: int) -> bytes:
    ram = platform.ram
    vectors = struct.pack("<2I", ram.base + ram.size, platform.core.boot_address + _CODE_OFFSET + 1)
    body = vectors.ljust(_CODE_OFFSET, b"\0") + _LOOP + struct.pack("<I", iterations)
    return body


def _loop_engine(platform: Platform, image: bytes) -> UnicornEngine:
    boot = platform.core.boot_address
    engine = UnicornEngine(platform, seed=0)
    engine.program_flash(boot, image)
    engine.on_flash_op(lambda op: FlashOpAction.CONTINUE)
    engine.define_symbol("bench_outside", boot + _CODE_OFFSET + _END)
    engine.on_symbol("bench_outside", lambda name, address: False)
    engine.power_on()
    return engine


def _timed_run(engine: UnicornEngine, instructions: int) -> tuple[int, float]:
    budget_us = instructions * 1_000_000 // engine.platform.core.clock_hz
    t0 = time.process_time()
    result = engine.run(budget_us)
    elapsed = time.process_time() - t0
    engine.close()
    return result.instructions, elapsed


def _bare_run(platform: Platform, image: bytes) -> float:
    """CPU seconds of the loop on a bare Unicorn (no hooks, no count, one flat mapping each)."""
    boot = platform.core.boot_address
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M33)
    uc.ctl_set_page_size(PAGE)
    uc.mem_map(boot, 0x10000, UC_PROT_ALL)
    uc.mem_map(platform.ram.base, platform.ram.size, UC_PROT_ALL)
    uc.mem_write(boot, image)
    uc.reg_write(UC_ARM_REG_SP, platform.ram.base + platform.ram.size)
    t0 = time.process_time()
    uc.emu_start(boot + _CODE_OFFSET + 1, boot + _CODE_OFFSET + _END)
    return time.process_time() - t0


def cpu_loop_benchmark(
    platform: Platform, iterations: int = 4_000_000, repeats: int = 5
) -> CpuBench:
    """The loop on bare Unicorn and through the engine, ``repeats`` times each, interleaved;
    each figure is the fastest of its repeats (a shared or throttled machine only ever adds
    CPU time to a run, so the minimum is the cost of the work itself, as ``timeit`` takes it)."""
    image = _image(platform, iterations)
    loop_instructions = 1 + _PER_ITERATION * iterations
    bare: list[float] = []
    engine: list[tuple[int, float]] = []
    for _ in range(max(1, repeats)):
        bare.append(_bare_run(platform, image))
        engine.append(_timed_run(_loop_engine(platform, image), loop_instructions))
    bare_ips = loop_instructions / min(bare)
    executed, elapsed = min(engine, key=lambda r: r[1])
    engine_ips = executed / elapsed

    # the same loop inside a critical section: PRIMASK set, SysTick (1 ms) pending throughout
    masked_runs: list[tuple[int, float]] = []
    for _ in range(max(1, repeats)):
        masked = _loop_engine(platform, image)
        masked.core.uc.reg_write(UC_ARM_REG_PRIMASK, 1)
        masked.debug_write32(0xE000E014, platform.core.clock_hz // 1000 - 1)  # SYST_RVR
        masked.debug_write32(0xE000E018, 0)  # SYST_CVR
        masked.debug_write32(0xE000E010, 7)  # SYST_CSR: processor clock, TICKINT, ENABLE
        masked_runs.append(_timed_run(masked, loop_instructions))
        if masked.exceptions.entered:
            raise AssertionError("bench: SysTick was taken with PRIMASK set")
    executed_masked, elapsed_masked = min(masked_runs, key=lambda r: r[1])
    return CpuBench(
        loop_instructions,
        bare_ips,
        engine_ips,
        engine_ips / bare_ips,
        engine_ips / platform.core.clock_hz,
        executed_masked / elapsed_masked,
        tuple(idle_benchmark(platform, tick_ms=t) for t in (1.0, 100.0)),
    )


def idle_benchmark(platform: Platform, virtual_s: float = 10.0, tick_ms: float = 1.0) -> IdleBench:
    """Wall time per virtual second of a core idling in WFI with a SysTick every ``tick_ms``."""
    boot = platform.core.boot_address
    ram = platform.ram
    vectors = [0] * 16
    vectors[0] = ram.base + ram.size
    vectors[1] = boot + _CODE_OFFSET + 1
    vectors[15] = boot + _SYSTICK_HANDLER + 1
    rvr = max(1, round(platform.core.clock_hz * tick_ms / 1000)) - 1
    code = _IDLE + struct.pack("<2I", 0xE000E010, rvr)
    image = struct.pack("<16I", *vectors).ljust(_CODE_OFFSET, b"\0") + code
    engine = UnicornEngine(platform, seed=0)
    engine.program_flash(boot, image)
    engine.power_on()
    t0 = time.perf_counter()
    engine.run(int(virtual_s * 1_000_000))
    elapsed = time.perf_counter() - t0
    ticks = engine.exceptions.entered
    engine.close()
    return IdleBench(virtual_s, tick_ms, ticks, elapsed * 1000 / virtual_s)
