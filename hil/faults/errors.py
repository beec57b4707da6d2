"""The fault-plan error: names the plan file, the dotted field, what was expected and found."""

from __future__ import annotations

from hil.errors import HilError


class FaultPlanError(HilError):
    """A fault plan is malformed, cannot be armed on this target, or a fault never fired."""

    def __init__(self, path: str, field: str, expected: str, found: str) -> None:
        self.path = path
        self.field = field
        self.expected = expected
        self.found = found
        super().__init__(f"{path}: field '{field}': expected {expected}, found {found}")
