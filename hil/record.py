"""Replay records: every case writes one; ``hil replay RECORD`` reproduces it byte for byte.

A record (JSON) holds everything that determines a case: platform, engine, seed, the firmware
build (``app_build`` and build flags), the hashes of what was programmed (``FactoryImage.
provenance``), the scenario (name + args; ``install-package`` takes an explicit package spec:
build, slot, key, variant, self_test; ``monitor`` takes ``commands``, the monitor commands
of a ``hil monitor`` session), and the fault plan in its dict form (``plan_dict``). Its
``evidence`` part (SHA-256 of the console transcript, the faults that fired) is what a replay
must reproduce. The case ID is the first 12 hex digits of SHA-256 over the canonical JSON of the
record without ``case_id`` and ``evidence`` (littlefs style: a failing power-loss case has an
ID that replays it exactly).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hil.errors import FieldError
from hil.faults.plan import FIRED_KINDS, FaultPlan, FiredFault, parse_plan
from hil.scenarios import SCENARIOS

SCHEMA = 1
# the scenarios only ``hil.replay`` runs; ``profile-case`` (args ``item``, ``case``): a matrix
# case of a target profile judged by patterns and the oracle (``hil.matrix.profile_replay``)
BUILTIN = ("console-flash", "install-package", "monitor", "profile-case")
PROFILE_KEYS = ("name", "file", "sha256")


class ReplayError(FieldError):
    """A record is malformed or no longer matches what it describes (file, field, expected,
    found)."""


def known_scenarios() -> tuple[str, ...]:
    return (*BUILTIN, *SCENARIOS)


# -- the record ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReplayRecord:
    platform: str
    engine: str
    seed: int
    scenario: str
    args: dict[str, Any] = field(default_factory=dict)
    app_build: int = 1
    defines: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # FactoryImage.provenance()
    fault_plan: dict[str, Any] | None = None
    digest: str = ""  # SHA-256 of the console transcript (evidence)
    fired: tuple[FiredFault, ...] = ()  # faults that fired (evidence)
    schema: int = SCHEMA
    source: str = "<record>"
    # a target-profile case (``profile-case``): the profile's name, file and SHA-256; then
    # ``hashes`` holds the SHA-256 of every firmware file the profile names
    profile: dict[str, str] | None = None

    def identity(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "platform": self.platform,
            "engine": self.engine,
            "seed": self.seed,
            "firmware": {
                "app_build": self.app_build,
                "defines": dict(sorted(self.defines.items())),
            },
            "hashes": dict(sorted(self.hashes.items())),
            "scenario": {"name": self.scenario, "args": self.args},
            "fault_plan": self.fault_plan,
        } | ({"profile": dict(sorted(self.profile.items()))} if self.profile is not None else {})

    @property
    def case_id(self) -> str:
        canon = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()[:12]

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            **self.identity(),
            "evidence": {"digest": self.digest, "fired": [f.as_dict() for f in self.fired]},
        }

    def plan(self) -> FaultPlan | None:
        if self.fault_plan is None:
            return None
        return parse_plan(self.fault_plan, f"{self.source} (fault_plan)")


def write_record(record: ReplayRecord, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(record.as_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return p


def _desc(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else f"{type(value).__name__} {value!r}"


class _Reader:
    def __init__(self, source: str, field: str, raw: object, keys: tuple[str, ...]) -> None:
        if not isinstance(raw, dict):
            raise ReplayError(source, field or "<root>", "a mapping", _desc(raw))
        extra = [k for k in raw if k not in keys]
        if extra:
            raise ReplayError(
                source,
                f"{field}.{extra[0]}" if field else str(extra[0]),
                f"only the known fields ({', '.join(keys)})",
                f"unknown field {extra[0]!r}",
            )
        self.source, self.field, self.raw = source, field, raw

    def get(self, key: str, kind: type | tuple[type, ...], expected: str) -> Any:
        path = f"{self.field}.{key}" if self.field else key
        if key not in self.raw:
            raise ReplayError(self.source, path, expected, "nothing (missing)")
        value = self.raw[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise ReplayError(self.source, path, expected, _desc(value))
        return value


def _hex_map(source: str, field: str, raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ReplayError(source, field, "a mapping of name -> SHA-256 hex", _desc(raw))
    for k, v in raw.items():
        if not isinstance(v, str) or len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
            raise ReplayError(source, f"{field}.{k}", "a SHA-256 hex digest", _desc(v))
    return dict(raw)


def _fired(source: str, field: str, raw: object) -> FiredFault:
    f = _Reader(source, field, raw, ("fault", "kind", "where", "instructions"))
    kind = f.get("kind", str, f"one of {', '.join(FIRED_KINDS)}")
    if kind not in FIRED_KINDS:
        raise ReplayError(source, f"{field}.kind", f"one of {', '.join(FIRED_KINDS)}", repr(kind))
    return FiredFault(
        f.get("fault", int, "a fault index"),
        kind,
        f.get("where", str, "where the fault fell"),
        f.get("instructions", int, "an instruction count"),
    )


def load_record(path: str | Path) -> ReplayRecord:
    """Read and validate a record; errors name the file, the field, expected and found."""
    p = Path(path)
    source = str(p)
    try:
        data: object = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReplayError(source, "<file>", "a readable record file", str(exc)) from None
    except json.JSONDecodeError as exc:
        raise ReplayError(source, "<file>", "valid JSON", str(exc)) from None
    keys = ("case_id", "schema", "platform", "engine", "seed", "firmware", "hashes")
    top = _Reader(source, "", data, (*keys, "scenario", "fault_plan", "evidence", "profile"))
    schema = top.get("schema", int, f"schema version {SCHEMA}")
    if schema != SCHEMA:
        raise ReplayError(source, "schema", f"schema version {SCHEMA}", str(schema))
    top.get("case_id", str, "a case ID")
    fw = _Reader(
        source, "firmware", top.get("firmware", dict, "a mapping"), ("app_build", "defines")
    )
    defines = fw.get("defines", dict, "a mapping of build flag -> integer")
    for k, v in defines.items():
        if not isinstance(v, int) or isinstance(v, bool):
            raise ReplayError(source, f"firmware.defines.{k}", "an integer", _desc(v))
    sc = _Reader(source, "scenario", top.get("scenario", dict, "a mapping"), ("name", "args"))
    name = sc.get("name", str, "a scenario name")
    known = known_scenarios()
    if name not in known:
        raise ReplayError(source, "scenario.name", f"one of {', '.join(known)}", repr(name))
    plan = top.raw.get("fault_plan")
    if "fault_plan" not in top.raw:
        raise ReplayError(source, "fault_plan", "a fault plan mapping or null", "nothing (missing)")
    if plan is not None:
        parse_plan(plan, f"{source} (fault_plan)")  # validates
    ev = _Reader(source, "evidence", top.get("evidence", dict, "a mapping"), ("digest", "fired"))
    digest = ev.get("digest", str, "a SHA-256 hex digest")
    _hex_map(source, "evidence", {"digest": digest})
    fired = [
        _fired(source, f"evidence.fired[{i}]", raw)
        for i, raw in enumerate(ev.get("fired", list, "a list of fired faults"))
    ]
    profile: dict[str, str] | None = None
    if "profile" in top.raw:
        pr = _Reader(source, "profile", top.raw["profile"], PROFILE_KEYS)
        profile = {
            "name": pr.get("name", str, "the profile's name"),
            "file": pr.get("file", str, "the profile's file"),
            "sha256": _hex_map(
                source, "profile", {"sha256": pr.get("sha256", str, "a SHA-256 hex digest")}
            )["sha256"],
        }
    if name == "profile-case" and profile is None:
        raise ReplayError(source, "profile", "the target profile of a profile-case", "nothing")
    return ReplayRecord(
        profile=profile,
        platform=top.get("platform", str, "a platform name"),
        engine=top.get("engine", str, "an engine name"),
        seed=top.get("seed", int, "an integer seed"),
        scenario=name,
        args=sc.get("args", dict, "a mapping of scenario arguments"),
        app_build=fw.get("app_build", int, "an integer build number"),
        defines=dict(defines),
        hashes=_hex_map(source, "hashes", top.get("hashes", dict, "a mapping")),
        fault_plan=plan,
        digest=digest,
        fired=tuple(fired),
        schema=schema,
        source=source,
    )


def recorded_case_id(path: str | Path) -> str | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    value = data.get("case_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


__all__ = [
    "BUILTIN",
    "PROFILE_KEYS",
    "SCHEMA",
    "ReplayError",
    "ReplayRecord",
    "known_scenarios",
    "load_record",
    "recorded_case_id",
    "write_record",
]
