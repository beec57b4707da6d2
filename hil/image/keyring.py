"""Keyrings (which signing keys a device trusts) and the trust-anchor bytes of contracts §7.

Keyring file (YAML; JSON is valid YAML too)::

    schema: 1
    keys:
      - name: release-2025          # free text, unique
        status: allowed             # allowed | revoked   (revoked wins over allowed)
        pem: keys/release.pub.pem   # a PEM public (or private) key file, relative to this file
      - name: leaked-2024
        status: revoked
        key_id: "0x1a2b3c4d"        # optional cross-check of the key's ID
        public_key: |               # or the public key inline
          -----BEGIN PUBLIC KEY-----
          ...
          -----END PUBLIC KEY-----

Exactly one of ``pem`` / ``public_key`` per key. Every problem is a ``KeyringError`` naming
the file, the field (``keys[1].status``), what was expected and what was found.

Trust anchor (the ``keys`` layout area)::

    u32 magic 0x314B5254 | u16 version 1 | u16 count (<= 16) | u32 floor | u32 hw_compat
    | u32 crc32 (zlib CRC-32 of bytes [0,16) followed by the entries)
    count x { u32 key_id | u32 flags (bit0 ALLOWED, bit1 REVOKED) | u8 pub[64] (X || Y, BE) }
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import yaml

from hil.image.constants import (
    ANCHOR_CRC_OFFSET,
    ANCHOR_ENTRIES_OFFSET,
    ANCHOR_ENTRY_SIZE,
    ANCHOR_ENTRY_STRUCT,
    ANCHOR_FLAG_ALLOWED,
    ANCHOR_FLAG_REVOKED,
    ANCHOR_HEADER_SIZE,
    ANCHOR_HEADER_STRUCT,
    ANCHOR_MAGIC,
    ANCHOR_MAX_KEYS,
    ANCHOR_VERSION,
)
from hil.image.errors import AnchorError, KeyFileError, KeyringError
from hil.image.keys import (
    PublicKey,
    key_id,
    keyhash,
    public_from_xy,
    public_key_from_pem,
    public_pem,
    public_xy,
)


class KeyStatus(StrEnum):
    ALLOWED = "allowed"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class KeyEntry:
    """One key the device knows; a key that is both allowed and revoked counts as revoked."""

    name: str
    public_key: PublicKey
    allowed: bool = True
    revoked: bool = False
    key_id: int = field(init=False)
    keyhash: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_id", key_id(self.public_key))
        object.__setattr__(self, "keyhash", keyhash(self.public_key))

    @property
    def status(self) -> KeyStatus:
        if self.revoked:
            return KeyStatus.REVOKED
        return KeyStatus.ALLOWED if self.allowed else KeyStatus.UNKNOWN

    @property
    def flags(self) -> int:
        return (ANCHOR_FLAG_ALLOWED if self.allowed else 0) | (
            ANCHOR_FLAG_REVOKED if self.revoked else 0
        )


class Keyring:
    """An allow list and a revoke list of P-256 public keys, looked up by key ID."""

    def __init__(self, entries: Iterable[KeyEntry] = ()) -> None:
        self._entries: list[KeyEntry] = []
        self._by_id: dict[int, KeyEntry] = {}
        for e in entries:
            self.add(e)

    @classmethod
    def of(cls, allowed: Iterable[PublicKey] = (), revoked: Iterable[PublicKey] = ()) -> Keyring:
        """A keyring from key objects; a key in both lists is revoked."""
        ring = cls()
        for pub in allowed:
            ring.add(KeyEntry(f"key-{key_id(pub):08x}", pub, allowed=True))
        for pub in revoked:
            kid = key_id(pub)
            prior = ring.lookup(kid)
            if prior is not None and prior.keyhash == keyhash(pub):
                ring._replace(KeyEntry(prior.name, pub, allowed=prior.allowed, revoked=True))
            else:
                ring.add(KeyEntry(f"key-{kid:08x}", pub, allowed=False, revoked=True))
        return ring

    def add(self, entry: KeyEntry) -> None:
        """Add a key. Raises ``ValueError`` if another key already has this key ID."""
        if entry.key_id in self._by_id:
            other = self._by_id[entry.key_id]
            raise ValueError(
                f"key '{entry.name}' has key ID 0x{entry.key_id:08x}, already used by "
                f"key '{other.name}'"
            )
        self._entries.append(entry)
        self._by_id[entry.key_id] = entry

    def _replace(self, entry: KeyEntry) -> None:
        self._entries = [entry if e.key_id == entry.key_id else e for e in self._entries]
        self._by_id[entry.key_id] = entry

    @property
    def entries(self) -> tuple[KeyEntry, ...]:
        return tuple(self._entries)

    @property
    def allowed_ids(self) -> frozenset[int]:
        return frozenset(e.key_id for e in self._entries if e.allowed)

    @property
    def revoked_ids(self) -> frozenset[int]:
        return frozenset(e.key_id for e in self._entries if e.revoked)

    def lookup(self, kid: int) -> KeyEntry | None:
        return self._by_id.get(kid)

    def status(self, kid: int) -> KeyStatus:
        entry = self._by_id.get(kid)
        return KeyStatus.UNKNOWN if entry is None else entry.status

    def __len__(self) -> int:
        return len(self._entries)

    @classmethod
    def from_anchor(cls, anchor: Anchor) -> Keyring:
        """The keyring a device with this trust anchor uses. Entries repeating a key ID are
        merged (REVOKED on any of them wins, as in C ``keyring_lookup``)."""
        ring = cls()
        for i, e in enumerate(anchor.entries):
            allowed = bool(e.flags & ANCHOR_FLAG_ALLOWED)
            revoked = bool(e.flags & ANCHOR_FLAG_REVOKED)
            prior = ring.lookup(e.key_id)
            if prior is not None:
                ring._replace(
                    KeyEntry(
                        prior.name,
                        prior.public_key,
                        prior.allowed or allowed,
                        prior.revoked or revoked,
                    )
                )
                continue
            ring.add(KeyEntry(f"anchor[{i}]", public_from_xy(e.pub), allowed, revoked))
        return ring


# --- keyring files --------------------------------------------------------------------------


def _fail(path: Path, fld: str, expected: str, found: object) -> KeyringError:
    return KeyringError(str(path), fld, expected, found if isinstance(found, str) else repr(found))


def load_keyring(path: str | Path) -> Keyring:
    """Load and validate a keyring file (format in the module docstring)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(p, "(file)", "a keyring YAML file", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(p, "(file)", "a readable UTF-8 keyring file", str(exc)) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _fail(p, "(file)", "valid YAML", f"a syntax error: {exc}") from None
    if not isinstance(doc, Mapping):
        raise _fail(p, "(top level)", "a mapping with 'schema' and 'keys'", type(doc).__name__)
    unknown = sorted(str(k) for k in doc if k not in ("schema", "keys"))
    if unknown:
        raise _fail(p, unknown[0], "only the fields schema, keys", f"field '{unknown[0]}'")
    if doc.get("schema") != 1:
        raise _fail(p, "schema", "1", doc.get("schema", "nothing"))
    items = doc.get("keys")
    if not isinstance(items, list) or not items:
        raise _fail(
            p, "keys", "a non-empty list of keys", items if items is not None else "nothing"
        )
    ring = Keyring()
    names: set[str] = set()
    for i, item in enumerate(items):
        entry = _load_entry(p, f"keys[{i}]", item)
        if entry.name in names:
            raise _fail(p, f"keys[{i}].name", "a unique name", f"'{entry.name}' again")
        names.add(entry.name)
        try:
            ring.add(entry)
        except ValueError as exc:
            raise _fail(p, f"keys[{i}]", "a key not listed before", str(exc)) from None
    if len(ring) > ANCHOR_MAX_KEYS:
        raise _fail(p, "keys", f"at most {ANCHOR_MAX_KEYS} keys (trust anchor limit)", len(ring))
    return ring


def _load_entry(p: Path, where: str, item: object) -> KeyEntry:
    if not isinstance(item, Mapping):
        raise _fail(p, where, "a mapping (name, status, pem | public_key)", type(item).__name__)
    allowed_fields = {"name", "status", "pem", "public_key", "key_id"}
    for k in item:
        if k not in allowed_fields:
            raise _fail(p, f"{where}.{k}", f"one of {', '.join(sorted(allowed_fields))}", k)
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _fail(
            p, f"{where}.name", "a non-empty string", name if name is not None else "nothing"
        )
    status = item.get("status")
    if status not in ("allowed", "revoked"):
        raise _fail(p, f"{where}.status", "'allowed' or 'revoked'", status if status else "nothing")
    has_pem, has_inline = "pem" in item, "public_key" in item
    if has_pem == has_inline:
        raise _fail(
            p,
            where,
            "exactly one of 'pem' (file) or 'public_key' (inline PEM)",
            "both" if has_pem else "neither",
        )
    try:
        if has_pem:
            rel = item["pem"]
            if not isinstance(rel, str) or not rel:
                raise _fail(p, f"{where}.pem", "a file path", rel)
            kp = Path(rel) if Path(rel).is_absolute() else p.parent / rel
            try:
                data = kp.read_bytes()
            except OSError:
                raise _fail(
                    p, f"{where}.pem", "an existing PEM key file", f"no file {kp}"
                ) from None
            pub = public_key_from_pem(data, str(kp))
        else:
            inline = item["public_key"]
            if not isinstance(inline, str):
                raise _fail(p, f"{where}.public_key", "an inline PEM string", inline)
            pub = public_key_from_pem(inline.encode("ascii", "replace"), f"{p}:{where}.public_key")
    except KeyFileError as exc:
        fld = f"{where}.pem" if has_pem else f"{where}.public_key"
        raise _fail(p, fld, exc.expected, exc.found) from None
    entry = KeyEntry(name, pub, allowed=status == "allowed", revoked=status == "revoked")
    if "key_id" in item:
        raw = item["key_id"]
        try:
            want = int(raw, 0) if isinstance(raw, str) else int(raw)
        except (TypeError, ValueError):
            raise _fail(p, f"{where}.key_id", "a u32 as int or hex string", raw) from None
        if want != entry.key_id:
            raise _fail(
                p,
                f"{where}.key_id",
                f"0x{want:08x} (as written)",
                f"key ID 0x{entry.key_id:08x} for this key",
            )
    return entry


# --- trust anchor ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorEntry:
    key_id: int
    flags: int
    pub: bytes  # 64 bytes X || Y


@dataclass(frozen=True)
class Anchor:
    version: int
    floor: int
    hw_compat: int
    crc: int
    entries: tuple[AnchorEntry, ...]

    @property
    def size(self) -> int:
        return ANCHOR_ENTRIES_OFFSET + ANCHOR_ENTRY_SIZE * len(self.entries)


def render_anchor(keyring: Keyring, floor: int, hw_compat: int) -> bytes:
    """The trust-anchor bytes for ``keyring`` (entries in keyring order)."""
    entries = keyring.entries
    if len(entries) > ANCHOR_MAX_KEYS:
        raise AnchorError(f"expected at most {ANCHOR_MAX_KEYS} keys, found {len(entries)}")
    for what, v in (("floor", floor), ("hw_compat", hw_compat)):
        if not 0 <= v <= 0xFFFFFFFF:
            raise AnchorError(f"{what}: expected a u32, found {v}")
    head = struct.pack(
        ANCHOR_HEADER_STRUCT, ANCHOR_MAGIC, ANCHOR_VERSION, len(entries), floor, hw_compat
    )
    body = b"".join(
        struct.pack(ANCHOR_ENTRY_STRUCT, e.key_id, e.flags, public_xy(e.public_key))
        for e in entries
    )
    crc = zlib.crc32(head + body) & 0xFFFFFFFF
    return head + struct.pack("<I", crc) + body


def parse_anchor(data: bytes) -> Anchor:
    """Parse and check trust-anchor bytes (trailing bytes, e.g. erased flash, are ignored)."""
    if len(data) < ANCHOR_ENTRIES_OFFSET:
        raise AnchorError(f"expected at least {ANCHOR_ENTRIES_OFFSET} bytes, found {len(data)}")
    magic, version, count, floor, hw = struct.unpack_from(ANCHOR_HEADER_STRUCT, data, 0)
    if magic != ANCHOR_MAGIC:
        raise AnchorError(f"magic: expected 0x{ANCHOR_MAGIC:08x}, found 0x{magic:08x}")
    if version != ANCHOR_VERSION:
        raise AnchorError(f"version: expected {ANCHOR_VERSION}, found {version}")
    if count > ANCHOR_MAX_KEYS:
        raise AnchorError(f"count: expected <= {ANCHOR_MAX_KEYS}, found {count}")
    end = ANCHOR_ENTRIES_OFFSET + count * ANCHOR_ENTRY_SIZE
    if len(data) < end:
        raise AnchorError(f"expected {end} bytes for {count} entries, found {len(data)}")
    (crc,) = struct.unpack_from("<I", data, ANCHOR_CRC_OFFSET)
    want = zlib.crc32(data[:ANCHOR_HEADER_SIZE] + data[ANCHOR_ENTRIES_OFFSET:end]) & 0xFFFFFFFF
    if crc != want:
        raise AnchorError(f"crc32: expected 0x{want:08x} (computed), found 0x{crc:08x}")
    entries = []
    for i in range(count):
        kid, flags, pub = struct.unpack_from(
            ANCHOR_ENTRY_STRUCT, data, ANCHOR_ENTRIES_OFFSET + i * ANCHOR_ENTRY_SIZE
        )
        try:
            real = key_id(public_from_xy(pub))
        except ValueError:
            raise AnchorError(f"entry {i}: expected a P-256 point, found {pub.hex()}") from None
        if real != kid:
            raise AnchorError(f"entry {i}: key_id 0x{kid:08x} but the key's ID is 0x{real:08x}")
        entries.append(AnchorEntry(kid, flags, pub))
    return Anchor(version, floor, hw, crc, tuple(entries))


def dump_keyring(keyring: Keyring) -> str:
    """A keyring file (schema 1) with the public keys inline; ``load_keyring`` reads it back.

    A key both allowed and revoked is written as revoked (revoked wins)."""
    keys = [
        {
            "name": e.name,
            "status": "revoked" if e.revoked else "allowed",
            "key_id": f"0x{e.key_id:08x}",
            "public_key": public_pem(e.public_key).decode("ascii"),
        }
        for e in keyring.entries
        if e.allowed or e.revoked
    ]
    return yaml.dump({"schema": 1, "keys": keys}, Dumper=_BlockDumper, sort_keys=False)


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings (inline PEM keys) as ``|`` literal blocks."""


def _str_block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_block)
