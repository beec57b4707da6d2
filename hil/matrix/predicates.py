"""One predicate per matrix item over the device's evidence only (its event list).

A predicate never looks at what the harness sent: it reads the events the device emitted and
returns a ``Judgement`` whose reasons name the events that proved or disproved the item. The
only outside inputs are the platform's attempt bound N (``Params.attempts``) and, for item 15,
the per-device evidence of the classify scenario's parts (``Params.parts``: one fresh device
per part, so each part's events are judged on their own; the class each part must show is
the harness's table ``hil.matrix.classify.EXPECTED_PARTS``, used only to check the classifier).
"""

from __future__ import annotations

from hil.errors import UnknownNameError
from hil.evidence import Event
from hil.evidence.vocab import Ev, Field, Src, State, app_boot, is_event, norm
from hil.matrix.judgement import (
    DELIBERATE_RESCUE,
    STRUCTURED_CODES,
    UPDATER_SRC,
    Evs,
    Judgement,
    Params,
    Predicate,
    _boot_of,
    _boot_tests,
    _find,
    _install_steps,
    _nothing_pending_after,
    _refusals,
    _running_at,
    _tr,
)
from hil.matrix.predicates_fault import item2, item15
from hil.matrix.predicates_rest import SCENARIO_PREDICATES


# -- items ------------------------------------------------------------------------------
def item1(evs: Evs, p: Params) -> Judgement:
    j = Judgement()
    d = _find(evs, 0, _tr(State.DOWNLOADING))
    if not j.check(d >= 0, "download started", "no SLOT_TRANSITION to=DOWNLOADING"):
        return j
    slot = evs[d].get(Field.SLOT)
    old = _running_at(evs, d)
    if old is not None:
        j.check(
            old.get(Field.SLOT) != slot,
            f"download into the inactive slot {slot}",
            f"download into the running slot {slot}",
            evs[d],
        )
    else:
        j.fail("no application BOOT before the download (which slot was running?)")
    at = d
    at = _install_steps(j, evs, at, slot)
    if at < 0:
        return j
    pend = _find(evs, d, _tr(State.PENDING, slot))
    rb = _find(evs, pend, lambda e: e.name == Ev.ROLLBACK)
    j.check(
        rb < 0, "no ROLLBACK after PENDING", "ROLLBACK after PENDING", evs[rb] if rb >= 0 else None
    )
    nb = _find(evs, pend, lambda e: app_boot(e) and e.get(Field.SLOT) == slot)
    if (
        j.check(
            nb >= 0,
            f"the new image ran from slot {slot}",
            f"no BOOT from slot {slot}",
            evs[nb] if nb >= 0 else None,
        )
        and old is not None
    ):
        j.check(
            evs[nb].int(Field.BUILD) > old.int(Field.BUILD),
            "with a newer build",
            "with a build not newer than the old one",
            evs[nb],
        )
    # confirmed for good: the next boot (if any) runs the same slot without a boot test
    rr = _find(evs, at + 1, lambda e: e.name == Ev.REBOOT_REASON)
    if rr >= 0:
        nxt = _find(evs, rr, app_boot)
        bt = _find(evs, rr, _tr(State.BOOT_TEST))
        j.check(
            nxt >= 0 and evs[nxt].get(Field.SLOT) == slot and (bt < 0 or bt > nxt),
            f"after the next reset slot {slot} boots as confirmed",
            "after the next reset the confirmed image did not boot as confirmed",
            evs[nxt] if nxt >= 0 else evs[rr],
        )
    return j


def item3(evs: Evs, p: Params) -> Judgement:
    j = Judgement()
    confirms = [
        i for i, e in enumerate(evs) if _tr(State.CONFIRMED)(e) and e.get(Field.FROM) != State.IDLE
    ]
    j.check(
        len(confirms) >= 2,
        f"{len(confirms)} releases confirmed",
        f"expected >= 2 confirmed releases, found {len(confirms)}",
    )
    slots = [evs[i].get(Field.SLOT) for i in confirms]
    for a, b, i in zip(slots, slots[1:], confirms[1:], strict=False):
        j.check(
            a != b,
            f"release confirmed in slot {b} after slot {a}",
            f"two consecutive releases confirmed in the same slot {b}",
            evs[i],
        )
    for i, e in enumerate(evs):
        if _tr(State.DOWNLOADING)(e):
            run = _running_at(evs, i)
            j.check(
                run is not None and run.get(Field.SLOT) != e.get(Field.SLOT),
                f"download into slot {e.get('slot')} while {run.get('slot') if run else '?'} runs",
                "download into the running slot (or nothing running)",
                e,
            )
        if e.name in (Ev.RESCUE, Ev.ROLLBACK):
            j.fail("the device lost its confirmed image", e)
        if e.name == Ev.REBOOT_REASON:
            nxt_boot = _find(evs, i + 1, app_boot)
            nxt_rr = _find(evs, i + 1, lambda x: x.name == Ev.REBOOT_REASON)
            if nxt_boot < 0 or (0 <= nxt_rr < nxt_boot):
                j.fail("a boot without an application BOOT", e)
    return j


