"""Serial ports: the device's UART output as a transcript, host input as an RX queue, and an
optional pseudo-terminal pumped without blocking at slice boundaries."""

from __future__ import annotations

import errno
import os
import tty
from collections import deque
from collections.abc import Callable

from hil.engine.base import SerialPort

_PTY_BACKLOG = 1 << 20  # bytes kept for a pty reader that does not keep up


class UcSerialPort(SerialPort):
    def __init__(self, peripheral: str) -> None:
        self.peripheral = peripheral
        self._transcript = bytearray()
        self._read_pos = 0
        self._rx: deque[int] = deque()
        self._master: int | None = None
        self._slave: int | None = None
        self._pty_path = ""
        self._pty_out = bytearray()
        self.new_output = False
        # called when host bytes arrive (the UART model re-evaluates its RX interrupt)
        self.rx_listeners: list[Callable[[], None]] = []

    # -- device side --------------------------------------------------------------------------
    def device_sent(self, data: bytes) -> None:
        self._transcript += data
        if self._master is not None:
            self._pty_out += data
            del self._pty_out[: max(0, len(self._pty_out) - _PTY_BACKLOG)]
        self.new_output = True

    def rx_pending(self) -> int:
        return len(self._rx)

    def rx_pop(self) -> int | None:
        return self._rx.popleft() if self._rx else None

    # -- host side ----------------------------------------------------------------------------
    def read(self) -> bytes:
        data = bytes(self._transcript[self._read_pos :])
        self._read_pos = len(self._transcript)
        return data

    def write(self, data: bytes) -> None:
        self._rx.extend(data)
        self._rx_arrived()

    def _rx_arrived(self) -> None:
        for listener in self.rx_listeners:
            listener()

    @property
    def transcript(self) -> bytes:
        return bytes(self._transcript)

    def sent_from(self, pos: int) -> bytes:
        return bytes(self._transcript[pos:])

    def open_pty(self) -> str:
        if self._master is None:
            master, slave = os.openpty()
            tty.setraw(slave)
            os.set_blocking(master, False)
            self._master, self._slave = master, slave
            self._pty_path = os.ttyname(slave)
        return self._pty_path

    def pump(self) -> None:
        """Move bytes between the pty and the port; never blocks."""
        if self._master is None:
            return
        while True:
            try:
                chunk = os.read(self._master, 4096)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EIO):
                    break
                raise
            if not chunk:
                break
            self._rx.extend(chunk)
            self._rx_arrived()
        while self._pty_out:
            try:
                n = os.write(self._master, self._pty_out)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EIO):
                    break
                raise
            del self._pty_out[:n]

    def close(self) -> None:
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None
