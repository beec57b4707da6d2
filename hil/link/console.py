"""What the SMP link needs from a device: four members of its console, as a protocol.

``hil.device.Device`` satisfies it; so does a stand-in around the C SMP server built for the
host (``tests/link``). The link never imports the device.
"""

from __future__ import annotations

from typing import Protocol

from hil.evidence import Hit, Match


class Console(Protocol):
    """A device's console UART and its decoded records, in virtual time."""

    @property
    def time_ns(self) -> int:
        """Virtual time now."""
        ...

    def write(self, data: bytes) -> None:
        """Queue bytes for the device to receive."""

    def mark(self) -> int:
        """The position of the next record the device will decode (after decoding what came)."""
        ...

    def expect(
        self, match: Match, budget_ms: int, *, since: int | None = None, what: str | None = None
    ) -> Hit:
        """Run the device until a record from ``since`` on matches; raise ``DeviceTimeout``
        (pattern, console tail, log path) when ``budget_ms`` of virtual time runs out."""
        ...


__all__ = ["Console"]
