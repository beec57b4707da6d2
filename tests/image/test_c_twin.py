"""The Python verifier and the C one (``firmware_stubs/core/image.c`` via the host library)
report the same first failure: every variant on both platforms and slots, plus mutations.

The C host library is built into a temporary directory with ``make -C firmware_stubs/host``.
Difference by contract (§7 step 8): Python's TRAILING_DATA means "data longer than the image",
C's means "non-erased bytes after the image inside the slot"; the buffers given to C are the
package bytes cut to the slot, where both readings agree.
"""

from __future__ import annotations

import ctypes
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from hil.image.builder import build_image, slot_size, spec_for_platform
from hil.image.keyring import render_anchor
from hil.image.keys import derive_key
from hil.image.parse import parse_image
from hil.image.variants import VARIANTS, VariantContext, make_context
from hil.image.verify import verify_image
from hil.platform import Platform

ROOT = Path(__file__).resolve().parents[2]
HOST = ROOT / "firmware_stubs" / "host"


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


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    if not (HOST / "Makefile").exists():
        pytest.skip(f"{HOST}/Makefile does not exist yet")
    if shutil.which("make") is None or shutil.which("cc") is None:
        pytest.skip("make / cc not installed")
    out = tmp_path_factory.mktemp("otacore")
    r = subprocess.run(
        ["make", "-s", "-C", str(HOST), f"OUT_DIR={out}", str(out / "libotacore.so")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    so = ctypes.CDLL(str(out / "libotacore.so"))
    so.img_verify_buffer.restype = ctypes.c_int
    return so


def _c_result(lib: ctypes.CDLL, ctx: VariantContext, platform: Platform, data: bytes) -> int:
    pol = ctx.policy
    anchor = render_anchor(ctx.keyring, pol.floor, pol.hw_compat)
    hp = HostPolicy(
        pol.header_size,
        pol.hw_compat,
        pol.floor,
        pol.slot,
        pol.image_type,
        pol.running_build or 0,
        platform.flash.erased_value,
        0,
    )
    buf = data[: pol.slot_size]
    return int(lib.img_verify_buffer(buf, len(buf), anchor, len(anchor), ctypes.byref(hp), None))


@pytest.mark.parametrize("slot", ["A", "B"])
def test_variants_same_result_in_c(lib: ctypes.CDLL, platform: Platform, slot: str) -> None:
    spec = spec_for_platform(
        platform,
        bytes(range(256)) * 40 + b"tail",
        5,
        derive_key("tests/image/c-twin"),
        slot,
        version="3.0",
    )
    ctx = make_context(spec, slot_size(platform, slot))
    cases = [("valid", build_image(spec))] + [(n, v.build(ctx)) for n, v in VARIANTS.items()]
    for name, data in cases:
        py = verify_image(data, keyring=ctx.keyring, policy=ctx.policy).result
        assert _c_result(lib, ctx, platform, data) == py, (name, py.name)


def test_mutations_same_result_in_c(lib: ctypes.CDLL, platform: Platform) -> None:
    spec = spec_for_platform(
        platform,
        bytes(range(256)) * 12 + b"x",
        5,
        derive_key("tests/image/c-twin"),
        "A",
        chunk_size=512,
    )
    ctx = make_context(spec, slot_size(platform, "A"))
    bases = [build_image(spec)] + [v.build(ctx) for v in VARIANTS.values()]
    rng = random.Random(2024)
    for i in range(600):
        data = bytearray(rng.choice(bases))
        hdr = parse_image(bytes(data)).header
        hot = list(range(32))
        if hdr is not None and hdr.payload_end < len(data):
            hot += range(hdr.payload_end, len(data))
        for _ in range(rng.randint(1, 3)):
            pos = rng.choice(hot) if rng.random() < 0.9 else rng.randrange(len(data))
            data[pos] = rng.randrange(256)
        if i % 7 == 0:
            data = data[: rng.randrange(len(data) + 1)]
        blob = bytes(data[: ctx.policy.slot_size])
        py = verify_image(blob, keyring=ctx.keyring, policy=ctx.policy).result
        assert _c_result(lib, ctx, platform, blob) == py, (i, py.name, blob.hex())
