"""Exhaustive test of the boot decision table (bootsel_decide) over every combination of its
inputs, against an independent Python oracle, plus properties that must hold whatever the
table says; and the app/updater paths (install, confirm, reject, upload progress)."""

from __future__ import annotations

import ctypes
import itertools
from ctypes import byref

import pytest
from cmeta import (
    ACT_BOOT,
    ACT_RESCUE,
    EV_META,
    EV_PHASE,
    EV_RESCUE,
    EV_ROLLBACK,
    EV_SLOT_TRANSITION,
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
    Event,
    Input,
    MetaRecord,
    Output,
    Path_,
)

N = 3
FLOOR, BUILD_ACTIVE, BUILD_OTHER = 5, 5, 7
FLOOR_STAGED = 3  # the record floor while a bump to BUILD_ACTIVE is staged
ID_ACTIVE, ID_OTHER = 0x1111, 0x2222
INVALID, MATCH, MISMATCH = 0, 1, 2
ROWS = [
    "rescue-request",
    "adopt",
    "no-meta-rescue",
    "trial",
    "confirmed",
    "rollback",
    "rollback-rescue",
    "nothing-rescue",
]
PC = ["none", "ready", "exhausted", "invalid", "inconsistent", "below-floor"]
REASON = {"exhausted": 0, "invalid": 2, "inconsistent": 3, "below-floor": 4}


def make_record(
    active: int, other_state: int, nxt: int, attempts: int, staged: int = 0
) -> MetaRecord:
    """staged=1: a confirm staged a floor bump that was not committed yet (floor 3 <
    floor_next 5 == the active build)."""
    o = active ^ 1
    r = MetaRecord()
    r.generation, r.floor, r.active, r.next = 41, FLOOR_STAGED if staged else FLOOR, active, nxt
    r.floor_next = BUILD_ACTIVE if staged else 0
    r.state[active], r.state[o] = ST_CONFIRMED, other_state
    r.attempts[active], r.attempts[o] = 0, attempts
    r.up_slot = SLOT_NONE
    r.build[active], r.build[o] = BUILD_ACTIVE, BUILD_OTHER
    r.image_id[active], r.image_id[o] = ID_ACTIVE, ID_OTHER
    return r


def oracle(
    mres: int, rec: MetaRecord, imgs: list[tuple[int, int, int]], anchor: int, rescue: int
) -> tuple[str, int | None, str]:
    """(row, slot booted or None, pending class)."""
    a, o = rec.active, rec.active ^ 1
    if mres == META_BOTH_INVALID:
        cands = [s for s in (0, 1) if imgs[s][0] and imgs[s][1] >= anchor]
        cand = max(cands, key=lambda s: (imgs[s][1], -s)) if cands else None
        if rescue:
            return "rescue-request", None, "none"
        return ("adopt", cand, "none") if cand is not None else ("no-meta-rescue", None, "none")
    floor = max(rec.floor, anchor)

    def matches(s: int) -> bool:
        return imgs[s][1] == rec.build[s] and imgs[s][2] == rec.image_id[s]

    cok = bool(imgs[a][0]) and matches(a) and imgs[a][1] >= floor
    pend, is_next = rec.state[o] == ST_PENDING, rec.next == o
    if not pend and not is_next:
        pc = "none"
    elif pend != is_next:
        pc = "inconsistent"
    elif rec.attempts[o] >= N:
        pc = "exhausted"
    elif not imgs[o][0]:
        pc = "invalid"
    elif not matches(o):
        pc = "inconsistent"
    elif imgs[o][1] < floor:
        pc = "below-floor"
    else:
        pc = "ready"
    if rescue:
        return "rescue-request", None, pc
    if pc == "ready":
        return "trial", o, pc
    if pc == "none":
        return ("confirmed", a, pc) if cok else ("nothing-rescue", None, pc)
    return ("rollback", a, pc) if cok else ("rollback-rescue", None, pc)


def image(slot_role: str, cls: int) -> tuple[int, int, int]:
    build, iid = (BUILD_ACTIVE, ID_ACTIVE) if slot_role == "active" else (BUILD_OTHER, ID_OTHER)
    if cls == INVALID:
        return (0, 0, 0)
    return (1, build, iid if cls == MATCH else iid ^ 0xFFFF)


