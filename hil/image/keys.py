"""ECDSA P-256 image-signing keys: generation, deterministic derivation, PEM files, key IDs.

- ``KEYHASH`` = SHA-256 of the public key as DER SubjectPublicKeyInfo (as imgtool computes it);
- key ID = the first 4 bytes of ``KEYHASH`` read big endian.

Every bad key file raises ``KeyFileError`` naming what was expected and what was found.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hil.image.errors import KeyFileError

# Order of the P-256 group.
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

PrivateKey = ec.EllipticCurvePrivateKey
PublicKey = ec.EllipticCurvePublicKey

_EXPECT_PRIVATE = "a PEM ECDSA P-256 (secp256r1) private key"
_EXPECT_PUBLIC = "a PEM ECDSA P-256 (secp256r1) public key (or private key)"


def generate_key() -> PrivateKey:
    """A fresh random P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def derive_key(label: str) -> PrivateKey:
    """A P-256 private key derived deterministically from ``label`` (tests, reproducible demos).

    scalar = int(SHA-256(label)) mod (n - 1) + 1. Never use for production keys.
    """
    digest = hashlib.sha256(label.encode("utf-8")).digest()
    scalar = int.from_bytes(digest, "big") % (P256_N - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def spki_der(key: PublicKey | PrivateKey) -> bytes:
    """The public key as DER SubjectPublicKeyInfo."""
    pub = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return pub.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def keyhash(key: PublicKey | PrivateKey) -> bytes:
    """The KEYHASH TLV value: SHA-256 of the DER SubjectPublicKeyInfo (32 bytes)."""
    return hashlib.sha256(spki_der(key)).digest()


def key_id(key: PublicKey | PrivateKey) -> int:
    """The key ID: the first 4 bytes of ``keyhash`` as a big-endian u32."""
    return int.from_bytes(keyhash(key)[:4], "big")


def public_xy(key: PublicKey | PrivateKey) -> bytes:
    """The 64-byte raw public point X || Y (big endian), as the trust anchor stores it."""
    pub = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    nums = pub.public_numbers()
    return nums.x.to_bytes(32, "big") + nums.y.to_bytes(32, "big")


def public_from_xy(xy: bytes) -> PublicKey:
    """The public key of a 64-byte X || Y point. Raises ``ValueError`` if not on P-256."""
    if len(xy) != 64:
        raise ValueError(f"expected 64 bytes X || Y, found {len(xy)}")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + xy)


def _describe(key: object) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"an RSA key ({key.key_size} bits)"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"an EC key on curve {key.curve.name}"
    return f"a {type(key).__name__.lstrip('_')}"


def _pem_kind(text: bytes) -> str | None:
    for line in text.splitlines():
        s = line.strip()
        if s.startswith(b"-----BEGIN ") and s.endswith(b"-----"):
            return s[len(b"-----BEGIN ") : -len(b"-----")].decode("ascii", "replace")
    return None


def _read(path: Path, expected: str) -> tuple[bytes, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(str(path), expected, "no such file") from None
    except IsADirectoryError:
        raise KeyFileError(str(path), expected, "a directory") from None
    except OSError as exc:
        raise KeyFileError(str(path), expected, f"an unreadable file ({exc.strerror})") from None
    if not data.strip():
        raise KeyFileError(str(path), expected, "an empty file")
    kind = _pem_kind(data)
    if kind is None:
        head = data[:16]
        raise KeyFileError(str(path), expected, f"no PEM '-----BEGIN' block (starts {head!r})")
    return data, kind


def private_key_from_pem(
    data: bytes, source: str = "<pem>", password: bytes | None = None
) -> PrivateKey:
    """Parse PEM private-key bytes; ``source`` names them in errors."""
    kind = _pem_kind(data)
    if kind is None:
        raise KeyFileError(source, _EXPECT_PRIVATE, "no PEM '-----BEGIN' block")
    if "PUBLIC KEY" in kind:
        raise KeyFileError(
            source, _EXPECT_PRIVATE, f"a public key ('{kind}'); signing needs the private key"
        )
    if "ENCRYPTED" in kind and password is None:
        raise KeyFileError(
            source,
            _EXPECT_PRIVATE + " (unencrypted, or give a password)",
            f"an encrypted private key ('{kind}') and no password",
        )
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError as exc:  # encrypted without password / password for unencrypted key
        raise KeyFileError(
            source, _EXPECT_PRIVATE, f"a key the password does not fit ({exc})"
        ) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(
            source, _EXPECT_PRIVATE, f"an unparsable '{kind}' block ({exc})"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyFileError(source, _EXPECT_PRIVATE, _describe(key))
    return key


def public_key_from_pem(data: bytes, source: str = "<pem>") -> PublicKey:
    """Parse a PEM public key; a PEM private key is accepted too (its public half is used)."""
    kind = _pem_kind(data)
    if kind is None:
        raise KeyFileError(source, _EXPECT_PUBLIC, "no PEM '-----BEGIN' block")
    if "PUBLIC KEY" not in kind:
        return private_key_from_pem(data, source).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(
            source, _EXPECT_PUBLIC, f"an unparsable '{kind}' block ({exc})"
        ) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyFileError(source, _EXPECT_PUBLIC, _describe(key))
    return key


def load_private_key(path: str | Path, password: bytes | None = None) -> PrivateKey:
    """Load a PEM P-256 private key file."""
    p = Path(path)
    data, _ = _read(p, _EXPECT_PRIVATE)
    return private_key_from_pem(data, str(p), password)


def load_public_key(path: str | Path) -> PublicKey:
    """Load a PEM P-256 public key file (a private key file gives its public key)."""
    p = Path(path)
    data, _ = _read(p, _EXPECT_PUBLIC)
    return public_key_from_pem(data, str(p))


def private_pem(key: PrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM (what imgtool and OpenSSL read)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: PublicKey | PrivateKey) -> bytes:
    """SubjectPublicKeyInfo PEM."""
    pub = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def save_private_key(key: PrivateKey, path: str | Path) -> None:
    """Write the private key as unencrypted PKCS#8 PEM."""
    Path(path).write_bytes(private_pem(key))


def save_public_key(key: PublicKey | PrivateKey, path: str | Path) -> None:
    """Write the public key as SubjectPublicKeyInfo PEM."""
    Path(path).write_bytes(public_pem(key))
