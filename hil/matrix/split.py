"""The matrix's platforms side by side (``hil matrix --jobs N``): one forked worker per
platform, at most ``jobs`` at once, each running that platform's cases in order.

A case's evidence depends only on its platform, its firmware and the seed, never on what runs
beside it, so the evidence and the reports are the same as a run one platform after the other;
only the progress lines interleave. Each worker reports through a file (its finished cases, and
the case it was running when a signal stopped it), so a worker that dies still leaves its exit
status and nothing blocks on a pipe. The caller builds the firmware before (workers never build
concurrently).

Signals: the parent passes a SIGINT or SIGTERM on to the workers (a terminal's SIGINT reaches
them too: a worker acts on its first signal only). Each worker stops its case, writes what
finished, and the parent raises :class:`MatrixInterrupted` with every platform's finished cases,
in platform order, and every case that was running.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from hil.matrix.judgement import Judgement
from hil.matrix.runner import CaseRun, MatrixCase, MatrixInterrupted
from hil.platform.model import Platform
from hil.report.compliance import CaseResult
from hil.scenarios import ScenarioRun

RunPlatform = Callable[[Platform, int], list[CaseRun]]  # (platform, index offset) -> its runs


def run_split(platforms: Sequence[Platform], cases: Sequence[MatrixCase], run_one: RunPlatform,
              jobs: int) -> list[CaseRun]:  # fmt: skip
    """``run_one(platform, offset)`` (which runs ``cases`` on it, in order, numbering them from
    ``offset``: the cases of the platforms before it) for every platform in its own worker, at
    most ``jobs`` at once; the runs in platform order (module doc)."""
    with tempfile.TemporaryDirectory(prefix="hil-matrix-") as d:
        results = [Path(d) / f"{k}.pickle" for k in range(len(platforms))]
        active: dict[int, int] = {}  # pid -> platform index
        why = ""
        try:
            for k, plat in enumerate(platforms):
                while len(active) >= max(1, jobs):
                    active.pop(os.waitpid(-1, 0)[0], None)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _worker(run_one, plat, k * len(cases), results[k])
                active[pid] = k
            while active:
                active.pop(os.waitpid(-1, 0)[0], None)
        except KeyboardInterrupt as exc:  # SIGINT/SIGTERM to this process: pass it on
            why = str(exc) or "interrupted"
            for pid in active:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            _wait_all(active)
        return _collect(platforms, cases, results, why)


def _worker(run_one: RunPlatform, plat: Platform, offset: int, path: Path) -> None:
    """In the child: run the platform's cases, write them, leave at once."""
    _first_signal_only()
    code = 0
    try:
        try:
            out: tuple[object, ...] = ("done", [_portable(r) for r in run_one(plat, offset)])
        except MatrixInterrupted as stop:
            for sig in (signal.SIGINT, signal.SIGTERM):  # write what finished, undisturbed
                signal.signal(sig, signal.SIG_IGN)
            out = ("stopped", [_portable(r) for r in stop.done], stop.stopped, stop.why)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(out))
        tmp.replace(path)
    except BaseException as exc:  # noqa: BLE001 - the parent reports the missing result
        sys.stderr.write(f"hil matrix: the worker for {plat.name} failed: {exc!r}\n")
        code = 3
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _first_signal_only() -> None:
    """A worker may get a signal twice (a terminal's SIGINT to the group, then the parent's
    SIGTERM): the first stops its case as in a lone process, later ones are ignored, so they
    cannot land while it unwinds and writes what finished."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    seen: list[int] = []

    def once(signum: int, frame: FrameType | None) -> None:
        if seen:
            return
        seen.append(signum)
        handler = handlers[signal.Signals(signum)]
        if not callable(handler):
            raise KeyboardInterrupt(f"interrupted ({signal.Signals(signum).name})")
        handler(signum, frame)

    for sig in handlers:
        signal.signal(sig, once)


def _portable(run: CaseRun) -> tuple[Judgement, CaseResult]:
    """What crosses back to the parent: the judgement and the result (what the reports use);
    not the device (an emulator does not cross processes) nor the case (the parent has it)."""
    return run.judgement, run.result


def _wait_all(active: dict[int, int]) -> None:
    while active:
        try:
            active.pop(os.waitpid(-1, 0)[0], None)
        except ChildProcessError:
            return
        except KeyboardInterrupt:  # a second signal while the workers write: wait on
            continue


def _collect(
    platforms: Sequence[Platform], cases: Sequence[MatrixCase], results: Sequence[Path], why: str
) -> list[CaseRun]:
    done: list[CaseRun] = []
    stopped: list[CaseResult] = []
    for plat, path in zip(platforms, results, strict=True):
        if not path.exists():
            why = why or f"the worker running {plat.name} ended without its result"
            continue
        got = pickle.loads(path.read_bytes())
        done += [
            CaseRun(case, plat.name, ScenarioRun(case.scenario), judgement, result)
            for case, (judgement, result) in zip(cases, got[1], strict=False)
        ]
        if got[0] == "stopped":
            why = why or got[3]
            if got[2] is not None:
                stopped.append(got[2])
    if why or stopped:
        raise MatrixInterrupted(why or "interrupted", done, stopped[0] if stopped else None,
                                unfinished=stopped)  # fmt: skip
    return done


__all__ = ["run_split"]
