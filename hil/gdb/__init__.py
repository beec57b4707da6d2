"""GDB remote-serial-protocol server over any engine (``hil.engine.base.Engine``)."""

from hil.gdb.server import GdbServer

__all__ = ["GdbServer"]
