"""The exception tree of ota-hil.

Every message says what was expected and what was found (and, where it helps, what exists).
Library code raises these; only ``hil.cli`` turns them into exit codes.
"""

from __future__ import annotations


class HilError(Exception):
    """Base of every error ota-hil raises on purpose."""


class Interrupted(KeyboardInterrupt):
    """A stop was requested (SIGINT/SIGTERM through ``Engine.request_stop``): raised by
    ``Engine.run`` at its next slice boundary, never inside an emulator callback. A
    KeyboardInterrupt, so that no ``except Exception``/``except HilError`` swallows it."""


class FieldError(HilError):
    """A file (or other named source) holds a bad value: the base of every input error that
    names the source, the dotted field (``faults[1].op``), what was expected and what was found.

    ``path`` is the file or source, ``field`` the dotted path of the offending field.
    """

    def __init__(self, path: str, field: str, expected: str, found: str) -> None:
        self.path = path
        self.field = field
        self.expected = expected
        self.found = found
        super().__init__(f"{path}: field '{field}': expected {expected}, found {found}")


class PlatformError(FieldError):
    """A platform description is missing, malformed or inconsistent
    (``field`` e.g. ``layout.slot_a.size``)."""


class UnknownNameError(HilError):
    """A name (platform, engine, peripheral model, event...) is not registered."""

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...]) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        listing = ", ".join(self.known) if self.known else "(none)"
        super().__init__(f"unknown {kind} '{name}'; known: {listing}")


class EvidenceError(HilError):
    """A device evidence line is malformed or corrupted."""

    def __init__(self, line: str, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"bad evidence line {line!r}: {reason}")


class EngineError(HilError):
    """The emulation engine cannot do what was asked (bad image, crashed emulator, ...)."""


class FirmwareError(HilError):
    """Firmware could not be built or an ELF is missing or unusable."""


class DeviceTimeout(HilError):
    """A wait on the device ended without the expected event.

    Carries the pattern waited for, the tail of what the device printed and the log path.
    """

    def __init__(self, waited_for: str, budget: str, tail: str, log_path: str | None) -> None:
        self.waited_for = waited_for
        self.tail = tail
        self.log_path = log_path
        where = f"; full log: {log_path}" if log_path else ""
        super().__init__(
            f"timed out after {budget} waiting for {waited_for}; last output:\n{tail}{where}"
        )
