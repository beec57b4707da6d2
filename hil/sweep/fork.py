"""Snapshot and continue with ``fork()``: the whole emulated machine (CPU, RAM, flash cells,
peripheral models, the harness's SMP client mid-request) is copied at the point, the child
takes the fault and recovers, the parent carries on with the clean run. The SMP client runs
without an event loop (``hil.link.smp_session.drive``), so the child continues plain Python
frames and nothing process-bound has to be adopted after the fork.

``ForkPool.spawn(tag)`` returns True in the child (which must end with ``child_exit``) and
False in the parent; at most ``workers`` children run at once (the parent waits for one to
end before forking another). Children report through files (``result_path(tag)``), so a child
that dies still leaves its exit status, and nothing blocks on a pipe.

``SerialPool`` (``hil sweep --workers 1``) has the same interface without ``fork()``, so that
one point can be profiled in one process: the sweep pass runs again from the start for each
point (execution is deterministic: the point meets the state the forked child meets),
``spawn`` makes the process the point's child when the run reaches the point's cut path, and
``child_exit`` writes the result and unwinds the run (``PointDone``). The flow's Python stack
(the SMP client mid-request) is part of a point's state, which is why a point is reached by
running up to it rather than by restoring an engine snapshot: results are identical to the
forked sweep's, at the cost of one update prefix per point.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, Protocol

from hil.errors import HilError


class ChildResult(Protocol):
    """What a child reports: a typed result with its dict form."""

    def as_dict(self) -> dict[str, Any]: ...


class ForkError(HilError):
    """A sweep child could not be started or ended without its result."""


class PointDone(BaseException):  # noqa: N818 - a control-flow signal, not an error
    """Serial mode: the point's result is written; unwind the run that reached it."""


class _ResultFiles:
    """Where children leave their results (one JSON file per tag)."""

    serial = False

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.lost: dict[str, str] = {}  # tag -> why a child gave no result
        self.spawned = 0
        self.fork_t0 = 0.0
        self._kept: dict[str, ChildResult] = {}  # ``keep``
        self.in_child = False  # a forked child of the sweep (ForkPool.spawn)
        self.waited_s = 0.0  # time spent waiting for a child to end (not this process's work)
        self.spawn_waited_s = 0.0  # of which in ``spawn`` (inside an engine run's hook)

    def result_path(self, tag: str) -> Path:
        return self.workdir / f"{tag}.json"

    def keep(self, tag: str, result: ChildResult) -> None:
        """A result this process decided itself (no child of its own): kept in memory, or
        written when this process is itself a child (its parent collects the files)."""
        if self.in_child:
            self.write(tag, result)
        else:
            self._kept[tag] = result

    def kept(self, tag: str) -> ChildResult | None:
        return self._kept.get(tag)

    def write(self, tag: str, result: ChildResult) -> None:
        path = self.result_path(tag)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(result.as_dict(), sort_keys=True), encoding="utf-8")
        tmp.replace(path)

    def load(self, tag: str) -> dict[str, Any] | None:
        """A child's result file (its ``as_dict``), None when the child left none."""
        path = self.result_path(tag)
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data


class ForkPool(_ResultFiles):
    def __init__(self, workdir: Path, workers: int) -> None:
        if not hasattr(os, "fork"):
            raise ForkError("the sweep snapshots with fork(): expected a POSIX system")
        super().__init__(workdir)
        self.workers = max(1, workers)
        self._active: dict[int, str] = {}

    def spawn(self, tag: str) -> bool:
        t0 = time.perf_counter()
        while len(self._active) >= self.workers:
            self._reap(block=True)
        waited = time.perf_counter() - t0
        self.waited_s += waited
        self.spawn_waited_s += waited
        sys.stdout.flush()
        sys.stderr.flush()
        if not self.spawned:
            gc.freeze()  # the clean run's objects: the children never scan (and copy) them
        self.fork_t0 = time.perf_counter()  # a child's life starts here (not while waiting)
        with warnings.catch_warnings():
            # pytest-xdist workers have threads; the child only emulates, writes a file and
            # leaves with os._exit, so it never touches another thread's locks
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            self.in_child = True
            self._active.clear()
            self.waited_s = self.spawn_waited_s = 0.0
            gc.disable()  # a short life: no collector pass touching every page
            for sig in (signal.SIGINT, signal.SIGTERM):  # a signal ends a child at once; the
                signal.signal(sig, signal.SIG_DFL)  # parent stops the sweep (``abort``)
            return True
        self._active[pid] = tag
        self.spawned += 1
        return False

    def child_exit(self, tag: str, result: ChildResult) -> NoReturn:
        """Write the child's result and leave at once (no atexit, no pytest teardown)."""
        code = 0
        try:
            self.write(tag, result)
        except BaseException:  # noqa: BLE001 - the parent records the lost result
            code = 3
        os._exit(code)

    def _reap(self, block: bool) -> bool:
        try:
            pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self._active.clear()
            return False
        if pid == 0:
            return False
        tag = self._active.pop(pid, None)
        if tag is not None and not self.result_path(tag).exists():
            self.lost[tag] = _status_text(status)
        return True

    def drain(self) -> None:
        """Wait for every child."""
        t0 = time.perf_counter()
        while self._active:
            self._reap(block=True)
        self.waited_s += time.perf_counter() - t0

    def abort(self) -> None:
        """Stop at once (the sweep was interrupted): kill this pool's running children (by
        their pid) and reap them."""
        for pid in list(self._active):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in list(self._active):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self._active.pop(pid, None)

    def close(self) -> None:
        """Wait for every child and give the frozen objects back to the collector."""
        self.drain()
        if self.spawned:
            gc.unfreeze()

    def run_apart(self, tag: str, work: Callable[[], ChildResult]) -> None:
        """``work`` in a child of its own (its result under ``tag``)."""
        if self.spawn(tag):
            self.child_exit(tag, work())


class SerialPool(_ResultFiles):
    """``--workers 1``: the points run one after the other in this process (module doc)."""

    serial = True
    workers = 1

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self._path: list[str] = []  # the tags still to become the child at, in order

    def aim(self, path: list[str]) -> None:
        """The next run becomes the child at these tags (a point's cut path), in order."""
        self._path = list(path)

    def spawn(self, tag: str) -> bool:
        if not self._path or tag != self._path[0]:
            return False
        self._path.pop(0)
        self.spawned += 1
        self.fork_t0 = time.perf_counter()
        return True

    def child_exit(self, tag: str, result: ChildResult) -> NoReturn:
        self.write(tag, result)
        raise PointDone(tag)

    def run_apart(self, tag: str, work: Callable[[], ChildResult]) -> None:
        self.write(tag, work())

    def drain(self) -> None:
        return None

    def abort(self) -> None:
        return None

    def close(self) -> None:
        return None


Pool = ForkPool | SerialPool


def _status_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"the child died of signal {os.WTERMSIG(status)}"
    return f"the child exited with status {os.WEXITSTATUS(status)} without a result"


__all__ = ["ChildResult", "ForkError", "ForkPool", "PointDone", "Pool", "SerialPool"]