def item4(evs: Evs, p: Params) -> Judgement:
    j = Judgement()
    pend = _find(evs, 0, _tr(State.PENDING))
    if not j.check(pend >= 0, "an image was marked PENDING", "no PENDING image"):
        return j
    slot = evs[pend].get(Field.SLOT)
    old = _running_at(evs, pend)
    tests = _boot_tests(evs, pend, slot)
    j.check(bool(tests), f"{len(tests)} boot test(s) of slot {slot}", "no BOOT_TEST")
    for i in tests:
        a = evs[i].get("attempt", "0") or "0"
        j.check(
            a.isdigit() and 1 <= int(a) <= p.attempts,
            f"attempt {a} within N={p.attempts}",
            f"attempt {a} outside 1..{p.attempts}",
            evs[i],
        )
    rb = _find(evs, pend, lambda e: e.name == Ev.ROLLBACK)
    if not j.check(rb >= 0, "ROLLBACK recorded", "no ROLLBACK", evs[rb] if rb >= 0 else None):
        return j
    j.check(
        norm(evs[rb].get(Field.REASON)) == "self_test",
        "reason self-test",
        f"reason {evs[rb].get('reason')}",
        evs[rb],
    )
    back = _find(evs, rb, app_boot)
    if j.check(
        back >= 0,
        "an application booted after the rollback",
        "no application BOOT after the rollback",
    ):
        b = evs[back]
        same = (
            old is not None
            and b.get(Field.SLOT) == old.get(Field.SLOT)
            and b.get(Field.BUILD) == old.get(Field.BUILD)
        )
        j.check(same, "the last confirmed image boots again", "not the last confirmed image", b)
    again = _find(evs, rb + 1, lambda e: app_boot(e) and e.get(Field.SLOT) == slot)
    j.check(
        again < 0,
        f"slot {slot} never boots after the rollback",
        f"slot {slot} booted after the rollback",
        evs[again] if again >= 0 else None,
    )
    return j


def item5(evs: Evs, p: Params) -> Judgement:
    j = Judgement()
    r = _find(evs, 0, lambda e: e.name == Ev.RESCUE)
    if not j.check(r >= 0, "rescue entered", "no RESCUE event", evs[r] if r >= 0 else None):
        return j
    cause = norm(evs[r].get(Field.CAUSE))
    j.check(
        cause in DELIBERATE_RESCUE,
        f"cause {cause} recorded",
        f"cause {cause or '(none)'} is not a deliberate request",
        evs[r],
    )
    end = _find(evs, r + 1, lambda e: e.name == Ev.REBOOT_REASON)
    inside = list(evs[r : end if end >= 0 else len(evs)])
    sig = _refusals(inside, Ev.VERIFY_SIG, src=(Src.RESCUE, Src.BOOT, Src.APP))
    floor = _refusals(
        inside, Ev.PARSE_MANIFEST, src=(Src.RESCUE, Src.BOOT, Src.APP), error_code="below_floor"
    )
    j.check(
        bool(sig),
        "signature gate enforced in rescue",
        "no VERIFY_SIG refusal in rescue",
        inside[sig[0]] if sig else None,
    )
    j.check(
        bool(floor),
        "floor gate enforced in rescue",
        "no below-floor refusal in rescue",
        inside[floor[0]] if floor else None,
    )
    revoked = [i for i in sig if norm(inside[i].get(Field.ERROR_CODE)) == "key_revoked"]
    j.check(
        bool(revoked),
        "revocation gate enforced in rescue",
        "no key_revoked refusal in rescue",
        inside[revoked[0]] if revoked else None,
    )
    for i in sig + floor:
        _nothing_pending_after(j, inside, i)
    return j


