"""Matrix item 15 (every failure classifiable from device evidence alone): the classifier and
the predicate on synthetic timelines (including the negative: an unclassifiable failure fails
the item), and the ``classify`` scenario on both chips."""

from __future__ import annotations

import pytest

from hil.device import Device
from hil.engine.registry import create_engine
from hil.matrix import judge
from hil.matrix.classify import EXPECTED_PARTS, FailureClass, classify, find_failures
from hil.matrix.predicates import Params
from hil.platform.model import Platform
from hil.provision import FactoryImage
from hil.pytest_plugin.fixtures import FirmwareFactory
from hil.scenarios import Bench, run_scenario
from tests.matrix.test_predicates import T

C = FailureClass


def _factory() -> T:
    """A factory device's first boot (blank metadata: not a failure), build 1 running."""
    t = T().ev("boot", "REBOOT_REASON", cause="power-on", brownout_flag=0)
    t.ev("boot", "META", result="both-invalid", generation=0, copy="none")
    return t.ev("app", "BOOT", slot="A", build=1, state="running")


def forged() -> T:
    t = _factory().tr("app", "IDLE", "DOWNLOADING", "B")
    t.ev("app", "CHUNK", index=0, result="ok").tr("app", "DOWNLOADING", "VERIFYING", "B")
    t.ev("app", "VERIFY_SIG", result="fail", key_id="0x1", error_code="bad_signature")
    return t.tr("app", "VERIFYING", "REJECTED", "B")


def _classes(t: T) -> list[set[FailureClass]]:
    return [classify(t.events, f) for f in find_failures(t.events)]


def test_forged_signature_is_crypto() -> None:
    t = forged()
    (f,) = find_failures(t.events)
    assert [t.events[i].name for i in f.indices] == ["VERIFY_SIG", "SLOT_TRANSITION"]
    assert classify(t.events, f) == {C.CRYPTO}
    assert judge(15, t.events, Params(parts={"forged-signature": t.events})).passed


def test_an_unclassifiable_failure_fails_the_item() -> None:
    # refused without saying why: no VERIFY_SIG / PARSE_MANIFEST failure beside the REJECTED
    t = _factory().tr("app", "IDLE", "DOWNLOADING", "B").tr("app", "DOWNLOADING", "VERIFYING", "B")
    t.tr("app", "VERIFYING", "REJECTED", "B")
    assert _classes(t) == [set()]
    v = judge(15, t.events, Params(parts={"forged-signature": t.events}))
    assert not v.passed
    assert any("unclassified" in r and "to=REJECTED" in r for r in v.reasons), str(v)
    # a rollback whose reason names no policy, an interrupting reset of unknown cause
    r = _factory().ev("boot", "ROLLBACK", reason="mystery", floor=0, candidate_build=2)
    assert _classes(r) == [set()]
    u = _factory().tr("app", "IDLE", "DOWNLOADING", "B").ev("boot", "REBOOT_REASON", cause="zap")
    assert _classes(u) == [set()]


def test_part_checks() -> None:
    clean = _factory()
    v = judge(15, clean.events, Params(parts={"replay": clean.events}))
    assert not v.passed and any("no failure" in r for r in v.reasons)
    # forged evidence handed in as the self-test part: the classes miss "state"
    v = judge(15, forged().events, Params(parts={"self-test-fail": forged().events}))
    assert not v.passed and any("miss the expected state" in r for r in v.reasons), str(v)
    # without the parts the expected classes cannot be checked
    assert not judge(15, forged().events, Params()).passed


def test_metadata_and_power() -> None:
    # blank metadata on the factory boot is not a failure; lost metadata later is storage
    t = _factory().ev("boot", "REBOOT_REASON", cause="pin", brownout_flag=0)
    assert find_failures(t.events) == []
    t.ev("boot", "META", result="ok", generation=3, copy="A")
    t.ev("boot", "REBOOT_REASON", cause="pin", brownout_flag=0)
    t.ev("boot", "META", result="both-invalid", generation=0, copy="none")
    assert _classes(t) == [{C.STORAGE}]
    # a power-on in the middle of STAGING is a cut (power); after CONFIRMED it is a normal boot
    s = _factory().tr("app", "IDLE", "DOWNLOADING", "B").tr("app", "VERIFYING", "STAGING", "B")
    s.ev("boot", "REBOOT_REASON", cause="power-on", brownout_flag=0)
    s.ev("boot", "META", result="recovered", generation=5, copy="A")
    assert _classes(s) == [{C.POWER, C.STORAGE}]  # one episode: the cut and what it tore
    ok = _factory().tr("app", "BOOT_TEST", "CONFIRMED", "B")
    ok.ev("boot", "REBOOT_REASON", cause="power-on", brownout_flag=0)
    assert find_failures(ok.events) == []
    # brownout: the gated write, the reset and its flag are one power episode
    b = _factory().ev("app", "WRITE_GATED", operation="erase", address="0x8014000")
    b.ev("boot", "REBOOT_REASON", cause="brownout", brownout_flag=1)
    assert _classes(b) == [{C.POWER}]


def test_state_episodes() -> None:
    t = _factory().tr("app", "IDLE", "DOWNLOADING", "B").tr("app", "STAGING", "PENDING", "B")
    t.trial("B", 2).ev("app", "SELF_TEST", result="fail")
    t.ev("app", "ROLLBACK", reason="self-test", floor=0, candidate_build=2)
    t.tr("app", "BOOT_TEST", "ROLLBACK", "B", 1)
    t.ev("boot", "REBOOT_REASON", cause="software", brownout_flag=0)  # not a boundary
    t.ev("boot", "ROLLBACK", reason="inconsistent", floor=0, candidate_build=2)
    (f,) = find_failures(t.events)
    assert classify(t.events, f) == {C.STATE, C.STORAGE}
    w = _factory().ev("boot", "REBOOT_REASON", cause="watchdog", brownout_flag=0)
    r = _factory().ev("boot", "REBOOT_REASON", cause="pin").ev("boot", "RESCUE", cause="strap")
    assert _classes(w) == [{C.STATE}] and _classes(r) == [{C.STATE}]
    # two refusals in one boot are two episodes (each upload starts one)
    two = forged().tr("app", "IDLE", "DOWNLOADING", "B")
    two.ev("app", "PARSE_MANIFEST", result="fail", error_code="replay")
    assert _classes(two) == [{C.CRYPTO}, {C.CRYPTO}]


# -- on the emulated chips -----------------------------------------------------------------------
@pytest.fixture
def bench(platform: Platform, firmware_factory: FirmwareFactory) -> Bench:
    fw = firmware_factory(platform)

    def make(fi: FactoryImage) -> Device:
        return Device(create_engine("unicorn", platform, 1), fi)

    return Bench(platform, fw, make)


@pytest.mark.heavy
def test_classify_scenario(bench: Bench, platform: Platform) -> None:
    run = run_scenario("classify", bench)
    assert run.error is None, run.error
    assert list(run.parts) == list(EXPECTED_PARTS)
    assert sum(len(e) for e in run.parts.values()) == len(run.events)
    assert sum(n.count("fault fired:") for n in run.notes) == 2  # the cut and the brownout
    verdict = judge(15, run.events, Params(platform.layout.boot_attempts, parts=run.parts))
    assert verdict.passed, str(verdict)
    for name, events in run.parts.items():
        found = set().union(*(classify(events, f) for f in find_failures(events)))
        assert EXPECTED_PARTS[name] in found, (name, found)
