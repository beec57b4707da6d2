"""Signed images for secure OTA (issue 3; contracts §7): format constants, TLVs, keys,
keyrings and the trust anchor, the image builder, the verifier (Python twin of the
bootloader's) and the named bad-package variants."""

from hil.image.builder import ImageSpec, build_image, image_for_platform, spec_for_platform
from hil.image.constants import ImageResult
from hil.image.errors import AnchorError, ImageBuildError, KeyFileError, KeyringError
from hil.image.keyring import Keyring, load_keyring, parse_anchor, render_anchor
from hil.image.keys import derive_key, generate_key, key_id, load_private_key, load_public_key
from hil.image.variants import VARIANTS, Variant
from hil.image.verify import Verdict, VerifyPolicy, parse_image, policy_for_platform, verify_image

__all__ = [
    "VARIANTS",
    "AnchorError",
    "ImageBuildError",
    "ImageResult",
    "ImageSpec",
    "KeyFileError",
    "Keyring",
    "KeyringError",
    "Variant",
    "Verdict",
    "VerifyPolicy",
    "build_image",
    "derive_key",
    "generate_key",
    "image_for_platform",
    "key_id",
    "load_keyring",
    "load_private_key",
    "load_public_key",
    "parse_anchor",
    "parse_image",
    "policy_for_platform",
    "render_anchor",
    "spec_for_platform",
    "verify_image",
]
