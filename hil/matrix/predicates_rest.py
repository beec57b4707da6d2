"""Predicates of the issue-10 scenario classes that judge one boot after something was done to
a device between boots (a fault at rest, a trust-anchor change). Like every predicate they read
only the device's events; they are chosen by scenario (``SCENARIO_PREDICATES``) and decide the
owning item's case instead of its main-scenario predicate.
"""

from __future__ import annotations

from hil.evidence import Event
from hil.evidence.vocab import Ev, Field, app_boot
from hil.matrix.judgement import Evs, Judgement, Params, Predicate


def _last_power_on(evs: Evs) -> int:
    return max((i for i, e in enumerate(evs) if e.name == Ev.REBOOT_REASON), default=-1)


def survives_at_rest(evs: Evs, p: Params) -> Judgement:
    """The confirmed image survives a fault at rest in a structure the boot must tolerate: the
    boot after the last power-on finds usable metadata (META ok, or recovered from the other
    copy), boots the slot and build that ran before it, and neither rolls back nor enters
    rescue."""
    j = Judgement()
    r = _last_power_on(evs)
    before = [e for e in evs[: max(r, 0)] if app_boot(e)]
    if not j.check(
        r >= 0 and bool(before),
        "a confirmed image ran before the last power-on",
        "no application ran before the last power-on",
    ):
        return j
    was = before[-1]
    after = evs[r:]
    metas = [e for e in after if e.name == Ev.META]
    if metas:
        j.check(
            metas[0].get(Field.RESULT) in ("ok", "recovered"),
            f"metadata usable after the fault (META result={metas[0].get(Field.RESULT)})",
            f"metadata not usable after the fault (META result={metas[0].get(Field.RESULT)})",
            metas[0],
        )
    for name in (Ev.RESCUE, Ev.ROLLBACK):
        bad = [e for e in after if e.name == name]
        j.check(
            not bad,
            f"no {name} after the fault",
            f"{name} after the fault",
            bad[0] if bad else None,
        )
    boots = [e for e in after if app_boot(e)]
    same = (
        bool(boots)
        and boots[0].get(Field.SLOT) == was.get(Field.SLOT)
        and boots[0].get(Field.BUILD) == was.get(Field.BUILD)
    )
    j.check(
        same,
        f"slot {was.get(Field.SLOT)} build {was.get(Field.BUILD)} still boots",
        f"slot {was.get(Field.SLOT)} build {was.get(Field.BUILD)} did not boot after the fault",
        boots[0] if boots else was,
    )
    return j


def refused_after_change(evs: Evs, p: Params) -> Judgement:
    """After the trust anchor changed between boots: the boot after the last power-on refuses
    an image on the new anchor (a VERIFY_SIG / PARSE_MANIFEST result=fail of the slot its
    SLOT_CHECK named) and no application runs from a slot refused in that boot."""
    j = Judgement()
    r = _last_power_on(evs)
    if not j.check(r >= 0, "a power-on after the change", "no power-on after the change"):
        return j
    refused: dict[str, Event] = {}
    slot: str | None = None
    booted: list[Event] = []
    for e in evs[r:]:
        if e.name == Ev.REBOOT_REASON and e is not evs[r]:
            break  # judge the first boot on the new anchor
        if e.name == Ev.SLOT_CHECK:
            slot = e.get(Field.SLOT)
        elif e.name in (Ev.VERIFY_SIG, Ev.PARSE_MANIFEST) and e.get(Field.RESULT) == "fail":
            if slot is not None:
                refused.setdefault(slot, e)
        elif app_boot(e):
            booted.append(e)
    j.check(
        bool(refused),
        "the bootloader refused an image on the new anchor: "
        + ", ".join(f"slot {s} [{e}]" for s, e in sorted(refused.items())),
        "no image was refused at boot on the new anchor",
    )
    bad = [e for e in booted if e.get(Field.SLOT) in refused]
    j.check(
        not bad,
        "no application ran from a refused slot"
        + (f" (slot {booted[0].get(Field.SLOT)} runs)" if booted else " (rescue)"),
        "an application ran from a slot the anchor refused",
        bad[0] if bad else None,
    )
    return j


SCENARIO_PREDICATES: dict[str, Predicate] = {
    "at-rest": survives_at_rest,
    "anchor-change": refused_after_change,
}
