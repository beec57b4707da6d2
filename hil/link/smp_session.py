"""Synchronous SMP operations on an emulated device, driven by the real ``smpclient``.

Each operation drives ``smpclient.SMPClient`` coroutines over a ``VirtualSerialTransport`` to
their end without an event loop: the transport answers synchronously (it steps the emulator),
so no coroutine ever suspends (``drive``). The client's upload loop follows the offsets the
device answers, so the device steers the upload (resume, re-send), exactly as it would with a
real board. Requests carry the session's own sequence numbers (``VirtualSmpClient``), so a
device's SMP traffic, and so its console transcript, does not depend on what ran before.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import AsyncGenerator, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

from pydantic import ValidationError
from smp import header as smpheader
from smp import packet as smppacket
from smp.error import ErrorV1
from smpclient import SMPClient
from smpclient.exceptions import (
    SMPBadSequence,
    SMPClientException,
    SMPUploadError,
    SMPValidationException,
)
from smpclient.generics import SMPRequest, TEr1, TEr2, TRep, error, success
from smpclient.requests.image_management import ImageStatesRead, ImageStatesWrite
from smpclient.requests.os_management import EchoWrite, ResetWrite
from smpclient.transport import SMPTransport

from hil.errors import HilError
from hil.link.console import Console
from hil.link.smp_transport import (
    DEFAULT_LINE_LENGTH,
    DEFAULT_RECEIVE_BUDGET_MS,
    VirtualSerialTransport,
)

if TYPE_CHECKING:
    from smp.image_management import ImageState

T = TypeVar("T")
R = TypeVar("R", bound=SMPRequest[Any, Any, Any])

WALL_TIMEOUT_S: Final = 1e9
"""smpclient's wall-clock timeout, never used: virtual-time budgets decide."""


class SmpProtocolError(HilError):
    """The device answered something that is not a valid SMP response to the request."""


@dataclass(frozen=True)
class SmpError:
    """An SMP error answer: ``rc`` (MGMT_ERR, v1) or ``group``/``rc`` (v2), and the reason."""

    rc: int
    group: int | None = None
    reason: str | None = None

    @classmethod
    def of(cls, response: object) -> SmpError:
        if isinstance(response, ErrorV1):
            return cls(int(response.rc), None, response.rsn)
        err = getattr(response, "err", None)
        if err is not None:
            return cls(int(err.rc), int(err.group), None)
        return cls(-1, None, str(response))

    def __str__(self) -> str:
        where = f"group {self.group} " if self.group is not None else ""
        why = f" ({self.reason})" if self.reason else ""
        return f"SMP error {where}rc={self.rc}{why}"


