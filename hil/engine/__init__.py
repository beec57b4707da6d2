"""Engines: the interface (``base``) and the registry of implementations."""

from hil.engine.base import (
    CpuBench,
    Engine,
    FlashOp,
    FlashOpAction,
    FlashOpKind,
    ResetCause,
    RunResult,
    SerialPort,
    StopReason,
)
from hil.engine.registry import cpu_benchmark, create_engine, known_engines, register_engine

__all__ = [
    "CpuBench",
    "Engine",
    "FlashOp",
    "FlashOpAction",
    "FlashOpKind",
    "ResetCause",
    "RunResult",
    "SerialPort",
    "StopReason",
    "cpu_benchmark",
    "create_engine",
    "known_engines",
    "register_engine",
]
