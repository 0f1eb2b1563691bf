"""Monitoring: in production every account sends its logs to a Log Analytics workspace.

A diagnostic setting counts for an account when its resourceUri takes its value from that account (or is
the account's id), it names a workspace, and it enables at least one log category.
"""

from __future__ import annotations

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ftstack.check.policy_settings import MONITORING_DIAGNOSTICS

from .resources import (
    ACCOUNT,
    DIAGNOSTIC_SETTING,
    UNKNOWN,
    display,
    items,
    mapping,
    of_type,
    peek,
    text,
    through,
)
from .settings import flag, schema


def _covers(setting: PolicyResource, account: PolicyResource) -> bool:
    """True when the diagnostic setting watches `account`, writes to a workspace and enables a log."""
    watched = through(setting, "resourceUri", ACCOUNT)
    uri = peek(setting.props, "resourceUri")
    name = (text(peek(account.props, "accountName")) or account.name).lower()
    by_id = isinstance(uri, str) and uri.rstrip("/").lower().endswith(f"/accounts/{name}")
    if not ((watched is not None and watched.urn == account.urn) or by_id):
        return False
    workspace = peek(setting.props, "workspaceId")
    if workspace is not UNKNOWN and text(workspace) is None:
        return False
    logs = peek(setting.props, "logs")
    return logs is UNKNOWN or any(peek(mapping(log), "enabled") in (True, UNKNOWN) for log in items(logs))


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    if not flag(args.get_config(), MONITORING_DIAGNOSTICS, "requireDiagnostics"):
        return
    settings = of_type(args.resources, DIAGNOSTIC_SETTING)
    for account in of_type(args.resources, ACCOUNT):
        if not any(_covers(setting, account) for setting in settings):
            report_violation(
                f"account {display(account.name, account.props, 'accountName')} has no diagnostic setting "
                "sending its logs to a Log Analytics workspace. Fix: set monitoring.diagnostics (a workspace, "
                "and the Audit and RequestResponse log categories).",
                account.urn,
            )


diagnostics = StackValidationPolicy(
    name=MONITORING_DIAGNOSTICS,
    description="Production Azure OpenAI accounts send their logs to a Log Analytics workspace.",
    validate=_validate,
    config_schema=schema(MONITORING_DIAGNOSTICS),
    severity=Severity.MEDIUM,
    remediation_steps="Add monitoring.diagnostics to the stack: a diagnostic setting on the account with a "
    "workspace and enabled log categories.",
)