@dataclass(frozen=True)
class UploadOutcome:
    """What the device answered during one upload: every offset, and the error that ended it."""

    size: int
    offsets: tuple[int, ...]
    error: SmpError | None

    @property
    def complete(self) -> bool:
        return self.error is None and bool(self.offsets) and self.offsets[-1] == self.size


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends to its end, without an event loop (the virtual
    transport answers synchronously). One that waits on something is an error, not a hang."""
    try:
        waited = coro.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coro.close()
    raise SmpProtocolError(f"the SMP exchange waited on {waited!r}: the virtual link never waits")


def with_sequence(request: R, sequence: int) -> R:
    """``request`` with its header's sequence number replaced (the same fields, the same
    bytes otherwise)."""
    h = request.header
    header = smpheader.Header(
        op=h.op,
        version=h.version,
        flags=h.flags,
        length=h.length,
        group_id=h.group_id,
        sequence=sequence,
        command_id=h.command_id,
    )
    skip = ("header", "version", "sequence", "smp_data")
    model: Any = request  # a pydantic model (smp.message) behind smpclient's request protocol
    fields = {f: getattr(model, f) for f in model.model_fields_set if f not in skip}
    return cast(R, type(model)(header=header, **fields))


class VirtualSmpClient(SMPClient):
    """smpclient's client for a transport that never suspends.

    ``request`` numbers each request from the session's own counter (``with_sequence``; smp's
    module-wide counter is left alone) and needs no running event loop: it sends, receives and
    validates with smpclient's request and response classes, without smpclient's wall-clock
    ``asyncio.timeout`` (the transport's virtual-time budgets decide). Everything else, the
    upload loop included, is smpclient's own."""

    def __init__(self, transport: SMPTransport, address: str) -> None:
        super().__init__(transport, address, timeout_s=WALL_TIMEOUT_S)
        self._transport_v = transport
        self._sequence = itertools.count()

    async def request(
        self, request: SMPRequest[TRep, TEr1, TEr2], timeout_s: float | None = None
    ) -> TRep | TEr1 | TEr2:
        request = with_sequence(request, next(self._sequence) % 0xFF)
        frame = await self._transport_v.send_and_receive(request.BYTES)
        header = smpheader.Header.loads(frame[: smpheader.Header.SIZE])
        if header.sequence != request.header.sequence:
            raise SMPBadSequence(
                f"Bad sequence {header.sequence}, expected {request.header.sequence}"
            )
        failures: list[str] = []
        for kind in (request._Response, request._ErrorV1, request._ErrorV2):
            try:
                answer: TRep | TEr1 | TEr2 = kind.loads(frame)  # type: ignore[assignment]
                return answer
            except ValidationError as exc:
                failures.append(f"{kind.__name__}: {exc.error_count()} error(s)")
        raise SMPValidationException(
            f"response to {type(request).__name__} is none of its response types",
            f"header {header}; frame {frame.hex()}; " + "; ".join(failures),
        )


class SmpSession:
    """One SMP client for one device (``console``; ``name`` is the client's address).
    ``connect`` reads the device's MCUmgr params once."""

    def __init__(
        self,
        console: Console,
        name: str = "device",
        *,
        budget_ms: int = DEFAULT_RECEIVE_BUDGET_MS,
        line_length: int = DEFAULT_LINE_LENGTH,
    ) -> None:
        self.console = console
        self.transport = VirtualSerialTransport(
            console, budget_ms=budget_ms, line_length=line_length
        )
        self.client = VirtualSmpClient(self.transport, name)
        self.connected = False

    def _run(self, coro: Coroutine[Any, Any, T], budget_ms: int | None) -> T:
        saved = self.transport.deadline_ns
        if budget_ms is not None:
            self.transport.deadline_ns = self.console.time_ns + budget_ms * 1_000_000
        try:
            return drive(coro)
        finally:
            self.transport.deadline_ns = saved

    def connect(self) -> None:
        """Read the device's MCUmgr params (buffer size) unless already done."""
        if not self.connected:
            self._run(self.client.connect(), None)
            self.connected = True

    def request(self, req: SMPRequest[Any, Any, Any], budget_ms: int | None = None) -> Any:
        """Send one smpclient request; return the typed response or error (as smpclient)."""
        self.connect()
        try:
            return self._run(self.client.request(req), budget_ms)
        except SMPClientException as exc:
            raise SmpProtocolError(f"SMP request {type(req).__name__}: {exc}") from exc

    def echo(self, text: str, budget_ms: int | None = None) -> str:
        rsp = self.request(EchoWrite(d=text), budget_ms)
        if not success(rsp):
            raise SmpProtocolError(f"echo: expected an answer, found {SmpError.of(rsp)}")
        return str(rsp.r)

    def image_state(self, budget_ms: int | None = None) -> list[ImageState]:
        """The device's own view of its slots (image state read)."""
        rsp = self.request(ImageStatesRead(), budget_ms)
        if not success(rsp):
            raise SmpProtocolError(f"image state: expected the state, found {SmpError.of(rsp)}")
        return list(rsp.images)

    def mark_for_test(
        self, image_hash: bytes, budget_ms: int | None = None
    ) -> tuple[list[ImageState], SmpError | None]:
        """Image state write with ``confirm=false`` and the image's hash (its SHA256 TLV):
        MCUboot's "test" request. Returns the device's new image state, or its error."""
        rsp = self.request(ImageStatesWrite(hash=image_hash, confirm=False), budget_ms)
        if not success(rsp):
            return [], SmpError.of(rsp)
        return list(rsp.images), None

    def reset(self, budget_ms: int | None = None) -> None:
        """OS reset request; returns once the device answered (it resets right after)."""
        rsp = self.request(ResetWrite(), budget_ms)
        if error(rsp):
            raise SmpProtocolError(f"reset: expected an empty answer, found {SmpError.of(rsp)}")

    def upload(
        self,
        image: bytes,
        *,
        budget_ms: int | None = None,
        stop_after: int | None = None,
        slot: int = 0,
    ) -> UploadOutcome:
        """smpclient's ``upload()`` loop; stops after ``stop_after`` answers if given.

        An SMP error answer ends the upload and is returned (never raised); a missing answer
        raises ``DeviceTimeout``.
        """
        self.connect()
        offsets: list[int] = []

        async def body() -> SmpError | None:
            # smpclient's upload is an async generator (annotated as an iterator)
            answers = cast(AsyncGenerator[int, None], self.client.upload(image, slot=slot))
            try:
                async for off in answers:
                    offsets.append(off)
                    if stop_after is not None and len(offsets) >= stop_after:
                        break
            except SMPUploadError as exc:
                arg = exc.args[0] if exc.args else exc
                return SmpError.of(arg) if not isinstance(arg, str) else SmpError(-1, None, arg)
            finally:
                await answers.aclose()
            return None

        try:
            err = self._run(body(), budget_ms)
        except SMPClientException as exc:
            raise SmpProtocolError(f"upload: {exc}") from exc
        return UploadOutcome(len(image), tuple(offsets), err)

    # -- raw frames (bad-input tests) ----------------------------------------------------------
    def exchange_raw(
        self, message: bytes, *, budget_ms: int | None = None, crc_xor: int = 0
    ) -> bytes:
        """Frame an arbitrary SMP message (optionally with a damaged CRC), send it without the
        size check, and return the device's response message."""
        self.connect()
        wire = frame(message, self.transport.line_length, crc_xor=crc_xor)
        self.transport.send_wire(wire, message)
        return self.transport.receive_frame(budget_ms)

    def transact_raw(
        self, message: bytes, *, budget_ms: int | None = None, crc_xor: int = 0
    ) -> RawResponse:
        return parse_raw(self.exchange_raw(message, budget_ms=budget_ms, crc_xor=crc_xor))

    def send_raw(self, wire: bytes) -> None:
        """Queue raw bytes (garbage lines, partial frames) for the device."""
        self.transport.send_wire(wire)


def frame(message: bytes, line_length: int = DEFAULT_LINE_LENGTH, *, crc_xor: int = 0) -> bytes:
    """Serial-framed wire bytes for ``message``; ``crc_xor`` damages the CRC on purpose."""
    if not crc_xor:
        return b"".join(smppacket.encode(message, line_length=line_length))
    import base64

    crc = smppacket.crc16_func(message) ^ crc_xor
    body = struct.pack("!H", len(message) + 2) + message + struct.pack("!H", crc & 0xFFFF)
    b64 = base64.b64encode(body)
    size = ((line_length - 4) // 4) * 4
    lines = [b64[i : i + size] for i in range(0, len(b64), size)]
    return b"".join(
        (smppacket.START_DELIMITER if i == 0 else smppacket.CONTINUE_DELIMITER) + part + b"\n"
        for i, part in enumerate(lines)
    )


@dataclass(frozen=True)
class RawResponse:
    """A response message decoded without a request class (for hand-made requests)."""

    header: smpheader.Header
    body: dict[str, Any]

    @property
    def rc(self) -> int | None:
        """The SMP error code (v1 ``rc`` or v2 ``err.rc``), None for a success."""
        if isinstance(self.body.get("err"), dict):
            return int(self.body["err"].get("rc", -1))
        rc = self.body.get("rc")
        return int(rc) if isinstance(rc, int) and rc != 0 else None


def parse_raw(message: bytes) -> RawResponse:
    import cbor2

    hdr = smpheader.Header.loads(message[: smpheader.Header.SIZE])
    payload = message[smpheader.Header.SIZE :]
    body = cbor2.loads(payload) if payload else {}
    if not isinstance(body, dict):
        raise SmpProtocolError(f"response body: expected a CBOR map, found {body!r}")
    return RawResponse(hdr, body)


def smp_header(op: int, group: int, command: int, length: int, sequence: int = 0) -> bytes:
    """An SMP v2 header (for hand-made messages)."""
    return smpheader.Header(
        op=smpheader.OP(op),
        version=smpheader.Version.V2,
        flags=smpheader.Flag(0),
        length=length,
        group_id=group,
        sequence=sequence,
        command_id=command,
    ).BYTES
