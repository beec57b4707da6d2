"""Engines by name: ``create_engine("unicorn", platform, seed)``."""

from __future__ import annotations

from collections.abc import Callable

from hil.engine.base import Engine
from hil.errors import UnknownNameError
from hil.platform.model import Platform

EngineFactory = Callable[[Platform, int], Engine]


def _unicorn(platform: Platform, seed: int) -> Engine:
    from hil.engine.unicorn.engine import UnicornEngine

    return UnicornEngine(platform, seed)


_ENGINES: dict[str, EngineFactory] = {"unicorn": _unicorn}


def register_engine(name: str, factory: EngineFactory) -> None:
    """Make another engine (e.g. renode) available under ``name``."""
    _ENGINES[name] = factory


def known_engines() -> list[str]:
    return sorted(_ENGINES)


def create_engine(name: str, platform: Platform, seed: int) -> Engine:
    try:
        factory = _ENGINES[name]
    except KeyError:
        raise UnknownNameError("engine", name, list(_ENGINES)) from None
    return factory(platform, seed)
