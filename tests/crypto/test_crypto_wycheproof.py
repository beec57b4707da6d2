"""Wycheproof ECDSA P-256 / SHA-256 vectors (DER and IEEE P1363 encodings) against
p256_der_to_rs + p256_verify, with the message hashed by the C sha256."""

from __future__ import annotations

import collections

import pytest
from crypto_support import (
    ACCEPTABLE_DECISION,
    P256_ERR_KEY,
    CLib,
    c_verdict,
    expected_accept,
    load_wycheproof,
)


@pytest.mark.parametrize("kind", ["der", "p1363"])
def test_wycheproof(
    clib: CLib,
    kind: str,
    record_property: pytest.RecordProperty,
    capsys: pytest.CaptureFixture[str],
) -> None:
    vectors = load_wycheproof(kind)
    results = collections.Counter(v.result for v in vectors)
    mismatches = []
    acceptable_seen = []
    for v in vectors:
        accepted, detail = c_verdict(clib, kind, v.pub, clib.sha256(v.msg), v.sig)
        assert detail != P256_ERR_KEY, f"tcId {v.tc_id}: Wycheproof keys are all valid"
        if v.result == "acceptable":
            acceptable_seen.append((v.tc_id, accepted))
        if accepted != expected_accept(v):
            mismatches.append((v.tc_id, v.result, v.flags, detail))
    assert not mismatches, mismatches
    # Acceptable vectors: our policy is reject; every such vector must be decided that way.
    assert all(acc == (ACCEPTABLE_DECISION == "accept") for _, acc in acceptable_seen)
    assert len(vectors) >= 250 and results["valid"] > 100 and results["invalid"] > 50
    record_property(f"wycheproof_{kind}_vectors", len(vectors))
    record_property(f"wycheproof_{kind}_results", dict(results))
    with capsys.disabled():
        print(
            f"\nwycheproof {kind}: {len(vectors)} vectors run ({dict(results)}), "
            f"acceptable: {len(acceptable_seen)} (decision: {ACCEPTABLE_DECISION})"
        )