def decide(lib: ctypes.CDLL, inp: Input) -> Output:
    out = Output()
    assert lib.bootsel_decide(byref(inp), byref(out)) == 0
    return out


def test_decision_table_exhaustive(metalib: ctypes.CDLL) -> None:
    lib = metalib
    seen_rows: set[str] = set()
    seen_pc: set[str] = set()
    count = 0
    seen_due = set()
    for (
        mres,
        active,
        ostate,
        nxt_other,
        attempts,
        ca,
        co,
        anchor,
        rescue,
        staged,
    ) in itertools.product(
        (META_OK, META_RECOVERED, META_BOTH_INVALID),
        (SLOT_A, SLOT_B),
        (ST_EMPTY, ST_STAGING, ST_PENDING, ST_FAILED),
        (0, 1),
        range(N + 1),
        (INVALID, MATCH, MISMATCH),
        (INVALID, MATCH, MISMATCH),
        (0, 4, 6, 8),
        (0, 1, 2),
        (0, 1),
    ):
        o = active ^ 1
        rec = make_record(active, ostate, o if nxt_other else active, attempts, staged)
        assert lib.meta_record_check(byref(rec)) == 1
        imgs = [(0, 0, 0), (0, 0, 0)]
        imgs[active], imgs[o] = image("active", ca), image("other", co)
        base = None
        for cause in range(6):
            inp = Input(
                meta_result=mres,
                meta_copy=SLOT_NONE if mres == META_BOTH_INVALID else 0,
                meta_generation=0 if mres == META_BOTH_INVALID else 41,
                rec=rec,
                anchor_floor=anchor,
                reset_cause=cause,
                rescue=rescue,
                max_attempts=N,
            )
            for s in (0, 1):
                inp.image[s].valid, inp.image[s].build, inp.image[s].image_id = imgs[s]
            out = decide(lib, inp)
            count += 1
            row, slot, pc = oracle(mres, rec, imgs, anchor, rescue)
            ctx = (
                f"{mres=} {active=} {ostate=} {nxt_other=} {attempts=} {ca=} {co=} "
                f"{anchor=} {rescue=} {cause=} {staged=}"
            )
            assert ROWS[out.row] == row, ctx
            if mres != META_BOTH_INVALID:
                assert PC[out.pending] == pc, ctx
            seen_rows.add(row)
            seen_pc.add(pc)
            check_properties(lib, inp, out, row, slot, ctx)
            seen_due.add(check_floor_due(lib, inp, out, imgs, ctx))
            snap = (out.action, out.slot, out.trial, out.commits, out.row, bytes(out.rec))
            if base is None:
                base = snap
            assert snap == base, f"decision depends on the reset cause: {ctx}"
    assert seen_rows == set(ROWS)
    assert seen_pc == set(PC)
    assert seen_due == {0, 1}
    assert count == 3 * 2 * 4 * 2 * (N + 1) * 3 * 3 * 4 * 3 * 2 * 6 == 248_832


def check_floor_due(
    lib: ctypes.CDLL, inp: Input, out: Output, imgs: list[tuple[int, int, int]], ctx: str
) -> int:
    """The bootloader's staged-floor completion (bootsel_floor_due on the record after the
    decision's commits) against an oracle: only a staged bump, only for the active CONFIRMED
    slot whose image verifies, matches the record and is >= the effective floor. Then the bump
    itself raises the floor to exactly that image's build and nothing else."""
    if out.commits:
        rec = out.rec
    elif inp.meta_result == META_BOTH_INVALID:  # what meta_load gives: the defaults
        rec = MetaRecord(active=SLOT_NONE, next=SLOT_NONE, up_slot=SLOT_NONE)
        rec.state[0] = rec.state[1] = ST_EMPTY
    else:
        rec = inp.rec
    due = lib.bootsel_floor_due(byref(inp), byref(rec))
    if ROWS[out.row] == "adopt":
        assert due == 0, f"adoption stages no floor bump: {ctx}"
    a = rec.active
    want = 0
    if lib.meta_record_check(byref(rec)) == 1 and rec.floor_next != 0:
        v, b, i = imgs[a]
        want = int(
            bool(v)
            and b == rec.build[a]
            and i == rec.image_id[a]
            and b >= max(rec.floor, inp.anchor_floor)
        )
    assert due == want, ctx
    if due:
        assert rec.state[a] == ST_CONFIRMED and imgs[a][0], "a bump for an unverified image"
        p = Path_()
        assert lib.bootsel_floor_bump(byref(rec), a, byref(p)) == 0, ctx
        assert (p.rec.floor, p.rec.floor_next) == (rec.build[a], 0), ctx
        assert p.rec.key()[1:11] == rec.key()[1:11] and p.n_events == 0, ctx
        assert lib.meta_record_check(byref(p.rec)) == 1, ctx
        assert lib.bootsel_floor_bump(byref(rec), a ^ 1, byref(p)) == -2, ctx
    return due


