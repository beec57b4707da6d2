"""A GDB remote-serial-protocol server over a stopped engine (``hil.engine.base.Engine``).

One client on 127.0.0.1, single-threaded and deterministic: the emulator only runs while the
client asks it to (``c``/``s``), through the engine's own run loop (exceptions, peripherals,
scheduler), never by driving the CPU backend directly. Registers, memory and steps go through
the engine interface only.

Breakpoints (``Z0``/``z0``) reuse the engine's symbol hooks: each address becomes a named
symbol with a halting hook (``define_symbol`` + ``on_symbol``), which stops the CPU before the
instruction. The interface offers no way to remove a symbol hook, so a removed breakpoint keeps
its hook, which simply stops halting.

Step (``s``) runs exactly one instruction through the engine's own run loop
(``Engine.step``).
"""

from __future__ import annotations

import select
import socket
import struct
from collections.abc import Callable

from hil.engine.base import Engine, RunResult, StopReason
from hil.errors import EngineError
from hil.gdb.rsp import ACK, NACK, Decoder, escape, frame

PACKET_SIZE = 4096
CONTINUE_BUDGET_US = 10_000_000  # virtual time one ``c`` may run before reporting a stop
CHUNK_US = 10_000  # virtual time between checks for a client ^C during ``c``
SIGTRAP = 5
SIGINT = 2

# remote registers in the order of the target description (the ``g`` packet order): the
# engine's register names and the target description's types
REGISTERS: list[tuple[str, str]] = [
    *[(f"r{i}", "uint32") for i in range(13)],
    ("sp", "data_ptr"),
    ("lr", "int"),
    ("pc", "code_ptr"),
    ("xpsr", "int"),
    ("msp", "data_ptr"),
    ("psp", "data_ptr"),
]
_CORE_COUNT = 17  # r0-r12, sp, lr, pc, xpsr: org.gnu.gdb.arm.m-profile; msp/psp: m-system


def target_xml() -> str:
    def reg(name: str, kind: str) -> str:
        return f'<reg name="{name}" bitsize="32" type="{kind}"/>'

    core = "".join(reg(n, t) for n, t in REGISTERS[:_CORE_COUNT])
    system = "".join(reg(n, t) for n, t in REGISTERS[_CORE_COUNT:])
    return (
        '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">'
        "<target><architecture>armv8-m.main</architecture>"
        f'<feature name="org.gnu.gdb.arm.m-profile">{core}</feature>'
        f'<feature name="org.gnu.gdb.arm.m-system">{system}</feature>'
        "</target>"
    )


