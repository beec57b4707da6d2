"""A sweep's whole result as one file (``DIR/sweep.json``), and the merge of the shards of one
sweep (``hil sweep --shard K/N``, ``hil report DIR --merge SHARD...``) into the result an
unsplit run gives.

Each shard runs the same clean pass and a deterministic share of the depth-1 points (index
modulo N, with every point below them); its ``sweep.json`` keeps every point with its state.
``merge_shards`` checks the shards belong together (platform, seed, firmware, options, the
same clean run, shards 1..N once each), joins their points and settles the states again over
the whole sweep (``hil.sweep.states.resolve``): the first point in order of each state is its
owner in whichever shard it ran, so the merged points and outcomes are byte for byte those
of one unsplit run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hil.errors import HilError
from hil.faults.plan import Phase, Tear
from hil.sweep.points import PointKind, SweepPoint
from hil.sweep.result import OpInfo, PhaseMark, PointResult, SweepResult
from hil.sweep.states import resolve

FILE = "sweep.json"


class MergeError(HilError):
    """Shards that cannot be merged (missing, from different sweeps, a shard twice)."""


@dataclass(frozen=True)
class SweepMeta:
    """What a sweep was run with (the replay records and the merge need it)."""

    engine: str
    build: int
    defines: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    app_size: int | None = None  # the update's payload size (``--app-size``; None: the app)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "engine": self.engine,
            "build": self.build,
            "defines": dict(sorted(self.defines.items())),
            "hashes": dict(sorted(self.hashes.items())),
        }
        if self.app_size is not None:  # absent otherwise: earlier sweeps' files unchanged
            out["app_size"] = self.app_size
        return out

    def scenario_args(self) -> dict[str, Any]:
        """The arguments of the swept scenario (``power_cut_update``) in a replay record."""
        return scenario_args(self.build, self.app_size)


def scenario_args(build: int, app_size: int | None) -> dict[str, Any]:
    """``power_cut_update``'s arguments: the build, and the app size when one was given."""
    return {"build": build} if app_size is None else {"build": build, "app_size": app_size}


def point_json(p: SweepPoint) -> dict[str, Any]:
    return {
        "kind": p.kind.value,
        "phase": p.phase,
        "op": p.op,
        "op_kind": p.op_kind,
        "address": p.address,
        "area": p.area,
        "tear": p.tear.value if p.tear else None,
        "event_phase": p.event_phase.value if p.event_phase else None,
        "occurrence": p.occurrence,
        "offset": p.offset,
        "kind_op": p.kind_op,
        "rank": p.rank,
        "prefix": [point_json(q) for q in p.prefix],
    }


def point_from_json(d: dict[str, Any]) -> SweepPoint:
    return SweepPoint(
        PointKind(d["kind"]),
        str(d["phase"]),
        d["op"],
        str(d["op_kind"]),
        d["address"],
        str(d["area"]),
        Tear(d["tear"]) if d["tear"] else None,
        Phase(d["event_phase"]) if d["event_phase"] else None,
        int(d["occurrence"]),
        int(d["offset"]),
        d["kind_op"],
        tuple(point_from_json(q) for q in d["prefix"]),
        int(d["rank"]),
    )


def result_dict(result: SweepResult, meta: SweepMeta) -> dict[str, Any]:
    return {
        "platform": result.platform,
        "seed": result.seed,
        "depth": result.depth,
        "dedup": result.dedup,
        "sample": result.sample,
        "shard": list(result.shard),
        "planned": result.planned,
        "meta": meta.as_dict(),
        "wall_s": result.wall_s,
        "workers": result.workers,
        "children_run": result.children_run,
        "lost": dict(sorted(result.lost.items())),
        "clean_ops": [vars(op) for op in result.clean_ops],
        "clean_marks": [
            {
                "phase": m.phase.value,
                "occurrence": m.occurrence,
                "instructions": m.instructions,
                "label": m.label,
            }
            for m in result.clean_marks
        ],  # fmt: skip
        "points": [
            {
                "point": point_json(r.point),
                "result": r.as_dict(),
                "twin_digest": r.twin_digest,
                "agrees": r.agrees,
                "disagreement": r.disagreement,
            }
            for r in result.points
        ],
    }