def check_properties(
    lib: ctypes.CDLL, inp: Input, out: Output, row: str, slot: int | None, ctx: str
) -> None:
    rec = inp.rec
    ev = [out.events[i] for i in range(out.n_events)]
    assert ev and ev[0].kind == EV_META and ev[0].result == inp.meta_result, ctx
    assert ev[0].generation == inp.meta_generation
    kinds = [e.kind for e in ev]
    if slot is None:
        assert out.action == ACT_RESCUE and kinds[-1] == EV_RESCUE, ctx
        assert ev[-1].cause == ({1: 0, 2: 1}[inp.rescue] if inp.rescue else 2)
    else:
        assert out.action == ACT_BOOT and out.slot == slot, ctx
        img = inp.image[slot]
        floor = inp.anchor_floor if row == "adopt" else max(rec.floor, inp.anchor_floor)
        assert img.valid and img.build >= floor, f"boots an unbootable image: {ctx}"
        assert EV_RESCUE not in kinds
    if out.commits:
        assert lib.meta_record_check(byref(out.rec)) == 1, ctx
        if row != "adopt":
            assert out.rec.floor == rec.floor, "the boot decision never moves the floor"
            assert out.rec.active == rec.active
    if row == "trial":
        o = rec.active ^ 1
        assert out.trial == 1 and out.commits == 1 and rec.attempts[o] < N
        assert out.rec.attempts[o] == rec.attempts[o] + 1
        assert out.fb_action != ACT_BOOT or out.fb_slot == rec.active
        t = ev[1]
        assert (t.kind, t.from_, t.to, t.slot, t.attempt) == (
            EV_SLOT_TRANSITION,
            4,
            5,
            o,
            rec.attempts[o] + 1,
        )
    else:
        assert out.trial == 0
    if row in ("rollback", "rollback-rescue"):
        o = rec.active ^ 1
        assert out.commits == 1 and out.rec.state[o] == ST_FAILED and out.rec.next == rec.active
        rb = ev[1]
        assert rb.kind == EV_ROLLBACK and rb.floor == max(rec.floor, inp.anchor_floor)
        assert rb.reason == REASON[PC[out.pending]]
        assert ev[2].kind == EV_SLOT_TRANSITION and ev[2].to == 8
    if row == "adopt":
        assert out.commits == 2 and out.rec.state[slot] == ST_CONFIRMED
        assert out.rec.floor == inp.anchor_floor and out.rec.floor_next == 0
    if out.commits and row != "adopt":
        assert out.rec.floor_next == rec.floor_next, "the decision never stages or drops a bump"
    if row == "confirmed":
        assert out.commits == (1 if inp.meta_result == META_RECOVERED else 0)
    if row in ("rescue-request", "nothing-rescue", "no-meta-rescue"):
        assert out.commits == 0


# ---- paths --------------------------------------------------------------------------------


def confirmed_a() -> MetaRecord:
    return make_record(SLOT_A, ST_EMPTY, SLOT_A, 0)