class GdbServer:
    """Serve one GDB client for ``engine`` (which must be stopped, i.e. not inside ``run``)."""

    def __init__(
        self,
        engine: Engine,
        port: int = 0,
        host: str = "127.0.0.1",
        continue_budget_us: int = CONTINUE_BUDGET_US,
    ) -> None:
        missing = [n for n, _ in REGISTERS if n not in engine.register_names]
        if missing:
            raise EngineError(
                f"gdb server: expected an engine with the M-profile registers, found "
                f"{type(engine).__name__} without {', '.join(missing)}"
            )
        self.engine = engine
        self.continue_budget_us = continue_budget_us
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(1)
        self.port: int = self.listener.getsockname()[1]
        self.breakpoints: set[int] = set()
        self._hooked: set[int] = set()  # addresses with an installed exit and hook
        self._stepping = False
        self._conn: socket.socket | None = None
        self._decoder = Decoder()
        self._pending: list[bytes] = []  # packets received but not yet handled
        self._interrupted = False
        self.last_result: RunResult | None = None
        self._signal = SIGTRAP

    # -- session ------------------------------------------------------------------------------
    def serve(self, accept_timeout: float | None = None) -> None:
        """Accept one client and serve it until it detaches, kills or disconnects."""
        self.listener.settimeout(accept_timeout)
        try:
            conn, _ = self.listener.accept()
        finally:
            self.listener.close()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._conn = conn
        try:
            while True:
                payload = self._next_packet()
                if payload is None:
                    return
                reply = self.handle(payload)
                if reply is None:  # detach / kill: answer, then end the session
                    if payload[:1] == b"D":
                        self._send(b"OK")
                    return
                self._send(reply)
        finally:
            conn.close()
            self._conn = None

    def close(self) -> None:
        self.listener.close()

    def _recv(self, timeout: float | None) -> bool:
        """Read what the client sent (within ``timeout``); False once it disconnected."""
        assert self._conn is not None
        if timeout is not None:
            ready, _, _ = select.select([self._conn], [], [], timeout)
            if not ready:
                return True
        try:
            data = self._conn.recv(PACKET_SIZE)
        except OSError:
            return False
        if not data:
            return False
        for unit in self._decoder.feed(data):
            if unit.interrupt:
                self._interrupted = True
            elif unit.valid:
                self._conn.sendall(ACK)
                self._pending.append(unit.payload)
            else:
                self._conn.sendall(NACK)
        return True

    def _next_packet(self) -> bytes | None:
        while not self._pending:
            if self._interrupted:  # ^C while stopped: report the stop again
                self._interrupted = False
                self._send(self._stop_reply())
                continue
            if not self._recv(None):
                return None
        return self._pending.pop(0)

    def _send(self, payload: bytes) -> None:
        """Send a packet and wait for its ack (resend on ``-``)."""
        assert self._conn is not None
        packet = frame(payload)
        for _ in range(10):
            self._conn.sendall(packet)
            reply = self._read_ack()
            if reply != NACK:
                return

    def _read_ack(self) -> bytes:
        assert self._conn is not None
        while True:
            byte = self._conn.recv(1)
            if byte in (ACK, NACK, b""):
                return byte
            if byte == b"\x03":
                self._interrupted = True
            elif byte == b"$":  # the client sent a packet instead of an ack: keep it
                self._decoder.feed(byte)
                return ACK

    # -- packets ------------------------------------------------------------------------------
    def handle(self, payload: bytes) -> bytes | None:
        """The reply to one packet (``b""`` = unsupported); None ends the session."""
        text = payload.decode("latin-1")
        cmd = text[:1]
        handlers: dict[str, Callable[[str], bytes | None]] = {
            "?": lambda _t: self._stop_reply(),
            "g": lambda _t: self._read_registers(),
            "G": self._write_registers,
            "p": self._read_register,
            "P": self._write_register,
            "m": self._read_memory,
            "M": self._write_memory,
            "Z": self._insert_breakpoint,
            "z": self._remove_breakpoint,
            "c": lambda _t: self._continue(),
            "s": lambda _t: self._step(),
            "H": lambda _t: b"OK",
            "T": lambda _t: b"OK",
            "k": lambda _t: None,
            "D": lambda _t: None,
            "q": self._query,
        }
        handler = handlers.get(cmd)
        if handler is None:
            return b""
        return handler(text)

    def _query(self, text: str) -> bytes:
        if text.startswith("qSupported"):
            return f"PacketSize={PACKET_SIZE:x};qXfer:features:read+".encode()
        if text == "qAttached":
            return b"1"
        if text == "qC":
            return b"QC1"
        if text == "qfThreadInfo":
            return b"m1"
        if text == "qsThreadInfo":
            return b"l"
        if text.startswith("qXfer:features:read:"):
            annex, _, span = text[len("qXfer:features:read:") :].partition(":")
            if annex != "target.xml":
                return b"E00"
            offset, _, length = span.partition(",")
            data = target_xml().encode()
            start, size = int(offset, 16), int(length, 16)
            chunk = data[start : start + size]
            more = start + size < len(data)
            return (b"m" if more else b"l") + escape(chunk)
        return b""

    def _stop_reply(self) -> bytes:
        return f"S{self._signal:02x}".encode()

    # -- registers ----------------------------------------------------------------------------
    def _reg(self, index: int) -> int:
        return self.engine.read_register(REGISTERS[index][0]) & 0xFFFFFFFF

    def _set_reg(self, index: int, value: int) -> None:
        if REGISTERS[index][0] == "pc":
            value &= ~1
        self.engine.write_register(REGISTERS[index][0], value & 0xFFFFFFFF)

    def _read_registers(self) -> bytes:
        return b"".join(
            struct.pack("<I", self._reg(i)).hex().encode() for i in range(len(REGISTERS))
        )

    def _write_registers(self, text: str) -> bytes:
        data = bytes.fromhex(text[1:])
        for i in range(min(len(REGISTERS), len(data) // 4)):
            self._set_reg(i, struct.unpack_from("<I", data, 4 * i)[0])
        return b"OK"

    def _read_register(self, text: str) -> bytes:
        index = int(text[1:], 16)
        if index >= len(REGISTERS):
            return b"E01"
        return struct.pack("<I", self._reg(index)).hex().encode()

    def _write_register(self, text: str) -> bytes:
        number, _, value = text[1:].partition("=")
        index = int(number, 16)
        if index >= len(REGISTERS):
            return b"E01"
        self._set_reg(index, struct.unpack("<I", bytes.fromhex(value))[0])
        return b"OK"

    # -- memory (the engine's debug bus: flash cells, RAM, peripheral models, PPB) ------------
    def read_memory(self, address: int, size: int) -> bytes:
        out = bytearray()
        first = address & ~3
        for word in range(first, address + size, 4):
            out += struct.pack("<I", self.engine.debug_read32(word & 0xFFFFFFFF))
        skip = address - first
        return bytes(out[skip : skip + size])

    def write_memory(self, address: int, data: bytes) -> None:
        first = address & ~3
        end = address + len(data)
        for word in range(first, end, 4):
            lo, hi = max(word, address), min(word + 4, end)
            if lo == word and hi == word + 4:
                value = data[lo - address : hi - address]
            else:  # partial word: read-modify-write
                current = bytearray(struct.pack("<I", self.engine.debug_read32(word)))
                current[lo - word : hi - word] = data[lo - address : hi - address]
                value = bytes(current)
            self.engine.debug_write32(word, struct.unpack("<I", value)[0])

    def _read_memory(self, text: str) -> bytes:
        address, _, length = text[1:].partition(",")
        try:
            return self.read_memory(int(address, 16), int(length, 16)).hex().encode()
        except (EngineError, ValueError):
            return b"E01"

    def _write_memory(self, text: str) -> bytes:
        spec, _, data = text[1:].partition(":")
        address, _, length = spec.partition(",")
        try:
            payload = bytes.fromhex(data)
            if len(payload) != int(length, 16):
                return b"E01"
            self.write_memory(int(address, 16), payload)
        except (EngineError, ValueError):
            return b"E01"
        return b"OK"

    # -- breakpoints --------------------------------------------------------------------------
    def _breakpoint_spec(self, text: str) -> tuple[str, int]:
        kind, _, rest = text[1:].partition(",")
        address, _, _ = rest.partition(",")
        return kind, int(address, 16) & ~1

    def add_breakpoint(self, address: int) -> None:
        address &= ~1
        self.breakpoints.add(address)
        if address not in self._hooked:
            name = f"__gdb_break_{address:08x}"
            self.engine.define_symbol(name, address)
            self.engine.on_symbol(name, self._on_breakpoint)
            self._hooked.add(address)

    def _on_breakpoint(self, _name: str, address: int) -> bool:
        return address in self.breakpoints and not self._stepping

    def _insert_breakpoint(self, text: str) -> bytes:
        kind, address = self._breakpoint_spec(text)
        if kind not in ("0", "1"):  # software and hardware execution breakpoints
            return b""
        self.add_breakpoint(address)
        return b"OK"

    def _remove_breakpoint(self, text: str) -> bytes:
        kind, address = self._breakpoint_spec(text)
        if kind not in ("0", "1"):
            return b""
        self.breakpoints.discard(address)
        return b"OK"

    # -- execution ----------------------------------------------------------------------------
    def cont(self) -> RunResult:
        """Run until a breakpoint, another halting hook, a stop of the engine, a client ^C or
        the continue budget (virtual time)."""
        self._interrupted = False
        spent = 0
        while True:
            chunk = min(CHUNK_US, self.continue_budget_us - spent)
            before = self.engine.instructions
            result = self.engine.run(chunk)
            spent += chunk
            self.last_result = result
            if result.reason is StopReason.HALTED and self.engine.instructions == before:
                continue  # halted again where the client continued from: step past it
            if result.reason is not StopReason.BUDGET or spent >= self.continue_budget_us:
                self._signal = SIGTRAP
                return result
            if self._conn is not None and not self._recv(0):
                return result
            if self._interrupted:
                self._interrupted = False
                self._signal = SIGINT
                return result

    def step(self) -> RunResult:
        """Execute exactly one instruction (an exception entry the instruction causes is
        taken as well, so the client sees the handler's first instruction)."""
        self._stepping = True
        try:
            result = self.engine.step()
            self.last_result = result
        finally:
            self._stepping = False
        self._signal = SIGTRAP
        return result

    def _continue(self) -> bytes:
        self.cont()
        return self._stop_reply()

    def _step(self) -> bytes:
        self.step()
        return self._stop_reply()
