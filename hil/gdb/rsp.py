"""GDB remote serial protocol framing: ``$payload#xx`` packets, checksums, escapes, acks.

Pure functions and a small incremental decoder, independent of any socket, so the framing is
unit-tested without a debugger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ACK = b"+"
NACK = b"-"
INTERRUPT = 0x03  # ^C sent by the client outside a packet
_ESCAPED = b"#$}*"


def checksum(payload: bytes) -> int:
    """The modulo-256 sum of the payload bytes (as sent, i.e. after escaping)."""
    return sum(payload) & 0xFF


def escape(data: bytes) -> bytes:
    """Binary-escape ``#``, ``$``, ``}`` and ``*`` (``}`` then the byte XOR 0x20)."""
    out = bytearray()
    for b in data:
        if b in _ESCAPED:
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == 0x7D:
            out.append(next(it, 0x20) ^ 0x20)
        else:
            out.append(b)
    return bytes(out)


def frame(payload: bytes) -> bytes:
    """A complete packet for ``payload`` (the caller escapes binary data first)."""
    return b"$" + payload + b"#" + f"{checksum(payload):02x}".encode()


@dataclass
class Decoded:
    """One unit read from the client: a packet (checksum good or bad) or an interrupt."""

    payload: bytes = b""
    valid: bool = True
    interrupt: bool = False


@dataclass
class Decoder:
    """Incremental decoder: feed received bytes, collect packets and ^C interrupts.

    Acks (``+``/``-``) from the client are dropped; bytes outside a packet are ignored."""

    _buf: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[Decoded]:
        self._buf += data
        out: list[Decoded] = []
        while self._buf:
            first = self._buf[0]
            if first == INTERRUPT:
                del self._buf[0]
                out.append(Decoded(interrupt=True))
                continue
            if first != ord("$"):
                del self._buf[0]  # acks and noise between packets
                continue
            end = self._buf.find(b"#")
            if end < 0 or len(self._buf) < end + 3:
                break  # incomplete packet: wait for more bytes
            payload = bytes(self._buf[1:end])
            sent = bytes(self._buf[end + 1 : end + 3])
            del self._buf[: end + 3]
            try:
                valid = int(sent, 16) == checksum(payload)
            except ValueError:
                valid = False
            out.append(Decoded(payload=payload, valid=valid))
        return out
