"""The matrix predicates on synthetic evidence timelines (as contracts §8 and contract-meta
describe them): each passes on the good timeline and fails, naming the event, on the timeline
its mutation would produce."""

from __future__ import annotations

from hil.evidence import Event, Outcome, summarize
from hil.matrix import ITEMS, PREDICATES, judge
from hil.matrix.predicates import Params
from hil.matrix.sweep_items import SWEEP_SCENARIOS


class T:
    """Timeline builder: ``t.ev("boot", "META", result="ok")``; seq restarts at each reset."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.seq = 0

    def ev(self, src: str, name: str, **fields: object) -> T:
        if name == "REBOOT_REASON":
            self.seq = 0
        pairs = tuple((k, str(v)) for k, v in fields.items())
        self.events.append(Event(self.seq, src, name, pairs, f"EV {self.seq} {src} {name}"))
        self.seq += 1
        return self

    def tr(self, src: str, frm: str, to: str, slot: str, attempt: int = 0) -> T:
        return self.ev(
            src, "SLOT_TRANSITION", **{"from": frm, "to": to, "slot": slot, "attempt": attempt}
        )

    def boot(self, slot: str, build: int, cause: str = "power-on", src: str = "app") -> T:
        self.ev("boot", "REBOOT_REASON", cause=cause, brownout_flag=0)
        self.ev("boot", "META", result="ok", generation=1, copy="A")
        return self.ev(src, "BOOT", slot=slot, build=build, state="running")

    def upload(self, slot: str, build: int, *, src: str = "app", ok: bool = True) -> T:
        self.tr(src, "IDLE", "DOWNLOADING", slot)
        self.ev(src, "CHUNK", index=0, result="ok")
        self.ev(src, "VERIFY_SIG", result="ok", key_id="0x1234abcd", error_code="ok")
        self.ev(
            src,
            "PARSE_MANIFEST",
            result="ok",
            build=build,
            slot=slot,
            compat="0x1",
            error_code="ok",
        )
        return self.tr(src, "STAGING", "PENDING", slot) if ok else self

    def trial(self, slot: str, build: int, attempt: int = 1) -> T:
        self.ev("boot", "REBOOT_REASON", cause="software", brownout_flag=0)
        self.tr("boot", "PENDING", "BOOT_TEST", slot, attempt)
        self.ev("app", "BOOT", slot=slot, build=build, state="trial")
        return self.tr("app", "PENDING", "BOOT_TEST", slot, attempt)  # both report it


P = Params(attempts=3)


def normal() -> T:
    t = T().boot("A", 1)
    t.upload("B", 2).trial("B", 2).tr("app", "BOOT_TEST", "CONFIRMED", "B")
    return t.boot("B", 2)


def test_every_item_is_ready_and_judged() -> None:
    # items 11-13 are judged point by point by hil.matrix.sweep_items, the others here
    assert all(i.ready for i in ITEMS)
    assert set(PREDICATES) | set(SWEEP_SCENARIOS.values()) == {i.number for i in ITEMS}


def test_item1() -> None:
    assert judge(1, normal().events, P).passed
    never = T().boot("A", 1).upload("B", 2).trial("B", 2).boot("A", 1)
    v = judge(1, never.events, P)
    assert not v.passed and any("CONFIRMED" in r for r in v.reasons)
    # confirmed in words only: the next boot is another boot test
    t = T().boot("A", 1).upload("B", 2).trial("B", 2).tr("app", "BOOT_TEST", "CONFIRMED", "B")
    t.trial("B", 2, attempt=2)
    assert not judge(1, t.events, P).passed


def test_item3() -> None:
    t = normal()
    t.upload("A", 3).trial("A", 3).tr("app", "BOOT_TEST", "CONFIRMED", "A").boot("A", 3)
    assert judge(3, t.events, P).passed
    same = T().boot("A", 1).upload("A", 2)
    v = judge(3, same.events, P)
    assert not v.passed and any("running slot" in r for r in v.reasons)


def test_item4() -> None:
    t = T().boot("A", 1).upload("B", 2).trial("B", 2)
    t.ev("app", "ROLLBACK", reason="self-test", floor=0, candidate_build=2)
    t.tr("app", "BOOT_TEST", "ROLLBACK", "B").boot("A", 1, cause="software")
    assert judge(4, t.events, P).passed
    bad = T().boot("A", 1).upload("B", 2).trial("B", 2).trial("B", 2, attempt=1)
    assert not judge(4, bad.events, P).passed
    rescue = T().boot("A", 1).upload("B", 2).trial("B", 2)
    rescue.ev("app", "ROLLBACK", reason="self_test", floor=2, candidate_build=2)
    rescue.ev("boot", "REBOOT_REASON", cause="software").ev("boot", "RESCUE", cause="no_bootable")
    assert not judge(4, rescue.events, P).passed


def _rescue(gated: bool) -> T:
    t = T().boot("A", 2)
    t.ev("boot", "REBOOT_REASON", cause="pin").ev("boot", "RESCUE", cause="pin")
    t.tr("rescue", "IDLE", "DOWNLOADING", "B")
    t.ev(
        "rescue",
        "VERIFY_SIG",
        result="fail" if gated else "ok",
        key_id="0x1",
        error_code="bad_signature" if gated else "ok",
    )
    if not gated:
        t.tr("rescue", "STAGING", "PENDING", "B")
    t.tr("rescue", "IDLE", "DOWNLOADING", "B")
    t.ev("rescue", "VERIFY_SIG", result="ok", key_id="0x1", error_code="ok")
    t.ev(
        "rescue",
        "PARSE_MANIFEST",
        result="fail" if gated else "ok",
        build=1,
        slot="B",
        compat="0x1",
        error_code="below_floor" if gated else "ok",
    )
    t.tr("rescue", "IDLE", "DOWNLOADING", "B")
    t.ev(
        "rescue",
        "VERIFY_SIG",
        result="fail" if gated else "ok",
        key_id="0xdead",
        error_code="key_revoked" if gated else "ok",
    )
    return t


def test_item5() -> None:
    assert judge(5, _rescue(True).events, P).passed
    assert not judge(5, _rescue(False).events, P).passed
    # only the revocation gate missing (a revoked key counts as allowed in rescue)
    t = _rescue(True)
    t.events[-1] = _rescue(False).events[-1]
    j = judge(5, t.events, P)
    assert not j.passed and "FAIL: no key_revoked refusal in rescue" in j.reasons


def test_items_6_7_8_refusals() -> None:
    t = T().boot("A", 1).upload("B", 2, ok=False)
    t.events[-2:] = []
    t.ev("app", "VERIFY_SIG", result="fail", key_id="0x1", error_code="bad_signature")
    t.tr("app", "VERIFY_SIG", "REJECTED", "B")
    assert judge(6, t.events, P).passed
    assert not judge(6, normal().events, P).passed
    m = T().boot("A", 1).ev("app", "PARSE_MANIFEST", result="fail", error_code="chunk_map")
    assert judge(7, m.events, P).passed
    m.upload("B", 2)  # a later good upload does not spoil the refusal
    assert judge(7, m.events, P).passed
    weird = T().boot("A", 1).ev("app", "PARSE_MANIFEST", result="fail", error_code="oops")
    assert not judge(7, weird.events, P).passed
    r = T().boot("A", 3).ev("app", "VERIFY_SIG", result="ok", key_id="0x1", error_code="ok")
    r.ev("app", "PARSE_MANIFEST", result="fail", build=2, slot="B", error_code="replay")
    assert judge(8, r.events, P).passed
    r.tr("app", "STAGING", "PENDING", "B")
    assert not judge(8, r.events, P).passed
    # an equal build accepted: the install that went through is named, not only the missing
    # refusal
    same = T().boot("A", 3).upload("B", 3)
    j = judge(8, same.events, P)
    assert not j.passed and any("install went through" in x for x in j.reasons), j
    newer = T().boot("A", 3).upload("B", 4)
    assert not any("install went through" in x for x in judge(8, newer.events, P).reasons)


def test_item9() -> None:
    t = T().ev("boot", "REBOOT_REASON", cause="power-on")
    t.ev("boot", "VERIFY_SIG", result="ok", key_id="0x1", error_code="ok")
    t.ev("boot", "PARSE_MANIFEST", result="fail", build=1, slot="A", error_code="below_floor")
    t.ev("boot", "RESCUE", cause="no_bootable")
    assert judge(9, t.events, P).passed
    t.ev("app", "BOOT", slot="A", build=1, state="running")
    assert not judge(9, t.events, P).passed


def test_item10() -> None:
    t = T().boot("A", 1)
    t.ev("app", "VERIFY_SIG", result="fail", key_id="0xdead", error_code="key_revoked")
    t.ev("boot", "REBOOT_REASON", cause="pin").ev("boot", "RESCUE", cause="strap")
    assert not judge(10, t.events, P).passed  # not yet tried in rescue
    t.ev("rescue", "VERIFY_SIG", result="fail", key_id="0xdead", error_code="key_revoked")
    assert judge(10, t.events, P).passed


def test_item14() -> None:
    t = T().boot("A", 1).upload("B", 2)
    for k in (1, 2, 3):
        t.ev("boot", "REBOOT_REASON", cause="software" if k == 1 else "watchdog")
        t.tr("boot", "PENDING" if k == 1 else "BOOT_TEST", "BOOT_TEST", "B", k)
        t.ev("app", "BOOT", slot="B", build=2, state="trial")
        t.tr("app", "PENDING", "BOOT_TEST", "B", k)
    t.ev("boot", "REBOOT_REASON", cause="watchdog")
    t.ev("boot", "ROLLBACK", reason="attempts", floor=0, candidate_build=2)
    t.tr("boot", "BOOT_TEST", "ROLLBACK", "B", 3)
    t.ev("app", "BOOT", slot="A", build=1, state="running")
    assert judge(14, t.events, P).passed
    endless = T().boot("A", 1).upload("B", 2)
    for _ in range(5):
        endless.ev("boot", "REBOOT_REASON", cause="watchdog")
        endless.tr("boot", "PENDING", "BOOT_TEST", "B", 1)
    v = judge(14, endless.events, P)
    assert not v.passed and any("exceed" in r for r in v.reasons)


def test_summary_from_evidence() -> None:
    s = summarize(normal().events)
    assert (s.running_slot, s.running_build, s.confirmed_slot) == ("B", 2, "B")
    assert s.slots["B"] == "CONFIRMED" and not s.in_rescue
    assert Outcome.CONFIRMED.value == "CONFIRMED"
