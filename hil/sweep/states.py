"""Distinct states: a point whose cut left a state already judged is not run again.

A cut's **state** is what the recovery starts from: the flash array (cells, torn units and ECC
state: ``Engine.flash_snapshot``), the retained RAM that survives the cut and the reset cause
the recovery starts with, plus the cut depth still to sweep below it (a state met at depth 1
still has its recovery's cuts to sweep; met at the last depth it does not). ``state_key`` is
that key, kept a function of its own: issue 16 narrows it to the bytes the recovery reads.

The engine's model of a power cut (``hil.engine.unicorn.memory``): at power-on every RAM
region, the backup RAM included, gets its seeded power-on pattern, so after a cut no RAM
survives and the retained part is empty; the reset cause is ``power-on``.

Claims (``StateClaims``): a child that reaches the power-on after its cut writes a marker
``<key>/<order>`` into a directory shared by the whole sweep; it runs on when no marker of an
earlier point (``SweepPoint.order``) is there, and otherwise stops as "same state as" that
point. Children run in parallel, so a later point may claim first and run as well; ``resolve``
then makes the result independent of that timing (and of ``--shard``): the first point in
order with a state is its owner (it always ran: nothing earlier made it stop), every later one
is "same state as" the owner with the owner's outcome, and the points below a duplicate are
dropped (they repeat the owner's). A seeded sample of the duplicates (``sampled``) runs anyway
(without cutting its own recovery again) and must agree with the owner.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from hil.engine.base import Engine
from hil.sweep.result import PointResult

POWER_ON = "power-on"


def state_key(engine: Engine, cause: str, retained: bytes, remaining_depth: int) -> str:
    """The state a recovery starts from (module doc): SHA-256 over the flash array, the
    retained RAM, the reset cause and the depth still to sweep."""
    h = hashlib.sha256()
    h.update(engine.flash_snapshot())
    h.update(len(retained).to_bytes(8, "little") + retained)
    h.update(f"|{cause}|{remaining_depth}".encode())
    return h.hexdigest()


def order_text(order: Sequence[int]) -> str:
    """A point's order as a name whose text order is the point order."""
    return ".".join(f"{n:06d}" for n in order)


def sampled(seed: int, point_id: str, rate: float) -> bool:
    """Whether a "same state" point is in the seeded sample that runs anyway."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{point_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little") < rate * 2**32


class StateClaims:
    """The markers of one sweep (shared by every child through the file system)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def claim(self, key: str, order: Sequence[int], point_id: str) -> str | None:
        """Mark ``key`` as met by this point; the ID of an earlier point that met it, if any."""
        d = self.directory / key
        d.mkdir(parents=True, exist_ok=True)
        mine = order_text(order)
        tmp = d / f".{mine}.{os.getpid()}"
        tmp.write_text(point_id, encoding="utf-8")
        tmp.replace(d / mine)
        earlier = sorted(n for n in os.listdir(d) if not n.startswith(".") and n < mine)
        if not earlier:
            return None
        return (d / earlier[0]).read_text(encoding="utf-8")


def _agree(run: PointResult, owner: PointResult) -> tuple[bool, str]:
    mine, theirs = run.verdict, owner.verdict
    same = (
        mine.outcome is theirs.outcome
        and [v[0] for v in mine.violations] == [v[0] for v in theirs.violations]
        and run.error is None
    )
    why = (
        f"same state as {owner.point.id} ({theirs.outcome.value}, "
        f"{'ok' if theirs.ok else 'broken: ' + ', '.join(v[0] for v in theirs.violations)}), "
        f"but running it gave {mine.outcome.value}"
        + (", broken: " + ", ".join(v[0] for v in mine.violations) if mine.violations else "")
        + (f", error: {run.error}" if run.error else "")
    )
    return same, why


def resolve(results: Sequence[PointResult], seed: int, rate: float) -> list[PointResult]:
    """The sweep's points in order with their states settled (module doc): independent of
    which child claimed a state first and of how the sweep was sharded."""
    owners: dict[str, PointResult] = {}
    dropped: set[tuple[int, ...]] = set()
    out: list[PointResult] = []
    for r in sorted(results, key=lambda r: r.point.order):
        order = r.point.order
        if any(order[:k] in dropped for k in range(1, len(order))):
            continue  # below a duplicate: the owner's own recovery cuts cover it
        owner = None if r.state is None else owners.get(r.state)
        if owner is None:
            if r.state is not None:
                owners[r.state] = r
            if not r.ran:  # cannot happen with a deterministic recovery (module doc)
                r.error = (
                    f"internal: the first point of its state did not run (it met "
                    f"{r.same_as} first, which is not in the sweep)"
                )
            r.same_as, r.sampled, r.agrees = None, False, None
            out.append(r)
            continue
        dropped.add(order)
        sample = sampled(seed, r.point.id, rate)
        agrees, why = _agree(r, owner) if r.ran else (True, "")
        out.append(
            PointResult(
                r.point,
                owner.verdict,
                r.digest if sample else "",
                list(r.fired) if sample else [],
                r.instructions if sample else 0,
                r.wall_s,
                r.emu_s,
                r.transcript if sample or not agrees else None,
                r.twin_digest,
                r.error if sample else None,
                r.flashmap_svg if not agrees else None,
                r.state,
                owner.point.id,
                sample,
                sample,
                [],
                agrees if r.ran else None,
                "" if agrees else why,
            )
        )
    return out


__all__ = ["POWER_ON", "StateClaims", "order_text", "resolve", "sampled", "state_key"]
