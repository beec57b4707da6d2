"""Links to a device: SMP over the emulated console UART in virtual time."""

from hil.link.smp_session import SmpError, SmpSession, UploadOutcome
from hil.link.smp_transport import DEFAULT_LINE_LENGTH, VirtualSerialTransport

__all__ = [
    "DEFAULT_LINE_LENGTH",
    "SmpError",
    "SmpSession",
    "UploadOutcome",
    "VirtualSerialTransport",
]
