"""Where monitor commands come from: an interactive prompt on stdin (readline: line editing and
history), a localhost TCP port (one thread per connection), or a script file (``.hilmon``).

All of them hand each line to ``hil.monitor.commands.execute`` under one lock, so commands from
stdin and TCP clients run one at a time, in the order they arrive; ``pause`` is the exception:
it stops a running ``run`` from another connection (Ctrl-C at the prompt does the same).

TCP protocol: the server greets with one line, then a prompt ``(hil) `` (no newline); each
command line gets its reply lines, then the prompt again. ``quit`` closes that connection.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import socketserver
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import IO

from hil.monitor.commands import Quit, Reply, execute
from hil.monitor.session import Session

PROMPT = "(hil) "
BANNER = "ota-hil monitor: type help for the commands"
HISTORY = Path.home() / ".ota_hil_monitor_history"


class Console:
    """Serialises commands from every source onto one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lock = threading.Lock()

    def handle(self, line: str, say: Callable[[str], None]) -> Reply:
        """Run one line (``Quit`` propagates)."""
        if line.strip() == "pause":  # not behind the lock: it stops the command holding it
            self.session.request_pause()
            return Reply(True, "paused")
        with self.lock:
            return execute(self.session, line, say)


# -- TCP ---------------------------------------------------------------------------------------
class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def _send(self, text: str) -> None:
        with contextlib.suppress(OSError):
            self.wfile.write(text.encode("utf-8", errors="replace"))
            self.wfile.flush()

    def handle(self) -> None:
        console = self.server.console
        self._send(BANNER + "\n" + PROMPT)
        for raw in self.rfile:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            try:
                reply = console.handle(line, lambda t: self._send(t + "\n"))
            except Quit:
                self._send("bye\n")
                return
            self._send((reply.text + "\n" if reply.text else "") + PROMPT)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, console: Console) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.console = console


def serve_tcp(console: Console, port: int) -> tuple[_Server, int]:
    """Start serving ``console`` on 127.0.0.1:``port`` (0: any free port) in a daemon thread;
    the server and the port it listens on."""
    server = _Server(port, console)
    threading.Thread(target=server.serve_forever, name="hil-monitor-tcp", daemon=True).start()
    bound: int = server.server_address[1]
    return server, bound


def tcp_port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# -- stdin -----------------------------------------------------------------------------------
def _readline_setup() -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - no readline on this Python
        return
    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(HISTORY)

    import atexit

    atexit.register(save)


def interactive(console: Console, out: IO[str] = sys.stdout) -> None:
    """Prompt on stdin until ``quit`` or end of input; Ctrl-C pauses a running command."""
    tty = sys.stdin.isatty()
    if tty:
        _readline_setup()

    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    def on_sigint(_sig: int, _frame: FrameType | None) -> None:
        console.session.request_pause()

    while True:
        try:
            line = input(PROMPT) if tty else sys.stdin.readline()
        except EOFError:
            return
        except KeyboardInterrupt:
            say("")
            continue
        if not tty and not line:
            return
        old = signal.signal(signal.SIGINT, on_sigint)
        try:
            reply = console.handle(line, say)
        except Quit:
            return
        finally:
            signal.signal(signal.SIGINT, old)
        if reply.text:
            say(reply.text)


def run_script(
    console: Console, lines: Iterable[str], say: Callable[[str], None], source: str
) -> str | None:
    """Run script lines (echoed with the prompt); stop at the first error, returning it as one
    line naming the script line."""
    for n, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        say(PROMPT + text)
        try:
            reply = console.handle(text, say)
        except Quit:
            return None
        if reply.text:
            say(reply.text)
        if not reply.ok:
            return f"{source}:{n}: {reply.text}"
    return None


__all__ = ["BANNER", "PROMPT", "Console", "interactive", "run_script", "serve_tcp"]
