"""p256_der_to_rs: strict DER. Hand-written edge cases plus a seeded fuzz against
cryptography's decode_dss_signature (a strict DER parser): the C decoder accepts exactly
what it accepts, minus values that do not fit 32 bytes, and yields the same r and s."""

from __future__ import annotations

import random

import pytest
from crypto_support import CLib, N, i2b
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

OK = 0
ERR_SEQ, ERR_INT, ERR_ENCODING, ERR_TOO_LONG, ERR_TRAILING = -2, -3, -4, -5, -6


CASES = [
    # (hex, rc, r, s)
    ("3006020101020102", OK, 1, 2),
    ("3006020100020100", OK, 0, 0),  # zeros decode; p256_verify rejects them (range)
    ("300702020080020101", OK, 0x80, 1),  # sign byte needed
    ("300702020001020101", ERR_ENCODING, None, None),  # unneeded leading zero
    ("3006020180020101", ERR_ENCODING, None, None),  # negative
    ("30060201ff020101", ERR_ENCODING, None, None),  # negative
    ("3006020100020101" + "00", ERR_SEQ, None, None),  # trailing byte after the sequence
    ("3008020101020101" + "0000", ERR_TRAILING, None, None),  # trailing inside
    ("308106020101020101", ERR_SEQ, None, None),  # long-form sequence length
    ("3007028101010201 01".replace(" ", ""), ERR_INT, None, None),  # long-form int length
    ("30050200020101", ERR_INT, None, None),  # empty integer
    ("3006020101020201", ERR_INT, None, None),  # truncated second integer
    ("3006030101020101", ERR_INT, None, None),  # BIT STRING instead of INTEGER
    ("3106020101020101", ERR_SEQ, None, None),  # SET
    ("3003020101", ERR_INT, None, None),  # one integer only
    ("3000", ERR_INT, None, None),
    ("30", ERR_SEQ, None, None),
    ("", ERR_SEQ, None, None),
    ("3080020101020101" + "0000", ERR_SEQ, None, None),  # indefinite length (BER)
    ("3026" + "0221" + "00" + "ff" * 32 + "020101", OK, 2**256 - 1, 1),
    ("3027" + "0222" + "0000" + "ff" * 32 + "020101", ERR_ENCODING, None, None),
    ("3026" + "0221" + "01" + "00" * 32 + "020101", ERR_TOO_LONG, None, None),  # 2^256
    ("3025" + "0220" + "7f" + "ff" * 31 + "020101", OK, 2**255 - 1, 1),
    (
        "3046" + "0221" + "00" + "80" * 32 + "0221" + "00" + "ff" * 32,
        OK,
        int("80" * 32, 16),
        2**256 - 1,
    ),  # the longest valid encoding (72 bytes)
]


@pytest.mark.parametrize(("hexsig", "rc", "r", "s"), CASES)
def test_der_cases(clib: CLib, hexsig: str, rc: int, r: int | None, s: int | None) -> None:
    got_rc, got_r, got_s = clib.der_to_rs(bytes.fromhex(hexsig))
    assert got_rc == rc
    if rc == OK:
        assert r is not None and s is not None
        assert (got_r, got_s) == (i2b(r), i2b(s))
    else:
        assert got_r == got_s == b"\xee" * 32  # outputs untouched on error


def test_der_null_args(clib: CLib) -> None:
    assert clib.lib.p256_der_to_rs(None, 0, None, None) == -1


def reference(sig: bytes) -> tuple[int, int] | None:
    try:
        r, s = decode_dss_signature(sig)
    except ValueError:
        return None
    if r >= 2**256 or s >= 2**256:
        return None
    return r, s


def test_der_fuzz_against_cryptography(clib: CLib) -> None:
    rng = random.Random(0xDE5)
    accepted = rejected = 0
    for i in range(20_000):
        r = rng.choice(
            [
                rng.randrange(1, N),
                rng.randrange(1, 2 ** rng.randrange(1, 257)),
                2**255 + rng.randrange(2**255),
                rng.randrange(0, 256),
            ]
        )
        s = rng.choice([rng.randrange(1, N), rng.randrange(0, 2 ** rng.randrange(1, 257))])
        sig = bytearray(encode_dss_signature(r, s))
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            op = rng.randrange(5)
            pos = rng.randrange(len(sig) + 1)
            if op == 0 and pos < len(sig):
                sig[pos] ^= 1 << rng.randrange(8)
            elif op == 1:
                sig.insert(pos, rng.choice([0, 0x80, 0xFF, rng.randrange(256)]))
            elif op == 2 and pos < len(sig):
                del sig[pos]
            elif op == 3 and pos < len(sig):
                sig[pos] = rng.choice([0x00, 0x02, 0x30, 0x80, 0x81, 0x7F, 0xFF])
            else:
                sig += bytes([rng.randrange(256)])
        want = reference(bytes(sig))
        rc, gr, gs = clib.der_to_rs(bytes(sig))
        if want is None:
            assert rc < 0, (i, sig.hex())
            rejected += 1
        else:
            assert rc == 0, (i, sig.hex(), rc)
            assert (gr, gs) == (i2b(want[0]), i2b(want[1])), (i, sig.hex())
            accepted += 1
    assert accepted > 3000 and rejected > 3000
