"""LPC55S69 boot ROM flash API over the flash controller model: NXP's own flash algorithm from
the pyOCD wheel (``FLASH_ALGO`` in ``pyocd/target/builtin/target_LPC55S69Jxxxxx.py``, vendor code
nobody here wrote) erases, programs and verifies flash on the emulated chip through the ROM API
tree, called the way pyOCD calls it (r0..r3 arguments, r9 = static base, SP = its stack, LR = the
breakpoint at the start of the blob). The ROM functions announce flash operations like the
controller, so a cut during a ROM erase tears the page."""

from __future__ import annotations

import ast
import importlib.util
import random
import struct
from pathlib import Path
from typing import Any

import pytest
from unicorn.arm_const import (
    UC_ARM_REG_LR,
    UC_ARM_REG_PC,
    UC_ARM_REG_R0,
    UC_ARM_REG_R9,
    UC_ARM_REG_SP,
)

from hil.engine.base import FlashOp, FlashOpAction, FlashOpKind, StopReason
from hil.engine.unicorn.engine import UnicornEngine
from hil.platform import load_platform

TREE = 0x130010F0
ERASE_KEY = 0x6B65666C
SECTOR = 0x20000  # a 32 KB sector away from the vector table page


def _flash_algo() -> dict[str, Any]:
    """``FLASH_ALGO`` read from the installed pyOCD package (not imported: only its literal)."""
    spec = importlib.util.find_spec("pyocd")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("pyocd (dev dependency) is not installed: run scripts/setup.sh")
    path = Path(next(iter(spec.submodule_search_locations))) / (
        "target/builtin/target_LPC55S69Jxxxxx.py"
    )
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "FLASH_ALGO":
            algo = _literal(node.value)
            assert isinstance(algo, dict)
            return algo
    pytest.fail(f"{path}: expected a FLASH_ALGO literal, found none")


def _literal(node: ast.expr) -> Any:
    """A literal with sums of numbers (``0x20000000 + 0x20 + 0x650``): nothing is executed."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal(node.left) + _literal(node.right)
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values, strict=True)
                if k is not None}  # fmt: skip
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(e) for e in node.elts]
    return ast.literal_eval(node)


class Probe:
    """Calls functions on the emulated chip the way pyOCD's flash loader does."""

    def __init__(self, seed: int = 3) -> None:
        self.e = UnicornEngine(load_platform("lpc55s69"), seed=seed)
        # a vector table so the chip boots somewhere harmless: SP, reset = a 'b .' at 0x8
        self.e.program_flash(0, struct.pack("<IIH", 0x20040000, 0x9, 0xE7FE).ljust(0x200, b"\0"))
        self.e.power_on()
        self.algo = _flash_algo()
        self.base = int(self.algo["load_address"])
        blob = b"".join(struct.pack("<I", w) for w in self.algo["instructions"])
        self.e.core.uc.mem_write(self.base, blob)
        self.e.define_symbol("algo_breakpoint", self.base)
        self.e.on_symbol("algo_breakpoint", lambda _n, _a: True)

    def call(self, pc: int, *args: int, r9: int | None = None, budget_us: int = 2_000_000) -> int:
        uc = self.e.core.uc
        for i, a in enumerate(args):
            uc.reg_write(UC_ARM_REG_R0 + i, a)
        uc.reg_write(UC_ARM_REG_R9, self.algo["static_base"] if r9 is None else r9)
        uc.reg_write(UC_ARM_REG_SP, self.algo["begin_stack"])
        uc.reg_write(UC_ARM_REG_LR, self.base + 1)
        uc.reg_write(UC_ARM_REG_PC, pc & ~1)
        result = self.e.run(budget_us)
        assert result.reason is StopReason.HALTED, result
        return int(uc.reg_read(UC_ARM_REG_R0))

    def rom(self, index: int) -> int:
        """Entry ``index`` of the ROM flash driver table, found through the tree."""
        driver = self.e.debug_read32(TREE + 0x10)
        return self.e.debug_read32(driver + 4 + 4 * index)

    def write(self, address: int, data: bytes) -> None:
        self.e.core.uc.mem_write(address, data)

    def read(self, address: int, size: int) -> bytes:
        return bytes(self.e.core.uc.mem_read(address, size))


