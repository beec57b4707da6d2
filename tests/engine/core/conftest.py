"""Fixtures for the unicorn engine core tests (the helpers live in core_support.py)."""

from core_support import assemble, engine, platform, toolchain  # noqa: F401
