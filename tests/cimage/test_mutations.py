"""Structural mutations of a valid image never crash the C verifier and are always refused
with a code that fits the damage. Every case runs twice: through ctypes (libotacore.so) and
through the ASan/UBSan driver (firmware_stubs/host/img_driver.c), whose heap buffers are
exactly the source size so any read past the image is caught."""

from __future__ import annotations

import os
import random
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cimage.conftest import standard_anchor
from tests.cimage.helpers import PLATFORMS, CVerifier, Key

FLIPS = 3000  # seeded random header/TLV mutations per platform

STRUCTURAL = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
AFTER_PARSE = {12, 13, 14, 16, 17, 18, 19}  # hash / key / signature: the signed bytes changed


@dataclass(frozen=True)
class Case:
    kind: str
    data: bytes
    slot_len: int
    allowed: frozenset[int]


def _areas(img: bytes) -> tuple[int, int]:
    hdr_size, prot, img_size = struct.unpack_from("<HHI", img, 8)
    return hdr_size + img_size, len(img)  # TLV areas: [payload_end, image_end)


def make_cases(img: bytes, slot_size: int) -> list[Case]:
    payload_end, image_end = _areas(img)
    cases: list[Case] = []
    # 1. truncation of the bare image at every length of the first 200 bytes
    for n in range(0, 201):
        want = {1} if n < 4 else ({2} if n < 32 else {3})
        cases.append(Case(f"trunc-head-{n}", img[:n], n, frozenset(want)))
    # 2. truncation at every length inside the TLV areas: bare, and followed by erased flash
    for n in range(payload_end, image_end):
        cases.append(Case(f"trunc-tlv-{n}", img[:n], n, frozenset({6})))
        cases.append(
            Case(f"trunc-tlv-slot-{n}", img[:n], slot_size, frozenset(STRUCTURAL | AFTER_PARSE))
        )
    # 3. random byte changes in the 32-byte header and the TLV areas (image in its slot)
    # The unprotected area's tlv_tot is not signed (MCUboot format): grown over erased 0x00
    # flash (LPC55S69) the extra bytes parse as ignored type-0 TLVs, so that change alone may
    # still verify. Everything else in these ranges is signed or checked.
    hdr_size, prot, _ = struct.unpack_from("<HHI", img, 8)
    unprot_tot = {payload_end + prot + 2, payload_end + prot + 3}
    rng = random.Random(0xC1A6E)
    positions = list(range(0, 32)) + list(range(payload_end, image_end))
    for i in range(FLIPS):
        b = bytearray(img)
        touched = set()
        for _ in range(rng.choice((1, 1, 2, 3))):
            pos = rng.choice(positions)
            touched.add(pos)
            if rng.random() < 0.5:
                b[pos] ^= 1 << rng.randrange(8)
            else:
                b[pos] = (b[pos] + rng.randrange(1, 256)) & 0xFF
        allowed = STRUCTURAL | AFTER_PARSE | ({0} if touched <= unprot_tot else set())
        cases.append(Case(f"flip-{i}", bytes(b), slot_size, frozenset(allowed)))
    return cases


def _slot(case: Case, erased: int) -> bytes:
    return case.data + bytes([erased]) * (case.slot_len - len(case.data))


def _run_driver(
    driver: Path, anchor: bytes, hdr_size: int, erased: int, cases: list[Case], tmp: Path
) -> list[int]:
    afile = tmp / "anchor.bin"
    afile.write_bytes(anchor)
    stream = b"".join(struct.pack("<II", c.slot_len, len(c.data)) + c.data for c in cases)
    env = dict(
        os.environ,
        ASAN_OPTIONS="abort_on_error=0:halt_on_error=1:detect_leaks=1",
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
    )
    proc = subprocess.run(
        [str(driver), str(afile), hex(hdr_size), hex(erased)],
        input=stream,
        capture_output=True,
        env=env,
        check=False,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-4000:]
    assert b"runtime error" not in proc.stderr, proc.stderr.decode(errors="replace")[-4000:]
    lines = proc.stdout.decode().split()
    return [int(x) for x in lines[1::2]]


def test_mutations_refused_and_safe(
    cverifier: CVerifier,
    img_driver: Path,
    signer: Key,
    revoked_key: Key,
    plat: str,
    signed_images: dict[str, bytes],
    tmp_path: Path,
) -> None:
    p = PLATFORMS[plat]
    img = signed_images[plat]
    anchor = standard_anchor(plat, signer, revoked_key)
    # imgtool's ECDSA signatures are randomised: when the cut-off bytes all equal the erased
    # value, the truncated image in its slot IS the signed image and must verify
    whole = img + bytes([p["erased"]]) * (p["slot_size"] - len(img))
    cases = [
        c if _slot(c, p["erased"]) != whole else Case(c.kind, c.data, c.slot_len, c.allowed | {0})
        for c in make_cases(img, p["slot_size"])
    ]
    via_ctypes = []
    for c in cases:
        rep = cverifier.verify(
            _slot(c, p["erased"]), anchor, hdr_size=p["hdr_size"], erased=p["erased"]
        )
        via_ctypes.append(int(rep.result))
    wrong = [
        (c.kind, cverifier.name(r))
        for c, r in zip(cases, via_ctypes, strict=True)
        if r not in c.allowed
    ]
    assert not wrong, f"{len(wrong)} unexpected results, e.g. {wrong[:10]}"
    via_asan = _run_driver(img_driver, anchor, p["hdr_size"], p["erased"], cases, tmp_path)
    assert via_asan == via_ctypes
    # the mutations reach every structural step, not just the first one
    seen = {cverifier.name(r) for r in via_ctypes}
    for needed in (
        "bad_magic",
        "bad_header",
        "too_large",
        "tlv_magic",
        "tlv_overrun",
        "tlv_truncated",
        "hash_mismatch",
        "bad_signature",
    ):
        assert needed in seen, f"{needed} never produced; seen {sorted(seen)}"


def test_driver_rejects_bad_input(img_driver: Path, tmp_path: Path) -> None:
    a = tmp_path / "a.bin"
    a.write_bytes(b"")
    bad = struct.pack("<II", 4, 8) + b"x" * 8  # data longer than the slot
    proc = subprocess.run(
        [str(img_driver), str(a), "0x200", "0xff"], input=bad, capture_output=True, check=False
    )
    assert proc.returncode == 2
    proc = subprocess.run([str(img_driver)], capture_output=True, check=False)
    assert proc.returncode == 2


@pytest.mark.parametrize("erased", [0x00, 0xFF])
def test_empty_and_erased_slots(cverifier: CVerifier, erased: int) -> None:
    for n in (0, 1, 31, 0x1000, 0x40000):
        rep = cverifier.verify(bytes([erased]) * n, None, hdr_size=0x400, erased=erased)
        assert cverifier.name(rep.result) == "bad_magic"
