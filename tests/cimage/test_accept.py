"""The C verifier (libotacore.so, img_verify_buffer) against images signed by PyPI imgtool:
valid images pass every step with imgtool's hash, and each policy step refuses with its code."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest

from tests.cimage.conftest import payload_of, standard_anchor
from tests.cimage.helpers import (
    FLAG_ALLOWED,
    IMGTOOL,
    PLATFORMS,
    CVerifier,
    Key,
    hw_id,
    imgtool_sign,
    in_slot,
    render_anchor,
    tlv_value,
)

RESULT_NAMES = {
    0: "ok",
    1: "bad_magic",
    2: "bad_header",
    3: "too_large",
    4: "tlv_magic",
    5: "tlv_overrun",
    6: "tlv_truncated",
    7: "duplicate_tlv",
    8: "missing_field",
    9: "bad_field",
    10: "chunk_map",
    11: "chunk_hash",
    12: "no_hash",
    13: "hash_mismatch",
    14: "no_signature",
    16: "key_unknown",
    17: "key_revoked",
    18: "keyid_mismatch",
    19: "bad_signature",
    20: "hw_mismatch",
    21: "wrong_slot",
    22: "below_floor",
    23: "replay",
    24: "trailing_data",
    25: "wrong_type",
}


def test_result_names(cverifier: CVerifier) -> None:
    for number, name in RESULT_NAMES.items():
        assert cverifier.name(number) == name
    for unassigned in (-1, 15, 26, 1000):
        assert cverifier.name(unassigned) == "unknown"


def test_result_names_match_python(cverifier: CVerifier) -> None:
    constants = pytest.importorskip("hil.image.constants")
    for r in constants.ImageResult:
        assert cverifier.name(int(r)) == r.name.lower()
    assert set(RESULT_NAMES) == {int(r) for r in constants.ImageResult}


@pytest.mark.parametrize(
    ("size", "chunk"), [(5000, 1024), (4096, 512), (1, 512), (70000, 65536), (3000, 4096)]
)
def test_imgtool_image_accepted(
    cverifier: CVerifier,
    keydir: Path,
    signer: Key,
    revoked_key: Key,
    plat: str,
    size: int,
    chunk: int,
) -> None:
    p = PLATFORMS[plat]
    payload = payload_of(size, seed=size)
    img = imgtool_sign(
        payload,
        signer,
        keydir,
        hdr_size=p["hdr_size"],
        slot_size=p["slot_size"],
        build=3,
        hw_compat=hw_id(plat),
        chunk_size=chunk,
        version="2.5.1",
        name=f"acc-{plat}",
    )
    anchor = standard_anchor(plat, signer, revoked_key)
    for data in (in_slot(img, p["slot_size"], p["erased"]), img):  # in the slot, and bare
        rep = cverifier.verify(data, anchor, hdr_size=p["hdr_size"], erased=p["erased"])
        assert rep.result == 0, cverifier.name(rep.result)
        assert rep.stage == 4 and rep.anchor_result == 0
        imgtool_hash = tlv_value(img, 0x6907, 0x10)
        assert rep.hash_valid == 1 and bytes(rep.hash) == imgtool_hash
        hdr_size, prot, img_size = struct.unpack_from("<HHI", img, 8)
        assert bytes(rep.hash) == hashlib.sha256(img[: hdr_size + img_size + prot]).digest()
        assert (rep.build, rep.key_id, rep.hw_compat) == (3, signer.key_id, hw_id(plat))
        assert (rep.img_size, rep.chunk_size, rep.chunk_count) == (size, chunk, -(-size // chunk))
        assert rep.image_end == len(img) and rep.version == b"2.5.1"


def test_real_app_binary_accepted(
    cverifier: CVerifier, keydir: Path, signer: Key, revoked_key: Key, plat: str
) -> None:
    app = Path(__file__).resolve().parents[2] / "build" / "firmware" / plat / "app.bin"
    if not app.is_file():
        pytest.skip(f"{app} not built")
    p = PLATFORMS[plat]
    img = imgtool_sign(
        app.read_bytes(),
        signer,
        keydir,
        hdr_size=p["hdr_size"],
        slot_size=p["slot_size"],
        build=1,
        hw_compat=hw_id(plat),
        name=f"app-{plat}",
    )
    rep = cverifier.verify(
        in_slot(img, p["slot_size"], p["erased"]),
        standard_anchor(plat, signer, revoked_key),
        hdr_size=p["hdr_size"],
        erased=p["erased"],
    )
    assert rep.result == 0 and bytes(rep.hash) == tlv_value(img, 0x6907, 0x10)


def _verify(cv: CVerifier, plat: str, img: bytes, anchor: bytes | None, **kw: int) -> str:
    p = PLATFORMS[plat]
    rep = cv.verify(
        in_slot(img, p["slot_size"], p["erased"]),
        anchor,
        hdr_size=p["hdr_size"],
        erased=p["erased"],
        **kw,
    )
    return cv.name(rep.result)


def test_policy_steps(
    cverifier: CVerifier,
    keydir: Path,
    signer: Key,
    other_key: Key,
    revoked_key: Key,
    plat: str,
    signed_images: dict[str, bytes],
) -> None:
    p = PLATFORMS[plat]
    img = signed_images[plat]
    anchor = standard_anchor(plat, signer, revoked_key)
    v = lambda data, a=anchor, **kw: _verify(cverifier, plat, data, a, **kw)  # noqa: E731
    assert v(img) == "ok"
    # freshness (build 7)
    assert v(img, standard_anchor(plat, signer, revoked_key, floor=8)) == "below_floor"
    assert v(img, standard_anchor(plat, signer, revoked_key, floor=7)) == "ok"
    assert v(img, running_build=7) == "replay"
    assert v(img, running_build=6) == "ok"
    # hardware / slot / type from the policy
    assert v(img, use_anchor=False, hw_compat=hw_id(plat) ^ 1) == "hw_mismatch"
    assert v(img, slot_index=1) == "wrong_slot"
    assert v(img, image_type=2) == "wrong_type"
    # tail: a non-erased byte within 64 bytes after the image end, but not beyond
    non_erased = bytes([p["erased"] ^ 0xFF])
    assert v(img + bytes([p["erased"]]) * 63 + non_erased) == "trailing_data"
    assert v(img + bytes([p["erased"]]) * 64 + non_erased) == "ok"
    # key policy
    assert v(img, None) == "key_unknown"  # no anchor at all
    assert v(img, render_anchor([], 0, hw_id(plat))) == "key_unknown"
    bad_crc = bytearray(anchor)
    bad_crc[30] ^= 1
    assert v(img, bytes(bad_crc)) == "key_unknown"
    revoked_too = render_anchor(
        [(signer.key_id, FLAG_ALLOWED, signer.xy), (signer.key_id, 3, signer.xy)], 0, hw_id(plat)
    )
    assert v(img, revoked_too) == "key_revoked"  # revoked wins over allowed
    not_allowed = render_anchor([(signer.key_id, 0, signer.xy)], 0, hw_id(plat))
    assert v(img, not_allowed) == "key_unknown"
    wrong_key = render_anchor([(signer.key_id, FLAG_ALLOWED, other_key.xy)], 0, hw_id(plat))
    assert v(img, wrong_key) == "keyid_mismatch"
    # signed by a revoked key
    by_revoked = imgtool_sign(
        payload_of(5000),
        revoked_key,
        keydir,
        hdr_size=p["hdr_size"],
        slot_size=p["slot_size"],
        build=7,
        hw_compat=hw_id(plat),
        name=f"rev-{plat}",
    )
    assert v(by_revoked) == "key_revoked"
    # imgtool image for slot B / another image type
    for kw, want in (({"target_slot": 1}, "wrong_slot"), ({"image_type": 9}, "wrong_type")):
        other = imgtool_sign(
            payload_of(5000),
            signer,
            keydir,
            hdr_size=p["hdr_size"],
            slot_size=p["slot_size"],
            build=7,
            hw_compat=hw_id(plat),
            name=f"kw-{plat}",
            **kw,
        )
        assert v(other) == want


def test_anchor_results(
    cverifier: CVerifier, signer: Key, revoked_key: Key, plat: str, signed_images: dict[str, bytes]
) -> None:
    """keyring_parse codes as reported in anchor_result (KR_ERR_*)."""
    p = PLATFORMS[plat]
    good = standard_anchor(plat, signer, revoked_key)

    def code(anchor: bytes | None) -> int:
        rep = cverifier.verify(
            signed_images[plat], anchor, hdr_size=p["hdr_size"], erased=p["erased"]
        )
        return int(rep.anchor_result)

    assert code(good) == 0
    assert code(good + b"\xff" * 100) == 0  # the keys area continues after the anchor
    assert code(good[:19]) == -2  # short head
    assert code(good[:-1]) == -2  # short entries
    assert code(b"\x00" + good[1:]) == -3  # magic
    assert code(good[:4] + b"\x02\x00" + good[6:]) == -4  # version
    assert code(good[:6] + b"\x11\x00" + good[8:]) == -5  # count 17
    assert code(good[:8] + b"\x01" + good[9:]) == -6  # floor changed, CRC not
    assert code(bytes([p["erased"]]) * 1172) in (-3,)  # erased keys area


def test_imgtool_verify_agrees(
    keydir: Path, signer: Key, signed_images: dict[str, bytes], plat: str
) -> None:
    """Our images stay imgtool-compatible (imgtool verify accepts them)."""
    import subprocess

    f = keydir / f"verify-{plat}.bin"
    f.write_bytes(signed_images[plat])
    out = subprocess.run(
        [str(IMGTOOL), "verify", "-k", str(signer.pem_path), str(f)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
