"""Changes a pull request could try in order to get a non-compliant stack past `ftstack check`.

Each test is one adversarial change (a stack edit or a hand-written resource) that used to pass; now it is
a mandatory violation (exit 1) naming what is wrong, or a config error (exit 2). The compliant controls
at the end must keep passing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ftstack.cli.app import app
from tests.check import rogue_programs as rogue
from tests.check.check_projects import ROOT, Environment, copy_project, edit_environment

Result = Any


def check(project: Path, stack: str, output: str = "json") -> Result:
    return CliRunner().invoke(
        app, ["check", "--stack", stack, "--format", output, "--project-dir", str(project)]
    )


def mandatory(result: Result) -> list[dict[str, Any]]:
    """The mandatory violations of a check that must have failed with exit 1."""
    assert result.exit_code == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["compliant"] is False
    return [v for v in report["violations"] if v["level"] == "mandatory"]


def of_policy(violations: list[dict[str, Any]], policy: str) -> list[dict[str, Any]]:
    found = [v for v in violations if v["policy"] == policy]
    assert found, f"no {policy} violation among {[(v['policy'], v['message']) for v in violations]}"
    return found


def edited(tmp_path: Path, stack: str, edit: Callable[[Environment], None]) -> Path:
    project = copy_project(tmp_path / "project")
    edit_environment(project, stack, edit)
    return project


def with_program(tmp_path: Path, *snippets: str) -> Path:
    return rogue.add_to_program(copy_project(tmp_path / "project"), *snippets)


def set_stack_config(project: Path, stack: str, key: str, value: str) -> None:
    import yaml

    path = project / "stacks" / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["config"][key] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


# --- a production stack cannot switch its own policies off ---------------------------------------------


@pytest.mark.parametrize(
    ("edit", "setting", "old"),
    [
        (lambda env: env["residency"].update(enforcement="advisory"), "residency.enforcement", "mandatory"),
        (
            lambda env: env["residency"].update(policyLevels={"network-private-endpoint": "disabled"}),
            "the level of policy network-private-endpoint",
            "mandatory",
        ),
        (lambda env: env.update(production=False), "production", "true"),
        (lambda env: env["residency"].update(allowedGeographies=[]), "residency.allowedGeographies", "[EU]"),
        (
            lambda env: env["residency"].update(allowedGeographies=["EU", "Switzerland"]),
            "residency.allowedGeographies",
            "[EU]",
        ),
        (
            lambda env: env["residency"].update(allowGlobalTraining=True),
            "residency.allowGlobalTraining",
            "false",
        ),
        (
            lambda env: env["residency"].update(
                allowedDeploymentSkus=["Standard", "ProvisionedManaged", "DataZoneStandard", "GlobalStandard"]
            ),
            "residency.allowedDeploymentSkus",
            "[Standard, ProvisionedManaged, DataZoneStandard]",
        ),
        (
            lambda env: env["residency"].update(requirePrivateEndpoint=False),
            "residency.requirePrivateEndpoint",
            "true",
        ),
        (
            lambda env: env["residency"].update(maxDeploymentCapacity=500),
            "residency.maxDeploymentCapacity",
            "50",
        ),
    ],
    ids=[
        "enforcement-advisory",
        "policy-disabled",
        "production-false",
        "no-geographies",
        "wider-geographies",
        "global-training",
        "more-skus",
        "no-private-endpoint-required",
        "more-capacity",
    ],
)
def test_a_production_stack_that_loosens_its_own_settings_breaks_its_baseline(
    tmp_path: Path, edit: Callable[[Environment], None], setting: str, old: str
):
    violations = of_policy(
        mandatory(check(edited(tmp_path, "prod-eu", edit), "prod-eu")), "production-baseline"
    )
    messages = [v["message"] for v in violations]
    assert any(
        m.startswith(setting) and f"weaker than the production baseline's {old}" in m and "Fix:" in m
        for m in messages
    ), messages
    assert all("policies/baseline/prod-eu.yaml" in m for m in messages)


def test_the_baseline_policy_itself_cannot_be_switched_off_by_the_stack(tmp_path: Path):
    project = edited(
        tmp_path,
        "prod-eu",
        lambda env: env["residency"].update(policyLevels={"production-baseline": "disabled"}),
    )
    result = check(project, "prod-eu", "markdown")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "error: stacks/Pulumi.prod-eu.yaml: ftstack:environment.residency.policyLevels.production-baseline: "
        "'production-baseline' is always mandatory; a stack cannot change its level"
    )


def test_the_report_names_every_disabled_or_advisory_policy_and_never_reads_compliant_over_a_disabled_one(
    tmp_path: Path,
):
    project = edited(
        tmp_path,
        "dev",
        lambda env: env["residency"].update(policyLevels={"network-private-endpoint": "disabled"}),
    )
    markdown = check(project, "dev", "markdown")
    assert markdown.exit_code == 0, markdown.stderr
    summary = markdown.stdout.splitlines()[0]
    assert "compliant" not in summary.replace("not compliant", "")
    assert "1 policy disabled" in summary
    assert "Disabled (not checked): `network-private-endpoint`" in markdown.stdout
    assert (
        "Advisory (reported, not blocking): " in markdown.stdout
        and "`identity-local-auth-disabled`" in markdown.stdout
    )
    report = json.loads(check(project, "dev").stdout)
    assert report["compliant"] is False
    assert report["policyLevels"]["network-private-endpoint"] == "disabled"


def test_a_production_stack_without_a_baseline_file_is_a_violation(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    (project / "policies" / "baseline" / "prod-us.yaml").unlink()
    violations = of_policy(mandatory(check(project, "prod-us")), "production-baseline")
    assert "has no production baseline (policies/baseline/prod-us.yaml)" in violations[0]["message"]


# --- resource types the pack does not recognise ------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "resource", "words"),
    [
        (rogue.CLASSIC_ACCOUNT, "classic-account", "another provider than azure-native"),
        (rogue.GENERIC_RESOURCE, "generic-account", "a generic resource"),
        (rogue.TEMPLATE_DEPLOYMENT, "template", "an ARM template deployment"),
        (rogue.RENAMED_JOB, "renamed-job", "a fine-tuning job under another type token"),
    ],
    ids=["classic-azure", "generic-resource", "template-deployment", "renamed-dynamic-job"],
)
def test_a_resource_type_outside_the_allow_list_is_refused_in_production(
    tmp_path: Path, snippet: str, resource: str, words: str
):
    violations = of_policy(
        mandatory(check(with_program(tmp_path, snippet), "prod-eu")), "resource-types-allowed"
    )
    assert [v["resource"] for v in violations] == [resource]
    assert words in violations[0]["message"]


def test_a_dynamic_resource_running_the_job_provider_is_checked_as_a_job_whatever_its_type(tmp_path: Path):
    def train_in_us(env: Environment) -> None:
        env["account"]["region"] = "eastus2"

    project = with_program(tmp_path, rogue.RENAMED_JOB)
    edit_environment(project, "dev", train_in_us)
    edit_environment(project, "dev", lambda env: env.update(deployments=[]))
    edit_environment(project, "dev", lambda env: env["fineTuning"].update(jobs=[]))
    violations = of_policy(mandatory(check(project, "dev")), "capability-fine-tuning-job")
    assert [v["resource"] for v in violations] == ["renamed-job"]
    assert "cannot be trained with standard training in eastus2" in violations[0]["message"]


# --- location ------------------------------------------------------------------------------------------


def test_a_resource_without_a_location_cannot_pass_a_residency_restriction(tmp_path: Path):
    violations = mandatory(check(with_program(tmp_path, rogue.WORKSPACE_WITHOUT_LOCATION), "prod-eu"))
    located = of_policy(violations, "residency-allowed-locations")
    assert [v["resource"] for v in located] == ["law-nowhere"]
    assert "sets no location" in located[0]["message"]


def test_a_resource_group_is_checked_in_the_provider_default_location(tmp_path: Path):
    project = with_program(tmp_path, rogue.GROUP_WITHOUT_LOCATION)
    set_stack_config(project, "prod-eu", "azure-native:location", "eastus")
    located = of_policy(mandatory(check(project, "prod-eu")), "residency-allowed-locations")
    assert [v["resource"] for v in located] == ["rg-default-location"]
    assert "East US (eastus, United States; the provider's default location" in located[0]["message"]


def test_global_is_allowed_only_for_resources_that_are_global_by_nature(tmp_path: Path):
    located = of_policy(
        mandatory(check(with_program(tmp_path, rogue.TRANSLATOR_AT_GLOBAL), "prod-eu")),
        "residency-allowed-locations",
    )
    assert [v["resource"] for v in located] == ["translator"]
    assert "only private DNS zones and their links are global by nature" in located[0]["message"]


def test_a_location_spelled_other_than_its_arm_name_is_refused(tmp_path: Path):
    located = of_policy(
        mandatory(check(with_program(tmp_path, rogue.SPELLED_LOCATION), "prod-eu")),
        "residency-allowed-locations",
    )
    assert "reaches ARM exactly as written. Fix: write the ARM name 'swedencentral'" in located[0]["message"]


def test_a_stack_region_in_any_spelling_reaches_arm_as_its_arm_name(tmp_path: Path):
    project = edited(tmp_path, "prod-eu", lambda env: env["account"].update(region="Sweden\u00a0Central "))
    result = check(project, "prod-eu")
    assert result.exit_code == 0, result.stdout + result.stderr
    located = {
        r["name"]: r["properties"].get("location")
        for r in json.loads(result.stdout)["resources"]
        if "location" in r["properties"]
    }
    assert located["ftstack-prod-eu"] == "swedencentral" and located["rg-ftstack-prod-eu"] == "swedencentral"


# --- relations, not declarations -------------------------------------------------------------------------


def test_a_deployment_on_an_account_outside_the_stack_is_refused(tmp_path: Path):
    violations = mandatory(check(with_program(tmp_path, rogue.DEPLOYMENT_ON_ANOTHER_ACCOUNT), "prod-eu"))
    sku = of_policy(violations, "residency-deployment-sku")
    assert [v["resource"] for v in sku] == ["elsewhere"]
    assert "'ftstack-prod-us', which is not an account declared in this stack" in sku[0]["message"]


def test_a_job_trains_where_its_endpoint_is_not_where_its_region_input_says(tmp_path: Path):
    violations = mandatory(check(with_program(tmp_path, rogue.JOB_WITH_A_REGION_OF_ITS_OWN), "prod-eu"))
    messages = {v["policy"]: v["message"] for v in violations if v["resource"] == "us-job"}
    assert "https://ftstack-prod-us.openai.azure.com/" in messages["capability-fine-tuning-job"]
    assert "a region input on the job does not count" in messages["residency-training-type"]
    assert "fine-tuning-endpoint-from-stack" in messages


def test_a_decoy_private_endpoint_that_only_depends_on_the_account_does_not_count(tmp_path: Path):
    project = with_program(tmp_path, rogue.DECOY_PRIVATE_ENDPOINT)
    edit_environment(project, "prod-eu", lambda env: env["network"].pop("privateEndpoint"))
    endpoint = of_policy(mandatory(check(project, "prod-eu")), "network-private-endpoint")
    assert [v["resource"] for v in endpoint] == ["ftstack-prod-eu"]


# --- new rules -------------------------------------------------------------------------------------------


def test_owner_at_subscription_scope_is_refused(tmp_path: Path):
    access = of_policy(
        mandatory(check(with_program(tmp_path, rogue.OWNER_ON_THE_SUBSCRIPTION), "prod-eu")),
        "identity-role-assignments",
    )
    messages = " ".join(v["message"] for v in access)
    assert "it grants Owner" in messages and "is above the account" in messages


def test_production_needs_diagnostics(tmp_path: Path):
    project = edited(tmp_path, "prod-eu", lambda env: env.pop("monitoring"))
    diagnostics = of_policy(mandatory(check(project, "prod-eu")), "monitoring-diagnostics")
    assert "has no diagnostic setting" in diagnostics[0]["message"]


def test_production_restricts_outbound_network_access(tmp_path: Path):
    project = edited(
        tmp_path, "prod-eu", lambda env: env["account"].update(restrictOutboundNetworkAccess=False)
    )
    outbound = of_policy(mandatory(check(project, "prod-eu")), "network-outbound-restricted")
    assert "restrictOutboundNetworkAccess is not true" in outbound[0]["message"]


def test_production_uses_no_preview_api_version(tmp_path: Path):
    violations = mandatory(check(with_program(tmp_path, rogue.PREVIEW_API_ACCOUNT), "prod-eu"))
    api = of_policy(violations, "api-versions-stable")
    assert "preview API version v20250401preview" in api[0]["message"]


def test_a_base_model_outside_the_allowed_list_is_refused(tmp_path: Path):
    project = edited(
        tmp_path, "prod-eu", lambda env: env["residency"].update(allowedBaseModels=["gpt-4.1-mini"])
    )
    models = of_policy(mandatory(check(project, "prod-eu")), "capability-base-models")
    assert "'gpt-4o-mini', which is not among the environment's allowed base models" in models[0]["message"]


def test_an_endpoint_override_in_the_environment_is_refused_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FTSTACK_FINE_TUNING_ENDPOINT", "https://elsewhere.example.com")
    endpoint = of_policy(mandatory(check(ROOT, "prod-eu")), "fine-tuning-endpoint-from-stack")
    assert "would upload to https://elsewhere.example.com" in endpoint[0]["message"]


# --- vision from the data --------------------------------------------------------------------------------

IMAGE_EXAMPLE = {
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is shown?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            ],
        },
        {"role": "assistant", "content": "A router."},
    ]
}


def test_image_data_trained_globally_in_japan_east_is_refused_although_the_vision_flag_is_off(tmp_path: Path):
    def japan_east_with_images(env: Environment) -> None:
        env["account"]["region"] = "japaneast"
        job = env["fineTuning"]["jobs"][0]
        job.update(baseModel="gpt-4.1", version="2025-04-14", trainingFile="examples/vision/training.jsonl")
        job.pop("validationFile")
        env["fineTuning"]["jobs"] = [job]
        env["deployments"] = []

    project = edited(tmp_path, "dev", japan_east_with_images)
    (project / "examples" / "vision").mkdir()
    (project / "examples" / "vision" / "training.jsonl").write_text(json.dumps(IMAGE_EXAMPLE) + "\n" * 1)
    result = check(project, "dev", "markdown")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "error: stacks/Pulumi.dev.yaml: ftstack:environment.fineTuning.jobs[0].trainingFile: the job's data holds "
        "images (an image_url content part), so it is vision training: global training in japaneast has no "
        "vision support."
    )


# --- capability overrides --------------------------------------------------------------------------------

JUSTIFIED = "regional capacity confirmed for our subscription by Microsoft support"


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        (
            {
                "model": "gpt-4o-mini",
                "version": "2024-07-18",
                "region": "francecentral",
                "training": "global",
                "justification": JUSTIFIED,
            },
            "training: 'global': an override adds a standard-training region only",
        ),
        (
            {
                "model": "gpt-4.1-mini",
                "version": "2025-04-14",
                "region": "swedencentral",
                "training": "global",
                "justification": JUSTIFIED,
            },
            "training: 'global': an override adds a standard-training region only",
        ),
        (
            {
                "model": "gpt-4o-mini",
                "version": "2024-07-18",
                "region": "francecentral",
                "training": "standard",
                "justification": "x" * 20,
            },
            "justification: 'xxxxxxxxxxxxxxxxxxxx': a justification must say why in words",
        ),
    ],
    ids=["global-training-for-a-model", "global-training-region", "repeated-characters"],
)
def test_a_capability_override_that_grants_more_than_a_standard_region_is_a_config_error(
    tmp_path: Path, override: dict[str, str], problem: str
):
    project = edited(tmp_path, "prod-eu", lambda env: env.update(capabilityOverrides=[override]))
    result = check(project, "prod-eu", "markdown")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"ftstack:environment.capabilityOverrides[0].{problem}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- compliant controls still pass -----------------------------------------------------------------------


def _tighter_geography(env: Environment) -> None:
    env["residency"]["allowedGeographies"] = ["Sweden"]


def _allowed_base_model(env: Environment) -> None:
    env["residency"]["allowedBaseModels"] = ["gpt-4o-mini"]


def _fewer_skus(env: Environment) -> None:
    env["residency"]["allowedDeploymentSkus"] = ["Standard"]


def _display_name_region(env: Environment) -> None:
    env["account"]["region"] = "North Central US"


@pytest.mark.parametrize(
    ("stack", "edit"),
    [
        ("prod-eu", _tighter_geography),
        ("prod-eu", _allowed_base_model),
        ("prod-eu", _fewer_skus),
        ("prod-us", _display_name_region),
    ],
    ids=[
        "prod-eu-sweden-only",
        "prod-eu-allowed-base-model",
        "prod-eu-standard-only",
        "prod-us-display-name",
    ],
)
def test_a_change_that_keeps_or_tightens_a_production_stack_passes(
    tmp_path: Path, stack: str, edit: Callable[[Environment], None]
):
    result = check(edited(tmp_path, stack, edit), stack)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [v for v in json.loads(result.stdout)["violations"] if v["level"] == "mandatory"] == []
