"""Identity: Entra ID only (local keys disabled) and a managed identity on every account."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ftstack.check.policy_settings import IDENTITY_LOCAL_AUTH_DISABLED, IDENTITY_MANAGED_IDENTITY

from .resources import ACCOUNT, arm_properties, display, is_type, mapping, text
from .settings import schema


def _validate_local_auth(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_type(args.resource_type, ACCOUNT):
        return
    if arm_properties(args.props).get("disableLocalAuth") is not True:
        report_violation(
            f"account {display(args.name, args.props, 'accountName')} accepts API keys "
            "(properties.disableLocalAuth is not true). Fix: set account.disableLocalAuth: true and grant "
            "Entra ID roles (access.roleAssignments) instead.",
            None,
        )


local_auth_disabled = ResourceValidationPolicy(
    name=IDENTITY_LOCAL_AUTH_DISABLED,
    description="Azure OpenAI accounts disable local (key) authentication.",
    validate=_validate_local_auth,
    config_schema=schema(IDENTITY_LOCAL_AUTH_DISABLED),
    severity=Severity.HIGH,
    remediation_steps="Set disableLocalAuth to true; callers use Entra ID tokens and role assignments.",
)


def _validate_managed_identity(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_type(args.resource_type, ACCOUNT):
        return
    kind = text(mapping(args.props.get("identity")).get("type"))
    if kind is None or "Assigned" not in kind:
        report_violation(
            f"account {display(args.name, args.props, 'accountName')} has no managed identity "
            f"(identity.type is {kind or 'not set'}). Fix: set account.identity.type: SystemAssigned (or "
            "UserAssigned with userAssignedIdentityIds).",
            None,
        )


managed_identity = ResourceValidationPolicy(
    name=IDENTITY_MANAGED_IDENTITY,
    description="Azure OpenAI accounts have a managed identity.",
    validate=_validate_managed_identity,
    config_schema=schema(IDENTITY_MANAGED_IDENTITY),
    severity=Severity.MEDIUM,
    remediation_steps="Give the account a SystemAssigned or UserAssigned identity.",
)
