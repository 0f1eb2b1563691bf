"""Quota and capacity preflight: before `pulumi up`, does the region have room for what the stack declares
(deployment quota and fine-tune capacity, per-resource file and job limits), and where else may it go.

Knows no Pulumi; reads Azure only through a `QuotaReader` (ftstack.arm for the SDK, recorded responses or the
local Azure), so the checks themselves never touch the network.
"""

from ftstack.preflight.findings import Alternative, Finding, NotChecked, PreflightReport
from ftstack.preflight.reader import CredentialError, PreflightReadError, QuotaReader
from ftstack.preflight.run import run_preflight
from ftstack.preflight.section import PreflightSection, preflight_section
from ftstack.preflight.stack import PreflightUsageError, preflight_stack

__all__ = [
    "Alternative",
    "CredentialError",
    "Finding",
    "NotChecked",
    "PreflightReadError",
    "PreflightReport",
    "PreflightSection",
    "PreflightUsageError",
    "QuotaReader",
    "preflight_section",
    "preflight_stack",
    "run_preflight",
]
