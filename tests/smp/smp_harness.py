"""ctypes bindings for the C SMP server, a fake ops table that records what the server passed,
and a fake serial port so smpclient's real SMPSerialTransport talks to the C server."""

from __future__ import annotations

import ctypes
import hashlib
import struct
from collections.abc import Callable, Iterable
from ctypes import POINTER, Structure, c_char, c_int, c_size_t, c_uint8, c_uint32, c_void_p
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smp import message as smpmsg
from smp import packet as smppacket
from smpclient import SMPClient

from tests.smp_pipe import PipeSerial
from tests.smp_pipe import run_client as pipe_client

REPO = Path(__file__).resolve().parents[2]

SMP_FRAME_BUF_SIZE = 1024
SMP_RX_MORE, SMP_RX_TEXT, SMP_RX_FRAME = 0, 1, 2
SMP_RX_ERR_BASE64, SMP_RX_ERR_CRC, SMP_RX_ERR_TOO_LARGE = -1, -2, -3
SMP_RX_ERR_LENGTH, SMP_RX_ERR_OVERRUN, SMP_RX_ERR_ORPHAN = -4, -5, -6

OPS_OK = 0
OPS_ERR_INVALID, OPS_ERR_TOO_LARGE, OPS_ERR_FLASH, OPS_ERR_ERASE = -1, -2, -3, -4
OPS_ERR_VERIFY, OPS_ERR_BUSY, OPS_ERR_DENIED, OPS_ERR_NO_IMAGE = -5, -6, -7, -8


class ImageState(Structure):
    _fields_ = [
        ("image", c_uint32),
        ("slot", c_uint32),
        ("version", c_char * 32),
        ("hash", c_uint8 * 32),
        ("hash_len", c_uint8),
        ("flags", c_uint8),
    ]


class UploadInfo(Structure):
    _fields_ = [
        ("image", c_uint32),
        ("total_len", c_uint32),
        ("off", c_uint32),
        ("sha", c_uint8 * 32),
        ("sha_len", c_uint8),
    ]


BEGIN = ctypes.CFUNCTYPE(c_int, c_void_p, c_uint32, c_uint32, POINTER(c_uint8), c_size_t, c_int)
WRITE = ctypes.CFUNCTYPE(c_int, c_void_p, c_uint32, POINTER(c_uint8), c_size_t)
END = ctypes.CFUNCTYPE(c_int, c_void_p)
RESUME = ctypes.CFUNCTYPE(c_int, c_void_p, POINTER(UploadInfo))
ERASE = ctypes.CFUNCTYPE(c_int, c_void_p, c_uint32)
STATE_READ = ctypes.CFUNCTYPE(c_int, c_void_p, POINTER(ImageState), c_size_t)
STATE_WRITE = ctypes.CFUNCTYPE(c_int, c_void_p, POINTER(c_uint8), c_size_t, c_int)
RESET = ctypes.CFUNCTYPE(None, c_void_p)
EMIT = ctypes.CFUNCTYPE(None, c_void_p, POINTER(c_uint8), c_size_t)
NEXT = ctypes.CFUNCTYPE(c_int, c_void_p, POINTER(c_uint32))
REASON = ctypes.CFUNCTYPE(ctypes.c_char_p, c_void_p)
MATCH = ctypes.CFUNCTYPE(c_int, c_void_p, POINTER(c_uint8), c_size_t)


class Ops(Structure):
    _fields_ = [
        ("upload_begin", BEGIN),
        ("upload_write", WRITE),
        ("upload_end", END),
        ("upload_resume", RESUME),
        ("image_erase", ERASE),
        ("state_read", STATE_READ),
        ("state_write", STATE_WRITE),
        ("reset", RESET),
        ("upload_next", NEXT),  # optional (NULL here: a strictly sequential upload)
        ("reason", REASON),  # optional (NULL here: the generic reasons)
        ("upload_match", MATCH),  # optional (NULL here: no `match` field)
    ]


def bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    lib.smp_server_sizeof.restype = c_size_t
    lib.smp_server_init.argtypes = [c_void_p, POINTER(Ops), c_void_p, EMIT, c_void_p]
    lib.smp_server_init.restype = c_int
    lib.smp_server_feed.argtypes = [c_void_p, c_int]
    lib.smp_server_feed.restype = c_int
    lib.smp_server_upload_forget.argtypes = [c_void_p]
    lib.smp_crc16_xmodem.argtypes = [ctypes.c_uint16, ctypes.c_char_p, c_size_t]
    lib.smp_crc16_xmodem.restype = ctypes.c_uint16
    lib.smp_b64_encode.argtypes = [ctypes.c_char_p, c_size_t, ctypes.c_char_p, c_size_t]
    lib.smp_b64_encode.restype = c_int
    lib.smp_b64_decode.argtypes = [ctypes.c_char_p, c_size_t, ctypes.c_char_p, c_size_t]
    lib.smp_b64_decode.restype = c_int
    lib.smp_frame_encode.argtypes = [ctypes.c_char_p, c_size_t, EMIT, c_void_p]
    lib.smp_frame_encode.restype = c_int
    lib.cbor_skip.argtypes = [c_void_p]
    lib.cbor_skip.restype = c_int
    lib.cbor_reader_init.argtypes = [c_void_p, ctypes.c_char_p, c_size_t]
    lib.cbor_reader_init.restype = c_int
    return lib


