"""What the first real `pulumi up` on Azure needs from the components: jobs that wait for the DNS links,
protected production accounts, restore of a soft-deleted name, a customer-managed key its identity can
read, and no config error raised inside an apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from program_runs import (
    ACCOUNT,
    DEPLOYMENT,
    GROUP,
    JOB,
    LINK,
    ROLE,
    ZONE,
    make_project,
    one,
    stack_environment,
    stack_run,
)

import ftstack.preview.program as program
from ftstack.preview import ProgramError, run_program
from ftstack.preview.capture import CapturingMonitor

SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000001"
IDENTITY = (
    f"{SUBSCRIPTION}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ft"
)
VAULT = f"{SUBSCRIPTION}/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-ftstack"
PRINCIPAL = "22222222-2222-2222-2222-222222222222"
CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"


def run_variant(tmp_path: Path, environment: dict[str, Any], preview: bool = False) -> Any:
    return run_program(make_project(tmp_path, "variant", environment), "variant", preview)


def protected_names(monkeypatch: pytest.MonkeyPatch, project: Path, stack: str) -> set[tuple[str, str]]:
    """The (type, name) of every resource the program registers with `protect` set."""
    protected: set[tuple[str, str]] = set()

    class RecordingMonitor(CapturingMonitor):
        def RegisterResource(self, request: Any) -> Any:
            if request.protect:
                protected.add((request.type, request.name))
            return super().RegisterResource(request)

    monkeypatch.setattr(program, "CapturingMonitor", RecordingMonitor)
    run_program(project, stack, False)
    return protected


def test_fine_tuning_jobs_wait_for_the_dns_zone_links_of_the_private_endpoint() -> None:
    run = stack_run("prod-eu", False)
    link = one(run, LINK)
    for job in run.of_type(JOB):
        assert link.urn in job.dependencies, job.name


def test_a_production_account_and_its_resource_group_are_protected(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parents[2]
    protected = protected_names(monkeypatch, root, "prod-eu")
    assert protected == {(ACCOUNT, "ftstack-prod-eu"), (GROUP, "rg-ftstack-prod-eu")}


def test_a_non_production_account_can_be_destroyed_without_unprotecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = Path(__file__).resolve().parents[2]
    assert protected_names(monkeypatch, root, "dev") == set()


def test_restore_asks_arm_to_bring_back_a_soft_deleted_account_and_is_not_sent_otherwise(
    tmp_path: Path,
) -> None:
    assert "restore" not in one(stack_run("dev", False), ACCOUNT).inputs["properties"]
    environment = stack_environment("dev")
    environment["account"]["restore"] = True
    assert one(run_variant(tmp_path, environment), ACCOUNT).inputs["properties"]["restore"] is True


def test_the_customer_managed_key_is_granted_to_its_identity_before_the_account_uses_it(
    tmp_path: Path,
) -> None:
    environment = stack_environment("prod-eu")
    environment["account"]["identity"] = {"type": "UserAssigned", "userAssignedIdentityIds": [IDENTITY]}
    environment["account"]["customerManagedKey"] = {
        "keyVaultUri": "https://kv-ftstack.vault.azure.net/",
        "keyVaultId": VAULT,
        "keyName": "aoai",
        "identityClientId": "11111111-1111-1111-1111-111111111111",
        "identityPrincipalId": PRINCIPAL,
    }
    run = run_variant(tmp_path, environment)
    (grant,) = [r for r in run.of_type(ROLE) if r.inputs["principalId"] == PRINCIPAL]
    assert grant.inputs["scope"] == f"{VAULT}/keys/aoai"
    assert grant.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{CRYPTO_SERVICE_ENCRYPTION_USER}")
    assert grant.inputs["principalType"] == "ServicePrincipal"
    assert grant.urn in one(run, ACCOUNT).dependencies


def test_a_customer_managed_key_with_only_a_system_assigned_identity_is_refused(tmp_path: Path) -> None:
    environment = stack_environment("prod-eu")
    environment["account"]["customerManagedKey"] = {
        "keyVaultUri": "https://kv-ftstack.vault.azure.net/",
        "keyVaultId": VAULT,
        "keyName": "aoai",
        "identityClientId": "11111111-1111-1111-1111-111111111111",
        "identityPrincipalId": PRINCIPAL,
    }
    with pytest.raises(ProgramError) as caught:
        run_variant(tmp_path, environment, preview=True)
    (line,) = caught.value.lines
    assert line.startswith(
        "stacks/Pulumi.variant.yaml: ftstack:environment.account.identity.type: 'SystemAssigned' cannot read "
        "account.customerManagedKey"
    )
    assert caught.value.declared == []


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_a_deployment_of_a_job_that_does_not_wait_is_refused_before_anything_registers(
    tmp_path: Path, preview: bool
) -> None:
    environment = stack_environment("prod-eu")
    environment["fineTuning"]["jobs"][0]["wait"] = False
    with pytest.raises(ProgramError) as caught:
        run_variant(tmp_path, environment, preview=preview)
    (line,) = caught.value.lines
    assert line.startswith(
        "stacks/Pulumi.variant.yaml: ftstack:environment.deployments[0].model.job: job 'support-bot' is "
        "declared with wait: false"
    )
    assert caught.value.declared == []


def test_a_job_that_does_not_wait_and_has_no_deployment_is_submitted(tmp_path: Path) -> None:
    environment = stack_environment("prod-eu")
    environment["fineTuning"]["jobs"][0]["wait"] = False
    environment["deployments"] = []
    run = run_variant(tmp_path, environment)
    assert one(run, JOB).inputs["wait"] is False
    assert run.of_type(DEPLOYMENT) == []


def test_a_production_endpoint_without_zone_ids_or_an_explicit_create_is_refused_naming_the_hub_clash(
    tmp_path: Path,
) -> None:
    environment = stack_environment("prod-eu")
    del environment["network"]["privateEndpoint"]["dnsZones"]["create"]
    with pytest.raises(ProgramError) as caught:
        run_variant(tmp_path, environment, preview=True)
    (line,) = caught.value.lines
    assert "network.privateEndpoint.dnsZones.existingZoneIds: a production stack uses the hub's" in line
    assert "privatelink.openai.azure.com" in line and "set dnsZones.create: true" in line
    assert "refuses a second private DNS zone of the same name" in line


def test_a_non_production_endpoint_creates_its_zones_unless_told_otherwise(tmp_path: Path) -> None:
    environment = stack_environment("prod-eu")
    environment["production"] = False
    del environment["network"]["privateEndpoint"]["dnsZones"]["create"]
    run = run_variant(tmp_path, environment)
    assert [z.inputs["privateZoneName"] for z in run.of_type(ZONE)] == ["privatelink.openai.azure.com"]
    assert len(run.of_type(LINK)) == 1
