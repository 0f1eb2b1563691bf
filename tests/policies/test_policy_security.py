"""Network, identity, encryption and deployment-hygiene policies, called directly."""

from __future__ import annotations

from policies.ftstack_policies import deployments, encryption, identity, network
from tests.policies.policy_args import (
    ACCOUNT,
    DEPLOYMENT,
    PRIVATE_ENDPOINT,
    deployment,
    resource,
    secure_account,
    violations_of_resource,
    violations_of_stack,
    with_properties,
)


def test_an_account_with_public_network_access_disabled_passes():
    assert violations_of_resource(network.public_access_disabled, ACCOUNT, secure_account()) == []


def test_an_account_with_public_network_access_enabled_is_refused():
    props = with_properties(secure_account(), publicNetworkAccess="Enabled")
    found = violations_of_resource(network.public_access_disabled, ACCOUNT, props)
    assert len(found) == 1 and "allows public network access" in found[0] and "Fix:" in found[0]


def test_public_access_may_stay_on_where_no_private_endpoint_is_required():
    props = with_properties(secure_account(), publicNetworkAccess="Enabled")
    config = {"requirePublicNetworkAccessDisabled": False}
    assert violations_of_resource(network.public_access_disabled, ACCOUNT, props, config) == []


def test_an_account_whose_network_rules_allow_by_default_is_refused():
    assert violations_of_resource(network.acls_default_deny, ACCOUNT, secure_account()) == []
    props = with_properties(secure_account(), networkAcls={"defaultAction": "Allow"})
    found = violations_of_resource(network.acls_default_deny, ACCOUNT, props)
    assert found and "defaultAction is Allow" in found[0]


def _account_and_endpoint(linked: bool) -> list:
    account = resource(ACCOUNT, "acct", secure_account())
    connection = {
        "privateLinkServiceConnections": [
            {
                "groupIds": ["account"],
                "name": "c",
                "privateLinkServiceId": "/subscriptions/s/resourceGroups/rg/providers/"
                "Microsoft.CognitiveServices/accounts/acct",
            }
        ],
        "subnet": {"id": "/subscriptions/s/resourceGroups/rg/providers/x/subnets/pe"},
    }
    if not linked:  # a connection to some other account
        connection["privateLinkServiceConnections"][0]["privateLinkServiceId"] += "-other"
    deps = {"privateLinkServiceConnections": [account]} if linked else {}
    endpoint = resource(PRIVATE_ENDPOINT, "pe", connection, [account] if linked else [], deps)
    return [account, endpoint]


def test_an_account_with_a_private_endpoint_passes():
    assert violations_of_stack(network.private_endpoint, _account_and_endpoint(linked=True)) == []


def test_an_account_without_a_private_endpoint_is_reported_on_the_account():
    found = violations_of_stack(network.private_endpoint, _account_and_endpoint(linked=False))
    assert len(found) == 1
    message, urn = found[0]
    assert "has no private endpoint" in message and urn is not None and urn.endswith("::acct")


def test_no_private_endpoint_is_needed_where_the_environment_does_not_require_one():
    config = {"requirePrivateEndpoint": False}
    assert violations_of_stack(network.private_endpoint, _account_and_endpoint(linked=False), config) == []


def test_an_account_that_accepts_api_keys_is_refused():
    assert violations_of_resource(identity.local_auth_disabled, ACCOUNT, secure_account()) == []
    props = with_properties(secure_account(), disableLocalAuth=False)
    found = violations_of_resource(identity.local_auth_disabled, ACCOUNT, props)
    assert found and "accepts API keys" in found[0]


def test_an_account_without_a_managed_identity_is_refused():
    assert violations_of_resource(identity.managed_identity, ACCOUNT, secure_account()) == []
    found = violations_of_resource(
        identity.managed_identity, ACCOUNT, secure_account(identity={"type": "None"})
    )
    assert found and "has no managed identity" in found[0]


def test_a_customer_managed_key_is_required_only_where_the_environment_says_so():
    required = {"requireCustomerManagedKey": True}
    assert violations_of_resource(encryption.customer_managed_key, ACCOUNT, secure_account()) == []
    found = violations_of_resource(encryption.customer_managed_key, ACCOUNT, secure_account(), required)
    assert found and "customer-managed key" in found[0]
    keyed = with_properties(
        secure_account(),
        encryption={
            "keySource": "Microsoft.KeyVault",
            "keyVaultProperties": {"keyName": "k", "keyVaultUri": "https://kv.vault.azure.net/"},
        },
    )
    assert violations_of_resource(encryption.customer_managed_key, ACCOUNT, keyed, required) == []


def test_automatic_version_upgrades_are_refused_in_production_and_allowed_in_dev():
    automatic = deployment(upgrade="OnceNewDefaultVersionAvailable")
    assert violations_of_resource(deployments.version_upgrade, DEPLOYMENT, deployment()) == []
    found = violations_of_resource(deployments.version_upgrade, DEPLOYMENT, automatic)
    assert found and "upgrades its model version automatically" in found[0]
    unset = violations_of_resource(deployments.version_upgrade, DEPLOYMENT, deployment(upgrade=None))
    assert unset and "not set" in unset[0]
    dev = {"allowAutomaticUpgrade": True}
    assert violations_of_resource(deployments.version_upgrade, DEPLOYMENT, automatic, dev) == []


def test_deployment_capacity_must_stay_within_the_bound():
    config = {"maxCapacity": 50.0}
    assert (
        violations_of_resource(deployments.capacity_bounds, DEPLOYMENT, deployment(capacity=50.0), config)
        == []
    )
    found = violations_of_resource(deployments.capacity_bounds, DEPLOYMENT, deployment(capacity=51.0), config)
    assert found and "capacity 51, outside 1..50" in found[0]