def _bytes(ptr: Any, n: int) -> bytes:
    return ctypes.string_at(ptr, n) if n else b""


@dataclass
class FakeFlash:
    """The app side: one upload slot, progress 'persisted' across simulated reboots."""

    slot_size: int = 64 * 1024
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    data: bytearray = field(default_factory=bytearray)
    total: int = 0
    image_no: int = 0
    sha: bytes = b""
    in_progress: bool = False  # survives a reboot (like a progress record in flash)
    completed: bytes | None = None
    fail_write_at: int | None = None  # offset whose write returns OPS_ERR_FLASH (once)
    states: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "image": 0,
                "slot": 0,
                "version": "1.0.0.7",
                "hash": bytes(range(32)),
                "flags": 0x01 | 0x04 | 0x08,
            },
        ]
    )
    state_writes: list[tuple[bytes, int]] = field(default_factory=list)
    resets: int = 0
    violations: list[str] = field(default_factory=list)

    def begin(self, image: int, total: int, sha: bytes, upgrade: int) -> int:
        self.calls.append(("begin", image, total, sha, upgrade))
        if total > self.slot_size:
            return OPS_ERR_TOO_LARGE
        self.total, self.image_no, self.sha = total, image, sha
        self.data = bytearray()
        self.in_progress = True
        return OPS_OK

    def write(self, off: int, chunk: bytes) -> int:
        self.calls.append(("write", off, len(chunk)))
        if not self.in_progress or off != len(self.data) or off + len(chunk) > self.total:
            self.violations.append(f"write off={off} len={len(chunk)} have={len(self.data)}")
            return OPS_ERR_INVALID
        if self.fail_write_at == off:
            self.fail_write_at = None
            return OPS_ERR_FLASH
        self.data += chunk
        return OPS_OK

    def end(self) -> int:
        self.calls.append(("end",))
        self.in_progress = False
        if len(self.data) != self.total:
            self.violations.append("end before all data")
        if self.sha and hashlib.sha256(self.data).digest() != self.sha:
            return OPS_ERR_VERIFY
        self.completed = bytes(self.data)
        return OPS_OK

    def resume(self) -> UploadInfo | None:
        self.calls.append(("resume",))
        if not self.in_progress:
            return None
        info = UploadInfo(image=self.image_no, total_len=self.total, off=len(self.data))
        info.sha_len = len(self.sha)
        ctypes.memmove(info.sha, self.sha, len(self.sha))
        return info

    def erase(self, slot: int) -> int:
        self.calls.append(("erase", slot))
        self.in_progress = False
        self.data = bytearray()
        return OPS_OK


