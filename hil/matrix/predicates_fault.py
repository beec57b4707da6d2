"""The predicates of the fault items over device evidence: item 2 (a download cut by a
reboot resumes from the last verified chunk) and item 15 (every failure classifiable into
state / crypto-package / storage-atomicity / power; see ``hil.matrix.classify``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from hil.evidence import Event
from hil.evidence.vocab import Ev, Field, State, app_boot, is_event, norm
from hil.matrix.classify import EXPECTED_PARTS, FailureClass, find_failures, names, triage
from hil.matrix.judgement import (
    UPDATER_SRC,
    Evs,
    Judgement,
    Params,
    _find,
    _install_steps,
    _running_at,
    _tr,
)


def _int(ev: Event, key: str) -> int | None:
    v = ev.get(key)
    try:
        return int(v, 0) if v is not None else None
    except ValueError:
        return None


def _named(name: str) -> Callable[[Event], bool]:
    return lambda e: e.name == name and e.src in UPDATER_SRC


def item2(evs: Evs, p: Params) -> Judgement:
    """Resume after a forced reboot. Decision on the resume point ``RESUME chunk=r``, with k
    the last chunk verified (``CHUNK result=ok``) before it: r > k + 1 fails (chunks k+1..r-1
    were never verified: the resume point was saved before its chunk was checked); r == k + 1
    resumes exactly after the last verified chunk; r <= k is accepted because every chunk from
    r on must then be verified again after the resume (a chunk whose progress commit was cut
    is re-sent and re-checked). A later RESUME of the same session (no reboot before it: the
    device found bytes an earlier session programmed wrong and erased their page) is judged
    the same way against the chunks verified so far. After each resume the CHUNK indices must
    run r, r+1, ... up to the last chunk, each exactly once and ok; no CHUNK result=bad
    anywhere. The reboot
    between the upload and its resume may have any cause (reported: power-on after a cut,
    brownout, watchdog, pin). Then VERIFY_SIG and PARSE_MANIFEST ok, PENDING, BOOT_TEST and
    CONFIRMED for the slot, and the new (higher) build booting from it."""
    j = Judgement()
    r0 = _find(evs, 0, lambda e: e.name == Ev.RESUME and e.src in UPDATER_SRC)
    if not j.check(
        r0 >= 0,
        "the device recognised a resumed upload",
        "no RESUME event: the device did not resume the interrupted upload",
        evs[r0] if r0 >= 0 else None,
    ):
        return j
    rr = max((i for i in range(r0) if evs[i].name == Ev.REBOOT_REASON), default=-1)
    d = max((i for i in range(max(rr, 0)) if _tr(State.DOWNLOADING)(evs[i])), default=-1)
    if not j.check(
        rr >= 0 and d >= 0,
        f"REBOOT_REASON cause={evs[rr].get('cause') if rr >= 0 else '?'} between the upload "
        "and its resume",
        "no upload (DOWNLOADING) and reboot before the RESUME",
        evs[rr] if rr >= 0 else evs[r0],
    ):
        return j
    slot = evs[d].get(Field.SLOT)
    old = _running_at(evs, d)
    # the download, over every reboot and resume, up to VERIFYING of the slot
    v = _find(evs, d + 1, lambda e: _tr(State.VERIFYING, slot)(e) or _tr(State.DOWNLOADING)(e))
    if not j.check(
        v >= 0 and _tr(State.VERIFYING, slot)(evs[v]),
        f"the resumed download into slot {slot} completed",
        "the download never completed (no VERIFYING)"
        if v < 0
        else "the upload started over as a new download instead of resuming",
        evs[v] if v >= 0 else None,
    ):
        return j
    expected = 0  # the chunk index the device must verify next
    verified = -1  # the last chunk verified so far (k)
    resumes: list[str] = []
    consistent = True
    rebooted = False
    for i in range(d + 1, v):
        e = evs[i]
        if e.name == Ev.REBOOT_REASON:
            rebooted = True
        elif e.name == Ev.RESUME and e.src in UPDATER_SRC:
            r = _int(e, "chunk")
            if e.get(Field.SLOT) not in (None, slot):
                j.fail(f"resume into slot {e.get('slot')}, the upload went to {slot}", e)
                consistent = False
            if r is None:
                j.fail("RESUME without a chunk index", e)
                return j
            if not rebooted and not resumes:
                j.fail("RESUME without a reboot before it", e)
                consistent = False
            elif not rebooted:
                # the same session prepared the slot again (bytes found programmed with other
                # values were erased from their page): a new resume point, judged as any
                j.ok(f"the slot prepared again within the resumed session (chunk {r})", e)
            if r > verified + 1:
                gap = f" {verified + 1}" if r == verified + 2 else f"s {verified + 1}..{r - 1}"
                j.fail(
                    f"resumes at chunk {r} but the last verified chunk is {verified}: chunk{gap} "
                    "never verified (the resume point was saved before the chunk was checked)",
                    e,
                )
                consistent = False
            elif r == verified + 1:
                j.ok(
                    f"resumes at chunk {r} (offset {e.get('offset')}), right after the last "
                    f"verified chunk {verified}",
                    e,
                )
            else:
                again = f"chunk {r} is" if r == verified else f"chunks {r}..{verified} are"
                j.ok(
                    f"resumes at chunk {r} (offset {e.get('offset')}), not after the last "
                    f"verified chunk {verified}: {again} verified again",
                    e,
                )
            resumes.append(f"{verified}->{r}")
            expected, rebooted = r, False
        elif e.name == Ev.CHUNK and e.src in UPDATER_SRC:
            idx = _int(e, "index")
            if norm(e.get(Field.RESULT)) != "ok":
                j.fail(f"chunk {e.get('index')} failed its check", e)
                consistent = False
            elif idx != expected:
                j.fail(f"CHUNK index={e.get('index')} where chunk {expected} was next", e)
                consistent = False
            else:
                verified = max(verified, idx)
                expected += 1
    j.check(
        bool(resumes) and consistent,
        f"chunk checks consistent over {len(resumes)} resume(s) ({', '.join(resumes)}); "
        f"chunks 0..{expected - 1} verified, each once after its resume point",
        "chunk checks inconsistent over the interruption",
    )
    at = v
    for name in (Ev.VERIFY_SIG, Ev.PARSE_MANIFEST):
        k = _find(evs, at + 1, _named(name))
        if not j.check(
            k >= 0 and is_event(evs[k], name, result="ok"),
            f"{name} ok",
            f"{name} did not pass after the resumed download",
            evs[k] if k >= 0 else None,
        ):
            return j
        at = k
    build = evs[at].get(Field.BUILD)
    at = _install_steps(j, evs, at, slot)
    if at < 0:
        return j
    nb = _find(evs, v, lambda e: app_boot(e) and e.get(Field.SLOT) == slot)
    ok_build = nb >= 0 and evs[nb].get(Field.BUILD) == build
    if ok_build and old is not None:
        ok_build = evs[nb].int(Field.BUILD) > old.int(Field.BUILD)
    j.check(
        ok_build,
        f"the new build {build} runs from slot {slot}",
        f"the new build {build} does not run from slot {slot}",
        evs[nb] if nb >= 0 else None,
    )
    return j


def item15(evs: Evs, p: Params) -> Judgement:
    """Every failure in every part's evidence gets at least one class (§4); every part shows
    at least one failure, and its classes include the class the harness expects for it."""
    j = Judgement()
    if not p.parts:
        j.fail(
            "no per-part evidence (Params.parts): the parts' expected classes cannot be "
            "checked; the events are judged as one part"
        )
        parts: Mapping[str, Sequence[Event]] = {"(all events)": evs}
    else:
        parts = p.parts
    for name, events in parts.items():
        failures = find_failures(events)
        found: set[FailureClass] = set()
        if not failures:
            j.fail(f"part {name}: no failure in its evidence ({len(events)} events)")
        for f in failures:
            t = triage(events, f)
            found |= t.classes
            where = f" where={t.where.get('to')}" if t.where is not None else ""
            text = f"part {name}: failure {f.describe(events)}{where}"
            if t.classes:
                j.ok(f"{text} -> {names(t.classes)} ({'; '.join(t.lines)})")
            else:
                j.fail(
                    f"{text} -> unclassified: no evidence in it tells state, crypto/package, "
                    "storage or power"
                )
        want = EXPECTED_PARTS.get(name)
        if want is not None and failures:
            j.check(
                want in found,
                f"part {name}: classes {names(found)} include the expected {want.value}",
                f"part {name}: classes {names(found)} miss the expected {want.value}",
            )
    return j
