"""Signing keys, keyring files and the trust anchor."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hil.errors import HilError
from hil.image.constants import ANCHOR_MAGIC
from hil.image.errors import AnchorError, KeyFileError, KeyringError
from hil.image.keyring import (
    KeyEntry,
    Keyring,
    KeyStatus,
    dump_keyring,
    load_keyring,
    parse_anchor,
    render_anchor,
)
from hil.image.keys import (
    derive_key,
    generate_key,
    key_id,
    keyhash,
    load_private_key,
    load_public_key,
    public_xy,
    save_private_key,
    save_public_key,
    spki_der,
)


def test_derivation_is_deterministic_and_distinct() -> None:
    a, b = derive_key("one"), derive_key("one")
    assert a.private_numbers().private_value == b.private_numbers().private_value
    assert key_id(derive_key("one")) != key_id(derive_key("two"))
    digest = hashlib.sha256(b"one").digest()
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    assert a.private_numbers().private_value == int.from_bytes(digest, "big") % (n - 1) + 1
    assert key_id(generate_key()) != key_id(generate_key())


def test_key_id_and_keyhash() -> None:
    k = derive_key("kid")
    der = k.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert spki_der(k) == der and len(der) == 91
    assert keyhash(k) == hashlib.sha256(der).digest()
    assert key_id(k) == int.from_bytes(hashlib.sha256(der).digest()[:4], "big")
    assert der[27:] == public_xy(k)  # prefix(26) + 0x04 + X || Y, as the C side hashes it


def test_pem_round_trip(tmp_path: Path) -> None:
    k = derive_key("pem")
    save_private_key(k, tmp_path / "k.pem")
    save_public_key(k, tmp_path / "p.pem")
    assert key_id(load_private_key(tmp_path / "k.pem")) == key_id(k)
    assert key_id(load_public_key(tmp_path / "p.pem")) == key_id(k)
    assert key_id(load_public_key(tmp_path / "k.pem")) == key_id(k)  # private gives public


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _bad_key_files(tmp_path: Path) -> list[tuple[Path, str]]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    p384 = ec.generate_private_key(ec.SECP384R1())
    enc = derive_key("enc").private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    pkcs8 = serialization.PrivateFormat.PKCS8
    none = serialization.NoEncryption()
    pem = serialization.Encoding.PEM
    return [
        (_write(tmp_path, "empty.pem", b""), "an empty file"),
        (_write(tmp_path, "blank.pem", b"\n  \n"), "an empty file"),
        (_write(tmp_path, "der.pem", spki_der(derive_key("x"))), "no PEM"),
        (_write(tmp_path, "rsa.pem", rsa_key.private_bytes(pem, pkcs8, none)), "an RSA key (1024"),
        (_write(tmp_path, "p384.pem", p384.private_bytes(pem, pkcs8, none)), "secp384r1"),
        (_write(tmp_path, "enc.pem", enc), "encrypted private key"),
        (
            _write(
                tmp_path,
                "junk.pem",
                b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            ),
            "unparsable",
        ),
        (tmp_path / "missing.pem", "no such file"),
        (tmp_path, "a directory"),
    ]


def test_bad_private_key_files(tmp_path: Path) -> None:
    for path, found in _bad_key_files(tmp_path):
        with pytest.raises(KeyFileError) as info:
            load_private_key(path)
        msg = str(info.value)
        assert isinstance(info.value, HilError)
        assert str(path) in msg and "expected a PEM ECDSA P-256" in msg and found in msg, msg


def test_public_key_where_private_is_needed(tmp_path: Path) -> None:
    save_public_key(derive_key("x"), tmp_path / "p.pem")
    with pytest.raises(KeyFileError, match="signing needs the private key"):
        load_private_key(tmp_path / "p.pem")


def test_bad_public_key_files(tmp_path: Path) -> None:
    rsa_pub = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    p = _write(
        tmp_path,
        "rsa.pub",
        rsa_pub.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )
    with pytest.raises(KeyFileError, match="found an RSA key"):
        load_public_key(p)


def test_encrypted_key_with_password(tmp_path: Path) -> None:
    k = derive_key("enc")
    data = k.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    p = _write(tmp_path, "enc.pem", data)
    assert key_id(load_private_key(p, password=b"pw")) == key_id(k)
    with pytest.raises(KeyFileError):
        load_private_key(p, password=b"wrong")


# --- keyrings -----------------------------------------------------------------------------


def test_keyring_revoked_wins() -> None:
    a, b = derive_key("a").public_key(), derive_key("b").public_key()
    ring = Keyring.of(allowed=[a, b], revoked=[b])
    assert ring.status(key_id(a)) is KeyStatus.ALLOWED
    assert ring.status(key_id(b)) is KeyStatus.REVOKED
    assert ring.status(1234) is KeyStatus.UNKNOWN
    assert ring.allowed_ids == {key_id(a), key_id(b)} and ring.revoked_ids == {key_id(b)}
    with pytest.raises(ValueError, match="already used"):
        ring.add(KeyEntry("again", a))


def test_keyring_file(tmp_path: Path) -> None:
    save_public_key(derive_key("a"), tmp_path / "a.pub.pem")
    save_private_key(derive_key("c"), tmp_path / "c.pem")
    inline = (tmp_path / "a.pub.pem").read_text()
    b_pub = derive_key("b").public_key()
    from hil.image.keys import public_pem

    (tmp_path / "ring.yaml").write_text(
        "schema: 1\nkeys:\n"
        "  - {name: a, status: allowed, pem: a.pub.pem}\n"
        "  - name: b\n    status: revoked\n"
        f"    key_id: '0x{key_id(b_pub):08x}'\n"
        "    public_key: |\n"
        + "".join(f"      {line}\n" for line in public_pem(b_pub).decode().splitlines())
        + "  - {name: c, status: allowed, pem: c.pem}\n"
    )
    ring = load_keyring(tmp_path / "ring.yaml")
    assert [e.name for e in ring.entries] == ["a", "b", "c"]
    assert ring.status(key_id(b_pub)) is KeyStatus.REVOKED
    assert inline  # the pem file is used as written
    # dump -> load round trip
    (tmp_path / "again.yaml").write_text(dump_keyring(ring))
    again = load_keyring(tmp_path / "again.yaml")
    assert [(e.name, e.key_id, e.status) for e in again.entries] == [
        (e.name, e.key_id, e.status) for e in ring.entries
    ]


BAD_RINGS = [
    ("", "(top level)", "a mapping"),
    ("schema: 1\nkeys: [\n", "(file)", "valid YAML"),
    ("- a\n", "(top level)", "a mapping"),
    ("schema: 2\nkeys: []\n", "schema", "1"),
    ("schema: 1\n", "keys", "a non-empty list"),
    ("schema: 1\nkeys: []\n", "keys", "a non-empty list"),
    ("schema: 1\nextra: 1\nkeys: []\n", "extra", "only the fields"),
    ("schema: 1\nkeys: [7]\n", "keys[0]", "a mapping"),
    ("schema: 1\nkeys: [{status: allowed, pem: a.pem}]\n", "keys[0].name", "non-empty string"),
    ("schema: 1\nkeys: [{name: a, status: maybe, pem: a.pem}]\n", "keys[0].status", "'allowed'"),
    ("schema: 1\nkeys: [{name: a, status: allowed}]\n", "keys[0]", "exactly one of"),
    (
        "schema: 1\nkeys: [{name: a, status: allowed, pem: a.pem, public_key: x}]\n",
        "keys[0]",
        "exactly one",
    ),
    (
        "schema: 1\nkeys: [{name: a, status: allowed, pem: nope.pem}]\n",
        "keys[0].pem",
        "existing PEM",
    ),
    (
        "schema: 1\nkeys: [{name: a, status: allowed, pem: bad.pem}]\n",
        "keys[0].pem",
        "PEM ECDSA P-256",
    ),
    (
        "schema: 1\nkeys: [{name: a, status: allowed, public_key: 'junk'}]\n",
        "keys[0].public_key",
        "PEM",
    ),
    (
        "schema: 1\nkeys: [{name: a, status: allowed, pem: a.pem, colour: red}]\n",
        "keys[0].colour",
        "one of",
    ),
    (
        "schema: 1\nkeys: [{name: a, status: allowed, pem: a.pem, key_id: '0x1'}]\n",
        "keys[0].key_id",
        "0x00000001",
    ),
    (
        "schema: 1\nkeys: [{name: a, status: allowed, pem: a.pem, key_id: zz}]\n",
        "keys[0].key_id",
        "a u32",
    ),
    (
        "schema: 1\nkeys: [{name: a, status: allowed, pem: a.pem},"
        " {name: a, status: allowed, pem: b.pem}]\n",
        "keys[1].name",
        "a unique name",
    ),
    (
        "schema: 1\nkeys: [{name: a, status: allowed, pem: a.pem},"
        " {name: b, status: revoked, pem: a.pem}]\n",
        "keys[1]",
        "a key not listed before",
    ),
]


@pytest.mark.parametrize(("text", "field", "expected"), BAD_RINGS)
def test_malformed_keyring_files(tmp_path: Path, text: str, field: str, expected: str) -> None:
    save_public_key(derive_key("a"), tmp_path / "a.pem")
    save_public_key(derive_key("b"), tmp_path / "b.pem")
    (tmp_path / "bad.pem").write_text("not a key")
    (tmp_path / "ring.yaml").write_text(text)
    with pytest.raises(KeyringError) as info:
        load_keyring(tmp_path / "ring.yaml")
    err = info.value
    assert err.path == str(tmp_path / "ring.yaml") and err.field == field, str(err)
    assert expected in err.expected and err.found, str(err)


def test_too_many_keys(tmp_path: Path) -> None:
    lines = ["schema: 1", "keys:"]
    for i in range(17):
        save_public_key(derive_key(f"k{i}"), tmp_path / f"k{i}.pem")
        lines.append(f"  - {{name: k{i}, status: allowed, pem: k{i}.pem}}")
    (tmp_path / "ring.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(KeyringError, match="at most 16 keys"):
        load_keyring(tmp_path / "ring.yaml")


def test_missing_keyring_file(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="no such file"):
        load_keyring(tmp_path / "nope.yaml")


# --- trust anchor -------------------------------------------------------------------------


def test_anchor_layout() -> None:
    a, b = derive_key("a").public_key(), derive_key("b").public_key()
    ring = Keyring([KeyEntry("a", a), KeyEntry("b", b, allowed=False, revoked=True)])
    data = render_anchor(ring, floor=7, hw_compat=0xDEADBEEF)
    assert len(data) == 20 + 2 * 72
    assert data[:4] == b"TRK1"
    assert struct.unpack_from("<IHHII", data, 0) == (ANCHOR_MAGIC, 1, 2, 7, 0xDEADBEEF)
    (crc,) = struct.unpack_from("<I", data, 16)
    assert crc == zlib.crc32(data[:16] + data[20:])
    kid, flags = struct.unpack_from("<II", data, 20)
    assert (kid, flags, data[28:92]) == (key_id(a), 1, public_xy(a))
    kid, flags = struct.unpack_from("<II", data, 92)
    assert (kid, flags, data[100:164]) == (key_id(b), 2, public_xy(b))
    anchor = parse_anchor(data + b"\xff" * 100)  # erased flash after it is ignored
    assert (anchor.floor, anchor.hw_compat, anchor.size) == (7, 0xDEADBEEF, len(data))
    back = Keyring.from_anchor(anchor)
    assert back.status(key_id(a)) is KeyStatus.ALLOWED
    assert back.status(key_id(b)) is KeyStatus.REVOKED
    empty = render_anchor(Keyring(), 0, 0)
    assert len(empty) == 20 and parse_anchor(empty).entries == ()


def test_anchor_limits_and_corruption() -> None:
    ring = Keyring.of([derive_key(f"k{i}").public_key() for i in range(17)])
    with pytest.raises(AnchorError, match="at most 16"):
        render_anchor(ring, 0, 0)
    good = render_anchor(Keyring.of([derive_key("a").public_key()]), 1, 2)
    with pytest.raises(AnchorError, match="crc32"):
        parse_anchor(good[:30] + bytes([good[30] ^ 1]) + good[31:])
    with pytest.raises(AnchorError, match="magic"):
        parse_anchor(b"\0" + good[1:])
    with pytest.raises(AnchorError, match="expected 92 bytes"):
        parse_anchor(good[:-1])
    with pytest.raises(AnchorError, match="at least 20"):
        parse_anchor(good[:10])
    with pytest.raises(AnchorError, match="u32"):
        render_anchor(Keyring(), -1, 0)
