"""Matrix item 2 (forced reboot during the download, then resume): the predicate on synthetic
timelines, the ``resume-after-reboot`` scenario on both chips (two interruption kinds), and
issue 10's resume class: ``resume-over-bad-bytes`` and the planted bug only it catches."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.device import Device
from hil.engine.registry import create_engine
from hil.evidence import Event
from hil.matrix import judge
from hil.matrix.predicates import Params
from hil.platform.model import Platform
from hil.provision import FactoryImage
from hil.pytest_plugin.fixtures import FirmwareFactory
from hil.scenarios import Bench, run_scenario
from tests.matrix.test_predicates import T

P = Params(attempts=3)
N = 6  # chunks in the synthetic package


def _resumed(cut_after: int, resume_at: int, after: list[int] | None = None) -> T:
    """Build 1 runs from A; the download into B verifies chunks 0..cut_after, a power-on reset,
    ``RESUME chunk=resume_at``, then ``after`` (default resume_at..N-1) and the rest."""
    t = T().boot("A", 1)
    t.tr("app", "IDLE", "DOWNLOADING", "B")
    for i in range(cut_after + 1):
        t.ev("app", "CHUNK", index=i, result="ok")
    t.boot("A", 1)
    t.ev("app", "RESUME", chunk=resume_at, offset=0x400 + resume_at * 0x1000)
    for i in range(resume_at, N) if after is None else after:
        t.ev("app", "CHUNK", index=i, result="ok")
    t.tr("app", "DOWNLOADING", "VERIFYING", "B")
    t.ev("app", "VERIFY_SIG", result="ok", key_id="0x1", error_code="ok")
    t.ev("app", "PARSE_MANIFEST", result="ok", build=2, slot="B", compat="0x1", error_code="ok")
    t.tr("app", "VERIFYING", "STAGING", "B").tr("app", "STAGING", "PENDING", "B")
    t.trial("B", 2).tr("app", "BOOT_TEST", "CONFIRMED", "B")
    return t


def _fails(events: list[Event], words: str) -> None:
    v = judge(2, events, P)
    assert not v.passed, str(v)
    assert any(words in r for r in v.reasons if r.startswith("FAIL")), str(v)


def test_resume_right_after_the_last_verified_chunk_passes() -> None:
    v = judge(2, _resumed(2, 3).events, P)
    assert v.passed, str(v)
    assert any("right after the last verified chunk 2" in r for r in v.reasons)


def test_resume_at_a_verified_chunk_passes_when_it_is_verified_again() -> None:
    # the progress commit of chunk 2 was cut: the device re-sends and re-checks it
    v = judge(2, _resumed(2, 2).events, P)
    assert v.passed, str(v)
    assert any("chunk 2 is verified again" in r for r in v.reasons)


def test_resume_past_an_unverified_chunk_fails() -> None:
    # MUT_RESUME_BEFORE_VERIFY: the resume point was saved before chunk 3 was checked
    _fails(_resumed(2, 4).events, "chunk 3 never verified")


def test_chunk_indices_after_the_resume_must_run_once_each() -> None:
    _fails(_resumed(2, 3, [3, 4, 4, 5]).events, "CHUNK index=4 where chunk 5 was next")
    _fails(_resumed(2, 3, [3, 5]).events, "CHUNK index=5 where chunk 4 was next")


def test_a_bad_chunk_fails() -> None:
    t = _resumed(2, 3)
    k = next(i for i, e in enumerate(t.events) if e.name == "CHUNK" and e.get("index") == "4")
    e = t.events[k]
    t.events[k] = Event(e.seq, e.src, e.name, (("index", "4"), ("result", "bad")), e.raw)
    _fails(t.events, "chunk 4 failed its check")


def test_no_resume_or_a_fresh_restart_fails() -> None:
    t = _resumed(2, 3)
    r = next(i for i, e in enumerate(t.events) if e.name == "RESUME")
    without = t.events[:r] + t.events[r + 1 :]
    _fails(without, "no RESUME event")
    restart = list(t.events)
    restart[r] = Event(
        0, "app", "SLOT_TRANSITION", (("from", "IDLE"), ("to", "DOWNLOADING"), ("slot", "B")), ""
    )
    _fails(restart, "no RESUME event")


def test_the_new_build_must_be_confirmed() -> None:
    t = _resumed(2, 3)
    cut = next(i for i, e in enumerate(t.events) if e.get("to") == "CONFIRMED" and e.src == "app")
    _fails(t.events[:cut], "no CONFIRMED for slot B")


# -- on the emulated chips -----------------------------------------------------------------------
@pytest.fixture
def bench(platform: Platform, firmware_factory: FirmwareFactory) -> Bench:
    fw = firmware_factory(platform)

    def make(fi: FactoryImage) -> Device:
        return Device(create_engine("unicorn", platform, 1), fi)

    return Bench(platform, fw, make)


def _chunks(events: list[Event]) -> tuple[list[int], Event, list[int]]:
    """CHUNK indices before the reboot, the RESUME event, CHUNK indices after it."""
    r = next(i for i, e in enumerate(events) if e.name == "RESUME")
    d = next(i for i, e in enumerate(events) if e.get("to") == "DOWNLOADING")
    before = [e.int("index") for e in events[d:r] if e.name == "CHUNK"]
    end = next(i for i in range(r, len(events)) if events[i].get("to") == "VERIFYING")
    after = [e.int("index") for e in events[r:end] if e.name == "CHUNK"]
    return before, events[r], after


@pytest.mark.parametrize(
    ("cut", "chunk", "resume"),
    [("mid-chunk", 3, {3}), ("chunk-boundary", 4, {4, 5})],
    ids=["mid-chunk", "chunk-boundary"],
)
def test_resume_after_reboot(
    bench: Bench, platform: Platform, cut: str, chunk: int, resume: set[int]
) -> None:
    run = run_scenario("resume-after-reboot", bench, cut=cut, chunk=chunk)
    assert run.error is None, run.error
    assert any(n.startswith("fault fired:") for n in run.notes), run.notes
    verdict = judge(2, run.events, Params(attempts=platform.layout.boot_attempts))
    assert verdict.passed, str(verdict)
    before, ev, after = _chunks(run.events)
    assert before == list(range(len(before)))
    assert ev.int("chunk") in resume and ev.int("chunk") <= before[-1] + 1
    assert after == list(range(ev.int("chunk"), after[-1] + 1))
    cuts = [e for e in run.events if e.name == "REBOOT_REASON" and e.get("cause") == "power-on"]
    assert len(cuts) == 2  # the factory power-on and the one after the cut


# -- issue 10, class "resume": resume over bad bytes ---------------------------------------------
def test_a_second_resume_in_the_session_is_judged_like_the_first() -> None:
    """The device found bytes an earlier session programmed wrong and prepared the slot again
    (a RESUME with no reboot before it): stepping back passes, skipping a chunk fails."""
    back = _resumed(2, 3, [])
    r = next(i for i, e in enumerate(back.events) if e.name == "RESUME")
    again = Event(0, "app", "RESUME", (("chunk", "2"), ("offset", "0x2400")), "")
    chunks = [Event(0, "app", "CHUNK", (("index", str(i)), ("result", "ok")), "") for i in (2, 3)]
    chunks += [Event(0, "app", "CHUNK", (("index", str(i)), ("result", "ok")), "") for i in (4, 5)]
    events = back.events[: r + 1] + [again] + chunks + back.events[r + 1 :]
    v = judge(2, events, P)
    assert v.passed, str(v)
    assert any("prepared again within the resumed session (chunk 2)" in x for x in v.reasons)
    ahead = Event(0, "app", "RESUME", (("chunk", "5"), ("offset", "0x5400")), "")
    skip = back.events[: r + 1] + [ahead] + chunks[-1:] + back.events[r + 1 :]
    _fails(skip, "chunks 3..4 never verified")


@pytest.mark.heavy
def test_resume_over_bad_bytes(bench: Bench, platform: Platform) -> None:
    """A corrupt chunk cut during its check, then the good package resumed: the reference
    never resumes past the corrupt chunk, re-writes it (a page holding it erased, RESUME
    again) and confirms build 2. The scenario proves its setup (the cut fired, the chunk
    before reported ok and this one not, the changed byte in flash)."""
    run = run_scenario("resume-over-bad-bytes", bench, seed=0)
    assert run.error is None, run.error
    assert any(n.startswith("fault fired:") for n in run.notes), run.notes
    verdict = judge(2, run.events, Params(attempts=platform.layout.boot_attempts))
    assert verdict.passed, str(verdict)
    chunk = int(run.notes[0].split()[1])  # "chunk <k> corrupt (...)": harness side, not judged
    resumes = [e.int("chunk") for e in run.events if e.name == "RESUME"]
    assert resumes[0] == chunk and all(r <= chunk for r in resumes), resumes
    bad = [e for e in run.events if e.name == "CHUNK" and e.get("result") != "ok"]
    assert not bad, bad
    assert any(e.name == "BOOT" and e.get("build") == "2" for e in run.events)


@pytest.mark.heavy
def test_trusting_written_chunks_is_caught_only_by_bad_bytes(
    platform: Platform, firmware_factory: FirmwareFactory, tmp_path: Path
) -> None:
    """MUT_RESUME_TRUSTS_WRITTEN: both original item-2 cases (correct bytes in flash) pass on
    it; the resume-over-bad-bytes case fails it (the whole-slot check refuses the image)."""
    from hil.matrix.items import ITEMS
    from hil.matrix.mutants import PLANTED, mutant_cases
    from hil.matrix.runner import cases_for, run_case

    flag = {"MUT_RESUME_TRUSTS_WRITTEN": 1}
    fw = firmware_factory(platform, defines=flag)
    bug = next(p for p in PLANTED if p.flag == "MUT_RESUME_TRUSTS_WRITTEN")
    assert bug.item == 2 and bug.scenario_class == "resume"
    assert [c.key for c in mutant_cases(bug)] == ["resume-over-bad-bytes"]
    passed = {}
    for case in (c for c in cases_for(ITEMS) if c.item == 2):
        cr = run_case(case, platform, fw, tmp_path / case.dirname, defines=flag, outcome_ms=30_000)
        passed[case.key] = (cr.passed, cr.result.reasons)
    assert set(passed) == {
        "resume-after-reboot/mid-chunk",
        "resume-after-reboot/chunk-boundary",
        "resume-over-bad-bytes",
    }
    assert passed["resume-after-reboot/mid-chunk"][0], passed
    assert passed["resume-after-reboot/chunk-boundary"][0], passed
    caught, reasons = passed["resume-over-bad-bytes"]
    assert not caught, reasons
    # the corrupt chunk the resumed upload trusted is refused at the end of the upload: the
    # software hash reports it at VERIFY_SIG (hash_mismatch); with the hash accelerator the
    # chunk map's check reports it first (upload refused, chunk_hash: no VERIFYING)
    assert any(
        "VERIFY_SIG did not pass" in r or "the download never completed" in r for r in reasons
    ), reasons
    assert any("chunk_hash" in r or "hash_mismatch" in r for r in reasons), reasons