def test_pyocd_flash_algorithm_erases_programs_verifies() -> None:
    p = Probe()
    a = p.algo
    assert p.call(a["pc_init"], 0, 12_000_000, 1) == 0
    ops: list[FlashOp] = []
    p.e.on_flash_op(lambda op: (ops.append(op), FlashOpAction.CONTINUE)[1])
    assert p.call(a["pc_erase_sector"], SECTOR) == 0
    assert [op.kind for op in ops] == [FlashOpKind.ERASE] * (0x8000 // 0x200)
    assert all(p.e.flash.is_erased_page((SECTOR >> 9) + i) for i in range(64))
    blank_check = p.base + 0x13D  # BlankCheck(adr, sz): FLASH_VerifyErase through the ROM
    assert p.call(blank_check, SECTOR, 0x8000) == 0
    rng = random.Random(11)
    pages = [rng.randbytes(0x200) for _ in range(3)]
    buffer = a["page_buffers"][0]
    ops.clear()
    for i, data in enumerate(pages):
        p.write(buffer, data)
        # ProgramPage erases the sector first when the page starts one
        assert p.call(a["pc_program_page"], SECTOR + 0x200 * i, 0x200, buffer) == 0
    kinds = [op.kind for op in ops]
    assert kinds.count(FlashOpKind.PROGRAM) == 3 and kinds.count(FlashOpKind.ERASE) == 64
    assert p.e.flash_read(SECTOR, 0x600) == b"".join(pages)
    assert p.call(blank_check, SECTOR, 0x8000) == 1  # no longer blank
    verify = p.base + 0x121  # Verify(adr, sz, buf): compares through CPU reads of flash
    p.write(buffer, pages[1])
    assert p.call(verify, SECTOR + 0x200, 0x200, buffer) == SECTOR + 0x400
    p.write(buffer, pages[0])
    assert p.call(verify, SECTOR + 0x200, 0x200, buffer) != SECTOR + 0x400
    romapi = p.e.soc.peripheral("romapi")
    names = [name for name, _ in romapi.calls]  # type: ignore[attr-defined]
    assert names[0] == "flash_init" and {"flash_erase", "flash_program"} <= set(names)


def test_rom_verify_program_get_property_and_errors() -> None:
    p = Probe()
    config, value, failed = 0x20002000, 0x20002100, 0x20002110
    stub = p.rom
    assert p.call(stub(0), config) == 0  # flash_init
    assert p.call(stub(5), config, 1, value) == 0  # total size
    assert p.read(value, 4) == struct.pack("<I", 0xA0000)
    assert p.call(stub(5), config, 99, value) == 106  # unknown property
    assert p.call(stub(1), config, SECTOR, 0x200, 0x1234) == 107  # wrong erase key
    assert p.call(stub(1), config, SECTOR + 4, 0x200, ERASE_KEY) == 101  # alignment
    assert p.call(stub(1), config, SECTOR, 0x400, ERASE_KEY) == 0
    data = bytes(range(256)) * 2
    p.write(0x20003000, data)
    assert p.call(stub(2), config, SECTOR, 0x20003000, 0x200) == 0  # program
    assert p.call(stub(2), config, SECTOR, 0x20003000, 0x200) == 105  # not erased: FAIL
    assert p.call(stub(3), config, SECTOR + 0x200, 0x200) == 0  # verify erase of page 2
    # verify program: 6 arguments, the last two on the stack
    sp = p.algo["begin_stack"]
    p.write(sp, struct.pack("<II", failed, failed + 4))
    assert p.call(stub(4), config, SECTOR, 0x200, 0x20003000) == 0
    p.write(0x20003000 + 0x40, b"\xaa\xbb\xcc\xdd")
    p.write(sp, struct.pack("<II", failed, failed + 4))
    assert p.call(stub(4), config, SECTOR, 0x200, 0x20003000) == 117
    assert struct.unpack("<I", p.read(failed, 4))[0] == SECTOR + 0x40
    assert p.read(failed + 4, 4) == data[0x40:0x44]
    assert p.call(stub(10), config) == 111  # ffr_lock_all: not modelled


def test_cut_during_rom_erase_tears_the_page() -> None:
    p = Probe()
    config = 0x20002000
    assert p.call(p.rom(0), config) == 0
    assert p.call(p.rom(1), config, SECTOR, 0x400, ERASE_KEY) == 0
    p.write(0x20003000, b"\x5a" * 0x400)
    assert p.call(p.rom(2), config, SECTOR, 0x20003000, 0x400) == 0
    fired: list[FlashOp] = []

    def cut(op: FlashOp) -> FlashOpAction:
        if op.kind is FlashOpKind.ERASE and op.address == SECTOR + 0x200:
            fired.append(op)
            return FlashOpAction.CUT
        return FlashOpAction.CONTINUE

    p.e.on_flash_op(cut)
    uc = p.e.core.uc
    for i, a in enumerate((config, SECTOR, 0x400, ERASE_KEY)):
        uc.reg_write(UC_ARM_REG_R0 + i, a)
    uc.reg_write(UC_ARM_REG_LR, p.base + 1)
    uc.reg_write(UC_ARM_REG_PC, p.rom(1) & ~1)
    result = p.e.run(2_000_000)
    assert result.reason is StopReason.POWERED_OFF and len(fired) == 1
    assert p.e.flash.is_erased_page(SECTOR >> 9)  # the first page finished
    assert p.e.flash.is_torn(SECTOR + 0x200, 0x200)  # the second was cut: torn
