"""The sweep's per-point judge on synthetic evidence: each invariant can fail."""

from __future__ import annotations

from hil.evidence import Event, Outcome, format_line, parse_line
from hil.sweep import judge_point


def ev(seq: int, src: str, name: str, **fields: str) -> Event:
    return parse_line(format_line(seq, src, name, list(fields.items())))


def boot(slot: str, build: str, *, meta: str = "ok", state: str = "running") -> list[Event]:
    return [
        ev(0, "boot", "REBOOT_REASON", cause="power-on", brownout_flag="0"),
        ev(1, "boot", "META", result=meta, generation="3", copy="A"),
        ev(2, "boot", "SLOT_CHECK", slot=slot, state="present"),
        ev(3, "boot", "VERIFY_SIG", result="ok", key_id="0x1", error_code="ok"),
        ev(4, "boot", "PARSE_MANIFEST", result="ok", build=build, slot=slot, error_code="ok"),
        ev(5, "app", "BOOT", slot=slot, build=build, state=state),
    ]


def test_a_confirmed_boot_after_the_cut_passes() -> None:
    events = boot("A", "1") + boot("A", "1")
    v = judge_point(events, 6)
    assert v.outcome is Outcome.CONFIRMED and v.ok and v.build == 1 and v.meta == "ok"


def test_nothing_after_the_cut_is_a_brick() -> None:
    v = judge_point(boot("A", "1"), 6)
    assert v.outcome is Outcome.UNKNOWN
    assert [inv for inv, _ in v.violations] == ["outcome"]


def test_rescue_breaks_the_confirmed_slot_invariant() -> None:
    events = boot("A", "1") + [
        ev(0, "boot", "REBOOT_REASON", cause="power-on", brownout_flag="0"),
        ev(1, "boot", "RESCUE", cause="no_bootable"),
    ]
    v = judge_point(events, 6)
    assert v.outcome is Outcome.RESCUE
    assert "confirmed_slot" in [inv for inv, _ in v.violations]


def test_lost_metadata_after_it_was_valid_fails() -> None:
    v = judge_point(boot("A", "1") + boot("A", "1", meta="both-invalid"), 6)
    assert "metadata" in [inv for inv, _ in v.violations]


def test_factory_metadata_state_is_not_a_loss() -> None:
    v = judge_point(boot("A", "1", meta="both-invalid") + boot("A", "1", meta="both-invalid"), 6)
    assert v.ok


def test_an_older_build_after_a_confirmed_one_breaks_the_floor() -> None:
    trial = boot("B", "2", state="trial") + [
        ev(6, "app", "SLOT_TRANSITION", **{"from": "BOOT_TEST"}, to="CONFIRMED", slot="B")
    ]
    v = judge_point(trial + boot("A", "1"), len(trial))
    assert "floor" in [inv for inv, _ in v.violations]


def test_an_unverified_image_running_fails() -> None:
    events = boot("A", "1") + [
        ev(0, "boot", "REBOOT_REASON", cause="power-on", brownout_flag="0"),
        ev(1, "boot", "META", result="ok", generation="3", copy="A"),
        ev(2, "app", "BOOT", slot="A", build="1", state="running"),
    ]
    v = judge_point(events, 6)
    assert "verified" in [inv for inv, _ in v.violations]


def test_a_pending_image_that_fails_verification_is_caught() -> None:
    events = boot("A", "1") + boot("A", "1")
    events.insert(9, ev(9, "boot", "ROLLBACK", reason="verify", floor="0", candidate_build="2"))
    v = judge_point(events, 6)
    assert v.outcome is Outcome.ROLLBACK
    assert "pending_valid" in [inv for inv, _ in v.violations]


def test_brownout_flag_and_gated_writes_are_read() -> None:
    before = boot("A", "1") + [ev(6, "app", "WRITE_GATED", operation="program", address="0x1")]
    after = boot("A", "1")
    after[0] = ev(0, "boot", "REBOOT_REASON", cause="brownout", brownout_flag="1")
    v = judge_point(before + after, len(before))
    assert v.brownout_flag and v.write_gated == 1 and v.ok
