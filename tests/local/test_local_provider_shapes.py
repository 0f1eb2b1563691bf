"""The local provider's facts and shape mapping, without the gRPC surface."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ftstack.local.provider.diff import diff_inputs
from ftstack.local.provider.resource_types import TypeEntry, resource_type
from ftstack.local.provider.shapes import preview_update_outputs
from ftstack.local.provider.values import UNKNOWN

ACCOUNT = resource_type("azure-native:cognitiveservices:Account")


def test_a_type_whose_name_is_not_in_its_id_template_is_refused() -> None:
    with pytest.raises(ValidationError, match="accountName"):
        TypeEntry.model_validate(
            {
                "apiVersion": "1",
                "id": "/subscriptions/{subscriptionId}/x/{other}",
                "name": "accountName",
                "flatten": False,
            }
        )


def test_an_update_preview_keeps_the_endpoint_the_account_already_has() -> None:
    old_inputs = {"accountName": "a", "resourceGroupName": "rg", "location": "x", "tags": {"env": "dev"}}
    old_outputs = {
        "location": "x",
        "name": "a",
        "tags": {"env": "dev"},
        "properties": {"endpoint": "https://a/"},
    }
    outputs = preview_update_outputs(
        ACCOUNT, {**old_inputs, "tags": {"env": "prod"}}, old_outputs, old_inputs
    )
    assert outputs["properties"]["endpoint"] == "https://a/"
    assert outputs["name"] == "a"
    assert outputs["tags"] == {"env": "prod"}
    assert UNKNOWN not in str(outputs)


def test_a_new_custom_subdomain_replaces_the_account() -> None:
    olds = {"accountName": "a", "resourceGroupName": "rg", "properties": {"customSubDomainName": "a"}}
    news = {**olds, "properties": {"customSubDomainName": "b"}}
    result = diff_inputs(ACCOUNT, olds, news)
    assert result.replace_keys == ["properties"]
    assert result.delete_before_replace


def test_an_auto_named_resource_is_replaced_create_first() -> None:
    group = resource_type("azure-native:resources:ResourceGroup")
    olds = {"resourceGroupName": "platform-1a2b3c4", "location": "westeurope"}
    result = diff_inputs(group, olds, {**olds, "location": "swedencentral"}, urn_name="platform")
    assert result.replace_keys == ["location"]
    assert not result.delete_before_replace


def test_an_unlisted_type_gets_an_id_from_its_name_inputs() -> None:
    inputs = {"resourceGroupName": "rg", "accountName": "st", "containerName": "data"}
    rtype = resource_type("azure-native:storage:BlobContainer", inputs)
    assert rtype.arm_id(inputs, "sub") == (
        "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Local/storage/accounts/st/blobContainers/data"
    )
