"""The monitor (``hil monitor``): one command layer for stdin, TCP, scripts and Robot; bad input
gets a one-line error listing what exists and never ends the session; a session driven over
the TCP port (boot, run until ``PHASE meta_commit``, cut, power on, run until the outcome) is
saved as a replay record that ``hil replay`` reproduces byte for byte."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import hil
from hil.monitor import Session, execute
from hil.monitor.commands import COMMANDS
from hil.record import load_record

ROOT = Path(hil.__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture
def session() -> Iterator[Session]:
    s = Session()
    yield s
    s.close()


BAD = [
    ("frobnicate", "unknown command 'frobnicate'; commands: help, load"),
    ("power sideways", "unknown power state 'sideways'; known: on, off"),
    ("load nosuchchip", "unknown platform"),
    ("run for 10", "no target loaded; load one first"),
    ("run sideways", "unknown run mode 'sideways'; known: for, until"),
    ("cut at moon 3", "unknown point kind 'moon'; known: op, phase, symbol"),
    ("help nothing", "unknown command 'nothing'; commands:"),
    ("reset now", "unknown reset cause 'now'; known:"),
    ('run until line "unclosed', "cannot parse"),
]


@pytest.mark.parametrize(("line", "want"), BAD)
def test_bad_input_is_one_line_naming_what_exists(session: Session, line: str, want: str) -> None:
    reply = execute(session, line)
    assert not reply.ok
    assert reply.text.startswith("error: ") and "\n" not in reply.text
    assert want in reply.text, reply.text
    assert execute(session, "help").ok  # the session goes on


def test_bad_arguments_on_a_loaded_target(session: Session) -> None:
    assert execute(session, "load lpc55s69").ok
    for line, want in [
        ("run for 10", "powered off; power on first"),
        ("run until phase nowhere", "unknown phase 'nowhere'; known: download"),
        ("flash dump nowhere", "unknown flash area 'nowhere'; known: bootloader"),
        ("snapshot restore x", "unknown snapshot 'x'; known: (none)"),
        ("cut at op two", "op: expected a number"),
        ("upload 2 colour=red", "unknown option colour=; options: slot=, variant="),
        ("cut at symbol no_such_symbol", "unknown symbol 'no_such_symbol'"),
        ("brownout supply_mv=100", "powered off"),
    ]:
        reply = execute(session, line)
        assert not reply.ok and "\n" not in reply.text and want in reply.text, (line, reply.text)
    assert execute(session, "power on").ok
    assert "stopped at" in execute(session, "run until boot").text


def test_cut_at_a_flash_op_fires_and_flash_diff_shows_the_tear(session: Session) -> None:
    for line in ("load stm32u585", "power on", "run until boot", "snapshot save booted"):
        assert execute(session, line).ok, line
    assert execute(session, "upload 2").ok
    assert execute(session, "cut at op 3 op_kind=program").ok
    reply = execute(session, "run until outcome within=20000")
    assert "the power went off" in reply.text, reply.text
    fired = execute(session, "fired").text
    assert fired.startswith("fired: flash_op_cut at flash op") and "not fired" not in fired
    diff = execute(session, "flash diff booted").text
    assert re.search(r"\d+ page\(s\) differ from snapshot booted", diff), diff
    assert execute(session, "snapshot restore booted").ok
    assert execute(session, "flash diff booted").text == "flash identical to snapshot booted"


def test_script_stops_at_the_first_error_naming_the_line(tmp_path: Path) -> None:
    script = tmp_path / "s.hilmon"
    script.write_text("# a comment\nload stm32u585\nstatus\npower sideways\nstatus\n")
    done = subprocess.run(
        [sys.executable, "-m", "hil", "monitor", "--script", str(script)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert f"{script}:4: error: power: unknown power state 'sideways'" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.count("(hil) status") == 1


class Client:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=300)
        self.buf = b""
        self.read()  # banner and prompt

    def read(self) -> str:
        while not self.buf.endswith(b"(hil) "):
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError(f"connection closed; got {self.buf!r}")
            self.buf += data
        text, self.buf = self.buf[: -len(b"(hil) ")].decode(), b""
        return text.strip()

    def cmd(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\n")
        return self.read()


def test_tcp_session_cut_at_meta_commit_records_and_replays_identical(tmp_path: Path) -> None:
    record = tmp_path / "session.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hil", "monitor", "--platform", "stm32u585", "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert proc.stdout is not None
        port = 0
        for _ in range(5):
            m = re.search(r"monitor on 127\.0\.0\.1:(\d+)", proc.stdout.readline())
            if m:
                port = int(m.group(1))
                break
        assert port, "the monitor did not say its port"
        c = Client(port)
        assert c.cmd("power on") == "power on"
        assert "app BOOT slot=A build=1" in c.cmd("run until boot")
        # bad input over TCP: one line, and the session goes on
        bad = c.cmd("run until nonsense")
        assert bad.startswith("error: run: run until: expected outcome") and "\n" not in bad
        assert c.cmd("upload 2").startswith("queued upload of build 2 for slot B")
        hit = c.cmd("run until PHASE meta_commit")
        assert "stopped at event PHASE meta_commit: EV" in hit, hit
        assert c.cmd("cut") == "power cut"
        assert c.cmd("power on") == "power on"
        outcome = c.cmd("run until outcome")
        assert "outcome: RUNNING" in outcome and "build=1" in outcome, outcome
        assert "B=STAGING" in c.cmd("slots")  # the cut left slot B staged, never pending
        saved = c.cmd(f"record save {record}")
        assert saved.startswith("record ") and str(record) in saved
        c.sock.sendall(b"quit\n")
        c.sock.close()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0
    rec = load_record(record)
    assert rec.scenario == "monitor"
    assert rec.args["commands"][:2] == ["load stm32u585", "power on"]
    assert "run until nonsense" not in rec.args["commands"]  # failed commands did nothing
    done = subprocess.run(
        [sys.executable, "-m", "hil", "replay", str(record)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"evidence: identical (sha256 {rec.digest})" in done.stdout


def test_every_command_has_usage_and_help() -> None:
    for c in COMMANDS.values():
        assert c.usage.startswith(c.name) and c.help


NASTY = [
    "\x00\x01\x02",
    "run until",
    "run for -5",
    "run for lots",
    "flash dump 0xZZ",
    "flash",
    "cut at op -1",
    "cut at",
    "load stm32u585 build=abc",
    "load stm32u585 define=lower",
    "upload",
    "upload two",
    "snapshot",
    "gdb notaport",
    "record save",
    "record load x",
    "brownout at phase nowhere",
    "run until phase",
    "run until op x",
    "run until line (",
    "events many",
    "tail -1x",
    "reset " + "x" * 300,
    "power on extra=1",
]


def test_nasty_input_never_ends_the_session(session: Session) -> None:
    for loaded in (False, True):
        if loaded:
            assert execute(session, "load stm32u585").ok
        for line in NASTY:
            reply = execute(session, line)
            assert not reply.ok, (line, reply.text)
            assert reply.text.startswith("error: ") and "\n" not in reply.text, (line, reply)
            assert "Traceback" not in reply.text
    assert execute(session, "status").ok


def test_pause_from_another_connection_stops_a_long_run() -> None:
    import threading
    import time

    from hil.monitor.console import Console, serve_tcp

    session = Session()
    server, port = serve_tcp(Console(session), 0)
    try:
        a = Client(port)
        assert a.cmd("load stm32u585").startswith("loaded stm32u585")
        assert a.cmd("power on") == "power on"
        got: list[str] = []
        runner = threading.Thread(target=lambda: got.append(a.cmd("run for 3600000")))
        runner.start()
        time.sleep(2.0)
        b = Client(port)
        assert b.cmd("pause") == "paused"
        runner.join(timeout=120)
        assert not runner.is_alive(), "pause did not stop the run"
        assert got and got[0].startswith("paused (t="), got
        assert b.cmd("status").startswith("stm32u585: power on")
    finally:
        server.shutdown()
        session.close()


def test_flash_save_and_load_round_trip(session: Session, tmp_path: Path) -> None:
    saved = tmp_path / "flash.bin"
    for line in ("load lpc55s69", "snapshot save factory", "power on", "run until boot"):
        assert execute(session, line).ok, line
    assert execute(session, f"flash save {saved}").text.startswith("saved the flash")
    assert not execute(session, f"flash load {saved}").ok  # powered: refused, one line
    assert execute(session, "power off").ok
    assert execute(session, "snapshot restore factory").ok
    assert execute(session, f"flash load {saved}").ok
    dump = execute(session, "flash dump bootloader 32").text.splitlines()
    assert len(dump) == 2 and all(re.fullmatch(r"[0-9a-f]{8} ( [0-9a-f]{2}){16}", r) for r in dump)
    assert execute(session, "snapshot save loaded").ok
    assert execute(session, "flash diff loaded").text == "flash identical to snapshot loaded"
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"not a snapshot")
    bad = execute(session, f"flash load {garbage}")
    assert not bad.ok and "expected a flash snapshot of lpc55s69" in bad.text, bad.text
    # a session that loaded flash from a file cannot be recorded (the file is not in it)
    rec = execute(session, f"record save {tmp_path / 'r.json'}")
    assert not rec.ok and "cannot be replayed: flash contents were loaded" in rec.text


def test_profile_loads_its_chip_and_other_profiles_are_refused(session: Session) -> None:
    ref = ROOT / "profiles" / "reference-lpc55s69.yaml"
    swap = ROOT / "profiles" / "swap-lpc55s69.yaml"
    wrong = execute(session, f"load stm32u585 profile={ref}")
    assert not wrong.ok and "field 'chip': expected stm32u585" in wrong.text, wrong.text
    other = execute(session, f"load lpc55s69 profile={swap}")
    assert not other.ok and "field 'evidence.routes'" in other.text, other.text
    assert "\n" not in other.text
    assert execute(session, f"load lpc55s69 profile={ref}").ok
    done = subprocess.run(
        [sys.executable, "-m", "hil", "monitor", "--profile", str(swap)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "evidence.routes" in done.stderr and "Traceback" not in done.stderr
