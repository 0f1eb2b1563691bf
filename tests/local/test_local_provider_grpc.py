"""The local Azure provider plugin over gRPC, as the engine drives it, against a fake local Azure server."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import empty_pb2
from local_provider_harness import (
    SECRET_KEY,
    SECRET_SIG,
    TOKEN,
    UNKNOWN,
    FakeArm,
    Plugin,
    configure,
    plain,
    serve_fake_arm,
    start_plugin,
    struct,
    urn,
    wait_for_exit,
)
from pulumi.runtime.proto import provider_pb2

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
SUB = "00000000-0000-0000-0000-0000000000aa"
ACCOUNT_ID = (
    f"/subscriptions/{SUB}/resourceGroups/rg-ft/providers/Microsoft.CognitiveServices/accounts/aoai-dev"
)


def account_inputs(**overrides: object) -> dict[str, object]:
    inputs: dict[str, object] = {
        "accountName": "aoai-dev",
        "resourceGroupName": "rg-ft",
        "location": "swedencentral",
        "kind": "OpenAI",
        "sku": {"name": "S0"},
        "identity": {"type": "SystemAssigned"},
        "tags": {"env": "dev"},
        "properties": {
            "customSubDomainName": "aoai-dev",
            "publicNetworkAccess": "Disabled",
            "disableLocalAuth": True,
        },
    }
    inputs.update(overrides)
    return inputs


@pytest.fixture(scope="module")
def arm() -> Iterator[tuple[FakeArm, str]]:
    fake, server, url = serve_fake_arm()
    yield fake, url
    server.shutdown()


@pytest.fixture(scope="module")
def plugin(arm: tuple[FakeArm, str]) -> Iterator[Plugin]:
    running = start_plugin(arm[1])
    configure(running.stub, subscriptionId=SUB)
    yield running
    running.stop()


@pytest.fixture
def fake(arm: tuple[FakeArm, str]) -> FakeArm:
    arm[0].requests.clear()
    arm[0].faults.clear()
    return arm[0]


def create(plugin: Plugin, token: str, name: str, inputs: dict[str, object], preview: bool = False):
    return plugin.stub.Create(
        provider_pb2.CreateRequest(
            urn=urn(token, name), type=token, name=name, properties=struct(inputs), preview=preview
        )
    )


def diff(
    plugin: Plugin, token: str, olds: dict[str, object], news: dict[str, object]
) -> provider_pb2.DiffResponse:
    return plugin.stub.Diff(
        provider_pb2.DiffRequest(
            id="/some/id",
            urn=urn(token, "acct"),
            type=token,
            name="acct",
            olds=struct(olds),
            old_inputs=struct(olds),
            news=struct(news),
        )
    )


def test_the_plugin_reports_the_azure_native_version_it_stands_in_for(plugin: Plugin) -> None:
    assert plugin.stub.GetPluginInfo(empty_pb2.Empty()).version == "3.29.0"


def test_configure_says_the_provider_supports_preview_and_secrets(plugin: Plugin) -> None:
    response = configure(plugin.stub, subscriptionId=SUB)
    assert response.supportsPreview
    assert response.acceptSecrets
    assert response.acceptResources


def test_outside_ftstack_local_configuration_fails_naming_the_missing_url() -> None:
    running = start_plugin(url=None)
    try:
        with pytest.raises(grpc.RpcError) as check_error:
            running.stub.CheckConfig(
                provider_pb2.CheckRequest(urn="urn:pulumi:dev::p::pulumi:providers:azure-native::default")
            )
        with pytest.raises(grpc.RpcError) as configure_error:
            configure(running.stub)
    finally:
        running.stop()
    expected = (
        "the local Azure provider stands in for azure-native only under `ftstack local`; "
        "FTSTACK_LOCAL_AZURE_URL is not set"
    )
    assert check_error.value.details() == expected
    assert configure_error.value.details() == expected


def test_previewing_an_account_leaves_its_endpoint_unknown_and_calls_no_arm(
    plugin: Plugin, fake: FakeArm
) -> None:
    response = create(plugin, ACCOUNT, "account", account_inputs(), preview=True)
    outputs = plain(response.properties)
    assert outputs["properties"]["endpoint"] == UNKNOWN
    assert outputs["properties"]["provisioningState"] == UNKNOWN
    assert outputs["name"] == UNKNOWN
    assert outputs["properties"]["customSubDomainName"] == "aoai-dev"
    assert outputs["location"] == "swedencentral"
    assert fake.requests == []


def test_creating_an_account_puts_its_arm_body_at_its_arm_id(plugin: Plugin, fake: FakeArm) -> None:
    response = create(plugin, ACCOUNT, "account", account_inputs())
    (put,) = fake.writes("PUT")
    assert put.path == "/arm" + ACCOUNT_ID
    assert put.query["api-version"] == ["2025-06-01"]
    assert put.authorization == f"Bearer {TOKEN}"
    assert put.body == {
        "location": "swedencentral",
        "kind": "OpenAI",
        "sku": {"name": "S0"},
        "identity": {"type": "SystemAssigned"},
        "tags": {"env": "dev"},
        "properties": {
            "customSubDomainName": "aoai-dev",
            "publicNetworkAccess": "Disabled",
            "disableLocalAuth": True,
        },
    }
    assert response.id == ACCOUNT_ID
    outputs = plain(response.properties)
    assert outputs["properties"]["endpoint"] == "https://aoai-dev.openai.azure.com/"
    assert outputs["name"] == "aoai-dev"
    assert "accountName" not in outputs


def test_a_private_endpoint_is_put_with_subnet_and_connections_under_properties(
    plugin: Plugin, fake: FakeArm
) -> None:
    token = "azure-native:network:PrivateEndpoint"
    inputs = {
        "privateEndpointName": "pe-aoai",
        "resourceGroupName": "rg-ft",
        "location": "swedencentral",
        "subnet": {"id": "/subscriptions/x/subnets/pe"},
        "privateLinkServiceConnections": [
            {"name": "pe-aoai-account", "privateLinkServiceId": ACCOUNT_ID, "groupIds": ["account"]}
        ],
    }
    response = create(plugin, token, "pe", inputs)
    (put,) = fake.writes("PUT")
    assert put.path.endswith("/resourceGroups/rg-ft/providers/Microsoft.Network/privateEndpoints/pe-aoai")
    assert put.body == {
        "location": "swedencentral",
        "properties": {
            "subnet": {"id": "/subscriptions/x/subnets/pe"},
            "privateLinkServiceConnections": [
                {
                    "name": "pe-aoai-account",
                    "properties": {"privateLinkServiceId": ACCOUNT_ID, "groupIds": ["account"]},
                }
            ],
        },
    }
    outputs = plain(response.properties)
    assert outputs["subnet"] == {"id": "/subscriptions/x/subnets/pe"}
    assert outputs["privateLinkServiceConnections"][0]["privateLinkServiceId"] == ACCOUNT_ID
    assert outputs["provisioningState"] == "Succeeded"


def test_a_role_assignment_is_put_at_its_scope_with_its_fields_under_properties(
    plugin: Plugin, fake: FakeArm
) -> None:
    token = "azure-native:authorization:RoleAssignment"
    inputs = {
        "scope": ACCOUNT_ID,
        "roleAssignmentName": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/a001fd3d",
        "principalId": "11111111-2222-3333-4444-555555555555",
        "principalType": "ServicePrincipal",
    }
    response = create(plugin, token, "ra", inputs)
    (put,) = fake.writes("PUT")
    assert put.path == (
        f"/arm{ACCOUNT_ID}/providers/Microsoft.Authorization/roleAssignments/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    )
    assert put.body == {
        "properties": {
            "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/a001fd3d",
            "principalId": "11111111-2222-3333-4444-555555555555",
            "principalType": "ServicePrincipal",
        }
    }
    assert plain(response.properties)["principalType"] == "ServicePrincipal"


def test_changing_the_location_replaces_the_account_delete_first(plugin: Plugin) -> None:
    response = diff(plugin, ACCOUNT, account_inputs(), account_inputs(location="eastus2"))
    assert response.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(response.replaces) == ["location"]
    assert response.deleteBeforeReplace
    assert response.detailedDiff["location"].kind == provider_pb2.PropertyDiff.UPDATE_REPLACE


def test_changing_a_tag_updates_the_account_in_place(plugin: Plugin) -> None:
    response = diff(plugin, ACCOUNT, account_inputs(), account_inputs(tags={"env": "prod"}))
    assert response.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(response.replaces) == []
    assert list(response.diffs) == ["tags"]
    assert response.detailedDiff["tags.env"].kind == provider_pb2.PropertyDiff.UPDATE


def test_the_same_inputs_are_no_change(plugin: Plugin) -> None:
    response = diff(plugin, ACCOUNT, account_inputs(), account_inputs(location="Sweden Central"))
    assert response.changes == provider_pb2.DiffResponse.DIFF_NONE


def test_an_unknown_account_name_makes_a_deployment_replacement(plugin: Plugin) -> None:
    olds = {
        "accountName": "aoai-dev",
        "resourceGroupName": "rg-ft",
        "deploymentName": "chat",
        "sku": {"name": "Standard"},
    }
    response = diff(plugin, DEPLOYMENT, olds, {**olds, "accountName": UNKNOWN})
    assert list(response.replaces) == ["accountName"]
    assert response.detailedDiff["accountName"].kind == provider_pb2.PropertyDiff.UPDATE_REPLACE


def test_an_unknown_capacity_is_an_in_place_update(plugin: Plugin) -> None:
    olds = {
        "accountName": "a",
        "resourceGroupName": "rg",
        "deploymentName": "chat",
        "sku": {"name": "S", "capacity": 1},
    }
    response = diff(plugin, DEPLOYMENT, olds, {**olds, "sku": {"name": "S", "capacity": UNKNOWN}})
    assert response.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(response.replaces) == []
    assert response.detailedDiff["sku.capacity"].kind == provider_pb2.PropertyDiff.UPDATE


def test_reading_a_missing_resource_returns_an_empty_id(plugin: Plugin, fake: FakeArm) -> None:
    gone = ACCOUNT_ID.replace("aoai-dev", "never-created")
    response = plugin.stub.Read(
        provider_pb2.ReadRequest(
            id=gone, urn=urn(ACCOUNT, "gone"), type=ACCOUNT, name="gone", inputs=struct({})
        )
    )
    assert response.id == ""
    assert fake.writes("GET")[0].path == "/arm" + gone


def test_reading_a_resource_returns_its_live_outputs_and_the_inputs_they_imply(
    plugin: Plugin, fake: FakeArm
) -> None:
    create(plugin, ACCOUNT, "account", account_inputs())
    fake.resources[ACCOUNT_ID.lower()]["tags"] = {"env": "changed-in-portal"}
    response = plugin.stub.Read(
        provider_pb2.ReadRequest(
            id=ACCOUNT_ID,
            urn=urn(ACCOUNT, "account"),
            type=ACCOUNT,
            name="account",
            inputs=struct(account_inputs()),
        )
    )
    assert response.id == ACCOUNT_ID
    assert plain(response.properties)["properties"]["endpoint"] == "https://aoai-dev.openai.azure.com/"
    inputs = plain(response.inputs)
    assert inputs["tags"] == {"env": "changed-in-portal"}
    assert inputs["accountName"] == "aoai-dev"
    assert "endpoint" not in inputs["properties"]


def test_a_conflict_from_arm_becomes_an_error_with_the_arm_code(plugin: Plugin, fake: FakeArm) -> None:
    fake.fail_next("PUT", "/deployments/chat", 409, "RequestConflict", "Another operation is in progress.")
    inputs = {
        "accountName": "aoai-dev",
        "resourceGroupName": "rg-ft",
        "deploymentName": "chat",
        "sku": {"name": "Standard"},
    }
    with pytest.raises(grpc.RpcError) as error:
        create(plugin, DEPLOYMENT, "chat", inputs)
    assert (
        error.value.details()
        == 'Status=409 Code="RequestConflict" Message="Another operation is in progress."'
    )
    assert len(fake.writes("PUT")) == 1


def test_a_transient_server_error_is_retried(plugin: Plugin, fake: FakeArm) -> None:
    fake.fail_next("PUT", "/resourceGroups/rg-retry", 503, "ServiceUnavailable", "try again")
    fake.fail_next("PUT", "/resourceGroups/rg-retry", 429, "TooManyRequests", "slow down")
    response = create(
        plugin, RESOURCE_GROUP, "rg", {"resourceGroupName": "rg-retry", "location": "swedencentral"}
    )
    assert response.id == f"/subscriptions/{SUB}/resourceGroups/rg-retry"
    assert len(fake.writes("PUT")) == 3


def test_deleting_a_resource_that_is_already_gone_succeeds(plugin: Plugin, fake: FakeArm) -> None:
    plugin.stub.Delete(
        provider_pb2.DeleteRequest(
            id=f"/subscriptions/{SUB}/resourceGroups/rg-gone",
            urn=urn(RESOURCE_GROUP, "rg"),
            type=RESOURCE_GROUP,
        )
    )
    assert [r.path for r in fake.writes("DELETE")] == [f"/arm/subscriptions/{SUB}/resourceGroups/rg-gone"]


def test_get_client_config_returns_the_configured_subscription(plugin: Plugin) -> None:
    response = plugin.stub.Invoke(
        provider_pb2.InvokeRequest(tok="azure-native:authorization:getClientConfig")
    )
    answer = plain(getattr(response, "return"))
    assert answer["subscriptionId"] == SUB
    assert set(answer) == {"clientId", "objectId", "subscriptionId", "tenantId"}


def test_an_unknown_function_is_refused_by_name(plugin: Plugin) -> None:
    with pytest.raises(grpc.RpcError) as error:
        plugin.stub.Invoke(provider_pb2.InvokeRequest(tok="azure-native:cognitiveservices:listAccountKeys"))
    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "azure-native:cognitiveservices:listAccountKeys" in error.value.details()


def test_a_resource_group_without_a_name_is_named_from_its_urn_and_keeps_it(plugin: Plugin) -> None:
    request = provider_pb2.CheckRequest(
        urn=urn(RESOURCE_GROUP, "platform"),
        type=RESOURCE_GROUP,
        name="platform",
        news=struct({"location": "swedencentral"}),
    )
    first = plain(plugin.stub.Check(request).inputs)["resourceGroupName"]
    assert first.startswith("platform-") and len(first) == len("platform-") + 7
    request.olds.CopyFrom(struct({"location": "swedencentral", "resourceGroupName": first}))
    request.randomSeed = b"another seed"
    assert plain(plugin.stub.Check(request).inputs)["resourceGroupName"] == first


def test_a_deployment_without_a_resource_group_fails_check(plugin: Plugin) -> None:
    response = plugin.stub.Check(
        provider_pb2.CheckRequest(
            urn=urn(DEPLOYMENT, "chat"),
            type=DEPLOYMENT,
            name="chat",
            news=struct({"accountName": "a", "deploymentName": "chat"}),
        )
    )
    assert [(f.property, f.reason) for f in response.failures] == [
        ("resourceGroupName", "missing required property 'resourceGroupName'")
    ]


def test_a_secret_input_stays_secret_in_the_outputs(plugin: Plugin, fake: FakeArm) -> None:
    tags = {SECRET_KEY: SECRET_SIG, "value": {"owner": "team-a"}}
    response = create(
        plugin, RESOURCE_GROUP, "rg", {"resourceGroupName": "rg-secret", "location": "x", "tags": tags}
    )
    assert fake.writes("PUT")[0].body["tags"] == {"owner": "team-a"}
    assert plain(response.properties)["tags"] == tags


def test_the_plugin_exits_when_the_engine_terminates_it(arm: tuple[FakeArm, str]) -> None:
    running = start_plugin(arm[1])
    running.channel.close()
    running.process.send_signal(signal.SIGTERM)
    assert wait_for_exit(running.process, 10) == 0
