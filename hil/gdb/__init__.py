"""GDB remote-serial-protocol server for the unicorn engine."""

from hil.gdb.server import GdbServer

__all__ = ["GdbServer"]
