"""Predicates of the issue-10 scenario classes that judge one boot after something was done to
a device between boots (a fault at rest, a trust-anchor change). Like every predicate they read
only the device's events; they are chosen by scenario (``SCENARIO_PREDICATES``) and decide the
owning item's case instead of its main-scenario predicate.
"""

from __future__ import annotations

from hil.evidence import Event
from hil.evidence.vocab import Ev, Field, app_boot, brownout_reset
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


def _layout_meta(evs: Evs) -> list[tuple[int, int]]:
    """The metadata areas (start, end) the bootloader's LAYOUT event names."""
    out = []
    lay = next((e for e in evs if e.name == Ev.LAYOUT), None)
    for name in ("meta_a", "meta_b"):
        text = lay.get(name) if lay is not None else None
        start, _, size = (text or "").partition("+")
        try:
            out.append((int(start, 0), int(start, 0) + int(size, 0)))
        except ValueError:
            continue
    return out


def gated_before_meta_erase(evs: Evs, p: Params) -> Judgement:
    """A brownout as a metadata commit starts: the device gates the commit's first operation,
    an erase of a metadata page (the first WRITE_GATED of the browned-out boot is
    operation=erase in a metadata area of its LAYOUT; a program gated first means the erase
    before it started under low voltage), reports the brownout at the next boot, and a
    confirmed image runs after it with usable metadata."""
    j = Judgement()
    r = next((i for i, e in enumerate(evs) if brownout_reset(e)), -1)
    if not j.check(r >= 0, "a brownout reset", "no REBOOT_REASON with the brownout flag"):
        return j
    start = max((i for i in range(r) if evs[i].name == Ev.REBOOT_REASON), default=0)
    gated = [e for e in evs[start:r] if e.name == Ev.WRITE_GATED]
    if j.check(bool(gated), f"{len(gated)} write(s) gated", "no WRITE_GATED before the reset"):
        g = gated[0]
        try:
            addr = int(g.get("address") or "", 0)
        except ValueError:
            addr = -1
        meta = any(lo <= addr < hi for lo, hi in _layout_meta(evs))
        j.check(
            g.get("operation") == "erase" and meta,
            "the metadata erase was gated first (nothing started under low voltage)",
            "the first gated operation is not the metadata erase: an operation before it "
            "started under low voltage",
            g,
        )
    metas = [e for e in evs[r:] if e.name == Ev.META]
    j.check(
        bool(metas) and metas[0].get(Field.RESULT) in ("ok", "recovered"),
        "metadata usable after the brownout",
        "metadata not usable after the brownout",
        metas[0] if metas else None,
    )
    boots = [e for e in evs[r:] if app_boot(e)]
    j.check(bool(boots), "an application runs after the brownout", "no application after it")
    return j


SCENARIO_PREDICATES: dict[str, Predicate] = {
    "brownout-meta": gated_before_meta_erase,
    "at-rest": survives_at_rest,
    "anchor-change": refused_after_change,
}
