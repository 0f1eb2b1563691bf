"""The local Azure's management plane over real HTTP: auth, parents, soft delete, computed properties,
role assignment rules, knobs and faults, the shared clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from local_azure_harness import (
    SUB,
    account_body,
    account_id,
    azure_client,
    client,
    create_account,
    deployment_id,
    purge_path,
    rg_id,
    training_file,
    upload,
)

from ftstack.local.arm.handlers import Knobs
from ftstack.local.server import RunningLocalAzure, running_local_azure

ROLE = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
GUID = "1b4f7c2e-8d3a-4e6f-9a0b-2c5d7e8f9a01"


@pytest.fixture
def azure(tmp_path: Path) -> Iterator[RunningLocalAzure]:
    """A local Azure in a background thread whose deployment writes take no time."""
    with running_local_azure(tmp_path / "home", knobs=Knobs(deployment_write_seconds=0)) as running:
        yield running


@pytest.fixture
def http(azure: RunningLocalAzure) -> Iterator[httpx.Client]:
    """An authenticated client of the local Azure."""
    with client(azure.url, azure.token) as c:
        yield c


def test_requests_without_the_right_bearer_token_get_an_arm_shaped_401(azure: RunningLocalAzure) -> None:
    missing = httpx.get(f"{azure.url}/arm{rg_id()}")
    wrong = httpx.get(f"{azure.url}/accounts/a/openai/v1/models", headers={"Authorization": "Bearer nope"})
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "AuthenticationFailed")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "InvalidAuthenticationToken")


def test_an_account_put_creates_201_then_updates_200_with_its_endpoint_on_the_server_url(
    azure: RunningLocalAzure, http: httpx.Client
) -> None:
    http.put(f"/arm{rg_id()}", json={"location": "swedencentral"}).raise_for_status()
    body = account_body("swedencentral", subdomain="ft-sweden")
    first = http.put(f"/arm{account_id('Acct')}", json=body)
    second = http.put(f"/arm{account_id('acct')}", json={**body, "tags": {"env": "dev"}})
    assert (first.status_code, second.status_code) == (201, 200)
    shown = second.json()
    assert shown["id"] == account_id("Acct")  # the casing of the first PUT
    assert shown["type"] == "Microsoft.CognitiveServices/accounts"
    assert shown["tags"] == {"env": "dev"}
    assert shown["properties"]["endpoint"] == f"{azure.url}/accounts/ft-sweden/"
    assert shown["properties"]["provisioningState"] == "Succeeded"
    assert shown["properties"]["internalId"] == first.json()["properties"]["internalId"]
    assert shown["etag"] != first.json()["etag"]


def test_a_resource_needs_its_resource_group_and_a_child_needs_its_parent(http: httpx.Client) -> None:
    no_group = http.put(f"/arm{account_id('a', 'missing')}", json=account_body("swedencentral"))
    http.put(f"/arm{rg_id()}", json={"location": "swedencentral"}).raise_for_status()
    no_parent = http.put(f"/arm{deployment_id('ghost', 'd')}", json={"properties": {}})
    assert (no_group.status_code, no_group.json()["error"]["code"]) == (404, "ResourceGroupNotFound")
    assert (no_parent.status_code, no_parent.json()["error"]["code"]) == (404, "ParentResourceNotFound")


def test_missing_resources_answer_404_with_arm_codes_and_delete_answers_200_then_204(
    http: httpx.Client,
) -> None:
    create_account(http, "acct")
    missing_account = http.get(f"/arm{account_id('other')}")
    missing_deployment = http.get(f"/arm{deployment_id('acct', 'nope')}")
    assert (missing_account.status_code, missing_account.json()["error"]["code"]) == (404, "ResourceNotFound")
    assert (missing_deployment.status_code, missing_deployment.json()["error"]["code"]) == (
        404,
        "DeploymentNotFound",
    )
    assert [http.delete(f"/arm{account_id('acct')}").status_code for _ in range(2)] == [200, 204]


def test_an_existing_account_cannot_move_to_another_location(http: httpx.Client) -> None:
    create_account(http, "acct", "swedencentral")
    moved = http.put(f"/arm{account_id('acct')}", json=account_body("eastus2"))
    assert moved.status_code == 400
    assert moved.json()["error"]["code"] == "InvalidResourceLocation"
    assert "swedencentral" in moved.json()["error"]["message"]


def test_a_deleted_account_blocks_its_name_until_it_is_restored_with_its_files(
    azure: RunningLocalAzure, http: httpx.Client, tmp_path: Path
) -> None:
    create_account(http, "acct")
    file_id = upload(azure, "acct", training_file(tmp_path / "train.jsonl"))
    http.delete(f"/arm{account_id('acct')}").raise_for_status()

    blocked = http.put(f"/arm{account_id('acct')}", json=account_body("swedencentral"))
    listed = http.get(
        f"/arm/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/deletedAccounts"
    ).json()
    hidden = httpx.get(
        f"{azure.url}/accounts/acct/openai/files?api-version=2025-04-01-preview",
        headers={"Authorization": f"Bearer {azure.token}"},
    )
    restored = http.put(f"/arm{account_id('acct')}", json=account_body("swedencentral", restore=True))

    assert (blocked.status_code, blocked.json()["error"]["code"]) == (409, "FlagMustBeSetForRestore")
    assert (
        f"An existing resource with ID '{account_id('acct')}' has been soft-deleted"
        in (blocked.json()["error"]["message"])
    )
    assert [a["properties"]["deletedAccountId"] for a in listed["value"]] == [account_id("acct")]
    assert hidden.status_code == 404
    assert restored.status_code == 201
    assert [f.id for f in azure_client(azure.url, azure.token, "acct").files.list()] == [file_id]


def test_purging_a_deleted_account_frees_its_name_and_removes_its_files(
    azure: RunningLocalAzure, http: httpx.Client, tmp_path: Path
) -> None:
    create_account(http, "acct")
    upload(azure, "acct", training_file(tmp_path / "train.jsonl"))
    http.delete(f"/arm{account_id('acct')}").raise_for_status()
    kept = http.get("/local/inventory").json()

    purged = http.delete(f"/arm{purge_path('acct', 'swedencentral')}")
    again = http.put(f"/arm{account_id('acct')}", json=account_body("swedencentral"))

    assert kept["softDeletedAccounts"] == [account_id("acct")]
    assert kept["accounts"] == {}
    assert kept["softDeletedAccountData"]["acct"]["files"] == 1
    assert purged.status_code == 200
    assert again.status_code == 201
    assert http.get("/local/inventory").json()["accounts"]["acct"]["files"] == 0


def test_deleting_a_resource_group_deletes_what_is_in_it(http: httpx.Client) -> None:
    create_account(http, "acct")
    http.put(
        f"/arm{rg_id()}/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com",
        json={"location": "global"},
    ).raise_for_status()
    http.delete(f"/arm{rg_id()}").raise_for_status()
    inventory = http.get("/local/inventory").json()
    assert inventory["resources"] == []
    assert inventory["softDeletedAccounts"] == [account_id("acct")]


def test_network_monitoring_and_access_resources_carry_their_computed_properties(http: httpx.Client) -> None:
    create_account(http, "acct")
    zone = f"{rg_id()}/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com"
    endpoint = f"{rg_id()}/providers/Microsoft.Network/privateEndpoints/pe"
    connection = {
        "name": "c",
        "properties": {"privateLinkServiceId": account_id("acct"), "groupIds": ["account"]},
    }
    http.put(f"/arm{zone}", json={"location": "global"}).raise_for_status()
    pe = http.put(
        f"/arm{endpoint}",
        json={
            "location": "swedencentral",
            "properties": {"subnet": {"id": "/x/subnets/s"}, "privateLinkServiceConnections": [connection]},
        },
    ).json()
    group_config = {"name": "openai", "properties": {"privateDnsZoneId": zone}}
    http.put(
        f"/arm{endpoint}/privateDnsZoneGroups/default",
        json={"properties": {"privateDnsZoneConfigs": [group_config]}},
    ).raise_for_status()
    workspace = http.put(
        f"/arm{rg_id()}/providers/Microsoft.OperationalInsights/workspaces/logs",
        json={"location": "swedencentral"},
    ).json()
    assignment = http.put(
        f"/arm{account_id('acct')}/providers/Microsoft.Authorization/roleAssignments/{GUID}",
        json={"properties": {"principalId": "p-1", "roleDefinitionId": ROLE}},
    ).json()
    other = http.put(
        f"/arm{rg_id()}/providers/Microsoft.Storage/storageAccounts/st", json={"kind": "StorageV2"}
    )

    assert pe["properties"]["networkInterfaces"][0]["id"].startswith(
        f"{rg_id()}/providers/Microsoft.Network/"
    )
    assert pe["properties"]["customDnsConfigs"][0]["fqdn"] == "acct.openai.azure.com"
    assert (
        http.get(f"/arm{zone}").json()["properties"]["numberOfRecordSets"] == 2
    )  # SOA + the endpoint's A record
    assert workspace["properties"]["customerId"]
    assert assignment["properties"]["createdOn"]
    assert assignment["properties"]["scope"] == account_id("acct")
    assert other.status_code == 201
    assert other.json()["kind"] == "StorageV2"
    assert other.json()["properties"]["provisioningState"] == "Succeeded"


def test_a_role_assignment_needs_a_guid_name_and_cannot_be_changed(http: httpx.Client) -> None:
    create_account(http, "acct")
    scope = f"{account_id('acct')}/providers/Microsoft.Authorization/roleAssignments"
    body = {"properties": {"principalId": "p-1", "roleDefinitionId": ROLE}}
    not_guid = http.put(f"/arm{scope}/reader", json=body)
    http.put(f"/arm{scope}/{GUID}", json=body).raise_for_status()
    changed = http.put(
        f"/arm{scope}/{GUID}", json={"properties": {**body["properties"], "principalId": "p-2"}}
    )
    assert (not_guid.status_code, not_guid.json()["error"]["code"]) == (400, "InvalidRoleAssignmentId")
    assert (changed.status_code, changed.json()["error"]["code"]) == (409, "RoleAssignmentUpdateNotPermitted")


def test_a_fresh_role_assignment_denies_the_data_plane_in_its_scope_while_it_propagates(
    azure: RunningLocalAzure, http: httpx.Client
) -> None:
    create_account(http, "acct")
    create_account(http, "elsewhere", group="other")
    http.post("/local/knobs", json={"roleAssignmentPropagationSeconds": 0.5}).raise_for_status()
    http.put(
        f"/arm{rg_id()}/providers/Microsoft.Authorization/roleAssignments/{GUID}",
        json={"properties": {"principalId": "p-1", "roleDefinitionId": ROLE}},
    ).raise_for_status()
    with pytest.raises(openai.PermissionDeniedError) as denied:
        azure_client(azure.url, azure.token, "acct").files.list()
    outside = list(azure_client(azure.url, azure.token, "elsewhere").files.list())
    time.sleep(0.6)
    later = list(azure_client(azure.url, azure.token, "acct").files.list())
    assert (denied.value.status_code, denied.value.code) == (403, "PermissionDenied")
    assert outside == later == []


def test_an_injected_fault_fails_the_matching_writes_the_given_number_of_times(http: httpx.Client) -> None:
    fault = {"route": "PUT Microsoft.Resources/resourceGroups", "status": 500, "times": 1}
    knobs = http.post("/local/knobs", json={"faults": [fault], "deploymentWriteSeconds": 0.5}).json()
    failed = http.put(f"/arm{rg_id()}", json={"location": "swedencentral"})
    succeeded = http.put(f"/arm{rg_id()}", json={"location": "swedencentral"})
    assert knobs["deploymentWriteSeconds"] == 0.5
    assert knobs["faults"] == [fault]
    assert (failed.status_code, failed.json()["error"]["code"]) == (500, "InternalServerError")
    assert succeeded.status_code == 201
    assert http.get("/local/knobs").json()["faults"] == []


def test_knobs_and_clock_refuse_negative_and_nan_values(http: httpx.Client) -> None:
    bad_knob = http.post("/local/knobs", json={"deploymentWriteSeconds": -1})
    nan_clock = http.post(
        "/local/clock", content=b'{"advance_seconds": NaN}', headers={"content-type": "application/json"}
    )
    negative_clock = http.post("/local/clock", json={"advance_seconds": -5})
    assert [r.status_code for r in (bad_knob, nan_clock, negative_clock)] == [400, 400, 400]
    assert bad_knob.json()["error"]["code"] == "InvalidRequestContent"


def test_a_subdomain_taken_by_another_account_is_refused(http: httpx.Client) -> None:
    create_account(http, "first")
    clash = http.put(f"/arm{account_id('second')}", json=account_body("swedencentral", subdomain="first"))
    assert (clash.status_code, clash.json()["error"]["code"]) == (409, "CustomDomainInUse")
