"""Power cuts in a profile target's update (items 11 and 12 judged by the outside oracle):
the update is staged once over the profile's route; from the flash state it leaves, the device
boots again with the power cut at chosen flash operations (torn as the chip tears them), then
boots once more; after each cut the oracle must see an approved image installed and running,
with no reboot loop. Item 11 cuts across the whole swap, item 12 only in trailer writes (the
MCUboot metadata), and runs one point twice to show the same outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hil.engine.base import FlashOp, FlashOpAction
from hil.evidence.event import Event
from hil.oracle.trailer import TrailerLayout
from hil.profile.model import Profile
from hil.target.device import ProfileTarget


@dataclass
class Images:
    v1: bytes
    v2: bytes
    v3: bytes
    old: bytes
    low_cnt: bytes
    revoked: bytes | None
    forged: bytes
    fail: bytes
    never: bytes


@dataclass(frozen=True)
class CutPoint:
    index: int  # flash operation, counted from the first boot after the update was staged
    address: int


def _target(profile: Profile, images: Images, seed: int, snapshot: bytes) -> ProfileTarget:
    t = ProfileTarget(profile, seed=seed)
    for label in ("v1", "v2"):
        t.approve(label, getattr(images, label))
    t.engine.flash_restore(snapshot)
    return t


def _trailer_ranges(t: ProfileTarget) -> list[tuple[int, int]]:
    wb = t.profile.image.wolfboot
    if wb is not None:
        # wolfBoot's flags (partition state, sector flags, "BOOT") live in the last sector of
        # each partition; NVM_FLASH_WRITEONCE builds alternate with the sector before it
        page = t.platform.flash.page_size
        return [
            (t.area_address(n) + t.profile.area(n).size - 2 * page,
             t.area_address(n) + t.profile.area(n).size)
            for n in (wb.boot, wb.update)
        ]  # fmt: skip
    fmt = t.profile.image.mcuboot
    assert fmt is not None
    out = []
    for name in (fmt.primary, fmt.secondary):
        a = t.profile.area(name)
        lay = TrailerLayout.of(fmt, a.size)
        base = t.area_address(name)
        out.append((base + lay.status, base + a.size))
    return out


def _run_point(
    profile: Profile, images: Images, seed: int, snapshot: bytes, cut: int | None
) -> tuple[ProfileTarget, list[Event]]:
    t = _target(profile, images, seed, snapshot)
    count = [0]

    def hook(op: FlashOp) -> FlashOpAction:
        count[0] += 1
        return (
            FlashOpAction.CUT if cut is not None and count[0] - 1 == cut else FlashOpAction.CONTINUE
        )

    t.engine.on_flash_op(hook)
    t.power_on()
    t.engine.run(profile.update.duration_ms * 1000, lambda: not t.engine.powered)
    t.poll()
    if not t.engine.powered:
        t.power_on()
    t.run(profile.update.duration_ms + profile.oracle_stable_ms())
    return t, t.evidence(0)


def staged_snapshot(
    profile: Profile, images: Images, seed: int, deliver: Callable[..., str]
) -> tuple[bytes, list[str]]:
    """Factory image, an update over the profile's route marked for test, then the flash as the
    trigger leaves it."""
    t = ProfileTarget(profile, seed=seed)
    t.install_factory(images.v1, "v1")
    t.power_on()
    t.run(300)
    steps = ["factory image v1, power on", deliver(t, images.v2)]
    t.engine.power_off()
    steps.append("power off right after the trigger (the update is marked)")
    return t.engine.flash_snapshot(), steps


def cut_points(
    profile: Profile, images: Images, seed: int, snapshot: bytes, *, trailer_only: bool, n: int
) -> list[CutPoint]:
    """The flash operations of the clean recovery boot, spread evenly (``n`` points)."""
    t = _target(profile, images, seed, snapshot)
    ops: list[CutPoint] = []
    ranges = _trailer_ranges(t)

    def hook(op: FlashOp) -> FlashOpAction:
        ops.append(CutPoint(len(ops), op.address))
        return FlashOpAction.CONTINUE

    t.engine.on_flash_op(hook)
    t.power_on()
    t.run(profile.update.duration_ms + profile.oracle_stable_ms())
    chosen = [p for p in ops if not trailer_only or any(lo <= p.address < hi for lo, hi in ranges)]
    if len(chosen) <= n:
        return chosen
    return [chosen[(k * (len(chosen) - 1)) // (n - 1)] for k in range(n)] if n > 1 else chosen[:1]


def point_event(seq: int, p: CutPoint, evs: list[Event]) -> Event:
    def last(name: str, key: str) -> str:
        got = [e for e in evs if e.src == "oracle" and e.name == name]
        return (got[-1].get(key) or "?") if got else "?"

    resumed = "yes" if any(e.name == "RESUME" for e in evs if e.src != "oracle") else "no"
    fields = (
        ("op", str(p.index)),
        ("address", f"0x{p.address:08x}"),
        ("installed", last("INSTALLED", "image")),
        ("running", last("RUNNING", "image")),
        ("loop", last("REBOOT_LOOP", "loop")),
        ("resumed", resumed),
    )
    raw = "oracle CUT " + " ".join(f"{k}={v}" for k, v in fields)
    return Event(seq, "oracle", "CUT", fields, raw)


def sweep(
    profile: Profile, images: Images, seed: int, deliver: Callable[..., str], *,
    trailer_only: bool, n: int, twice: bool,
) -> tuple[ProfileTarget | None, list[Event], list[str]]:  # fmt: skip
    snapshot, steps = staged_snapshot(profile, images, seed, deliver)
    points = cut_points(profile, images, seed, snapshot, trailer_only=trailer_only, n=n)
    steps.append(f"{len(points)} cut point(s): ops " + ",".join(str(p.index) for p in points))
    out: list[Event] = []
    last: ProfileTarget | None = None
    for p in points:
        last, evs = _run_point(profile, images, seed, snapshot, p.index)
        out.append(point_event(len(out), p, evs))
    if twice and points:
        p = points[len(points) // 2]
        _, evs = _run_point(profile, images, seed, snapshot, p.index)
        again = point_event(len(out), p, evs)
        out.append(Event(again.seq, "oracle", "CUT_AGAIN", again.fields, again.raw))
    return last, out, steps


def every_cut_recovers(evs: list[Event]) -> list[str]:
    cuts = [e for e in evs if e.name == "CUT"]
    if not cuts:
        return ["oracle: no cut point was run"]
    bad = [
        e.raw
        for e in cuts
        if e["installed"] not in ("v1", "v2") or e["running"] != e["installed"] or e["loop"] != "no"
    ]
    return [f"oracle: {len(bad)} cut(s) left no approved image running: {bad[:3]}"] if bad else []


def same_twice(evs: list[Event]) -> list[str]:
    again = [e for e in evs if e.name == "CUT_AGAIN"]
    if not again:
        return ["oracle: the repeated point was not run"]
    first = [e for e in evs if e.name == "CUT" and e["op"] == again[0]["op"]]
    if not first or first[0].fields != again[0].fields:
        return [f"oracle: the same cut gave another outcome: {again[0].raw}"]
    return []


def some_resumed(evs: list[Event]) -> list[str]:
    if not any(e.name == "CUT" and e["resumed"] == "yes" for e in evs):
        return ["patterns: no cut was followed by a resumed swap"]
    return []
