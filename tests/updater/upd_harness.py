"""A host 'device' (flash simulator + SMP server + updater, see upd_host.c) driven by the real
smpclient (SMPClient.upload over its serial transport, frames exactly as on the wire), plus
the images and anchors of hil.image / hil.provision."""

from __future__ import annotations

import ctypes
import re
import zlib
from collections.abc import Callable
from ctypes import POINTER, c_int, c_size_t, c_uint32, c_void_p
from dataclasses import dataclass, field
from typing import Any

from smp import packet as smppacket
from smpclient import SMPClient
from smpclient.generics import success
from smpclient.requests.image_management import ImageStatesWrite

from hil.image.builder import default_hw_compat, image_for_platform
from hil.image.keyring import render_anchor
from hil.platform import load_platform
from hil.provision import harness_keys
from hil.update.client import package_hash
from tests.meta.cmeta import (  # the one ctypes mirror of core/meta.h
    SLOT_A,
    SLOT_NONE,
    ST_CONFIRMED,
    ST_EMPTY,
    MetaRecord,
)
from tests.smp_pipe import PipeSerial
from tests.smp_pipe import run_client as pipe_client

CHIPS = {"stm32u585": 0, "lpc55s69": 1}


def bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    lib.h_create.argtypes = [c_int]
    lib.h_anchor.argtypes = [ctypes.c_char_p, c_size_t]
    lib.h_boot.argtypes = [c_int, c_uint32]
    lib.h_feed.argtypes = [ctypes.c_char_p, c_size_t]
    lib.h_take.argtypes = [c_void_p, c_size_t]
    lib.h_take.restype = c_size_t
    lib.h_commit.argtypes = [POINTER(MetaRecord)]
    lib.h_load.argtypes = [POINTER(MetaRecord)]
    lib.h_write_slot.argtypes = [c_int, ctypes.c_char_p, c_uint32]
    lib.h_raw.argtypes = [c_uint32, c_void_p, c_uint32]
    lib.h_gate.argtypes = [c_int]
    lib.h_cut.argtypes = [c_uint32, c_uint32, c_int]
    for fn in ("h_ops", "h_resets", "h_erase_count"):
        getattr(lib, fn).restype = c_uint32
    lib.h_slot_addr.argtypes = [c_int]
    lib.h_slot_addr.restype = c_uint32
    return lib


EV_RE = re.compile(
    rb"^EV (\d+) (\w+) ([A-Z][A-Z0-9_]*)((?: [a-z][a-z0-9_]*=[^ ]+)*) #([0-9a-f]{8})$"
)


@dataclass
class Event:
    name: str
    fields: dict[str, str]

    def get(self, k: str, default: str | None = None) -> str | None:
        return self.fields.get(k, default)

    def __str__(self) -> str:
        return self.name + "".join(f" {k}={v}" for k, v in self.fields.items())


def image_id(image: bytes, hdr: int) -> int:
    """First 4 bytes of the SHA256 TLV value, big endian (the metadata image id)."""
    import hashlib
    import struct

    img_size = struct.unpack_from("<I", image, 12)[0]
    prot = struct.unpack_from("<H", image, 10)[0]
    return int.from_bytes(hashlib.sha256(image[: hdr + img_size + prot]).digest()[:4], "big")


