"""Which evidence routes can prove each matrix item (issue 12): data, one row per item.

Each row lists alternative proofs; a proof is a tuple of requirements, all of which the
profile must meet: ``library`` (the firmware emits this project's evidence lines),
``pattern:EVENT`` (the profile has a console pattern for EVENT), ``oracle:CHECK`` (the profile
enables that oracle check), ``keys:revoked`` (the profile names a revoked key),
``classes:failures`` (console patterns declare the failure classes item 15 checks),
``scenario:NAME`` (a scenario that can drive this firmware's route
exists: the reason text says what is missing). When the profile meets no proof, the item is
NOT PROVABLE with this profile, with the reason; it is never PASS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hil.profile.model import Profile, Route

Proof = tuple[str, ...]

# item -> alternative proofs. A patterns+oracle proof names both (the runner then checks both
# routes, and either failing fails the item).
PROOFS: Mapping[int, Sequence[Proof]] = {
    1: (("library",), ("pattern:UPGRADE", "pattern:CONFIRMED", "oracle:image", "oracle:trailer")),
    2: (("library",), ("pattern:DOWNLOAD", "pattern:DOWNLOAD_RESUME")),
    3: (("library",), ("pattern:UPGRADE", "pattern:CONFIRMED", "oracle:image")),
    4: (("library",), ("pattern:SELF_TEST_FAIL", "pattern:ROLLBACK", "oracle:image")),
    5: (("library",), ("pattern:RESCUE", "pattern:RECOVERY_REJECTED", "oracle:image")),
    6: (("library",), ("pattern:REJECTED", "oracle:image")),
    7: (("library",), ("pattern:MANIFEST_REJECTED",)),
    8: (("library",), ("pattern:DOWNGRADE", "oracle:image")),
    9: (("library",), ("pattern:BELOW_FLOOR", "oracle:image")),
    10: (("library",), ("pattern:REJECTED", "oracle:image", "keys:revoked")),
    11: (("library",), ("oracle:image", "oracle:trailer")),
    12: (("library",), ("oracle:trailer", "oracle:image")),
    13: (("library",), ("oracle:write-gating", "oracle:image", "pattern:WRITE_GATED")),
    14: (("library",), ("pattern:ROLLBACK", "oracle:image", "oracle:reset-cause")),
    15: (("library",), ("classes:failures",)),
}

# why a requirement can be missing, shown in the report
WHY: Mapping[str, str] = {
    "pattern:DOWNLOAD_RESUME": "the firmware's log shows no download resume after a reboot "
    "(and the oracle cannot see one)",
    "keys:revoked": "the profile lists no revoked key (keys.revoked)",
    "pattern:MANIFEST_REJECTED": "the image format has no manifest of its own to tamper with",
    "classes:failures": "the console patterns do not declare the failure classes item 15's "
    "episodes show (evidence.patterns[].class covering state, crypto/package and "
    "power/brownout; spec section 4), so those failures cannot be classified from this "
    "profile's evidence",
}

# the failure classes item 15's case checks (hil.matrix.profile_items.CLASSIFY_EPISODES)
CLASSIFIED = frozenset({"state", "crypto/package", "power/brownout"})

# scenarios the profile runner has (hil.matrix.profile_items)
SCENARIOS: frozenset[str] = frozenset()  # none yet: see WHY


def _met(req: str, profile: Profile) -> bool:
    kind, _, name = req.partition(":")
    if kind == "library":
        return Route.LIBRARY in profile.routes
    if kind == "pattern":
        return Route.PATTERNS in profile.routes and name in profile.pattern_events()
    if kind == "oracle":
        return Route.ORACLE in profile.routes and name in {c.value for c in profile.oracle_checks()}
    if kind == "keys":  # keys:revoked: the profile names a key the firmware must refuse
        return bool(profile.keys.revoked)
    if kind == "classes":  # classes:failures: patterns declare the classes item 15 checks
        declared = {c for cs in profile.failure_classes().values() for c in cs}
        return Route.PATTERNS in profile.routes and declared >= CLASSIFIED
    if kind == "scenario":
        return name in SCENARIOS
    raise ValueError(f"unknown requirement {req!r}")


def provable(item: int, profile: Profile) -> tuple[Proof | None, str]:
    """(the first proof the profile meets, "") or (None, the reason it meets none)."""
    missing: list[str] = []
    for proof in PROOFS[item]:
        lack = [r for r in proof if not _met(r, profile)]
        if not lack:
            return proof, ""
        if proof != ("library",):
            missing += lack
    if not missing:
        return None, "needs the evidence library (the profile's routes: " + ", ".join(
            r.value for r in profile.routes
        ) + ")"
    why = [WHY.get(m, f"the profile lacks {m}") for m in dict.fromkeys(missing)]
    return None, "; ".join(why)
