"""The planted bugs only a sweep that cuts during the recovery finds (issue 15; the flags of
``firmware_stubs/core/mut_hooks.h``): each runs only in a boot that follows a cut, so a
depth-1 sweep (one cut, an untouched recovery) misses it and ``--depth 2`` catches it.

``RECOVERY_MUTATIONS``: flag -> (what the bug is, the layout areas and phases whose cuts set
its recovery in motion). ``recovery_points(flag, ops)`` gives those cuts as a fault plan (the
short sweep that shows the difference: depth 1 passes, depth 2 fails).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hil.sweep.result import OpInfo

# the cuts that tear a metadata commit: the next boot finds a torn copy and rolls back
_TORN_META_AREAS = ("meta_a", "meta_b")
_TORN_META_PHASES = ("between_chunks", "metadata_commit", "confirm", "floor_bump")

RECOVERY_MUTATIONS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "MUT_ROLLBACK_META_IN_PLACE": (
        "a boot that finds a torn metadata copy rolls back to the surviving record by "
        "rewriting that copy in place",
        _TORN_META_AREAS,
        _TORN_META_PHASES,
    ),
    "MUT_META_JOURNAL_IN_RAM": (
        "the same in-place rollback, journaled in RAM that is assumed to survive a power cut "
        "(a warm reset keeps it and the next boot finishes the rewrite; a power cut does not)",
        _TORN_META_AREAS,
        _TORN_META_PHASES,
    ),
    "MUT_UNJOURNALED_FLOOR_BUMP": (
        "the bootloader's completion of a staged floor bump is not journaled (the stale copy "
        "is cleared, then the current one rewritten in place)",
        ("meta_a", "meta_b"),
        ("floor_bump",),
    ),
}


def recovery_points(flag: str, ops: Sequence[OpInfo], limit: int = 2) -> dict[str, Any]:
    """A fault plan (dict form) of the first ``limit`` flash operations whose cut sets the
    planted bug's recovery in motion."""
    _, areas, phases = RECOVERY_MUTATIONS[flag]
    chosen = [op for op in ops if op.area in areas and op.phase in phases][:limit]
    return {"faults": [{"kind": "flash_op_cut", "op": op.index} for op in chosen]}


__all__ = ["RECOVERY_MUTATIONS", "recovery_points"]
