"""The block maps: both chips list every block of the peripheral space, with register names and
(LPC55S69, from its SVD) reset values; a malformed block map is a one-line PlatformError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hil.errors import PlatformError
from hil.platform import load_platform
from hil.platform.blocks import load_block_map


def test_block_maps_of_both_chips() -> None:
    stm = load_platform("stm32u585").blocks
    lpc = load_platform("lpc55s69").blocks
    assert stm is not None and lpc is not None
    names = {b.name for b in stm.blocks}
    assert {f"GPIO{c}" for c in "ABCDEFGHI"} <= names and {"ICACHE", "DCACHE1", "FLASH"} <= names
    icache, off = stm.find(0x50030404) or (None, 0)
    assert icache is not None and icache.name == "ICACHE" and off == 4
    assert icache.register_at(4) is not None and icache.registers[4].name == "SR"
    adc, off = lpc.find(0x400A0000) or (None, 0)
    assert adc is not None and adc.registers[0].name == "VERID"
    assert adc.registers[0].reset == 0x0100_2C0B and adc.registers[0].access == "r"
    fc, _ = lpc.find(0x40087000) or (None, 0)
    assert fc is not None and fc.name == "FLEXCOMM1" and fc.registers[0xFF8].name == "PSELID"
    assert lpc.find(0x40010000) is None  # a hole in the map


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"schema": 2, "blocks": []}, "blocks.file"),
        ({"schema": 1, "blocks": [{"name": "A", "base": 16, "size": 0}]}, "blocks.file.blocks[0]"),
        (
            {"schema": 1, "blocks": [{"name": "A", "base": 0, "size": 8, "regs": [[6, "X", 0, 4,
             "rw"]]}]},
            "blocks.file.blocks[0].regs[0]",
        ),
        ({"schema": 1, "blocks": [{"name": "A", "base": 0, "size": 8, "like": "B"}]},
         "blocks.file.blocks[0].like"),
    ],
)  # fmt: skip
def test_malformed_block_map(tmp_path: Path, doc: object, field: str) -> None:
    path = tmp_path / "blocks.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(PlatformError) as info:
        load_block_map(path, "test", 0, "blocks.file")
    assert info.value.field == field and str(path) in str(info.value)
