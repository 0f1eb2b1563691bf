"""Config rules and warnings for the first real deploy: unwaited jobs and their deployments, DNS zones in
production, customer-managed keys, soft-deleted names, drift warnings and where each stack deploys from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ftstack.config import ConfigError, parse_environment
from ftstack.config.deploy_warnings import deploy_warnings
from ftstack.config.runner_placement import (
    HOSTED_JOB_LIMIT_MINUTES,
    deploy_matrix,
    placement,
)
from ftstack.config.schema import EnvironmentConfig
from ftstack.config.soft_delete import explain_deploy_failure

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "stacks/Pulumi.test.yaml"
SOFT_DELETE_REFUSAL = (
    'error: Status=409 Code="FlagMustBeSetForRestore" Message="An existing resource with ID \'/subscriptions/'
    "s/resourceGroups/rg-ftstack-prod-eu/providers/Microsoft.CognitiveServices/accounts/ftstack-prod-eu' has "
    "been soft-deleted. To restore the resource, you must specify 'restore' to be true in the property.\""
)


def raw(stack: str) -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    environment: dict[str, Any] = doc["config"]["ftstack:environment"]
    return environment


def parsed(environment: dict[str, Any]) -> EnvironmentConfig:
    return parse_environment(environment, source=SOURCE, project_dir=ROOT)


def refused(environment: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parsed(environment)
    return caught.value.lines()


def test_an_experiment_that_does_not_wait_cannot_feed_a_deployment() -> None:
    environment = raw("dev")
    environment["fineTuning"]["jobs"][1]["wait"] = False
    assert refused(environment) == [
        f"{SOURCE}: ftstack:environment.deployments[1].model.experiment: experiment 'support-curve' is declared "
        "with wait: false, so its fine-tuned model does not exist when this deployment is created; set "
        "fineTuning.jobs[1].wait: true, or leave this deployment out until the job has trained and add it in a "
        "later `up` together with wait: true (waiting for a job that already finished returns at once)"
    ]


def test_a_job_that_does_not_wait_is_fine_when_no_deployment_serves_it() -> None:
    environment = raw("dev")
    environment["fineTuning"]["jobs"][0]["wait"] = False
    environment["deployments"] = environment["deployments"][1:]
    assert parsed(environment).fine_tuning.jobs[0].wait is False


def test_explicitly_created_zones_stay_allowed_in_production_and_existing_ones_need_no_create() -> None:
    assert parsed(raw("prod-eu")).network.private_endpoint is not None
    environment = raw("prod-us")
    del environment["network"]["privateEndpoint"]["dnsZones"]["create"]
    spec = parsed(environment).network.private_endpoint
    assert spec is not None and spec.dns_zones.create is None


def test_a_customer_managed_key_needs_the_identity_and_the_vault_it_is_granted_on() -> None:
    environment = raw("prod-eu")
    environment["account"]["customerManagedKey"] = {
        "keyVaultUri": "https://kv-ftstack.vault.azure.net/",
        "keyName": "aoai",
    }
    lines = refused(environment)
    for key in ("keyVaultId", "identityClientId", "identityPrincipalId"):
        assert (
            f"{SOURCE}: ftstack:environment.account.customerManagedKey.{key}: required key is missing"
            in lines
        )


def test_a_soft_deleted_account_name_is_explained_with_restore_and_the_purge_command() -> None:
    env = parsed(raw("prod-eu"))
    assert explain_deploy_failure(SOFT_DELETE_REFUSAL, env, "stacks/Pulumi.prod-eu.yaml") == [
        "stacks/Pulumi.prod-eu.yaml: ftstack:environment.account.name: 'ftstack-prod-eu' is soft-deleted (an "
        "earlier destroy or replace deleted it; Azure keeps the name for 48 hours); set account.restore: true to "
        "bring it back with its fine-tuned models, or purge it first, which deletes those models for good: az "
        "cognitiveservices account purge --name ftstack-prod-eu --resource-group rg-ftstack-prod-eu --location "
        "swedencentral"
    ]
    assert explain_deploy_failure('error: Code="RequestConflict"', env) == []


def test_restore_is_off_unless_a_stack_asks_for_it() -> None:
    assert parsed(raw("prod-eu")).account.restore is False
    environment = raw("prod-eu")
    environment["account"]["restore"] = True
    assert parsed(environment).account.restore is True


def test_the_check_warns_about_developer_tier_expiry_idle_deletion_and_hosting_fees() -> None:
    dev = deploy_warnings(parsed(raw("dev")))
    assert dev[0].startswith(
        "deployments[0] (support-bot-dev): a DeveloperTier deployment is removed 24 hours after it is created"
    )
    assert not any("hourly hosting fee" in line for line in dev)
    prod = deploy_warnings(parsed(raw("prod-us")))
    assert prod == [
        "deployments[0] (support-bot): a Standard deployment of a fine-tuned model is billed an hourly hosting "
        "fee while it exists, and is deleted after 15 days without calls (the model stays; the next `up` "
        "deploys it again)",
        "deployments[1] (support-bot-burst): a DataZoneStandard deployment of a fine-tuned model is billed an "
        "hourly hosting fee while it exists, and is deleted after 15 days without calls (the model stays; the "
        "next `up` deploys it again)",
    ]


def test_a_production_stack_that_creates_its_zones_is_warned_about_a_hub_that_already_links_them() -> None:
    lines = deploy_warnings(parsed(raw("prod-eu")))
    assert any(
        line.startswith("network.privateEndpoint.dnsZones: this production stack creates") for line in lines
    )
    assert not any("dnsZones" in line for line in deploy_warnings(parsed(raw("prod-us"))))


def test_a_private_endpoint_stack_on_a_github_hosted_runner_is_warned_that_jobs_cannot_connect() -> None:
    env = parsed(raw("prod-eu"))
    (line,) = [w for w in deploy_warnings(env, "github-hosted") if w.startswith("network.runnerAccess")]
    assert "GitHub-hosted runner, which cannot reach the account's private endpoint" in line
    assert not any(w.startswith("network.runnerAccess") for w in deploy_warnings(env, "self-hosted"))


def test_each_stack_deploys_from_the_runner_its_reach_needs_with_a_timeout_above_its_waits() -> None:
    matrix = deploy_matrix(ROOT)
    assert [e["stack"] for e in matrix["dev"]] == ["dev"]
    assert [e["stack"] for e in matrix["production"]] == ["prod-eu", "prod-us"]
    by_stack = {e["stack"]: e for e in matrix["dev"] + matrix["production"]}
    assert by_stack["prod-eu"]["runs-on"] == ["self-hosted", "ftstack-private-endpoint"]
    assert by_stack["dev"]["runs-on"] == ["self-hosted", "ftstack-fixed-egress"]
    # dev: a 120-minute job and a 3-point experiment of 120-minute jobs, trained one after another.
    assert by_stack["dev"]["timeout"] == 4 * 120 + 30
    assert by_stack["prod-eu"]["timeout"] == 720 + 30


def test_a_public_stack_runs_on_a_hosted_runner_capped_at_its_six_hour_limit() -> None:
    environment = raw("dev")
    environment["network"]["runnerAccess"] = "none"
    where = placement("dev", parsed(environment), ROOT)
    assert where.hosted and where.runs_on == ["ubuntu-latest"]
    assert where.timeout_minutes == HOSTED_JOB_LIMIT_MINUTES
