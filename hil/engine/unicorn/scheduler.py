"""Virtual-time callbacks: a heap of (instructions, sequence, callback), run at slice boundaries.

The engine cuts each slice so that the earliest deadline lands exactly on a slice boundary.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable


class Scheduler:
    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Callable[[], None]]] = []
        self._seq = 0

    def schedule(self, at_instructions: int, callback: Callable[[], None]) -> None:
        heapq.heappush(self._heap, (at_instructions, self._seq, callback))
        self._seq += 1

    @property
    def next_deadline(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: int) -> Callable[[], None] | None:
        if self._heap and self._heap[0][0] <= now:
            return heapq.heappop(self._heap)[2]
        return None

    def clear(self) -> None:
        self._heap.clear()
