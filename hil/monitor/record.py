"""A monitor session as a replay record (``hil.record``): scenario ``monitor`` whose args are
the commands that acted on the device, in order. ``hil replay`` runs them again in a fresh
session with the record's engine and seed (``run_commands``) and compares the console
transcript of every device the session made, byte for byte."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hil.monitor.commands import execute
from hil.monitor.session import MonitorError, Session
from hil.record import ReplayRecord, write_record

SCENARIO = "monitor"


def session_record(session: Session) -> ReplayRecord:
    """The record of what the session did so far (it must have loaded a target)."""
    if session.unrecordable is not None:
        raise MonitorError(f"record: this session cannot be replayed: {session.unrecordable}")
    if not session.devices or session.target is None:
        raise MonitorError("record: nothing to record; load a target first")
    first = session.devices[0]
    load = next(c for c in session.recorded if c.split()[0] == "load")
    t = session.target
    return ReplayRecord(
        platform=first.platform.name,
        engine=session.engine_name,
        seed=session.seed,
        scenario=SCENARIO,
        args={"commands": list(session.recorded)},
        app_build=1,
        defines=dict(t.defines) if len(session.devices) == 1 else {},
        hashes=first.factory.provenance() if len(session.devices) == 1 else {},
        fault_plan=None,
        digest=session.digest(),
        fired=tuple(session.fired()),
        source=f"monitor session ({load})",
    )


def save_session(session: Session, path: Path) -> ReplayRecord:
    rec = session_record(session)
    write_record(rec, path)
    return rec


def run_commands(
    commands: Sequence[str], *, engine: str, seed: int, log_dir: Path | None = None
) -> tuple[Session, str | None]:
    """Run recorded commands in a fresh session; the session (to read its transcript and
    faults; the caller closes it) and the first error reply, if any."""
    session = Session(engine=engine, seed=seed, log_dir=log_dir)
    for line in commands:
        reply = execute(session, line)
        if not reply.ok:
            return session, f"{line}: {reply.text}"
    return session, None


__all__ = ["SCENARIO", "run_commands", "save_session", "session_record"]
