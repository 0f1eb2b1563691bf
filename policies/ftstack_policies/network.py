"""Network: no public data-plane access, network rules that deny by default, a private endpoint per account,
and outbound access restricted in production.

A private endpoint counts for an account only when its connection targets that account: the connection's
privateLinkServiceId takes its value from the account (or, once known, is the account's id) and its group
ids name the account's private-link sub-resource. Depending on the account, or pointing elsewhere, is no
protection.
"""

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

from ftstack.catalog import CatalogError
from ftstack.catalog.dns_zones import private_link_facts
from ftstack.check.policy_settings import (
    NETWORK_ACLS_DEFAULT_DENY,
    NETWORK_OUTBOUND_RESTRICTED,
    NETWORK_PRIVATE_ENDPOINT,
    NETWORK_PUBLIC_ACCESS_DISABLED,
)

from .resources import (
    ACCOUNT,
    PRIVATE_ENDPOINT,
    UNKNOWN,
    arm_properties,
    display,
    is_type,
    items,
    mapping,
    of_type,
    peek,
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


def _group_id(account: PolicyResource) -> str:
    """The private-link sub-resource of the account's kind (`account` for OpenAI and AIServices)."""
    try:
        return private_link_facts(text(peek(account.props, "kind")) or "OpenAI").group_id
    except CatalogError:
        return "account"


def _is_account_id(value: object, account: PolicyResource) -> bool:
    """True when a known resource id is the account's (ARM ids compare case-insensitively)."""
    name = text(peek(account.props, "accountName")) or account.name
    suffix = f"/providers/microsoft.cognitiveservices/accounts/{name.lower()}"
    return isinstance(value, str) and value.rstrip("/").lower().endswith(suffix)


def _targets(endpoint: PolicyResource, account: PolicyResource) -> bool:
    """True when one of the endpoint's connections targets `account`'s id with the account's group id."""
    for key in _CONNECTION_KEYS:
        from_account = any(other.urn == account.urn for other in endpoint.property_dependencies.get(key, []))
        for connection in items(peek(endpoint.props, key)):
            target = peek(mapping(connection), "privateLinkServiceId")
            groups = peek(mapping(connection), "groupIds")
            names_group = groups is not UNKNOWN and _group_id(account) in items(groups)
            # Unknown in preview: it must then come from the account; once known it must be the account's id.
            targets = (target is UNKNOWN and from_account) or _is_account_id(target, account)
            if targets and names_group:
                return True
    return False


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
    remediation_steps="Declare a private endpoint whose privateLinkServiceConnections target the account's id "
    "(privateLinkServiceId: the account's id, groupIds: account), with the privatelink DNS zones.",
)


def _validate_outbound(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_type(args.resource_type, ACCOUNT):
        return
    if not flag(args.get_config(), NETWORK_OUTBOUND_RESTRICTED, "requireOutboundRestriction"):
        return
    if arm_properties(args.props).get("restrictOutboundNetworkAccess") is not True:
        report_violation(
            f"account {display(args.name, args.props, 'accountName')} may send data anywhere "
            "(properties.restrictOutboundNetworkAccess is not true). Fix: set "
            "account.restrictOutboundNetworkAccess: true, and list what it may reach in account.allowedFqdns.",
            None,
        )


outbound_restricted = ResourceValidationPolicy(
    name=NETWORK_OUTBOUND_RESTRICTED,
    description="Production Azure OpenAI accounts restrict outbound network access.",
    validate=_validate_outbound,
    config_schema=schema(NETWORK_OUTBOUND_RESTRICTED),
    severity=Severity.MEDIUM,
    remediation_steps="Set restrictOutboundNetworkAccess to true and allowedFqdnList to the hosts the account "
    "must reach.",
)
