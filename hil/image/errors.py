"""Errors of the image package (all ``HilError``s, so ``hil`` maps them to exit code 2)."""

from __future__ import annotations

from hil.errors import FieldError, HilError


class KeyFileError(HilError):
    """A key file is missing or is not what was asked for (PEM P-256 private/public key)."""

    def __init__(self, path: str, expected: str, found: str) -> None:
        self.path = path
        self.expected = expected
        self.found = found
        super().__init__(f"{path}: expected {expected}, found {found}")


class KeyringError(FieldError):
    """A keyring file is malformed; ``field`` is the dotted path (``keys[2].status``)."""


class AnchorError(HilError):
    """Trust-anchor bytes are malformed (bad magic, version, count or CRC)."""


class ImageBuildError(HilError):
    """An ``ImageSpec`` cannot be turned into an image (value out of range, too large...)."""
