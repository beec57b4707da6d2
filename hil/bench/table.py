"""Side-by-side tables of ``hil bench``: columns are data, so a bench adds one by appending a
``Column`` and giving its value in each row (a value a row does not give prints as ``-``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str  # the row value's name
    head: str  # the printed heading
    width: int
    spec: str = ""  # format spec of the value (``.1f``, ``.0%``, ``,``); text when empty
    left: bool = False


class Table:
    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = list(columns)

    def header(self) -> str:
        return " ".join(self._fit(c, c.head) for c in self.columns)

    def row(self, values: Mapping[str, object]) -> str:
        cells = []
        for c in self.columns:
            value = values.get(c.key)
            text = "-" if value is None else format(value, c.spec)
            cells.append(self._fit(c, text))
        return " ".join(cells)

    @staticmethod
    def _fit(c: Column, text: str) -> str:
        return f"{text:<{c.width}}" if c.left else f"{text:>{c.width}}"


__all__ = ["Column", "Table"]
