"""The Cortex-M33 build (arm-none-eabi-gcc -Os, UMAAL inline assembly) under Unicorn gives the
same verdicts as the host build: Wycheproof vectors plus a few differential triples, and the
stack stays within P256_VERIFY_STACK_MAX."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from crypto_support import CORE, CLib, c_verdict, expected_accept, i2b, load_wycheproof

m33_support = pytest.importorskip("m33_support")

# Default run: every 4th Wycheproof vector (about 190); the slow run does all 746.
DEFAULT_STRIDE = 4
# m33_check's own frame (digest, r, s + saved registers) on top of p256_verify's bound.
HARNESS_FRAME = 160


@pytest.fixture(scope="module")
def m33(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    if not m33_support.have_toolchain():
        pytest.skip("arm-none-eabi-gcc missing")
    return m33_support.M33(m33_support.build(tmp_path_factory.mktemp("crypto_m33")))


def stack_max_macro() -> int:
    m = re.search(r"#define P256_VERIFY_STACK_MAX (\d+)u", (CORE / "p256.h").read_text())
    assert m
    return int(m.group(1))


def run_wycheproof(m33, stride: int) -> int:  # type: ignore[no-untyped-def]
    ran = 0
    for kind in ("der", "p1363"):
        for v in load_wycheproof(kind)[::stride]:
            detail, _, stack = m33.check("D" if kind == "der" else "P", v.pub, v.msg, v.sig)
            assert (detail == 0) == expected_accept(v), (kind, v.tc_id, detail)
            assert stack <= stack_max_macro() + HARNESS_FRAME
            ran += 1
    return ran


def test_m33_wycheproof_sample(m33) -> None:  # type: ignore[no-untyped-def]
    assert run_wycheproof(m33, DEFAULT_STRIDE) > 150


@pytest.mark.slow
def test_m33_wycheproof_all(m33) -> None:  # type: ignore[no-untyped-def]
    assert run_wycheproof(m33, 1) == 746


def test_m33_differential_sample(m33, clib: CLib) -> None:  # type: ignore[no-untyped-def]
    from diff_support import make_triples, mutate

    triples = list(make_triples(clib, 0x3333, 20))
    rng = random.Random(0x3334)
    cases = list(triples) + [mutate(t, triples[-1 - i], rng)[1] for i, t in enumerate(triples)]
    for t in cases:
        if t.r >= 2**256 or t.s >= 2**256:
            continue
        sig = i2b(t.r) + i2b(t.s)
        detail, _, _ = m33.check("H", t.pub, t.digest, sig)
        assert detail == c_verdict(clib, "p1363", t.pub, t.digest, sig)[1]


def test_m33_stack_bound_within_macro(tmp_path: Path) -> None:
    if not m33_support.have_toolchain():
        pytest.skip("arm-none-eabi-gcc missing")
    b = m33_support.build(tmp_path)
    bound, path = b.stack_bound("p256_verify")
    assert bound <= stack_max_macro(), path


def test_m33_sha256_dual_update(m33) -> None:  # type: ignore[no-untyped-def]
    """sha256_update2 on the target build: right digests for both contexts, and one message
    schedule per block for both (well under the cost of two sha256_update calls)."""
    import hashlib

    counting = m33_support.M33(m33.build, count_instructions=True)
    base = m33_support.BLOB
    c1, c2, out, data_at = base + 0x200, base + 0x300, base + 0x400, base + 0x1000
    data = random.Random(0x5A2).randbytes(4096)
    counting.uc.mem_write(data_at, data)
    counting.call("sha256_init", [c1])
    counting.call("sha256_init", [c2])
    _, dual, _ = counting.call("sha256_update2", [c1, c2, data_at, len(data)])
    counting.call("sha256_final", [c1, out])
    counting.call("sha256_final", [c2, out + 32])
    digest = hashlib.sha256(data).digest()
    assert bytes(counting.uc.mem_read(out, 64)) == digest + digest
    counting.call("sha256_init", [c1])
    _, single, _ = counting.call("sha256_update", [c1, data_at, len(data)])
    counting.call("sha256_final", [c1, out])
    assert bytes(counting.uc.mem_read(out, 32)) == digest
    assert dual < 0.85 * 2 * single, (dual, single)  # about 0.78 with gcc -Os
