"""Differential test of p256_verify against `cryptography` (OpenSSL): 10,000 valid
key/message/signature triples (C must accept) and 10,000 mutated ones (C verdict ==
cryptography's verdict; keys cryptography refuses to load count as invalid). Seeded."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from crypto_support import P256_ERR_KEY, P256_ERR_RANGE, P256_OK, CLib, N, i2b
from diff_support import Triple, make_triples, mutate, reference_verdict

VALID_COUNT = 10_000
MUTATED_COUNT = 10_000


@pytest.fixture(scope="module")
def triples(clib: CLib) -> list[Triple]:
    return list(make_triples(clib, 0xD1FF, VALID_COUNT))


def test_valid_signatures_accepted(
    clib: CLib, triples: list[Triple], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = []
    for i, t in enumerate(triples):
        if clib.verify(t.pub, t.digest, i2b(t.r), i2b(t.s)) != P256_OK:
            bad.append(i)
    assert not bad, bad[:20]
    assert len(triples) == VALID_COUNT
    with capsys.disabled():
        print(f"\ndifferential: {len(triples)} valid triples accepted")


def test_mutated_match_reference(
    clib: CLib, triples: list[Triple], capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(0xBADC0DE)
    kinds: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    diffs = []
    for i in range(MUTATED_COUNT):
        t = triples[i % len(triples)]
        other = triples[(i * 7919 + 1) % len(triples)]
        name, m = mutate(t, other, rng)
        kinds[name] += 1
        want, why = reference_verdict(m)
        if m.r >= 2**256 or m.s >= 2**256:
            got, res = False, -1  # not representable in 32 bytes: the DER decoder rejects
        else:
            res = clib.verify(m.pub, m.digest, i2b(m.r), i2b(m.s))
            got = res == P256_OK
        verdicts[f"{'accept' if want else 'reject'}:{why}"] += 1
        if got != want:
            diffs.append((i, name, want, why, res))
        elif why == "key":
            assert res == P256_ERR_KEY, (i, name, res)
        elif not (1 <= m.r < N and 1 <= m.s < N) and res != -1:
            assert res == P256_ERR_RANGE, (i, name, res)
    assert not diffs, diffs[:20]
    assert sum(kinds.values()) == MUTATED_COUNT
    assert verdicts["accept:ok"] > 100 and verdicts["reject:key"] > 500
    with capsys.disabled():
        print(
            f"\ndifferential: {MUTATED_COUNT} mutated, verdicts {dict(verdicts)}, "
            f"kinds {dict(kinds)}"
        )
