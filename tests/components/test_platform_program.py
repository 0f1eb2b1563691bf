"""The real program (`__main__.py`) for every shipped stack, under mocks, in preview and update mode:
what a reviewer checks in a `pulumi preview` of the platform."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import pytest
from program_runs import (
    ACCOUNT,
    DEPLOYMENT,
    DIAGNOSTICS,
    ENDPOINT,
    GROUP,
    JOB,
    LINK,
    PLATFORM,
    ROLE,
    STACKS,
    WORKSPACE,
    ZONE,
    ZONE_GROUP,
    ancestors,
    named,
    one,
    stack_environment,
    stack_run,
)

from ftstack.catalog.roles import load_roles
from ftstack.preview import UNKNOWN
from ftstack.preview.mocks import MOCK_SUBSCRIPTION

MODES = [pytest.param(True, id="preview"), pytest.param(False, id="update")]
EVERY_RUN = [
    pytest.param(s, p, id=f"{s}-{'preview' if p else 'update'}") for s in STACKS for p in (True, False)
]


def test_the_shipped_stacks_are_the_three_environments() -> None:
    assert STACKS == ["dev", "prod-eu", "prod-us"]


@pytest.mark.parametrize(("stack", "preview"), EVERY_RUN)
def test_every_resource_hangs_under_one_platform_component(stack: str, preview: bool) -> None:
    run = stack_run(stack, preview)
    platform = one(run, PLATFORM)
    assert "::pulumi:pulumi:Stack::" in platform.parent_urn and not platform.custom
    for resource in run.resources:
        if resource is not platform:
            assert ancestors(run, resource)[-1] == PLATFORM, resource.urn
    assert ancestors(run, one(run, ACCOUNT)) == ["ftstack:account:OpenAIAccount", PLATFORM]
    for deployment in run.of_type(DEPLOYMENT):
        assert ancestors(run, deployment) == ["ftstack:deployment:ModelDeployment", PLATFORM]
    for job in run.of_type(JOB):
        assert ancestors(run, job) == [PLATFORM]


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("dev", {GROUP: 1, ACCOUNT: 1, ROLE: 1, JOB: 4, DEPLOYMENT: 2}),  # a job and a 3-point experiment
        (
            "prod-eu",
            {
                GROUP: 1,
                ACCOUNT: 1,
                ENDPOINT: 1,
                ZONE: 1,
                LINK: 1,
                ZONE_GROUP: 1,
                ROLE: 2,
                WORKSPACE: 1,
                DIAGNOSTICS: 1,
                JOB: 1,
                DEPLOYMENT: 1,
            },
        ),
        (
            "prod-us",
            {
                GROUP: 1,
                ACCOUNT: 1,
                ENDPOINT: 1,
                ZONE_GROUP: 1,
                ROLE: 2,
                DIAGNOSTICS: 1,
                JOB: 1,
                DEPLOYMENT: 2,
            },
        ),
    ],
)
@pytest.mark.parametrize("preview", MODES)
def test_each_stack_declares_the_resources_its_config_asks_for(
    stack: str, expected: dict[str, int], preview: bool
) -> None:
    run = stack_run(stack, preview)
    counts = Counter(r.type for r in run.resources if r.custom)
    assert dict(counts) == expected


@pytest.mark.parametrize("stack", ["prod-eu", "prod-us"])
@pytest.mark.parametrize("preview", MODES)
def test_production_accounts_are_private_and_keyless(stack: str, preview: bool) -> None:
    account = one(stack_run(stack, preview), ACCOUNT)
    properties = account.inputs["properties"]
    assert properties["publicNetworkAccess"] == "Disabled"
    assert properties["disableLocalAuth"] is True
    assert properties["networkAcls"]["defaultAction"] == "Deny"
    assert properties["restrictOutboundNetworkAccess"] is True
    assert properties["customSubDomainName"] == f"ftstack-{stack}"
    assert account.inputs["kind"] == "OpenAI"
    assert account.inputs["sku"] == {"name": "S0"}
    assert account.inputs["identity"] == {"type": "SystemAssigned"}


def test_the_dev_account_is_opened_only_to_the_runner_ip_it_names() -> None:
    properties = one(stack_run("dev", False), ACCOUNT).inputs["properties"]
    assert properties["publicNetworkAccess"] == "Enabled"
    assert properties["networkAcls"]["defaultAction"] == "Deny"
    assert properties["networkAcls"]["ipRules"] == [{"value": "203.0.113.10/32"}]
    assert properties["disableLocalAuth"] is True


@pytest.mark.parametrize(("stack", "residency"), [("dev", "none"), ("prod-eu", "EU"), ("prod-us", "US")])
def test_resources_are_tagged_with_environment_and_residency(stack: str, residency: str) -> None:
    run = stack_run(stack, False)
    for type_ in (GROUP, ACCOUNT):
        tags = one(run, type_).inputs["tags"]
        assert tags["environment"] == stack
        assert tags["data-residency"] == residency
        assert tags["owner"] == "platform-team"


@pytest.mark.parametrize("stack", ["prod-eu", "prod-us"])
@pytest.mark.parametrize("preview", MODES)
def test_the_private_endpoint_targets_the_account_with_group_id_account(stack: str, preview: bool) -> None:
    run = stack_run(stack, preview)
    account, endpoint = one(run, ACCOUNT), one(run, ENDPOINT)
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["account"]
    assert connection["privateLinkServiceId"] == (UNKNOWN if preview else account.id)
    assert account.urn in endpoint.property_dependencies["privateLinkServiceConnections"]
    environment = stack_environment(stack)
    assert endpoint.inputs["subnet"]["id"] == environment["network"]["privateEndpoint"]["subnetId"]


def test_the_endpoint_lives_in_its_vnet_region_when_that_differs_from_the_account() -> None:
    run = stack_run("prod-us", False)
    assert one(run, ACCOUNT).inputs["location"] == "northcentralus"
    assert one(run, ENDPOINT).inputs["location"] == "eastus2"
    assert one(stack_run("prod-eu", False), ENDPOINT).inputs["location"] == "swedencentral"


def test_created_dns_zones_are_linked_to_the_vnet_and_registered_in_the_zone_group() -> None:
    run = stack_run("prod-eu", False)
    zone, link, group, endpoint = one(run, ZONE), one(run, LINK), one(run, ZONE_GROUP), one(run, ENDPOINT)
    assert zone.inputs["privateZoneName"] == "privatelink.openai.azure.com"
    assert zone.inputs["location"] == "global"
    vnet = stack_environment("prod-eu")["network"]["privateEndpoint"]["dnsZones"]["virtualNetworkIds"][0]
    assert link.inputs["virtualNetwork"] == {"id": vnet}
    assert link.inputs["registrationEnabled"] is False
    assert link.inputs["privateZoneName"] == "privatelink.openai.azure.com"
    assert group.inputs["privateEndpointName"] == endpoint.outputs["name"]
    assert group.inputs["privateDnsZoneConfigs"] == [
        {"name": "privatelink-openai-azure-com", "privateDnsZoneId": zone.id}
    ]
    assert endpoint.urn in group.dependencies and zone.urn in group.dependencies


def test_existing_dns_zones_are_used_by_id_and_not_created() -> None:
    run = stack_run("prod-us", False)
    assert run.of_type(ZONE) == [] and run.of_type(LINK) == []
    existing = stack_environment("prod-us")["network"]["privateEndpoint"]["dnsZones"]["existingZoneIds"]
    assert one(run, ZONE_GROUP).inputs["privateDnsZoneConfigs"] == [
        {"name": "privatelink-openai-azure-com", "privateDnsZoneId": existing["privatelink.openai.azure.com"]}
    ]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("preview", MODES)
def test_role_assignments_grant_the_built_in_roles_on_the_account(stack: str, preview: bool) -> None:
    run = stack_run(stack, preview)
    account = one(run, ACCOUNT)
    wanted = stack_environment(stack)["access"]["roleAssignments"]
    granted = {(r.inputs["principalId"], r.inputs["roleDefinitionId"]): r for r in run.of_type(ROLE)}
    assert len(granted) == len(wanted)
    for entry in wanted:
        guid = load_roles().get(entry["role"]).guid
        definition = (
            f"/subscriptions/{MOCK_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        )
        assignment = granted[(entry["principalId"], definition)]
        assert assignment.inputs["principalType"] == entry["principalType"]
        assert assignment.inputs["scope"] == (UNKNOWN if preview else account.id)
        uuid.UUID(assignment.inputs["roleAssignmentName"])


def test_the_documented_role_ids_are_the_azure_built_in_ones() -> None:
    roles = load_roles()
    assert roles.get("Cognitive Services OpenAI User").guid == "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
    assert roles.get("Cognitive Services OpenAI Contributor").guid == "a001fd3d-188f-4b5d-821b-7da978bf7442"
    assert roles.get("Cognitive Services User").guid == "a97b65f3-24c7-4388-baec-2e87135dc908"


def test_role_assignment_names_are_the_same_in_preview_and_update() -> None:
    names = [
        sorted(r.inputs["roleAssignmentName"] for r in stack_run("prod-eu", preview).of_type(ROLE))
        for preview in (True, False)
    ]
    assert names[0] == names[1]
    assert len(set(names[0])) == 2


def test_diagnostics_go_to_a_created_workspace_with_audit_request_response_and_metrics() -> None:
    run = stack_run("prod-eu", False)
    workspace, setting = one(run, WORKSPACE), one(run, DIAGNOSTICS)
    assert workspace.inputs["retentionInDays"] == 90
    assert workspace.inputs["sku"] == {"name": "PerGB2018"}
    assert setting.inputs["workspaceId"] == workspace.id
    assert setting.inputs["resourceUri"] == one(run, ACCOUNT).id
    assert [log["category"] for log in setting.inputs["logs"]] == ["Audit", "RequestResponse"]
    assert all(log["enabled"] is True for log in setting.inputs["logs"])
    assert setting.inputs["metrics"] == [{"category": "AllMetrics", "enabled": True}]


def test_diagnostics_use_an_existing_workspace_given_by_id() -> None:
    run = stack_run("prod-us", False)
    existing = stack_environment("prod-us")["monitoring"]["diagnostics"]["logAnalytics"]["workspaceId"]
    assert run.of_type(WORKSPACE) == []
    assert one(run, DIAGNOSTICS).inputs["workspaceId"] == existing


@pytest.mark.parametrize("stack", STACKS)
def test_deployments_serve_the_jobs_fine_tuned_model_with_their_sku_and_capacity(stack: str) -> None:
    run = stack_run(stack, False)
    model = named(run, JOB, "support-bot").outputs["fine_tuned_model"]
    wanted = {d["name"]: d for d in stack_environment(stack)["deployments"] if d["model"].get("job")}
    for deployment in (d for d in run.of_type(DEPLOYMENT) if d.inputs["deploymentName"] in wanted):
        config = wanted[deployment.inputs["deploymentName"]]
        assert deployment.inputs["properties"]["model"] == {"format": "OpenAI", "name": model, "version": "1"}
        assert deployment.inputs["properties"]["versionUpgradeOption"] == "NoAutoUpgrade"
        assert deployment.inputs["sku"] == {"name": config["sku"], "capacity": config["capacity"]}
        assert deployment.inputs["accountName"] == f"ftstack-{stack}"
    assert {d.inputs["deploymentName"] for d in run.of_type(DEPLOYMENT)} >= set(wanted)


def test_the_model_a_deployment_serves_is_unknown_until_its_job_has_run() -> None:
    run = stack_run("dev", True)
    assert all(d.inputs["properties"]["model"]["name"] == UNKNOWN for d in run.of_type(DEPLOYMENT))
    assert all("fine_tuned_model" not in job.outputs for job in run.of_type(JOB))


@pytest.mark.parametrize("preview", MODES)
def test_deployments_on_one_account_are_created_one_after_another(preview: bool) -> None:
    run = stack_run("prod-us", preview)
    first, second = sorted(run.of_type(DEPLOYMENT), key=lambda d: d.inputs["deploymentName"])
    assert first.inputs["deploymentName"] == "support-bot"
    assert first.urn in second.dependencies
    assert second.urn not in first.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_a_job_waits_for_the_account_and_the_access_and_network_that_let_the_runner_reach_it(
    stack: str,
) -> None:
    run = stack_run(stack, False)
    job = named(run, JOB, "support-bot")
    needed = [one(run, ACCOUNT).urn, *(r.urn for r in run.of_type(ROLE))]
    needed += [r.urn for r in run.of_type(ENDPOINT) + run.of_type(ZONE_GROUP)]
    assert set(needed) <= set(job.dependencies)
    assert job.inputs["endpoint"] == f"https://ftstack-{stack}.openai.azure.com/"


def test_a_job_gets_its_model_data_and_hyperparameters_from_the_stack() -> None:
    job = named(stack_run("dev", False), JOB, "support-bot")
    assert job.inputs["base_model"] == "gpt-4.1-mini"
    assert job.inputs["model_version"] == "2025-04-14"
    assert job.inputs["training_type"] == "global"
    assert job.inputs["training_file"] == "examples/support-chat/training.jsonl"
    assert len(job.inputs["training_file_sha256"]) == 64
    assert job.inputs["hyperparameters"] == {"n_epochs": 3, "batch_size": 4, "learning_rate_multiplier": 1.0}
    assert job.inputs["wait_timeout_seconds"] == 7200


@pytest.mark.parametrize("stack", STACKS)
def test_exports_name_the_endpoint_account_deployments_and_their_models(stack: str) -> None:
    run = stack_run(stack, False)
    account = one(run, ACCOUNT)
    model = named(run, JOB, "support-bot").outputs["fine_tuned_model"]
    names = [d["name"] for d in stack_environment(stack)["deployments"]]
    from_job = [d["name"] for d in stack_environment(stack)["deployments"] if d["model"].get("job")]
    assert run.exports["endpoint"] == f"https://ftstack-{stack}.openai.azure.com/"
    assert run.exports["accountId"] == account.id
    assert run.exports["deploymentNames"] == names
    for name in from_job:
        assert run.exports["deploymentModels"][name] == {"model": model, "reason": "the job's final model"}


@pytest.mark.parametrize("stack", STACKS)
def test_a_preview_exports_unknowns_for_what_only_exists_after_deployment(stack: str) -> None:
    exports = stack_run(stack, True).exports
    assert exports["endpoint"] == UNKNOWN and exports["accountId"] == UNKNOWN
    assert exports["deploymentNames"] == [d["name"] for d in stack_environment(stack)["deployments"]]


def test_an_experiment_becomes_one_job_per_point_on_nested_subset_files() -> None:
    run = stack_run("dev", False)
    points = {j.name: j for j in run.of_type(JOB) if j.name.startswith("support-curve-")}
    assert sorted(points) == ["support-curve-n12", "support-curve-n24", "support-curve-n36"]
    small, medium, full = (points[f"support-curve-n{n}"].inputs for n in (12, 24, 36))
    assert full["training_file"] == "examples/support-chat/training.jsonl"
    assert small["training_file"].startswith(".ftstack/subsets/") and small["training_file"].endswith(
        "-n12-s0.jsonl"
    )
    folder = Path(__file__).resolve().parents[2]
    small_lines = set((folder / small["training_file"]).read_bytes().splitlines())
    assert small_lines <= set((folder / medium["training_file"]).read_bytes().splitlines())
    assert {p.inputs["suffix"] for p in points.values()} == {"curve-n12", "curve-n24", "curve-n36"}


def test_a_deployment_of_an_experiment_serves_the_point_with_the_lowest_validation_loss() -> None:
    run = stack_run("dev", False)
    finals = {}
    for job in run.of_type(JOB):
        if job.name.startswith("support-curve-"):
            last = max(job.outputs["checkpoints"], key=lambda c: c["step"])
            finals[job.name] = (
                last["metrics"].get("full_valid_loss", last["metrics"].get("valid_loss")),
                job.outputs["fine_tuned_model"],
            )
    best = min(finals, key=lambda name: finals[name][0])
    served = run.exports["deploymentModels"]["support-curve-best"]
    assert served["model"] == finals[best][1]
    assert f"point {best} has the lowest final validation loss" in served["reason"]