def write_result(result: SweepResult, meta: SweepMeta, report_dir: Path) -> Path:
    path = report_dir / FILE
    path.write_text(json.dumps(result_dict(result, meta), sort_keys=True) + "\n", "utf-8")
    return path


def _point_result(d: dict[str, Any]) -> PointResult:
    point = point_from_json(d["point"])
    r = PointResult.from_dict(point, d["result"], d.get("twin_digest"))
    r.children = []  # already among the points
    r.agrees = d.get("agrees")
    r.disagreement = str(d.get("disagreement", ""))
    return r


def _load(directory: Path) -> dict[str, Any]:
    path = directory / FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise MergeError(
            f"{path}: expected the sweep.json a `hil sweep --report DIR` writes, found none"
        ) from None
    except json.JSONDecodeError as exc:
        raise MergeError(f"{path}: expected valid JSON, found: {exc}") from None
    return data


SAME = ("platform", "seed", "depth", "dedup", "sample", "meta", "clean_ops", "clean_marks")


def merge_shards(dirs: Sequence[Path]) -> tuple[SweepResult, SweepMeta]:
    """The shards' results joined into the unsplit sweep's (module doc)."""
    if not dirs:
        raise MergeError("hil report --merge: expected the report dirs of the shards, found none")
    shards = [(d, _load(d)) for d in dirs]
    first_dir, first = shards[0]
    n = int(first["shard"][1])
    seen: dict[int, Path] = {}
    for d, data in shards:
        for key in SAME:
            if data[key] != first[key]:
                raise MergeError(
                    f"{d / FILE}: expected a shard of the sweep in {first_dir} (same {key}), "
                    f"found a different {key}"
                )
        k, nn = data["shard"]
        if nn != n or k in seen:
            raise MergeError(
                f"{d / FILE}: expected shard K/{n} once each, found shard {k}/{nn}"
                + (f" (also in {seen[k]})" if k in seen else "")
            )
        seen[k] = d
    absent = [str(k) for k in range(1, n + 1) if k not in seen]
    if absent:
        raise MergeError(
            f"hil report --merge: expected shards 1..{n}, found no shard {', '.join(absent)}"
        )
    meta_d = first["meta"]
    meta = SweepMeta(
        str(meta_d["engine"]),
        int(meta_d["build"]),
        dict(meta_d["defines"]),
        dict(meta_d["hashes"]),
        None if meta_d.get("app_size") is None else int(meta_d["app_size"]),
    )
    points = [_point_result(p) for _, data in shards for p in data["points"]]
    points.sort(key=lambda r: r.point.order)
    if first["dedup"]:
        points = resolve(points, int(first["seed"]), float(first["sample"]))
    lost: dict[str, str] = {}
    for _, data in shards:
        lost.update(data["lost"])
    result = SweepResult(
        str(first["platform"]),
        int(first["seed"]),
        [OpInfo(**op) for op in first["clean_ops"]],
        [
            PhaseMark(Phase(m["phase"]), m["occurrence"], m["instructions"], m["label"])
            for m in first["clean_marks"]
        ],
        points,
        max(float(data["wall_s"]) for _, data in shards),
        sum(int(data["workers"]) for _, data in shards),
        lost,
        planned=any(bool(data["planned"]) for _, data in shards),
        depth=int(first["depth"]),
        dedup=bool(first["dedup"]),
        sample=float(first["sample"]),
        children_run=sum(int(data["children_run"]) for _, data in shards),
    )
    return result, meta


__all__ = ["FILE", "MergeError", "SweepMeta", "merge_shards", "result_dict", "write_result"]
