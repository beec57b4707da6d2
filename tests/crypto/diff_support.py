"""Seeded generators for the differential tests: valid triples signed by `cryptography`
(RFC 6979), mutations of them, and cryptography's own verdict."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from crypto_support import CLib, N, P, i2b
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)

PREHASHED = ec.ECDSA(Prehashed(hashes.SHA256()))


@dataclass(frozen=True)
class Triple:
    pub: bytes  # X || Y
    digest: bytes
    r: int
    s: int


def special_digest(rng: random.Random) -> bytes:
    choice = rng.randrange(6)
    if choice == 0:
        return bytes(32)
    if choice == 1:
        return b"\xff" * 32  # >= n
    if choice == 2:
        return i2b(N)  # == 0 mod n
    if choice == 3:
        return i2b(rng.randrange(0, 2**224))  # small: e + n still fits in 256 bits
    if choice == 4:
        return i2b(rng.randrange(N, 2**256))
    return i2b(N - 1)


def make_triples(clib: CLib, seed: int, count: int) -> Iterator[Triple]:
    """Fresh key per triple; 90 % real messages (hashed by the C sha256), 10 % special
    digests signed prehashed. RFC 6979 signatures, so the run is deterministic."""
    rng = random.Random(seed)
    for _ in range(count):
        key = ec.derive_private_key(rng.randrange(1, N), ec.SECP256R1())
        pn = key.public_key().public_numbers()
        if rng.random() < 0.9:
            msg = rng.randbytes(rng.randrange(0, 100))
            digest = clib.sha256(msg)
            sig = key.sign(msg, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        else:
            digest = special_digest(rng)
            sig = key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256()), deterministic_signing=True))
        r, s = decode_dss_signature(sig)
        yield Triple(i2b(pn.x) + i2b(pn.y), digest, r, s)


def reference_verdict(t: Triple) -> tuple[bool, str]:
    """cryptography's verdict: (accepted, why)."""
    x, y = int.from_bytes(t.pub[:32], "big"), int.from_bytes(t.pub[32:], "big")
    try:
        key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except ValueError:
        return False, "key"
    if not (0 <= t.r < 2**256 and 0 <= t.s < 2**256):
        return False, "range"
    try:
        key.verify(encode_dss_signature(t.r, t.s), t.digest, PREHASHED)
    except InvalidSignature:
        return False, "sig"
    return True, "ok"


def flip(v: int, bit: int) -> int:
    return v ^ (1 << bit)


SPECIAL_SCALARS = [0, 1, N - 1, N, N + 1, P, 2**256 - 1]


def mutate(t: Triple, other: Triple, rng: random.Random) -> tuple[str, Triple]:
    kind = rng.randrange(14)
    pub, digest, r, s = t.pub, t.digest, t.r, t.s
    x, y = int.from_bytes(pub[:32], "big"), int.from_bytes(pub[32:], "big")
    if kind == 0:
        name, r = "flip_r", flip(r, rng.randrange(256))
    elif kind == 1:
        name, s = "flip_s", flip(s, rng.randrange(256))
    elif kind == 2:
        b = rng.randrange(256)
        name, digest = "flip_hash", i2b(flip(int.from_bytes(digest, "big"), b))
    elif kind == 3:
        name, pub = "flip_key", i2b(flip(x, rng.randrange(256))) + pub[32:]
    elif kind == 4:
        name, pub = "flip_key_y", pub[:32] + i2b(flip(y, rng.randrange(256)))
    elif kind == 5:
        name, r = "r_special", rng.choice(SPECIAL_SCALARS)
    elif kind == 6:
        name, s = "s_special", rng.choice(SPECIAL_SCALARS)
    elif kind == 7:
        name, s = "s_neg", N - s  # the malleable twin: valid
    elif kind == 8:
        name, r, s = "swap_rs", s, r
    elif kind == 9:
        name, pub = "other_key", other.pub
    elif kind == 10:
        name = "key_off_curve"
        pub = rng.choice(
            [
                i2b(x) + i2b((y + 1) % P),
                i2b((x + 1) % P) + i2b(y),
                bytes(64),
                i2b(P) + i2b(y),
                i2b(x) + i2b(P),
                i2b(x) + i2b(y + P) if y + P < 2**256 else i2b(2**256 - 1) + i2b(y),
                b"\xff" * 64,
            ]
        )
    elif kind == 11:
        name, pub = "key_negated", i2b(x) + i2b((P - y) % P)  # on the curve: -Q
    elif kind == 12:
        e = int.from_bytes(digest, "big")
        name = "hash_plus_n"
        digest = i2b(e + N) if e + N < 2**256 else i2b(e - N if e >= N else e ^ 1)
    else:
        name, r = "r_plus_n", r + N if r + N < 2**256 else r - 1
    return name, Triple(pub, digest, r, s)
