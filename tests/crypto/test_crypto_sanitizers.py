"""The Wycheproof sets plus a differential sample through a C driver built with
-fsanitize=address,undefined (no recovery): same verdicts, no sanitizer report."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest
from crypto_support import (
    CLib,
    build_sanitizer_driver,
    c_verdict,
    expected_accept,
    i2b,
    load_wycheproof,
)
from diff_support import make_triples, mutate, reference_verdict


def hx(b: bytes) -> str:
    return b.hex() if b else "-"


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sanitizer_driver(tmp_path_factory.mktemp("crypto_asan"))


def run_driver(driver: Path, lines: list[str], tmp: Path) -> list[tuple[int, int]]:
    vec = tmp / "vectors.txt"
    vec.write_text("".join(line + "\n" for line in lines))
    env = dict(
        os.environ,
        ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
    )
    proc = subprocess.run(
        [str(driver), str(vec)], capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "runtime error" not in proc.stderr and "Sanitizer" not in proc.stderr, proc.stderr
    out = [tuple(int(x) for x in line.split()) for line in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    return out  # type: ignore[return-value]


def test_wycheproof_under_sanitizers(
    driver: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vectors = load_wycheproof("der") + load_wycheproof("p1363")
    lines = [
        f"{'D' if v.kind == 'der' else 'P'} {hx(v.pub)} {hx(v.msg)} {hx(v.sig)}" for v in vectors
    ]
    out = run_driver(driver, lines, tmp_path)
    wrong = [
        (v.kind, v.tc_id)
        for v, (acc, _) in zip(vectors, out, strict=True)
        if bool(acc) != expected_accept(v)
    ]
    assert not wrong, wrong
    with capsys.disabled():
        print(f"\nsanitizer run: {len(vectors)} Wycheproof vectors, no reports")


def test_differential_sample_under_sanitizers(driver: Path, clib: CLib, tmp_path: Path) -> None:
    triples = list(make_triples(clib, 0x5A417, 300))
    rng = random.Random(0x5A418)
    lines, want = [], []
    for i in range(2000):
        t = triples[i % len(triples)]
        if i < len(triples):
            m = t
        else:
            _, m = mutate(t, triples[(i + 1) % len(triples)], rng)
        if m.r >= 2**256 or m.s >= 2**256:
            continue
        lines.append(f"H {hx(m.pub)} {hx(m.digest)} {hx(i2b(m.r) + i2b(m.s))}")
        want.append(reference_verdict(m)[0])
    out = run_driver(driver, lines, tmp_path)
    assert [bool(acc) for acc, _ in out] == want
    # and the host .so agrees with the sanitizer build on every detail code
    for line, (_, detail) in zip(lines, out, strict=True):
        _, pub, digest, sig = line.split()
        _, d = c_verdict(
            clib, "p1363", bytes.fromhex(pub), bytes.fromhex(digest), bytes.fromhex(sig)
        )
        assert d == detail