@dataclass
class Device:
    lib: ctypes.CDLL
    platform: str = "stm32u585"
    events: list[Event] = field(default_factory=list)
    smp_out: bytearray = field(default_factory=bytearray)
    raw_lines: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.plat = load_platform(self.platform)
        self.hdr = self.plat.layout.image_header_size
        self.keys = harness_keys()
        self._partial = b""
        assert self.lib.h_create(CHIPS[self.platform]) == 0

    # -- provisioning ----------------------------------------------------------------------
    def provision(self, build: int = 1, floor: int = 0, anchor_floor: int = 0) -> bytes:
        """Anchor, build `build` signed for slot A, metadata: A CONFIRMED (as after adoption)."""
        anchor = render_anchor(self.keys.keyring(), anchor_floor, default_hw_compat(self.plat))
        assert self.lib.h_anchor(anchor, len(anchor)) == 0
        img = self.image(build, "A")
        assert self.lib.h_write_slot(SLOT_A, img, len(img)) == 0
        rec = MetaRecord(floor=floor, active=SLOT_A, next=SLOT_A, up_slot=SLOT_NONE)
        rec.state[0], rec.state[1] = ST_CONFIRMED, ST_EMPTY
        rec.build[0] = build
        rec.image_id[0] = image_id(img, self.hdr)
        assert self.lib.h_commit(ctypes.byref(rec)) == 0
        return img

    def image(
        self,
        build: int,
        slot: str = "B",
        *,
        size: int = 9000,
        chunk: int = 1024,
        key: Any = None,
        self_test: int = 0,
        payload: bytes | None = None,
    ) -> bytes:
        data = (
            payload if payload is not None else bytes((i * 7 + build) & 0xFF for i in range(size))
        )
        return image_for_platform(
            self.plat,
            data,
            build,
            key or self.keys.signer,
            slot,
            chunk_size=chunk,
            self_test=self_test,
        )

    def boot(self, running_slot: int = SLOT_A, running_build: int = 1) -> None:
        self._partial = b""
        assert self.lib.h_boot(running_slot, running_build) == 0

    def record(self) -> MetaRecord:
        rec = MetaRecord()
        assert self.lib.h_load(ctypes.byref(rec)) >= 0
        return rec

    # -- wire ------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        self.lib.h_feed(data, len(data))
        self._drain()

    def _drain(self) -> None:
        buf = ctypes.create_string_buffer(1 << 16)
        while True:
            n = self.lib.h_take(buf, len(buf))
            if n == 0:
                break
            self._partial += buf.raw[:n]
        *lines, self._partial = self._partial.split(b"\n")
        for line in lines:
            self.raw_lines.append(line)
            if line.startswith((smppacket.START_DELIMITER, smppacket.CONTINUE_DELIMITER)):
                self.smp_out += line + b"\n"
                continue
            text = line.rstrip(b"\r")
            if text.startswith(b"EV "):
                m = EV_RE.match(text)
                assert m, f"malformed evidence line {text!r}"
                body = text[: text.rindex(b" #")]
                assert zlib.crc32(body) == int(m.group(5), 16), text
                fields = dict(kv.split("=", 1) for kv in m.group(4).decode().split(" ") if kv)
                self.events.append(Event(m.group(3).decode(), fields))

    def take_smp(self) -> bytes:
        out = bytes(self.smp_out)
        self.smp_out.clear()
        return out

    def names(self) -> list[str]:
        return [str(e) for e in self.events]

    def find(self, name: str, **fields: str) -> list[Event]:
        return [
            e
            for e in self.events
            if e.name == name and all(e.get(k) == v for k, v in fields.items())
        ]

    def transitions(self) -> list[tuple[str | None, str | None, str | None]]:
        return [(e.get("from"), e.get("to"), e.get("slot")) for e in self.find("SLOT_TRANSITION")]


def run_client(dev: Device, body: Callable[[SMPClient], Any]) -> Any:
    return pipe_client(PipeSerial(dev.feed, dev.take_smp), body, "host")


class MarkRefused(Exception):
    """The device refused the state write that marks an uploaded image for test."""

    def __init__(self, rsp: object) -> None:
        super().__init__(repr(rsp))
        self.rsp = rsp


def upload(
    dev: Device, image: bytes, stop_after: int | None = None, test: bool = True
) -> tuple[list[int], Exception | None]:
    """smpclient's upload loop, then (``test``, upload complete) the state write with
    ``confirm=false`` and the image's hash that marks it for test, as a stock MCUmgr client
    does for MCUboot; returns the offsets the upload yielded and the error raised (or a
    MarkRefused with the state write's error response)."""
    offsets: list[int] = []

    async def body(client: SMPClient) -> Exception | None:
        try:
            async for off in client.upload(image):
                offsets.append(off)
                if stop_after is not None and len(offsets) >= stop_after:
                    break
        except Exception as exc:  # noqa: BLE001 - the SMP error is the result
            return exc
        h = package_hash(image)
        if test and offsets and offsets[-1] == len(image) and h is not None:
            rsp = await client.request(ImageStatesWrite(hash=h, confirm=False))
            if not success(rsp):
                return MarkRefused(rsp)
        return None

    err = run_client(dev, body)
    return offsets, err
