"""Distinct states and distinct recoveries: a point whose cut left a state already judged, or
a state that gives a recovery already judged, is not run again.

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

**Same recovery** (issue 16): two cut states give the same recovery when they agree on every
input the earlier recovery read. Execution is deterministic, so the later one follows the same
path, reads the same inputs and ends the same way. The inputs of a recovery: the flash pages
it read (CPU fetches, data reads and stores, the models' and the outside oracle's reads; the
engine's page-granular read tracker, ``Engine.track_reads_start``, pages of
``read_page_size`` bytes with their torn units and erased state), the array's global state
(option bytes, bank swap), the reset cause and the seeded RAM pattern of that power-on (no RAM
survives a cut, but the pattern is seeded by the power-on's index). ``recovery_context`` is
the non-flash part, ``page_vector`` the per-page digests of the post-cut flash.

- A child at its power-on (after the exact-state claim found nothing earlier) compares its
  page digests with every read set published so far (``StateClaims.match``); a match of an
  earlier point stops it as "same recovery as" that point (a seeded sample runs anyway and
  must agree). A child that ran publishes its read set and the digests of those pages
  (``StateClaims.publish``).
- ``resolve`` settles it independently of timing and of ``--shard``: every point keeps its
  page digests (``PointResult.pages``, sparse: the most common digest once) and every point
  that ran its read set; the earliest point in order that is not itself a duplicate and whose
  read set the point matches (or whose state equals the point's) owns it. A duplicate that
  ran anyway must agree with its owner (a disagreement is a failure naming both points).
  Same recovery implies same read set with the same digests, so a child stopped by a later
  duplicate's record is also matched by the owner's in ``resolve``.
- The tracker watches only the layout areas the clean update writes (``varying``): the other
  pages hold the same bytes in every state the sweep compares, so the engine reports them as
  read without watching them (the read set only grows; the comparison stays exact). A
  recovery that writes elsewhere (a planted bug, a deeper cut) makes states differ there, and
  those pages are in every read set, so such states do not collapse.
- **Depth rule**: read sets collapse only at the last depth (``--depth``), where a point has
  no cuts of its own recovery to sweep. At an earlier depth a duplicate's sub-cuts would cut
  a different state (bytes the first part of the recovery did not read still differ when a
  later cut of it lands), so only exact state equality collapses there.
- Vocabulary: ``SAME_STATE`` and ``SAME_RECOVERY`` (this module only).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from hil.engine.base import Engine
from hil.platform.model import Platform
from hil.sweep.result import OpInfo, PointResult

POWER_ON = "power-on"
SAME_STATE = "same state as"
SAME_RECOVERY = "same recovery as"
HOW = {"state": SAME_STATE, "recovery": SAME_RECOVERY}  # PointResult.same_how -> the words


def same_words(how: str) -> str:
    """The words for a duplicate's relation to its owner (``PointResult.same_how``)."""
    return HOW.get(how, SAME_STATE)


def recovery_context(engine: Engine, cause: str, power_on: int) -> str:
    """A recovery's inputs beyond the flash pages (module doc): the array's global state, the
    reset cause and the index of the power-on whose seeded RAM pattern it starts with."""
    return f"{engine.flash_global_state()}|{cause}|power-on {power_on}"


def varying(platform: Platform, ops: Sequence[OpInfo]) -> list[tuple[int, int]] | None:
    """The flash ranges (address, size) the sweep's states can differ in (module doc): every
    layout area a clean-pass operation wrote; None (watch everything) when one wrote outside
    the layout."""
    areas = platform.layout.areas
    names = sorted({op.area for op in ops})
    if any(n not in areas for n in names):
        return None
    return [(areas[n].address, areas[n].size) for n in names]


def page_vector(engine: Engine) -> list[str]:
    """The per-page digests of the flash the recovery starts from (physical page order)."""
    return engine.flash_page_digests()


