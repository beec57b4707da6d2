"""Shared fixtures of the image tests: deterministic keys, a payload, specs per platform."""

from __future__ import annotations

import random

import pytest

from hil.image.builder import ImageSpec, slot_size, spec_for_platform
from hil.image.keys import PrivateKey, derive_key
from hil.image.variants import VariantContext, make_context
from hil.image.verify import VerifyPolicy, policy_for_platform
from hil.platform import Platform, known_platforms, load_platform

PLATFORMS = known_platforms()


def make_payload(size: int = 10_000, seed: int = 3) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.fixture(scope="session")
def signer() -> PrivateKey:
    return derive_key("tests/image/signer")


@pytest.fixture(scope="session")
def payload() -> bytes:
    return make_payload()


@pytest.fixture(params=PLATFORMS)
def platform(request: pytest.FixtureRequest) -> Platform:
    name: str = request.param
    return load_platform(name)


@pytest.fixture
def spec(platform: Platform, signer: PrivateKey, payload: bytes) -> ImageSpec:
    return spec_for_platform(platform, payload, 5, signer, "B", version="1.2.3")


@pytest.fixture
def policy(platform: Platform, spec: ImageSpec) -> VerifyPolicy:
    return policy_for_platform(platform, "B")


@pytest.fixture
def ctx(platform: Platform, spec: ImageSpec) -> VariantContext:
    return make_context(spec, slot_size(platform, "B"))
