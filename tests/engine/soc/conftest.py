"""Fixtures for the SoC tests (the helpers live in soc_support.py)."""

from soc_support import asm, toolchain  # noqa: F401
