"""Engines: the interface (``base``) and the registry of implementations."""

from hil.engine.base import (
    Engine,
    FlashOp,
    FlashOpAction,
    FlashOpKind,
    ResetCause,
    RunResult,
    SerialPort,
    StopReason,
)
from hil.engine.registry import create_engine, known_engines, register_engine

__all__ = [
    "Engine",
    "FlashOp",
    "FlashOpAction",
    "FlashOpKind",
    "ResetCause",
    "RunResult",
    "SerialPort",
    "StopReason",
    "create_engine",
    "known_engines",
    "register_engine",
]
