"""Reports: the compliance summary (JSON/Markdown/HTML/JUnit), flash maps and event timelines."""

from hil.report.compliance import CaseResult, Cell, ComplianceSummary, Status
from hil.report.compliance_schema import COMPLIANCE_SCHEMA, SCHEMA_ID, SCHEMA_VERSION, validate

__all__ = [
    "COMPLIANCE_SCHEMA",
    "SCHEMA_ID",
    "SCHEMA_VERSION",
    "CaseResult",
    "Cell",
    "ComplianceSummary",
    "Status",
    "validate",
]
