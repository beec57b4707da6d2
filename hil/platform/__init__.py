"""Platform descriptions: loading, validation, derived layout, code generation."""

from hil.platform.loader import known_platforms, load_platform, platforms_dir
from hil.platform.model import Platform

__all__ = ["Platform", "known_platforms", "load_platform", "platforms_dir"]
