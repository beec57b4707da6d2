"""The staged update route and the profile overrides, executed (issue 12): a staged update of
the swap target triggered by an MCUboot trailer write completes and is judged by patterns and
the oracle; a strap override visibly puts the bootloader into serial recovery; a keys-area
override is programmed and protected; overrides the platform model cannot honour fail loading
with one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hil.matrix.profile_items import case, make_images, run_case
from hil.profile import ProfileError, load_profile, parse_profile
from hil.profile.model import Profile
from hil.target.device import ProfileTarget
from hil.target.route import deliver
from tests.swap.emu import build

REPO = Path(__file__).resolve().parents[2]


def _profile(chip: str, **edit: Any) -> Profile:
    src = REPO / "profiles" / f"swap-{chip}.yaml"
    if not all(f.path.exists() for f in load_profile(src).firmware):
        build(chip)
    doc = yaml.safe_load(src.read_text())
    doc.update(edit)
    return parse_profile(doc, src)


STAGED_TRAILER = {"route": "staged", "slot": "secondary", "duration_ms": 3000,
                  "trigger": {"kind": "trailer"}}  # fmt: skip


def test_staged_route_by_trailer_write_completes_the_update() -> None:
    prof = _profile("stm32u585", update=STAGED_TRAILER)
    ok, reasons, run = run_case(case(1, "normal-update"), prof)
    assert ok, reasons
    assert any("trailer magic written" in s for s in run.steps), run.steps
    assert run.target is not None
    assert "I: Secondary image: magic=good" in run.target.log  # the bootloader read our write
    assert "img_mgmt: upload" not in run.target.log  # no SMP was involved


def test_staged_route_delivers_a_forged_image_that_is_refused() -> None:
    """The route only delivers: judging stays with the evidence (item 6 passes: refused)."""
    prof = _profile("stm32u585", update=STAGED_TRAILER)
    ok, reasons, run = run_case(case(6, "forged-signature"), prof)
    assert ok, reasons
    assert run.target is not None and "Swap type: test" in run.target.log


def test_strap_override_enters_serial_recovery(tmp_path: Path) -> None:
    plain = _profile("stm32u585")
    held = _profile("stm32u585", overrides={"straps": {"rescue": 1}})
    logs = []
    for prof in (plain, held):
        images = make_images(prof, tmp_path)
        t = ProfileTarget(prof)
        t.install_factory(images.v1, "v1")
        t.power_on()
        t.run(1500)
        logs.append(t.log)
    assert "Serial recovery" not in logs[0] and "Booting swapapp" in logs[0]
    assert "I: Serial recovery: strap pin held at reset" in logs[1]
    assert "Booting swapapp" not in logs[1]


def test_keys_area_override_is_programmed_and_protected(tmp_path: Path) -> None:
    blob = bytes(range(256)) * 4
    (tmp_path / "keys.bin").write_bytes(blob)
    src = REPO / "profiles" / "swap-stm32u585.yaml"
    doc = yaml.safe_load(src.read_text())
    doc["flash_areas"]["keystore"] = {"offset": 0x1E0000, "size": 0x2000, "kind": "keys"}
    doc["overrides"] = {"keys_area": {"area": "keystore", "file": str(tmp_path / "keys.bin")}}
    prof = parse_profile(doc, src)
    t = ProfileTarget(prof)
    at = t.area_address("keystore")
    assert t.engine.flash_read(at, len(blob)) == blob
    assert prof.overrides.describe() == ["keys area keystore <- keys.bin, protected"]


@pytest.mark.parametrize(
    ("overrides", "want"),
    [
        ({"clock_hz": 16000000},
         "field 'overrides.clock_hz': expected the core clock the stm32u585 clock-tree model "
         "starts from reset (4000000 Hz"),
        ({"straps": {"boot0": 1}},
         "field 'overrides.straps.boot0': expected a pin the stm32u585 model drives (rescue)"),
        ({"straps": {"rescue": 2}}, "field 'overrides.straps.rescue': expected an integer 0..1"),
        ({"keys_area": {"area": "nowhere", "file": "k.bin"}},
         "field 'overrides.keys_area.area': expected one of"),
        ({"keys_area": {"area": "sec_cnt", "file": "no-such.bin"}},
         "field 'overrides.keys_area.file': expected a readable key-store file"),
        ({"fan_speed": 3}, "field 'overrides.fan_speed': expected one of the keys"),
        ({"clock_limits": "ignore"},
         "field 'overrides.clock_limits': expected one of fault, record, found 'ignore'"),
    ],
)  # fmt: skip
def test_overrides_the_model_cannot_honour_fail_loading(
    tmp_path: Path, overrides: dict[str, object], want: str
) -> None:
    doc = yaml.safe_load((REPO / "profiles" / "swap-stm32u585.yaml").read_text())
    doc["overrides"] = overrides
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(doc))
    with pytest.raises(ProfileError) as e:
        load_profile(p)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(str(p)), msg
    assert want in msg, msg


def test_clock_limits_record_is_passed_to_the_engine() -> None:
    prof = _profile("stm32u585", overrides={"clock_limits": "record"})
    assert prof.overrides.describe() == ["clock-limit violations recorded, not faulted"]
    t = ProfileTarget(prof)
    rcc = t.engine.soc.peripheral("rcc")  # type: ignore[attr-defined]
    assert rcc.fault_on_violation is False
    assert ProfileTarget(_profile("stm32u585")).engine.soc.peripheral("rcc").fault_on_violation  # type: ignore[attr-defined]


def test_an_area_outside_the_chip_flash_fails_loading(tmp_path: Path) -> None:
    doc = yaml.safe_load((REPO / "profiles" / "swap-stm32u585.yaml").read_text())
    doc["flash_areas"]["log"] = {"offset": 0x1FF000, "size": 0x2000, "kind": "log"}
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(doc))
    with pytest.raises(ProfileError, match="expected an area inside the stm32u585 flash"):
        load_profile(p)


def test_staged_route_waits_for_the_flash_operation_in_flight(tmp_path: Path) -> None:
    """The probe writes the slot and pulls reset only once the firmware's flash operation has
    ended: the harness never tears a unit it did not plan to (wolfBoot's boot-time trailer
    writes were torn by the trigger's reset before, and the next boot hung in an ECC NMI)."""
    prof = _profile("stm32u585", update=STAGED_TRAILER)
    images = make_images(prof, tmp_path)
    t = ProfileTarget(prof)
    t.install_factory(images.v1, "v1")
    t.power_on()
    deliver(t, images.v2)  # a test swap: the bootloader and the app then write flash
    t.engine.run(5_000_000, until=t.engine.flash_busy)
    assert t.engine.flash_busy(), "no flash operation to arrive in the middle of"
    step = deliver(t, images.v3)
    assert "pin reset" in step
    flash = t.engine.flash  # type: ignore[attr-defined]
    assert not flash.is_torn(flash.geometry.base, flash.geometry.size)


def test_item_11_asks_for_a_resumed_swap_only_when_the_profile_captures_one() -> None:
    """An overwrite-only bootloader reports no resume: item 11's pattern check is its oracle's
    then (every cut recovers), not a RESUME line the firmware never prints."""
    from hil.matrix.profile_items import judge

    doc = yaml.safe_load((REPO / "profiles" / "swap-stm32u585.yaml").read_text())
    with_resume = parse_profile(doc, REPO / "profiles" / "swap-stm32u585.yaml")
    doc["evidence"]["patterns"] = [p for p in doc["evidence"]["patterns"] if p["event"] != "RESUME"]
    without = parse_profile(doc, REPO / "profiles" / "swap-stm32u585.yaml")
    want = "patterns: no cut was followed by a resumed swap"
    assert want in judge(case(11, "power-cut-sweep"), with_resume, [])
    assert want not in judge(case(11, "power-cut-sweep"), without, [])
