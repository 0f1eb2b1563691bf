"""Config variants the shipped stacks do not use: AI Services accounts, keys, identities, existing groups,
checkpoint promotion, and configs refused before any resource registers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from program_runs import (
    ACCOUNT,
    DEPLOYMENT,
    GROUP,
    JOB,
    ZONE,
    ZONE_GROUP,
    make_project,
    one,
    stack_environment,
)

from ftstack.preview import ProgramError, run_program

SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000001"
IDENTITY = (
    f"{SUBSCRIPTION}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ft"
)


def run_variant(tmp_path: Path, environment: dict[str, Any], preview: bool = False) -> Any:
    return run_program(make_project(tmp_path, "variant", environment), "variant", preview)


def refusal(tmp_path: Path, environment: dict[str, Any]) -> ProgramError:
    with pytest.raises(ProgramError) as caught:
        run_variant(tmp_path, environment, preview=True)
    return caught.value


def test_an_ai_services_account_registers_its_endpoint_in_all_three_zones(tmp_path: Path) -> None:
    environment = stack_environment("prod-eu")
    environment["account"]["kind"] = "AIServices"
    run = run_variant(tmp_path, environment)
    zones = sorted(z.inputs["privateZoneName"] for z in run.of_type(ZONE))
    assert zones == [
        "privatelink.cognitiveservices.azure.com",
        "privatelink.openai.azure.com",
        "privatelink.services.ai.azure.com",
    ]
    configs = one(run, ZONE_GROUP).inputs["privateDnsZoneConfigs"]
    assert sorted(c["privateDnsZoneId"] for c in configs) == sorted(z.id for z in run.of_type(ZONE))
    assert one(run, ACCOUNT).inputs["kind"] == "AIServices"


def test_a_customer_managed_key_and_user_assigned_identity_reach_the_account(tmp_path: Path) -> None:
    environment = stack_environment("prod-eu")
    environment["account"]["identity"] = {
        "type": "SystemAssigned,UserAssigned",
        "userAssignedIdentityIds": [IDENTITY],
    }
    environment["account"]["customerManagedKey"] = {
        "keyVaultUri": "https://kv-ftstack.vault.azure.net/",
        "keyVaultId": f"{SUBSCRIPTION}/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-ftstack",
        "keyName": "aoai",
        "identityClientId": "11111111-1111-1111-1111-111111111111",
        "identityPrincipalId": "22222222-2222-2222-2222-222222222222",
    }
    account = one(run_variant(tmp_path, environment), ACCOUNT)
    assert account.inputs["identity"] == {
        "type": "SystemAssigned, UserAssigned",
        "userAssignedIdentities": [IDENTITY],
    }
    assert account.inputs["properties"]["encryption"] == {
        "keySource": "Microsoft.KeyVault",
        "keyVaultProperties": {
            "keyVaultUri": "https://kv-ftstack.vault.azure.net/",
            "keyName": "aoai",
            "identityClientId": "11111111-1111-1111-1111-111111111111",
        },
    }


def test_an_existing_resource_group_is_used_not_created(tmp_path: Path) -> None:
    environment = stack_environment("dev")
    environment["account"]["resourceGroup"] = {"name": "rg-shared", "create": False}
    run = run_variant(tmp_path, environment)
    assert run.of_type(GROUP) == []
    assert one(run, ACCOUNT).inputs["resourceGroupName"] == "rg-shared"


def test_best_validation_loss_deploys_the_checkpoint_with_the_lowest_loss(tmp_path: Path) -> None:
    environment = stack_environment("prod-eu")
    environment["deployments"][0]["model"]["select"] = "best_validation_loss"
    run = run_variant(tmp_path, environment)
    job = one(run, JOB)
    best = min(job.outputs["checkpoints"], key=lambda c: c["metrics"]["full_valid_loss"])
    assert best["step"] != max(c["step"] for c in job.outputs["checkpoints"])
    assert one(run, DEPLOYMENT).inputs["properties"]["model"]["name"] == best["fine_tuned_model_checkpoint"]
    chosen = run.exports["deploymentModels"]["support-bot"]
    assert chosen["model"] == best["fine_tuned_model_checkpoint"]
    assert chosen["reason"].startswith(f"lowest validation loss {best['metrics']['full_valid_loss']:.4f}")


def test_a_step_that_is_not_a_deployable_checkpoint_is_refused_with_the_steps_that_are(
    tmp_path: Path,
) -> None:
    environment = stack_environment("prod-eu")
    environment["deployments"][0]["model"]["select"] = {"step": 150}
    with pytest.raises(ProgramError) as caught:
        run_variant(tmp_path, environment, preview=False)
    (line,) = caught.value.lines
    assert line.startswith("stacks/Pulumi.variant.yaml: ftstack:environment.deployments[0].model.select: ")
    assert "no deployable checkpoint at step 150; deployable steps: 100, 200, 300" in line
    assert "final model and the checkpoints of the 2 previous epochs" in line


def test_an_explicit_fine_tuned_model_id_is_deployed_as_given(tmp_path: Path) -> None:
    environment = stack_environment("prod-eu")
    model = "gpt-4o-mini-2024-07-18.ft-0123456789abcdef0123456789abcdef"
    environment["deployments"][0]["model"] = {"fineTunedModel": model}
    run = run_variant(tmp_path, environment)
    assert one(run, DEPLOYMENT).inputs["properties"]["model"]["name"] == model


def test_a_global_standard_deployment_the_matrix_forbids_is_refused_before_anything_registers(
    tmp_path: Path,
) -> None:
    environment = stack_environment("prod-eu")
    environment["fineTuning"]["jobs"][0] |= {"baseModel": "gpt-35-turbo", "version": "0125"}
    environment["deployments"][0]["sku"] = "GlobalStandard"
    error = refusal(tmp_path, environment)
    assert error.lines == [
        "stacks/Pulumi.variant.yaml: ftstack:environment.deployments[0].sku: GlobalStandard is not offered "
        "for fine-tuned gpt-35-turbo (0125) models; fine-tuned gpt-35-turbo (0125) models in swedencentral "
        "can use: Standard"
    ]
    assert error.declared == []


def test_a_data_zone_deployment_outside_the_us_data_zone_is_refused(tmp_path: Path) -> None:
    environment = stack_environment("prod-eu")
    environment["deployments"][0]["sku"] = "DataZoneStandard"
    (line,) = refusal(tmp_path, environment).lines
    assert (
        "deployments[0].sku: DataZoneStandard deployments of fine-tuned gpt-4o-mini (2024-07-18) models"
        in line
    )
    assert "available in regions of the US data zone, not swedencentral" in line
    assert line.endswith("can use: Standard, GlobalStandard, ProvisionedManaged, DeveloperTier")


def test_missing_dns_zones_for_an_ai_services_account_are_refused(tmp_path: Path) -> None:
    environment = stack_environment("prod-us")
    environment["account"]["kind"] = "AIServices"
    error = refusal(tmp_path, environment)
    assert error.lines == [
        "stacks/Pulumi.variant.yaml: ftstack:environment.network.privateEndpoint.dnsZones.existingZoneIds: "
        "a AIServices account needs the zones privatelink.cognitiveservices.azure.com, "
        "privatelink.services.ai.azure.com too; give their ids or set dnsZones.create: true"
    ]
    assert error.declared == []


def test_every_config_problem_comes_back_at_once(tmp_path: Path) -> None:
    environment = stack_environment("prod-eu")
    environment["account"]["region"] = "atlantis"
    environment["deployments"][0]["capacity"] = 0
    lines = refusal(tmp_path, environment).lines
    assert any("account.region: " in line and "atlantis" in line for line in lines), lines
    assert any("deployments[0].capacity: " in line for line in lines), lines
    assert all(line.startswith("stacks/Pulumi.variant.yaml: ftstack:environment.") for line in lines)