class Device:
    """One C server instance (a 'boot' of the device) over a FakeFlash."""

    def __init__(
        self,
        lib: ctypes.CDLL,
        flash: FakeFlash,
        *,
        resume: bool = True,
        wire: bytearray | None = None,
    ) -> None:
        self.lib = lib
        self.wire = wire  # records every byte fed (for replay into the sanitizer driver)
        self.flash = flash
        self.mem = ctypes.create_string_buffer(lib.smp_server_sizeof())
        self.out = bytearray()
        self.text = bytearray()
        self.line_lengths: list[int] = []
        self._cbs: list[Any] = []

        def emit(_ctx: Any, ptr: Any, n: int) -> None:
            line = _bytes(ptr, n)
            self.line_lengths.append(n)
            self.out += line

        def begin(_c: Any, image: int, total: int, sha: Any, sha_len: int, upg: int) -> int:
            return flash.begin(image, total, _bytes(sha, sha_len), upg)

        def write(_c: Any, off: int, ptr: Any, n: int) -> int:
            return flash.write(off, _bytes(ptr, n))

        def end(_c: Any) -> int:
            return flash.end()

        def do_resume(_c: Any, out: Any) -> int:
            info = flash.resume()
            if info is None:
                return 0
            out[0] = info
            return 1

        def erase(_c: Any, slot: int) -> int:
            return flash.erase(slot)

        def state_read(_c: Any, out: Any, mx: int) -> int:
            flash.calls.append(("state_read", mx))
            for i, st in enumerate(flash.states[:mx]):
                e = ImageState(image=st["image"], slot=st["slot"], version=st["version"].encode())
                e.hash_len = len(st.get("hash", b""))
                ctypes.memmove(e.hash, st.get("hash", b""), e.hash_len)
                e.flags = st["flags"]
                out[i] = e
            return min(len(flash.states), mx)

        def state_write(_c: Any, h: Any, n: int, confirm: int) -> int:
            flash.state_writes.append((_bytes(h, n), confirm))
            return OPS_OK

        def reset(_c: Any) -> None:
            flash.resets += 1

        self.emit_cb = EMIT(emit)
        self.ops = Ops(
            upload_begin=BEGIN(begin),
            upload_write=WRITE(write),
            upload_end=END(end),
            upload_resume=RESUME(do_resume) if resume else RESUME(),
            image_erase=ERASE(erase),
            state_read=STATE_READ(state_read),
            state_write=STATE_WRITE(state_write),
            reset=RESET(reset),
        )
        rc = lib.smp_server_init(self.mem, ctypes.byref(self.ops), None, self.emit_cb, None)
        assert rc == 0

    def feed(self, data: bytes) -> list[int]:
        """Feed bytes; console-text bytes go to self.text. Returns the non-MORE results."""
        results = []
        if self.wire is not None:
            self.wire += data
        for b in data:
            rc = self.lib.smp_server_feed(self.mem, b)
            if rc == SMP_RX_TEXT:
                self.text.append(b)
            elif rc != SMP_RX_MORE:
                results.append(rc)
        return results

    def take_output(self) -> bytes:
        out = bytes(self.out)
        self.out.clear()
        return out


def frame(msg: bytes, line_length: int = 128) -> bytes:
    """Wire bytes for an arbitrary SMP message, framed as smp.packet.encode does."""
    return b"".join(smppacket.encode(msg, line_length=line_length))


def header(op: int, group: int, cmd: int, length: int, seq: int = 0x42, ver: int = 1) -> bytes:
    return struct.pack("!BBHHBB", op | (ver << 3), 0, length, group, seq, cmd)


def encode_request(request: smpmsg.Request, line_length: int = 128) -> bytes:
    """The bytes smpclient's SMPSerialTransport writes for `request` (Auto: 128-byte lines)."""
    return b"".join(smppacket.encode(request.BYTES, line_length=line_length))


def decode_frames(out: bytes) -> list[bytes]:
    """Split device output into SMP frames (as smpclient's transport does) and decode them."""
    frames: list[bytes] = []
    decoder = None
    for line in out.splitlines(keepends=True):
        if not line.startswith((smppacket.START_DELIMITER, smppacket.CONTINUE_DELIMITER)):
            continue
        if line.startswith(smppacket.START_DELIMITER):
            decoder = smppacket.decode()
            next(decoder)
        assert decoder is not None
        try:
            decoder.send(line)
        except StopIteration as e:
            frames.append(e.value)
            decoder = None
    return frames


def parse_response(request: Any, frame: bytes) -> Any:
    """Parse like SMPClient.request: Response, then ErrorV1, then ErrorV2."""
    for cls in (request._Response, request._ErrorV1, request._ErrorV2):
        try:
            return cls.loads(frame)
        except Exception:  # noqa: BLE001 - pydantic ValidationError etc.
            continue
    raise AssertionError(f"unparseable response {frame.hex()}")


def transact(dev: Device, request: Any, raw: bytes | None = None) -> Any:
    """Send `request` (or `raw` wire bytes standing for it) and return the parsed response."""
    dev.feed(encode_request(request) if raw is None else raw)
    frames = decode_frames(dev.take_output())
    assert len(frames) == 1, frames
    rsp = parse_response(request, frames[0])
    assert rsp.header.sequence == request.header.sequence
    return rsp


def run_client(dev: Device, body: Callable[[SMPClient], Any]) -> Any:
    """Connect an SMPClient (which reads MCUmgr params first) and run `body(client)`."""
    return pipe_client(PipeSerial(dev.feed, dev.take_output, max_line=128), body, "fake")


async def upload(client: SMPClient, image: bytes, stop_after: int | None = None) -> list[int]:
    """client.upload(); returns the offsets it yielded (stops early after `stop_after`)."""
    offsets: list[int] = []
    async for off in client.upload(image):
        offsets.append(off)
        if stop_after is not None and len(offsets) >= stop_after:
            break
    return offsets


def chunks(data: bytes, n: int) -> Iterable[bytes]:
    for i in range(0, len(data), n):
        yield data[i : i + n]
