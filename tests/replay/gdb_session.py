"""Replay a record halted at its fault, attach gdb-multiarch to the GDB server and read the PC
(shared by the replay tests and the sweep suite)."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path

from hil.engine.base import Engine
from hil.faults import Halt
from hil.gdb import GdbServer
from hil.record import load_record
from hil.replay import replay

GDB = shutil.which("gdb-multiarch")


def gdb_pc_at_fault(record: Path, wait_s: float = 300) -> tuple[int, Halt]:
    """The PC gdb-multiarch reads at the halt, and the halt the replay reported."""
    assert GDB is not None
    halts: list[Halt] = []
    ports: list[int] = []
    ready = threading.Event()

    def serve(engine: Engine, halt: Halt) -> None:
        halts.append(halt)
        server = GdbServer(engine, 0)
        ports.append(server.port)
        ready.set()
        server.serve(accept_timeout=60)

    rec = load_record(record)
    thread = threading.Thread(target=lambda: replay(rec, halt=True, on_halt=serve), daemon=True)
    thread.start()
    assert ready.wait(wait_s), "the replay never halted at the fault"
    args = [GDB, "-batch", "-nx", "-ex", "set architecture armv8-m.main"]
    args += ["-ex", f"target remote 127.0.0.1:{ports[0]}", "-ex", "info registers pc"]
    args += ["-ex", "detach"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    thread.join(60)
    pcs = re.findall(r"^pc\s+(0x[0-9a-f]+)", done.stdout, re.M)
    assert pcs, done.stdout + done.stderr
    return int(pcs[0], 16), halts[0]
