"""Access: role assignments grant only the listed Cognitive Services roles, never a privileged one, and in
production only on an account of the stack.

The roles come from the role table (`ftstack/catalog/data/roles.yaml`): the grantable roles by their
definition GUID, and the privileged ones (Owner, Contributor, User Access Administrator) named when tried.
The scope is read from the graph: it must take its value from an account of the stack, or be an account's
id (or a child of one); a subscription or resource group is above the account. The one role granted
elsewhere, Key Vault Crypto Service Encryption User, is granted on the customer-managed key an account of
the stack encrypts with (`<vault id>/keys/<key name>`), and nowhere else.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ftstack.catalog.roles import load_roles
from ftstack.check.policy_settings import IDENTITY_ROLE_ASSIGNMENTS

from .resources import (
    ACCOUNT,
    ROLE_ASSIGNMENT,
    UNKNOWN,
    arm_properties,
    mapping,
    of_type,
    peek,
    text,
    through,
)
from .settings import flag, schema

_ACCOUNT_SCOPE = "/providers/microsoft.cognitiveservices/accounts/"
# The role an account's identity needs on its customer-managed key (roles.yaml has its GUID).
KEY_ROLE = "Key Vault Crypto Service Encryption User"
_KEY_SCOPE = re.compile(r"/providers/microsoft\.keyvault/vaults/([^/]+)/keys/([^/]+)$")


def _role_guid(definition_id: str) -> str:
    """The GUID at the end of a role definition id (`/subscriptions/.../roleDefinitions/<guid>`)."""
    return definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def _role_problem(assignment: PolicyResource) -> str | None:
    """Why the assignment's role may not be granted, or None when it may (or is not known yet)."""
    definition = peek(assignment.props, "roleDefinitionId")
    if definition is UNKNOWN:
        return None  # `pulumi up` checks it again once the subscription is known
    roles = load_roles()
    if text(definition) is None:
        return "it names no roleDefinitionId"
    guid = _role_guid(str(definition))
    privileged = roles.privileged(guid)
    if privileged is not None:
        return f"it grants {privileged.name} ({privileged.purpose}), a privileged role a stack never grants"
    if roles.by_guid(guid) is None:
        return f"its role {guid} is not one a stack may grant ({', '.join(roles.names())})"
    return None


def _scope_problem(assignment: PolicyResource, accounts: list[PolicyResource]) -> str | None:
    """Why the assignment's scope is wider than an account of the stack, or None."""
    if through(assignment, "scope", ACCOUNT) is not None:
        return None
    scope = peek(assignment.props, "scope")
    if scope is UNKNOWN:
        return "its scope is not taken from an account of this stack"
    shown = text(scope) or "not set"
    lowered = shown.lower()
    if _ACCOUNT_SCOPE in lowered:
        names = {(text(peek(a.props, "accountName")) or a.name).lower() for a in accounts}
        named = lowered.split(_ACCOUNT_SCOPE, 1)[1].split("/", 1)[0]
        if named in names:
            return None
        return f"its scope {shown} is an account this stack does not declare"
    return f"its scope {shown} is above the account (a subscription or resource group grants far more)"


def _account_keys(accounts: list[PolicyResource]) -> set[tuple[str, str]]:
    """(vault name, key name), lowercased, of each customer-managed key an account of the stack uses."""
    keys: set[tuple[str, str]] = set()
    for account in accounts:
        encryption = mapping(arm_properties(account.props).get("encryption"))
        vault = mapping(encryption.get("keyVaultProperties"))
        uri, key = text(vault.get("keyVaultUri")), text(vault.get("keyName"))
        host = urlparse(uri).hostname if uri else None
        if host and key:
            keys.add((host.split(".", 1)[0].lower(), key.lower()))
    return keys


def _key_scope_problem(assignment: PolicyResource, accounts: list[PolicyResource]) -> str | None:
    """Why a key-encryption grant is not on a customer-managed key of the stack's accounts, or None."""
    scope = peek(assignment.props, "scope")
    shown = "not known during preview" if scope is UNKNOWN else text(scope) or "not set"
    found = _KEY_SCOPE.search(shown.lower().rstrip("/"))
    if found is not None and (found[1], found[2]) in _account_keys(accounts):
        return None
    return (
        f"it grants {KEY_ROLE}, which belongs on the customer-managed key an account of this stack encrypts "
        f"with (<vault id>/keys/<key name>), and its scope is {shown}"
    )


def _is_key_role(assignment: PolicyResource) -> bool:
    definition = text(peek(assignment.props, "roleDefinitionId"))
    role = load_roles().by_guid(_role_guid(definition)) if definition else None
    return role is not None and role.name == KEY_ROLE


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    production = flag(args.get_config(), IDENTITY_ROLE_ASSIGNMENTS, "production")
    accounts = of_type(args.resources, ACCOUNT)
    for assignment in of_type(args.resources, ROLE_ASSIGNMENT):
        problems = [_role_problem(assignment)]
        if _is_key_role(assignment):
            problems.append(_key_scope_problem(assignment, accounts))
        elif production:
            problems.append(_scope_problem(assignment, accounts))
        for problem in filter(None, problems):
            report_violation(
                f"role assignment {assignment.name!r}: {problem}. Fix: grant a listed role "
                "(access.roleAssignments) on the stack's account only.",
                assignment.urn,
            )


role_assignments = StackValidationPolicy(
    name=IDENTITY_ROLE_ASSIGNMENTS,
    description="Role assignments grant only the listed Cognitive Services roles, never Owner, Contributor or "
    "User Access Administrator, and in production only on the stack's account; Key Vault Crypto Service "
    "Encryption User only on the customer-managed key of an account of the stack.",
    validate=_validate,
    config_schema=schema(IDENTITY_ROLE_ASSIGNMENTS),
    severity=Severity.HIGH,
    remediation_steps="Grant Cognitive Services OpenAI User or Contributor (access.roleAssignments), scoped to "
    "the account.",
)
