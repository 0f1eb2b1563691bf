"""OpenAIAccount: the Azure OpenAI (or AI Services) account and its resource group, secure by default."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import cognitiveservices, resources

from ftstack.config.schema import AccountConfig

CMK_KEY_SOURCE = "Microsoft.KeyVault"


@dataclass(frozen=True)
class OpenAIAccountArgs:
    """What the account component needs: the account section of the config and the tags to stamp on it."""

    account: AccountConfig
    tags: dict[str, str] = field(default_factory=dict)


class OpenAIAccount(pulumi.ComponentResource):
    """A cognitiveservices Account (kind OpenAI or AIServices, SKU S0) in a created or existing resource group.

    Public network access, local auth and network ACLs follow the config, whose defaults are the secure
    ones (Disabled, disabled, Deny); the identity and an optional customer-managed key come from config too.
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
        if config.resource_group.create:
            group = resources.ResourceGroup(
                config.resource_group.name,
                resource_group_name=config.resource_group.name,
                location=config.region,
                tags=args.tags,
                opts=child,
            )
            self.resource_group_name = group.name
        else:
            self.resource_group_name = pulumi.Output.from_input(config.resource_group.name)
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
            opts=child,
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
    )
