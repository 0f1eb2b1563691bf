"""Rules that hold in production: types, API versions, roles, diagnostics, outbound access, base models,
where jobs upload, vision read from the data, and the production baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi_policy import PolicyProviderResource, ResourceValidationArgs

from ftstack.check.baseline import settings_from, weakenings
from ftstack.check.policy_settings import protected_settings
from ftstack.config.schema import ResidencyConfig
from policies.ftstack_policies import (
    access,
    baseline,
    capability,
    job_endpoint,
    monitoring,
    network,
    residency,
    resource_types,
)
from tests.policies.policy_args import (
    ACCOUNT,
    JOB,
    OPTS,
    job,
    resource,
    secure_account,
    urn,
    violations_of_resource,
    violations_of_stack,
    with_properties,
)

PRODUCTION = {"production": True}
EU = {"allowedGeographies": ["EU"]}
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000001"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"


@pytest.mark.parametrize(
    "type_",
    ["azure:cognitive/account:Account", "azapi:index/resource:Resource", "azure-native:resources:Resource"],
)
def test_an_unlisted_type_is_refused_in_production_only(type_):
    assert violations_of_resource(resource_types.resource_types_allowed, type_, {}, PRODUCTION)
    assert (
        violations_of_resource(resource_types.resource_types_allowed, type_, {}, {"production": False}) == []
    )


def test_a_listed_type_passes_in_any_api_version():
    pinned = "azure-native:cognitiveservices/v20250601:Account"
    assert violations_of_resource(resource_types.resource_types_allowed, pinned, {}, PRODUCTION) == []


def test_a_preview_api_version_is_refused_in_production():
    preview = "azure-native:cognitiveservices/v20250401preview:Account"
    found = violations_of_resource(resource_types.api_versions_stable, preview, {}, PRODUCTION)
    assert found and "azure-native:cognitiveservices:Account" in found[0]


def _assignment(role: str, scope: str | None = None, account=None):
    props = {"roleDefinitionId": f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{role}"}
    if scope is not None:
        props["scope"] = scope
    deps = {"scope": [account]} if account is not None else {}
    return resource(ROLE_ASSIGNMENT, "ra", props, [], deps)


def test_a_listed_role_on_the_stack_account_passes():
    account = resource(ACCOUNT, "acct", secure_account())
    assert (
        violations_of_stack(
            access.role_assignments, [account, _assignment(OPENAI_USER, account=account)], PRODUCTION
        )
        == []
    )


def test_owner_is_refused_everywhere_and_a_subscription_scope_in_production():
    found = [
        m
        for m, _ in violations_of_stack(
            access.role_assignments, [_assignment(OWNER, SUBSCRIPTION)], PRODUCTION
        )
    ]
    assert any("it grants Owner" in m for m in found) and any("above the account" in m for m in found)
    dev = violations_of_stack(
        access.role_assignments, [_assignment(OPENAI_USER, SUBSCRIPTION)], {"production": False}
    )
    assert dev == []


def test_an_unlisted_role_is_refused():
    other = "00000000-1111-2222-3333-444444444444"
    found = violations_of_stack(
        access.role_assignments,
        [_assignment(other, SUBSCRIPTION + "/x/providers/Microsoft.CognitiveServices/accounts/acct")],
    )
    assert found and "is not one a stack may grant" in found[0][0]


def test_diagnostics_count_only_when_they_watch_the_account_and_send_logs_to_a_workspace():
    account = resource(ACCOUNT, "acct", secure_account())
    good = resource(
        DIAGNOSTIC_SETTING,
        "diag",
        {"workspaceId": "/w", "logs": [{"category": "Audit", "enabled": True}]},
        [],
        {"resourceUri": [account]},
    )
    no_logs = resource(
        DIAGNOSTIC_SETTING, "diag", {"workspaceId": "/w", "logs": []}, [], {"resourceUri": [account]}
    )
    config = {"requireDiagnostics": True}
    assert violations_of_stack(monitoring.diagnostics, [account, good], config) == []
    assert violations_of_stack(monitoring.diagnostics, [account, no_logs], config)
    assert violations_of_stack(monitoring.diagnostics, [account], {"requireDiagnostics": False}) == []


def test_outbound_access_must_be_restricted_in_production():
    open_account = with_properties(secure_account(), restrictOutboundNetworkAccess=False)
    config = {"requireOutboundRestriction": True}
    assert violations_of_resource(network.outbound_restricted, ACCOUNT, open_account, config)
    closed = with_properties(secure_account(), restrictOutboundNetworkAccess=True)
    assert violations_of_resource(network.outbound_restricted, ACCOUNT, closed, config) == []


def test_only_allowed_base_models_are_fine_tuned():
    account = resource(ACCOUNT, "acct", secure_account())
    jobs = [account, resource(JOB, "job", job(), [account], {"endpoint": [account]})]
    assert violations_of_stack(capability.base_models, jobs, {"allowedBaseModels": ["gpt-4o-mini"]}) == []
    found = violations_of_stack(capability.base_models, jobs, {"allowedBaseModels": ["gpt-4.1"]})
    assert found and "not among the environment's allowed base models (gpt-4.1" in found[0][0]


def test_a_production_job_must_take_its_endpoint_from_the_stack_account(monkeypatch):
    monkeypatch.delenv(job_endpoint.ENDPOINT_OVERRIDE_ENV, raising=False)
    account = resource(ACCOUNT, "acct", secure_account())
    wired = resource(JOB, "job", job(), [account], {"endpoint": [account]})
    assert violations_of_stack(job_endpoint.endpoint_from_stack, [account, wired], PRODUCTION) == []
    literal = resource(JOB, "job", job())
    assert violations_of_stack(job_endpoint.endpoint_from_stack, [account, literal], PRODUCTION)
    monkeypatch.setenv(job_endpoint.ENDPOINT_OVERRIDE_ENV, "http://127.0.0.1:1")
    found = violations_of_stack(job_endpoint.endpoint_from_stack, [account, wired], PRODUCTION)
    assert found and "would upload to http://127.0.0.1:1" in found[0][0]


def test_image_data_makes_a_job_a_vision_job(tmp_path: Path):
    images = tmp_path / "images.jsonl"
    part = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    images.write_text(json.dumps({"messages": [{"role": "user", "content": [part]}]}) + "\n")
    account = resource(ACCOUNT, "acct", secure_account(location="japaneast"))
    global_job = job(model="gpt-4.1", version="2025-04-14", training="global", training_file=str(images))
    found = violations_of_stack(
        capability.fine_tuning_job,
        [account, resource(JOB, "job", global_job, [account], {"endpoint": [account]})],
    )
    assert found and "its data holds images" in found[0][0] and "no vision support" in found[0][0]


def test_a_location_is_checked_for_any_regional_type_and_global_only_for_dns_types():
    translator = secure_account(location="global", kind="TextTranslation")
    assert violations_of_resource(residency.allowed_locations, ACCOUNT, translator, EU)
    zone = {"location": "global"}
    assert (
        violations_of_resource(residency.allowed_locations, "azure-native:privatedns:PrivateZone", zone, EU)
        == []
    )
    nowhere = violations_of_resource(
        residency.allowed_locations, "azure-native:operationalinsights:Workspace", {}, EU
    )
    assert nowhere and "sets no location" in nowhere[0]


def test_a_resource_group_without_a_location_and_without_a_provider_location_is_refused():
    found: list[str] = []
    rg = "azure-native:resources:ResourceGroup"
    provider = PolicyProviderResource("pulumi:providers:azure-native", {}, "urn:p", "default")
    args = ResourceValidationArgs(rg, {}, urn(rg, "rg"), "rg", OPTS, provider, config=EU)
    residency.allowed_locations.validate(args, lambda message, _urn=None: found.append(message))
    assert found and "sets no location" in found[0]


def _settings(**residency_values: object) -> dict:
    return protected_settings(ResidencyConfig(**residency_values), production=True)


def test_tightening_is_no_weakening_and_each_loosening_names_the_setting_and_old_value():
    base = settings_from(_settings(allowed_geographies=["EU"], max_deployment_capacity=50), "base")
    tighter = settings_from(_settings(allowed_geographies=["Sweden"], max_deployment_capacity=10), "now")
    assert weakenings(base, tighter) == []
    looser = settings_from(
        _settings(allowed_geographies=[], policy_levels={"identity-managed-identity": "advisory"}), "now"
    )
    found = {(w.setting, w.old, w.new) for w in weakenings(base, looser)}
    assert ("residency.allowedGeographies", "[EU]", "[] (no restriction)") in found
    assert (
        "the level of policy identity-managed-identity (residency.policyLevels)",
        "mandatory",
        "advisory",
    ) in found
    assert ("residency.maxDeploymentCapacity", "50", "100") in found


def test_the_baseline_policy_compares_with_the_base_branch_settings_too():
    current = _settings(allowed_geographies=["EU"], max_deployment_capacity=50)
    base_ref = {
        "ref": "origin/main",
        "settings": _settings(allowed_geographies=["Sweden"], max_deployment_capacity=50),
    }
    config = {"stack": "prod-eu", "settings": current, "baseRef": base_ref}
    found = violations_of_stack(baseline.production_baseline, [], config)
    assert len(found) == 1 and "the stack file on origin/main" in found[0][0] and "[Sweden]" in found[0][0]
