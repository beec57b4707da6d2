"""Target profiles: the strict loader, item proofs (NOT PROVABLE with reasons), console
patterns, the trailer decoder, and the swap target judged through patterns + oracle on the
engine (the oracle alone catches SWAP_MUT_BOOT_OLD_IMAGE)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from hil.evidence.event import Event
from hil.evidence.patterns import PatternSet
from hil.matrix.classify import FailureClass
from hil.matrix.profile_items import (
    CLASSIFY_EPISODES,
    case,
    classify_events,
    every_failure_classified,
    run_case,
    seen,
)
from hil.matrix.proofs import CLASSIFIED, PROOFS, provable
from hil.oracle.trailer import Flag, Magic, decode
from hil.profile import ProfileError, Route, load_profile
from hil.profile.model import FAILURE_CLASSES

REPO = Path(__file__).resolve().parents[2]
PROFILES = REPO / "profiles"
CHIPS = ("stm32u585", "lpc55s69")


@pytest.mark.parametrize("name", [f"{k}-{c}" for k in ("reference", "swap") for c in CHIPS])
def test_repo_profiles_load(name: str) -> None:
    p = load_profile(PROFILES / f"{name}.yaml")
    assert p.chip in CHIPS and p.name == name
    ident = p.identity()
    assert set(ident) == {"name", "file", "sha256", "chip", "firmware"}
    assert all(k.startswith("../build/") for k in ident["firmware"])  # type: ignore[union-attr]


def _bad(tmp_path: Path, edit: dict[str, object]) -> str:
    doc = yaml.safe_load((PROFILES / "swap-stm32u585.yaml").read_text())
    for dotted, value in edit.items():
        node = doc
        *path, last = dotted.split(".")
        for k in path:
            node = node[k]
        if value is None:
            del node[last]
        else:
            node[last] = value
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(doc))
    with pytest.raises(ProfileError) as info:
        load_profile(f)
    msg = str(info.value)
    assert "\n" not in msg and str(f) in msg
    return msg


@pytest.mark.parametrize(
    ("edit", "want"),
    [
        (
            {"chip": "nrf52"},
            "field 'chip': expected a platform: lpc55s69, stm32u585, stm32u585-large, "
            "found 'nrf52'",
        ),
        ({"update.route": "usb"}, "field 'update.route': expected one of smp, staged, ota-hil"),
        ({"update.uart": None}, "field 'update.uart': expected the UART carrying SMP"),
        ({"image.mcuboot.align": 12}, "field 'image.mcuboot.align': expected a power of two"),
        ({"flash_areas.secondary.offset": 0x30000}, "field 'flash_areas.secondary.offset'"),
        ({"evidence.oracle.checks": ["psychic"]}, "field 'evidence.oracle.checks[0]'"),
        ({"bogus": 1}, "field 'bogus': expected one of the keys"),
        ({"profile": 2}, "field 'profile': expected the schema version 1, found 2"),
    ],
)
def test_loader_errors_name_file_field_expected_found(
    tmp_path: Path, edit: dict[str, object], want: str
) -> None:
    assert want in _bad(tmp_path, edit)


def test_bad_regex_and_missing_file(tmp_path: Path) -> None:
    doc = yaml.safe_load((PROFILES / "swap-lpc55s69.yaml").read_text())
    doc["evidence"]["patterns"][0]["regex"] = "(?P<x"
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(doc))
    with pytest.raises(ProfileError, match=r"evidence.patterns\[0\].regex"):
        load_profile(f)
    with pytest.raises(ProfileError, match="expected a readable YAML file"):
        load_profile(tmp_path / "none.yaml")


def test_every_item_declares_its_proofs_and_the_swap_profile_lists_reasons() -> None:
    assert set(PROOFS) == set(range(1, 16))
    ref = load_profile(PROFILES / "reference-stm32u585.yaml")
    assert all(provable(i, ref)[0] == ("library",) for i in PROOFS)
    swap = load_profile(PROFILES / "swap-stm32u585.yaml")
    assert Route.LIBRARY not in swap.routes
    not_provable = {i: provable(i, swap)[1] for i in PROOFS if provable(i, swap)[0] is None}
    assert set(not_provable) == {2, 7}
    assert all(not_provable.values())
    assert "download resume" in not_provable[2]
    # item 15 rests on the failure classes its patterns declare: without them, not provable
    bare = replace(swap, patterns=tuple(replace(p, classes=()) for p in swap.patterns))
    proof, why = provable(15, bare)
    assert proof is None and "do not declare the failure classes" in why
    assert {e for _, e in CLASSIFY_EPISODES} == CLASSIFIED


def test_profile_failure_classes_are_the_classifiers() -> None:
    assert tuple(c.value for c in FailureClass) == FAILURE_CLASSES
    swap = load_profile(PROFILES / "swap-stm32u585.yaml")
    table = swap.failure_classes()
    assert table["REJECTED"] == ("crypto/package",) and table["WRITE_GATED"] == ("power/brownout",)
    assert "UPGRADE" not in table


def test_patterns_turn_log_lines_into_events() -> None:
    swap = load_profile(PROFILES / "swap-stm32u585.yaml")
    ps = PatternSet((p.event, p.regex) for p in swap.patterns)
    log = (
        "I: Reset cause: watchdog (raw 0x20000000)\r\n"
        "I: Image index: 0, Swap type: revert\r\n"
        "E: Image 0 secondary slot: revoked key\r\n"
        "[00:00:00.050,000] <err> app: self-test failed: resetting without confirming\r\n"
        "something else\r\n"
    )
    evs = ps.events(log)
    assert [(e.name, dict(e.fields)) for e in evs] == [
        ("RESET_CAUSE", {"cause": "watchdog", "raw": "20000000"}),
        ("SWAP_TYPE", {"type": "revert"}),
        ("REJECTED", {"slot": "secondary", "reason": "revoked key"}),
        ("SELF_TEST_FAIL", {"how": "failed"}),
    ]


@pytest.mark.parametrize("chip", CHIPS)
def test_trailer_decode(chip: str) -> None:
    fmt = load_profile(PROFILES / f"swap-{chip}.yaml").image.mcuboot
    assert fmt is not None
    size, a, e = 0x20000 if chip == "stm32u585" else 0x1C000, fmt.align, fmt.erased
    slot = bytearray([e]) * size
    t = decode(bytes(slot), fmt)
    assert (t.magic, t.image_ok, t.copy_done, t.swap_type) == (
        Magic.UNSET, Flag.UNSET, Flag.UNSET, None
    )  # fmt: skip
    magic = a.to_bytes(2, "little") + bytes.fromhex("2de15d29410b8d77679c110f1f8a")
    slot[size - 16 :] = magic
    ok = (size - 16 - a) // a * a
    slot[ok] = 0x01
    slot[ok - 2 * a] = 0x02  # swap_info: test
    slot[ok - a] = 0x5A  # copy_done torn
    t = decode(bytes(slot), fmt)
    assert (t.magic, t.image_ok, t.copy_done, t.swap_type) == (
        Magic.GOOD, Flag.SET, Flag.BAD, 2
    )  # fmt: skip
    slot[size - 1] ^= 0xFF
    assert decode(bytes(slot), fmt).magic is Magic.BAD


def test_failures_are_classified_from_pattern_events_alone() -> None:
    swap = load_profile(PROFILES / "swap-stm32u585.yaml")
    ps = PatternSet((p.event, p.regex) for p in swap.patterns)
    log = (
        "I: Image index: 0, Swap type: test\r\n"
        "E: Image 0 secondary slot: bad signature\r\n"
        "I: Image 0 upgrade secondary slot -> primary slot\r\n"
    )
    classes, shown = classify_events(swap, ps.events(log))
    assert (classes, shown) == (["crypto/package"], ["REJECTED"])

    def ev(expect: str, got: str) -> Event:
        fields = (("episode", "x"), ("expect", expect), ("classes", got))
        return Event(0, "classifier", "CLASSIFIED", fields, f"CLASSIFIED {expect} {got}")

    assert every_failure_classified([ev("state", "state,power/brownout")]) == []
    assert every_failure_classified([ev("crypto/package", "state")])  # misclassified: fails
    assert every_failure_classified([ev("power/brownout", "none")])  # unclassified: fails
    assert every_failure_classified([])  # nothing run: fails


@pytest.mark.slow
def test_item_15_is_proved_from_the_swap_targets_patterns() -> None:
    """The real case: forged, failing and brownout updates on the engine (about 90 s)."""
    ok, reasons, run = run_case(
        case(15, "classify-failures"), load_profile(PROFILES / "swap-lpc55s69.yaml")
    )
    assert ok, reasons
    assert [e["episode"] for e in run.evidence] == ["forged", "fail", "brownout"]


def test_a_field_the_pattern_does_not_capture_is_optional_only_when_asked() -> None:
    stock = Event(0, "console", "REJECTED", (("slot", "secondary"),), "stock MCUboot line")
    other = Event(0, "console", "REJECTED", (("reason", "revoked key"),), "swap line")
    assert seen("REJECTED", reason="bad signature")([stock])  # required: fails
    assert seen("REJECTED", if_captured=True, reason="bad signature")([stock]) == []
    assert seen("REJECTED", if_captured=True, reason="bad signature")([other])  # wrong: fails
