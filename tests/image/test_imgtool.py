"""Interop with MCUboot's imgtool 2.5.0 (PyPI), a tool we did not write.

(a) ``imgtool verify`` accepts the images we sign and reports our hash;
(b) images made by ``imgtool sign`` with our manifest as custom TLVs pass our verifier with
    imgtool's hash. What imgtool emits (checked below): header padding with the erased value
    (``-R``, default 0xff), protected area = SEC_CNT then the custom TLVs (``--custom-tlv`` in
    command-line order, then ``--custom-tlv-file`` ones), unprotected area = SHA256, KEYHASH
    (``--public-key-format hash``; PUBKEY 0x02 otherwise), ECDSASIG 0x22; nothing else.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from hil.image.builder import (
    build_image,
    chunk_hashes,
    default_hw_compat,
    slot_size,
    spec_for_platform,
)
from hil.image.constants import IMG_TLV_INFO_MAGIC, IMG_TLV_PROT_MAGIC, ImageResult
from hil.image.keyring import Keyring
from hil.image.keys import PrivateKey, key_id, save_private_key, save_public_key
from hil.image.parse import parse_image
from hil.image.variants import VARIANTS, VariantContext
from hil.image.verify import policy_for_platform, verify_image
from hil.platform import Platform

from .conftest import make_payload

IMGTOOL = Path(sys.executable).with_name("imgtool")
pytestmark = pytest.mark.skipif(not IMGTOOL.exists(), reason=f"{IMGTOOL} not installed")


def imgtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(IMGTOOL), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def imgtool_digest(key: Path, image: Path) -> str:
    r = imgtool("verify", "-k", key, image)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Image was correctly validated" in r.stdout
    m = re.search(r"Image digest: ([0-9a-f]{64})", r.stdout)
    assert m, r.stdout
    return m.group(1)


@pytest.fixture
def keyfiles(tmp_path: Path, signer: PrivateKey) -> tuple[Path, Path]:
    save_private_key(signer, tmp_path / "key.pem")
    save_public_key(signer, tmp_path / "pub.pem")
    return tmp_path / "key.pem", tmp_path / "pub.pem"


@pytest.mark.parametrize("slot", ["A", "B"])
@pytest.mark.parametrize("version", ["1.2.3", None])
def test_imgtool_verifies_our_images(
    tmp_path: Path,
    platform: Platform,
    signer: PrivateKey,
    keyfiles: tuple[Path, Path],
    slot: str,
    version: str | None,
) -> None:
    spec = spec_for_platform(platform, make_payload(9000), 12, signer, slot, version=version)
    img = build_image(spec)
    (tmp_path / "app.img").write_bytes(img)
    v = verify_image(
        img, keyring=Keyring.of([signer.public_key()]), policy=policy_for_platform(platform, slot)
    )
    assert v.ok and v.manifest is not None and v.manifest.hash is not None
    for key in keyfiles:
        assert imgtool_digest(key, tmp_path / "app.img") == v.manifest.hash.hex()
    r = imgtool("verify", "-k", keyfiles[1], tmp_path / "app.img")
    want = "{}.{}.{}+12".format(*(version or "0.0.0").split("."))
    assert f"Image version: {want}" in r.stdout


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("tampered-build", "Image has an invalid hash"),
        ("tampered-chunk-hash", "Image has an invalid hash"),
        ("signature-bitflip", "No signature found for the given key"),
        ("tampered-build-rehashed", "No signature found for the given key"),
        ("forged-signature-same-id", "No signature found for the given key"),
        ("bad-magic", "Invalid image magic"),
    ],
)
def test_imgtool_refuses_what_we_refuse(
    tmp_path: Path, ctx: VariantContext, keyfiles: tuple[Path, Path], variant: str, message: str
) -> None:
    (tmp_path / "bad.img").write_bytes(VARIANTS[variant].build(ctx))
    r = imgtool("verify", "-k", keyfiles[1], tmp_path / "bad.img")
    assert r.returncode != 0 and message in r.stdout, r.stdout


def _manifest_tlvs(
    platform: Platform,
    key: PrivateKey,
    payload: bytes,
    slot: int,
    *,
    version: str | None,
    self_test: bool,
    hashes_file: Path | None,
) -> list[str]:
    u32 = lambda v: "0x" + struct.pack("<I", v).hex()  # noqa: E731
    hashes = chunk_hashes(payload, 4096)
    args = [
        "--custom-tlv",
        "0xa0",
        u32(key_id(key)),
        "--custom-tlv",
        "0xa1",
        u32(default_hw_compat(platform)),
        "--custom-tlv",
        "0xa2",
        u32(1),
        "--custom-tlv",
        "0xa3",
        u32(slot),
        "--custom-tlv",
        "0xa4",
        u32(len(payload)),
        "--custom-tlv",
        "0xa5",
        u32(4096),
    ]
    if hashes_file is None:
        args += ["--custom-tlv", "0xa6", "0x" + hashes.hex()]
    else:
        hashes_file.write_bytes(hashes)
        args += ["--custom-tlv-file", "0xa6", str(hashes_file)]
    if version is not None:
        args += ["--custom-tlv", "0xa7", version]
    if self_test:
        args += ["--custom-tlv", "0xa8", u32(0)]
    return args


def _imgtool_sign(
    tmp_path: Path,
    platform: Platform,
    key_pem: Path,
    key: PrivateKey,
    payload: bytes,
    *,
    build: int = 12,
    slot: str = "A",
    version: str | None = "1.2.3",
    self_test: bool = True,
    erased: str | None = None,
    hashes_file: bool = False,
    extra: tuple[str, ...] = (),
) -> Path:
    (tmp_path / "app.bin").write_bytes(payload)
    idx = "AB".index(slot)
    args: list[str | Path] = [
        "sign",
        "-k",
        key_pem,
        "--public-key-format",
        "hash",
        "--header-size",
        hex(platform.layout.image_header_size),
        "--pad-header",
        "--align",
        "16",
        "--slot-size",
        hex(slot_size(platform, slot)),
        "-v",
        f"{version or '0.0.0'}+{build}",
        "-s",
        str(build),
        *_manifest_tlvs(
            platform,
            key,
            payload,
            idx,
            version=version,
            self_test=self_test,
            hashes_file=tmp_path / "hashes.bin" if hashes_file else None,
        ),
        *extra,
    ]
    if erased is not None:
        args += ["-R", erased]
    out = tmp_path / "imgtool.img"
    r = imgtool(*args, tmp_path / "app.bin", out)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def test_imgtool_signed_image_passes_our_verifier(
    tmp_path: Path, platform: Platform, signer: PrivateKey, keyfiles: tuple[Path, Path]
) -> None:
    payload = make_payload(9000)
    out = _imgtool_sign(tmp_path, platform, keyfiles[0], signer, payload, slot="B", erased="0")
    data = out.read_bytes()
    v = verify_image(
        data, keyring=Keyring.of([signer.public_key()]), policy=policy_for_platform(platform, "B")
    )
    assert v.ok, v.detail
    assert v.computed_hash is not None and v.computed_hash.hex() == imgtool_digest(keyfiles[1], out)
    # With -R 0 and the custom TLVs in our order, the signed region is byte-identical to ours
    # (only the randomised signature differs).
    ours = build_image(spec_for_platform(platform, payload, 12, signer, "B", version="1.2.3"))
    hdr = parse_image(ours).header
    assert hdr is not None
    assert data[: hdr.signed_end] == ours[: hdr.signed_end]
    parsed = parse_image(data)
    assert parsed.protected is not None and parsed.unprotected is not None
    assert [t.type for t in parsed.protected.tlvs] == [0x50, *range(0xA0, 0xA9)]
    assert [t.type for t in parsed.unprotected.tlvs] == [0x10, 0x01, 0x22]


def test_imgtool_defaults_and_tlv_order_are_tolerated(
    tmp_path: Path, platform: Platform, signer: PrivateKey, keyfiles: tuple[Path, Path]
) -> None:
    """Header padded with 0xff (imgtool default), CHUNK_HASHES via --custom-tlv-file (so it
    comes last), no VERSION / SELF_TEST."""
    payload = make_payload(5000, seed=9)
    out = _imgtool_sign(
        tmp_path,
        platform,
        keyfiles[0],
        signer,
        payload,
        version=None,
        self_test=False,
        hashes_file=True,
    )
    data = out.read_bytes()
    hsz = platform.layout.image_header_size
    assert data[32:hsz] == b"\xff" * (hsz - 32)
    parsed = parse_image(data)
    assert parsed.protected is not None
    assert [t.type for t in parsed.protected.tlvs] == [
        0x50,
        0xA0,
        0xA1,
        0xA2,
        0xA3,
        0xA4,
        0xA5,
        0xA6,
    ]
    v = verify_image(
        data, keyring=Keyring.of([signer.public_key()]), policy=policy_for_platform(platform, "A")
    )
    assert v.ok, v.detail
    assert v.manifest is not None and v.manifest.version is None and v.manifest.self_test == 0
    assert v.computed_hash is not None and v.computed_hash.hex() == imgtool_digest(keyfiles[1], out)


@pytest.mark.parametrize(
    ("extra", "result"),
    [
        (("--pad",), ImageResult.TRAILING_DATA),  # padded to the slot with the swap trailer
        (("--pad-sig",), ImageResult.BAD_SIGNATURE),  # zero-padded DER is not strict DER
        (("--pad-sig", "--pad-sig"), ImageResult.BAD_SIGNATURE),  # (random sig: try twice)
        (("--public-key-format", "full"), ImageResult.MISSING_FIELD),  # PUBKEY, no KEYHASH
    ],
)
def test_imgtool_options_we_do_not_accept(
    tmp_path: Path,
    platform: Platform,
    signer: PrivateKey,
    keyfiles: tuple[Path, Path],
    extra: tuple[str, ...],
    result: ImageResult,
) -> None:
    out = _imgtool_sign(tmp_path, platform, keyfiles[0], signer, make_payload(3000), extra=extra)
    v = verify_image(
        out.read_bytes(),
        keyring=Keyring.of([signer.public_key()]),
        policy=policy_for_platform(platform, "A"),
    )
    if "--pad-sig" in extra:
        parsed = parse_image(out.read_bytes())
        assert parsed.unprotected is not None
        sig = parsed.unprotected.of_type(0x22)[0].value
        assert len(sig) == 72
        if sig[1] + 2 == 72:  # the DER happened to be 72 bytes already: nothing was padded
            result = ImageResult.OK
    assert v.result is result, v.detail


def test_imgtool_without_key_is_missing_keyhash(
    tmp_path: Path, platform: Platform, signer: PrivateKey
) -> None:
    payload = make_payload(3000)
    (tmp_path / "app.bin").write_bytes(payload)
    args = [
        "sign",
        "--header-size",
        hex(platform.layout.image_header_size),
        "--pad-header",
        "--slot-size",
        hex(slot_size(platform, "A")),
        "-v",
        "1.0.0+3",
        "-s",
        "3",
        *_manifest_tlvs(
            platform, signer, payload, 0, version=None, self_test=False, hashes_file=None
        ),
    ]
    r = imgtool(*args, tmp_path / "app.bin", tmp_path / "u.img")
    assert r.returncode == 0, r.stderr
    parsed = parse_image((tmp_path / "u.img").read_bytes())
    assert parsed.unprotected is not None and [t.type for t in parsed.unprotected.tlvs] == [0x10]
    v = verify_image(
        (tmp_path / "u.img").read_bytes(),
        keyring=Keyring.of([signer.public_key()]),
        policy=policy_for_platform(platform, "A"),
    )
    assert v.result is ImageResult.MISSING_FIELD and "KEYHASH" in v.detail


def test_protected_and_unprotected_magics() -> None:
    assert (IMG_TLV_PROT_MAGIC, IMG_TLV_INFO_MAGIC) == (0x6908, 0x6907)
