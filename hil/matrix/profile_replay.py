"""Replay records of target-profile cases (issue 12): every case ``hil matrix --profile`` runs
writes one (scenario ``profile-case``, args ``item`` and ``case``); the record carries the
profile (name, file, SHA-256) and the SHA-256 of every firmware file it names, and its digest
is over the case's console transcript and evidence events. ``replay_profile`` re-runs the case
from its record, after checking the profile and the firmware are those it was made with."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from hil.evidence.event import Event
from hil.matrix.profile_items import CASES, ProfileCase, Run, run_case
from hil.profile import Profile, load_profile
from hil.record import ReplayError, ReplayRecord

SCENARIO = "profile-case"


def events_jsonl(evs: list[Event]) -> str:
    return "".join(json.dumps(e.as_dict(), sort_keys=True) + "\n" for e in evs)


def transcript(run: Run) -> bytes:
    """What a replay must reproduce byte for byte: the console, then the evidence events."""
    log = run.target.log if run.target is not None else ""
    return log.encode("utf-8") + b"\0" + events_jsonl(run.evidence).encode("utf-8")


def file_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def profile_record(profile: Profile, case: ProfileCase, seed: int, run: Run) -> ReplayRecord:
    return ReplayRecord(
        platform=profile.chip,
        engine="unicorn",
        seed=seed,
        scenario=SCENARIO,
        args={"item": case.item, "case": case.name},
        hashes=dict(sorted(profile.firmware_hashes().items())),
        profile={
            "name": profile.name,
            "file": str(profile.path),
            "sha256": file_sha256(profile.path),
        },  # fmt: skip
        digest=hashlib.sha256(transcript(run)).hexdigest(),
    )


@dataclass
class ProfileReplay:
    case_id: str
    profile: Profile
    expected_digest: str
    digest: str
    passed: bool
    reasons: list[str]

    @property
    def identical(self) -> bool:
        return self.digest == self.expected_digest


def check_profile(record: ReplayRecord, path: Path | None) -> Profile:
    """The record's profile (or ``path``, e.g. after the files moved), refused unless it and
    every firmware file it names hash as recorded (``ReplayError`` / ``ProfileError``)."""
    assert record.profile is not None
    p = path if path is not None else Path(record.profile["file"])
    got = file_sha256(p)
    if got != record.profile["sha256"]:
        raise ReplayError(
            record.source,
            "profile.sha256",
            f"the profile the record was made with (sha256 {record.profile['sha256']})",
            f"{p} with sha256 {got}",
        )
    profile = load_profile(p)
    if profile.chip != record.platform:
        raise ReplayError(record.source, "platform", f"{profile.chip} (the profile's chip)",
                          record.platform)  # fmt: skip
    recorded = set(record.hashes.values())
    for name, value in sorted(profile.firmware_hashes().items()):
        if value not in recorded:
            raise ReplayError(
                record.source,
                "hashes",
                "the firmware files the record was made with",
                f"{name} with sha256 {value} (rebuilt or changed since)",
            )
    return profile


def replay_profile(record: ReplayRecord, path: Path | None = None) -> ProfileReplay:
    profile = check_profile(record, path)
    item, name = record.args.get("item"), record.args.get("case")
    found = next((c for c in CASES if (c.item, c.name) == (item, name)), None)
    if found is None:
        known = ", ".join(f"{c.item}/{c.name}" for c in CASES)
        raise ReplayError(record.source, "scenario.args", f"item/case one of {known}",
                          f"{item}/{name}")  # fmt: skip
    ok, reasons, run = run_case(found, profile, record.seed)
    digest = hashlib.sha256(transcript(run)).hexdigest()
    return ProfileReplay(record.case_id, profile, record.digest, digest, ok, reasons)
