"""The fault-plan error: names the plan file, the dotted field, what was expected and found."""

from __future__ import annotations

from hil.errors import FieldError


class FaultPlanError(FieldError):
    """A fault plan is malformed, cannot be armed on this target, or a fault never fired."""
