"""An smpclient ``SMPTransport`` over the emulated device's console UART, in virtual time.

``send`` frames the request exactly as smpclient's serial transport does (``smp.packet.encode``,
128-byte lines by convention) and queues the bytes in the device's UART receive queue.
``receive`` runs the emulator (``Console.expect``) until the device has sent a complete SMP
response frame: the device's ``EvidenceStream`` routes SMP lines apart (``SmpLine``), this
transport feeds them to ``smp.packet.decode``. Each wait has a budget in *virtual*
milliseconds; nothing here looks at the wall clock, so the same inputs give the same bytes, run
after run. No method ever suspends: ``SmpSession`` drives smpclient's coroutines to their end
without an event loop.
"""

from __future__ import annotations

import binascii
from collections.abc import Generator
from typing import Final

from smp import packet as smppacket
from smp.exceptions import SMPBadContinueDelimiter, SMPBadCRC, SMPBadStartDelimiter
from smpclient.transport import SMPTransport

from hil.errors import DeviceTimeout
from hil.evidence import Record, SmpLine, Truncated
from hil.link.console import Console

DEFAULT_LINE_LENGTH: Final = 128
"""Line length of the SMP serial framing on the wire (the convention smpclient uses)."""

FRAME_OVERHEAD: Final = 4
"""The frame's u16 length and u16 CRC share the server's decoded reassembly buffer."""

PRE_PARAMS_MTU: Final = 256
"""Encoded budget assumed before the MCUmgr params are read (smpclient's legacy default)."""

DEFAULT_RECEIVE_BUDGET_MS: Final = 15000


def _b64_max(size: int) -> int:
    return 0 if size < 4 else (3 * size) // 4 - 2


def _b64_cost(size: int) -> int:
    return 0 if size == 0 else -(-4 * size // 3) + 2


class VirtualSerialTransport(SMPTransport):
    """SMP serial framing over a device's console UART, stepping the emulator to receive.

    ``budget_ms`` bounds each ``receive`` (virtual time); ``deadline_ns``, when set, bounds
    them all (the console's virtual ``time_ns``). On expiry ``DeviceTimeout`` carries the
    console tail.
    """

    def __init__(
        self,
        console: Console,
        *,
        budget_ms: int = DEFAULT_RECEIVE_BUDGET_MS,
        line_length: int = DEFAULT_LINE_LENGTH,
    ) -> None:
        if line_length < 8:
            raise ValueError(f"line_length: expected >= 8, found {line_length}")
        self._console = console
        self.budget_ms = budget_ms
        self.deadline_ns: int | None = None
        self.line_length = line_length
        self._smp_server_transport_buffer_size: int | None = None
        self._cursor = 0  # the mark from which response lines count
        self.bad_frames: list[str] = []  # response frames that did not decode, with the reason
        self.sent_bytes = 0
        self.last_request = b""

    # -- SMPTransport --------------------------------------------------------------------------
    async def connect(self, address: str, timeout_s: float) -> None:
        self._cursor = self._console.mark()

    async def disconnect(self) -> None:
        return None

    async def send(self, data: bytes) -> None:
        if len(data) > self.max_unencoded_size:
            raise ValueError(
                f"SMP message of {len(data)} bytes: expected at most {self.max_unencoded_size} "
                "(the device's buffer minus the frame length and CRC)"
            )
        self.send_wire(b"".join(smppacket.encode(data, line_length=self.line_length)), data)

    async def receive(self) -> bytes:
        return self.receive_frame()

    async def send_and_receive(self, data: bytes) -> bytes:
        await self.send(data)
        return await self.receive()

    def initialize(self, smp_server_transport_buffer_size: int) -> None:
        if smp_server_transport_buffer_size <= FRAME_OVERHEAD:
            raise ValueError(
                f"device buf_size {smp_server_transport_buffer_size}: expected more than the "
                f"{FRAME_OVERHEAD}-byte frame overhead"
            )
        self._smp_server_transport_buffer_size = smp_server_transport_buffer_size

    @property
    def mtu(self) -> int:
        return self._smp_server_transport_buffer_size or PRE_PARAMS_MTU

    @property
    def max_unencoded_size(self) -> int:
        """``buf_size - 4`` once the device's MCUmgr params are known (what it can reassemble);
        before that, what fits two 128-byte lines (smpclient's ``Auto`` does the same)."""
        if self._smp_server_transport_buffer_size is not None:
            return self._smp_server_transport_buffer_size - FRAME_OVERHEAD
        lines = 2
        framing = (_b64_cost(FRAME_OVERHEAD) + len(smppacket.START_DELIMITER)) * lines + 1
        return _b64_max(PRE_PARAMS_MTU) - framing

    # -- raw access (for bad-input tests and tools) --------------------------------------------
    def send_wire(self, wire: bytes, message: bytes = b"") -> None:
        """Queue raw bytes for the device; responses that arrived before are discarded."""
        self._cursor = self._console.mark()
        self.last_request = message
        self.sent_bytes += len(wire)
        self._console.write(wire)

    def receive_frame(self, budget_ms: int | None = None) -> bytes:
        """Run the device until a whole SMP response frame arrived; return the SMP message.

        Frames that fail to decode (bad base64, bad CRC, broken continuation) are noted in
        ``bad_frames`` and skipped. Raises ``DeviceTimeout`` when the budget runs out.
        """
        frames: list[bytes] = []
        decoder: list[Generator[None, bytes, bytes]] = []

        def frame_done(rec: Record) -> bool:
            if isinstance(rec, Truncated):
                decoder.clear()  # the device restarted in the middle of a frame
                return False
            if not isinstance(rec, SmpLine):
                return False
            line = rec.data + smppacket.END_DELIMITER
            if line.startswith(smppacket.START_DELIMITER):
                decoder.clear()
                gen = smppacket.decode()
                next(gen)
                decoder.append(gen)
            elif not decoder:
                self.bad_frames.append(f"orphan continuation line {rec.data[:16]!r}")
                return False
            try:
                decoder[0].send(line)
            except StopIteration as done:
                decoder.clear()
                frames.append(bytes(done.value))
                return True
            except (
                SMPBadCRC,
                SMPBadStartDelimiter,
                SMPBadContinueDelimiter,
                binascii.Error,
                ValueError,
            ) as exc:
                decoder.clear()
                self.bad_frames.append(f"{type(exc).__name__}: {exc}")
            return False

        budget = self.budget_ms if budget_ms is None else budget_ms
        if self.deadline_ns is not None:
            left_ms = (self.deadline_ns - self._console.time_ns) // 1_000_000
            budget = max(0, min(budget, left_ms))
        what = "an SMP response frame" + (
            f" (request {self.last_request[:8].hex()})" if self.last_request else ""
        )
        try:
            hit = self._console.expect(frame_done, budget, since=self._cursor, what=what)
        except DeviceTimeout:
            self._cursor = self._console.mark()
            raise
        self._cursor = hit.after
        return frames[0]
