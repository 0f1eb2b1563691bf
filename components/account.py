"""OpenAIAccount: the Azure OpenAI (or AI Services) account and its resource group, secure by default."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization, cognitiveservices, resources

from ftstack.catalog.roles import load_roles
from ftstack.config.schema import AccountConfig, CustomerManagedKeySpec

CMK_KEY_SOURCE = "Microsoft.KeyVault"
# Built-in role "Key Vault Crypto Service Encryption User" (same GUID in every tenant): read a key's
# metadata and wrap/unwrap with it, which is all a service needs to encrypt with a customer-managed key.
KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = load_roles().get("Key Vault Crypto Service Encryption User").guid
# Fixed namespace so the key grant's GUID name is the same on every run (ARM names assignments by GUID).
KEY_ACCESS_NAMESPACE = uuid.UUID("0b8e6c1e-2f8d-4a6e-9d55-6a1f3c2b7e90")


@dataclass(frozen=True)
class OpenAIAccountArgs:
    """What the account component needs: the account section of the config, the tags to stamp on it, and
    whether it is protected.

    `protect` (production stacks) makes the engine refuse any operation that would delete the account or
    its created resource group: a destroy, or a replace (a region, kind or name change), which is
    delete-first for a named account and would delete every fine-tuned model with it.
    """

    account: AccountConfig
    tags: dict[str, str] = field(default_factory=dict)
    protect: bool = False


class OpenAIAccount(pulumi.ComponentResource):
    """A cognitiveservices Account (kind OpenAI or AIServices, SKU S0) in a created or existing resource group.

    Public network access, local auth and network ACLs follow the config, whose defaults are the secure
    ones (Disabled, disabled, Deny); the identity and an optional customer-managed key come from config too.
    With a customer-managed key, the user-assigned identity that reads it is granted Key Vault Crypto Service
    Encryption User on the key before the account is created with it.
    """

    resource_group_name: pulumi.Output[str]
    account_name: pulumi.Output[str]
    account_id: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    principal_id: pulumi.Output[str | None]

    def __init__(self, name: str, args: OpenAIAccountArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ftstack:account:OpenAIAccount", name, None, opts)
        config = args.account
        child = pulumi.ResourceOptions(parent=self)
        # protect, not retain_on_delete: retaining would let a replace "succeed" by dropping the old account
        # from state and then fail on its taken name, and a destroy would leave an orphan the stack no longer
        # sees. protect stops both at preview time, until someone unprotects on purpose.
        kept = pulumi.ResourceOptions(parent=self, protect=args.protect)
        self.resource_group: resources.ResourceGroup | None = None
        if config.resource_group.create:
            self.resource_group = resources.ResourceGroup(
                config.resource_group.name,
                resource_group_name=config.resource_group.name,
                location=config.region,
                tags=args.tags,
                opts=kept,
            )
            self.resource_group_name = self.resource_group.name
        else:
            self.resource_group_name = pulumi.Output.from_input(config.resource_group.name)
        self.key_access: authorization.RoleAssignment | None = None
        if config.customer_managed_key is not None:
            self.key_access = _key_access(config.name, config.customer_managed_key, child)
        self.account = cognitiveservices.Account(
            config.name,
            account_name=config.name,
            resource_group_name=self.resource_group_name,
            location=config.region,
            kind=config.kind,
            sku=cognitiveservices.SkuArgs(name=config.sku),
            identity=cognitiveservices.IdentityArgs(
                type=_identity_type(config.identity.type),
                user_assigned_identities=config.identity.user_assigned_identity_ids or None,
            ),
            properties=_properties(config),
            tags=args.tags,
            # ARM reads the key while it creates the account: the identity's grant must exist first.
            opts=pulumi.ResourceOptions.merge(
                kept, pulumi.ResourceOptions(depends_on=[self.key_access] if self.key_access else None)
            ),
        )
        self.account_name = self.account.name
        self.account_id = self.account.id
        self.endpoint = self.account.properties.apply(lambda p: p.endpoint)
        self.principal_id = self.account.identity.apply(lambda i: i.principal_id if i else None)
        self.register_outputs(
            {
                "resource_group_name": self.resource_group_name,
                "account_name": self.account_name,
                "account_id": self.account_id,
                "endpoint": self.endpoint,
            }
        )


def key_scope(key: CustomerManagedKeySpec) -> str:
    """The ARM id of the key itself: the grant is scoped to the one key, not the whole vault."""
    return f"{key.key_vault_id.rstrip('/')}/keys/{key.key_name}"


def key_access_name(key: CustomerManagedKeySpec) -> str:
    """The deterministic GUID name of the key grant (same key and identity, same name)."""
    seed = f"{key_scope(key).lower()}|{key.identity_principal_id.lower()}|{KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER}"
    return str(uuid.uuid5(KEY_ACCESS_NAMESPACE, seed))


def _key_access(
    account: str, key: CustomerManagedKeySpec, opts: pulumi.ResourceOptions
) -> authorization.RoleAssignment:
    """Key Vault Crypto Service Encryption User on the key, for the user-assigned identity that reads it."""
    subscription = key.key_vault_id.split("/")[2]  # the vault's subscription holds the role definition
    return authorization.RoleAssignment(
        f"{account}-cmk-key-access",
        role_assignment_name=key_access_name(key),
        scope=key_scope(key),
        principal_id=key.identity_principal_id,
        principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
        role_definition_id=(
            f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/"
            f"{KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER}"
        ),
        description=f"{account} encrypts with this customer-managed key",
        opts=opts,
    )


def _identity_type(value: str) -> cognitiveservices.ResourceIdentityType:
    """The ARM identity type; ARM spells the combined type "SystemAssigned, UserAssigned"."""
    return cognitiveservices.ResourceIdentityType(", ".join(part.strip() for part in value.split(",")))


def _properties(config: AccountConfig) -> cognitiveservices.AccountPropertiesArgs:
    """The account's properties: subdomain, auth, network rules, outbound restriction, encryption."""
    acls = config.network_acls
    encryption = None
    if config.customer_managed_key is not None:
        key = config.customer_managed_key
        encryption = cognitiveservices.EncryptionArgs(
            key_source=CMK_KEY_SOURCE,
            key_vault_properties=cognitiveservices.KeyVaultPropertiesArgs(
                key_vault_uri=key.key_vault_uri,
                key_name=key.key_name,
                key_version=key.key_version,
                identity_client_id=key.identity_client_id,
            ),
        )
    return cognitiveservices.AccountPropertiesArgs(
        custom_sub_domain_name=config.custom_subdomain or config.name,
        disable_local_auth=config.disable_local_auth,
        public_network_access=config.public_network_access,
        network_acls=cognitiveservices.NetworkRuleSetArgs(
            default_action=acls.default_action,
            bypass=acls.bypass,
            ip_rules=[cognitiveservices.IpRuleArgs(value=rule) for rule in acls.ip_rules],
            virtual_network_rules=[
                cognitiveservices.VirtualNetworkRuleArgs(id=subnet)
                for subnet in acls.virtual_network_subnet_ids
            ],
        ),
        restrict_outbound_network_access=config.restrict_outbound_network_access,
        allowed_fqdn_list=config.allowed_fqdns or None,
        encryption=encryption,
        # Only sent when asked: restore brings a soft-deleted account of this name back (see AccountConfig).
        restore=True if config.restore else None,
    )
