"""Encryption: a customer-managed key on every account when the environment requires one."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ftstack.check.policy_settings import ENCRYPTION_CUSTOMER_MANAGED_KEY

from .resources import ACCOUNT, arm_properties, display, is_type, mapping, text
from .settings import flag, schema


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_type(args.resource_type, ACCOUNT):
        return
    if not flag(args.get_config(), ENCRYPTION_CUSTOMER_MANAGED_KEY, "requireCustomerManagedKey"):
        return
    encryption = mapping(arm_properties(args.props).get("encryption"))
    vault = mapping(encryption.get("keyVaultProperties"))
    source = text(encryption.get("keySource"))
    if source != "Microsoft.KeyVault" or not text(vault.get("keyName")) or not text(vault.get("keyVaultUri")):
        report_violation(
            f"account {display(args.name, args.props, 'accountName')} is not encrypted with a customer-managed "
            f"key (encryption.keySource is {source or 'not set'}). Fix: set account.customerManagedKey "
            "(keyVaultUri, keyName, and the identity that reads the key).",
            None,
        )


customer_managed_key = ResourceValidationPolicy(
    name=ENCRYPTION_CUSTOMER_MANAGED_KEY,
    description="Azure OpenAI accounts use a customer-managed key when the environment requires one.",
    validate=_validate,
    config_schema=schema(ENCRYPTION_CUSTOMER_MANAGED_KEY),
    severity=Severity.HIGH,
    remediation_steps="Set encryption.keySource to Microsoft.KeyVault with keyVaultProperties (keyVaultUri, "
    "keyName, identityClientId).",
)
