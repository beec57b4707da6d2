"""The monitor: every action on a target is a scriptable command (Renode style).

``session`` (the state: target, device, snapshots, armed faults, a queued upload),
``commands`` (the one command layer: ``execute(session, line) -> Reply``), ``console``
(stdin with readline, a localhost TCP port, ``.hilmon`` scripts) and ``record`` (a session as
a replay record). ``hil monitor`` and the Robot library's ``Execute Command`` use the same
layer.
"""

from hil.monitor.commands import COMMANDS, Reply, execute
from hil.monitor.session import MonitorError, Session

__all__ = ["COMMANDS", "MonitorError", "Reply", "Session", "execute"]
