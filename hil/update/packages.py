"""The packages the CLI, the scenarios and the suites upload: a slot's application binary
signed by one of the harness keys, or a bad-package variant built from it."""

from __future__ import annotations

from pathlib import Path

from hil.firmware import FirmwareSet
from hil.image.builder import (
    image_for_spec,
    sized_payload,
    slot_index,
    slot_size,
    spec_for_platform,
)
from hil.image.errors import ImageBuildError
from hil.image.variants import VariantKeys, build_variant, make_context
from hil.platform.model import Platform
from hil.provision import harness_keys

KEY_CHOICES = ("signer", "other", "revoked", "unknown")
SELF_TEST = {"pass": 0, "fail": 1, "hang": 2}


def app_binary(firmware: FirmwareSet, slot: str | int) -> Path:
    """The application binary linked for ``slot``: ``app.bin`` (A) or ``app_b.bin`` (B)."""
    if slot_index(slot) == 0:
        return firmware.app_bin
    path = firmware.app_elf.with_name("app_b.bin")
    if not path.is_file():
        raise ImageBuildError(
            f"{path}: expected the slot-B application binary (the firmware Makefile's app_b.bin, "
            "contracts §8), found no such file"
        )
    return path


def package_for(
    platform: Platform,
    firmware: FirmwareSet,
    build: int,
    slot: str | int,
    *,
    key: str = "signer",
    variant: str | None = None,
    self_test: int = 0,
    keys: VariantKeys | None = None,
    app_size: int | None = None,
) -> bytes:
    """A package for ``slot`` of ``platform``: the slot's app binary signed as ``build`` by the
    harness key ``key`` (signer, other, revoked, unknown), or the named bad-package variant
    built from that valid spec (variants need build >= 2). ``app_size`` (bytes): the app
    followed by the deterministic filler up to that payload size (``sized_payload``)."""
    ks = keys or harness_keys()
    if key not in KEY_CHOICES:
        raise ImageBuildError(f"key: expected one of {', '.join(KEY_CHOICES)}, found {key!r}")
    path = app_binary(firmware, slot)
    app: bytes | Path = path
    if app_size is not None:
        try:
            app = sized_payload(path.read_bytes(), app_size)
        except OSError as exc:
            raise ImageBuildError(f"{path}: expected a readable binary, found {exc}") from None
    spec = spec_for_platform(platform, app, build, getattr(ks, key), slot, self_test=self_test)
    if variant is None:
        return image_for_spec(platform, spec)
    ctx = make_context(spec, slot_size(platform, slot), ks)
    return build_variant(variant, ctx)


def check_app_size(platform: Platform, firmware: FirmwareSet, app_size: int) -> None:
    """Raise ``ImageBuildError`` (one line naming the slot size) unless an update whose payload
    is ``app_size`` bytes fits both slots of ``platform``."""
    for slot in ("A", "B"):
        package_for(platform, firmware, 2, slot, app_size=app_size)


__all__ = ["KEY_CHOICES", "SELF_TEST", "app_binary", "check_app_size", "package_for"]
