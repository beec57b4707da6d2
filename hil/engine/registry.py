"""Engines by name: ``create_engine("unicorn", platform, seed)``."""

from __future__ import annotations

from collections.abc import Callable

from hil.engine.base import CpuBench, Engine
from hil.errors import UnknownNameError
from hil.platform.model import Platform

EngineFactory = Callable[[Platform, int], Engine]
CpuBenchmark = Callable[[Platform], CpuBench]


def _unicorn(platform: Platform, seed: int) -> Engine:
    from hil.engine.unicorn.engine import UnicornEngine

    return UnicornEngine(platform, seed)


def _unicorn_bench(platform: Platform) -> CpuBench:
    from hil.engine.unicorn.engine import cpu_benchmark

    return cpu_benchmark(platform)


_ENGINES: dict[str, EngineFactory] = {"unicorn": _unicorn}
_BENCHES: dict[str, CpuBenchmark] = {"unicorn": _unicorn_bench}


def register_engine(name: str, factory: EngineFactory, bench: CpuBenchmark | None = None) -> None:
    """Make another engine (e.g. renode) available under ``name`` (with its CPU benchmark)."""
    _ENGINES[name] = factory
    if bench is not None:
        _BENCHES[name] = bench


def known_engines() -> list[str]:
    return sorted(_ENGINES)


def create_engine(name: str, platform: Platform, seed: int) -> Engine:
    try:
        factory = _ENGINES[name]
    except KeyError:
        raise UnknownNameError("engine", name, list(_ENGINES)) from None
    return factory(platform, seed)


def cpu_benchmark(name: str, platform: Platform) -> CpuBench:
    """The engine's speed with every hook installed against its bare CPU backend."""
    try:
        bench = _BENCHES[name]
    except KeyError:
        raise UnknownNameError("engine with a CPU benchmark", name, list(_BENCHES)) from None
    return bench(platform)
