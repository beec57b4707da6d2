"""Unicorn's classes with the types mypy --strict can use (the binding is partly untyped)."""

from __future__ import annotations

import ctypes
from typing import Any

import unicorn as _unicorn
from unicorn.unicorn_py3 import unicorn as _binding

Uc: Any = _unicorn.Uc  # type: ignore[attr-defined]
UcError: type[Exception] = _unicorn.UcError  # type: ignore[attr-defined]
_uclib: Any = _binding.uclib  # unicorn==2.1.4 is pinned in pyproject.toml


def errno_of(exc: Exception) -> int:
    return int(getattr(exc, "errno", -1))


class Regs:
    """32-bit core registers through Unicorn's C entry points.

    The binding's ``reg_read``/``reg_write`` pick a register class per call, several times the
    cost of the access itself; exception entry and return touch a dozen registers, on every
    interrupt. Only for registers of 32 bits or less (r0-r15, xPSR views, the special registers,
    s0-s31, FPSCR)."""

    def __init__(self, uc: Any) -> None:
        self._uch = uc._uch
        self._cell = ctypes.c_uint32()
        self._ref = ctypes.byref(self._cell)

    def read(self, reg: int) -> int:
        status = _uclib.uc_reg_read(self._uch, reg, self._ref)
        if status:
            raise UcError(status)
        return int(self._cell.value)

    def write(self, reg: int, value: int) -> None:
        self._cell.value = value & 0xFFFFFFFF
        status = _uclib.uc_reg_write(self._uch, reg, self._ref)
        if status:
            raise UcError(status)


class MemReader:
    """Small reads of guest memory through Unicorn's C entry point (the binding's ``mem_read``
    allocates a buffer and builds a bytearray per call; the core reads the instruction before
    the PC after every slice that ends on a WFI)."""

    def __init__(self, uc: Any, size: int = 8) -> None:
        self._uch = uc._uch
        self._size = size
        self._buf = ctypes.create_string_buffer(size)

    def read(self, address: int, size: int) -> bytes:
        if size > self._size:
            raise ValueError(f"MemReader: expected at most {self._size} bytes, found {size}")
        status = _uclib.uc_mem_read(self._uch, address, self._buf, size)
        if status:
            raise UcError(status)
        return self._buf.raw[:size]
