"""smpclient's real serial transport over an in-process byte pipe (for host-built C servers).

``run_client(feed, take, body)`` connects an ``SMPClient`` whose pyserial port is replaced by
a pipe: what the client writes goes to ``feed``; what it reads comes from ``take``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from smpclient import SMPClient
from smpclient.transport.serial import SMPSerialTransport

Feed = Callable[[bytes], None]
Take = Callable[[], bytes]


class PipeSerial:
    """Stands in for pyserial's Serial under SMPSerialTransport."""

    def __init__(self, feed: Feed, take: Take, max_line: int | None = None) -> None:
        self.feed, self.take, self.max_line = feed, take, max_line
        self.port: str | None = None
        self.out_waiting = 0
        self.is_open = False

    def open(self) -> None:
        self.is_open = True

    def close(self) -> None:
        self.is_open = False

    def reset_input_buffer(self) -> None:
        self.take()

    def write(self, data: bytes) -> int:
        if self.max_line is not None:
            assert len(data) <= self.max_line, f"smpclient line longer than {self.max_line} bytes"
        self.feed(data)
        return len(data)

    def read_all(self) -> bytes:
        return self.take()


class PipeTransport(SMPSerialTransport):
    """smpclient's encoded serial transport, unchanged except for the byte pipe."""

    def __init__(self, serial: PipeSerial) -> None:
        super().__init__()
        self._conn = serial  # type: ignore[assignment]


def run_client(serial: PipeSerial, body: Callable[[SMPClient], Any], address: str) -> Any:
    """Connect an SMPClient (which reads MCUmgr params first) and run ``body(client)``."""

    async def main() -> Any:
        client = SMPClient(PipeTransport(serial), address, timeout_s=2.0)
        await client.connect()
        try:
            return await body(client)
        finally:
            await client.disconnect()

    return asyncio.run(main())
