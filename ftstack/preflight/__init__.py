"""Quota and capacity preflight: before `pulumi up`, does the region have room for what the stack declares
(deployment quota and fine-tune capacity, per-resource file and job limits), and where else may it go.

Knows no Pulumi; reads Azure only through a `QuotaReader` (ftstack.arm for the SDK, recorded responses or the
local Azure), so the checks themselves never touch the network. The names below load on first use: the check
report imports `ftstack.preflight.section`, and when the runner has no sign-in it needs none of the checks.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ftstack.preflight.findings import Alternative, Finding, NotChecked, PreflightReport
    from ftstack.preflight.reader import CredentialError, PreflightReadError, QuotaReader
    from ftstack.preflight.run import run_preflight
    from ftstack.preflight.section import PreflightSection, preflight_section
    from ftstack.preflight.stack import PreflightUsageError, preflight_stack

_MODULES = {
    "Alternative": "findings",
    "Finding": "findings",
    "NotChecked": "findings",
    "PreflightReport": "findings",
    "CredentialError": "reader",
    "PreflightReadError": "reader",
    "QuotaReader": "reader",
    "run_preflight": "run",
    "PreflightSection": "section",
    "preflight_section": "section",
    "PreflightUsageError": "stack",
    "preflight_stack": "stack",
}

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


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'ftstack.preflight' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ftstack.preflight.{module}"), name)
