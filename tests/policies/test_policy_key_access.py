"""The customer-managed key grant: the one role a stack grants outside its account, only on its own key."""

from __future__ import annotations

import pytest

from ftstack.catalog.roles import load_roles
from policies.ftstack_policies import access
from tests.policies.policy_args import ACCOUNT, resource, secure_account, violations_of_stack, with_properties

ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000001"
VAULT = f"{SUBSCRIPTION}/resourceGroups/keys/providers/Microsoft.KeyVault/vaults/prod-keys"
CRYPTO_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"


def _cmk_account():
    encryption = {
        "keySource": "Microsoft.KeyVault",
        "keyVaultProperties": {"keyVaultUri": "https://prod-keys.vault.azure.net/", "keyName": "openai"},
    }
    return resource(ACCOUNT, "acct", with_properties(secure_account(), encryption=encryption))


def _grant(role: str, scope: str):
    props = {
        "roleDefinitionId": f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{role}",
        "scope": scope,
    }
    return resource(ROLE_ASSIGNMENT, "key-access", props, [], {})


def test_the_key_vault_crypto_service_encryption_user_role_is_in_the_role_table():
    role = load_roles().get("Key Vault Crypto Service Encryption User")
    assert role.guid == CRYPTO_USER


@pytest.mark.parametrize("production", [True, False])
def test_the_key_role_on_the_accounts_own_key_passes(production):
    grant = _grant(CRYPTO_USER, f"{VAULT}/keys/openai")
    assert (
        violations_of_stack(access.role_assignments, [_cmk_account(), grant], {"production": production})
        == []
    )


@pytest.mark.parametrize(
    "scope",
    [
        VAULT,
        f"{VAULT}/keys/another-key",
        SUBSCRIPTION,
        f"{VAULT.replace('prod-keys', 'other-vault')}/keys/openai",
    ],
    ids=["whole-vault", "another-key", "subscription", "another-vault"],
)
def test_the_key_role_anywhere_but_the_accounts_own_key_is_refused(scope):
    found = violations_of_stack(access.role_assignments, [_cmk_account(), _grant(CRYPTO_USER, scope)])
    assert len(found) == 1
    assert "Key Vault Crypto Service Encryption User" in found[0][0] and scope in found[0][0]


def test_a_cognitive_services_role_on_the_key_is_still_above_the_account_in_production():
    openai_user = load_roles().get("Cognitive Services OpenAI User").guid
    found = violations_of_stack(
        access.role_assignments,
        [_cmk_account(), _grant(openai_user, f"{VAULT}/keys/openai")],
        {"production": True},
    )
    assert found and "an account this stack does not declare" not in found[0][0]
    assert "above the account" in found[0][0]