def sparse(vector: Sequence[str]) -> dict[str, Any]:
    """``vector`` as stored in a point's result: the most common digest once, the others by
    page."""
    counts = Counter(vector)
    common = min(counts, key=lambda d: (-counts[d], d)) if vector else ""
    return {
        "n": len(vector),
        "common": common,
        "pages": {str(i): d for i, d in enumerate(vector) if d != common},
    }


def dense(stored: Mapping[str, Any]) -> list[str]:
    out = [str(stored["common"])] * int(stored["n"])
    for i, d in stored["pages"].items():
        out[int(i)] = str(d)
    return out


def _pick(pages: Sequence[int]) -> Any:
    return itemgetter(*pages) if pages else (lambda _v: ())


def read_set_id(pages: Sequence[int]) -> str:
    return hashlib.sha256(",".join(map(str, pages)).encode()).hexdigest()[:32]


def recovery_key(context: str, pages: Sequence[int], vector: Sequence[str]) -> str:
    """The recovery a state gives, as far as the read set ``pages`` can tell."""
    got = _pick(pages)(vector)
    digests = (got,) if isinstance(got, str) else got
    h = hashlib.sha256(context.encode())
    h.update("|".join(digests).encode())
    return h.hexdigest()


def state_key(
    engine: Engine,
    vector: Sequence[str] | None,
    cause: str,
    retained: bytes,
    remaining_depth: int,
) -> str:
    """The state a recovery starts from (module doc): SHA-256 over the flash array, the
    retained RAM, the reset cause and the depth still to sweep. The array is its page
    digests ``vector`` (cells, torn units, erased pages) with its global state, or, from an
    engine that does not track reads (None), its whole snapshot."""
    h = hashlib.sha256()
    if vector is None:
        h.update(engine.flash_snapshot())
    else:
        h.update(",".join(vector).encode())
        h.update(f"|{engine.flash_global_state()}|".encode())
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
        self._sets: dict[str, list[int]] = {}  # read sets loaded so far (forked children
        # inherit them: each loads only the ones published since)

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

    # -- same recovery (module doc) ---------------------------------------------------------
    def _write(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{os.getpid()}"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)

    def publish(
        self,
        pages: Sequence[int],
        context: str,
        vector: Sequence[str],
        order: Sequence[int],
        point_id: str,
    ) -> None:
        """A recovery that ran: its read set and the digests of those pages."""
        rsid = read_set_id(pages)
        sets = self.directory / "read-sets"
        if not (sets / rsid).exists():
            self._write(sets / rsid, json.dumps(list(pages)))
        key = recovery_key(context, pages, vector)
        self._write(self.directory / "recoveries" / rsid / key / order_text(order), point_id)

    def match(self, context: str, vector: Sequence[str], order: Sequence[int]) -> str | None:
        """The ID of the earliest point before ``order`` whose published recovery this state
        matches on its read set, if any."""
        sets = self.directory / "read-sets"
        if not sets.is_dir():
            return None
        mine = order_text(order)
        best: tuple[str, Path] | None = None
        for rsid in sorted(n for n in os.listdir(sets) if not n.startswith(".")):
            pages = self._sets.get(rsid)
            if pages is None:
                pages = self._sets[rsid] = json.loads((sets / rsid).read_text(encoding="utf-8"))
            d = self.directory / "recoveries" / rsid / recovery_key(context, pages, vector)
            if not d.is_dir():
                continue
            for n in os.listdir(d):
                if not n.startswith(".") and n < mine and (best is None or n < best[0]):
                    best = (n, d / n)
        return None if best is None else best[1].read_text(encoding="utf-8")


def _agree(run: PointResult, owner: PointResult, how: str) -> tuple[bool, str]:
    mine, theirs = run.verdict, owner.verdict
    same = (
        mine.outcome is theirs.outcome
        and [v[0] for v in mine.violations] == [v[0] for v in theirs.violations]
        and run.error is None
    )
    why = (
        f"{same_words(how)} {owner.point.id} ({theirs.outcome.value}, "
        f"{'ok' if theirs.ok else 'broken: ' + ', '.join(v[0] for v in theirs.violations)}), "
        f"but running it gave {mine.outcome.value}"
        + (", broken: " + ", ".join(v[0] for v in mine.violations) if mine.violations else "")
        + (f", error: {run.error}" if run.error else "")
    )
    return same, why


class _Recoveries:
    """The read sets of the points that ran, in order (``resolve``)."""

    def __init__(self) -> None:
        self.sets: dict[str, tuple[int, ...]] = {}
        self.owner: dict[tuple[str, str, tuple[str, ...]], PointResult] = {}

    @staticmethod
    def _digests(pages: tuple[int, ...], vector: Sequence[str]) -> tuple[str, ...]:
        got = _pick(pages)(vector)
        return (got,) if isinstance(got, str) else tuple(got)

    def add(self, r: PointResult, owner: PointResult) -> None:
        if r.reads is None or r.pages is None or r.context is None or not r.ran:
            return
        pages = tuple(r.reads)
        rsid = read_set_id(pages)
        self.sets.setdefault(rsid, pages)
        key = (rsid, r.context, self._digests(pages, dense(r.pages)))
        self.owner.setdefault(key, owner)

    def find(self, r: PointResult) -> PointResult | None:
        if r.pages is None or r.context is None:
            return None
        vector = dense(r.pages)
        found: list[PointResult] = []
        for rsid, pages in self.sets.items():
            o = self.owner.get((rsid, r.context, self._digests(pages, vector)))
            if o is not None:
                found.append(o)
        return min(found, key=lambda o: o.point.order) if found else None


def resolve(results: Sequence[PointResult], seed: int, rate: float) -> list[PointResult]:
    """The sweep's points in order with their states and recoveries settled (module doc):
    independent of which child claimed first and of how the sweep was sharded."""
    owners: dict[str, PointResult] = {}
    recoveries = _Recoveries()
    dropped: set[tuple[int, ...]] = set()
    out: list[PointResult] = []
    for r in sorted(results, key=lambda r: r.point.order):
        order = r.point.order
        if any(order[:k] in dropped for k in range(1, len(order))):
            continue  # below a duplicate: the owner's own recovery cuts cover it
        same = None if r.state is None else owners.get(r.state)
        other = recoveries.find(r)
        how = "state"
        if other is not None and (same is None or other.point.order < same.point.order):
            same, how = other, "recovery"
        if same is None:
            if r.state is not None:
                owners[r.state] = r
            recoveries.add(r, r)
            if not r.ran:  # cannot happen with a deterministic recovery (module doc)
                r.error = (
                    f"internal: the first point of its state did not run (it met "
                    f"{r.same_as} first, which is not in the sweep)"
                )
            r.same_as, r.same_how, r.sampled, r.agrees = None, "", False, None
            out.append(r)
            continue
        dropped.add(order)
        sample = sampled(seed, r.point.id, rate)
        if sample:  # seeded, so the same in every run (a raced duplicate's is not)
            recoveries.add(r, same)
        agrees, why = _agree(r, same, how) if r.ran else (True, "")
        out.append(
            PointResult(
                r.point,
                same.verdict,
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
                same.point.id,
                sample,
                sample,
                [],
                agrees if r.ran else None,
                "" if agrees else why,
                same_how=how,
                reads=r.reads if sample else None,
                pages=r.pages,
                context=r.context,
            )
        )
    return out


__all__ = [
    "POWER_ON",
    "SAME_RECOVERY",
    "SAME_STATE",
    "StateClaims",
    "dense",
    "order_text",
    "page_vector",
    "recovery_context",
    "recovery_key",
    "resolve",
    "same_words",
    "sampled",
    "sparse",
    "state_key",
    "varying",
]
