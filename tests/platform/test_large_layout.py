"""The STM32U585 large layout (``platforms/stm32u585-large``, issue 16): a description that
takes the chip's description with another flash layout (``extends:``), how it is listed and
selected, and the one-line errors of bad names and bad descriptions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hil.cli import main
from hil.errors import PlatformError, UnknownNameError
from hil.platform import known_platforms, load_platform, platforms_dir

LARGE = "stm32u585-large"
KIB = 1024


def test_large_layout_takes_the_chip_and_two_960_kib_slots_one_per_bank() -> None:
    large, chip = load_platform(LARGE), load_platform("stm32u585")
    assert large.name == LARGE and large.chip == "stm32u585" and chip.chip == "stm32u585"
    # every fact of the chip is the chip's; only the layout differs
    for attr in ("core", "memory", "flash", "peripherals", "roles", "supply", "blocks"):
        assert getattr(large, attr) == getattr(chip, attr), attr
    assert large.layout != chip.layout
    a, b = large.layout["slot_a"], large.layout["slot_b"]
    assert a.size == b.size == 960 * KIB
    bank = large.flash.size // large.flash.banks  # 1 MiB
    base = large.flash.base
    assert (a.address - base) // bank == 0 and (a.end - 1 - base) // bank == 0
    assert (b.address - base) // bank == 1 and (b.end - 1 - base) // bank == 1
    for area in large.layout.areas.values():  # whole 8 KiB pages
        assert (area.address - base) % large.flash.page_size == 0
        assert area.size % large.flash.page_size == 0


def test_chips_are_the_default_the_layout_is_listed_and_selectable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert known_platforms() == ["lpc55s69", "stm32u585"]  # "every platform" stays the chips
    assert known_platforms(layouts=True) == ["lpc55s69", "stm32u585", LARGE]
    assert main(["platforms"]) == 0
    text = capsys.readouterr().out
    assert f"{LARGE}: " in text and "[layout of stm32u585]" in text
    assert "slot_b     0x08100000 +0xf0000" in text
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    assert LARGE in capsys.readouterr().out


def test_a_bad_layout_name_is_one_line_listing_the_known(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(UnknownNameError) as info:
        load_platform("stm32u585-huge")
    assert info.value.known == ["lpc55s69", "stm32u585", LARGE]
    assert main(["build", "--platform", "stm32u585-huge"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "stm32u585-huge" in err and LARGE in err


def _tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    """A platforms folder with the chip and a layout description ``text`` named ``u5-big``."""
    shutil.copytree(platforms_dir() / "stm32u585", tmp_path / "stm32u585")
    (tmp_path / "u5-big").mkdir()
    path = tmp_path / "u5-big" / "platform.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("OTA_HIL_PLATFORMS", str(tmp_path))
    return path


def _layout_text() -> str:
    text = (platforms_dir() / LARGE / "platform.yaml").read_text(encoding="utf-8")
    return text.replace(f"name: {LARGE}", "name: u5-big")


@pytest.mark.parametrize(
    ("edit", "field", "expected"),
    [
        ({"extends: stm32u585": "extends: stm32f4"}, "extends", "beside this one (stm32u585)"),
        ({"\nlayout:\n": "\ncore: {}\nlayout:\n"}, "core", "unknown key"),
        ({"offset: 0x100000": "offset: 0x101000"}, "slot_b.offset", "page size"),
        ({"size: 0x4000}": "size: 0x10000}"}, "evidence.size", "inside the flash"),
        ({"two banks of 1 MiB STC:8594": "two banks XYZ:1"}, "layout.source", "aliases"),
    ],
)
def test_a_bad_layout_description_names_the_field(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: dict[str, str],
    field: str,
    expected: str,
) -> None:
    text = _layout_text()
    for old, new in edit.items():
        assert old in text
        text = text.replace(old, new, 1)
    _tree(tmp_path, monkeypatch, text)
    with pytest.raises(PlatformError) as info:
        load_platform("u5-big")
    assert field in str(info.value) and expected in str(info.value)
    assert "\n" not in str(info.value)
