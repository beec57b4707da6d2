"""Unicorn's classes with the types mypy --strict can use (the binding is partly untyped)."""

from __future__ import annotations

from typing import Any

import unicorn as _unicorn

Uc: Any = _unicorn.Uc  # type: ignore[attr-defined]
UcError: type[Exception] = _unicorn.UcError  # type: ignore[attr-defined]


def errno_of(exc: Exception) -> int:
    return int(getattr(exc, "errno", -1))
