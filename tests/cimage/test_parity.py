"""Parity of the C verifier (libotacore.so) with the Python verifier (hil.image.verify) over
every named bad-package variant of hil.image.variants, for both platforms' header sizes.

Source semantics (contracts §7): Python verifies the package bytes cut to the slot size; the
C host API gets exactly those bytes, so both see the same source and must give the same
first failure. In "slot" mode the C verifier sees the package followed by erased flash, as
the bootloader does; there the results must still match, except where erased cells replace
missing bytes (DEVICE_DIFFERS)."""

from __future__ import annotations

import pytest

from hil.image.builder import slot_size, spec_for_platform
from hil.image.constants import ImageResult
from hil.image.keyring import render_anchor
from hil.image.variants import VARIANTS, VariantContext, VariantKeys, make_context
from hil.image.verify import verify_image
from hil.platform import load_platform
from tests.cimage.conftest import payload_of
from tests.cimage.helpers import PLATFORMS, CVerifier

BUILD = 5

# In the slot the package is followed by erased cells, which the verifier cannot tell from
# package bytes: a cut-short package is then judged on the erased cells that follow it.
DEVICE_DIFFERS = {"tlv-truncated"}


@pytest.fixture(scope="module")
def contexts() -> dict[str, VariantContext]:
    keys = VariantKeys.standard()
    out = {}
    for name in PLATFORMS:
        platform = load_platform(name)
        spec = spec_for_platform(
            platform,
            payload_of(9000, seed=3),
            BUILD,
            keys.signer,
            "A",
            chunk_size=2048,
            version="1.2.3",
        )
        out[name] = make_context(spec, slot_size(platform, "A"), keys)
    return out


def _c_result(cv: CVerifier, plat: str, ctx: VariantContext, data: bytes, pad: bool) -> ImageResult:
    p = PLATFORMS[plat]
    pol = ctx.policy
    anchor = render_anchor(ctx.keyring, pol.floor, pol.hw_compat)
    src = data[: pol.slot_size]
    if pad:
        src = src + bytes([p["erased"]]) * (pol.slot_size - len(src))
    rep = cv.verify(
        src,
        anchor,
        hdr_size=pol.header_size,
        erased=p["erased"],
        slot_index=pol.slot,
        running_build=pol.running_build or 0,
    )
    return ImageResult(rep.result)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_parity(
    cverifier: CVerifier, contexts: dict[str, VariantContext], plat: str, variant: str
) -> None:
    ctx = contexts[plat]
    assert PLATFORMS[plat]["hdr_size"] == ctx.policy.header_size
    data = VARIANTS[variant].build(ctx)
    py = verify_image(data, keyring=ctx.keyring, policy=ctx.policy).result
    assert py == VARIANTS[variant].expected
    assert _c_result(cverifier, plat, ctx, data, pad=False) == py
    in_slot = _c_result(cverifier, plat, ctx, data, pad=True)
    if variant in DEVICE_DIFFERS:
        assert in_slot != ImageResult.OK
    else:
        assert in_slot == py


def test_valid_image_parity(
    cverifier: CVerifier, contexts: dict[str, VariantContext], plat: str
) -> None:
    from hil.image.builder import build_image

    ctx = contexts[plat]
    data = build_image(ctx.spec)
    py = verify_image(data, keyring=ctx.keyring, policy=ctx.policy)
    assert py.result == ImageResult.OK
    for pad in (False, True):
        assert _c_result(cverifier, plat, ctx, data, pad) == ImageResult.OK