def test_upload_install_confirm_paths(metalib: ctypes.CDLL) -> None:
    lib = metalib
    p = Path_()
    off = ctypes.c_uint32(99)
    cur = confirmed_a()
    # never the confirmed slot; freshness
    assert lib.bootsel_upload_begin(byref(cur), SLOT_A, 1, 9, byref(p), byref(off)) == -3
    assert lib.bootsel_upload_begin(byref(cur), SLOT_B, 1, BUILD_ACTIVE, byref(p), byref(off)) == -4
    assert lib.bootsel_install(byref(cur), SLOT_A, 1, 9, byref(p)) == -3
    assert lib.bootsel_upload_begin(byref(cur), SLOT_B, 0x77, 9, byref(p), byref(off)) == 0
    r = p.rec
    assert (r.state[SLOT_B], r.up_slot, r.up_offset, r.up_image_id, r.up_build, r.next) == (
        ST_STAGING,
        SLOT_B,
        0,
        0x77,
        9,
        SLOT_A,
    )
    assert lib.meta_record_check(byref(r)) == 1
    assert (p.events[0].kind, p.events[0].to) == (EV_SLOT_TRANSITION, 1)
    cur = MetaRecord.from_buffer_copy(r)
    # install refused before it is the recorded upload; progress only forward
    assert lib.bootsel_install(byref(cur), SLOT_B, 0x78, 9, byref(p)) == -5
    assert lib.bootsel_upload_advance(byref(cur), SLOT_B, 0x77, 0, byref(p)) == -5
    assert lib.bootsel_upload_advance(byref(cur), SLOT_B, 0x78, 512, byref(p)) == -5
    assert lib.bootsel_upload_advance(byref(cur), SLOT_B, 0x77, 1024, byref(p)) == 0
    cur = MetaRecord.from_buffer_copy(p.rec)
    assert lib.bootsel_upload_rewind(byref(cur), SLOT_B, 0x77, 1024, byref(p)) == -5
    assert lib.bootsel_upload_rewind(byref(cur), SLOT_B, 0x77, 0, byref(p)) == 0
    # resume: same image -> NOOP with the recorded offset
    assert lib.bootsel_upload_begin(byref(cur), SLOT_B, 0x77, 9, byref(p), byref(off)) == 1
    assert off.value == 1024
    assert lib.bootsel_install(byref(cur), SLOT_B, 0x77, 9, byref(p)) == 0
    r = p.rec
    assert (r.state[SLOT_B], r.next, r.attempts[SLOT_B], r.build[SLOT_B], r.up_slot) == (
        ST_PENDING,
        SLOT_B,
        0,
        9,
        SLOT_NONE,
    )
    assert r.floor == FLOOR and r.active == SLOT_A, "install never touches floor / active"
    cur = MetaRecord.from_buffer_copy(r)
    cur.attempts[SLOT_B] = 2
    assert lib.bootsel_confirm(byref(cur), SLOT_A, byref(p)) == 1
    assert lib.bootsel_confirm(byref(cur), SLOT_B, byref(p)) == 0
    r = p.rec
    assert (r.active, r.next, r.state[SLOT_B], r.state[SLOT_A], r.floor, tuple(r.attempts)) == (
        SLOT_B,
        SLOT_B,
        ST_CONFIRMED,
        ST_EMPTY,
        FLOOR,  # the floor does not move in the confirm commit ...
        (0, 0),
    )
    assert r.floor_next == 9  # ... the bump to the confirmed build is staged
    assert lib.meta_record_check(byref(r)) == 1
    e = p.events[0]
    assert (e.kind, e.from_, e.to, e.slot, e.attempt) == (EV_SLOT_TRANSITION, 5, 6, SLOT_B, 2)
    # the staged floor bump: a commit of its own, only for the active (CONFIRMED) slot
    confirmed = MetaRecord.from_buffer_copy(r)
    assert lib.bootsel_floor_bump(byref(cur), SLOT_B, byref(p)) == -2  # B still PENDING
    assert lib.bootsel_floor_bump(byref(confirmed), SLOT_A, byref(p)) == -2
    assert lib.bootsel_floor_bump(byref(confirmed), SLOT_B, byref(p)) == 0
    assert (p.rec.floor, p.rec.floor_next, p.n_events) == (9, 0, 0)
    assert p.rec.key()[1:11] == confirmed.key()[1:11]
    bumped = MetaRecord.from_buffer_copy(p.rec)
    assert lib.bootsel_floor_bump(byref(bumped), SLOT_B, byref(p)) == 1  # nothing staged
    # records that stage a bump for anything but the active build above the floor are refused
    for floor, nxt in ((FLOOR, 8), (9, 9), (10, 9)):
        bad = MetaRecord.from_buffer_copy(confirmed)
        bad.floor, bad.floor_next = floor, nxt
        assert lib.meta_record_check(byref(bad)) == 0, (floor, nxt)
    assert lib.bootsel_reject(byref(cur), SLOT_B, byref(p)) == 0
    r = p.rec
    assert (r.state[SLOT_B], r.next, r.floor) == (ST_FAILED, SLOT_A, FLOOR)
    e = p.events[0]
    assert (e.kind, e.reason, e.candidate_build) == (EV_ROLLBACK, 1, 9)
    # confirm / reject of a non-pending slot
    cur.state[SLOT_B] = ST_FAILED
    cur.next = SLOT_A
    assert lib.bootsel_confirm(byref(cur), SLOT_B, byref(p)) == -2
    assert lib.bootsel_reject(byref(cur), SLOT_B, byref(p)) == -2


