"""Loading and validating platform descriptions (hil.platform.loader)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from hil.errors import PlatformError, UnknownNameError
from hil.platform import known_platforms, load_platform, platforms_dir
from hil.platform.model import LAYOUT_AREAS, ErasedRead, RegionKind, TornRead

Doc = dict[str, Any]


def _real_doc(name: str) -> Doc:
    doc = yaml.safe_load((platforms_dir() / name / "platform.yaml").read_text())
    assert isinstance(doc, dict)
    return doc


def _write(tmp_path: Path, doc: Doc | str, folder: str = "variant") -> Path:
    path = tmp_path / folder / "platform.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
    path.write_text(text)
    if isinstance(doc, dict) and isinstance(doc.get("blocks"), dict):  # the block map beside it
        src = platforms_dir() / str(doc.get("name")) / str(doc["blocks"].get("file"))
        if src.is_file():
            (path.parent / src.name).write_bytes(src.read_bytes())
    return path


def _periph(doc: Doc, name: str) -> Doc:
    return next(p for p in doc["peripherals"] if p["name"] == name)


# --------------------------------------------------------------------------------------------
# The real platforms


def test_known_platforms_lists_both_targets() -> None:
    assert known_platforms() == ["lpc55s69", "stm32u585"]
    assert platforms_dir() == Path(__file__).resolve().parents[2] / "platforms"


@pytest.mark.parametrize("name", ["stm32u585", "lpc55s69"])
def test_real_platform_loads_and_is_cached(name: str) -> None:
    p = load_platform(name)
    assert p.name == name
    assert p.path == str((platforms_dir() / name / "platform.yaml").resolve())
    assert load_platform(name) is p
    assert load_platform(platforms_dir() / name) is p  # a folder works too
    assert tuple(p.layout.areas) == LAYOUT_AREAS
    sources = [p.core.source, p.flash.source, p.supply.source]
    sources += [r.source for r in p.memory] + [x.source for x in p.peripherals]
    for text in sources:
        assert any(alias in text for alias in p.sources) or "assumed:" in text, text
    # every role names a real peripheral
    for role in ("console_uart", "flash_controller", "reset_cause", "supply_monitor", "watchdog"):
        p.peripheral(getattr(p.roles, role))


def test_stm32u585_derived_values() -> None:
    p = load_platform("stm32u585")
    assert p.core.clock_hz == 4_000_000 and p.core.boot_address == 0x0800_0000
    f = p.flash
    assert (f.base, f.size, f.banks, f.page_size) == (0x0800_0000, 0x20_0000, 2, 0x2000)
    assert (f.program_unit, f.ecc_unit, f.erased_value) == (16, 16, 0xFF)
    assert f.torn_read is TornRead.ECC_NMI and f.erased_read is ErasedRead.DATA
    assert (f.page_count, f.bank_size) == (256, 0x10_0000)
    assert (f.erase_time_us, f.program_time_us) == (5000, 100)
    assert p.ram.name == "sram" and (p.ram.base, p.ram.size) == (0x2000_0000, 0xC_0000)
    bkp = p.region("bkpsram")
    assert bkp.kind is RegionKind.BACKUP_RAM and bkp.aliases == (0x5003_6400,)
    assert bkp.contains(0x5003_67FF) and not bkp.contains(0x4003_6C00)
    assert p.region("flash").contains(0x0C1F_FFFF)
    assert p.layout["slot_a"].address == 0x0802_0000 and p.layout["slot_a"].end == 0x0806_0000
    assert p.layout["slot_b"].end == 0x080A_0000
    assert (p.layout.image_header_size, p.layout.boot_attempts) == (0x400, 3)
    assert p.layout.handoff_size == 0x100
    assert (p.supply.nominal_mv, p.supply.reset_mv, p.supply.holdup_us) == (3300, 1700, 2000)
    assert p.roles.console_uart == "usart1" and p.peripheral("usart1").base == 0x4001_3800
    rcc = p.peripheral("rcc")
    assert rcc.params["csr_offset"] == 0xF4
    flag_bits = rcc.params["flag_bits"]
    assert isinstance(flag_bits, Mapping) and flag_bits["IWDGRSTF"] == 29
    assert p.peripheral("pwr").params["pvd_levels_mv"] == (2000, 2200, 2400, 2500, 2600, 2800, 2900)
    assert p.peripheral("iwdg").params == {"clock_hz": 32000}
    assert "STC" in p.sources


def test_lpc55s69_derived_values() -> None:
    p = load_platform("lpc55s69")
    assert p.core.clock_hz == 12_000_000 and p.core.boot_address == 0
    f = p.flash
    assert (f.base, f.size, f.banks, f.page_size, f.program_unit) == (0, 0xA_0000, 1, 512, 512)
    assert (f.ecc_unit, f.erased_value, f.page_count) == (512, 0x00, 1280)
    assert f.torn_read is TornRead.BUS_FAULT and f.erased_read is ErasedRead.BUS_FAULT
    assert p.ram.name == "sram" and (p.ram.base, p.ram.size) == (0x2000_0000, 0x4_4000)
    assert p.region("sramx").kind is RegionKind.RAM
    assert p.region("bootrom").kind is RegionKind.ROM
    assert p.layout["slot_b"].end <= 0x9_D800  # inside the SDK's user flash
    assert p.roles.reset_cause == p.roles.supply_monitor == "pmc"
    levels = p.peripheral("pmc").params["bod_levels_mv"]
    assert isinstance(levels, tuple) and len(levels) == 26
    assert levels[0] == 1000 and levels[20] == 2806 and levels[-1] == 3300
    assert p.supply.reset_mv in levels
    assert p.peripheral("wwdt").params["clock_hz"] == 1_000_000


def test_params_are_read_only() -> None:
    params = load_platform("stm32u585").peripheral("rcc").params
    with pytest.raises(TypeError):
        params["csr_offset"] = 0  # type: ignore[index]


# --------------------------------------------------------------------------------------------
# Names, paths, caching


def test_unknown_platform_name_lists_known() -> None:
    with pytest.raises(UnknownNameError) as info:
        load_platform("stm32f4")
    assert info.value.known == ["lpc55s69", "stm32u585", "stm32u585-large"]  # chips and layouts
    assert "stm32u585" in str(info.value)


def test_missing_file_is_a_platform_error(tmp_path: Path) -> None:
    with pytest.raises(PlatformError) as info:
        load_platform(tmp_path / "nowhere" / "platform.yaml")
    assert info.value.field == "(file)"


def test_env_override_and_name_must_match_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, _real_doc("stm32u585"), folder="stm32u585")
    _write(tmp_path, _real_doc("stm32u585"), folder="renamed")
    monkeypatch.setenv("OTA_HIL_PLATFORMS", str(tmp_path))
    assert platforms_dir() == tmp_path
    assert known_platforms() == ["renamed", "stm32u585"]
    assert load_platform("stm32u585").path == str(tmp_path / "stm32u585" / "platform.yaml")
    with pytest.raises(PlatformError) as info:
        load_platform("renamed")
    assert info.value.field == "name" and "renamed" in info.value.expected


def test_edited_file_is_reloaded(tmp_path: Path) -> None:
    doc = _real_doc("stm32u585")
    path = _write(tmp_path, doc)
    assert load_platform(path).core.clock_hz == 4_000_000
    doc["core"]["clock_hz"] = 16_000_000
    doc["title"] = "edited, so the size changes too"
    _write(tmp_path, doc)
    assert load_platform(path).core.clock_hz == 16_000_000


def test_hex_strings_are_accepted(tmp_path: Path) -> None:
    doc = _real_doc("stm32u585")
    doc["core"]["boot_address"] = "0x08000000"
    doc["memory"][0]["size"] = "0x0020_0000"
    doc["layout"]["areas"]["slot_b"] = {"offset": "0x60000", "size": "0x40000"}
    _periph(doc, "rcc")["params"]["csr_offset"] = "0xF4"
    p = load_platform(_write(tmp_path, doc))
    assert p.core.boot_address == 0x0800_0000 and p.flash.size == 0x20_0000
    assert p.layout["slot_b"].size == 0x4_0000
    assert p.peripheral("rcc").params["csr_offset"] == 0xF4


# --------------------------------------------------------------------------------------------
# Malformed variants: each names the file, the field, what was expected and what was found


class TextEdit:
    """A mutation applied to the YAML text instead of the parsed document."""

    def __init__(self, edit: Callable[[str], str]) -> None:
        self.edit = edit


Mutator = Callable[[Doc], object] | TextEdit


def _set(*keys: str | int, value: object) -> Mutator:
    def mutate(doc: Doc) -> None:
        node: Any = doc
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return mutate


def _delete(*keys: str | int) -> Mutator:
    def mutate(doc: Doc) -> None:
        node: Any = doc
        for k in keys[:-1]:
            node = node[k]
        del node[keys[-1]]

    return mutate


# (id, platform, mutation, field, expected contains, found contains)
BAD: list[tuple[str, str, Mutator, str, str, str]] = [
    (
        "yaml-syntax",
        "stm32u585",
        TextEdit(lambda t: t.replace("banks: 2", "banks: [2")),
        "(yaml)",
        "valid YAML",
        "line ",
    ),
    (
        "duplicate-key",
        "stm32u585",
        TextEdit(lambda t: t.replace("banks: 2", "banks: 2\n  banks: 1")),
        "(yaml)",
        "valid YAML",
        "duplicate key 'banks'",
    ),
    (
        "top-level-not-mapping",
        "stm32u585",
        TextEdit(lambda t: "- just\n- a list\n"),
        "(document)",
        "a mapping",
        "a list of 2 items",
    ),
    (
        "unknown-top-key",
        "stm32u585",
        _set("extras", value=1),
        "extras",
        "schema, name, title",
        "unknown key 'extras'",
    ),
    (
        "missing-key",
        "stm32u585",
        _delete("supply", "reset_mv"),
        "supply.reset_mv",
        "required",
        "missing",
    ),
    (
        "unknown-key-lists-allowed",
        "stm32u585",
        _set("flash", "page_sz", value=8192),
        "flash.page_sz",
        "page_size",
        "unknown key 'page_sz'",
    ),
    ("schema-version", "stm32u585", _set("schema", value=2), "schema", "version 1", "2"),
    (
        "int-wrong-type",
        "stm32u585",
        _set("core", "clock_hz", value="fast"),
        "core.clock_hz",
        "integer",
        "'fast'",
    ),
    (
        "bool-is-not-int",
        "stm32u585",
        _set("layout", "boot_attempts", value=True),
        "layout.boot_attempts",
        "integer",
        "True",
    ),
    (
        "bad-hex-string",
        "stm32u585",
        _set("memory", 0, "base", value="0x08ZZ0000"),
        "memory[0].base",
        '"0x.." hex string',
        "'0x08ZZ0000'",
    ),
    (
        "list-expected",
        "stm32u585",
        _set("memory", value={"flash": 1}),
        "memory",
        "a list",
        "mapping",
    ),
    (
        "cpu-enum",
        "stm32u585",
        _set("core", "cpu", value="cortex-m4"),
        "core.cpu",
        "cortex-m33",
        "'cortex-m4'",
    ),
    (
        "region-kind-enum",
        "stm32u585",
        _set("memory", 1, "kind", value="dram"),
        "memory[1].kind",
        "flash, ram, backup_ram, rom",
        "'dram'",
    ),
    (
        "torn-read-enum",
        "lpc55s69",
        _set("flash", "torn_read", value="explode"),
        "flash.torn_read",
        "ecc-nmi, bus-fault",
        "'explode'",
    ),
    (
        "erased-value-range",
        "stm32u585",
        _set("flash", "erased_value", value=0x100),
        "flash.erased_value",
        "<= 0xff",
        "0x100",
    ),
    (
        "page-not-power-of-two",
        "stm32u585",
        _set("flash", "page_size", value=0x3000),
        "flash.page_size",
        "power of two",
        "0x3000",
    ),
    (
        "flash-region-unknown",
        "stm32u585",
        _set("flash", "region", value="sram"),
        "flash.region",
        "one of flash",
        "'sram'",
    ),
    (
        "size-zero",
        "stm32u585",
        _set("layout", "areas", "keys", "size", value=0),
        "layout.areas.keys.size",
        "> 0",
        "0",
    ),
    (
        "negative-offset",
        "stm32u585",
        _set("layout", "areas", "keys", "offset", value=-8192),
        "layout.areas.keys.offset",
        ">= 0",
        "-",
    ),
    (
        "area-missing",
        "stm32u585",
        _delete("layout", "areas", "evidence"),
        "layout.areas.evidence",
        "required",
        "missing",
    ),
    (
        "area-unknown",
        "lpc55s69",
        _set("layout", "areas", "scratch", value={"offset": 0, "size": 512}),
        "layout.areas.scratch",
        "bootloader, keys, meta_a",
        "unknown key 'scratch'",
    ),
    (
        "area-unaligned",
        "stm32u585",
        _set("layout", "areas", "slot_a", "offset", value=0x20100),
        "layout.areas.slot_a.offset",
        "page size 0x2000",
        "0x20100",
    ),
    (
        "area-size-unaligned",
        "lpc55s69",
        _set("layout", "areas", "keys", "size", value=0x1100),
        "layout.areas.keys.size",
        "page size 0x200",
        "0x1100",
    ),
    (
        "area-outside-flash",
        "stm32u585",
        _set("layout", "areas", "slot_b", "size", value=0x200000),
        "layout.areas.slot_b.size",
        "inside the flash",
        "0x260000",
    ),
    (
        "meta-share-page",
        "stm32u585",
        _set("layout", "areas", "meta_b", "offset", value=0x12000),
        "layout.areas.meta_b.offset",
        "separate pages",
        "shared with meta_a",
    ),
    (
        "areas-overlap",
        "stm32u585",
        _set("layout", "areas", "evidence", "offset", value=0x10000),
        "layout.areas.evidence.offset",
        "no overlap",
        "[0x10000, 0x14000)",
    ),
    (
        "evidence-one-page",
        "stm32u585",
        _set("layout", "areas", "evidence", "size", value=0x2000),
        "layout.areas.evidence.size",
        ">= 2 pages",
        "0x2000",
    ),
    (
        "slot-not-above-header",
        "lpc55s69",
        _set("layout", "areas", "slot_a", "size", value=0x200),
        "layout.areas.slot_a.size",
        "more than image_header_size (0x200)",
        "0x200",
    ),
    (
        "handoff-too-big",
        "stm32u585",
        _set("layout", "handoff_size", value=0xC0000),
        "layout.handoff_size",
        "smaller than the RAM region 'sram'",
        "0xc0000",
    ),
    (
        "role-unknown-peripheral",
        "stm32u585",
        _set("roles", "watchdog", value="wdt"),
        "roles.watchdog",
        "one of flash_ctrl, usart1, rcc, pwr, iwdg",
        "'wdt'",
    ),
    (
        "role-missing",
        "lpc55s69",
        _delete("roles", "supply_monitor"),
        "roles.supply_monitor",
        "required",
        "missing",
    ),
    (
        "model-not-identifier",
        "stm32u585",
        _set("peripherals", 1, "model", value="stm32 usart"),
        "peripherals[1].model",
        "identifier",
        "'stm32 usart'",
    ),
    (
        "model-empty",
        "lpc55s69",
        _set("peripherals", 1, "model", value=""),
        "peripherals[1].model",
        "non-empty string",
        "''",
    ),
    (
        "duplicate-peripheral",
        "stm32u585",
        _set("peripherals", 2, "name", value="usart1"),
        "peripherals[2].name",
        "not used before",
        "'usart1' again",
    ),
    (
        "peripherals-overlap",
        "stm32u585",
        _set("peripherals", 2, "base", value=0x40022100),
        "peripherals[2].base",
        "flash_ctrl",
        "peripheral 'rcc'",
    ),
    (
        "peripheral-alias-overlaps-memory",
        "stm32u585",
        _set("peripherals", 0, "aliases", value=[0x50036400]),
        "peripherals[0].aliases[0]",
        "memory region 'bkpsram'",
        "[0x50036400, 0x50036800)",
    ),
    (
        "memory-regions-overlap",
        "lpc55s69",
        _set("memory", 2, "base", value=0x20040000),
        "memory[2].base",
        "memory region 'sram'",
        "memory region 'sramx'",
    ),
    (
        "watchdog-clock-missing",
        "stm32u585",
        _set("peripherals", 4, "params", value={}),
        "peripherals[4].params.clock_hz",
        "watchdog clock",
        "nothing",
    ),
    (
        "boot-address-not-bootable",
        "stm32u585",
        _set("core", "boot_address", value=0x20000000),
        "core.boot_address",
        "inside a flash or rom region",
        "0x20000000",
    ),
    (
        "source-missing",
        "stm32u585",
        _delete("supply", "source"),
        "supply.source",
        "required",
        "missing",
    ),
    (
        "source-uncited",
        "stm32u585",
        _set("flash", "source", value="the datasheet"),
        "flash.source",
        "assumed: <why>",
        "'the datasheet'",
    ),
    (
        "source-unknown-alias",
        "lpc55s69",
        _set("memory", 0, "source", value="NXPX:12"),
        "memory[0].source",
        "citations of aliases in 'sources'",
        "unknown alias 'NXPX'",
    ),
    (
        "reset-above-nominal",
        "stm32u585",
        _set("supply", "reset_mv", value=3300),
        "supply.reset_mv",
        "below nominal_mv (3300)",
        "3300",
    ),
]


@pytest.mark.parametrize(
    ("platform", "mutate", "field", "expected", "found"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_malformed_variant_is_rejected(
    tmp_path: Path, platform: str, mutate: Mutator, field: str, expected: str, found: str
) -> None:
    source = platforms_dir() / platform / "platform.yaml"
    if isinstance(mutate, TextEdit):
        path = _write(tmp_path, mutate.edit(source.read_text()))
    else:
        doc = copy.deepcopy(_real_doc(platform))
        mutate(doc)
        path = _write(tmp_path, doc)
    with pytest.raises(PlatformError) as info:
        load_platform(path)
    err = info.value
    assert err.path == str(path.resolve())
    assert err.field == field, str(err)
    assert expected in err.expected, str(err)
    assert found in err.found, str(err)
    assert str(path.resolve()) in str(err) and field in str(err)


def test_table_is_large_enough() -> None:
    assert len(BAD) >= 15
    assert len({case[0] for case in BAD}) == len(BAD)
