"""Replay records: a flash-op cut case on lpc55s69 is recorded, replayed byte-identically,
refused when its firmware hash is wrong, differs when tampered, and halts for gdb-multiarch."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from hil.cli import main
from hil.platform import load_platform
from hil.record import ReplayError, load_record
from hil.replay import record_case, replay
from tests.integration.helpers import scratch_page
from tests.replay.gdb_session import gdb_pc_at_fault

PLATFORM = "lpc55s69"
PLAN = {"faults": [{"kind": "flash_op_cut", "op": 0, "op_kind": "erase"}]}
# after the cut the device powers up again: SRAM holds its seeded power-on pattern, which the
# peek shows (so the seed is part of the evidence)
ARGS = {
    "arm": "after_boot",
    "commands": ["erase", "!peek 20020000", "erase", "prog 12345678", "read"],
}
GDB = shutil.which("gdb-multiarch")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replay") / "case.json"
    record_case(PLATFORM, "console-flash", args=ARGS, seed=3, plan=PLAN, path=path)
    return path


def _edit(src: Path, dst: Path, change: dict[tuple[str, ...], object]) -> Path:
    data = json.loads(src.read_text())
    for keys, value in change.items():
        *parents, last = keys
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    dst.write_text(json.dumps(data))
    return dst


def test_record_has_case_id_and_fired_cut(recorded: Path) -> None:
    rec = load_record(recorded)
    data = json.loads(recorded.read_text())
    assert data["case_id"] == rec.case_id and len(rec.case_id) == 12
    assert {"boot.elf", "app.elf", "anchor", "slot_a"} <= set(rec.hashes)
    assert [f.kind for f in rec.fired] == ["flash_op_cut"]
    page = scratch_page(load_platform(PLATFORM))
    assert f"erase 0x{page:08x}" in rec.fired[0].where  # the console's erase, not the boot's
    assert rec.plan() is not None


def test_replay_is_byte_identical(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = replay(load_record(recorded))
    assert result.identical
    assert [f.kind for f in result.fired] == ["flash_op_cut"]
    assert main(["replay", str(recorded)]) == 0
    text = capsys.readouterr().out
    assert load_record(recorded).case_id in text and "identical" in text
    assert "flash_op_cut" in text


def test_changed_seed_differs(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tampered = _edit(recorded, tmp_path / "t.json", {("seed",): 4})
    assert main(["replay", str(tampered)]) == 1
    text = capsys.readouterr().out
    assert "DIFFERS" in text and "edited" in text


def test_wrong_firmware_hash_is_refused(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _edit(recorded, tmp_path / "bad.json", {("hashes", "app.elf"): "0" * 64})
    with pytest.raises(ReplayError, match=r"hashes\.app\.elf.*0{64}.*sha256 [0-9a-f]{64}"):
        replay(load_record(bad))
    assert main(["replay", str(bad)]) == 2
    assert "0" * 64 in capsys.readouterr().err


def test_malformed_record_names_field(recorded: Path, tmp_path: Path) -> None:
    bad = _edit(recorded, tmp_path / "m.json", {("seed",): "three"})
    with pytest.raises(ReplayError, match=r"m\.json: field 'seed': expected an integer seed"):
        load_record(bad)


@pytest.mark.skipif(GDB is None, reason="gdb-multiarch not installed (apt install gdb-multiarch)")
def test_gdb_halts_at_the_cut(recorded: Path) -> None:
    pc, halt = gdb_pc_at_fault(recorded, wait_s=120)
    assert pc == halt.pc
    # the halt is the very instant the recorded cut happened
    assert halt.instructions == load_record(recorded).fired[0].instructions
    assert "erase" in halt.fault


@pytest.mark.skipif(GDB is None, reason="gdb-multiarch not installed (apt install gdb-multiarch)")
def test_cli_gdb_mode_serves_the_halted_core(
    recorded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    import hil.commands.replay as command

    assert GDB is not None
    lines: list[str] = []
    monkeypatch.setattr(command, "out", lines.append)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(main(["replay", str(recorded), "--gdb", str(port)])),
        daemon=True,
    )
    thread.start()
    for _ in range(1200):
        if any("gdb server on" in line for line in lines) or not thread.is_alive():
            break
        threading.Event().wait(0.1)
    halted = [m for line in lines if (m := re.search(r"halted at .*: pc (0x[0-9a-f]+)", line))]
    assert halted, lines
    args = [GDB, "-batch", "-nx", "-ex", "set architecture armv8-m.main"]
    args += ["-ex", f"target remote 127.0.0.1:{port}", "-ex", "info registers pc"]
    args += ["-ex", "detach"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    thread.join(60)
    pcs = re.findall(r"^pc\s+(0x[0-9a-f]+)", done.stdout, re.M)
    assert pcs and int(pcs[0], 16) == int(halted[0].group(1), 16), done.stdout + done.stderr
    assert codes == [0]