def item6(evs: Evs, p: Params) -> Judgement:
    j = Judgement()
    refs = _refusals(evs, Ev.VERIFY_SIG)
    # what disproves the item: the updater passed the forged package's signature check
    passed = [e for e in evs if is_event(e, Ev.VERIFY_SIG, result="ok") and e.src in UPDATER_SRC]
    j.check(
        bool(refs),
        "the updater's VERIFY_SIG failed",
        "no VERIFY_SIG result=fail from the updater"
        + (": the updater accepted the signature" if passed else ""),
        evs[refs[0]] if refs else (passed[0] if passed else None),
    )
    for i in refs:
        _nothing_pending_after(j, evs, i)
    return j


def item7(evs: Evs, p: Params) -> Judgement:
    j = Judgement()
    refs = _refusals(evs, Ev.PARSE_MANIFEST)
    if not j.check(bool(refs), "PARSE_MANIFEST failed", "no PARSE_MANIFEST result=fail"):
        return j
    for i in refs:
        code = norm(evs[i].get(Field.ERROR_CODE))
        j.check(
            code in STRUCTURED_CODES,
            f"structured error_code {code}",
            f"error_code {code or '(none)'} is not a structured result",
            evs[i],
        )
        _nothing_pending_after(j, evs, i)
    return j


def _not_newer_installs(evs: Evs) -> list[tuple[Event, Event, Event]]:
    """(running BOOT, accepted PARSE_MANIFEST, PENDING) for every image the updater marked
    PENDING whose build is not newer than the running build: an install that went through."""
    out = []
    for i, e in enumerate(evs):
        if not (_tr(State.PENDING)(e) and e.src in UPDATER_SRC):
            continue
        run = _running_at(evs, i)
        acc = next(
            (
                evs[k]
                for k in range(i - 1, -1, -1)
                if is_event(evs[k], Ev.PARSE_MANIFEST, result="ok") and evs[k].src == e.src
            ),
            None,
        )
        if run is None or acc is None:
            continue
        try:
            older = int(str(acc.get(Field.BUILD))) <= int(str(run.get(Field.BUILD)))
        except ValueError:
            continue
        if older:
            out.append((run, acc, e))
    return out


def item8(evs: Evs, p: Params) -> Judgement:
    j = Judgement()
    # what disproves the item, whatever the device reported about it: a build not newer than
    # the running one was accepted and marked PENDING (the install went through)
    went = _not_newer_installs(evs)
    j.check(
        not went,
        "no build at or below the running build was installed",
        "install went through: "
        + "; ".join(
            f"build {a.get('build')} marked PENDING over running build {r.get('build')}"
            for r, a, _ in went
        ),
        went[0][2] if went else None,
    )
    refs = _refusals(evs, Ev.PARSE_MANIFEST, error_code="replay")
    if not j.check(
        bool(refs),
        "freshness refused a replayed build",
        "no PARSE_MANIFEST result=fail error_code=replay",
        evs[refs[0]] if refs else None,
    ):
        return j
    for i in refs:
        j.check(
            evs[i].get(Field.BUILD) is not None,
            f"candidate build {evs[i].get('build')} recorded",
            "no build recorded",
            evs[i],
        )
        _nothing_pending_after(j, evs, i)
    return j


def item9(evs: Evs, p: Params) -> Judgement:
    j = Judgement()
    refs = _refusals(
        evs, Ev.PARSE_MANIFEST, src=(Src.APP, Src.RESCUE, Src.BOOT), error_code="below_floor"
    )
    if not j.check(
        bool(refs),
        "a below-floor candidate was refused",
        "no PARSE_MANIFEST result=fail error_code=below_floor",
    ):
        return j
    for i in refs:
        ev = evs[i]
        prev = [
            e for e in evs[:i] if e.name in (Ev.VERIFY_SIG, Ev.PARSE_MANIFEST) and e.src == ev.src
        ]
        j.check(
            bool(prev) and is_event(prev[-1], Ev.VERIFY_SIG, result="ok"),
            "its signature verified",
            "its signature was not verified first",
            prev[-1] if prev else ev,
        )
        build = ev.get(Field.BUILD)
        j.check(build is not None, f"candidate build {build} recorded", "no build recorded", ev)
        booted = _find(evs, i, _boot_of(build))
        j.check(
            booted < 0,
            f"build {build} never booted",
            f"build {build} booted",
            evs[booted] if booted >= 0 else None,
        )
        if ev.src != Src.BOOT:
            _nothing_pending_after(j, evs, i)
    return j


