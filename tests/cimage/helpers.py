"""Helpers for the C image verifier tests: keys, anchors and imgtool-signed images.

Independent of ``hil.image`` on purpose (the C verifier is checked against MCUboot's own
``imgtool``); the parity test against ``hil.image`` lives in ``test_parity.py``.
"""

from __future__ import annotations

import ctypes
import hashlib
import math
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

REPO = Path(__file__).resolve().parents[2]
FIRMWARE = REPO / "firmware_stubs"
HOST_OUT = REPO / "build" / "host"
IMGTOOL = Path(sys.executable).parent / "imgtool"

# Platform facts the tests need (header size, slot size, erased byte), from platform.yaml.
PLATFORMS = {
    "stm32u585": {"hdr_size": 0x400, "slot_size": 0x40000, "erased": 0xFF},
    "lpc55s69": {"hdr_size": 0x200, "slot_size": 0x38000, "erased": 0x00},
}

ANCHOR_MAGIC = 0x314B5254
FLAG_ALLOWED = 1
FLAG_REVOKED = 2


@dataclass(frozen=True)
class Key:
    private: ec.EllipticCurvePrivateKey
    pem_path: Path

    @property
    def xy(self) -> bytes:
        n = self.private.public_key().public_numbers()
        return n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")

    @property
    def spki(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def keyhash(self) -> bytes:
        return hashlib.sha256(self.spki).digest()

    @property
    def key_id(self) -> int:
        return int.from_bytes(self.keyhash[:4], "big")


def make_key(scalar: int, directory: Path) -> Key:
    """A deterministic P-256 key (private scalar given), saved as PEM for imgtool."""
    priv = ec.derive_private_key(scalar, ec.SECP256R1())
    path = directory / f"key_{scalar:x}.pem"
    path.write_bytes(
        priv.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Key(priv, path)


def render_anchor(entries: list[tuple[int, int, bytes]], floor: int, hw_compat: int) -> bytes:
    """Trust anchor bytes (contracts §7): entries are (key_id, flags, xy64)."""
    head = struct.pack("<IHHII", ANCHOR_MAGIC, 1, len(entries), floor, hw_compat)
    body = b"".join(struct.pack("<II", k, f) + xy for k, f, xy in entries)
    crc = zlib.crc32(head + body)
    return head + struct.pack("<I", crc) + body


def hw_id(platform: str) -> int:
    return zlib.crc32(platform.encode())


def u32hex(v: int) -> str:
    """imgtool --custom-tlv value: raw bytes in the order written, so little endian here."""
    return "0x" + struct.pack("<I", v).hex()


def imgtool_sign(
    payload: bytes,
    key: Key,
    work: Path,
    *,
    hdr_size: int,
    slot_size: int,
    build: int,
    hw_compat: int,
    target_slot: int = 0,
    image_type: int = 1,
    chunk_size: int = 1024,
    version: str = "1.0.0",
    name: str = "img",
) -> bytes:
    """Sign `payload` with PyPI imgtool plus our manifest TLVs; return the image bytes."""
    count = math.ceil(len(payload) / chunk_size)
    hashes = b"".join(
        hashlib.sha256(payload[i * chunk_size : (i + 1) * chunk_size]).digest()
        for i in range(count)
    )
    src = work / f"{name}.bin"
    out = work / f"{name}.signed.bin"
    src.write_bytes(payload)
    tlvs = [
        (0xA0, u32hex(key.key_id)),
        (0xA1, u32hex(hw_compat)),
        (0xA2, u32hex(image_type)),
        (0xA3, u32hex(target_slot)),
        (0xA4, u32hex(len(payload))),
        (0xA5, u32hex(chunk_size)),
        (0xA6, "0x" + hashes.hex()),
        (0xA7, "0x" + version.encode().hex()),
    ]
    cmd = [
        str(IMGTOOL),
        "sign",
        "--key",
        str(key.pem_path),
        "--header-size",
        hex(hdr_size),
        "--pad-header",
        "--align",
        "4",
        "--slot-size",
        hex(slot_size),
        "--version",
        f"{version}+{build}",  # the header build_num carries the build too
        "-s",
        str(build),
        "--public-key-format",
        "hash",
    ]
    for t, v in tlvs:
        cmd += ["--custom-tlv", hex(t), v]
    cmd += [str(src), str(out)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out.read_bytes()


def tlv_value(image: bytes, area_magic: int, tlv_type: int) -> bytes | None:
    """Find a TLV value in an (assumed well-formed) image; None if absent."""
    hdr_size, prot, img_size = struct.unpack_from("<HHI", image, 8)
    off = hdr_size + img_size
    if area_magic == 0x6907:
        off += prot
    magic, tot = struct.unpack_from("<HH", image, off)
    assert magic == area_magic
    pos, end = off + 4, off + tot
    while pos < end:
        t, n = struct.unpack_from("<HH", image, pos)
        if t == tlv_type:
            return image[pos + 4 : pos + 4 + n]
        pos += 4 + n
    return None


class HostPolicy(ctypes.Structure):
    _fields_ = [
        (n, ctypes.c_uint32)
        for n in (
            "hdr_size",
            "hw_compat",
            "floor",
            "slot",
            "image_type",
            "running_build",
            "erased_value",
            "use_anchor",
        )
    ]


class HostReport(ctypes.Structure):
    _fields_ = (
        [("result", ctypes.c_int32), ("anchor_result", ctypes.c_int32)]
        + [
            (n, ctypes.c_uint32)
            for n in (
                "stage",
                "build",
                "key_id",
                "hw_compat",
                "target_slot",
                "image_type",
                "img_size",
                "hdr_size",
                "protect_tlv_size",
                "chunk_size",
                "chunk_count",
                "self_test",
                "signed_end",
                "image_end",
                "hash_valid",
            )
        ]
        + [
            ("hash", ctypes.c_uint8 * 32),
            ("tlv_hash", ctypes.c_uint8 * 32),
            ("version", ctypes.c_char * 33),
        ]
    )


def build_host(target: str = "all") -> Path:
    """make -C firmware_stubs/host OUT_DIR=build/host [target]; returns the output dir."""
    subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(FIRMWARE / "host"),
            f"OUT_DIR={HOST_OUT}",
            target,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return HOST_OUT


class CVerifier:
    """ctypes wrapper over libotacore.so's img_verify_buffer."""

    def __init__(self, lib_path: Path) -> None:
        self.lib = ctypes.CDLL(str(lib_path))
        f = self.lib.img_verify_buffer
        f.argtypes = [
            ctypes.c_char_p,
            ctypes.c_uint32,
            ctypes.c_char_p,
            ctypes.c_uint32,
            ctypes.POINTER(HostPolicy),
            ctypes.POINTER(HostReport),
        ]
        f.restype = ctypes.c_int
        self.lib.img_result_name.argtypes = [ctypes.c_int]
        self.lib.img_result_name.restype = ctypes.c_char_p

    def name(self, result: int) -> str:
        return bytes(self.lib.img_result_name(result)).decode()

    def verify(
        self,
        slot: bytes,
        anchor: bytes | None,
        *,
        hdr_size: int,
        erased: int,
        hw_compat: int = 0,
        floor: int = 0,
        slot_index: int = 0,
        image_type: int = 1,
        running_build: int = 0,
        use_anchor: bool = True,
    ) -> HostReport:
        pol = HostPolicy(
            hdr_size,
            hw_compat,
            floor,
            slot_index,
            image_type,
            running_build,
            erased,
            1 if use_anchor else 0,
        )
        rep = HostReport()
        a = anchor if anchor is not None else None
        rc = self.lib.img_verify_buffer(
            slot,
            len(slot),
            a,
            0 if a is None else len(a),
            ctypes.byref(pol),
            ctypes.byref(rep),
        )
        assert rc == rep.result
        return rep


def in_slot(image: bytes, slot_size: int, erased: int) -> bytes:
    """The image as the device sees it in its slot: followed by erased bytes."""
    assert len(image) <= slot_size
    return image + bytes([erased]) * (slot_size - len(image))
