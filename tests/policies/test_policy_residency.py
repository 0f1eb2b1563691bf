"""Residency policies, called directly with args built by hand."""

from __future__ import annotations

from pulumi_policy import PolicyProviderResource, ResourceValidationArgs

from policies.ftstack_policies import residency
from tests.policies.policy_args import (
    ACCOUNT,
    DEPLOYMENT,
    JOB,
    OPTS,
    deployment,
    job,
    resource,
    secure_account,
    urn,
    violations_of_resource,
    violations_of_stack,
)

EU = {"allowedGeographies": ["EU"]}
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"


def test_an_account_in_an_eu_region_passes_an_eu_restriction():
    assert violations_of_resource(residency.allowed_locations, ACCOUNT, secure_account(), EU) == []


def test_an_account_outside_the_allowed_geographies_is_refused_with_regions_that_would_do():
    found = violations_of_resource(
        residency.allowed_locations, ACCOUNT, secure_account(location="eastus"), EU
    )
    assert len(found) == 1
    assert "East US (eastus, United States; its location), outside the allowed geographies EU" in found[0]
    assert "Fix:" in found[0] and "swedencentral" in found[0]


def test_switzerland_and_norway_are_not_eu_but_sweden_is():
    for region, refused in (("switzerlandnorth", True), ("norwayeast", True), ("swedencentral", False)):
        found = violations_of_resource(
            residency.allowed_locations, ACCOUNT, secure_account(location=region), EU
        )
        assert bool(found) is refused, region


def test_global_resources_and_unrestricted_environments_are_not_checked():
    zone = {"location": "global", "privateZoneName": "privatelink.openai.azure.com"}
    assert (
        violations_of_resource(residency.allowed_locations, "azure-native:privatedns:PrivateZone", zone, EU)
        == []
    )
    assert (
        violations_of_resource(residency.allowed_locations, ACCOUNT, secure_account(location="eastus"), {})
        == []
    )


def test_a_location_the_region_table_does_not_know_cannot_pass_a_restriction():
    found = violations_of_resource(
        residency.allowed_locations, ACCOUNT, secure_account(location="moonbase1"), EU
    )
    assert found and "does not know" in found[0]


def test_a_version_pinned_resource_type_is_checked_too():
    pinned = "azure-native:cognitiveservices/v20250601:Account"
    assert violations_of_resource(residency.allowed_locations, pinned, secure_account(location="eastus"), EU)


def _job_on_account(training: str, location: str = "swedencentral", **job_extra: object) -> list:
    account = resource(ACCOUNT, "acct", secure_account(location=location))
    return [
        account,
        resource(JOB, "job", job(training=training, **job_extra), [account], {"endpoint": [account]}),
    ]


def test_standard_training_in_an_eu_region_passes_an_eu_restriction():
    assert violations_of_stack(residency.training_type, _job_on_account("standard"), EU) == []


def test_global_training_fails_any_geography_restriction():
    found = violations_of_stack(
        residency.training_type,
        _job_on_account("global", "francecentral"),
        {**EU, "allowGlobalTraining": True},
    )
    assert len(found) == 1
    message, urn = found[0]
    assert "global training offers no data residency" in message and "EU" in message
    assert "Fix: set trainingType: standard" in message and "swedencentral" in message
    assert urn is not None and urn.endswith("::job")


def test_global_training_is_refused_when_the_environment_does_not_allow_it():
    found = violations_of_stack(residency.training_type, _job_on_account("global", "francecentral"), {})
    assert found and "does not allow global training" in found[0][0]


def test_global_training_passes_where_it_is_allowed_and_residency_is_not_restricted():
    config = {"allowGlobalTraining": True, "allowedGeographies": []}
    assert (
        violations_of_stack(residency.training_type, _job_on_account("global", "francecentral"), config) == []
    )


def test_standard_training_outside_the_geography_is_refused_by_its_account_location():
    found = violations_of_stack(residency.training_type, _job_on_account("standard", "northcentralus"), EU)
    assert found and "North Central US" in found[0][0]


def test_a_job_that_does_not_say_where_it_trains_cannot_pass_a_restriction():
    lone = resource(JOB, "job", job())
    found = violations_of_stack(residency.training_type, [lone], EU)
    assert found and "is not the endpoint of an account declared in this stack" in found[0][0]


def _deployment_on(sku: str, location: str = "swedencentral") -> list:
    account = resource(ACCOUNT, "acct", secure_account(location=location))
    return [account, resource(DEPLOYMENT, "dep", deployment(sku=sku), [account], {"accountName": [account]})]


def test_a_regional_standard_deployment_passes_an_eu_restriction():
    assert violations_of_stack(residency.deployment_sku, _deployment_on("Standard"), EU) == []


def test_a_global_standard_deployment_fails_an_eu_restriction():
    config = {**EU, "allowedDeploymentSkus": ["Standard", "GlobalStandard"]}
    found = violations_of_stack(residency.deployment_sku, _deployment_on("GlobalStandard"), config)
    assert len(found) == 1
    assert "GlobalStandard gives no data residency" in found[0][0] and "Fix: use Standard" in found[0][0]


def test_a_sku_outside_the_allowed_list_is_refused_even_without_a_geography():
    found = violations_of_stack(
        residency.deployment_sku, _deployment_on("DeveloperTier"), {"allowedDeploymentSkus": ["Standard"]}
    )
    assert found and "DeveloperTier is not allowed" in found[0][0]


def test_a_data_zone_deployment_passes_when_the_whole_zone_is_in_the_geography():
    config = {**EU, "allowedDeploymentSkus": ["DataZoneStandard"]}
    assert violations_of_stack(residency.deployment_sku, _deployment_on("DataZoneStandard"), config) == []


def test_a_data_zone_deployment_fails_a_single_country_restriction():
    config = {"allowedGeographies": ["Sweden"], "allowedDeploymentSkus": ["DataZoneStandard"]}
    found = violations_of_stack(residency.deployment_sku, _deployment_on("DataZoneStandard"), config)
    assert found and "EU data zone of swedencentral, which reaches beyond Sweden" in found[0][0]


def test_a_resource_group_without_a_location_is_checked_in_the_provider_default_location():
    provider = PolicyProviderResource(
        "pulumi:providers:azure-native", {"location": "eastus"}, "urn:p", "default"
    )
    args = ResourceValidationArgs(
        RESOURCE_GROUP,
        {"resourceGroupName": "rg"},
        urn(RESOURCE_GROUP, "rg"),
        "rg",
        OPTS,
        provider,
        config=EU,
    )
    found: list[str] = []
    residency.allowed_locations.validate(args, lambda message, _urn=None: found.append(message))
    assert found and "East US" in found[0]