def item10(evs: Evs, p: Params) -> Judgement:
    j = Judgement()
    refs = [
        i
        for i in range(len(evs))
        if is_event(evs[i], Ev.VERIFY_SIG, result="fail", error_code="key_revoked")
    ]
    rescue_at = [i for i, e in enumerate(evs) if e.name == Ev.RESCUE]

    def in_rescue(i: int) -> bool:
        if evs[i].src == Src.RESCUE:
            return True
        last_r = max((r for r in rescue_at if r < i), default=-1)
        last_boot = max((k for k in range(i) if evs[k].name == Ev.REBOOT_REASON), default=-1)
        return last_r > last_boot and evs[i].src != Src.APP

    normal = [i for i in refs if evs[i].src == Src.APP]
    rescue = [i for i in refs if in_rescue(i)]
    j.check(
        bool(normal),
        "revoked key refused by the application's updater",
        "no key_revoked refusal on the normal path",
        evs[normal[0]] if normal else None,
    )
    j.check(
        bool(rescue),
        "revoked key refused in rescue",
        "no key_revoked refusal in rescue",
        evs[rescue[0]] if rescue else None,
    )
    for i in normal + rescue:
        j.check(
            evs[i].get("key_id") is not None,
            f"key ID {evs[i].get('key_id')} flagged",
            "no key_id",
            evs[i],
        )
        _nothing_pending_after(j, evs, i)
    return j


def item14(evs: Evs, p: Params) -> Judgement:
    j = Judgement()
    pend = _find(evs, 0, _tr(State.PENDING))
    if not j.check(pend >= 0, "an image was marked PENDING", "no PENDING image"):
        return j
    slot = evs[pend].get(Field.SLOT)
    tests = _boot_tests(evs, pend, slot)
    attempts = [evs[i].get("attempt", "") or "" for i in tests]
    j.check(
        len(tests) <= p.attempts,
        f"{len(tests)} boot tests, bound N={p.attempts}",
        f"{len(tests)} boot tests exceed N={p.attempts}",
        evs[tests[-1]] if tests else None,
    )
    nums = [int(a) for a in attempts if a.isdigit()]
    j.check(
        nums == list(range(1, len(tests) + 1)) and len(nums) == p.attempts,
        f"attempts {nums} count up to N",
        f"attempts {attempts} do not count 1..{p.attempts}",
    )
    last = tests[-1] if tests else pend
    end = _find(evs, last, lambda e: e.name in (Ev.ROLLBACK, Ev.RESCUE))
    if not j.check(
        end >= 0,
        "pending ended",
        "the image stayed pending (no ROLLBACK/RESCUE)",
        evs[end] if end >= 0 else None,
    ):
        return j
    if evs[end].name == Ev.ROLLBACK:
        j.check(
            norm(evs[end].get(Field.REASON)) == "attempts",
            "reason attempts",
            f"reason {evs[end].get('reason')}",
            evs[end],
        )
        back = _find(evs, end, app_boot)
        j.check(
            back >= 0 and evs[back].get(Field.SLOT) != slot,
            "the last confirmed slot boots",
            "the last confirmed slot did not boot",
            evs[back] if back >= 0 else None,
        )
    beyond = _find(evs, end, _tr(State.BOOT_TEST, slot))
    j.check(
        beyond < 0,
        "no boot test after the bound",
        "boot test after the rollback",
        evs[beyond] if beyond >= 0 else None,
    )
    return j


PREDICATES: dict[int, Predicate] = {
    1: item1,
    2: item2,
    3: item3,
    4: item4,
    5: item5,
    6: item6,
    7: item7,
    8: item8,
    9: item9,
    10: item10,
    14: item14,
    15: item15,
}


def judge(
    number: int, events: Evs, params: Params | None = None, scenario: str | None = None
) -> Judgement:
    """Apply item ``number``'s predicate to ``events`` (the scenario's own predicate instead,
    for a scenario of ``SCENARIO_PREDICATES``: faults at rest, anchor changes, ...)."""
    if scenario is not None and scenario in SCENARIO_PREDICATES:
        return SCENARIO_PREDICATES[scenario](list(events), params or Params())
    if number not in PREDICATES:
        raise UnknownNameError("matrix predicate", str(number), [str(n) for n in PREDICATES])
    return PREDICATES[number](list(events), params or Params())


__all__ = ["PREDICATES", "Evs", "Judgement", "Params", "Predicate", "judge"]
