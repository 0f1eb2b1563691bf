"""Network: no public data-plane access, network rules that deny by default, a private endpoint per account."""

from __future__ import annotations

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ftstack.check.policy_settings import (
    NETWORK_ACLS_DEFAULT_DENY,
    NETWORK_PRIVATE_ENDPOINT,
    NETWORK_PUBLIC_ACCESS_DISABLED,
)

from .resources import (
    ACCOUNT,
    PRIVATE_ENDPOINT,
    arm_properties,
    display,
    is_type,
    linked,
    mapping,
    of_type,
    text,
)
from .settings import flag, schema

# A private endpoint names its target in one of these (flattened) inputs.
_CONNECTION_KEYS = ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")


def _validate_public_access(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_type(args.resource_type, ACCOUNT):
        return
    if not flag(args.get_config(), NETWORK_PUBLIC_ACCESS_DISABLED, "requirePublicNetworkAccessDisabled"):
        return
    value = text(arm_properties(args.props).get("publicNetworkAccess"))
    if value != "Disabled":
        shown = value or "not set (Azure enables it)"
        report_violation(
            f"account {display(args.name, args.props, 'accountName')} allows public network access "
            f"(properties.publicNetworkAccess is {shown}). Fix: set account.publicNetworkAccess: Disabled "
            "and reach the account through its private endpoint.",
            None,
        )


public_access_disabled = ResourceValidationPolicy(
    name=NETWORK_PUBLIC_ACCESS_DISABLED,
    description="Azure OpenAI accounts disable public network access.",
    validate=_validate_public_access,
    config_schema=schema(NETWORK_PUBLIC_ACCESS_DISABLED),
    severity=Severity.HIGH,
    remediation_steps="Set publicNetworkAccess to Disabled and add a private endpoint (network.privateEndpoint).",
)


def _validate_acls(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_type(args.resource_type, ACCOUNT):
        return
    action = text(mapping(arm_properties(args.props).get("networkAcls")).get("defaultAction"))
    if action != "Deny":
        shown = action or "not set, and Azure allows by default"
        report_violation(
            f"account {display(args.name, args.props, 'accountName')} lets any network in "
            f"(networkAcls.defaultAction is {shown}). "
            "Fix: set account.networkAcls.defaultAction: Deny and allow the runner with an ipRules entry.",
            None,
        )


acls_default_deny = ResourceValidationPolicy(
    name=NETWORK_ACLS_DEFAULT_DENY,
    description="Azure OpenAI accounts' network rules deny by default.",
    validate=_validate_acls,
    config_schema=schema(NETWORK_ACLS_DEFAULT_DENY),
    severity=Severity.HIGH,
    remediation_steps="Set networkAcls.defaultAction to Deny; allow specific IPs or subnets explicitly.",
)


def _targets(endpoint: PolicyResource, account: PolicyResource) -> bool:
    """True when the private endpoint connects to `account` (linked through its connection inputs)."""
    by_property = any(
        other.urn == account.urn
        for key in _CONNECTION_KEYS
        for other in endpoint.property_dependencies.get(key, [])
    )
    has_connection = any(endpoint.props.get(key) for key in _CONNECTION_KEYS)
    return by_property or (has_connection and any(other.urn == account.urn for other in linked(endpoint)))


def _validate_private_endpoints(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    if not flag(args.get_config(), NETWORK_PRIVATE_ENDPOINT, "requirePrivateEndpoint"):
        return
    endpoints = of_type(args.resources, PRIVATE_ENDPOINT)
    for account in of_type(args.resources, ACCOUNT):
        if not any(_targets(endpoint, account) for endpoint in endpoints):
            report_violation(
                f"account {display(account.name, account.props, 'accountName')} has no private endpoint in "
                "this stack. Fix: set network.privateEndpoint (subnetId and DNS zones) so the platform "
                "creates one.",
                account.urn,
            )


private_endpoint = StackValidationPolicy(
    name=NETWORK_PRIVATE_ENDPOINT,
    description="Every Azure OpenAI account has a private endpoint.",
    validate=_validate_private_endpoints,
    config_schema=schema(NETWORK_PRIVATE_ENDPOINT),
    severity=Severity.HIGH,
    remediation_steps="Declare a private endpoint whose privateLinkServiceConnections target the account "
    "(groupIds: account), with the privatelink DNS zones.",
)
