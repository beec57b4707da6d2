"""SHA-256 (firmware_stubs/core/sha256.c): FIPS 180-4 examples, random lengths against hashlib,
incremental updates split at random points."""

from __future__ import annotations

import hashlib
import random

from crypto_support import CLib

FIPS_VECTORS = [
    (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    ),
    (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (
        b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
        b"lmnopqrsmnopqrstnopqrstu",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
    ),
]
MILLION_A = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"


def test_fips_examples(clib: CLib) -> None:
    for msg, digest in FIPS_VECTORS:
        assert clib.sha256(msg).hex() == digest
        assert clib.sha256_parts([msg]).hex() == digest


def test_one_million_a(clib: CLib) -> None:
    data = b"a" * 1_000_000
    assert clib.sha256(data).hex() == MILLION_A
    # the same through 1000-byte updates (not a multiple of the block size)
    assert clib.sha256_parts([b"a" * 1000] * 1000).hex() == MILLION_A


def test_block_boundaries(clib: CLib) -> None:
    # every length around the padding boundaries (55/56/63/64 mod 64)
    for n in range(0, 300):
        data = bytes((i * 7 + n) & 0xFF for i in range(n))
        assert clib.sha256(data) == hashlib.sha256(data).digest(), n


def test_random_lengths_against_hashlib(clib: CLib) -> None:
    rng = random.Random(0x5A256)
    for _ in range(2000):
        n = rng.choice([rng.randrange(0, 200), rng.randrange(0, 5000)])
        data = rng.randbytes(n)
        want = hashlib.sha256(data).digest()
        assert clib.sha256(data) == want, n
        cuts = sorted(rng.randrange(0, n + 1) for _ in range(rng.randrange(0, 6)))
        parts = [data[a:b] for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
        assert clib.sha256_parts(parts) == want, (n, cuts)
