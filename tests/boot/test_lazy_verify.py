"""The bootloader verifies a slot only when the boot decision depends on it
(firmware_stubs/boot/bootplan.h, docs/contract-meta.md §6). Proof, over every combination of
the decision's inputs (the same space as tests/meta's exhaustive table test, plus records that
fail the structural check or stage a floor bump): lazy verification then ``bootsel_decide``
gives exactly the decision of ``bootsel_decide`` with both slots verified (action, slot, build,
commits, record, row, pending class, events, the trial fallback when the attempt commit fails,
and whether a staged floor bump is due), and it verifies no more than the table needs."""

from __future__ import annotations

import ctypes
import itertools
import shutil
import subprocess
import sys
from ctypes import POINTER, byref, c_int, c_uint8, c_uint32
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "meta"))

from cmeta import (  # noqa: E402
    META_BOTH_INVALID,
    META_OK,
    META_RECOVERED,
    SLOT_A,
    SLOT_B,
    SLOT_NONE,
    ST_CONFIRMED,
    ST_EMPTY,
    ST_FAILED,
    ST_PENDING,
    ST_STAGING,
    Input,
    MetaRecord,
    Output,
)

CORE = ROOT / "firmware_stubs" / "core"
BOOT = ROOT / "firmware_stubs" / "boot"
SOURCES = [
    BOOT / "bootplan.c",
    CORE / "bootsel.c",
    CORE / "meta.c",
    CORE / "crc32.c",
    CORE / "evidence.c",
    CORE / "fmt.c",
    Path(__file__).resolve().parent / "lazy_driver.c",
]
N = 3
BUILD_ACTIVE, BUILD_OTHER = 5, 7
ID_ACTIVE, ID_OTHER = 0x1111, 0x2222
INVALID, MATCH, MISMATCH, LOW = 0, 1, 2, 3
ROW_TRIAL, ROW_CONFIRMED, ROW_NOTHING = 3, 4, 7
ROW_ROLLBACK, ROW_ROLLBACK_RESCUE = 5, 6


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    if shutil.which("gcc") is None:
        pytest.skip("host gcc missing")
    out = tmp_path_factory.mktemp("lazy") / "liblazy.so"
    cmd = ["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-fPIC", "-shared"]
    cmd += [f"-I{CORE}", f"-I{BOOT}", "-o", str(out), *map(str, SOURCES)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    so = ctypes.CDLL(str(out))
    so.lazy_decide.restype = c_int
    so.lazy_decide.argtypes = [
        POINTER(Input),
        c_int,
        POINTER(Output),
        POINTER(c_uint8),
        POINTER(c_uint32),
        POINTER(c_int),
        POINTER(c_int),
    ]
    so.bootsel_decide.restype = c_int
    so.bootsel_decide.argtypes = [POINTER(Input), POINTER(Output)]
    return so


def record(
    active: int, other_state: int, nxt: int, attempts: int, ok: bool, staged: bool
) -> MetaRecord:
    o = active ^ 1
    r = MetaRecord()
    r.generation, r.floor, r.active, r.next = 41, 5, active, nxt
    if staged:  # a confirm whose floor bump commit was cut: floor_next = build[active] > floor
        r.floor, r.floor_next = 3, BUILD_ACTIVE
    r.state[active], r.state[o] = ST_CONFIRMED, other_state
    r.attempts[active], r.attempts[o] = 0, attempts
    r.up_slot = SLOT_NONE
    r.build[active], r.build[o] = BUILD_ACTIVE, BUILD_OTHER
    r.image_id[active], r.image_id[o] = ID_ACTIVE, ID_OTHER
    if not ok:
        r.attempts[active] = 1  # breaks meta_record_check: metadata not usable
    return r


def image(role: str, cls: int) -> tuple[int, int, int]:
    build, iid = (BUILD_ACTIVE, ID_ACTIVE) if role == "active" else (BUILD_OTHER, ID_OTHER)
    if cls == INVALID:
        return (0, 0, 0)
    if cls == LOW:
        return (1, 1, iid)  # verifies, below every floor, build differs from the record
    return (1, build, iid if cls == MATCH else iid ^ 0xFFFF)


def mv_of(mres: int, ok: bool) -> bool:
    """The decision table's mv (metadata usable) for the records built here."""
    return mres != META_BOTH_INVALID and ok


def snapshot(out: Output, with_fallback: bool) -> tuple[object, ...]:
    events = bytes(out.events)[: ctypes.sizeof(out.events[0]) * out.n_events]
    snap: tuple[object, ...] = (
        out.action,
        out.slot,
        out.trial,
        out.rescue_cause,
        out.build,
        out.commits,
        bytes(out.rec),
        out.row,
        out.pending,
        out.n_events,
        events,
    )
    return snap + ((out.fb_action, out.fb_slot) if with_fallback else ())


def test_lazy_verification_decides_as_eager(lib: ctypes.CDLL) -> None:
    count = 0
    rows: set[int] = set()
    for (
        mres,
        ok,
        staged,
        active,
        ostate,
        nxt_other,
        attempts,
        ca,
        co,
        anchor,
        rescue,
    ) in itertools.product(
        (META_OK, META_RECOVERED, META_BOTH_INVALID),
        (True, False),
        (False, True),
        (SLOT_A, SLOT_B),
        (ST_EMPTY, ST_STAGING, ST_PENDING, ST_FAILED),
        (0, 1),
        range(N + 1),
        (INVALID, MATCH, MISMATCH, LOW),
        (INVALID, MATCH, MISMATCH, LOW),
        (0, 6, 8),
        (0, 1, 2),
    ):
        o = active ^ 1
        rec = record(active, ostate, o if nxt_other else active, attempts, ok, staged)
        inp = Input(
            meta_result=mres,
            meta_copy=SLOT_NONE if mres == META_BOTH_INVALID else 0,
            meta_generation=0 if mres == META_BOTH_INVALID else 41,
            rec=rec,
            anchor_floor=anchor,
            reset_cause=0,
            rescue=rescue,
            max_attempts=N,
        )
        imgs = [(0, 0, 0), (0, 0, 0)]
        imgs[active], imgs[o] = image("active", ca), image("other", co)
        for s in (0, 1):
            inp.image[s].valid, inp.image[s].build, inp.image[s].image_id = imgs[s]
        ctx = (
            f"{mres=} {ok=} {staged=} {active=} {ostate=} {nxt_other=} {attempts=} {ca=} {co=} "
            f"{anchor=} {rescue=}"
        )

        eager = Output()
        assert lib.bootsel_decide(byref(inp), byref(eager)) == 0, ctx
        rows.add(eager.row)
        for commit_fails in (0, 1):
            lazy = Output()
            order = (c_uint8 * 2)()
            n = c_uint32()
            due, due_eager = c_int(), c_int()
            args = (byref(inp), commit_fails, byref(lazy), order, byref(n))
            assert lib.lazy_decide(*args, byref(due), byref(due_eager)) == 0, ctx
            verified = list(order[: n.value])
            # the staged floor bump after the decision reads the active slot's result too
            assert due.value == due_eager.value, f"floor bump lazy != eager: {ctx}"
            if staged and mv_of(mres, ok):
                assert active in verified, ctx
            # the fallback is only taken (and only needs to be right) when the commit failed
            fb = bool(commit_fails) or eager.row != ROW_TRIAL
            assert snapshot(lazy, fb) == snapshot(eager, fb), f"lazy != eager: {ctx}"
            count += 1

            # ... and no more verification than the table (and a staged bump) needs
            if rescue or staged:
                continue  # R1: planned as without; a staged bump adds the active slot
            if not mv_of(mres, ok):
                assert verified == [SLOT_A, SLOT_B], ctx  # cand: both, in slot order
            elif eager.row in (ROW_CONFIRMED, ROW_NOTHING):
                assert verified == [active], ctx  # nothing pending: the active slot only
            elif eager.row == ROW_TRIAL:
                want = [o, active] if commit_fails else [o]  # cok only for the fallback
                assert verified == want, ctx
            else:
                assert eager.row in (ROW_ROLLBACK, ROW_ROLLBACK_RESCUE), ctx
                assert sorted(verified) == [SLOT_A, SLOT_B], ctx
    assert rows == set(range(8))
    assert count == 3 * 2 * 2 * 2 * 4 * 2 * (N + 1) * 4 * 4 * 3 * 3 * 2