def test_names(metalib: ctypes.CDLL) -> None:
    lib = metalib
    assert [lib.bootsel_phase_name(i).decode() for i in range(10)] == [
        "IDLE",
        "DOWNLOADING",
        "VERIFYING",
        "STAGING",
        "PENDING",
        "BOOT_TEST",
        "CONFIRMED",
        "REJECTED",
        "ROLLBACK",
        "RESCUE",
    ]
    assert [lib.bootsel_reason_name(i).decode() for i in range(5)] == [
        "attempts",
        "self-test",
        "verify",
        "inconsistent",
        "below-floor",
    ]
    assert [lib.bootsel_cause_name(i).decode() for i in range(3)] == ["pin", "uart", "no-bootable"]
    assert [lib.bootsel_step_name(i).decode() for i in range(5)] == [
        "re_verify",
        "meta_commit",
        "confirm",
        "floor_bump",
        "unknown",
    ]
    names = [lib.meta_result_name(i).decode() for i in range(3)]
    assert names == ["ok", "recovered", "both-invalid"]


@pytest.mark.parametrize("bad", ["attempts0"])
def test_decide_rejects_bad_args(metalib: ctypes.CDLL, bad: str) -> None:
    inp = Input(meta_result=META_OK, rec=confirmed_a(), max_attempts=0)
    out = Output()
    assert metalib.bootsel_decide(byref(inp), byref(out)) == -1


def test_event_lines_parse(metalib: ctypes.CDLL) -> None:
    """Every event the paths emit formats into a valid evidence line (contracts §3) with the
    field names of ota-requirements §4."""
    from hil.evidence import parse_line

    cases = [
        (
            Event(kind=EV_META, result=META_RECOVERED, generation=17, copy=SLOT_B),
            "META",
            {"result": "recovered", "generation": "17", "copy": "B"},
        ),
        (
            Event(kind=EV_META, result=META_BOTH_INVALID, generation=0, copy=SLOT_NONE),
            "META",
            {"result": "both-invalid", "generation": "0", "copy": "none"},
        ),
        (
            Event(kind=EV_SLOT_TRANSITION, from_=4, to=5, slot=SLOT_B, attempt=2),
            "SLOT_TRANSITION",
            {"from": "PENDING", "to": "BOOT_TEST", "slot": "B", "attempt": "2"},
        ),
        (
            Event(kind=EV_ROLLBACK, reason=4, floor=9, candidate_build=8),
            "ROLLBACK",
            {"reason": "below-floor", "floor": "9", "candidate_build": "8"},
        ),
        (Event(kind=EV_RESCUE, cause=2), "RESCUE", {"cause": "no-bootable"}),
        *(
            (Event(kind=EV_PHASE, step=i), "PHASE", {"name": name})
            for i, name in enumerate(("re_verify", "meta_commit", "confirm", "floor_bump"))
        ),
    ]
    buf = ctypes.create_string_buffer(300)
    for ev, name, fields in cases:
        n = metalib.h_event_line(byref(ev), 5, buf, 300)
        assert n > 0
        line = buf.value.decode().rstrip("\r\n")
        parsed = parse_line(line)
        assert parsed.name == name and dict(parsed.fields) == fields
