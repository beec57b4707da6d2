"""A firmware under test, booted from its profile on an engine: the profile's files loaded
where it says, its console and management UARTs, the outside oracle attached, images signed
for it (MCUboot format with imgtool), and MCUmgr SMP with smpclient over the management UART
in virtual time."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import struct
import subprocess
import sys
from collections.abc import Awaitable, Callable, Generator
from pathlib import Path
from typing import TypeVar

from smp import packet as smppacket
from smpclient import SMPClient
from smpclient.requests.image_management import ImageStatesRead, ImageStatesWrite
from smpclient.requests.os_management import ResetWrite
from smpclient.transport import SMPTransport

from hil.engine.base import Engine, RunResult, SerialPort
from hil.engine.registry import create_engine
from hil.errors import FirmwareError, HilError
from hil.evidence.event import Event
from hil.evidence.patterns import PatternSet
from hil.image import wolfboot
from hil.link.smp_session import VirtualSmpClient
from hil.oracle import Oracle, events, image_hash
from hil.platform import load_platform
from hil.platform.model import Platform
from hil.profile.model import FileKind, Profile

T = TypeVar("T")


def imgtool() -> str:
    here = Path(sys.executable).parent / "imgtool"
    if here.exists():
        return str(here)
    found = shutil.which("imgtool")
    if found is None:
        raise FirmwareError("imgtool not found: expected the PyPI imgtool (pip install imgtool)")
    return found


def check_files(profile: Profile) -> None:
    for f in profile.firmware:
        if not f.path.exists():
            raise FirmwareError(
                f"{profile.path}: firmware file {f.path} does not exist (build it first)"
            )


def sign(
    profile: Profile,
    version: str,
    sec_cnt: int | None,
    out: Path,
    *,
    key: Path | None = None,
    tlvs: dict[int, bytes] | None = None,
) -> bytes:
    """Sign the profile's image payload (the firmware file of role ``image``): MCUboot format
    with imgtool, wolfBoot format with ``hil.image.wolfboot`` (``sec_cnt`` unused: wolfBoot's
    anti-rollback is its version)."""
    payload = next((f for f in profile.firmware if f.role == "image"), None)
    if payload is None:
        raise HilError(f"{profile.path}: no firmware file of role 'image' to sign")
    if key is None:
        if not profile.keys.signing:
            raise HilError(f"{profile.path}: keys.signing is empty")
        key = profile.keys.signing[0]
    if profile.image.wolfboot is not None:
        return _sign_wolfboot(profile, payload.path, version, out, key, tlvs)
    fmt = profile.image.mcuboot
    if fmt is None:
        raise HilError(f"{profile.path}: signing needs image format mcuboot or wolfboot")
    slot = profile.area(fmt.secondary)
    cmd = [imgtool(), "sign", "-k", str(key), "--version", version,
           "-H", str(fmt.header_size), "--pad-header", "-S", str(slot.size)]  # fmt: skip
    if sec_cnt is not None:
        cmd += ["-s", str(sec_cnt)]
    for tag, value in sorted((tlvs or {}).items()):
        cmd += ["--custom-tlv", f"0x{tag:x}", "0x" + value.hex()]
    r = subprocess.run([*cmd, str(payload.path), str(out)], capture_output=True, text=True)
    if r.returncode != 0:
        raise HilError(f"imgtool sign failed: {r.stderr.strip().splitlines()[-1:]}")
    image = deterministic_signature(out.read_bytes(), key)
    out.write_bytes(image)
    return image


def _sign_wolfboot(
    profile: Profile,
    payload: Path,
    version: str,
    out: Path,
    key: Path,
    tlvs: dict[int, bytes] | None,
) -> bytes:
    fmt = profile.image.wolfboot
    assert fmt is not None
    try:
        private = wolfboot.load_key(key.read_bytes())
        number = wolfboot.version_number(version)
        image = wolfboot.sign(
            payload.read_bytes(), private, version=number, header_size=fmt.header_size,
            custom=tlvs,
        )  # fmt: skip
    except (OSError, ValueError) as e:
        raise HilError(f"{profile.path}: wolfBoot signing with {key} failed: {e}") from None
    out.write_bytes(image)
    return image


TLV_INFO_MAGIC = 0x6907  # MCUboot IMAGE_TLV_INFO_MAGIC (unprotected TLV area)
TLV_PROT_INFO_MAGIC = 0x6908  # IMAGE_TLV_PROT_INFO_MAGIC
TLV_ECDSA_SIG = 0x22  # IMAGE_TLV_ECDSA_SIG


def deterministic_signature(image: bytes, key_file: Path) -> bytes:
    """Replace imgtool's ECDSA signature (random nonce: the DER length, and so the image,
    changes from run to run) by the RFC 6979 deterministic one over the same signed bytes, so
    the same inputs give the same image and byte-identical evidence. Other key types are left
    as imgtool signed them."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return image
    hdr, prot = struct.unpack_from("<HH", image, 8)
    size = struct.unpack_from("<I", image, 12)[0]
    signed = image[: hdr + size + prot]
    pos = hdr + size + prot
    magic, total = struct.unpack_from("<HH", image, pos)
    if magic != TLV_INFO_MAGIC:
        return image
    tlvs = bytearray()
    at = pos + 4
    while at < pos + total:
        tag, length = struct.unpack_from("<HH", image, at)
        value = image[at + 4 : at + 4 + length]
        if tag == TLV_ECDSA_SIG:
            value = key.sign(signed, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        tlvs += struct.pack("<HH", tag, len(value)) + value
        at += 4 + length
    tail = image[pos + total :]
    return signed + struct.pack("<HH", TLV_INFO_MAGIC, 4 + len(tlvs)) + bytes(tlvs) + tail


class ProfileTarget:
    """One emulated chip running the profile's firmware."""

    def __init__(self, profile: Profile, *, engine: str = "unicorn", seed: int = 1) -> None:
        check_files(profile)
        self.profile = profile
        self.platform: Platform = load_platform(profile.chip)
        self.engine: Engine = create_engine(engine, self.platform, seed)
        for f in profile.firmware:
            if f.kind is FileKind.ELF:
                self.engine.load_elf(str(f.path))
        keys = profile.overrides.keys_area
        if keys is not None:  # a provisioned key store: programmed, then protected
            self.engine.program_flash(self.area_address(keys.area), keys.file.read_bytes())
            area = profile.area(keys.area)
            self.engine.write_protect(self.area_address(keys.area), area.size)
        for pin, level in profile.overrides.straps:
            self.engine.set_pin(pin, level)
        self.engine.set_clock_limit_faults(profile.overrides.clock_limits == "fault")
        self.console = self.engine.serial(profile.console.role)
        self.mgmt = self.engine.serial(profile.mgmt.role) if profile.mgmt else None
        self.patterns = PatternSet((p.event, p.regex) for p in profile.patterns)
        self.oracle = Oracle(profile, self.platform, self.engine)
        if profile.oracle is not None:
            self.oracle.attach()
        self.log = ""

    # -- flash ------------------------------------------------------------------------------------
    def area_address(self, name: str) -> int:
        return self.platform.flash.base + self.profile.area(name).offset

    def install_factory(self, image: bytes, label: str) -> None:
        """Program ``image`` into the primary slot (a factory-programmed, permanent image)."""
        fmt = self.profile.image
        primary = fmt.wolfboot.boot if fmt.wolfboot else fmt.mcuboot.primary if fmt.mcuboot else ""
        self.engine.program_flash(self.area_address(primary), image)
        self.approve(label, image)

    def approve(self, label: str, image: bytes) -> None:
        self.oracle.approve(label, image_hash(image))

    def stage(self, image: bytes) -> None:
        """The staged route: write the image into the update slot (debug write)."""
        assert self.profile.update.slot is not None
        self.engine.program_flash(self.area_address(self.profile.update.slot), image)

    # -- running ----------------------------------------------------------------------------------
    def poll(self) -> str:
        new = self.console.read().decode("utf-8", errors="replace")
        self.log += new
        return new

    def power_on(self) -> None:
        self.engine.power_on()

    def run(self, budget_ms: int) -> RunResult:
        r = self.engine.run(budget_ms * 1000)
        self.poll()
        return r

    def run_until(self, text: str, budget_ms: int, start: int | None = None) -> bool:
        at = len(self.log) if start is None else start

        def seen() -> bool:
            self.poll()
            return text in self.log[at:]

        if seen():
            return True
        self.engine.run(budget_ms * 1000, seen)
        return seen()

    def evidence(self, start: int = 0) -> list[Event]:
        """Pattern events of the console since ``start``, then the oracle's observation."""
        evs = self.patterns.events(self.log[start:]) if self.profile.patterns else []
        if self.profile.oracle is not None:
            evs += events(self.oracle.observe(), len(evs))
        return evs

    def smp(self, body: Callable[[SMPClient], Awaitable[T]]) -> T:
        """Run ``body(client)`` with smpclient connected to the management UART."""

        async def main() -> T:
            if self.mgmt is None:
                raise HilError(f"{self.profile.path}: SMP needs a management UART (mgmt)")
            transport = UartTransport(self.engine, self.mgmt, poll=self.poll)
            client = VirtualSmpClient(transport, "target")  # its own sequence numbers
            await client.connect()
            try:
                return await body(client)
            finally:
                await client.disconnect()

        return asyncio.run(main())


def smp_update(t: ProfileTarget, image: bytes) -> str:
    """upload, image state-write (test), reset, as a stock MCUmgr client does; returns what
    the device answered (for the steps)."""

    async def body(c: SMPClient) -> str:
        async for _ in c.upload(image):
            pass
        r = await c.request(ImageStatesRead())
        slot1 = [i for i in getattr(r, "images", []) if i.slot == 1]
        if not slot1:
            return f"upload done; no image in slot 1 ({type(r).__name__})"
        w = await c.request(ImageStatesWrite(hash=bytes(slot1[0].hash), confirm=False))
        await c.request(ResetWrite())
        return f"upload done; state-write test -> {type(w).__name__}; reset"

    return t.smp(body)


class UartTransport(SMPTransport):
    """smpclient's serial framing over an emulated UART, in virtual time: the engine runs until
    a whole response frame has arrived (``poll`` is called while it waits, e.g. to collect the
    console; ``tail`` adds the console's end to the error when no response comes)."""

    def __init__(
        self,
        engine: Engine,
        port: SerialPort,
        *,
        poll: Callable[[], object] | None = None,
        tail: Callable[[], str] | None = None,
        budget_ms: int = 5000,
    ) -> None:
        self.engine = engine
        self.port = port
        self.poll = poll
        self.tail = tail
        self.budget_ms = budget_ms
        self._buf_size: int | None = None
        self._rx = b""

    async def connect(self, address: str, timeout_s: float) -> None:
        self.port.read()

    async def disconnect(self) -> None:
        return None

    async def send(self, data: bytes) -> None:
        self.port.write(b"".join(smppacket.encode(data, line_length=128)))

    async def receive(self) -> bytes:
        frames: list[bytes] = []
        decoder: list[Generator[None, bytes, bytes]] = []

        def scan() -> bool:
            if self.poll is not None:
                self.poll()
            self._rx += self.port.read()
            while b"\n" in self._rx:
                line, self._rx = self._rx.split(b"\n", 1)
                line += b"\n"
                if line.startswith(smppacket.START_DELIMITER):
                    gen = smppacket.decode()
                    next(gen)
                    decoder[:] = [gen]
                if not decoder:
                    continue
                try:
                    decoder[0].send(line)
                except StopIteration as done:
                    frames.append(bytes(done.value))
                    decoder.clear()
                    return True
            return False

        if not scan():
            result = self.engine.run(self.budget_ms * 1000, scan)
            if not frames:
                tail = f"; console: {self.tail()[-400:]!r}" if self.tail is not None else ""
                raise HilError(
                    f"no SMP response within {self.budget_ms} ms ({result.reason}){tail}"
                )
        return frames[0]

    async def send_and_receive(self, data: bytes) -> bytes:
        await self.send(data)
        return await self.receive()

    def initialize(self, smp_server_transport_buffer_size: int) -> None:
        self._buf_size = smp_server_transport_buffer_size

    @property
    def mtu(self) -> int:
        return self._buf_size or 256

    @property
    def max_unencoded_size(self) -> int:
        return (self._buf_size - 4) if self._buf_size else 127


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
